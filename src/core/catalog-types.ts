// The catalog as storage holds it: datasets, metrics and their dimensions, one record per
// stored row. Booleans are 0/1 and enums are text here; core's Metric (metrics.ts) is the
// typed view built from these.

export interface DatasetRecord {
  id: string;
  org_id: string;
  name: string;
  description: string | null;
  created_at: string;
  updated_at: string;
  created_by: string | null;
  updated_by: string | null;
}

export interface MetricRecord {
  id: string;
  org_id: string;
  dataset_id: string | null;
  name: string;
  description: string | null;
  unit: string | null;
  value_type: string;
  frequency: string | null;
  /** 0 or 1. */
  required: number;
  sort_order: number;
  external_id: string | null;
  created_at: string;
  updated_at: string;
  created_by: string | null;
  updated_by: string | null;
}

export interface DimensionRecord {
  id: string;
  org_id: string;
  metric_id: string;
  name: string;
  position: number;
}

/** Who changed a row last, and when: written with every update. */
export interface UpdateStamp {
  updated_at: string;
  updated_by: string | null;
}

/** What an update may change; ids, organization and audit fields are the server's. */
export type DatasetChanges = Partial<Pick<DatasetRecord, 'name' | 'description'>>;

/**
 * What a metric update may change. Not the dataset: a metric never moves between datasets
 * (its values and revisions go with its dataset), nor ids, organization or audit fields.
 */
export type MetricChanges = Partial<
  Pick<
    MetricRecord,
    'name' | 'description' | 'unit' | 'value_type' | 'frequency' | 'required' | 'sort_order' | 'external_id'
  >
>;

export interface MetricFilter {
  datasetIds?: string[];
  /** Id after which to start (cursor paging). */
  after?: string;
  limit: number;
  offset?: number;
}
