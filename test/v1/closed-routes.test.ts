import { describe, expect, it } from 'vitest';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { expectProblem } from '../helpers/native.ts';

// Every native route, as the OpenAPI document lists them: an unknown query parameter and an
// unknown body property are each a 400 naming it. New routes are covered without a new test.

interface Operation {
  parameters?: { name: string; in: string; schema?: { enum?: string[] } }[];
  requestBody?: { content: Record<string, unknown> };
}

describe.each(engines())('every native route is closed [%s]', (engine) => {
  const ctx = useTestContext(engine);

  it('refuses an unknown query parameter and an unknown JSON body property, naming it', async () => {
    const doc = (await ctx().app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, Operation>>;
    };
    const native = Object.entries(doc.paths).filter(
      ([path]) => path.startsWith('/v1/') && !path.startsWith('/v1/custom-kpi-datasets'),
    );
    expect(native.length).toBeGreaterThan(10);
    let bodies = 0;
    let queries = 0;
    for (const [path, ops] of native) {
      for (const [method, op] of Object.entries(ops)) {
        const url = path.replace(/\{(\w+)\}/g, (_, name: string) => {
          const param = op.parameters?.find((p) => p.in === 'path' && p.name === name);
          return param?.schema?.enum?.[0] ?? '00000000-0000-4000-8000-000000000000';
        });
        const verb = method.toUpperCase() as 'GET';
        const json =
          op.requestBody?.content['application/json'] && !op.requestBody.content['multipart/form-data'];
        // Fastify checks the body before the query string: a route with a JSON body is
        // walked with its body, the others with their query string.
        if (!json) {
          queries++;
          const query = await ctx().call(ctx().orgA.admin, { method: verb, url: `${url}?zz_unknown=1` });
          const named = expectProblem(query, 400).errors.map((e) => e.field);
          expect(named, `${method} ${path}`).toContain('zz_unknown');
        }
        if (json) {
          bodies++;
          const body = await ctx().call(ctx().orgA.admin, { method: verb, url, payload: { zz_unknown: 1 } });
          expect(
            expectProblem(body, 400).errors.map((e) => e.field),
            `${method} ${path} body`,
          ).toContain('zz_unknown');
        }
      }
    }
    expect(bodies).toBeGreaterThan(4);
    expect(queries).toBeGreaterThan(8);
  });
});
