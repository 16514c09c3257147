import { STATUS_CODES } from 'node:http';
import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger';
import type { TSchema } from '@sinclair/typebox';
import { type ErrorFormats, formatFor } from './error-reply.ts';

// The OpenAPI document (/openapi.json) as a generated client wants it, made from the route
// schemas without changing them: what a route validates and sends stays exactly what its
// schema says, only the copy @fastify/swagger renders is dressed here.
//
// - Named component schemas: `component('Dataset', schema)` names a schema; wherever a
//   route's body or response holds that very schema object, the document has a
//   `$ref: '#/components/schemas/Dataset'` instead of a copy. The schema itself is not
//   touched (no `$id`), so Ajv and fast-json-stringify see what they saw before.
// - operationId: each route says its own (`schema.operationId`); one it forgot is derived
//   from its method and path. `assertOperationIds` is the one place that checks they are
//   there and unique (the document build fails otherwise, and so does `npm test`).
// - Error responses (4xx, 5xx) are declared in the content type the route's dialect really
//   sends them in, asked of its error formatter: `application/problem+json` for /v1.
// - A query parameter with a default is not required (Ajv fills it in).

declare module 'fastify' {
  interface FastifySchema {
    /**
     * Names for a route's inline response schemas in the document's components, by status:
     * `namedResponses: { 200: 'Series' }` (the same as wrapping the schema in `component`).
     */
    namedResponses?: Record<number, string>;
  }
}

const names = new WeakMap<object, string>();
const schemasByName = new Map<string, TSchema>();

/**
 * Names a schema in the OpenAPI document's components; returns it unchanged. A name is
 * given once (two schemas under one name would be a mistake), but a route's inline
 * response (`namedResponses`) is a new object each time an app is built, and takes it over.
 */
export function component<T extends TSchema>(name: string, schema: T, { takeOver = false } = {}): T {
  const taken = schemasByName.get(name);
  if (taken && taken !== schema && !takeOver) {
    throw new Error(`OpenAPI component name ${name} is taken by another schema`);
  }
  if (names.has(schema) && names.get(schema) !== name) {
    throw new Error(`schema is named both ${names.get(schema)} and ${name}`);
  }
  names.set(schema, name);
  schemasByName.set(name, schema);
  return schema;
}

/**
 * The native API closes its bodies (src/http/v1/index.ts): a closed copy of a named schema
 * keeps the name, and the document shows the copy (`additionalProperties: false`), since
 * that is what is validated.
 */
const closedCopies = new Map<string, object>();
export function keepName<T>(original: unknown, copy: T): T {
  const name = isObject(original) ? names.get(original) : undefined;
  if (name !== undefined && isObject(copy)) {
    names.set(copy, name);
    closedCopies.set(name, copy);
  }
  return copy;
}

const examples = new Map<string, unknown>();

/**
 * An example of a named schema, for "Try it out": the document shows it on the component
 * and on each request or response that is that schema. It is not validated against (the
 * schema is not touched); redocly.yaml's example rules and test/v1/openapi.test.ts check it.
 */
export function example<T extends TSchema>(schema: T, value: unknown): T {
  const name = names.get(schema);
  if (name === undefined) throw new Error('an example is given to a named schema (component)');
  examples.set(name, value);
  return schema;
}

/** Names several schemas at once: `components({ Dataset, DataPoint: PointOut })`. */
export function components(schemas: Record<string, TSchema>): void {
  for (const [name, schema] of Object.entries(schemas)) component(name, schema);
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null;

/**
 * A plain copy of a schema in which every named schema below the top (and the top too,
 * unless `keepRoot`) is a reference; `used` collects the names met.
 */
function referenced(schema: unknown, used: Set<string>, keepRoot = false): unknown {
  if (Array.isArray(schema)) return schema.map((s) => referenced(s, used));
  if (!isObject(schema)) return schema;
  const name = names.get(schema);
  if (name !== undefined && !keepRoot) {
    used.add(name);
    return ref(name);
  }
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    // Data (enum values, defaults, examples) is copied as it is.
    out[key] =
      key === 'enum' || key === 'const' || key === 'default' || key === 'examples' || key === 'example'
        ? value
        : referenced(value, used);
  }
  return out;
}

const camel = (words: string[]) =>
  words
    .filter((w) => w !== '')
    .map((w, i) => (i === 0 ? w.charAt(0).toLowerCase() : w.charAt(0).toUpperCase()) + w.slice(1))
    .join('');

/** `GET /v1/session/{id}` → `getV1SessionById`: the operationId of a route that names none. */
export function deriveOperationId(method: string, url: string): string {
  const words = [method.toLowerCase()];
  for (const segment of url.split('/')) {
    const param = /^[:{]([^}]+)}?$/.exec(segment);
    const parts = (param ? param[1] : segment).split(/[^A-Za-z0-9]+/);
    words.push(...(param ? ['by', ...parts] : parts));
  }
  return camel(words);
}

interface Media {
  schema?: { $ref?: string };
  example?: unknown;
}
interface Operation {
  operationId?: string;
  requestBody?: { content?: Record<string, Media> };
  responses?: Record<string, { content?: Record<string, Media> }>;
}

