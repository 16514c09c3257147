// Storage operations core needs for datasets, metrics, dimensions.
// biome-ignore lint/suspicious/noEmptyInterface: filled as core moves onto ports (issue 11).
export interface CatalogPorts {}
