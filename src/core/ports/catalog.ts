import type {
  DatasetChanges,
  DatasetRecord,
  DimensionRecord,
  MetricChanges,
  MetricFilter,
  MetricRecord,
  UpdateStamp,
} from '../catalog-types.ts';

// Storage operations core needs for datasets, metrics, dimensions. Every one is scoped by
// organization. Writes that hit the unique external_id index reject with DuplicateKey.
export interface CatalogPorts {
  insertDataset(row: DatasetRecord): Promise<void>;
  findDataset(orgId: string, id: string): Promise<DatasetRecord | undefined>;
  datasetExists(orgId: string, id: string): Promise<boolean>;
  /** Oldest first, after the given id. */
  listDatasetsAfter(orgId: string, after: string | undefined, limit: number): Promise<DatasetRecord[]>;
  listDatasetsOffset(orgId: string, offset: number, limit: number): Promise<DatasetRecord[]>;
  countDatasets(orgId: string): Promise<number>;
  updateDataset(orgId: string, id: string, changes: DatasetChanges, stamp: UpdateStamp): Promise<void>;
  /** False when there was no such dataset. */
  deleteDataset(orgId: string, id: string): Promise<boolean>;

  insertMetrics(metrics: MetricRecord[], dims: DimensionRecord[]): Promise<void>;
  findMetric(orgId: string, id: string): Promise<MetricRecord | undefined>;
  findMetricsByExternalIds(orgId: string, externalIds: string[]): Promise<MetricRecord[]>;
  findMetricsByIds(orgId: string, ids: string[]): Promise<MetricRecord[]>;
  listMetrics(orgId: string, filter: MetricFilter): Promise<MetricRecord[]>;
  countMetrics(orgId: string): Promise<number>;
  /** The dimensions of the given metrics, in position order. */
  listDimensions(orgId: string, metricIds: string[]): Promise<DimensionRecord[]>;
  updateMetric(orgId: string, id: string, changes: MetricChanges, stamp: UpdateStamp): Promise<void>;
  replaceDimensions(orgId: string, metricId: string, dims: DimensionRecord[]): Promise<void>;
  /** Deletes the metric with its points and revisions; false when there was no such metric. */
  deleteMetric(orgId: string, id: string): Promise<boolean>;
}
