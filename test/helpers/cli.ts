import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';

// The kpihub command as a user runs it: a child process with a clean environment, its
// exit code and both streams captured. Shared by every test that spawns the CLI.

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/kpihub.mjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of a user who set nothing but what the test gives. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(KPIHUB_|PORT$|HOST$|LOG_LEVEL$)/.test(k)) env[k] = v;
  }
  return { ...env, ...extra };
}

/** Runs `kpihub <args>`; exports of a million points print a lot, hence the large buffer. */
export function kpihub(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      'node',
      [BIN, ...args],
      { cwd: ROOT, env: cleanEnv(env), timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}
