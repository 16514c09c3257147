import { DEFAULT_STATUS, type ErrorFormatter, retryAfterHeaders } from '../../http/error-reply.ts';

// Visible's errors: {"errors":[{"type","field","message"}]}. Structural problems are 400
// parameter_invalid, rule violations 422 attribute_invalid (with the field), and the other
// statuses carry just their type, as the seed's examples do.
const TYPES: Record<string, string> = {
  not_found: 'record_missing',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  conflict: 'conflict',
  too_large: 'parameter_invalid',
  unsupported_media_type: 'parameter_invalid',
  rate_limited: 'rate_limit_exceeded',
  internal: 'internal_error',
  unavailable: 'service_unavailable',
};

/** Our write path names a one-day period `period_start`; Visible calls it `date`. */
const visibleField = (field: string) => field.replace(/\.period_(start|end)$/, '.date');

export const visibleErrorFormat: ErrorFormatter = (error) => {
  if (error.kind === 'invalid') {
    // A missing attribute is a 422 in Visible's own example ("attribute_invalid", "required");
    // other structural problems (bad JSON, wrong types, too many items) are 400.
    const missingOnly = error.shape && error.issues.every((i) => i.code === 'required');
    const semantic = !error.shape || missingOnly;
    const status = semantic ? 422 : 400;
    const type = semantic ? 'attribute_invalid' : 'parameter_invalid';
    return {
      status,
      body: { errors: error.issues.map((i) => ({ type, field: visibleField(i.field), message: i.message })) },
    };
  }
  const status =
    error.kind === 'too_large' ? (error.status === 413 ? 400 : error.status) : DEFAULT_STATUS[error.kind];
  const type = TYPES[error.kind];
  const body =
    error.kind === 'forbidden' ||
    error.kind === 'conflict' ||
    error.kind === 'too_large' ||
    error.kind === 'unsupported_media_type'
      ? { errors: [{ type, message: error.message }] }
      : { errors: [{ type }] };
  return { status, body, headers: retryAfterHeaders(error) };
};
