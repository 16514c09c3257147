// Storage operations core needs for organizations, API keys, idempotency records.
// biome-ignore lint/suspicious/noEmptyInterface: filled as core moves onto ports (issue 11).
export interface AccessPorts {}
