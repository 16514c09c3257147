import { CSRF_HEADER } from './client';

// API keys (/v1/api-keys): typed here by the agreed contract until the server routes land
// in the OpenAPI document (then schema.d.ts types them and these become api.GET/POST/DELETE
// calls). Until then the Admin page asks whether the routes exist and says so if not.

export type KeyScope = 'read' | 'write' | 'admin';
export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: KeyScope[];
  created_at: string;
  created_by: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}
export type NewApiKey = ApiKey & { secret: string };

const call = (method: string, path: string, body?: unknown) =>
  fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { [CSRF_HEADER]: '1', ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });

/** The keys, or null when this server has no key routes. */
export async function listKeys(): Promise<ApiKey[] | null> {
  const res = await call('GET', '/v1/api-keys?limit=100');
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(((await res.json()) as { detail?: string }).detail ?? res.statusText);
  return ((await res.json()) as { items: ApiKey[] }).items;
}

export async function createKey(name: string, scopes: KeyScope[]): Promise<NewApiKey> {
  const res = await call('POST', '/v1/api-keys', { name, scopes });
  if (!res.ok) throw new Error(((await res.json()) as { detail?: string }).detail ?? res.statusText);
  return (await res.json()) as NewApiKey;
}

export async function revokeKey(id: string): Promise<void> {
  const res = await call('DELETE', `/v1/api-keys/${encodeURIComponent(id)}`);
  if (!res.ok) throw new Error(((await res.json()) as { detail?: string }).detail ?? res.statusText);
}
