import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/core/context.ts';
import { Invalid } from '../../src/core/errors.ts';
import { importSession } from '../../src/core/imports/import-session.ts';
import { createMetric } from '../../src/core/metrics.ts';
import { importAchieveItFile } from '../../src/dialects/achieveit/csv-import.ts';
import type { Store } from '../../src/store/database.ts';
import { insertOrganization } from '../../src/store/organizations.ts';
import { createStorage } from '../../src/store/storage.ts';
import { createTestStore, engines, type TestDatabase } from '../helpers/engines.ts';
import { countEach } from '../helpers/rows.ts';

// A NUL in a row of an imported file is a row error naming the line on both engines (on
// PostgreSQL it used to be a database error, retried, then "internal error").
describe.each(engines())('NUL in import rows [%s]', (engine) => {
  let store: Store;
  let database: TestDatabase;
  let actor: Actor;

  beforeAll(async () => {
    ({ store, database } = await createTestStore(engine));
    const a = await insertOrganization(store.db, 'A');
    actor = { orgId: a.id, actor: 'tester', keyId: 'k', scopes: ['write'] };
    await createMetric(createStorage(store), actor, null, { name: 'k', external_id: 'KPI-1' });
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  it.each([
    ['a comment', 'KPI-1,5,2024-01-01,ok\nKPI-1,6,2024-02-01,bad\u0000comment\n'],
    ['an external id', 'KPI-1,5,2024-01-01\nKPI\u0000-1,6,2024-02-01\n'],
  ])('NUL in %s → Invalid naming line 2, nothing stored', async (_what, text) => {
    const before = await countEach(store, ['data_points', 'point_revisions']);
    const error = await importAchieveItFile(
      importSession(createStorage(store), actor).ports,
      importSession(createStorage(store), actor).session,
      actor.orgId,
      'metricupdates',
      Readable.from([Buffer.from(text)]),
    ).catch((e) => e);
    expect(error).toBeInstanceOf(Invalid);
    expect((error as Invalid).issues).toEqual([expect.objectContaining({ line: 2, code: 'nul' })]);
    expect(await countEach(store, ['data_points', 'point_revisions'])).toEqual(before);
  });
});
