import type { Kysely } from 'kysely';
import { rowChunks } from './row-chunks.ts';
import type { DB } from './schema.ts';

// Analytics entities, their links and their trait history. Every write is one multi-row
// statement per kind of change (a batch of 100 messages costs a handful of round trips).

export type EntityRow = DB['analytics_entities'];
export type LinkRow = DB['analytics_links'];
export type TraitHistoryRow = DB['analytics_trait_history'];
export interface EntityRef {
  kind: string;
  external_id: string;
}
export type LinkRef = Omit<LinkRow, 'org_id' | 'created_at'>;

const ENTITY_COLUMNS = 11;

/** Creates the entities that do not exist yet, leaving existing ones untouched. */
export async function insertEntityStubs(db: Kysely<DB>, rows: EntityRow[], maxParams: number): Promise<void> {
  for (const part of rowChunks(rows, ENTITY_COLUMNS, maxParams)) {
    await db
      .insertInto('analytics_entities')
      .values(part)
      .onConflict((oc) => oc.columns(['org_id', 'kind', 'external_id']).doNothing())
      .execute();
  }
}

/**
 * The entities named by `refs`, in key order. With `lock`, their rows stay locked until the
 * transaction ends (engines with concurrent writers), so a concurrent batch cannot merge
 * traits from a stale read.
 */
export async function findEntitiesByRefs(
  db: Kysely<DB>,
  orgId: string,
  refs: EntityRef[],
  opts: { lock: boolean; maxParams: number },
): Promise<EntityRow[]> {
  const out: EntityRow[] = [];
  for (const part of rowChunks(refs, 2, opts.maxParams)) {
    let q = db
      .selectFrom('analytics_entities')
      .selectAll()
      .where('org_id', '=', orgId)
      .where((eb) =>
        eb(
          eb.refTuple('kind', 'external_id'),
          'in',
          part.map((r) => eb.tuple(r.kind, r.external_id)),
        ),
      )
      .orderBy('kind')
      .orderBy('external_id');
    if (opts.lock) q = q.forUpdate();
    out.push(...(await q.execute()));
  }
  return out;
}

/** Writes merged entities: inserts new ones, overwrites the mutable columns of existing ones. */
export async function upsertEntities(db: Kysely<DB>, rows: EntityRow[], maxParams: number): Promise<void> {
  for (const part of rowChunks(rows, ENTITY_COLUMNS, maxParams)) {
    await db
      .insertInto('analytics_entities')
      .values(part)
      .onConflict((oc) =>
        oc.columns(['org_id', 'kind', 'external_id']).doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          custom_object_id: eb.ref('excluded.custom_object_id'),
          traits: eb.ref('excluded.traits'),
          trait_times: eb.ref('excluded.trait_times'),
          attrs_at: eb.ref('excluded.attrs_at'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
}

export async function insertTraitHistory(
  db: Kysely<DB>,
  rows: TraitHistoryRow[],
  maxParams: number,
): Promise<void> {
  for (const part of rowChunks(rows, 9, maxParams)) {
    await db.insertInto('analytics_trait_history').values(part).execute();
  }
}

/**
 * For children with one parent of a kind (an account's organization): removes the links to
 * any other parent of that kind than the one given.
 */
export async function deleteOtherParents(db: Kysely<DB>, orgId: string, links: LinkRef[]): Promise<void> {
  for (const part of rowChunks(links, 4, 2000)) {
    await db
      .deleteFrom('analytics_links')
      .where('org_id', '=', orgId)
      .where((eb) =>
        eb.or(
          part.map((l) =>
            eb.and([
              eb('child_kind', '=', l.child_kind),
              eb('child_external_id', '=', l.child_external_id),
              eb('parent_kind', '=', l.parent_kind),
              eb('parent_external_id', '<>', l.parent_external_id),
            ]),
          ),
        ),
      )
      .execute();
  }
}

export async function deleteLinks(
  db: Kysely<DB>,
  orgId: string,
  links: LinkRef[],
  maxParams: number,
): Promise<void> {
  for (const part of rowChunks(links, 4, maxParams)) {
    await db
      .deleteFrom('analytics_links')
      .where('org_id', '=', orgId)
      .where((eb) =>
        eb(
          eb.refTuple('child_kind', 'child_external_id', 'parent_kind', 'parent_external_id'),
          'in',
          part.map((l) => eb.tuple(l.child_kind, l.child_external_id, l.parent_kind, l.parent_external_id)),
        ),
      )
      .execute();
  }
}

export async function insertLinks(db: Kysely<DB>, rows: LinkRow[], maxParams: number): Promise<void> {
  for (const part of rowChunks(rows, 6, maxParams)) {
    await db
      .insertInto('analytics_links')
      .values(part)
      .onConflict((oc) =>
        oc
          .columns(['org_id', 'child_kind', 'child_external_id', 'parent_kind', 'parent_external_id'])
          .doNothing(),
      )
      .execute();
  }
}

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