/** A body or response that is a named schema with an example shows it (for "Try it out"). */
function addMediaExamples(paths: Paths): void {
  for (const operation of Object.values(paths).flatMap((p) => Object.values(p))) {
    const contents = [operation.requestBody, ...Object.values(operation.responses ?? {})];
    for (const media of contents.flatMap((c) => Object.values(c?.content ?? {}))) {
      const name = media.schema?.$ref?.replace('#/components/schemas/', '');
      if (name !== undefined && media.example === undefined && examples.has(name)) {
        media.example = examples.get(name);
      }
    }
  }
}
type Paths = Record<string, Record<string, Operation>>;

/** Every operation has an operationId, camelCase, and no two share one. */
export function assertOperationIds(paths: Paths): void {
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const [path, operations] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const where = `${method.toUpperCase()} ${path}`;
      const id = operation.operationId;
      if (!id) problems.push(`${where} has no operationId`);
      else if (!/^[a-z][A-Za-z0-9]*$/.test(id)) problems.push(`${where}: operationId ${id} is not camelCase`);
      else if (seen.has(id)) problems.push(`${where}: operationId ${id} is also ${seen.get(id)}'s`);
      else seen.set(id, where);
    }
  }
  if (problems.length) throw new Error(`OpenAPI operationIds:\n${problems.join('\n')}`);
}

/** The media type (without parameters) a dialect's errors are sent in. */
function errorMediaType(formats: ErrorFormats, dialect: string): string {
  const sent = formatFor(formats, dialect)({ kind: 'internal', message: '' }).contentType;
  return (sent ?? 'application/json').split(';')[0].trim();
}

const isError = (status: string) => /^[45]/.test(status);

/** The response map as the document shows it: errors in their real media type. */
function documentedResponses(response: Json, mediaType: string, used: Set<string>): Json {
  const out: Json = {};
  for (const [status, schema] of Object.entries(response)) {
    const copy = referenced(schema, used);
    if (!isError(status) || !isObject(schema) || isObject(schema.content)) {
      out[status] = copy;
      continue;
    }
    out[status] = {
      description: STATUS_CODES[Number(status)] ?? 'Error',
      content: { [mediaType]: { schema: copy } },
    };
  }
  return out;
}

/** The querystring schema as documented: a parameter with a default is optional. */
function documentedQuery(query: unknown): unknown {
  if (!isObject(query) || !Array.isArray(query.required) || !isObject(query.properties)) return query;
  const properties = query.properties;
  const required = query.required.filter(
    (name: string) => !(isObject(properties[name]) && properties[name].default !== undefined),
  );
  const { required: _all, ...rest } = query;
  return required.length ? { ...rest, required } : rest;
}

export interface OpenApiSetup {
  transform: SwaggerTransform;
  transformObject: SwaggerTransformObject;
}

/** The transforms @fastify/swagger runs over each route, then over the whole document. */
export function openApiTransforms(formats: ErrorFormats): OpenApiSetup {
  let used = new Set<string>();
  const transform: SwaggerTransform = ({ schema, url, route }) => {
    if (!schema || (schema as Json).hide) return { schema, url };
    const s = schema as Json;
    const dialect = route.config?.dialect ?? 'native';
    const method = Array.isArray(route.method) ? route.method.join('') : route.method;
    const { namedResponses, ...rest } = s;
    if (isObject(namedResponses) && isObject(s.response)) {
      for (const [status, name] of Object.entries(namedResponses)) {
        const named = s.response[status];
        if (!isObject(named) || typeof name !== 'string')
          throw new Error(`${url}: no ${status} response to name`);
        component(name, named as TSchema, { takeOver: true });
      }
    }
    const out: Json = { ...rest, operationId: s.operationId ?? deriveOperationId(method, url) };
    if (s.body !== undefined) out.body = referenced(s.body, used);
    if (s.querystring !== undefined) out.querystring = documentedQuery(s.querystring);
    if (isObject(s.response))
      out.response = documentedResponses(s.response, errorMediaType(formats, dialect), used);
    return { schema: out as typeof schema, url };
  };
  const transformObject: SwaggerTransformObject = (document) => {
    if (!('openapiObject' in document)) throw new Error('the document is OpenAPI 3');
    const doc = document.openapiObject as Json & { paths: Paths; components: { schemas?: Json } };
    assertOperationIds(doc.paths);
    addMediaExamples(doc.paths);
    // The named schemas the routes used, each with the names below it as references too
    // (a component may bring in another that no route names directly).
    const schemas: Json = { ...(doc.components.schemas ?? {}) };
    const pending = [...used];
    for (let name = pending.shift(); name !== undefined; name = pending.shift()) {
      if (schemas[name] !== undefined) continue;
      const inner = new Set<string>();
      const schema = closedCopies.get(name) ?? schemasByName.get(name);
      const rendered = JSON.parse(JSON.stringify(referenced(schema, inner, true)));
      if (examples.has(name)) rendered.examples = [examples.get(name)];
      schemas[name] = rendered;
      pending.push(...inner);
    }
    doc.components.schemas = Object.fromEntries(
      Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)),
    );
    used = new Set();
    return doc as ReturnType<SwaggerTransformObject>;
  };
  return { transform, transformObject };
}
