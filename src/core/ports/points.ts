// Storage operations core needs for data points, revisions, write transactions, imports' metric lookups.
// biome-ignore lint/suspicious/noEmptyInterface: filled as core moves onto ports (issue 11).
export interface PointPorts {}
