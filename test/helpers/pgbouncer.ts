import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import { freePort } from './processes.ts';

// A PgBouncer of the test's own (Debian's `pgbouncer` package; .ci/run installs it) in
// transaction pooling mode, in front of the test PostgreSQL.

/** The pgbouncer binary, or undefined when it is not installed. */
export function pgbouncerBinary(): string | undefined {
  // Debian installs it in /usr/sbin, which is not on every user's PATH.
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  return dirs.map((d) => join(d, 'pgbouncer')).find((p) => p.startsWith('/') && existsSync(p));
}

export interface PgBouncer {
  /** postgres:// URL of the pooler, for database `database`. */
  url(database: string): string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts PgBouncer with pool_mode=transaction and `serverPool` server connections per
 * database and user (fewer than the clients' pools: clients share server connections, as in
 * production), listening on a free port, in front of `upstream` (host:port).
 */
export async function startPgBouncer(
  binary: string,
  upstream: { host: string; port: number; user: string },
  serverPool = 4,
): Promise<PgBouncer> {
  const dir = mkdtempSync(join(tmpdir(), 'kpihub-pgbouncer-'));
  const port = await freePort();
  // auth_type=trust still wants the user listed in auth_file.
  writeFileSync(join(dir, 'users.txt'), `"${upstream.user}" ""\n`, { mode: 0o644 });
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${upstream.host} port=${upstream.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${serverPool}`,
      'max_client_conn = 500',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  // PgBouncer refuses to run as root; as root it is told to become `postgres`, which must
  // read the temporary directory.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chmodSync(dir, 0o755);
  const child: ChildProcess = spawn(
    binary,
    [...(asRoot ? ['-u', 'postgres'] : []), join(dir, 'pgbouncer.ini')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (d) => {
    out += String(d);
  });
  child.stderr?.on('data', (d) => {
    out += String(d);
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = (database: string) => `postgres://${upstream.user}@127.0.0.1:${port}/${database}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url('postgres'), connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('select 1');
      await client.end();
      break;
    } catch (e) {
      await client.end().catch(() => {});
      if (child.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`pgbouncer did not start: ${e}\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { url, output: () => out, stop };
}
