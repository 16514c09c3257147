// Storage operations core needs for jobs, job payloads, webhooks (as core sees them).
// biome-ignore lint/suspicious/noEmptyInterface: filled as core moves onto ports (issue 11).
export interface JobPorts {}
