// The database as Kysely sees it. Each area declares its own tables in src/store/tables/;
// this file only composes them.
import type { AnalyticsTables } from './tables/analytics.ts';
import type { FoundationTables } from './tables/foundation.ts';
import type { JobTables } from './tables/jobs.ts';
import type { PointTables } from './tables/points.ts';
import type { RollupTables } from './tables/rollups.ts';
import type { SessionTables } from './tables/sessions.ts';

export interface DB
  extends FoundationTables,
    PointTables,
    JobTables,
    AnalyticsTables,
    RollupTables,
    SessionTables {}
