import type { ApiKeyRecord, Organization } from '../../core/access-types.ts';
import type { DatasetRecord, DimensionRecord, MetricRecord } from '../../core/catalog-types.ts';

// The foundation tables as Kysely sees them (rows as the store reads and writes them);
// their columns are created by migrations/0001-foundation.ts. Rows core also works with are
// declared once, in core.

export interface FoundationTables {
  organizations: Organization;
  api_keys: ApiKeyRecord;
  datasets: DatasetRecord;
  metrics: MetricRecord;
  dimensions: DimensionRecord;
}
