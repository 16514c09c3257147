import type { Kysely } from 'kysely';
import type { EntityRef } from '../core/analytics/records.ts';
import type { BulkInsert } from './engine/types.ts';
import type { DB } from './schema.ts';

// Links between analytics entities, by external ids (a user can be linked to an account
// before the account's own message arrives).

export type LinkRow = DB['analytics_links'];

export const LINKS: BulkInsert<LinkRow> = {
  table: 'analytics_links',
  columns: ['org_id', 'child_kind', 'child_external_id', 'parent_kind', 'parent_external_id', 'created_at'],
  conflict: { target: ['org_id', 'child_kind', 'child_external_id', 'parent_kind', 'parent_external_id'] },
  columnKinds: {
    org_id: 'uuid',
    child_kind: 'text',
    child_external_id: 'text',
    parent_kind: 'text',
    parent_external_id: 'text',
    created_at: 'timestamptz',
  },
};

/** What the entity belongs to (`parents`) or what belongs to it (`children`). */
export function listLinks(
  db: Kysely<DB>,
  orgId: string,
  ref: EntityRef,
  direction: 'parents' | 'children',
  limit: number,
): Promise<{ kind: string; external_id: string; created_at: string }[]> {
  const [self, other] =
    direction === 'parents' ? (['child', 'parent'] as const) : (['parent', 'child'] as const);
  return db
    .selectFrom('analytics_links')
    .select([`${other}_kind as kind`, `${other}_external_id as external_id`, 'created_at'])
    .where('org_id', '=', orgId)
    .where(`${self}_kind`, '=', ref.kind)
    .where(`${self}_external_id`, '=', ref.external_id)
    .orderBy(`${other}_kind`)
    .orderBy(`${other}_external_id`)
    .limit(limit)
    .execute();
}
