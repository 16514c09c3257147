import { describe, expect, it } from 'vitest';
import { openStore } from '../src/store/database.ts';
import { createTestDatabase, engines } from './helpers/engines.ts';
import { type KpihubProcess, startServe } from './helpers/processes.ts';

// Three `kpihub serve` started at once on an empty database (a deployment rolling out its
// API processes together): the migrations run once, and exactly one of them creates the
// default organization and the admin key and prints it. Before the bootstrap took a lock,
// two organizations appeared in 7 of 16 trials on PostgreSQL; before SQLite's migrations ran
// in one immediate transaction, a process could stop with "table organizations already
// exists" (seen once in the suite).

const TRIALS = 3;
const PROCESSES = 3;

describe.each(engines())('first start by several processes at once [%s]', (engine) => {
  it(`creates one organization and one admin key, ${TRIALS} times over`, { timeout: 240_000 }, async () => {
    for (let trial = 1; trial <= TRIALS; trial++) {
      const database = await createTestDatabase(engine);
      const started: KpihubProcess[] = [];
      try {
        const all = await Promise.allSettled(
          Array.from({ length: PROCESSES }, () =>
            startServe({ KPIHUB_DATABASE_URL: database.env, KPIHUB_WORKERS: '0' }).then((p) => {
              started.push(p);
              return p;
            }),
          ),
        );
        for (const r of all)
          expect(r.status, r.status === 'rejected' ? String(r.reason) : '').toBe('fulfilled');
        const printed = started.filter((p) => /admin API key/.test(p.output()));
        expect(printed.length, `trial ${trial}: processes that printed a key`).toBe(1);

        const store = openStore(database.url);
        try {
          const orgs = await store.db.selectFrom('organizations').select(['id', 'name']).execute();
          const keys = await store.db.selectFrom('api_keys').select(['org_id', 'scopes']).execute();
          expect(orgs, `trial ${trial}`).toEqual([{ id: expect.any(String), name: 'default' }]);
          expect(keys, `trial ${trial}`).toEqual([
            { org_id: orgs[0].id, scopes: expect.stringContaining('admin') },
          ]);
        } finally {
          await store.close();
        }
        // Every process serves with that key.
        const secret = /\n\s+(kph_[\w-]+)\n/.exec(printed[0].output())?.[1];
        for (const p of started) {
          const res = await fetch(`${(p as KpihubProcess & { url: string }).url}/v1/datasets`, {
            headers: { authorization: `Bearer ${secret}` },
          });
          expect(res.status).toBe(200);
        }
      } finally {
        await Promise.all(started.map((p) => p.stop()));
        await database.drop();
      }
    }
  });
});
