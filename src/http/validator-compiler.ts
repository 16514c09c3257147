import { AjvCompiler } from '@fastify/ajv-compiler';
import type { FastifySchemaCompiler } from 'fastify';
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import { keepName } from './openapi.ts';

// Which Ajv options validate a route depends on whom it speaks for.
//
// The native API is ours: its bodies and query strings are closed (an unknown property or
// query parameter is a 400 naming it, never silently dropped) and bodies are not coerced
// (a number where a string is declared is an error, not "-1e+308").
//
// A dialect answers scripts written for its vendor, so it ignores what the vendor ignores:
// unknown body properties are stripped (never stored), query values and bodies are coerced
// as before — except that, for vendors that document strings, a JSON number or boolean
// where a string is declared is refused, since its text would be ours, not the client's
// (see numbersWhereStrings).

type Part = 'body' | 'querystring' | 'params' | 'headers';
type Schema = Record<string, unknown>;
interface Issue {
  instancePath: string;
  keyword: string;
  message: string;
  params: Record<string, unknown>;
}

const COMMON = { allErrors: true, useDefaults: true };
const OPTIONS = {
  nativeBody: { ...COMMON, coerceTypes: false, removeAdditional: false },
  nativeQuery: { ...COMMON, coerceTypes: 'array', removeAdditional: false },
  dialect: { ...COMMON, coerceTypes: 'array', removeAdditional: true },
} as const;

const pool = AjvCompiler();
const compilers = Object.fromEntries(
  Object.entries(OPTIONS).map(([name, customOptions]) => {
    const compile = pool({}, { customOptions }) as unknown as (route: { schema: unknown }) => Validate;
    return [name, (schema: unknown) => compile({ schema })];
  }),
) as Record<keyof typeof OPTIONS, (schema: unknown) => Validate>;

type Validate = ((data: unknown, context?: unknown) => boolean) & {
  errors?: FastifySchemaValidationError[] | null;
  schemaEnv?: unknown;
};

const isObjectSchema = (s: Schema) =>
  s.type === 'object' || (s.type === undefined && s.properties !== undefined);

/**
 * A copy of the schema whose every object that does not say otherwise is closed
 * (`additionalProperties: false`): a route cannot forget it. An object that means to be
 * open says `additionalProperties: true` (or a schema), and stays so.
 */
export function closeSchema<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(closeSchema) as T;
  if (schema === null || typeof schema !== 'object') return schema;
  const s = schema as Schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(s)) {
    // `properties` and `patternProperties` are maps of names to schemas, not schemas.
    out[key] =
      (key === 'properties' || key === 'patternProperties') && value && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, closeSchema(v)]))
        : key === 'enum' || key === 'const' || key === 'default' || key === 'examples'
          ? value
          : closeSchema(value);
  }
  if (isObjectSchema(s) && s.additionalProperties === undefined && s.patternProperties === undefined) {
    out.additionalProperties = false;
  }
  return keepName(schema, out as T);
}

const onlyString = (s: Schema) =>
  s.type === 'string' ||
  (Array.isArray(s.type) && s.type.includes('string') && s.type.every((t) => t === 'string' || t === 'null'));

type Check = (data: unknown, path: (string | number)[], out: Issue[]) => void;

/**
 * Compiles, once per route, a check for where a dialect body holds a number or boolean and
 * its schema declares only a string; undefined when the schema has no such place. It runs on
 * every request (50,000 Workiva values), so it walks only the schema's own branches.
 */
function compileStringCheck(schema: unknown): Check | undefined {
  if (!schema || typeof schema !== 'object') return undefined;
  const s = schema as Schema;
  if (onlyString(s)) {
    return (data, path, out) => {
      if (typeof data === 'number' || typeof data === 'boolean') {
        const instancePath = path
          .map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`)
          .join('');
        out.push({ instancePath, keyword: 'type', message: 'must be string', params: { type: 'string' } });
      }
    };
  }
  const item = s.items && typeof s.items === 'object' ? compileStringCheck(s.items) : undefined;
  const props: [string, Check][] = [];
  if (s.properties && typeof s.properties === 'object') {
    for (const [name, sub] of Object.entries(s.properties as Record<string, unknown>)) {
      const check = compileStringCheck(sub);
      if (check) props.push([name, check]);
    }
  }
  if (!item && props.length === 0) return undefined;
  return (data, path, out) => {
    if (Array.isArray(data)) {
      if (!item) return;
      for (let i = 0; i < data.length; i++) {
        path.push(i);
        item(data[i], path, out);
        path.pop();
      }
    } else if (data !== null && typeof data === 'object') {
      for (const [name, check] of props) {
        const value = (data as Record<string, unknown>)[name];
        if (value === undefined || !Object.hasOwn(data, name)) continue;
        path.push(name);
        check(value, path, out);
        path.pop();
      }
    }
  };
}

/** Where a dialect body holds a number or boolean and its schema declares only a string. */
export function numbersWhereStrings(schema: unknown, data: unknown): Issue[] {
  const out: Issue[] = [];
  compileStringCheck(schema)?.(data, [], out);
  return out;
}

/**
 * The compiler for a scope's routes; `default` (public routes: health, docs) keeps the
 * lenient options. A dialect whose vendor documents strings where it documents strings
 * (its `stringsAreStrings`, src/dialects/contract.ts) refuses a number or boolean there.
 */
export function validatorCompiler(
  dialect: string,
  { stringsAreStrings = false }: { stringsAreStrings?: boolean } = {},
): FastifySchemaCompiler<unknown> {
  return ({ schema, httpPart }) => {
    const part = httpPart as Part;
    if (dialect === 'native') {
      if (part === 'body') return compilers.nativeBody(closeSchema(schema));
      if (part === 'querystring') return compilers.nativeQuery(closeSchema(schema));
      return compilers.nativeQuery(schema);
    }
    // A dialect's body objects are closed too, but in strip mode: what the vendor ignores is
    // dropped before any handler sees it, so it cannot reach a table.
    const validate = compilers.dialect(
      part === 'body' && dialect !== 'default' ? closeSchema(schema) : schema,
    );
    if (part !== 'body' || dialect === 'default' || !stringsAreStrings) return validate;
    const strings = compileStringCheck(schema);
    if (!strings) return validate;
    // Checked before Ajv runs, since Ajv's coercion would already have turned 5 into "5".
    const checked = Object.assign(
      (data: unknown, context?: unknown) => {
        const issues: Issue[] = [];
        strings(data, [], issues);
        checked.errors = issues.length ? (issues as FastifySchemaValidationError[]) : undefined;
        if (issues.length) return false;
        const ok = validate(data, context);
        checked.errors = validate.errors;
        return ok;
      },
      // Fastify passes the parent (so Ajv may coerce a root value) only to functions that have one.
      { schemaEnv: validate.schemaEnv, errors: undefined as Validate['errors'] },
    );
    return checked;
  };
}
