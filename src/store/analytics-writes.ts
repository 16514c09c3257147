import type { Kysely } from 'kysely';
import type { AnalyticsWrites } from '../core/ports/analytics.ts';
import { ENTITIES, TRAIT_HISTORY } from './analytics-entities.ts';
import { COUNTS, EVENTS, eventCountRows } from './analytics-events.ts';
import { LINKS } from './analytics-links.ts';
import type { Store } from './database.ts';
import type { DB } from './schema.ts';

// What an analytics batch writes at one point of its transaction, as one statement where the
// engine can (EngineOps.insertRowsTogether: there the parts run in no set order, which is why
// no part may depend on another's rows; elsewhere the link deletes first, then the inserts in
// the order of AnalyticsWrites' fields). No link the deletes remove is one the batch inserts:
// the batch's net changes (core/analytics/links.ts) keep them apart.
export function writeRecords(store: Store, db: Kysely<DB>, orgId: string, w: AnalyticsWrites): Promise<void> {
  const { queries } = store.engine;
  const deletes = [
    ...(w.linkMoves?.length ? queries.deleteOtherParents(orgId, w.linkMoves) : []),
    ...(w.linkRemoves?.length ? queries.deleteLinks(orgId, w.linkRemoves) : []),
  ];
  return store.engine.insertRowsTogether(
    db,
    [
      { spec: LINKS, rows: w.links ?? [] },
      { spec: EVENTS, rows: w.events ?? [] },
      { spec: ENTITIES, rows: w.entities ?? [] },
      { spec: TRAIT_HISTORY, rows: w.traitHistory ?? [] },
      { spec: COUNTS, rows: w.eventCounts ? eventCountRows(w.eventCounts) : [] },
    ],
    deletes,
  );
}
