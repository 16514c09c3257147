import { expect } from 'vitest';
import type { TestContext } from './app.ts';

// What the route-table security test needs to call every route: real ids of organization
// A's resources for each path parameter, and a minimal valid request per write route. A
// route whose parameter or example is missing here fails that test, which names it: add
// the parameter or the example, and the new route is covered.

/** Organization A's resources, one of each kind a route can name. */
export interface Fixture {
  datasetId: string;
  metricId: string;
  dimensionId: string;
  /** A metric without dimensions (Visible's points have no coordinates). */
  plainMetricId: string;
  pointId: string;
  importId: string;
  operationId: string;
  metricUpdatesJobId: string;
  progressUpdatesJobId: string;
  entityType: string;
  entityId: string;
  externalId: string;
  /** An API key of A's (read scope, never used). */
  apiKeyId: string;
  /** Strings that only organization A's data contains: no answer to B may hold one. */
  secrets: string[];
}

export async function createFixture(ctx: TestContext): Promise<Fixture> {
  const key = ctx.orgA.admin;
  const tag = Math.random().toString(36).slice(2, 10);
  const externalId = `energy-a-${tag}`;
  const ok = async (opts: Parameters<TestContext['call']>[1], status = 200) => {
    const res = await ctx.call(key, opts);
    expect(res.statusCode, `${opts.method} ${opts.url}: ${res.body}`).toBe(status);
    return res;
  };
  const dataset = (
    await ok(
      {
        method: 'POST',
        url: '/v1/datasets',
        payload: {
          name: `A secret dataset ${tag}`,
          metrics: [
            {
              name: `A secret energy ${tag}`,
              value_type: 'number',
              external_id: externalId,
              dimensions: [{ name: 'Facility' }],
            },
            { name: `A secret water ${tag}`, value_type: 'number' },
          ],
        },
      },
      201,
    )
  ).json();
  const metricId: string = dataset.metrics[0].id;
  const dimensionId: string = dataset.metrics[0].dimensions[0].id;
  const plainMetricId: string = dataset.metrics[1].id;
  const points = (
    await ok({
      method: 'PUT',
      url: `/v1/metrics/${metricId}/data_points`,
      payload: {
        data_points: [
          { date: '2024-01-01', value: '42.5', coordinates: { [dimensionId]: 'Ames' }, notes: `note ${tag}` },
        ],
      },
    })
  ).json();
  const importJob = (
    await ok(
      {
        method: 'POST',
        url: '/v1/imports',
        headers: { 'content-type': 'text/csv' },
        payload: `metric_id,date,value\n${metricId},2024-02-01,7\n`,
      },
      202,
    )
  ).json();
  const batch = await ok(
    {
      method: 'POST',
      url: `/prototype/platform/programs/${dataset.id}/metrics/${metricId}/values/batchUpsertion`,
      payload: {
        data: [
          {
            reportingPeriod: { year: 2024, start: 3, end: 3 },
            coordinates: { [dimensionId]: 'Ames' },
            value: '1',
          },
        ],
      },
    },
    202,
  );
  const operationId = String(batch.headers.location).split('/').pop() as string;
  const upload = async (file: string, csv: string) =>
    (
      await ok({
        method: 'POST',
        url: `/api/${file}/a-${tag}.csv`,
        headers: { 'content-type': 'text/csv' },
        payload: csv,
      })
    ).json().jobId as string;
  const metricUpdatesJobId = await upload('metricupdates', `${externalId},5,2024-04-01\n`);
  const progressUpdatesJobId = await upload('progressupdates', `${externalId},On Track,5,2024-04-01\n`);
  const entityId = `acct-a-${tag}`;
  await ok({
    method: 'POST',
    url: '/analytics/v1/batch',
    payload: [
      { type: 'account', accountId: entityId, traits: { name: `A secret account ${tag}` } },
      { type: 'user', userId: `user-a-${tag}`, accountId: entityId, traits: { name: 'A user' } },
      { type: 'track', userId: `user-a-${tag}`, event: 'signed_in', properties: { plan: `plan-${tag}` } },
    ],
  });
  const apiKey = (
    await ok(
      { method: 'POST', url: '/v1/api-keys', payload: { name: `A secret key ${tag}`, scopes: ['read'] } },
      201,
    )
  ).json();
  const ids = {
    apiKeyId: apiKey.id as string,
    datasetId: dataset.id as string,
    metricId,
    dimensionId,
    plainMetricId,
    pointId: points.data_points[0].id as string,
    importId: importJob.id as string,
    operationId,
    metricUpdatesJobId,
    progressUpdatesJobId,
  };
  for (const [name, id] of Object.entries(ids)) expect(id, name).toMatch(/^[\w-]{8,}$/);
  return {
    ...ids,
    entityType: 'account',
    entityId,
    externalId,
    secrets: [
      ...Object.values(ids),
      entityId,
      `user-a-${tag}`,
      externalId,
      tag,
      apiKey.secret,
      apiKey.prefix,
    ],
  };
}

/** A path parameter's value, and whether it names a resource of A (else B's call is B's own). */
export interface ParamExample {
  value: string;
  resource: boolean;
}

/**
 * Path parameters by name. A name is looked up as the route's path up to it, then
 * qualified by the segment before it (`datasets/:id`), then alone.
 */
