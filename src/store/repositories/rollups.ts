import type { RollupPorts } from '../../core/ports/index.ts';
import {
  clearRollupMarks,
  latestRollupMarks,
  latestRollups,
  markMetricRollups,
  metricActivity,
  monthPoints,
  noteMetricActivity,
  quietRollupMarks,
  readRollups,
  replaceMonthRollups,
  replaceYearRollups,
  rollupCoordinates,
  rollupMarks,
} from '../rollups.ts';
import type { RepositoryHandle } from './handle.ts';

// core's RollupPorts over the store's queries.
export function rollupRepositories(h: RepositoryHandle): RollupPorts {
  const { store, db } = h;
  return {
    rollupMarks: (orgId, metricIds, range) => rollupMarks(db, orgId, metricIds, range),
    latestRollupMarks: (orgId, metricIds) => latestRollupMarks(db, orgId, metricIds),
    quietRollupMarks: (quietBefore, limit) => quietRollupMarks(db, quietBefore, limit),
    markMetricRollups: (orgId, metricId, at) => markMetricRollups(store, db, orgId, metricId, at),
    monthPoints: (orgId, metricId, from, to) => monthPoints(db, orgId, metricId, from, to),
    noteMetricActivity: (a) => noteMetricActivity(db, a),
    metricActivity: (orgId, metricIds) => metricActivity(db, orgId, metricIds),
    latestRollups: (orgId, metricId, level, columns, limit) =>
      latestRollups(db, orgId, metricId, level, columns, limit),
    replaceMonthRollups: (orgId, metricId, month, rows, coords) =>
      replaceMonthRollups(store, db, orgId, metricId, month, rows, coords),
    replaceYearRollups: (orgId, metricId, years, rows) =>
      replaceYearRollups(store, db, orgId, metricId, years, rows),
    clearRollupMarks: (marks) => clearRollupMarks(db, marks),
    readRollups: (orgId, metricId, f) => readRollups(store, db, orgId, metricId, f),
    rollupCoordinates: (orgId, metricId) => rollupCoordinates(db, orgId, metricId),
  };
}
