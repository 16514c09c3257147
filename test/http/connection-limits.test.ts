import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { countRows } from '../helpers/rows.ts';

// A client that declares a big body and sends it a few bytes at a time is cut off once the
// request deadline passes; the server answers others meanwhile; connections are capped.

describe.each(engines())('connection limits [%s]', (engine) => {
  const ctx = useTestContext(engine, {
    KPIHUB_REQUEST_TIMEOUT_MS: '1000',
    KPIHUB_HEADERS_TIMEOUT_MS: '500',
    KPIHUB_IDLE_TIMEOUT_MS: '5000',
    KPIHUB_MAX_CONNECTIONS: '4',
  });
  let port: number;
  beforeAll(async () => {
    port = Number(new URL(await ctx().app.listen({ host: '127.0.0.1', port: 0 })).port);
  });
  afterAll(() => ctx().app.close());

  const open = () =>
    new Promise<Socket>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(s));
      s.on('error', reject);
    });
  /** Resolves with what the server sent and how long it took to close the connection. */
  const closed = (s: Socket, started: number) =>
    new Promise<{ ms: number; text: string }>((resolve) => {
      let text = '';
      s.on('data', (d) => {
        text += d.toString();
      });
      s.on('error', () => {});
      s.on('close', () => resolve({ ms: Date.now() - started, text }));
    });

  it('a body trickling 10 bytes at a time is cut off (408) within the request timeout; /health answers meanwhile', async () => {
    const jobsBefore = await countRows(ctx().store, 'jobs');
    const s = await open();
    const started = Date.now();
    const done = closed(s, started);
    s.write(
      'POST /api/metricupdates/slow.csv HTTP/1.1\r\nHost: x\r\n' +
        `Authorization: API-KEY ${ctx().orgA.write}\r\nContent-Type: text/csv\r\nContent-Length: 1000000\r\n\r\n`,
    );
    const trickle = setInterval(() => {
      if (!s.destroyed) s.write('KPI-001,1,');
    }, 200);
    try {
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      const { ms, text } = await done;
      expect(ms).toBeLessThan(3000);
      expect(text === '' || text.startsWith('HTTP/1.1 408')).toBe(true);
    } finally {
      clearInterval(trickle);
      s.destroy();
    }
    expect(await countRows(ctx().store, 'jobs')).toBe(jobsBefore);
  });

  it('headers sent too slowly are cut off within the headers timeout', async () => {
    const s = await open();
    const done = closed(s, Date.now());
    s.write('GET /health HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => !s.destroyed && s.write('X-A: b\r\n'), 100);
    try {
      expect((await done).ms).toBeLessThan(2000);
    } finally {
      clearInterval(trickle);
    }
  });

  it('beyond KPIHUB_MAX_CONNECTIONS a new connection is closed at once', async () => {
    const held = await Promise.all([open(), open(), open(), open()]);
    try {
      const extra = await open();
      const { text } = await closed(extra, Date.now());
      expect(text).toBe('');
    } finally {
      for (const s of held) s.destroy();
    }
    await new Promise((r) => setTimeout(r, 50));
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  });
});
