import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { type DialectShape, dialectOfTag } from './error-shapes.ts';

// Hostile requests generated from the app's own OpenAPI document: a route list with its
// parameters and body schema, and for each route bodies, query strings and path values that
// a careless client or an attacker would send.

type Schema = Record<string, unknown> & {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  format?: string;
  minLength?: number;
  minimum?: number;
};

interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  schema?: Schema;
}

export interface Route {
  method: string;
  /** OpenAPI template: /v1/datasets/{id} */
  path: string;
  dialect: DialectShape;
  params: Parameter[];
  /** Content types the body may have, and the JSON body's schema if one. */
  contentTypes: string[];
  bodySchema?: Schema;
}

export interface Seed {
  datasetId: string;
  metricId: string;
  pointId: string;
  jobId: string;
}

interface OpenApi {
  paths: Record<
    string,
    Record<
      string,
      {
        tags?: string[];
        parameters?: Parameter[];
        requestBody?: { content?: Record<string, { schema?: Schema }> };
      }
    >
  >;
}

export function routesOf(doc: OpenApi): Route[] {
  const routes: Route[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const content = op.requestBody?.content ?? {};
      routes.push({
        method: method.toUpperCase(),
        path,
        dialect: dialectOfTag(op.tags),
        params: op.parameters ?? [],
        contentTypes: Object.keys(content),
        bodySchema: content['application/json']?.schema,
      });
    }
  }
  return routes;
}

// --- values ------------------------------------------------------------------------------

const HOSTILE_TEXT = [
  'Infinity',
  '-Infinity',
  'NaN',
  '1e400',
  '-1e400',
  '1e20',
  '-1',
  '-0',
  '0',
  '1.5',
  '0x10',
  '9223372036854775807',
  '9223372036854775808',
  '18446744073709551616',
  '9007199254740993',
  '',
  ' ',
  'null',
  'true',
  '[]',
  '{}',
  'undefined',
  '0000-01-01',
  '0000-00-00',
  '2024-02-30',
  '2024-13-01',
  '2024-03-01T24:30:00Z',
  '99999-01-01',
  '-0001-01-01',
  '2024-01-01T00:00:00+25:00',
  '1970-01-01',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\ud83d',
  '\u202eevil\u202c',
  'שלום',
  '👩‍👩‍👧‍👦',
  'é',
  '..',
  '../..',
  '%00',
  '%zz',
  "' OR 1=1 --",
  '<script>',
  'a,b"c',
  'external',
  '\r\n',
  '\t',
];
const HOSTILE_NUMBERS = [1e308, -1e308, -0, 2 ** 63, 2 ** 64, 2 ** 53 + 2, -1, 0, 1.5, 1e20, -(2 ** 31) - 1];
const BIG = 'x'.repeat(100_000);
/** A marker replaced by raw JSON text after serialization (what JSON.stringify cannot produce). */
const RAW = (text: string) => `RAW<<${text}>>RAW`;

const deepText = (levels: number, open: '[' | '{') =>
  open === '['
    ? `${'['.repeat(levels)}${']'.repeat(levels)}`
    : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...HOSTILE_TEXT) },
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_NUMBERS) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      RAW('1e400'),
      RAW('-1e400'),
      RAW('1e-400'),
      RAW('-0'),
      RAW('18446744073709551616'),
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(true, false, null, [], {}, [1, 'a'], { a: { b: [] } }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom(BIG, 'é'.repeat(50_000), `${'\u0000'.repeat(10)}`) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(10, 100, 1000, 5000), fc.constantFrom<'[' | '{'>('[', '{'))
      .map(([n, o]) => RAW(deepText(n, o))),
  },
);

/** A valid-looking value for a schema: enough for the request to reach the handler. */
function sample(schema: Schema | undefined, seed: Seed, name = ''): unknown {
  if (!schema) return 'x';
  if (schema.enum) return schema.enum.find((v) => v !== null) ?? null;
  if (schema.anyOf ?? schema.oneOf) return sample((schema.anyOf ?? schema.oneOf)?.[0], seed, name);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, sub] of Object.entries(schema.properties ?? {})) out[key] = sample(sub, seed, key);
      return out;
    }
    case 'array':
      return [sample(schema.items, seed, name)];
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    default:
      if (name === 'dataset_id') return seed.datasetId;
      if (schema.format === 'uuid') return seed.metricId;
      if (schema.format === 'date-time') return '2024-01-01T00:00:00Z';
      if (/date|period|start|end/.test(name)) return '2024-01-01';
      if (name === 'url') return 'https://example.com/hook';
      if (name === 'value') return '1.5';
      return 'x';
  }
}

/** Every path inside a sampled body (object keys and array indexes) where a value sits. */
function leafPaths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return [at, ...value.flatMap((v, i) => leafPaths(v, [...at, i]))];
  if (value && typeof value === 'object') {
    return [at, ...Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...at, k]))];
  }
  return [at];
}

function setAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = (Array.isArray(root) ? [...root] : { ...(root as object) }) as Record<
    string | number,
    unknown
  >;
  const [head, ...rest] = path;
  copy[head] = setAt(copy[head], rest, value);
  return copy;
}

const serialize = (value: unknown): string =>
  (JSON.stringify(value) ?? '').replace(/"RAW<<(.*?)>>RAW"/g, (_m, raw: string) => JSON.parse(`"${raw}"`));

interface Body {
  text: string;
  contentType?: string;
  payload?: string | Buffer;
  extra: boolean;
}

const CONTENT_TYPES = [
  'application/json; charset=utf-16',
  'text/plain',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'multipart/form-data; boundary=xyz',
  'text/csv',
  'application/octet-stream',
  'application/json',
];

function bodyArbitrary(route: Route, seed: Seed): fc.Arbitrary<Body | undefined> {
  const base = route.bodySchema ? sample(route.bodySchema, seed) : undefined;
  const json = (value: unknown, extra = false): Body => ({
    text: serialize(value),
    contentType: 'application/json',
    extra,
  });
  const mutated = fc
    .tuple(fc.constantFrom(...leafPaths(base)), hostileValue)
    .map(([path, v]) => json(setAt(base, path, v)));
  const multi = fc
    .array(fc.tuple(fc.constantFrom(...leafPaths(base)), hostileValue), { minLength: 2, maxLength: 5 })
    .map((edits) => json(edits.reduce((acc, [p, v]) => setAt(acc, p, v), base)));
  const extraProps = fc
    .tuple(
      fc.constantFrom(
        'a',
        'created_by',
        'created_at',
        'org_id',
        'id',
        'dataset_id',
        '__proto__',
        'constructor',
      ),
      hostileValue,
    )
    .map(([k, v]) => {
      const obj = base && typeof base === 'object' && !Array.isArray(base) ? base : {};
      return {
        ...json({ ...obj, [k]: v }),
        text: serialize({ ...obj, [k]: v }),
        extra: !Object.hasOwn(obj, k),
      };
    });
  const rawText = fc
    .constantFrom(
      '',
      'not json',
      '{',
      '{"a":1}garbage',
      '\u0000',
      'null',
      '[]',
      '"x"',
      '1e400',
      deepText(5000, '['),
      deepText(5000, '{'),
    )
    .map((text) => ({ text, contentType: 'application/json', extra: false }));
  const csv = fc
    .constantFrom(
      'External ID,Current Metric Value,As Of Date\nfuzz-1,1.5,2024-01-01\n',
      'fuzz-1,1e400,2024-01-01\n',
      'fuzz-1,1,0000-01-01\n',
      '"unclosed,1,2024-01-01\n',
      'fuzz-1,\u0000,2024-01-01\n',
      `fuzz-1,1,2024-01-01,${BIG}\n`,
      'date,value\n2024-01-01,1\n',
      '\ufeff\n\n\n',
    )
    .map((text) => ({ text, contentType: 'text/csv', extra: false }));
  const wrongType = fc
    .tuple(fc.constantFrom(...CONTENT_TYPES), fc.constantFrom(base, 'x', deepText(3, '[')))
    .map(([contentType, value]): Body => {
      const text = typeof value === 'string' ? value : serialize(value);
      if (contentType.includes('utf-16'))
        return { text, contentType, payload: Buffer.from(text, 'utf16le'), extra: false };
      if (contentType === 'multipart/form-data; boundary=xyz') {
        const truncated =
          '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nfuzz-1,1,2024-';
        return { text: truncated, contentType, extra: false };
      }
      return { text, contentType, extra: false };
    });
  const options: fc.Arbitrary<Body | undefined>[] = [rawText, csv, wrongType, fc.constant(undefined)];
  if (base !== undefined) options.push(mutated, mutated, multi, extraProps, fc.constant(json(base)));
  return fc.oneof(...options);
}

// --- URL ---------------------------------------------------------------------------------

/** Path values sent raw (bad %-encoding) or encoded. */
const HOSTILE_PATH = fc.oneof(
  fc.constantFrom('%zz', '%', '%E0%A4%A', '%C0%AE', '%2F', '%00', '..', '.', '%2e%2e'),
  fc
    .constantFrom(
      '',
      'x'.repeat(300),
      '-1',
      '0',
      'Infinity',
      '1e400',
      'é',
      '👍',
      '\u202e',
      'a b',
      '00000000-0000-0000-0000-000000000000',
    )
    .map(encodeURIComponent),
  fc
    .string({ unit: 'binary', maxLength: 20 })
    .map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, 'x'))),
);

function validPathValue(route: Route, name: string, seed: Seed): string {
  if (name === 'id') return route.path.startsWith('/v1/datasets') ? seed.datasetId : seed.metricId;
  if (name === 'point_id') return seed.pointId;
  if (name === 'datasetId' || name === 'programId') return seed.datasetId;
  if (name === 'kpiId' || name === 'metricId' || name === 'metric_id') return seed.metricId;
  if (name === 'jobId' || name === 'operationId') return seed.jobId;
  if (name === 'filename') return 'fuzz.csv';
  if (name === 'type') return 'account';
  if (name === 'external_id') return 'acc-1';
  return 'x';
}

