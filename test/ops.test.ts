import { describe, expect, it } from 'vitest';
import type { Actor } from '../src/core/context.ts';
import { enqueueJob, Worker } from '../src/jobs/index.ts';
import { useTestContext } from './helpers/app.ts';
import { engines } from './helpers/engines.ts';

describe.each(engines())('operations endpoints [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const get = (url: string) => ctx().app.inject({ method: 'GET', url });

  it('answers /health and /ready without a key', async () => {
    const health = await get('/health');
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    const ready = await get('/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready' });
    expect(health.headers['x-request-id']).toEqual(expect.any(String));
  });

  it('keeps a sane client request id and answers with it', async () => {
    const res = await ctx().app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': 'abc-123' },
    });
    expect(res.headers['x-request-id']).toBe('abc-123');
    const odd = await ctx().app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': 'a b<c>' },
    });
    expect(odd.headers['x-request-id']).not.toBe('a b<c>');
  });

  it('counts requests by route pattern in the Prometheus metrics', async () => {
    await ctx().call(ctx().orgA.read, { method: 'GET', url: '/v1/datasets' });
    await ctx().call(ctx().orgA.read, {
      method: 'GET',
      url: '/v1/datasets/01900000-0000-7000-8000-000000000000',
    });
    const res = await get('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(
      /kpihub_http_requests_total\{method="GET",route="\/v1\/datasets",status="200"\} [1-9]/,
    );
    // The route's pattern, not the raw URL: ids do not become labels.
    expect(res.body).toContain('route="/v1/datasets/:id",status="404"');
    expect(res.body).not.toContain('01900000-0000-7000-8000-000000000000');
    expect(res.body).toContain('kpihub_http_request_duration_seconds_bucket');
  });

  it("reports the rollups' backlog: months written and not yet recomputed", async () => {
    const pending = async () =>
      Number(
        (await get('/metrics')).body
          .split('\n')
          .find((l) => l.startsWith('kpihub_rollup_months_pending '))
          ?.split(' ')[1],
      );
    const metric = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/v1/metrics',
      payload: { name: 'Backlog', value_type: 'number' },
    });
    const id = metric.json().id;
    const before = await pending();
    const put = await ctx().call(ctx().orgA.write, {
      method: 'PUT',
      url: `/v1/metrics/${id}/data_points`,
      payload: {
        data_points: [
          { date: '2024-01-05', value: '1' },
          { date: '2024-03-05', value: '2' },
        ],
      },
    });
    expect(put.statusCode).toBe(200);
    expect(await pending()).toBe(before + 2);
    // A read of the range recomputes its months first.
    await ctx().call(ctx().orgA.read, {
      method: 'GET',
      url: `/v1/metrics/${id}/series?granularity=month&agg=sum`,
    });
    expect(await pending()).toBe(before);
  });

  it('serves an OpenAPI 3.1 document listing the native and Dcycle paths', async () => {
    const res = await get('/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info.title).toBe('KPI Hub');
    for (const path of [
      '/v1/datasets',
      '/v1/datasets/{id}',
      '/v1/metrics',
      '/v1/metrics/{id}',
      '/v1/custom-kpi-datasets',
      '/v1/custom-kpi-datasets/{datasetId}',
      '/v1/custom-kpi-datasets/{datasetId}/kpis',
    ]) {
      expect(Object.keys(doc.paths), path).toContain(path);
    }
    expect(Object.keys(doc.paths['/v1/datasets']).sort()).toEqual(['get', 'post']);
    // The body is the MetricCreate component.
    expect(doc.paths['/v1/metrics'].post.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/MetricCreate',
    });
    expect(doc.components.schemas.MetricCreate.properties).toHaveProperty('value_type');
    expect(doc.components.securitySchemes).toHaveProperty('bearer');
  });

  it('serves interactive docs at /docs and /swagger/', async () => {
    for (const url of ['/docs', '/swagger/']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toMatch(/^text\/html/);
      expect(res.body, url).toMatch(/swagger/i);
      // The page's own scripts load too (relative to the page, as a browser resolves them).
      const scripts = [...res.body.matchAll(/src="([^"]+)"/g)].map((m) => m[1]);
      expect(scripts.length, url).toBeGreaterThan(0);
      for (const src of scripts) {
        const asset = await get(new URL(src, `http://x${url}`).pathname);
        expect(asset.statusCode, src).toBe(200);
      }
    }
    const spec = await get('/docs/json');
    expect(spec.json().paths).toHaveProperty(['/v1/datasets']);
  });
});

