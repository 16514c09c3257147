import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobHandlers } from '../../src/job-handlers.ts';
import { verifyWebhookSignature, Worker } from '../../src/jobs/index.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { expectProblem, walkPages } from '../helpers/native.ts';
import { createProgram, operationPathOf, type Program, valuesUrl } from '../helpers/workiva.ts';

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe.each(engines())('native imports and the webhook [%s]', (engine) => {
  // The receiver below listens on 127.0.0.1: allowed as an on-premise webhook target.
  const ctx = useTestContext(engine, { KPIHUB_WEBHOOK_ALLOW_HOSTS: '127.0.0.1' });
  let program: Program;
  let server: Server;
  let hookUrl: string;
  const received: Received[] = [];
  /** Status codes the receiver answers with, in turn (then 200). */
  const answers: number[] = [];

  beforeAll(async () => {
    program = await createProgram(ctx(), ctx().orgA.admin);
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.statusCode = answers.shift() ?? 200;
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/kpihub`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  const batch = async (value: string, key = ctx().orgA.write) => {
    const res = await ctx().call(key, {
      method: 'POST',
      url: `${valuesUrl(program)}/batchUpsertion`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({
        data: [
          {
            reportingPeriod: { year: 2024, start: 1, end: 1 },
            coordinates: { [program.dimensionId]: 'A' },
            value,
          },
        ],
      }),
    });
    expect(res.statusCode, res.body).toBe(202);
    return operationPathOf(res).split('/').pop() as string;
  };
  const drain = () =>
    new Worker({
      store: ctx().store,
      handlers: jobHandlers,
      retryBaseMs: 50,
      webhookTargets: ctx().config.webhookTargets,
    }).drain();
  const get = (url: string, key = ctx().orgA.read) => ctx().call(key, { method: 'GET', url });

  it('shows an import with kind, status, counts, timings and its result link', async () => {
    const id = await batch('10');
    const queued = await get(`/v1/imports/${id}`);
    expect(queued.statusCode).toBe(200);
    expect(queued.json()).toMatchObject({
      id,
      kind: 'workiva.batchUpsertion',
      status: 'queued',
      received: 1,
      applied: 0,
      rejected: 0,
      errors: [],
      started_at: null,
      finished_at: null,
      result_url: null,
    });
    await drain();
    const done = (await get(`/v1/imports/${id}`)).json();
    expect(done).toMatchObject({
      status: 'completed',
      received: 1,
      applied: 1,
      attempts: 1,
      result_url: valuesUrl(program),
    });
    expect(Date.parse(done.finished_at)).toBeGreaterThanOrEqual(Date.parse(done.started_at));
    expect(done.duration_ms).toBeGreaterThanOrEqual(0);
    expect(done.progress).toEqual({ read: 1, applied: 1 });
  });

  it('lists imports newest first with cursor paging and filters; never another organization’s', async () => {
    const ids = [await batch('1'), await batch('2'), await batch('3')];
    await drain();
    const { items } = await walkPages<{ id: string; status: string }>(
      (o) => ctx().call(ctx().orgA.read, o),
      '/v1/imports?status=completed',
      2,
    );
    const listed = items.map((i) => i.id);
    for (const id of ids) expect(listed).toContain(id);
    expect(listed.indexOf(ids[2])).toBeLessThan(listed.indexOf(ids[0]));
    expect(items.every((i) => i.status === 'completed')).toBe(true);
    const b = await get('/v1/imports', ctx().orgB.admin);
    expect(b.statusCode).toBe(200);
    expect(b.json().items.map((i: { id: string }) => i.id)).not.toContain(ids[0]);
    expectProblem(await get(`/v1/imports/${ids[0]}`, ctx().orgB.admin), 404);
    expectProblem(await get('/v1/imports?cursor=bm9wZQ'), 400);
    expectProblem(await ctx().app.inject({ method: 'GET', url: `/v1/imports/${ids[0]}` }), 401);
  });

  it('manages the webhook with the admin scope only; the secret is shown once', async () => {
    const put = (key: string, payload: Record<string, string>) =>
      ctx().call(key, { method: 'PUT', url: '/v1/webhook', payload });
    expectProblem(await put(ctx().orgA.write, { url: hookUrl }), 403);
    expectProblem(await get('/v1/webhook', ctx().orgA.admin), 404);
    expectProblem(await put(ctx().orgA.admin, { url: 'ftp://example.com/x' }), 422);
    const set = await put(ctx().orgA.admin, { url: hookUrl });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toMatchObject({ url: hookUrl, secret: expect.stringMatching(/^whsec_/) });
    const shown = await get('/v1/webhook', ctx().orgA.admin);
    expect(shown.json()).toEqual({
      url: hookUrl,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      created_by: expect.any(String),
    });
    expectProblem(await get('/v1/webhook', ctx().orgB.admin), 404);
    expect((await ctx().call(ctx().orgA.admin, { method: 'DELETE', url: '/v1/webhook' })).statusCode).toBe(
      204,
    );
    expectProblem(await get('/v1/webhook', ctx().orgA.admin), 404);
  });

  it('calls the webhook, signed, when an import ends, and retries it with backoff', async () => {
    const secret = 'a-shared-secret-of-some-length';
    const set = await ctx().call(ctx().orgA.admin, {
      method: 'PUT',
      url: '/v1/webhook',
      payload: { url: hookUrl, secret },
    });
    expect(set.json().secret).toBe(secret);
    received.length = 0;
    answers.push(500, 503);
    const ok = await batch('20');
    const bad = await batch('not a number');
    const w = new Worker({
      store: ctx().store,
      handlers: jobHandlers,
      pollMs: 20,
      retryBaseMs: 50,
      webhookTargets: ctx().config.webhookTargets,
    }).start();
    const until = Date.now() + 20_000;
    while (received.filter((r) => r.headers['kpihub-event']).length < 4 && Date.now() < until)
      await sleep(25);
    // The 4th answer arrives before the worker records its delivery as done; a stop in
    // between hands that job back to the queue (a shutdown does), so wait for the record.
    const deliveryStates = () =>
      ctx()
        .store.db.selectFrom('jobs')
        .select(['status', 'attempts'])
        .where('kind', '=', 'webhook.deliver')
        .where('org_id', '=', ctx().orgA.id)
        .execute();
    while ((await deliveryStates()).some((d) => d.status !== 'completed') && Date.now() < until)
      await sleep(25);
    await w.stop();
    // Two deliveries failed (500, 503) and were retried; each event arrived with 200 once.
    expect(received).toHaveLength(4);
    const events = received.map((r) => {
      expect(r.headers['content-type']).toBe('application/json');
      const signature = String(r.headers['kpihub-signature']);
      expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(verifyWebhookSignature(secret, signature, r.body)).toBe(true);
      expect(verifyWebhookSignature('another-secret-entirely', signature, r.body)).toBe(false);
      return JSON.parse(r.body);
    });
    const byJob = new Map(events.map((e) => [e.data.id, e]));
    expect(byJob.get(ok)).toMatchObject({
      type: 'import.completed',
      data: { status: 'completed', applied: 1 },
    });
    expect(byJob.get(bad)).toMatchObject({
      type: 'import.failed',
      data: { status: 'failed', errors: [{ index: 0, field: 'data[0].value', reason: expect.any(String) }] },
    });
    const deliveries = await deliveryStates();
    expect(deliveries.every((d) => d.status === 'completed')).toBe(true);
    expect(deliveries.reduce((n, d) => n + d.attempts, 0)).toBe(4);
    // Deliveries are the queue's own jobs: not listed as imports.
    const listed = (await get('/v1/imports?limit=100')).json().items;
    expect(listed.some((i: { kind: string }) => i.kind === 'webhook.deliver')).toBe(false);
  });
});
