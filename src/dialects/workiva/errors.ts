import type { ErrorFormatter } from '../../http/error-reply.ts';
import { retryAfterHeaders, statusOf } from '../../http/error-reply.ts';
import { workivaTarget } from './mapping.ts';

// Workiva's errors: {"code":"400BadRequest","message":"…"} with optional
// details [{code, message, target}]. Every validation problem is a 400 here.
const CODES: Record<string, string> = {
  invalid: '400BadRequest',
  unauthorized: '401Unauthorized',
  forbidden: '403Forbidden',
  not_found: '404NotFound',
  conflict: '409Conflict',
  too_large: '413PayloadTooLarge',
  unsupported_media_type: '415UnsupportedMediaType',
  rate_limited: '429TooManyRequests',
  internal: '500InternalServerError',
  unavailable: '503ServiceUnavailable',
};

const TOO_LARGE_CODES = {
  413: '413PayloadTooLarge',
  414: '414URITooLong',
  431: '431RequestHeaderFieldsTooLarge',
};

/** The seed's own wording where ours would add nothing or reveal internals. */
const MESSAGES: Record<string, string> = {
  invalid: 'The request was unacceptable, often due to a missing or invalid parameter',
  rate_limited: 'Too many requests have been made against the API in too short a time',
  internal: 'The server encountered an unexpected condition that prevented it from fulfilling the request',
  unavailable: 'The server cannot handle the request due to a temporary overload or scheduled maintenance',
};

export const workivaErrorFormat: ErrorFormatter = (error) => {
  const status = error.kind === 'invalid' ? 400 : statusOf(error);
  const body: { code: string; message: string; details?: unknown[] } = {
    code: error.kind === 'too_large' ? TOO_LARGE_CODES[error.status] : CODES[error.kind],
    message: MESSAGES[error.kind] ?? error.message,
  };
  if (error.kind === 'invalid' && error.issues.length > 0) {
    const [first] = error.issues;
    const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
    body.message = `${workivaTarget(first.field, first.in)}: ${first.message}${more}`;
  }
  if (error.kind === 'invalid') {
    body.details = error.issues.map((i) => ({
      code: i.code ?? 'InvalidValue',
      message: i.message,
      target: workivaTarget(i.field, i.in),
    }));
  }
  return { status, body, headers: retryAfterHeaders(error) };
};
