import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { BIN, cleanEnv, ROOT } from './cli.ts';

// KPI Hub as separate processes (`kpihub serve`, `kpihub worker`), for the tests of what
// only real processes show: racing starts, signals, connections through a pooler.

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface KpihubProcess {
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with its exit code (or the signal that ended it) once it has exited. */
  readonly exited: Promise<number | string | null>;
  /** Waits until its output matches, or fails if it exits or the time is up. */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  /** SIGTERM (unless it has exited), then its exit. */
  stop(): Promise<number | string | null>;
}

/** Starts `kpihub <args>` (or `npm start`) with a clean environment plus `env`. */
export function startKpihub(
  args: string[],
  env: Record<string, string>,
  via: 'kpihub' | 'npm start' = 'kpihub',
): KpihubProcess {
  const [command, argv] = via === 'npm start' ? ['npm', ['start']] : [process.execPath, [BIN, ...args]];
  const child = spawn(command, argv, {
    cwd: ROOT,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += String(d);
  });
  child.stderr?.on('data', (d) => {
    out += String(d);
  });
  const exited = new Promise<number | string | null>((done) =>
    child.once('exit', (code, signal) => done(code ?? signal)),
  );
  return {
    child,
    output: () => out,
    exited,
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      const seen = () => (typeof pattern === 'string' ? out.includes(pattern) : pattern.test(out));
      while (!seen()) {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`kpihub ${args.join(' ')} exited (${child.exitCode ?? child.signalCode}):\n${out}`);
        if (Date.now() > deadline)
          throw new Error(`kpihub ${args.join(' ')}: no ${pattern} in time:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** `kpihub serve` (or `npm start`) on a free port, once it listens. */
export async function startServe(
  env: Record<string, string>,
  via: 'kpihub' | 'npm start' = 'kpihub',
): Promise<KpihubProcess & { readonly url: string }> {
  const port = await freePort();
  const proc = startKpihub(['serve'], { PORT: String(port), ...env }, via);
  const url = `http://127.0.0.1:${port}`;
  try {
    await proc.waitFor(`listening at ${url}`);
  } catch (e) {
    proc.child.kill('SIGKILL');
    throw e;
  }
  return Object.assign(proc, { url });
}
