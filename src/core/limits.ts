// Limits of the definitions API, from the Dcycle seed (they hold for every API, since a
// dataset is the same thing whichever API created it).
export const LIMITS = Object.freeze({
  nameMax: 255,
  descriptionMax: 2000,
  kpisPerDataset: 100,
  unitMax: 50,
  externalIdMax: 255,
  dimensionsPerMetric: 16,
  /** Dcycle's page size (its documented maximum). */
  pageSizeMax: 100,
  /** The native API's cursor-paged lists: a reader (a dashboard, an export) takes up to 1,000 a page. */
  listPageSizeMax: 1_000,
  /** Highest page number of the page-numbered lists (Visible, Dcycle): keeps the offset small. */
  pageMax: 1_000_000,
  /** sort_order is an `integer` column: PostgreSQL's int4 holds no more. */
  sortOrderMax: 2_147_483_647,
});

export const VALUE_TYPES = [
  'number',
  'percentage',
  'currency',
  'integer',
  'text',
  'date',
  'boolean',
] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

export const FREQUENCIES = ['daily', 'weekly', 'monthly', 'quarterly', 'yearly'] as const;
export type Frequency = (typeof FREQUENCIES)[number];
