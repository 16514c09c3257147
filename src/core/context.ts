// Who is acting, for which organization, and through which request or job. Every core
// service takes one; every query it runs is filtered by `orgId`.

export type Scope = 'read' | 'write' | 'admin';

export interface Actor {
  readonly orgId: string;
  /** Recorded as created_by / updated_by: the x-user-id header when sent, else the key id. */
  readonly actor: string;
  readonly keyId: string;
  readonly scopes: readonly Scope[];
  readonly requestId?: string;
  readonly jobId?: string;
}
