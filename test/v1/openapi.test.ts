import { describe, expect, it } from 'vitest';
import { dialects } from '../../src/dialects/index.ts';
import { deriveOperationId } from '../../src/http/openapi.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

// /openapi.json as a generated client (issue 13's dashboard, the CLI) needs it. Redocly
// lints the same document in `npm run lint:openapi`; these are the checks it cannot make.

interface Media {
  schema?: { $ref?: string };
  example?: unknown;
}
interface Operation {
  operationId?: string;
  parameters?: { name: string; in: string; required?: boolean; schema?: { default?: unknown } }[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, { content?: Record<string, Media> }>;
}
type Doc = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
  servers?: { url: string }[];
  info: { license?: { name: string } };
};

const operations = (doc: Doc) =>
  Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      where: `${method.toUpperCase()} ${path}`,
      path,
      method,
      op,
    })),
  );

/** A path of the native API: under /v1 and no dialect's (Dcycle's live under /v1 too). */
const isNative = (path: string) =>
  path.startsWith('/v1/') && !dialects.some((d) => d.prefixes.some((prefix) => path.startsWith(prefix)));

const isError = (status: string) => /^[45]/.test(status);

describe.each(engines())('the OpenAPI document [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const document = async (): Promise<Doc> =>
    (await ctx().app.inject({ method: 'GET', url: '/openapi.json' })).json();

  it('has an operationId on every operation, camelCase and unique', async () => {
    const all = operations(await document());
    expect(all.length).toBeGreaterThan(50);
    const ids = all.map(({ where, op }) => {
      expect(op.operationId, where).toMatch(/^[a-z][A-Za-z0-9]*$/);
      return op.operationId;
    });
    expect(new Set(ids).size).toBe(ids.length);
    // A few, as clients call them.
    const byWhere = Object.fromEntries(all.map(({ where, op }) => [where, op.operationId]));
    expect(byWhere['GET /v1/datasets']).toBe('listDatasets');
    expect(byWhere['GET /v1/metrics/{id}/series']).toBe('getMetricSeries');
    expect(byWhere['PUT /metrics/{metric_id}/data_points']).toBe('visibleUpsertDataPoints');
  });

  it('derives an operationId from method and path for a route that names none', () => {
    expect(deriveOperationId('GET', '/v1/session')).toBe('getV1Session');
    expect(deriveOperationId('DELETE', '/v1/metrics/:id/data_points/:point_id')).toBe(
      'deleteV1MetricsByIdDataPointsByPointId',
    );
  });

  it('declares every error of a native route as application/problem+json, a Problem', async () => {
    const native = operations(await document()).filter(({ path }) => isNative(path));
    expect(native.length).toBeGreaterThan(25);
    for (const { where, op } of native) {
      const errors = Object.entries(op.responses).filter(([status]) => isError(status));
      expect(errors.length, where).toBeGreaterThan(0);
      for (const [status, response] of errors) {
        expect(Object.keys(response.content ?? {}), `${where} ${status}`).toEqual([
          'application/problem+json',
        ]);
        expect(response.content?.['application/problem+json'].schema).toEqual({
          $ref: '#/components/schemas/Problem',
        });
      }
    }
  });

  it('declares a dialect route’s errors in the media type its dialect sends them in', async () => {
    const doc = await document();
    const dialectOps = operations(doc).filter(
      ({ path }) => !isNative(path) && !/^\/(health|ready)$/.test(path),
    );
    expect(dialectOps.length).toBeGreaterThan(20);
    for (const { where, op } of dialectOps) {
      for (const [status, response] of Object.entries(op.responses).filter(([s]) => isError(s))) {
        expect(Object.keys(response.content ?? {}), `${where} ${status}`).toEqual(['application/json']);
      }
    }
    // …which is what a dialect route really answers.
    const res = await ctx().call(ctx().orgA.read, { method: 'GET', url: '/v1/custom-kpi-datasets/nope' });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });

  it('names the schemas a client works with, and the routes refer to them', async () => {
    const doc = await document();
    for (const name of [
      'Dataset',
      'Metric',
      'DataPoint',
      'Series',
      'Summary',
      'Import',
      'Problem',
      'ApiKey',
      'ApiKeyCreate',
      'NewApiKey',
    ]) {
      expect(doc.components.schemas[name], name).toBeDefined();
    }
    const schemaOf = (path: string, method: string, status: string) =>
      doc.paths[path][method].responses[status].content?.['application/json'].schema;
    expect(schemaOf('/v1/datasets/{id}', 'get', '200')).toEqual({ $ref: '#/components/schemas/Dataset' });
    expect(schemaOf('/v1/metrics/{id}', 'get', '200')).toEqual({ $ref: '#/components/schemas/Metric' });
    expect(schemaOf('/v1/metrics/{id}/series', 'get', '200')).toEqual({
      $ref: '#/components/schemas/Series',
    });
    expect(schemaOf('/v1/datasets/{id}/summary', 'get', '200')).toEqual({
      $ref: '#/components/schemas/Summary',
    });
    expect(schemaOf('/v1/imports/{id}', 'get', '200')).toEqual({ $ref: '#/components/schemas/Import' });
    expect(schemaOf('/v1/api-keys', 'post', '201')).toEqual({ $ref: '#/components/schemas/NewApiKey' });
    expect(schemaOf('/v1/api-keys/{id}', 'get', '200')).toEqual({ $ref: '#/components/schemas/ApiKey' });
    expect(JSON.stringify(schemaOf('/v1/metrics/{id}/data_points', 'get', '200'))).toContain(
      '#/components/schemas/DataPoint"',
    );
    // Every reference resolves.
    for (const [, name] of JSON.stringify(doc).matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      expect(doc.components.schemas[name], name).toBeDefined();
    }
  });

  it('marks no parameter with a default as required', async () => {
    for (const { where, op } of operations(await document())) {
      for (const p of op.parameters ?? []) {
        if (p.schema?.default !== undefined) expect(p.required, `${where} ${p.in} ${p.name}`).toBe(false);
      }
    }
  });

  it('has servers and a license', async () => {
    const doc = await document();
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
    expect(doc.info.license?.name).toBe('MIT');
  });

  it('has request examples that work as they are', async () => {
    const doc = await document();
    const exampleOf = (path: string, method: string) =>
      doc.paths[path][method].requestBody?.content['application/json'].example;
    const send = async (method: string, url: string, path: string, status: number) => {
      const payload = exampleOf(path, method.toLowerCase()) as Record<string, unknown>;
      expect(payload, `${method} ${path}`).toBeDefined();
      const res = await ctx().call(ctx().orgA.admin, { method: method as 'POST', url, payload });
      expect(res.statusCode, `${method} ${path}: ${res.body}`).toBe(status);
      return res.json();
    };
    const dataset = await send('POST', '/v1/datasets', '/v1/datasets', 201);
    await send('PATCH', `/v1/datasets/${dataset.id}`, '/v1/datasets/{id}', 200);
    const metric = await send('POST', '/v1/metrics', '/v1/metrics', 201);
    await send('PATCH', `/v1/metrics/${metric.id}`, '/v1/metrics/{id}', 200);
    const written = await send(
      'PUT',
      `/v1/metrics/${metric.id}/data_points`,
      '/v1/metrics/{id}/data_points',
      200,
    );
    expect(written.inserted).toBe(2);
    const key = await send('POST', '/v1/api-keys', '/v1/api-keys', 201);
    expect(key.secret).toMatch(/^kph_/);
  });
});