const queryText = (v: unknown): string => {
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
  return encodeURIComponent(
    s
      .replace(/^RAW<<|>>RAW$/g, '')
      .replace(/[\ud800-\udfff]/g, '\ufffd')
      .slice(0, 20_000),
  );
};

const QUERY_HOSTILE = fc.oneof(
  fc.constantFrom(
    'Infinity',
    '1e20',
    '1e400',
    '-1',
    '',
    '0',
    '9223372036854775808',
    'NaN',
    '0000-01-01',
    'true',
    '%zz',
  ),
  hostileValue.map(queryText),
);

/** The request as the fuzzer sent it, for the failure report. */
export interface RequestDescription {
  method: string;
  /** The OpenAPI path template, e.g. /v1/datasets/{id}. */
  route: string;
  /** The URL as sent (path and query string, raw). */
  url: string;
  /** The raw body text, if any. */
  body: string;
  contentType?: string;
  /** True when the fuzzer added body properties the schema does not declare. */
  extraProperties: boolean;
}

export interface HostileRequest {
  inject: InjectOptions & { url: string };
  describe: RequestDescription;
}

let idemCounter = 0;

/** Whether a JSON object body has a top-level key its schema does not declare. */
function undeclaredKeys(schema: Schema | undefined, text: string | undefined): boolean {
  if (!schema?.properties || !text) return false;
  try {
    const value = JSON.parse(text);
    if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
    return Object.keys(value).some((k) => !Object.hasOwn(schema.properties as object, k));
  } catch {
    return false;
  }
}

export function hostileRequest(route: Route, seed: Seed): fc.Arbitrary<HostileRequest> {
  const pathParams = route.params.filter((p) => p.in === 'path');
  const queryParams = route.params.filter((p) => p.in === 'query');
  // Deleting a seeded record would leave the rest of the run with nothing to hit: a DELETE of
  // a whole record gets hostile ids only.
  const destructive = route.method === 'DELETE' && /\}$/.test(route.path);
  const pathValues = fc.tuple(
    ...pathParams.map((p) =>
      destructive
        ? HOSTILE_PATH
        : fc.oneof(
            { weight: 4, arbitrary: fc.constant(validPathValue(route, p.name, seed)) },
            { weight: 1, arbitrary: HOSTILE_PATH },
          ),
    ),
  );
  const query = fc.tuple(
    fc.tuple(
      ...queryParams.map((p) =>
        fc.oneof(
          { weight: 2, arbitrary: fc.constant<string | null>(null) },
          {
            weight: 1,
            arbitrary: fc.constant<string | null>(`${p.name}=${queryText(sample(p.schema, seed, p.name))}`),
          },
          { weight: 3, arbitrary: QUERY_HOSTILE.map((v) => `${p.name}=${v}`) },
          {
            weight: 1,
            arbitrary: fc
              .tuple(QUERY_HOSTILE, QUERY_HOSTILE)
              .map(([a, b]) => `${p.name}=${a}&${p.name}=${b}`),
          },
        ),
      ),
    ),
    fc.oneof(
      { weight: 12, arbitrary: fc.constant(null) },
      {
        weight: 4,
        arbitrary: fc.constantFrom('unknown=1', 'interval=quarter', '__proto__=x', 'a[b]=1', 'limit[]=1'),
      },
      { weight: 1, arbitrary: fc.constant(`long=${'x'.repeat(17_000)}`) },
    ),
  );
  return fc
    .tuple(pathValues, query, bodyArbitrary(route, seed), fc.boolean())
    .map(([values, [qs, extraQ], body, idem]) => {
      let i = 0;
      const path = route.path.replace(/\{[^}]+\}/g, () => values[i++] as string);
      const parts = [...qs.filter((q): q is string => q !== null), ...(extraQ ? [extraQ] : [])];
      const url = parts.length ? `${path}?${parts.join('&')}` : path;
      const sendsBody = route.method !== 'GET' && route.method !== 'DELETE';
      const headers: Record<string, string> = {};
      if (sendsBody && body?.contentType) headers['content-type'] = body.contentType;
      if (idem) headers['idempotency-key'] = `fuzz-${++idemCounter}`;
      const inject: HostileRequest['inject'] = { method: route.method as 'GET', url, headers };
      if (sendsBody && body) inject.payload = body.payload ?? body.text;
      return {
        inject,
        describe: {
          method: route.method,
          route: route.path,
          url,
          body: sendsBody ? (body?.text ?? '') : '',
          contentType: sendsBody ? body?.contentType : undefined,
          extraProperties: sendsBody && (body?.extra || undeclaredKeys(route.bodySchema, body?.text)),
        },
      };
    });
}
