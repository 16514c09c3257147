import type { JobHandler, JobHandlers } from '../jobs/types.ts';
import { achieveit } from './achieveit/index.ts';
import type { Dialect } from './contract.ts';
import { dcycle } from './dcycle/index.ts';
import { visible } from './visible/index.ts';
import { vitally } from './vitally/index.ts';
import { workiva } from './workiva/index.ts';

// The vendor dialects this server speaks, one line each. The composition roots derive the
// rest from this list (src/http/app.ts: routes, error formats, validators, OpenAPI text;
// src/job-handlers.ts: the worker's job kinds). A new dialect is a folder and a line here.
export const dialects = [visible, workiva, achieveit, dcycle, vitally] as const;

/** Every value a route's `config.dialect` may take: the native API's and each dialect's. */
export type DialectId = 'native' | (typeof dialects)[number]['id'];

/** The job handlers the listed dialects contribute; a kind claimed twice is a start-up error. */
export function dialectJobHandlers(list: readonly Dialect[]): JobHandlers {
  const out: Record<string, JobHandler> = {};
  for (const dialect of list) {
    for (const [kind, handler] of Object.entries(dialect.jobs ?? {})) {
      if (out[kind]) throw new Error(`job kind ${kind} is claimed twice (dialect ${dialect.id})`);
      out[kind] = handler;
    }
  }
  return out;
}
