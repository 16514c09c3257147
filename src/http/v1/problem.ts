import { type ErrorFormatter, retryAfterHeaders, statusOf } from '../error-reply.ts';

// The native API's errors: RFC 9457 problem details, with an `errors` list of
// {field, message} for validation problems.
const TITLES: Record<string, string> = {
  invalid: 'Invalid request',
  not_found: 'Not found',
  conflict: 'Conflict',
  forbidden: 'Forbidden',
  unauthorized: 'Unauthorized',
  too_large: 'Payload too large',
  unsupported_media_type: 'Unsupported media type',
  rate_limited: 'Too many requests',
  precondition_failed: 'Precondition failed',
  internal: 'Internal server error',
  unavailable: 'Service unavailable',
};

export const problemFormat: ErrorFormatter = (error) => {
  const status = error.kind === 'invalid' && error.shape ? 400 : statusOf(error);
  const errors =
    error.kind === 'invalid'
      ? error.issues.map((i) => ({
          field: i.field,
          message: i.message,
          ...(i.line === undefined ? {} : { line: i.line }),
          ...(i.column === undefined ? {} : { column: i.column }),
        }))
      : [];
  return {
    status,
    contentType: 'application/problem+json; charset=utf-8',
    headers: retryAfterHeaders(error),
    body: {
      type: `https://kpihub.dev/problems/${error.kind.replace(/_/g, '-')}`,
      title: TITLES[error.kind],
      status,
      detail: error.message,
      errors,
    },
  };
};
