import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { hashSecret } from '../../src/core/secrets.ts';
import type { Store } from '../../src/store/database.ts';
import type { TestContext } from './app.ts';
import { countEach } from './rows.ts';

/** A native PUT of `points` to one metric with organization A's write key; asserts the 200. */
export async function putPoints(ctx: TestContext, metricId: string, points: object[]): Promise<void> {
  const res = await ctx.call(ctx.orgA.write, {
    method: 'PUT',
    url: `/v1/metrics/${metricId}/data_points`,
    payload: { data_points: points },
  });
  expect(res.statusCode, res.body).toBe(200);
}

/** Asserts an RFC 9457 problem of the native API and returns its body. */
export function expectProblem(res: LightMyRequestResponse, status: number) {
  expect(res.statusCode, res.body).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const body = res.json() as {
    type: string;
    title: string;
    status: number;
    detail: string;
    errors: { field: string; message: string }[];
  };
  expect(body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
  expect(typeof body.detail).toBe('string');
  for (const e of body.errors) expect(e).toEqual({ field: expect.any(String), message: expect.any(String) });
  return body;
}

/** The id of the key that holds `secret` (what created_by records when no x-user-id is sent). */
export async function keyIdOf(store: Store, secret: string): Promise<string> {
  const row = await store.db
    .selectFrom('api_keys')
    .select('id')
    .where('secret_hash', '=', hashSecret(secret).hash)
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Row counts of the definition tables, to prove a rejected request stored nothing. */
export async function countDefinitions(store: Store): Promise<Record<string, number>> {
  return countEach(store, ['datasets', 'metrics', 'dimensions']);
}

/**
 * Follows `next_cursor` from `url` to the end of a native list; checks each page's size
 * and that the last page says it is the last. Returns every item and the page count.
 */
export async function walkPages<T extends { id: string }>(
  call: (opts: { method: 'GET'; url: string }) => Promise<LightMyRequestResponse>,
  url: string,
  limit: number,
): Promise<{ items: T[]; pages: number; bodies: string[] }> {
  const items: T[] = [];
  const bodies: string[] = [];
  let cursor: string | null = null;
  do {
    const sep = url.includes('?') ? '&' : '?';
    const res = await call({
      method: 'GET',
      url: `${url}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    });
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as { items: T[]; next_cursor: string | null };
    // Only the last page may be short: a listing that skips rows (as_of) still fills its pages.
    if (page.next_cursor) expect(page.items).toHaveLength(limit);
    else expect(page.items.length).toBeLessThanOrEqual(limit);
    items.push(...page.items);
    bodies.push(res.body);
    cursor = page.next_cursor;
  } while (cursor && bodies.length < 1000);
  expect(cursor).toBeNull();
  expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
  return { items, pages: bodies.length, bodies };
}
