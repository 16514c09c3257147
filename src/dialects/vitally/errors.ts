import { fieldName, fieldSegments } from '../../core/errors.ts';
import { type ErrorFormatter, retryAfterHeaders, statusOf } from '../../http/error-reply.ts';

// Vitally documents only its success body, {"message":"Success."}. Errors keep that shape:
// {"message": "..."}, and for a rejected batch (always 400) an `errors` list naming each
// bad message by its index in the batch and the field inside it:
//   {"message":"Invalid batch: message 3 userId: required",
//    "errors":[{"index":3,"field":"userId","message":"required"}]}
// A problem with the batch as a whole (too many messages, not an array) has index null.

export const vitallyErrorFormat: ErrorFormatter = (error) => {
  if (error.kind === 'invalid') {
    const errors = error.issues.map((issue) => {
      const segments = issue.path ?? fieldSegments(issue.field);
      const index = typeof segments[0] === 'number' ? segments[0] : null;
      const rest = index === null ? segments : segments.slice(1);
      const field = rest.length ? fieldName(rest) : index === null ? issue.field || 'batch' : null;
      return { index, field: field === 'body' ? 'batch' : field, message: issue.message };
    });
    const summary = errors
      .slice(0, 5)
      .map((e) => `${e.index === null ? '' : `message ${e.index} `}${e.field ?? ''}: ${e.message}`.trim())
      .join('; ');
    return { status: 400, body: { message: `Invalid batch: ${summary}`, errors } };
  }
  return {
    status: statusOf(error),
    headers: retryAfterHeaders(error),
    body: { message: error.message },
  };
};
