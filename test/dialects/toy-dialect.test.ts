import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { defineDialect } from '../../src/dialects/contract.ts';
import { dialectJobHandlers, dialects } from '../../src/dialects/index.ts';
import { buildApp } from '../../src/http/app.ts';
import { registeredRoutes } from '../../src/http/route-policy.ts';
import { jobHandlers } from '../../src/job-handlers.ts';
import { TOY_ECHO, toy } from '../fixtures/toy-dialect/index.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

// A sixth dialect added the way docs/architecture.md says: a folder exporting one Dialect
// (test/fixtures/toy-dialect/) and one more entry in the list given to buildApp. Nothing in
// src/http/ or src/jobs/ names it, yet its routes answer, its errors come out in its own
// shape, and its job kinds reach the worker's table.
describe.each(engines())('a toy dialect registered from its folder alone [%s]', (engine) => {
  const ctx = useTestContext(engine, {}, [...dialects, toy]);

  it('answers on its route with the key forms every dialect takes', async () => {
    for (const authorization of [`Bearer ${ctx().orgA.read}`, `API-KEY ${ctx().orgA.read}`]) {
      const res = await ctx().app.inject({
        method: 'GET',
        url: '/toy/things/abc',
        headers: { authorization },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ thing: 'abc', org: ctx().orgA.id });
    }
  });

  it('answers its errors in its own format: not found, unauthorized, forbidden, invalid', async () => {
    const missing = await ctx().call(ctx().orgA.read, { method: 'GET', url: '/toy/things/missing' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ oops: 'not_found', said: expect.any(String) });

    const anonymous = await ctx().app.inject({ method: 'GET', url: '/toy/things/abc' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toEqual({ oops: 'unauthorized', said: expect.any(String) });

    const weak = await ctx().call(ctx().orgA.read, {
      method: 'POST',
      url: '/toy/things',
      payload: { name: 'x' },
    });
    expect(weak.statusCode).toBe(403);
    expect(weak.json()).toEqual({ oops: 'forbidden', said: expect.any(String) });

    // stringsAreStrings: a number where the schema says string is refused, not coerced.
    const bad = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/toy/things',
      payload: { name: 5 },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ oops: 'invalid', said: expect.any(String), fields: ['name'] });

    const made = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/toy/things',
      payload: { name: 'x' },
    });
    expect(made.statusCode).toBe(200);
    expect(made.json()).toEqual({ made: 'x' });
  });

  it('gives errors the router raises before any route runs its format too', async () => {
    const res = await ctx().call(ctx().orgA.read, { method: 'GET', url: '/toy/things/%E0%A4%A' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ oops: 'invalid', said: expect.any(String), fields: ['path'] });
  });

  it('stands in the route table under its id, and in the OpenAPI description', async () => {
    const toyRoutes = registeredRoutes(ctx().app).filter((r) => r.url.startsWith('/toy/'));
    expect(toyRoutes.length).toBeGreaterThan(0);
    expect(new Set(toyRoutes.map((r) => r.dialect))).toEqual(new Set(['toy']));
    const doc = (await ctx().app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.info.description).toContain('Vitally and Toy dialects');
    expect(Object.keys(doc.paths)).toContain('/toy/things/{id}');
  });

  it('refuses to start with a dialect route outside its prefixes, or an id taken twice', async () => {
    const { config, store } = ctx();
    const logger = pino({ level: 'silent' });
    const strayed = defineDialect({ ...toy, id: 'strayed', prefixes: ['/elsewhere/'] });
    const app = await buildApp({ config, store, logger, dialects: [strayed] }).catch((e: Error) => e);
    const started = app instanceof Error ? app : await Promise.resolve(app.ready()).catch((e: Error) => e);
    if (!(app instanceof Error)) await Promise.resolve(app.close()).catch(() => {});
    expect(String(started)).toMatch(/route \/toy\/things.* is outside its prefixes \/elsewhere\//);
    await expect(buildApp({ config, store, logger, dialects: [toy, toy] })).rejects.toThrow(
      /dialect id toy is taken/,
    );
  });

  it('leaves the other dialects as they were', async () => {
    const res = await ctx().app.inject({ method: 'POST', url: '/analytics/v1/batch', payload: [] });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ message: expect.any(String) });
  });
});

describe('the dialect list as the one source', () => {
  it('collects each dialect job kinds beside the core kinds', () => {
    const handlers = dialectJobHandlers([...dialects, toy]);
    expect(handlers[TOY_ECHO]).toBe(toy.jobs?.[TOY_ECHO]);
    expect(Object.keys(jobHandlers)).toEqual(
      expect.arrayContaining(['workiva.batchUpsertion', 'workiva.batchDeletion']),
    );
    expect(Object.keys(jobHandlers)).not.toContain(TOY_ECHO);
  });

  it('refuses a job kind two dialects claim', () => {
    const twin = defineDialect({ ...toy, id: 'twin' });
    expect(() => dialectJobHandlers([toy, twin])).toThrow(/toy\.echo is claimed twice/);
  });
});
