import type { SessionRecord } from '../../core/access-types.ts';

// The sessions table as Kysely sees it; its columns are created by migrations/0007-sessions.ts.

export interface SessionTables {
  sessions: SessionRecord;
}
