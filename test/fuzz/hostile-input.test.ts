import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { errorShapes } from '../helpers/error-shapes.ts';
import { fingerprint } from '../helpers/fingerprint.ts';
import { hostileRequest, type Route, routesOf, type Seed } from '../helpers/hostile.ts';

// Property-based hostile input over every route the app documents (its OpenAPI document),
// on both engines: whatever a client sends, the answer is never a 5xx, an error is in the
// route's dialect shape, and a rejected write changed no row. FUZZ_CASES sets the number of
// requests per engine; FUZZ_SEED replays a failing run (the seed is printed on failure).

const CASES = Number(process.env.FUZZ_CASES ?? 2500);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 50_000);

/** Figures of one run, read by scripts/fuzz (npm run fuzz) from FUZZ_REPORT. */
interface FuzzFigures {
  engine: string;
  cases: number;
  fiveHundreds: number;
  statuses: Record<string, number>;
  durationMs: number;
  seed: number;
  violations: Record<string, number>;
}

async function seed(ctx: TestContext): Promise<Seed> {
  const post = async (url: string, payload: object, method: 'POST' | 'PUT' = 'POST') => {
    const res = await ctx.call(ctx.orgA.admin, { method, url, payload });
    if (res.statusCode >= 300) throw new Error(`seed ${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  };
  const dataset = await post('/v1/datasets', { name: 'Fuzz dataset' });
  const metric = await post('/v1/metrics', {
    name: 'Fuzz metric',
    dataset_id: dataset.id,
    external_id: 'fuzz-1',
  });
  await post(
    `/v1/metrics/${metric.id}/data_points`,
    { data_points: [{ date: '2024-01-01', value: '1' }] },
    'PUT',
  );
  const points = await ctx.call(ctx.orgA.admin, {
    method: 'GET',
    url: `/v1/metrics/${metric.id}/data_points`,
  });
  const pointId = (points.json().items ?? points.json().data_points)[0].id as string;
  const op = await ctx.call(ctx.orgA.admin, {
    method: 'POST',
    url: `/prototype/platform/programs/${dataset.id}/metrics/${metric.id}/values/batchUpsertion`,
    payload: { data: [{ reportingPeriod: { year: 2024, start: 2, end: 2 }, value: '2' }] },
  });
  const jobId = String(op.headers.location).split('/').pop() as string;
  await post('/analytics/v1/batch', [{ type: 'account', accountId: 'acc-1', traits: { a: 1 } }]);
  return { datasetId: dataset.id, metricId: metric.id, pointId, jobId };
}

const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

describe.each(engines())('hostile input on every route (%s)', (engine) => {
  test(
    `no 5xx, the dialect's error shape, no row changed by a rejection (${CASES} cases)`,
    async () => {
      const ctx = await createTestContext(engine, { KPIHUB_RATE_LIMIT_MAX: '100000000' });
      const started = Date.now();
      const figures: FuzzFigures = {
        engine,
        cases: 0,
        fiveHundreds: 0,
        statuses: {},
        durationMs: 0,
        seed: SEED,
        violations: {},
      };
      const violations: string[] = [];
      const kinds = figures.violations;
      try {
        const ids = await seed(ctx);
        await ctx.app.ready();
        const routes = routesOf(ctx.app.swagger() as never);
        expect(routes.length).toBeGreaterThan(40);
        const property = fc.asyncProperty(
          fc
            .constantFrom(...routes)
            .chain((route: Route) => hostileRequest(route, ids).map((req) => ({ route, req }))),
          async ({ route, req }) => {
            if (Date.now() - started > BUDGET_MS) return; // the time bound wins over the case count
            const write = WRITE.has(route.method);
            const before = write ? await fingerprint(ctx.store) : undefined;
            const res = await ctx.call(ctx.orgA.admin, req.inject);
            figures.cases++;
            figures.statuses[res.statusCode] = (figures.statuses[res.statusCode] ?? 0) + 1;
            const where = `${route.method} ${req.inject.url} [${req.describe.contentType ?? ''}] ${req.describe.body.slice(0, 300)}`;
            const violation = (what: string) => {
              violations.push(`${what}: ${where} -> ${res.statusCode} ${res.body.slice(0, 300)}`);
              kinds[what] = (kinds[what] ?? 0) + 1;
            };
            if (res.statusCode >= 500) {
              figures.fiveHundreds++;
              return violation('5xx');
            }
            if (res.statusCode < 400) return;
            const problem = errorShapes[route.dialect](res.statusCode, res.headers['content-type'], res.body);
            // A path that no longer addresses this route (a dot segment the client resolves, a
            // decoded '/') gets the answer of the app as a whole, which is the native one.
            const path = req.inject.url.split('?')[0];
            const elsewhere = res.statusCode === 404 || /\/(\.|%2e){1,2}(\/|$)/i.test(path);
            const unrouted =
              elsewhere && errorShapes.native(res.statusCode, res.headers['content-type'], res.body) === null;
            if (problem !== null && !unrouted) violation(`not in the ${route.dialect} shape (${problem})`);
            if (before) {
              const after = await fingerprint(ctx.store);
              if (JSON.stringify(after) !== JSON.stringify(before)) violation('rows changed by a rejection');
            }
          },
        );
        // Every case runs (no stop at the first failure): the long run counts them all.
        await fc.assert(property, { numRuns: CASES, seed: SEED });
        for (const v of violations.slice(0, 20)) console.error(v);
        expect(violations.slice(0, 20), `${violations.length} violations: ${JSON.stringify(kinds)}`).toEqual(
          [],
        );
      } catch (error) {
        console.error(`hostile-input failed on ${engine}: replay with FUZZ_SEED=${SEED} FUZZ_CASES=${CASES}`);
        throw error;
      } finally {
        figures.durationMs = Date.now() - started;
        if (process.env.FUZZ_REPORT) {
          const { appendFileSync } = await import('node:fs');
          appendFileSync(process.env.FUZZ_REPORT, `${JSON.stringify(figures)}\n`);
        }
        await ctx.close();
      }
    },
    BUDGET_MS + 60_000,
  );
});
