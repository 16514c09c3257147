// Storage operations core needs for Vitally analytics: entities, traits, links, events.
// biome-ignore lint/suspicious/noEmptyInterface: filled as core moves onto ports (issue 11).
export interface AnalyticsPorts {}
