import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Whether Debian's InfluxDB 1.x (`influxd`) is installed: the peer is measured only then. */
export const influxInstalled = (): boolean => spawnSync('which', ['influxd']).status === 0;

/**
 * InfluxDB's line-protocol write of `points` points, 1,000 lines a request, at 8
 * connections — how InfluxDB is usually fed. Returns points per second.
 */
export async function influxWrite(dir: string, points: number): Promise<number> {
  const base = join(dir, 'influx');
  mkdirSync(base, { recursive: true });
  const port = 18600 + Math.floor(Math.random() * 300);
  const conf = join(base, 'influxdb.conf');
  writeFileSync(
    conf,
    `reporting-disabled = true
bind-address = "127.0.0.1:${port + 1}"
[meta]
  dir = "${base}/meta"
[data]
  dir = "${base}/data"
  wal-dir = "${base}/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:${port}"
  log-enabled = false
[monitor]
  store-enabled = false
`,
  );
  const child = spawn('influxd', ['-config', conf], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`${url}/ping`)).status === 204) break;
      } catch {}
      await new Promise((r) => setTimeout(r, 100));
    }
    await fetch(`${url}/query`, {
      method: 'POST',
      body: new URLSearchParams({ q: 'CREATE DATABASE bench' }),
    });
    // One second apart: a day apart would spread 200k points over 550 years and make
    // InfluxDB open a shard per week, which measures shard creation, not writing.
    const bodies: string[] = [];
    for (let b = 0; b < points / 1000; b++) {
      const lines: string[] = [];
      for (let j = 0; j < 1000; j++) {
        const n = b * 1000 + j;
        lines.push(`revenue,metric=m1 value=${(n % 10_000) / 100} ${1_700_000_000 + n}`);
      }
      bodies.push(lines.join('\n'));
    }
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++];
          const res = await fetch(`${url}/write?db=bench&precision=s`, { method: 'POST', body });
          if (res.status !== 204) throw new Error(`influx write ${res.status}: ${await res.text()}`);
        }
      }),
    );
    return points / ((performance.now() - started) / 1000);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}
