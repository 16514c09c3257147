import type { Kysely } from 'kysely';
import type { Store } from './database.ts';
import { rowChunks } from './row-chunks.ts';
import type { DB } from './schema.ts';
import { prepared, runEach } from './sqlite-statements.ts';

// Analytics entities, their links and their trait history. Writes take the store for its
// capabilities: on SQLite (synchronous driver) one cached statement runs per row; elsewhere
// each kind of change is one multi-row statement (a few round trips per batch).

export type EntityRow = DB['analytics_entities'];
export type LinkRow = DB['analytics_links'];
export type TraitHistoryRow = DB['analytics_trait_history'];
export interface EntityRef {
  kind: string;
  external_id: string;
}
export type LinkRef = Omit<LinkRow, 'org_id' | 'created_at'>;

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
const LINK_COLUMNS = [
  'org_id',
  'child_kind',
  'child_external_id',
  'parent_kind',
  'parent_external_id',
  'created_at',
] as const;
const LINK_KEY = '(org_id, child_kind, child_external_id, parent_kind, parent_external_id)';

/** Creates the entities that do not exist yet, leaving existing ones untouched. */
export async function insertEntityStubs(store: Store, db: Kysely<DB>, rows: EntityRow[]): Promise<void> {
  for (const part of rowChunks(rows, ENTITY_COLUMNS.length, store.caps.maxParams)) {
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
 * traits from a stale read. One query per kind: `kind = ? and external_id in (...)` is a
 * range of the unique index on both engines (a row-value IN is not, on SQLite).
 */
export async function findEntitiesByRefs(
  store: Store,
  db: Kysely<DB>,
  orgId: string,
  refs: EntityRef[],
  opts: { lock: boolean },
): Promise<EntityRow[]> {
  const out: EntityRow[] = [];
  if (store.caps.syncDriver) {
    const one = prepared(
      store,
      'select * from analytics_entities where org_id = ? and kind = ? and external_id = ?',
    );
    for (const r of refs) {
      const row = one.get(orgId, r.kind, r.external_id) as EntityRow | undefined;
      if (row) out.push(row);
    }
    return out;
  }
  for (const [kind, ids] of groupBy(
    refs,
    (r) => r.kind,
    (r) => r.external_id,
  )) {
    for (const part of rowChunks(ids, 1, store.caps.maxParams)) {
      let q = db
        .selectFrom('analytics_entities')
        .selectAll()
        .where('org_id', '=', orgId)
        .where('kind', '=', kind)
        .where('external_id', 'in', part)
        .orderBy('external_id');
      if (opts.lock) q = q.forUpdate();
      out.push(...(await q.execute()));
    }
  }
  return out;
}

/** Groups values by key, keys in sorted order (a stable lock order). */
function groupBy<T, V>(items: T[], key: (t: T) => string, value: (t: T) => V): [string, V[]][] {
  const groups = new Map<string, V[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(value(item));
    else groups.set(k, [value(item)]);
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
}

/** Writes merged entities: inserts new ones, overwrites the mutable columns of existing ones. */
export async function upsertEntities(store: Store, db: Kysely<DB>, rows: EntityRow[]): Promise<void> {
  if (store.caps.syncDriver) {
    const tail = `on conflict (org_id, kind, external_id) do update set ${MUTABLE.map((c) => `${c} = excluded.${c}`).join(', ')}`;
    return runEach(store, 'analytics_entities', ENTITY_COLUMNS, rows, tail);
  }
  for (const part of rowChunks(rows, ENTITY_COLUMNS.length, store.caps.maxParams)) {
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
  store: Store,
  db: Kysely<DB>,
  rows: TraitHistoryRow[],
): Promise<void> {
  if (store.caps.syncDriver) {
    return runEach(store, 'analytics_trait_history', HISTORY_COLUMNS, rows);
  }
  for (const part of rowChunks(rows, HISTORY_COLUMNS.length, store.caps.maxParams)) {
    await db.insertInto('analytics_trait_history').values(part).execute();
  }
}

/**
 * For children with one parent of a kind (an account's organization): removes the links to
 * any other parent of that kind than the one given. Grouped by (child kind, parent kind) so
 * each statement is a range of the primary key.
 */
export async function deleteOtherParents(
  store: Store,
  db: Kysely<DB>,
  orgId: string,
  links: LinkRef[],
): Promise<void> {
  if (store.caps.syncDriver) return deleteEachLink(store, orgId, links, '<>');
  for (const [, group] of groupBy(
    links,
    (l) => `${l.child_kind}\u0000${l.parent_kind}`,
    (l) => l,
  )) {
    for (const part of rowChunks(group, 3, store.caps.maxParams)) {
      await db
        .deleteFrom('analytics_links')
        .where('org_id', '=', orgId)
        .where('child_kind', '=', part[0].child_kind)
        .where('parent_kind', '=', part[0].parent_kind)
        .where(
          'child_external_id',
          'in',
          part.map((l) => l.child_external_id),
        )
        .where((eb) =>
          eb.not(
            eb(
              eb.refTuple('child_external_id', 'parent_external_id'),
              'in',
              part.map((l) => eb.tuple(l.child_external_id, l.parent_external_id)),
            ),
          ),
        )
        .execute();
    }
  }
}

/** SQLite: one primary-key lookup per link, for the parent named (`=`) or any other (`<>`). */
function deleteEachLink(store: Store, orgId: string, links: LinkRef[], parent: '=' | '<>'): void {
  const one = prepared(
    store,
    `delete from analytics_links where org_id = ? and child_kind = ? and child_external_id = ?
     and parent_kind = ? and parent_external_id ${parent} ?`,
  );
  for (const l of links)
    one.run(orgId, l.child_kind, l.child_external_id, l.parent_kind, l.parent_external_id);
}

/** One OR branch of equalities per link: SQLite answers it as one primary-key lookup each. */
export async function deleteLinks(
  store: Store,
  db: Kysely<DB>,
  orgId: string,
  links: LinkRef[],
): Promise<void> {
  if (store.caps.syncDriver) return deleteEachLink(store, orgId, links, '=');
  for (const part of rowChunks(links, 4, Math.min(store.caps.maxParams, 2000))) {
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
              eb('parent_external_id', '=', l.parent_external_id),
            ]),
          ),
        ),
      )
      .execute();
  }
}

export async function insertLinks(store: Store, db: Kysely<DB>, rows: LinkRow[]): Promise<void> {
  if (store.caps.syncDriver) {
    return runEach(store, 'analytics_links', LINK_COLUMNS, rows, `on conflict ${LINK_KEY} do nothing`);
  }
  for (const part of rowChunks(rows, LINK_COLUMNS.length, store.caps.maxParams)) {
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
