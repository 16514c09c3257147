import createClient from 'openapi-fetch';
import type { paths } from '../client/schema';

// The kpihub command's HTTP client: openapi-fetch typed by the types generated from the
// server's own OpenAPI document (src/client/schema.d.ts, `npm run gen:client`), the same
// the dashboard uses. Paths, parameters and answers are checked against the document at
// compile time; a route that changes breaks the command's build, not its users.

export interface Connection {
  /** Base URL of the server, e.g. http://127.0.0.1:8080 (a path prefix is kept). */
  url: string;
  key: string;
}

/** An answer other than 2xx: the native API's problem+json, or whatever the server sent. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** fetch, except that a server that cannot be reached is an Error saying why. */
async function explainingFetch(request: Request): Promise<Response> {
  try {
    return await fetch(request);
  } catch (e) {
    // fetch says only "fetch failed"; the cause (ECONNREFUSED, a closed socket...) is the news.
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const origin = new URL(request.url).origin;
    throw new Error(`cannot reach ${origin}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  }
}

export function apiClient(conn: Connection) {
  return createClient<paths>({
    baseUrl: conn.url.replace(/\/+$/, ''),
    headers: { authorization: `Bearer ${conn.key}` },
    fetch: explainingFetch,
  });
}

/** The ApiError for an answer other than 2xx, from its body as openapi-fetch read it. */
export function apiError(res: Response, body: unknown): ApiError {
  const problem =
    body && typeof body === 'object'
      ? (body as { title?: string; detail?: string; errors?: { field: string; message: string }[] })
      : {};
  const text = typeof body === 'string' ? body : '';
  const errors = Array.isArray(problem.errors) ? problem.errors : [];
  // With a list of errors, the detail only repeats it: the title heads the list instead.
  const detail =
    (errors.length ? problem.title : problem.detail) ??
    problem.title ??
    // Not the native API's problem+json (a proxy's page, say): its first line will do.
    (text.split('\n')[0].slice(0, 200) || res.statusText);
  return new ApiError(res.status, `${res.status} ${detail}`, errors);
}

/** The data of a 2xx answer, or its ApiError thrown. */
export function dataOf<T>(answer: { data?: T; error?: unknown; response: Response }): T {
  if (!answer.response.ok) throw apiError(answer.response, answer.error);
  return answer.data as T;
}
