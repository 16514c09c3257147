import type { FastifyPluginAsync } from 'fastify';
import type { JobHandlers } from '../core/job-handler.ts';
import type { ErrorFormatter } from '../http/error-reply.ts';

// What one vendor dialect is, as a value. Each src/dialects/<vendor>/index.ts exports one,
// src/dialects/index.ts lists them, and the composition roots derive everything else from
// that list: route registration, the error-format table, the validator mode, the job
// handlers a worker runs and the dialect names in the OpenAPI description. Adding a dialect
// is one folder and one line in that list; nothing in src/http/ or src/jobs/ names it.
export interface Dialect<Id extends string = string> {
  /** The route config's `dialect`: how the error handler finds this dialect's error format. */
  readonly id: Id;
  /** The vendor's name, as the OpenAPI description lists it. */
  readonly title: string;
  /**
   * Every route of this dialect lives under one of these URL prefixes; the app refuses to
   * start otherwise, so two dialects never share a path by accident.
   */
  readonly prefixes: readonly string[];
  /** Registers the dialect's routes; each route sets `config.dialect` to `id`. */
  readonly routes: FastifyPluginAsync;
  /** How a core error becomes this vendor's error body and status. */
  readonly errorFormat: ErrorFormatter;
  /**
   * The vendor documents strings where it documents strings: a number or boolean sent in a
   * string field is refused rather than coerced (src/http/validator-compiler.ts).
   */
  readonly stringsAreStrings: boolean;
  /** Background job kinds this dialect enqueues, and their handlers (run by the worker). */
  readonly jobs?: JobHandlers;
}

/** Keeps a dialect's `id` a literal type, so the list in index.ts yields the DialectId union. */
export function defineDialect<const Id extends string>(dialect: Dialect<Id>): Dialect<Id> {
  return dialect;
}
