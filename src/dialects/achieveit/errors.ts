import { type ErrorFormatter, retryAfterHeaders, statusOf } from '../../http/error-reply.ts';

// AchieveIt documents no error body, only status codes. Ours is the smallest useful one:
// {"message": "..."}, plus {"errors": [{line?, column?, field, reason}]} when a request (or,
// on the status route, a file) has problems to point at. Invalid requests are 400: the
// only client-error code AchieveIt's API documents.
export const achieveItErrorFormat: ErrorFormatter = (error) => {
  if (error.kind === 'invalid') {
    return {
      status: 400,
      body: {
        message: error.message,
        errors: error.issues.map((i) => ({
          ...(i.line === undefined ? {} : { line: i.line }),
          ...(i.column === undefined ? {} : { column: i.column }),
          field: i.field,
          reason: i.message,
        })),
      },
    };
  }
  return {
    status: statusOf(error),
    headers: retryAfterHeaders(error),
    body: { message: error.message },
  };
};
