import createClient from 'openapi-fetch';
import type { components, paths } from '../../../src/client/schema';

// Every API call of the dashboard goes through this client, typed by the types generated
// from the server's own OpenAPI document (schema.d.ts, `npm run gen:client`).
//
// The session is an HttpOnly cookie the browser sends by itself (same origin): the API key
// is never held by this code. Writes authenticated by the cookie must carry the CSRF header;
// it is sent on every request, harmless on reads.

export type Schemas = components['schemas'];
export type Session = paths['/v1/session']['get']['responses'][200]['content']['application/json'];
export type Problem = Schemas['Problem'];

export const CSRF_HEADER = 'X-KPIHub-CSRF';

export const api = createClient<paths>({
  baseUrl: location.origin,
  credentials: 'same-origin',
  headers: { [CSRF_HEADER]: '1' },
});

let signedOut: () => void = () => {};
/** What to do when the server says the session is gone (expired, or its key revoked). */
export function onSignedOut(handler: () => void): void {
  signedOut = handler;
}

api.use({
  onResponse({ request, response }) {
    // 401 on sign-in is a wrong key, said on the sign-in page itself.
    if (response.status === 401 && !new URL(request.url).pathname.startsWith('/v1/session')) signedOut();
    return undefined;
  },
});

/** A readable sentence from an error answer (problem+json, or anything else). */
export function problemText(error: unknown): string {
  if (error && typeof error === 'object') {
    const p = error as Partial<Problem>;
    const fields = (p.errors ?? [])
      .slice(0, 5)
      .map((e) => `${e.field}${e.line !== undefined ? ` (line ${e.line})` : ''}: ${e.message}`);
    const head = p.detail || p.title;
    if (head) return [head, ...fields].join(' — ');
  }
  return typeof error === 'string' && error ? error : 'The request failed';
}
