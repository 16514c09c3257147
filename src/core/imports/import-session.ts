import type { Actor } from '../context.ts';
import { withPointWriter } from '../points/write.ts';
import type { ImportPorts } from '../ports/imports.ts';
import type { Storage } from '../ports/index.ts';
import type { WriteSession } from './batch-runner.ts';

// What a file import runs on: the storage it looks metrics up in and the write path it
// writes through. A job writes over its own connection and, where the engine has another
// (`lookups`: PostgreSQL's pool), looks metrics up beside it: a lookup made on the write connection
// waits behind the stage insert in flight there, so each chunk of a file grouped by metric
// (one new metric a chunk) had Node wait for PostgreSQL, then PostgreSQL for Node (issue 14).

export interface ImportSession {
  ports: ImportPorts;
  session: WriteSession;
}

export function importSession(storage: Storage, actor: Actor, lookups?: Storage): ImportSession {
  return {
    ports: lookups ?? storage,
    session: (mode, fn) =>
      withPointWriter(storage, actor, fn, [], { validateOnly: mode === 'dry-run', lookups }),
  };
}
