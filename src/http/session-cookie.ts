import type { FastifyReply, FastifyRequest } from 'fastify';

// The session cookie and the checks that make a cookie safe to authenticate with: a browser
// sends a cookie with every request to its site, whoever made the page that caused it, so a
// write authenticated by the cookie alone must prove that our own page sent it (CSRF).

export const SESSION_COOKIE = 'kpihub_session';
/**
 * The header a cookie-authenticated write must carry (any value; the dashboard sends `1`).
 * A cross-site page can only send a custom header through a CORS preflight, which this
 * server never grants with credentials; an HTML form cannot send one at all.
 */
export const CSRF_HEADER = 'x-kpihub-csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The session token of the request's `Cookie` header, if it carries one. */
export function sessionTokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value;
  }
  return undefined;
}

const firstValue = (v: string | string[] | undefined): string | undefined =>
  (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim().toLowerCase();

/**
 * Whether the browser reached us over HTTPS: TLS here (or a proxy Fastify is told to trust),
 * or a proxy saying so in X-Forwarded-Proto. Believing that header is safe for this one use:
 * it can only add `Secure` to the cookie of the client that sent it.
 */
export function overHttps(request: FastifyRequest): boolean {
  return request.protocol === 'https' || firstValue(request.headers['x-forwarded-proto']) === 'https';
}

function cookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  const attributes = [
    `${SESSION_COOKIE}=${value}`,
    'Path=/',
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Strict',
  ];
  if (overHttps(request)) attributes.push('Secure');
  return attributes.join('; ');
}

export function setSessionCookie(
  reply: FastifyReply,
  request: FastifyRequest,
  token: string,
  maxAgeSeconds: number,
): void {
  reply.header('set-cookie', cookie(request, token, maxAgeSeconds));
  reply.header('cache-control', 'no-store');
}

/** Tells the browser to drop the cookie (same name, path and flags, expired). */
export function clearSessionCookie(reply: FastifyReply, request: FastifyRequest): void {
  reply.header('set-cookie', cookie(request, '', 0));
  reply.header('cache-control', 'no-store');
}

/** `host[:port]` as a URL would write it (default ports dropped, lower case), or undefined. */
function hostOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return /^https?:$/.test(parsed.protocol) ? parsed.host : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why the request's Origin (or, without one, its Referer) is not this server's own, or
 * undefined when it is or when neither header is sent (a script, not a browser). "Our own" is
 * the scheme and host the request was addressed to: its Host header, over HTTP or HTTPS.
 */
export function foreignOriginProblem(request: FastifyRequest): string | undefined {
  const origin = request.headers.origin;
  const referer = request.headers.referer;
  const given = typeof origin === 'string' ? origin : typeof referer === 'string' ? referer : undefined;
  if (given === undefined) return undefined;
  const what = typeof origin === 'string' ? 'Origin' : 'Referer';
  const schemes = overHttps(request) ? ['https'] : ['http', 'https'];
  const own = schemes
    .map((scheme) => hostOf(`${scheme}://${request.headers.host ?? ''}`))
    .filter((h): h is string => h !== undefined);
  const scheme = given.split(':')[0]?.toLowerCase() ?? '';
  const host = hostOf(given);
  if (host === undefined || !schemes.includes(scheme) || !own.includes(host)) {
    return `A request authenticated by the session cookie must come from this server's own pages (${what} is another site's)`;
  }
  return undefined;
}

/** Why a cookie-authenticated request may not proceed (CSRF), or undefined when it may. */
export function csrfProblem(request: FastifyRequest): string | undefined {
  if (SAFE_METHODS.has(request.method)) return undefined;
  const header = request.headers[CSRF_HEADER];
  if (typeof header !== 'string' || header.length === 0) {
    return `A write authenticated by the session cookie must carry the ${CSRF_HEADER} header`;
  }
  return foreignOriginProblem(request);
}
