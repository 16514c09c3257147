// Limits of the definitions API, from the Dcycle seed (they hold for every API, since a
// dataset is the same thing whichever API created it).
export const LIMITS = Object.freeze({
  nameMax: 255,
  descriptionMax: 2000,
  kpisPerDataset: 100,
  unitMax: 50,
  externalIdMax: 255,
  dimensionsPerMetric: 16,
  pageSizeMax: 100,
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
