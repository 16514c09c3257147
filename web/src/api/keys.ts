import { api, problemText, type Schemas } from './client';

// API keys (/v1/api-keys, admin scope), through the generated client.

export type ApiKey = Schemas['ApiKey'];
export type NewApiKey = Schemas['NewApiKey'];
export type KeyScope = ApiKey['scopes'][number];

/** Every key of the organization, the revoked ones too (they show when and that they were). */
export async function listKeys(): Promise<ApiKey[]> {
  const keys: ApiKey[] = [];
  let cursor: string | undefined;
  do {
    const { data, error } = await api.GET('/v1/api-keys', {
      params: { query: { limit: 200, include_revoked: true, cursor } },
    });
    if (!data) throw new Error(problemText(error));
    keys.push(...data.items);
    cursor = data.next_cursor ?? undefined;
  } while (cursor);
  return keys;
}

export async function createKey(name: string, scopes: KeyScope[]): Promise<NewApiKey> {
  const { data, error } = await api.POST('/v1/api-keys', { body: { name, scopes } });
  if (!data) throw new Error(problemText(error));
  return data;
}

export async function revokeKey(id: string): Promise<void> {
  const { error } = await api.DELETE('/v1/api-keys/{id}', { params: { path: { id } } });
  if (error) throw new Error(problemText(error));
}
