import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TargetPolicy } from '../../src/core/webhook-targets.ts';
import { jobHandlers } from '../../src/job-handlers.ts';
import { Worker } from '../../src/jobs/index.ts';
import { type TestContext, useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { expectProblem } from '../helpers/native.ts';
import { countRows } from '../helpers/rows.ts';
import { createProgram, type Program, valuesUrl } from '../helpers/workiva.ts';

// Every URL here must be refused at registration with the default settings.
const REFUSED: [string, string][] = [
  ['loopback', 'http://127.0.0.1/hook'],
  ['loopback, other address and port', 'http://127.0.0.2:9000/hook'],
  ['IPv6 loopback', 'http://[::1]/hook'],
  ['cloud metadata (link-local)', 'http://169.254.169.254/latest/meta-data/'],
  ['IPv6 link-local', 'http://[fe80::1]/hook'],
  ['private 10/8', 'http://10.0.0.1/hook'],
  ['private 172.16/12', 'http://172.16.5.4/hook'],
  ['private 192.168/16', 'https://192.168.1.1/hook'],
  ['IPv6 unique local fc00::/7', 'http://[fd12:3456::1]/hook'],
  ['unspecified', 'http://0.0.0.0/hook'],
  ['IPv6 unspecified', 'http://[::]/hook'],
  ['broadcast', 'http://255.255.255.255/hook'],
  ['multicast', 'http://224.0.0.1/hook'],
  ['IPv6 multicast', 'http://[ff02::1]/hook'],
  ['carrier-grade NAT', 'http://100.64.0.1/hook'],
  ['reserved', 'http://240.0.0.1/hook'],
  ['IPv4-mapped loopback', 'http://[::ffff:127.0.0.1]/hook'],
  ['IPv4-mapped metadata', 'http://[::ffff:169.254.169.254]/hook'],
  ['IPv4-mapped private', 'http://[::ffff:10.0.0.1]/hook'],
  ['NAT64 of loopback', 'http://[64:ff9b::7f00:1]/hook'],
  ['decimal IP', 'http://2130706433/hook'],
  ['hex IP', 'http://0x7f000001/hook'],
  ['octal IP', 'http://0177.0.0.1/hook'],
  ['short IP', 'http://127.1/hook'],
  ['mixed hex parts', 'http://0x7f.0.0.1/hook'],
  ['octal whole', 'http://017700000001/hook'],
  ['a name resolving to loopback', 'http://localhost:9999/hook'],
  ['the same name, upper case with a dot', 'http://LOCALHOST./hook'],
  ['a name that does not resolve', 'http://no-such-host.invalid/hook'],
  ['ftp', 'ftp://8.8.8.8/hook'],
  ['file', 'file:///etc/passwd'],
  ['gopher', 'gopher://8.8.8.8:70/_x'],
  ['credentials in the URL', 'http://user:secret@8.8.8.8/hook'],
  ['not a URL', 'not a url'],
];

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver on 127.0.0.1 that records what it is sent. */
async function receiver(): Promise<{ server: Server; port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, received };
}

const putHook = (ctx: TestContext, url: string) =>
  ctx.call(ctx.orgA.admin, { method: 'PUT', url: '/v1/webhook', payload: { url } });

/** Ends one import (a Workiva batch) so that a webhook delivery is enqueued. */
async function endAnImport(ctx: TestContext, program: Program, targets?: TargetPolicy): Promise<void> {
  const res = await ctx.call(ctx.orgA.write, {
    method: 'POST',
    url: `${valuesUrl(program)}/batchUpsertion`,
    payload: {
      data: [
        {
          reportingPeriod: { year: 2024, start: 1, end: 1 },
          coordinates: { [program.dimensionId]: 'A' },
          value: '1',
        },
      ],
    },
  });
  expect(res.statusCode, res.body).toBe(202);
  await new Worker({
    store: ctx.store,
    handlers: jobHandlers,
    retryBaseMs: 20,
    ...(targets ? { webhookTargets: targets } : {}),
  }).drain();
}

async function deliveries(ctx: TestContext) {
  const rows = await ctx.store.db
    .selectFrom('jobs')
    .select(['id', 'status', 'attempts', 'errors', 'result'])
    .where('kind', '=', 'webhook.deliver')
    .where('org_id', '=', ctx.orgA.id)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({
    ...r,
    errors: r.errors ? JSON.parse(r.errors) : null,
    result: r.result ? JSON.parse(r.result) : null,
  }));
}

describe.each(engines())('webhook targets, default settings [%s]', (engine) => {
  const ctx = useTestContext(engine);

  it.each(REFUSED)('refuses %s at registration, naming url, storing nothing', async (_what, url) => {
    const before = await countRows(ctx().store, 'webhooks');
    const body = expectProblem(await putHook(ctx(), url), 422);
    expect(body.errors.map((e) => e.field)).toEqual(['url']);
    expect(await countRows(ctx().store, 'webhooks')).toBe(before);
    expectProblem(await ctx().call(ctx().orgA.admin, { method: 'GET', url: '/v1/webhook' }), 404);
  });

  it('says why: the resolved address and its class', async () => {
    const body = expectProblem(await putHook(ctx(), 'http://localhost:9999/hook'), 422);
    expect(body.errors[0].message).toMatch(/resolves to (127\.0\.0\.1|::1), a loopback address/);
    const metadata = expectProblem(await putHook(ctx(), 'http://169.254.169.254/'), 422);
    expect(metadata.errors[0].message).toMatch(/169\.254\.169\.254 is a link-local address/);
  });

  it('keeps an existing webhook unchanged when a new URL is refused', async () => {
    const set = await putHook(ctx(), 'https://8.8.8.8/hook');
    expect(set.statusCode, set.body).toBe(200);
    const before = (await ctx().call(ctx().orgA.admin, { method: 'GET', url: '/v1/webhook' })).json();
    expectProblem(await putHook(ctx(), 'http://10.1.2.3/hook'), 422);
    const after = await ctx().call(ctx().orgA.admin, { method: 'GET', url: '/v1/webhook' });
    expect(after.json()).toEqual(before);
    await ctx().call(ctx().orgA.admin, { method: 'DELETE', url: '/v1/webhook' });
  });
});

