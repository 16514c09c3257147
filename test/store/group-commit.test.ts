import { describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.ts';
import { GroupCommit } from '../../src/store/group-commit.ts';
import { insertOrganization } from '../../src/store/organizations.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

describe.each(engines())('group commit [%s]', (engine) => {
  const ctx = useTestContext(engine);

  it('applies items that arrive together in order; a failing item fails alone', async () => {
    const { store } = ctx();
    const org = await insertOrganization(store.db, 'group-commit');
    const calls: string[] = [];
    const writer = new GroupCommit<string, string>(store, async (trx, name) => {
      calls.push(name);
      await trx
        .insertInto('analytics_dedup')
        .values({ org_id: org.id, key: name, processed_at: new Date().toISOString() })
        .execute();
      if (name === 'bad') throw new Error('bad item');
      return `ok:${name}`;
    });
    const results = await Promise.allSettled(['a', 'b', 'bad', 'c', 'd'].map((n) => writer.submit(n)));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'rejected'))).toEqual([
      'ok:a',
      'ok:b',
      'rejected',
      'ok:c',
      'ok:d',
    ]);
    const keys = await store.db
      .selectFrom('analytics_dedup')
      .select('key')
      .where('org_id', '=', org.id)
      .orderBy('key')
      .execute();
    expect(keys.map((k) => k.key)).toEqual(['a', 'b', 'c', 'd']);
    // Submitted in one turn of the event loop, the five formed one group; it failed on 'bad'
    // (rolled back whole) and was then retried item by item.
    expect(calls).toEqual(['a', 'b', 'bad', 'a', 'b', 'bad', 'c', 'd']);
  });

  it('a lone item is applied in a transaction of its own', async () => {
    const { store } = ctx();
    const org = await insertOrganization(store.db, 'single');
    const writer = new GroupCommit<string, number>(store, async (trx) => {
      await trx
        .insertInto('analytics_dedup')
        .values({ org_id: org.id, key: newId(), processed_at: new Date().toISOString() })
        .execute();
      return 1;
    });
    expect(await writer.submit('x')).toBe(1);
    expect(await writer.submit('y')).toBe(1);
  });
});
