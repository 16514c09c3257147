import { describe, expect, it } from 'vitest';
import { writeTransaction } from '../../src/store/transactions.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

describe.each(engines())('reads beside a long write transaction [%s]', (engine) => {
  const ctx = useTestContext(engine);

  it('authenticates and answers import status while a batch holds the writer', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let inside!: () => void;
    const entered = new Promise<void>((r) => {
      inside = r;
    });
    // A batch's write transaction, open for as long as we like.
    const writer = writeTransaction(ctx().store, async (trx) => {
      await trx
        .insertInto('organizations')
        .values({
          id: '0191e0c4-0000-7000-8000-0000000000aa',
          name: 'tx',
          created_at: new Date().toISOString(),
        })
        .execute();
      inside();
      await held;
    });
    await entered;
    try {
      const answer = await Promise.race([
        ctx().call(ctx().orgA.read, { method: 'GET', url: '/v1/imports' }),
        new Promise<'waited'>((r) => setTimeout(() => r('waited'), 3000)),
      ]);
      expect(answer).not.toBe('waited');
      if (answer !== 'waited') expect(answer.statusCode).toBe(200);
    } finally {
      release();
      await writer;
    }
  });
});
