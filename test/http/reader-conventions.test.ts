import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { COMPRESS_THRESHOLD_BYTES } from '../../src/http/reader-conventions.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

describe.each(engines())('compression and ETags [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const dataset = async (name: string) => {
    const res = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/v1/datasets',
      payload: { name },
    });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { id: string }).id;
  };
  const get = (url: string, headers: Record<string, string> = {}, key = ctx().orgA.read) =>
    ctx().call(key, { method: 'GET', url, headers });

  it('compresses a large body with br or gzip as asked, and the same bytes come back', async () => {
    const plain = await get('/openapi.json');
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.rawPayload.length).toBeGreaterThan(COMPRESS_THRESHOLD_BYTES);

    const br = await get('/openapi.json', { 'accept-encoding': 'br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.rawPayload.length).toBeLessThan(plain.rawPayload.length / 4);
    expect(brotliDecompressSync(br.rawPayload).equals(plain.rawPayload)).toBe(true);

    const gz = await get('/openapi.json', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).equals(plain.rawPayload)).toBe(true);
  });

  it('sends a body under the threshold as it is', async () => {
    const id = await dataset('Small');
    const res = await get(`/v1/datasets/${id}`, { 'accept-encoding': 'br, gzip' });
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.length).toBeLessThan(COMPRESS_THRESHOLD_BYTES);
    expect(res.headers['content-encoding']).toBeUndefined();
  });

  it('answers 304 with no body to a GET whose ETag the client holds, 200 again once it changed', async () => {
    const id = await dataset('Tagged');
    const first = await get(`/v1/datasets/${id}`);
    const tag = first.headers.etag as string;
    expect(tag).toMatch(/^W\/".+"$/);
    // HEAD (curl -I) shows the same tag without the body.
    const head = await ctx().call(ctx().orgA.read, { method: 'HEAD', url: `/v1/datasets/${id}` });
    expect(head.statusCode).toBe(200);
    expect(head.headers.etag).toBe(tag);

    const again = await get(`/v1/datasets/${id}`, { 'if-none-match': tag });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    // A list of tags, one of them ours, and the tag without its weak prefix match as well.
    expect((await get(`/v1/datasets/${id}`, { 'if-none-match': `W/"other", ${tag}` })).statusCode).toBe(304);
    expect((await get(`/v1/datasets/${id}`, { 'if-none-match': tag.slice(2) })).statusCode).toBe(304);
    expect((await get(`/v1/datasets/${id}`, { 'if-none-match': 'W/"other"' })).statusCode).toBe(200);

    const patched = await ctx().call(ctx().orgA.write, {
      method: 'PATCH',
      url: `/v1/datasets/${id}`,
      payload: { name: 'Renamed' },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const after = await get(`/v1/datasets/${id}`, { 'if-none-match': tag });
    expect(after.statusCode).toBe(200);
    expect((after.json() as { name: string }).name).toBe('Renamed');
    expect(after.headers.etag).not.toBe(tag);
  });

  it('never turns an error or a write into a 304, and another organization still gets 404', async () => {
    const id = await dataset('Private');
    const mine = await get(`/v1/datasets/${id}`);
    const tag = mine.headers.etag as string;
    const theirs = await get(`/v1/datasets/${id}`, { 'if-none-match': '*' }, ctx().orgB.admin);
    expect(theirs.statusCode).toBe(404);
    expect(theirs.headers['content-type']).toMatch(/^application\/problem\+json/);

    const write = await ctx().call(ctx().orgA.write, {
      method: 'PATCH',
      url: `/v1/datasets/${id}`,
      payload: { name: 'Private' },
      headers: { 'if-none-match': '*' },
    });
    expect(write.statusCode).toBe(200);
    expect((write.json() as { id: string }).id).toBe(id);
    expect(tag).toBeTruthy();
  });
});
