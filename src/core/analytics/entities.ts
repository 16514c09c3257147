import { NotFound } from '../errors.ts';
import { decodeCursor, type Page, toPage } from '../paging.ts';
import type { Storage } from '../ports/index.ts';
import type { EntityKind, JsonObject } from './message-types.ts';
import type { EntityRecord } from './records.ts';

// Reading analytics entities: a page of them, or one with its links and trait history.

export interface Entity {
  id: string;
  type: EntityKind;
  external_id: string;
  /** Custom object instances only. */
  name: string | null;
  custom_object_id: string | null;
  traits: JsonObject;
  created_at: string;
  updated_at: string;
}

export interface LinkedEntity {
  type: EntityKind;
  external_id: string;
  linked_at: string;
}

export interface TraitChangeView {
  key: string;
  /** null when the key was absent before. */
  old_value: unknown;
  /** null when the change removed the key (see `removed`). */
  new_value: unknown;
  removed: boolean;
  changed_at: string;
  recorded_at: string;
  message_id: string | null;
}

export interface EntityDetail extends Entity {
  /** Per trait key, the timestamp of the message that last set (or removed) it. */
  trait_timestamps: Record<string, string>;
  links: { parents: LinkedEntity[]; children: LinkedEntity[] };
  trait_history: TraitChangeView[];
}

/** Most links of each direction returned with one entity. */
export const LINKS_MAX = 1000;

function toEntity(row: EntityRecord): Entity {
  return {
    id: row.id,
    type: row.kind as EntityKind,
    external_id: row.external_id,
    name: row.name,
    custom_object_id: row.custom_object_id,
    traits: JSON.parse(row.traits),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

const parsed = (v: string | null) => (v === null ? null : JSON.parse(v));

export async function listEntities(
  storage: Storage,
  orgId: string,
  opts: { type?: EntityKind; cursor?: string; limit: number },
): Promise<Page<Entity>> {
  const rows = await storage.listEntities(orgId, {
    kind: opts.type,
    after: decodeCursor(opts.cursor),
    limit: opts.limit + 1,
  });
  const page = toPage(rows, opts.limit);
  return { items: page.items.map(toEntity), next_cursor: page.next_cursor };
}

export async function getEntity(
  storage: Storage,
  orgId: string,
  type: EntityKind,
  externalId: string,
  opts: { historyLimit: number },
): Promise<EntityDetail> {
  const row = await storage.findEntity(orgId, type, externalId);
  if (!row) throw new NotFound('entity');
  const ref = { kind: type, external_id: externalId };
  const [parents, children, history] = await Promise.all([
    storage.listLinks(orgId, ref, 'parents', LINKS_MAX),
    storage.listLinks(orgId, ref, 'children', LINKS_MAX),
    storage.listTraitHistory(orgId, row.id, opts.historyLimit),
  ]);
  const link = (l: { kind: string; external_id: string; created_at: string }) => ({
    type: l.kind as EntityKind,
    external_id: l.external_id,
    linked_at: l.created_at,
  });
  return {
    ...toEntity(row),
    trait_timestamps: JSON.parse(row.trait_times),
    links: { parents: parents.map(link), children: children.map(link) },
    trait_history: history.map((h) => ({
      key: h.trait_key,
      old_value: parsed(h.old_value),
      new_value: parsed(h.new_value),
      removed: h.new_value === null,
      changed_at: h.changed_at,
      recorded_at: h.recorded_at,
      message_id: h.message_id,
    })),
  };
}