describe.each(engines())('the job queue in /metrics and /ready [%s]', (engine) => {
  const ctx = useTestContext(engine, { KPIHUB_READY_QUEUE_MAX_WAIT: '60' });
  const get = (url: string) => ctx().app.inject({ method: 'GET', url });
  const kind = 'test.metrics';
  const actor = (): Actor => ({ orgId: ctx().orgA.id, actor: 'tester', keyId: 'k', scopes: ['write'] });
  const metric = (body: string, line: string) =>
    body
      .split('\n')
      .find((l) => l.startsWith(line))
      ?.split(' ')
      .at(-1);

  it('reports waiting jobs, turns unready when one waits too long, and counts the ends', async () => {
    expect((await get('/ready')).statusCode).toBe(200);
    const { job } = await enqueueJob(ctx().store, { actor: actor(), kind, payload: 'x' });
    // Waiting two minutes already: no worker has taken it (the threshold is 60 s).
    const twoMinutesAgo = new Date(Date.now() - 120_000).toISOString();
    await ctx()
      .store.db.updateTable('jobs')
      .set({ run_after: twoMinutesAgo })
      .where('id', '=', job.id)
      .execute();

    const stuck = await get('/ready');
    expect(stuck.statusCode).toBe(503);
    expect(stuck.json()).toEqual({
      status: 'unavailable',
      reason: 'queue_stuck',
      queue_wait_seconds: expect.any(Number),
    });
    expect(stuck.json().queue_wait_seconds).toBeGreaterThanOrEqual(120);
    const before = (await get('/metrics')).body;
    expect(metric(before, `kpihub_jobs{kind="${kind}",status="queued"}`)).toBe('1');
    expect(
      Number(metric(before, `kpihub_jobs_oldest_queued_seconds{kind="${kind}"}`)),
    ).toBeGreaterThanOrEqual(120);

    const worker = new Worker({ store: ctx().store, handlers: { [kind]: async () => ({ applied: 3 }) } });
    expect(await worker.drain()).toBe(1);
    expect((await get('/ready')).json()).toEqual({ status: 'ready' });
    const after = (await get('/metrics')).body;
    expect(metric(after, `kpihub_jobs{kind="${kind}",status="queued"}`)).toBeUndefined();
    expect(metric(after, `kpihub_jobs_ended_total{kind="${kind}",status="completed"}`)).toBe('1');
    expect(metric(after, `kpihub_job_duration_seconds_count{kind="${kind}"}`)).toBe('1');
    expect(metric(after, `kpihub_job_attempts_sum{kind="${kind}"}`)).toBe('1');
  });
});

describe('the queue check of /ready can be turned off', () => {
  const ctx = useTestContext('sqlite', { KPIHUB_READY_QUEUE_MAX_WAIT: '0' });
  it('stays ready with a job waiting for hours', async () => {
    const actor: Actor = { orgId: ctx().orgA.id, actor: 'tester', keyId: 'k', scopes: ['write'] };
    const { job } = await enqueueJob(ctx().store, { actor, kind: 'test.nobody', payload: 'x' });
    const hoursAgo = new Date(Date.now() - 5 * 3_600_000).toISOString();
    await ctx().store.db.updateTable('jobs').set({ run_after: hoursAgo }).where('id', '=', job.id).execute();
    const res = await ctx().app.inject({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready' });
  });
});