export function paramExamples(f: Fixture): Record<string, ParamExample> {
  const id = (value: string): ParamExample => ({ value, resource: true });
  return {
    'datasets/:id': id(f.datasetId),
    'metrics/:id': id(f.metricId),
    'imports/:id': id(f.importId),
    'api-keys/:id': id(f.apiKeyId),
    ':point_id': id(f.pointId),
    ':metric_id': id(f.plainMetricId),
    ':datasetId': id(f.datasetId),
    ':kpiId': id(f.metricId),
    ':programId': id(f.datasetId),
    ':metricId': id(f.metricId),
    ':operationId': id(f.operationId),
    '/api/metricupdates/status/:jobId': id(f.metricUpdatesJobId),
    '/api/progressupdates/status/:jobId': id(f.progressUpdatesJobId),
    ':type': id(f.entityType),
    ':external_id': id(f.entityId),
    // A name the client chooses for its upload: not one of A's resources.
    ':filename': { value: 'updates.csv', resource: false },
  };
}

/** Fills a route's path parameters; undefined names the first parameter with no example. */
export function fillPath(
  url: string,
  params: Record<string, ParamExample>,
): { path: string; resource: boolean } | { missing: string } {
  const segments = url.split('/');
  let resource = false;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (!segment.startsWith(':')) continue;
    const keys = [segments.slice(0, i + 1).join('/'), `${segments[i - 1]}/${segment}`, segment];
    const found = keys.map((k) => params[k]).find((p) => p !== undefined);
    if (!found) return { missing: segment };
    segments[i] = encodeURIComponent(found.value);
    resource ||= found.resource;
  }
  return { path: segments.join('/'), resource };
}

/** The parts of a request a route needs besides its path and key. */
export interface RequestExample {
  query?: string;
  headers?: Record<string, string>;
  payload?: unknown;
}

/**
 * Minimal valid requests, keyed by `METHOD url`: every write route needs one (`{}` when it
 * takes no body); a read route only when it needs a query.
 */
export function requestExamples(f: Fixture): Record<string, RequestExample> {
  const csv = { 'content-type': 'text/csv' };
  const batch = { payload: { data: [] } };
  return {
    // native
    'POST /v1/datasets': { payload: { name: 'B dataset' } },
    'PATCH /v1/datasets/:id': { payload: { description: 'changed by B' } },
    'DELETE /v1/datasets/:id': {},
    'POST /v1/metrics': { payload: { name: 'B metric' } },
    'GET /v1/metrics': { query: `dataset_id=${f.datasetId}` },
    'PATCH /v1/metrics/:id': { payload: { description: 'changed by B' } },
    'DELETE /v1/metrics/:id': {},
    'PUT /v1/metrics/:id/data_points': {
      payload: {
        data_points: [{ date: '2024-01-01', value: '1', coordinates: { [f.dimensionId]: 'Ames' } }],
      },
    },
    'DELETE /v1/metrics/:id/data_points/:point_id': {},
    'DELETE /v1/metrics/:id/data_points': {
      query: `date=2024-01-01&coordinates=${encodeURIComponent(JSON.stringify({ [f.dimensionId]: 'Ames' }))}`,
    },
    'GET /v1/events/counts': { query: 'event=signed_in' },
    'POST /v1/imports': { headers: csv, payload: `metric_id,date,value\n${f.metricId},2024-01-01,1\n` },
    // A public address literal: no name to resolve (the test machine may have no DNS).
    'PUT /v1/webhook': { payload: { url: 'https://8.8.8.8/kpihub' } },
    'DELETE /v1/webhook': {},
    // Signs out the session of the cookie sent (B's own, or none with a key).
    'DELETE /v1/session': {},
    'POST /v1/api-keys': { payload: { name: 'B key', scopes: ['read'] } },
    'DELETE /v1/api-keys/:id': {},
    // Dcycle
    'POST /v1/custom-kpi-datasets': { payload: { name: 'B dataset' } },
    'PUT /v1/custom-kpi-datasets/:datasetId': { payload: { name: 'changed by B' } },
    'PATCH /v1/custom-kpi-datasets/:datasetId': { payload: { description: 'changed by B' } },
    'DELETE /v1/custom-kpi-datasets/:datasetId': {},
    'POST /v1/custom-kpi-datasets/:datasetId/kpis': { payload: { name: 'B kpi' } },
    'PUT /v1/custom-kpi-datasets/:datasetId/kpis/:kpiId': { payload: { name: 'changed by B' } },
    'PATCH /v1/custom-kpi-datasets/:datasetId/kpis/:kpiId': { payload: { description: 'changed by B' } },
    'DELETE /v1/custom-kpi-datasets/:datasetId/kpis/:kpiId': {},
    // AchieveIt: B's own upload, naming A's external id (its job will not find it).
    'POST /api/metricupdates/:filename': { headers: csv, payload: `${f.externalId},5,2024-04-01\n` },
    'POST /api/progressupdates/:filename': {
      headers: csv,
      payload: `${f.externalId},On Track,5,2024-04-01\n`,
    },
    // Vitally
    'POST /analytics/v1/batch': {
      payload: [{ type: 'account', accountId: 'acct-b', traits: { name: 'B' } }],
    },
    // Visible
    'PUT /metrics/:metric_id/data_points': { payload: { data_points: [{ date: '2024-01-01', value: '1' }] } },
    'GET /data_points': { query: `metric_id=${f.plainMetricId}` },
    'POST /metrics': { payload: { name: 'B metric', unit: 'number' } },
    // Workiva
    'POST /prototype/platform/programs/:programId/metrics/:metricId/values/batchUpsertion': batch,
    'POST /prototype/platform/programs/:programId/metrics/:metricId/values/batchDeletion': batch,
  };
}
