import type { CatalogPorts } from '../../core/ports/index.ts';
import * as datasets from '../datasets.ts';
import * as metrics from '../metrics.ts';
import { uniqueToDuplicateKey } from './duplicate-key.ts';
import type { RepositoryHandle } from './handle.ts';

// core's CatalogPorts over the store's queries. The rows match core's records as they are.
export function catalogRepositories(h: RepositoryHandle): CatalogPorts {
  const { db } = h;
  return {
    insertDataset: (row) => datasets.insertDataset(db, row),
    findDataset: (orgId, id) => datasets.findDataset(db, orgId, id),
    datasetExists: (orgId, id) => datasets.datasetExists(db, orgId, id),
    listDatasetsAfter: (orgId, after, limit) => datasets.listDatasetsAfter(db, orgId, after, limit),
    listDatasetsOffset: (orgId, offset, limit) => datasets.listDatasetsOffset(db, orgId, offset, limit),
    countDatasets: (orgId) => datasets.countDatasets(db, orgId),
    updateDataset: (orgId, id, changes, stamp) => datasets.updateDataset(db, orgId, id, changes, stamp),
    deleteDataset: (orgId, id) => datasets.deleteDataset(db, orgId, id),

    insertMetrics: (rows, dims) => metrics.insertMetrics(db, rows, dims).catch(uniqueToDuplicateKey),
    findMetric: (orgId, id) => metrics.findMetric(db, orgId, id),
    findMetricsByExternalIds: (orgId, ids) => metrics.findMetricsByExternalIds(db, orgId, ids),
    findMetricsByIds: (orgId, ids) => metrics.findMetricsByIds(db, orgId, ids),
    listMetrics: (orgId, filter) => metrics.listMetrics(db, orgId, filter),
    countMetrics: (orgId) => metrics.countMetrics(db, orgId),
    listDimensions: (orgId, ids) => metrics.listDimensions(db, orgId, ids),
    updateMetric: (orgId, id, changes, stamp) =>
      metrics.updateMetric(db, orgId, id, changes, stamp).catch(uniqueToDuplicateKey),
    replaceDimensions: (orgId, id, dims) => metrics.replaceDimensions(db, orgId, id, dims),
    deleteMetric: (orgId, id) => metrics.deleteMetric(db, orgId, id),
  };
}
