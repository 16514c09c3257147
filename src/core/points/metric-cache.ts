import { NotFound } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { type Metric, withDimensions } from '../metrics.ts';
import type { Storage } from '../ports/index.ts';

/** Metrics a write touches, loaded once per writer (a big file references few metrics). */
export class MetricCache {
  private readonly metrics = new Map<string, Metric | null>();

  constructor(
    private readonly storage: Storage,
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
    for (const m of await metricsOf(this.storage, this.orgId, missing)) this.metrics.set(m.id, m);
    for (const id of missing) if (!this.metrics.has(id)) this.metrics.set(id, null);
  }

  get(id: string): Metric | null {
    return this.metrics.get(id) ?? null;
  }
}

/** The organization's metrics among `ids`, with their dimensions; ids that are no uuid name none. */
function metricsOf(storage: Storage, orgId: string, ids: string[]): Promise<Metric[]> {
  const valid = ids.filter(isUuid);
  return valid.length === 0
    ? Promise.resolve([])
    : storage.findMetricsByIds(orgId, valid).then((rows) => withDimensions(storage, rows));
}

/** One metric of the organization, with its dimensions; NotFound when it has none by that id. */
export async function pointMetric(storage: Storage, orgId: string, id: string): Promise<Metric> {
  const [metric] = await metricsOf(storage, orgId, [id]);
  if (!metric) throw new NotFound('metric');
  return metric;
}
