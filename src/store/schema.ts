// The database as Kysely sees it. Each feature declares its own tables beside its
// migration; this file only composes them.
import type { FoundationTables } from './migrations/0001-foundation.ts';

export interface DB extends FoundationTables {}
