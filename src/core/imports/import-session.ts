import type { Actor } from '../context.ts';
import { withPointWriter } from '../points/write.ts';
import type { ImportPorts } from '../ports/imports.ts';
import type { Storage } from '../ports/index.ts';
import type { WriteSession } from './batch-runner.ts';

// What a file import runs on: the storage it looks metrics up in and the write path it
// writes through, both over one Storage (a job's own connection).

export interface ImportSession {
  ports: ImportPorts;
  session: WriteSession;
}

export function importSession(storage: Storage, actor: Actor): ImportSession {
  return {
    ports: storage,
    session: (mode, fn) => withPointWriter(storage, actor, fn, [], { validateOnly: mode === 'dry-run' }),
  };
}
