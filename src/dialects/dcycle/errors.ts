import { fieldSegments } from '../../core/errors.ts';
import { type ErrorFormatter, retryAfterHeaders, statusOf } from '../../http/error-reply.ts';

// Dcycle answers like the FastAPI service it is: validation problems as 422
// {"detail":[{"loc","msg","type"}]}, everything else as {"detail","code"}.
const CODES: Record<string, string> = {
  not_found: 'NOT_FOUND',
  conflict: 'CONFLICT',
  forbidden: 'FORBIDDEN',
  unauthorized: 'UNAUTHORIZED',
  too_large: 'PAYLOAD_TOO_LARGE',
  unsupported_media_type: 'UNSUPPORTED_MEDIA_TYPE',
  rate_limited: 'RATE_LIMITED',
  internal: 'INTERNAL_ERROR',
  unavailable: 'SERVICE_UNAVAILABLE',
};

export const dcycleErrorFormat: ErrorFormatter = (error) => {
  if (error.kind === 'invalid') {
    return {
      status: 422,
      body: {
        detail: error.issues.map((i) => ({
          loc: [i.in ?? 'body', ...(i.path ?? fieldSegments(i.field))],
          msg: i.message,
          type: i.code ? `value_error.${i.code}` : 'value_error',
        })),
      },
    };
  }
  return {
    status: statusOf(error),
    headers: retryAfterHeaders(error),
    body: { detail: error.message, code: CODES[error.kind] },
  };
};
