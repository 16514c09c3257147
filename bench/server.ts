// KPI Hub in a child process, as `npm start` runs it (the bundle `npm run build` makes): the
// bench sections and the reliability scripts (crash test, soak) start their servers here.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { SERVER_NODE_FLAGS } from '../src/cli/node-flags.ts';
import type { BenchServer } from './types.ts';

export const ADMIN_KEY = 'kph_bench_admin_key_0123456789abcdefghijklmnop';
let port = 18000 + Math.floor(Math.random() * 1000);

export async function waitReady(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/ready`);
      if (res.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not become ready');
}

/**
 * KPI Hub in a child process, so the load generator and the server use separate cores; run
 * as `npm start` runs it (the bundle built by `npm run build`, see main()).
 */
export async function startServer(dir: string, env: Record<string, string> = {}): Promise<BenchServer> {
  const p = port++;
  const dbDir = mkdtempSync(join(dir, 'db-'));
  // BENCH_PROFILE_DIR=<dir> makes every server of the run write a V8 CPU profile there.
  const profile = process.env.BENCH_PROFILE_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
    : [];
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...profile, 'dist/kpihub.mjs', 'serve'], {
    env: {
      ...process.env,
      PORT: String(p),
      HOST: '127.0.0.1',
      KPIHUB_DATABASE_URL: `sqlite:${join(dbDir, 'kpihub.db')}`,
      KPIHUB_DATA_DIR: dbDir,
      KPIHUB_ADMIN_KEY: ADMIN_KEY,
      KPIHUB_LOG_LEVEL: 'warn',
      ...env,
    },
    // BENCH_SERVER_STDOUT=1 shows the servers' logs (warnings and errors), hidden by default.
    stdio: ['ignore', process.env.BENCH_SERVER_STDOUT ? 'inherit' : 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${p}`;
  await waitReady(url, child);
  const orgs = await fetch(`${url}/v1/datasets?limit=1`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  if (!orgs.ok) throw new Error(`admin key refused: ${orgs.status}`);
  return {
    url,
    key: ADMIN_KEY,
    orgId: '',
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return; // already gone (crashed)
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
