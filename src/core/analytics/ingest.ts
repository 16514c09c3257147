import { now } from '../clock.ts';
import type { Actor } from '../context.ts';
import { newId } from '../ids.ts';
import type { Storage } from '../ports/index.ts';
import { linkWrites } from './links.ts';
import type { AnalyticsMessage, EntityKind } from './message-types.ts';
import { type CheckedMessage, checkBatch } from './messages.ts';
import type {
  EntityRecord as EntityRow,
  EventRecord as EventRow,
  TraitHistoryRecord as TraitHistoryRow,
} from './records.ts';
import { emptyTraitState, mergeTraits, type TraitState, traitState } from './traits.ts';

// The one write path of analytics batches: validate the whole batch, then in one
// transaction drop the messages already applied (deduplication), merge entity traits, update
// links, append events and count them. Each step is one multi-row statement (or, on SQLite,
// one cached statement per row), whatever the batch holds. On a single-writer engine,
// batches that arrive together share a transaction (group commit); each is still applied
// all or nothing.

export interface IngestOptions {
  maxBatch: number;
  dedupWindowSeconds: number;
}

export interface IngestResult {
  received: number;
  applied: number;
  duplicates: number;
}

interface EntityMessage {
  message: AnalyticsMessage;
  at: string;
  kind: EntityKind;
  externalId: string;
}

// A small literal, not a spread of the checked message: this runs for every entity message.
function entityOf(c: CheckedMessage): EntityMessage | null {
  const m = c.message;
  switch (m.type) {
    case 'organization':
      return { message: m, at: c.at, kind: m.type, externalId: m.organizationId as string };
    case 'account':
      return { message: m, at: c.at, kind: m.type, externalId: m.accountId as string };
    case 'user':
      return { message: m, at: c.at, kind: m.type, externalId: m.userId as string };
    case 'custom_object_instance':
      return { message: m, at: c.at, kind: m.type, externalId: m.externalId as string };
    default:
      return null;
  }
}

const refKey = (kind: string, externalId: string) => `${kind}\u0000${externalId}`;

interface Tracked {
  row: EntityRow;
  traits: TraitState;
  dirty: boolean;
}

function blankEntity(orgId: string, kind: string, externalId: string, at: string): EntityRow {
  return {
    id: newId(),
    org_id: orgId,
    kind,
    external_id: externalId,
    name: null,
    custom_object_id: null,
    traits: '{}',
    trait_times: '{}',
    attrs_at: null,
    created_at: at,
    updated_at: at,
  };
}

const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));

// Entities this process has seen committed (organization, kind, external id). An entity is
// only ever removed with its organization, so one seen stays, and a batch naming only such
// entities needs no insert of stubs. Bounded: cleared when full.
const KNOWN_MAX = 200_000;
const known = new Set<string>();

/**
 * Where writers are concurrent: the entities named, created when new and all locked (in key
 * order), so two batches about one entity merge one after the other. New entities are
 * inserted first (as stubs) and every row is then read locked; when this process has seen
 * every one of them stored, the insert is skipped.
 */
async function lockedEntities(
  tx: Storage,
  orgId: string,
  sorted: { kind: string; external_id: string }[],
  receivedAt: string,
): Promise<EntityRow[]> {
  const keyOf = (r: { kind: string; external_id: string }) => `${orgId}\u0000${r.kind}\u0000${r.external_id}`;
  const stubs = (refs: { kind: string; external_id: string }[]) =>
    refs.map((r) => blankEntity(orgId, r.kind, r.external_id, receivedAt));
  if (sorted.every((r) => known.has(keyOf(r)))) {
    const rows = await tx.findEntitiesByRefs(orgId, sorted, { lock: true });
    if (rows.length === sorted.length) return rows;
    // Removed since it was seen (its organization's data deleted under this process): the
    // missing ones are created now, and locked after the others (out of key order, which
    // two such batches could deadlock on; PostgreSQL then fails one, and nothing of it is
    // stored).
    const found = new Set(rows.map(keyOf));
    const missing = sorted.filter((r) => !found.has(keyOf(r)));
    for (const r of missing) known.delete(keyOf(r));
    await tx.insertEntityStubs(stubs(missing));
    return [...rows, ...(await tx.findEntitiesByRefs(orgId, missing, { lock: true }))];
  }
  const created = stubs(sorted);
  await tx.insertEntityStubs(created);
  const rows = await tx.findEntitiesByRefs(orgId, sorted, { lock: true });
  // Only rows committed before this batch count as seen: a stub this batch inserted (its
  // id is ours) is not stored until the commit, which may not come.
  const ours = new Set(created.map((r) => r.id));
  if (known.size + rows.length > KNOWN_MAX) known.clear();
  for (const r of rows) if (!ours.has(r.id)) known.add(keyOf(r));
  return rows;
}

