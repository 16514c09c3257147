// Storage operations core's file imports need.
export interface ImportPorts {
  /**
   * external id → metric id, for the given external ids that exist in the organization.
   * Called while the import's write transaction is open, so it must not wait for it.
   */
  metricIdsByExternalId(orgId: string, externalIds: string[]): Promise<Map<string, string>>;
}
