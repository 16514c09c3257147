import type { Kysely } from 'kysely';
import type { EntityRef } from '../core/analytics/records.ts';
import type { Store } from './database.ts';
import type { BulkInsert } from './engine/types.ts';
import type { DB } from './schema.ts';

// Analytics entities and their trait history. Writes take the store for its engine
// (EngineOps.insertRows, EngineOps.queries): the fastest bulk form differs per engine.

export type EntityRow = DB['analytics_entities'];
export type TraitHistoryRow = DB['analytics_trait_history'];

const ENTITY_COLUMNS = [
  'id',
  'org_id',
  'kind',
  'external_id',
  'name',
  'custom_object_id',
  'traits',
  'trait_times',
  'attrs_at',
  'created_at',
  'updated_at',
] as const;
const ENTITY_KEY = ['org_id', 'kind', 'external_id'] as const;
const MUTABLE = ['name', 'custom_object_id', 'traits', 'trait_times', 'attrs_at', 'updated_at'] as const;
const HISTORY_COLUMNS = [
  'id',
  'org_id',
  'entity_id',
  'trait_key',
  'old_value',
  'new_value',
  'changed_at',
  'recorded_at',
  'message_id',
] as const;

/** Creates the entities that do not exist yet, leaving existing ones untouched. */
export function insertEntityStubs(store: Store, db: Kysely<DB>, rows: EntityRow[]): Promise<void> {
  return store.engine.insertRows(db, ENTITY_STUBS, rows);
}

/**
 * The entities named by `refs`, in key order. With `lock`, their rows stay locked until the
 * transaction ends (engines with concurrent writers), so a concurrent batch cannot merge
 * traits from a stale read.
 */
export function findEntitiesByRefs(
  store: Store,
  db: Kysely<DB>,
  orgId: string,
  refs: EntityRef[],
  opts: { lock: boolean },
): Promise<EntityRow[]> {
  return store.engine.queries.findEntitiesByRefs(db, orgId, refs, opts);
}

export const ENTITIES: BulkInsert<EntityRow> = {
  table: 'analytics_entities',
  columns: ENTITY_COLUMNS,
  conflict: { target: ENTITY_KEY, update: MUTABLE },
  columnKinds: {
    id: 'uuid',
    org_id: 'uuid',
    kind: 'text',
    external_id: 'text',
    name: 'text',
    custom_object_id: 'text',
    traits: 'text',
    trait_times: 'text',
    attrs_at: 'timestamptz',
    created_at: 'timestamptz',
    updated_at: 'timestamptz',
  },
};
/** New entities only: a key that exists keeps its row (DO NOTHING). */
const ENTITY_STUBS: BulkInsert<EntityRow> = { ...ENTITIES, conflict: { target: ENTITY_KEY } };
export const TRAIT_HISTORY: BulkInsert<TraitHistoryRow> = {
  table: 'analytics_trait_history',
  columns: HISTORY_COLUMNS,
  columnKinds: {
    id: 'uuid',
    org_id: 'uuid',
    entity_id: 'uuid',
    trait_key: 'text',
    old_value: 'text',
    new_value: 'text',
    changed_at: 'timestamptz',
    recorded_at: 'timestamptz',
    message_id: 'text',
  },
};

export function listEntities(
  db: Kysely<DB>,
  orgId: string,
  f: { kind?: string; after?: string; limit: number },
): Promise<EntityRow[]> {
  let q = db.selectFrom('analytics_entities').selectAll().where('org_id', '=', orgId);
  if (f.kind) q = q.where('kind', '=', f.kind);
  if (f.after) q = q.where('id', '>', f.after);
  return q.orderBy('id').limit(f.limit).execute();
}

export function findEntity(
  db: Kysely<DB>,
  orgId: string,
  kind: string,
  externalId: string,
): Promise<EntityRow | undefined> {
  return db
    .selectFrom('analytics_entities')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('kind', '=', kind)
    .where('external_id', '=', externalId)
    .executeTakeFirst();
}

/** Newest change first. */
export function listTraitHistory(
  db: Kysely<DB>,
  orgId: string,
  entityId: string,
  limit: number,
): Promise<TraitHistoryRow[]> {
  return db
    .selectFrom('analytics_trait_history')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('entity_id', '=', entityId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}