/**
 * The entities the messages name, read (and where writers are concurrent, created and
 * locked), with the messages' traits merged in: the rows to write and their history.
 */
async function mergeEntities(
  tx: Storage,
  orgId: string,
  messages: EntityMessage[],
  receivedAt: string,
): Promise<{ entities: EntityRow[]; traitHistory: TraitHistoryRow[] }> {
  if (messages.length === 0) return { entities: [], traitHistory: [] };
  const refs = new Map<string, { kind: string; external_id: string }>();
  for (const m of messages)
    refs.set(refKey(m.kind, m.externalId), { kind: m.kind, external_id: m.externalId });
  const sorted = [...refs.values()].sort((a, b) =>
    a.kind === b.kind ? (a.external_id < b.external_id ? -1 : 1) : a.kind < b.kind ? -1 : 1,
  );

  // A single-writer engine runs one batch at a time: it reads, and creates what is missing
  // with the write.
  const rows = tx.concurrentWriters
    ? await lockedEntities(tx, orgId, sorted, receivedAt)
    : await tx.findEntitiesByRefs(orgId, sorted, { lock: false });
  const tracked = new Map<string, Tracked>();
  for (const row of rows) {
    tracked.set(refKey(row.kind, row.external_id), {
      row,
      traits: traitState(row.traits, row.trait_times),
      dirty: false,
    });
  }
  const traitHistory = mergeMessages(tracked, orgId, messages, receivedAt);
  const dirty = [...tracked.values()].filter((t) => t.dirty);
  const entities = dirty.map((t) => ({
    ...t.row,
    traits: JSON.stringify(t.traits.traits),
    trait_times: JSON.stringify(t.traits.times),
    updated_at: receivedAt,
  }));
  return { entities, traitHistory };
}

/** Each message's traits merged into its entity (created when new), in message order; the changes as history rows. */
function mergeMessages(
  tracked: Map<string, Tracked>,
  orgId: string,
  messages: EntityMessage[],
  receivedAt: string,
): TraitHistoryRow[] {
  const history: TraitHistoryRow[] = [];
  for (const m of messages) {
    const key = refKey(m.kind, m.externalId);
    let t = tracked.get(key);
    if (!t) {
      t = {
        row: blankEntity(orgId, m.kind, m.externalId, receivedAt),
        traits: emptyTraitState(),
        dirty: true,
      };
      tracked.set(key, t);
    }
    const { changes, touched } = mergeTraits(t.traits, m.message.traits ?? {}, m.at);
    if (touched) t.dirty = true;
    for (const c of changes) {
      history.push({
        id: newId(),
        org_id: orgId,
        entity_id: t.row.id,
        trait_key: c.key,
        old_value: json(c.oldValue),
        new_value: json(c.newValue),
        changed_at: m.at,
        recorded_at: receivedAt,
        message_id: m.message.messageId ?? null,
      });
    }
    if (m.kind === 'custom_object_instance') applyInstanceFields(t, m.message, m.at);
  }
  return history;
}

