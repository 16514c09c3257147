import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type FieldIssue, Invalid } from '../core/errors.ts';

// Hostile values in the query string and the path, refused for every route in one place:
// - a NUL character (PostgreSQL stores none in text, so both engines refuse it up front);
// - a number the schema coerced to ±Infinity or past 2^53 (`?limit=1e400`): Ajv lets a
//   non-finite number through `type: integer` and then skips its minimum/maximum, so the
//   bounds alone do not hold.

const NUL = '\u0000';

type Where = 'query' | 'path';

function nulIssues(values: unknown, where: Where): FieldIssue[] {
  if (!values || typeof values !== 'object') return [];
  const issues: FieldIssue[] = [];
  for (const [name, value] of Object.entries(values)) {
    const texts = Array.isArray(value) ? value : [value];
    if (name.includes(NUL) || texts.some((t) => typeof t === 'string' && t.includes(NUL))) {
      issues.push({
        field: name.replaceAll(NUL, ''),
        message: 'must not contain the NUL character',
        in: where,
      });
    }
  }
  return issues;
}

const badNumber = (v: unknown) =>
  typeof v === 'number' && (!Number.isFinite(v) || (Number.isInteger(v) && !Number.isSafeInteger(v)));

function numberIssues(values: unknown, where: Where): FieldIssue[] {
  if (!values || typeof values !== 'object') return [];
  const issues: FieldIssue[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (Array.isArray(value) ? value.some(badNumber) : badNumber(value)) {
      issues.push({ field: name, message: 'must be a finite number within range', in: where });
    }
  }
  return issues;
}

function refuse(issues: FieldIssue[]): void {
  if (issues.length > 0) throw new Invalid(issues, true);
}

export function registerInputGuard(app: FastifyInstance): void {
  // Before validation: a NUL is refused whatever the schema would say of the value.
  app.addHook('preValidation', async (request: FastifyRequest) => {
    refuse([...nulIssues(request.params, 'path'), ...nulIssues(request.query, 'query')]);
  });
  // After validation (which coerced the strings): the numbers it produced.
  app.addHook('preHandler', async (request: FastifyRequest) => {
    refuse([...numberIssues(request.params, 'path'), ...numberIssues(request.query, 'query')]);
  });
}