describe.each(engines())('webhook targets allowed by KPIHUB_WEBHOOK_ALLOW_HOSTS [%s]', (engine) => {
  // HOST:PORT of this (never listening) server is 127.0.0.1:8080: refused even when allowed.
  const ctx = useTestContext(engine, {
    KPIHUB_WEBHOOK_ALLOW_HOSTS: '127.0.0.1, hooks.on-prem.test',
    HOST: '127.0.0.1',
    PORT: '8080',
  });
  let program: Program;
  let hook: Awaited<ReturnType<typeof receiver>>;

  beforeAll(async () => {
    program = await createProgram(ctx(), ctx().orgA.admin);
    hook = await receiver();
  });
  afterAll(async () => {
    await new Promise((r) => hook.server.close(r));
  });

  it('accepts an allowed private address and delivers there', async () => {
    const url = `http://127.0.0.1:${hook.port}/hooks/kpihub`;
    const set = await putHook(ctx(), url);
    expect(set.statusCode, set.body).toBe(200);
    hook.received.length = 0;
    await endAnImport(ctx(), program, ctx().config.webhookTargets);
    expect(hook.received).toHaveLength(1);
    expect(JSON.parse(hook.received[0].body)).toMatchObject({ type: 'import.completed' });
    const last = (await deliveries(ctx())).at(-1);
    expect(last).toMatchObject({
      status: 'completed',
      attempts: 1,
      result: { address: '127.0.0.1', status: 200 },
    });
  });

  it('still refuses other private addresses and this server itself', async () => {
    expectProblem(await putHook(ctx(), 'http://10.0.0.1/hook'), 422);
    const self = expectProblem(await putHook(ctx(), 'http://127.0.0.1:8080/v1/datasets'), 422);
    expect(self.errors[0]).toEqual({ field: 'url', message: expect.stringMatching(/this server itself/) });
    const shown = await ctx().call(ctx().orgA.admin, { method: 'GET', url: '/v1/webhook' });
    expect(shown.json().url).toBe(`http://127.0.0.1:${hook.port}/hooks/kpihub`);
  });

  it('connects to the address it checked, never resolving the name again (DNS rebinding)', async () => {
    // hooks.on-prem.test exists only in this resolver: a delivery that looked the name up
    // again (as a plain fetch would) could not connect.
    const targets: TargetPolicy = {
      ...ctx().config.webhookTargets,
      resolve: async () => [{ address: '127.0.0.1', family: 4 }],
    };
    const url = `http://hooks.on-prem.test:${hook.port}/hooks/kpihub`;
    await ctx().store.db.updateTable('webhooks').set({ url }).where('org_id', '=', ctx().orgA.id).execute();
    hook.received.length = 0;
    await endAnImport(ctx(), program, targets);
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0].headers.host).toBe(`hooks.on-prem.test:${hook.port}`);
    expect((await deliveries(ctx())).at(-1)).toMatchObject({ status: 'completed', attempts: 1 });
  });

  it('refuses at delivery a stored target that the worker settings do not allow: failed at once, nothing sent', async () => {
    const url = `http://127.0.0.1:${hook.port}/hooks/kpihub`;
    await ctx().store.db.updateTable('webhooks').set({ url }).where('org_id', '=', ctx().orgA.id).execute();
    hook.received.length = 0;
    // A worker with the default settings (no allow-list): 127.0.0.1 is refused.
    await endAnImport(ctx(), program);
    expect(hook.received).toHaveLength(0);
    const last = (await deliveries(ctx())).at(-1);
    expect(last).toMatchObject({ status: 'failed', attempts: 1, result: null });
    expect(last?.errors).toEqual([
      {
        field: 'url',
        code: 'refused',
        message: expect.stringMatching(/^delivery refused: 127\.0\.0\.1 is a loopback address/),
      },
    ]);
  });

  it('refuses at delivery a name that now resolves to a private address', async () => {
    // Accepted while it resolved publicly; since then its DNS answers 10.0.0.7.
    const url = `http://hooks.example.test:${hook.port}/hooks/kpihub`;
    await ctx().store.db.updateTable('webhooks').set({ url }).where('org_id', '=', ctx().orgA.id).execute();
    hook.received.length = 0;
    await endAnImport(ctx(), program, {
      ...ctx().config.webhookTargets,
      resolve: async () => [
        { address: '93.184.216.34', family: 4 },
        { address: '10.0.0.7', family: 4 },
      ],
    });
    expect(hook.received).toHaveLength(0);
    const last = (await deliveries(ctx())).at(-1);
    expect(last).toMatchObject({ status: 'failed', attempts: 1 });
    expect(last?.errors[0].message).toMatch(/resolves to 10\.0\.0\.7, a private address/);
  });
});
