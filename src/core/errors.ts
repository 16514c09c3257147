// Typed domain errors. The core throws these and knows nothing of HTTP; each dialect maps
// them to its own status codes and body in one place (src/http/error-handler.ts).

export interface FieldIssue {
  /** Path of the offending field in the request, e.g. `data_points[3].value`. */
  field: string;
  message: string;
  /** For file imports: the 1-based line of the file the problem is on. */
  line?: number;
  /** Where the field is: body, query, path or header (default body). */
  in?: 'body' | 'query' | 'path' | 'header';
  /** The field's path as segments, for dialects that report it as a list (Dcycle's `loc`). */
  path?: (string | number)[];
  /** Machine-readable reason, for dialects that report one. */
  code?: string;
  /** For file imports: the column name. */
  column?: string;
}

export abstract class DomainError extends Error {
  abstract readonly kind:
    | 'not_found'
    | 'invalid'
    | 'conflict'
    | 'forbidden'
    | 'unauthorized'
    | 'too_large'
    | 'unsupported_media_type'
    | 'rate_limited'
    | 'precondition_failed';
}

export class NotFound extends DomainError {
  readonly kind = 'not_found';
  constructor(readonly resource: string) {
    super(`${resource} not found`);
  }
}

/**
 * The request is well-formed but breaks a rule. `shape` marks errors in the request's
 * structure (a dialect may answer those with 400 rather than 422).
 */
export class Invalid extends DomainError {
  readonly kind = 'invalid';
  constructor(
    readonly issues: FieldIssue[],
    readonly shape = false,
  ) {
    super(issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join('; '));
  }
  static field(field: string, message: string, shape = false): Invalid {
    return new Invalid([{ field, message }], shape);
  }
}

export class Conflict extends DomainError {
  readonly kind = 'conflict';
}

export class Forbidden extends DomainError {
  readonly kind = 'forbidden';
}

export class Unauthorized extends DomainError {
  readonly kind = 'unauthorized';
}

/** Too large: the body (413), the request target (414) or the request head (431). */
export class TooLarge extends DomainError {
  readonly kind = 'too_large';
  constructor(
    message: string,
    readonly status: 413 | 414 | 431 = 413,
  ) {
    super(message);
  }
}

/** The body is in a form this server does not read (e.g. a charset other than UTF-8). */
export class UnsupportedMediaType extends DomainError {
  readonly kind = 'unsupported_media_type';
}

export class RateLimited extends DomainError {
  readonly kind = 'rate_limited';
  constructor(readonly retryAfterSeconds: number) {
    super('Rate limit exceeded');
  }
}

/**
 * The client's precondition (If-Match) does not hold: the resource changed since the
 * client read it, and the change it sends would overwrite another.
 */
export class PreconditionFailed extends DomainError {
  readonly kind = 'precondition_failed';
}

export type AnyDomainError =
  | NotFound
  | Invalid
  | Conflict
  | Forbidden
  | Unauthorized
  | TooLarge
  | UnsupportedMediaType
  | RateLimited
  | PreconditionFailed;

/** `data_points[3].value` → ['data_points', 3, 'value']. */
export function fieldSegments(field: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  return out;
}

/** The inverse of fieldSegments: `['values', 3, 'date']` → `values[3].date`. */
export function fieldName(segments: (string | number)[]): string {
  return segments.reduce<string>(
    (acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s),
    '',
  );
}
