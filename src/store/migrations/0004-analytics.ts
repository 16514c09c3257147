import type { Kysely, Migration } from 'kysely';
import type { ColumnTypes } from '../engine/types.ts';

// Length: a migration's up() is one list of DDL statements, read top to bottom.

// Analytics: entities (organization, account, user, custom object instance) with merged
// traits, the links between them, the history of every trait change, tracked events, and
// the message keys already applied (deduplication).
//
// An entity's identity is (org, kind, external_id): messages name entities by the
// customer's own ids. `trait_times` holds, per trait key, the timestamp of the message that
// last set or removed it, so an older message never overwrites a newer value (a removed key
// keeps its time as a tombstone). Links are stored by external ids, so a user can be linked
// to an account before the account's own message arrives.

export function analytics(types: ColumnTypes): Migration {
  const id = types.idType;
  const ts = types.timestampType;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('analytics_entities')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('org_id', id, (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('external_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text')
        .addColumn('custom_object_id', 'text')
        .addColumn('traits', 'text', (c) => c.notNull())
        .addColumn('trait_times', 'text', (c) => c.notNull())
        .addColumn('attrs_at', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('analytics_entities_key')
        .unique()
        .on('analytics_entities')
        .columns(['org_id', 'kind', 'external_id'])
        .execute();
      // Paging by kind, and over all kinds, in id order.
      await db.schema
        .createIndex('analytics_entities_kind')
        .on('analytics_entities')
        .columns(['org_id', 'kind', 'id'])
        .execute();
      await db.schema
        .createIndex('analytics_entities_org')
        .on('analytics_entities')
        .columns(['org_id', 'id'])
        .execute();

      await db.schema
        .createTable('analytics_links')
        .addColumn('org_id', id, (c) => c.notNull())
        .addColumn('child_kind', 'text', (c) => c.notNull())
        .addColumn('child_external_id', 'text', (c) => c.notNull())
        .addColumn('parent_kind', 'text', (c) => c.notNull())
        .addColumn('parent_external_id', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('analytics_links_pk', [
          'org_id',
          'child_kind',
          'child_external_id',
          'parent_kind',
          'parent_external_id',
        ])
        .execute();
      // An entity's children, and an account's users for the events-by-account read.
      await db.schema
        .createIndex('analytics_links_parent')
        .on('analytics_links')
        .columns(['org_id', 'parent_kind', 'parent_external_id', 'child_kind', 'child_external_id'])
        .execute();

      await db.schema
        .createTable('analytics_trait_history')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('org_id', id, (c) => c.notNull())
        .addColumn('entity_id', id, (c) =>
          c.notNull().references('analytics_entities.id').onDelete('cascade'),
        )
        .addColumn('trait_key', 'text', (c) => c.notNull())
        .addColumn('old_value', 'text')
        .addColumn('new_value', 'text')
        .addColumn('changed_at', ts, (c) => c.notNull())
        .addColumn('recorded_at', ts, (c) => c.notNull())
        .addColumn('message_id', 'text')
        .execute();
      await db.schema
        .createIndex('analytics_trait_history_entity')
        .on('analytics_trait_history')
        .columns(['org_id', 'entity_id', 'id'])
        .execute();

      await db.schema
        .createTable('analytics_events')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('org_id', id, (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text')
        .addColumn('organization_id', 'text')
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('properties', 'text', (c) => c.notNull())
        .addColumn('occurred_at', ts, (c) => c.notNull())
        .addColumn('day', types.dateType, (c) => c.notNull())
        .addColumn('message_id', 'text')
        .addColumn('received_at', ts, (c) => c.notNull())
        .execute();
      // The reads: all events by time, by user, by account, by event name. Every insert
      // touches each of these, so there are no more than the reads need: the event-name
      // index carries `day` so counts are answered from it alone, and the account index
      // holds only events sent with an accountId.
      for (const [name, columns] of [
        ['analytics_events_time', ['org_id', 'occurred_at', 'id']],
        ['analytics_events_user', ['org_id', 'user_id', 'occurred_at', 'id']],
        ['analytics_events_name', ['org_id', 'event', 'occurred_at', 'id', 'day']],
      ] as const) {
        await db.schema
          .createIndex(name)
          .on('analytics_events')
          .columns([...columns])
          .execute();
      }
      await db.schema
        .createIndex('analytics_events_account')
        .on('analytics_events')
        .columns(['org_id', 'account_id', 'occurred_at', 'id'])
        .where('account_id', 'is not', null)
        .execute();

      await db.schema
        .createTable('analytics_dedup')
        .addColumn('org_id', id, (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('processed_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('analytics_dedup_pk', ['org_id', 'key'])
        .execute();
      // Pruning keys older than the window.
      await db.schema
        .createIndex('analytics_dedup_time')
        .on('analytics_dedup')
        .columns(['org_id', 'processed_at'])
        .execute();
    },
  };
}
