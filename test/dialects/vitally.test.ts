import { describe, expect, it } from 'vitest';
import { analyticsCounts, VITALLY_SEED_BODY } from '../helpers/analytics.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

describe.each(engines())('Vitally dialect [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    ctx().app.inject({
      method: 'POST',
      url: '/analytics/v1/batch',
      headers: {
        authorization: `Basic ${ctx().orgA.write}`,
        'content-type': 'application/json',
        ...headers,
      },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const read = (url: string, key = ctx().orgA.read) =>
    ctx().app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
  const entity = async (type: string, id: string) => {
    const res = await read(`/v1/entities/${type}/${encodeURIComponent(id)}`);
    expect(res.statusCode).toBe(200);
    return res.json();
  };
  const counts = () => analyticsCounts(ctx().store);

  it('takes the seed curl sample verbatim; all five records are readable natively', async () => {
    const res = await post(VITALLY_SEED_BODY);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ message: 'Success.' });

    const org = await entity('organization', 'abcdefg');
    expect(org.traits).toEqual({ name: 'World Cup', sport: 'futbol' });
    expect(org.links.children).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'account', external_id: '123456' }),
        expect.objectContaining({ type: 'user', external_id: '32' }),
      ]),
    );

    const account = await entity('account', '123456');
    expect(account.traits).toEqual({ name: 'Argentina', group: 'D' });
    expect(account.links.parents).toEqual([
      expect.objectContaining({ type: 'organization', external_id: 'abcdefg' }),
    ]);

    const user = await entity('user', '32');
    expect(user.traits).toEqual({
      name: 'Lionel Messi',
      position: 'Forward',
      number: 10,
      email: 'messi@barcelona.sp',
    });
    expect(
      user.links.parents.map((l: { type: string; external_id: string }) => [l.type, l.external_id]),
    ).toEqual([
      ['account', '123456'],
      ['organization', 'abcdefg'],
    ]);
    expect(user.trait_timestamps.name).toBe('2018-05-15T12:31:12.123Z');
    expect(user.trait_history).toHaveLength(4);

    const coi = await entity('custom_object_instance', 'coi-789xyz');
    expect(coi).toMatchObject({
      name: 'Q1 Renewal - Argentina',
      custom_object_id: '2a3a47e7-459e-440e-b9d3-9fc1b11f233e',
      traits: {
        'vitally.custom.stage': 'Negotiation',
        'vitally.custom.dealValue': 50000,
        'vitally.custom.closeDate': '2018-06-30T00:00:00.000Z',
      },
    });
    expect(coi.links.parents).toEqual([expect.objectContaining({ type: 'account', external_id: '123456' })]);

    const events = (await read('/v1/events?user_id=32')).json();
    expect(events.items).toHaveLength(1);
    expect(events.items[0]).toMatchObject({
      event: 'scored-goal',
      user_id: '32',
      properties: { minute: 14, opponentId: 421243, matchId: 9 },
      timestamp: '2018-05-15T12:31:12.123Z',
      message_id: '7ac1c682-a54b-4d0d-9f56-d6d3618f4915',
    });
  });

  it('the same batch sent again changes nothing', async () => {
    const before = await counts();
    const userBefore = await entity('user', '32');
    const res = await post(VITALLY_SEED_BODY);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ message: 'Success.' });
    expect(await counts()).toEqual(before);
    expect(await entity('user', '32')).toEqual(userBefore);
  });

  it('accepts a Segment-style {"batch": [...]} envelope', async () => {
    const res = await post({
      batch: [{ type: 'user', userId: 'env-1', traits: { plan: 'pro' }, messageId: 'env-m1' }],
    });
    expect(res.statusCode).toBe(200);
    expect((await entity('user', 'env-1')).traits).toEqual({ plan: 'pro' });
  });

  it('an older message never overwrites a newer trait value; history keeps what applied', async () => {
    const msg = (messageId: string, timestamp: string, traits: Record<string, unknown>) => ({
      type: 'account',
      accountId: 'acc-order',
      traits,
      messageId,
      timestamp,
    });
    expect((await post([msg('o1', '2024-03-02T00:00:00.000Z', { tier: 'gold', seats: 5 })])).statusCode).toBe(
      200,
    );
    // Older: `tier` is left alone, the new key `region` is taken.
    expect(
      (await post([msg('o2', '2024-03-01T00:00:00.000Z', { tier: 'silver', region: 'EU' })])).statusCode,
    ).toBe(200);
    let acc = await entity('account', 'acc-order');
    expect(acc.traits).toEqual({ tier: 'gold', seats: 5, region: 'EU' });
    expect(acc.trait_timestamps.tier).toBe('2024-03-02T00:00:00.000Z');
    expect(acc.trait_history.map((h: { key: string }) => h.key).sort()).toEqual(['region', 'seats', 'tier']);
    // Newer (with an offset that is later in UTC): it applies.
    expect((await post([msg('o3', '2024-03-02T05:00:00+02:00', { tier: 'platinum' })])).statusCode).toBe(200);
    acc = await entity('account', 'acc-order');
    expect(acc.traits.tier).toBe('platinum');
    expect(acc.trait_history[0]).toMatchObject({
      key: 'tier',
      old_value: 'gold',
      new_value: 'platinum',
      removed: false,
      changed_at: '2024-03-02T03:00:00.000Z',
      message_id: 'o3',
    });
    // In one batch, with equal timestamps, the later message wins.
    await post([
      msg('o4', '2024-04-01T00:00:00.000Z', { seats: 6 }),
      msg('o5', '2024-04-01T00:00:00.000Z', { seats: 7 }),
    ]);
    expect((await entity('account', 'acc-order')).traits.seats).toBe(7);
  });

  it('null removes a trait, and an older message cannot bring it back', async () => {
    const user = (messageId: string, timestamp: string, traits: Record<string, unknown>) => ({
      type: 'user',
      userId: 'u-null',
      traits,
      messageId,
      timestamp,
    });
    await post([user('n1', '2024-01-01T00:00:00.000Z', { email: 'a@b.c', phone: '1' })]);
    const res = await post([user('n2', '2024-01-02T00:00:00.000Z', { phone: null })]);
    expect(res.statusCode).toBe(200);
    let u = await entity('user', 'u-null');
    expect(u.traits).toEqual({ email: 'a@b.c' });
    expect(u.trait_history[0]).toMatchObject({
      key: 'phone',
      old_value: '1',
      new_value: null,
      removed: true,
    });
    await post([user('n3', '2024-01-01T12:00:00.000Z', { phone: '2' })]);
    u = await entity('user', 'u-null');
    expect(u.traits).toEqual({ email: 'a@b.c' });
    await post([user('n4', '2024-01-03T00:00:00.000Z', { phone: '3' })]);
    expect((await entity('user', 'u-null')).traits).toEqual({ email: 'a@b.c', phone: '3' });
  });

  it('unlink removes a user from an account or an organization', async () => {
    await post([
      { type: 'account', accountId: 'acc-b', traits: {} },
      { type: 'user', userId: 'u-link', accountId: 'acc-a', organizationId: 'org-a', traits: {} },
      { type: 'user', userId: 'u-link', accountId: 'acc-b', traits: {} },
    ]);
    const parents = async () =>
      (await entity('user', 'u-link')).links.parents.map(
        (l: { type: string; external_id: string }) => `${l.type}:${l.external_id}`,
      );
    expect(await parents()).toEqual(['account:acc-a', 'account:acc-b', 'organization:org-a']);
    const res = await post([
      { type: 'unlink', userId: 'u-link', accountId: 'acc-a', messageId: 'ul-1' },
      { type: 'unlink', userId: 'u-link', organizationId: 'org-a', messageId: 'ul-1' },
    ]);
    expect(res.statusCode).toBe(200);
    expect(await parents()).toEqual(['account:acc-b']);
    expect((await entity('account', 'acc-b')).links.children).toEqual([
      expect.objectContaining({ type: 'user', external_id: 'u-link' }),
    ]);
  });

  it('an account belongs to one organization: naming another one moves it', async () => {
    await post([{ type: 'account', accountId: 'acc-move', organizationId: 'org-1', traits: {} }]);
    await post([{ type: 'account', accountId: 'acc-move', organizationId: 'org-2', traits: {} }]);
    expect((await entity('account', 'acc-move')).links.parents).toEqual([
      expect.objectContaining({ type: 'organization', external_id: 'org-2' }),
    ]);
  });

  it('one batch moves, ends and adds links together (one statement on PostgreSQL)', async () => {
    await post([
      { type: 'account', accountId: 'acc-m', organizationId: 'org-m1', traits: {} },
      { type: 'user', userId: 'u-m', accountId: 'acc-m1', organizationId: 'org-m1', traits: {} },
    ]);
    const res = await post([
      { type: 'account', accountId: 'acc-m', organizationId: 'org-m2', traits: {} },
      { type: 'unlink', userId: 'u-m', accountId: 'acc-m1', messageId: 'ul-m' },
      { type: 'user', userId: 'u-m', accountId: 'acc-m2', traits: {} },
    ]);
    expect(res.statusCode).toBe(200);
    const parents = async (kind: string, id: string) =>
      (await entity(kind, id)).links.parents.map(
        (l: { type: string; external_id: string }) => `${l.type}:${l.external_id}`,
      );
    expect(await parents('account', 'acc-m')).toEqual(['organization:org-m2']);
    expect(await parents('user', 'u-m')).toEqual(['account:acc-m2', 'organization:org-m1']);
  });

  it('without a messageId, a hash of the message deduplicates', async () => {
    const track = { type: 'track', userId: 'u-hash', event: 'clicked', properties: { n: 1 } };
    await post([track]);
    await post([{ properties: { n: 1 }, event: 'clicked', userId: 'u-hash', type: 'track' }]);
    expect((await read('/v1/events?user_id=u-hash')).json().items).toHaveLength(1);
    await post([{ ...track, properties: { n: 2 } }]);
    expect((await read('/v1/events?user_id=u-hash')).json().items).toHaveLength(2);
  });

  it('a message key is forgotten after the deduplication window', async () => {
    const track = { type: 'track', userId: 'u-window', event: 'e', properties: {}, messageId: 'w-1' };
    await post([track]);
    await post([track]);
    expect((await read('/v1/events?user_id=u-window')).json().items).toHaveLength(1);
    // Age the stored keys past the window (KPIHUB_ANALYTICS_DEDUP_WINDOW, 7 days by default).
    await ctx()
      .store.db.updateTable('analytics_dedup')
      .set({ processed_at: '2000-01-01T00:00:00.000Z' })
      .where('org_id', '=', ctx().orgA.id)
      .execute();
    await post([track]);
    expect((await read('/v1/events?user_id=u-window')).json().items).toHaveLength(2);
    // Applying it again refreshed the key: within the window it is a duplicate once more.
    await post([track]);
    expect((await read('/v1/events?user_id=u-window')).json().items).toHaveLength(2);
  });

  it('concurrent batches about one entity merge one after the other; one key applies once', async () => {
    const sends = Array.from({ length: 8 }, (_, i) =>
      post([
        {
          type: 'user',
          userId: 'u-conc',
          traits: { n: i, [`k${i}`]: true },
          timestamp: `2024-05-0${i + 1}T00:00:00.000Z`,
          messageId: `c-${i}`,
        },
        { type: 'track', userId: 'u-conc', event: 'e', properties: {}, messageId: 'c-same' },
      ]),
    );
    for (const res of await Promise.all(sends)) expect(res.statusCode).toBe(200);
    const u = await entity('user', 'u-conc');
    expect(u.traits.n).toBe(7);
    for (let i = 0; i < 8; i++) expect(u.traits[`k${i}`]).toBe(true);
    expect((await read('/v1/events?user_id=u-conc')).json().items).toHaveLength(1);
  });

  it('concurrent batches moving one account to other organizations leave it with exactly one', async () => {
    expect(
      (await post([{ type: 'account', accountId: 'a-move', organizationId: 'o-start', traits: {} }]))
        .statusCode,
    ).toBe(200);
    const sends = Array.from({ length: 8 }, (_, i) =>
      post([
        {
          type: 'account',
          accountId: 'a-move',
          organizationId: `o-${i}`,
          traits: { i },
          messageId: `mv-${i}`,
        },
      ]),
    );
    for (const res of await Promise.all(sends)) expect(res.statusCode).toBe(200);
    const parents = (await entity('account', 'a-move')).links.parents;
    expect(parents).toHaveLength(1);
    expect(parents[0].type).toBe('organization');
    expect(parents[0].external_id).toMatch(/^o-[0-7]$/);
  });

  it('an entity removed after it was seen is created again by the next batch naming it', async () => {
    const user = (n: number) => ({ type: 'user', userId: 'u-gone', traits: { n }, messageId: `g-${n}` });
    // Twice: after the second batch this process has seen the entity stored.
    for (const n of [1, 2]) expect((await post([user(n)])).statusCode).toBe(200);
    expect((await entity('user', 'u-gone')).traits).toEqual({ n: 2 });
    // Removed under the process (as when its organization's data is deleted).
    const db = ctx().store.db;
    const gone = await db
      .selectFrom('analytics_entities')
      .select('id')
      .where('org_id', '=', ctx().orgA.id)
      .where('external_id', '=', 'u-gone')
      .executeTakeFirstOrThrow();
    await db.deleteFrom('analytics_trait_history').where('entity_id', '=', gone.id).execute();
    await db.deleteFrom('analytics_entities').where('id', '=', gone.id).execute();
    expect((await read('/v1/entities/user/u-gone')).statusCode).toBe(404);

    // Eight batches at once: each finds it missing, and they still merge one after the other.
    const sends = Array.from({ length: 8 }, (_, k) =>
      post([{ type: 'user', userId: 'u-gone', traits: { [`k${k}`]: k }, messageId: `g-k${k}` }]),
    );
    for (const res of await Promise.all(sends)) expect(res.statusCode).toBe(200);
    const again = await entity('user', 'u-gone');
    expect(again.traits).toEqual(Object.fromEntries(Array.from({ length: 8 }, (_, k) => [`k${k}`, k])));
    expect(again.id).not.toBe(gone.id);
    expect(again.trait_history).toHaveLength(8);
  });

  it('101 messages: 400 in Vitally shape and nothing stored', async () => {
    const before = await counts();
    const batch = Array.from({ length: 101 }, (_, i) => ({
      type: 'track',
      userId: `big-${i}`,
      event: 'e',
      properties: {},
    }));
    const res = await post(batch);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      message: expect.stringContaining('100'),
      errors: [{ index: null, field: 'batch', message: expect.stringContaining('100') }],
    });
    expect(await counts()).toEqual(before);
    // 100 is the limit itself.
    expect((await post(batch.slice(0, 100))).statusCode).toBe(200);
  });

  const good = [
    { type: 'organization', organizationId: 'bad-o', traits: { a: 1 } },
    { type: 'account', accountId: 'bad-a', traits: { a: 1 } },
    { type: 'user', userId: 'bad-u', traits: { a: 1 } },
  ];
  it.each([
    ['a user without userId', { type: 'user', traits: {} }, 'userId'],
    ['a track without event', { type: 'track', userId: 'x', properties: {} }, 'event'],
    ['traits that are not an object', { type: 'account', accountId: 'x', traits: [1] }, 'traits'],
    ['a bad timestamp', { type: 'user', userId: 'x', traits: {}, timestamp: 'yesterday' }, 'timestamp'],
    ['an unknown type', { type: 'group', groupId: 'x' }, 'type'],
    ['an unlink naming no parent', { type: 'unlink', userId: 'x' }, 'accountId'],
    [
      'a custom object instance without customObjectId',
      { type: 'customobjectinstance', externalId: 'x', name: 'n', traits: {} },
      'customObjectId',
    ],
  ])(
    'a bad message at index 3 (%s): 400 naming index 3 and the field, nothing stored',
    async (_l, bad, field) => {
      const before = await counts();
      const res = await post([...good, bad, { type: 'user', userId: 'bad-after', traits: {} }]);
      expect(res.statusCode).toBe(400);
      const body = res.json();
      expect(body.message).toEqual(expect.stringContaining('message 3'));
      expect(body.errors).toContainEqual({ index: 3, field, message: expect.any(String) });
      expect(body.errors.every((e: { index: number }) => e.index === 3)).toBe(true);
      expect(await counts()).toEqual(before);
      expect((await read('/v1/entities/organization/bad-o')).statusCode).toBe(404);
    },
  );

  it('numeric ids are taken as strings', async () => {
    const res = await post([{ type: 'user', userId: 4242, accountId: 77, traits: { n: 1 } }]);
    expect(res.statusCode).toBe(200);
    const u = await entity('user', '4242');
    expect(u.links.parents).toEqual([expect.objectContaining({ type: 'account', external_id: '77' })]);
  });

  it('a body that is not a batch: 400 in Vitally shape', async () => {
    const res = await post('{"type":');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ message: expect.any(String), errors: expect.any(Array) });
  });

  it('no key: 401; a read-only key: 403; both in Vitally shape, nothing stored', async () => {
    const before = await counts();
    const none = await ctx().app.inject({
      method: 'POST',
      url: '/analytics/v1/batch',
      headers: { 'content-type': 'application/json' },
      payload: VITALLY_SEED_BODY,
    });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toEqual({ message: expect.any(String) });
    const wrong = await post(VITALLY_SEED_BODY, { authorization: 'Basic not-a-key' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toEqual({ message: expect.any(String) });
    const readOnly = await post(VITALLY_SEED_BODY, { authorization: `Basic ${ctx().orgA.read}` });
    expect(readOnly.statusCode).toBe(403);
    expect(readOnly.json()).toEqual({ message: expect.any(String) });
    expect(await counts()).toEqual(before);
  });

  it('the Basic token also works as base64 of "<key>:"', async () => {
    const token = Buffer.from(`${ctx().orgA.write}:`).toString('base64');
    const res = await post([{ type: 'user', userId: 'b64', traits: {} }], {
      authorization: `Basic ${token}`,
    });
    expect(res.statusCode).toBe(200);
  });

  it("another organization's batch with the same ids and messageIds is its own", async () => {
    const res = await post(VITALLY_SEED_BODY, { authorization: `Basic ${ctx().orgB.admin}` });
    expect(res.statusCode).toBe(200);
    const b = await read('/v1/entities/user/32', ctx().orgB.admin);
    expect(b.statusCode).toBe(200);
    expect(b.json().id).not.toBe((await entity('user', '32')).id);
    expect((await read('/v1/events?user_id=32', ctx().orgB.admin)).json().items).toHaveLength(1);
  });
});
