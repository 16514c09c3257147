import type { AnyDomainError } from '../core/errors.ts';

// What each dialect supplies to the one error handler: how a domain error looks in its
// wire format. `internal` stands for an unexpected failure (500).
export type ErrorLike =
  | AnyDomainError
  | { kind: 'internal'; message: string }
  | { kind: 'unavailable'; message: string };

export interface ErrorReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  contentType?: string;
}

export type ErrorFormatter = (error: ErrorLike) => ErrorReply;

/**
 * Each dialect's formatter by its id (`native` included). The app builds it from the dialect
 * list; a route whose dialect has none answers in the native format.
 */
export type ErrorFormats = Readonly<Record<string, ErrorFormatter>>;

export const formatFor = (formats: ErrorFormats, dialect: string): ErrorFormatter =>
  formats[dialect] ?? formats.native;

export const DEFAULT_STATUS: Record<ErrorLike['kind'], number> = {
  invalid: 422,
  not_found: 404,
  conflict: 409,
  forbidden: 403,
  unauthorized: 401,
  too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  precondition_failed: 412,
  internal: 500,
  unavailable: 503,
};

export function retryAfterHeaders(error: ErrorLike): Record<string, string> | undefined {
  return error.kind === 'rate_limited' ? { 'retry-after': String(error.retryAfterSeconds) } : undefined;
}

/** The status of an error: its kind's default, or the size limit a TooLarge names. */
export const statusOf = (error: ErrorLike): number =>
  error.kind === 'too_large' ? error.status : DEFAULT_STATUS[error.kind];
