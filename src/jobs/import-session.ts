import type { Actor } from '../core/context.ts';
import type { WriteSession } from '../core/imports/batch-runner.ts';
import { withPointWriter } from '../core/points/write.ts';
import type { ImportPorts } from '../core/ports/imports.ts';
import type { Store } from '../store/database.ts';
import { createStorage } from '../store/storage.ts';

// What a file import runs on: the storage it looks metrics up in and the write path it
// writes through, both over one store (a job's pinned one).

export interface ImportSession {
  ports: ImportPorts;
  session: WriteSession;
}

export function importSession(store: Store, actor: Actor): ImportSession {
  const storage = createStorage(store);
  return {
    ports: storage,
    session: (mode, fn) => withPointWriter(storage, actor, fn, [], { validateOnly: mode === 'dry-run' }),
  };
}
