import type { ImportPorts } from '../ports/imports.ts';

/**
 * Metric ids by external id for one import: each chunk of rows asks only for the external
 * ids it has not seen, so a 1M-row file that names a handful of metrics costs a handful
 * of lookups. The cache is bounded: a file naming more metrics than that starts afresh.
 */
export class MetricResolver {
  private readonly cache = new Map<string, string | null>();

  constructor(
    private readonly ports: ImportPorts,
    private readonly orgId: string,
    private readonly maxCached = 100_000,
  ) {}

  /** Looks up every external id of a chunk not yet known. */
  async load(externalIds: Iterable<string>): Promise<void> {
    const wanted = new Set(externalIds);
    let missing = [...wanted].filter((id) => !this.cache.has(id));
    if (missing.length === 0) return;
    if (this.cache.size + missing.length > this.maxCached) {
      this.cache.clear();
      missing = [...wanted];
    }
    const found = await this.ports.metricIdsByExternalId(this.orgId, missing);
    for (const id of missing) this.cache.set(id, found.get(id) ?? null);
  }

  /** The metric id of a loaded external id; null when no metric of the organization has it. */
  get(externalId: string): string | null {
    return this.cache.get(externalId) ?? null;
  }
}
