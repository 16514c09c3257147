// The database as Kysely sees it. Each feature declares its own tables beside its
// migration; this file only composes them.
import type { FoundationTables } from './migrations/0001-foundation.ts';
import type { PointTables } from './migrations/0002-points.ts';
import type { JobTables } from './migrations/0003-jobs.ts';
import type { AnalyticsTables } from './migrations/0004-analytics.ts';

export interface DB extends FoundationTables, PointTables, JobTables, AnalyticsTables {}