/** A custom object instance's name and object are plain fields: the newest message sets them. */
function applyInstanceFields(t: Tracked, m: AnalyticsMessage, at: string): void {
  const row = t.row;
  if (row.attrs_at !== null && at < row.attrs_at) return;
  const name = m.name ?? row.name;
  const objectId = m.customObjectId ?? row.custom_object_id;
  if (name !== row.name || objectId !== row.custom_object_id || row.attrs_at !== at) {
    t.row = { ...row, name, custom_object_id: objectId, attrs_at: at };
    t.dirty = true;
  }
}

function eventRows(orgId: string, messages: CheckedMessage[], receivedAt: string): EventRow[] {
  const rows: EventRow[] = [];
  for (const c of messages) {
    const m = c.message;
    if (m.type !== 'track') continue;
    rows.push({
      id: newId(),
      org_id: orgId,
      user_id: m.userId as string,
      account_id: m.accountId ?? null,
      organization_id: m.organizationId ?? null,
      event: m.event as string,
      properties: JSON.stringify(m.properties ?? {}),
      occurred_at: c.at,
      day: c.at.slice(0, 10),
      message_id: m.messageId ?? null,
      received_at: receivedAt,
    });
  }
  return rows;
}

// Expired keys are deleted now and then, not on every batch: the claim already ignores
// them, so pruning only keeps the table small.
const PRUNE_EVERY_MS = 60_000;
const lastPrune = new Map<string, number>();

function pruneDue(orgId: string): boolean {
  const t = Date.now();
  if (t - (lastPrune.get(orgId) ?? 0) < PRUNE_EVERY_MS) return false;
  lastPrune.set(orgId, t);
  return true;
}

interface PendingBatch {
  orgId: string;
  checked: CheckedMessage[];
  receivedAt: string;
  /** Keys claimed before this time are outside the deduplication window. */
  cutoff: string;
}

async function applyBatch(tx: Storage, batch: PendingBatch): Promise<IngestResult> {
  const { orgId, checked, receivedAt, cutoff } = batch;
  const keys = [...new Set(checked.map((c) => c.key))];
  const fresh = await tx.claimMessageKeys(orgId, keys, receivedAt, cutoff);
  // A key repeated inside the batch applies once, at its first occurrence.
  const todo = checked.filter((c) => fresh.delete(c.key));
  const entityMessages: EntityMessage[] = [];
  for (const c of todo) {
    const e = entityOf(c);
    if (e) entityMessages.push(e);
  }
  // Where writers are concurrent, rows that many batches write (an organization's entity,
  // today's event counts) stay locked from their lock or write to the commit, so the batch
  // holds them for as few round trips as possible: its entities are locked (which also
  // makes batches about one entity move its links one after the other), then everything is
  // written by one statement: link moves and removals, links, events, entities, trait
  // history and counts.
  const { entities, traitHistory } = await mergeEntities(tx, orgId, entityMessages, receivedAt);
  const links = linkWrites(orgId, todo, receivedAt);
  const events = eventRows(orgId, todo, receivedAt);
  await tx.writeRecords(orgId, { ...links, events, entities, traitHistory, eventCounts: events });
  return { received: checked.length, applied: todo.length, duplicates: checked.length - todo.length };
}

export async function ingestBatch(
  storage: Storage,
  actor: Actor,
  messages: AnalyticsMessage[],
  opts: IngestOptions,
): Promise<IngestResult> {
  const receivedAt = now();
  const checked = checkBatch(messages, opts.maxBatch, receivedAt);
  if (checked.length === 0) return { received: 0, applied: 0, duplicates: 0 };
  const cutoff = new Date(Date.parse(receivedAt) - opts.dedupWindowSeconds * 1000).toISOString();
  const batch: PendingBatch = { orgId: actor.orgId, checked, receivedAt, cutoff };
  // One stable apply function: it keys the group of batches that share a commit.
  const result = await storage.writeGrouped(applyBatch, batch);
  // After the commit, in a statement of its own: inside the batch's transaction, a key it
  // deletes could be one another batch is refreshing while waiting for this one's locks.
  if (pruneDue(actor.orgId)) await storage.pruneMessageKeys(actor.orgId, cutoff);
  return result;
}
