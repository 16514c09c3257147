import type { Kysely } from 'kysely';
import { findMetricsByIds, listDimensions } from '../../store/metrics.ts';
import type { DB } from '../../store/schema.ts';
import { isUuid } from '../ids.ts';
import { type Metric, toMetrics } from '../metrics.ts';

/** Metrics a write touches, loaded once per writer (a big file references few metrics). */
export class MetricCache {
  private readonly metrics = new Map<string, Metric | null>();

  constructor(
    private readonly db: Kysely<DB>,
    private readonly orgId: string,
  ) {}

  /** Metrics the caller already loaded (e.g. to answer 404 for a URL's metric). */
  seed(metrics: Metric[]): void {
    for (const m of metrics) if (m.org_id === this.orgId) this.metrics.set(m.id, m);
  }

  async load(ids: Iterable<string>): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.metrics.has(id));
    if (missing.length === 0) return;
    // An id that is no uuid names no metric (and PostgreSQL would reject it as a uuid value).
    const rows = await findMetricsByIds(this.db, this.orgId, missing.filter(isUuid));
    const dims = rows.length
      ? await listDimensions(
          this.db,
          this.orgId,
          rows.map((r) => r.id),
        )
      : [];
    for (const m of toMetrics(rows, dims)) this.metrics.set(m.id, m);
    for (const id of missing) if (!this.metrics.has(id)) this.metrics.set(id, null);
  }

  get(id: string): Metric | null {
    return this.metrics.get(id) ?? null;
  }
}
