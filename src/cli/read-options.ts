import { type Command, InvalidArgumentError, Option } from 'commander';
import { ApiError, type Connection } from './api-client.ts';

// What `kpihub series` and `kpihub summary` (and `kpihub export`) share: the server and key
// options, --coordinate pairs, whole-number arguments, and how a refusal is reported.

export interface ConnectionOptions {
  url: string;
  key?: string;
}

/**
 * --url and --key, with the same environment fallbacks as `kpihub import` and `kpihub export`;
 * and every argument error exits 2, commander's own (a bad choice, a missing option) too.
 */
export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .exitOverride((e) => process.exit(e.exitCode === 1 ? 2 : e.exitCode))
    .addOption(
      new Option('--url <url>', 'the KPI Hub server').env('KPIHUB_URL').default('http://127.0.0.1:8080'),
    )
    .addOption(new Option('--key <key>', 'an API key with the read scope').env('KPIHUB_API_KEY'));
}

export function connectionOf(opts: ConnectionOptions): Connection {
  if (!opts.key) throw new InvalidArgumentError('an API key is needed: --key or KPIHUB_API_KEY');
  return { url: opts.url, key: opts.key };
}

/** Collects a repeated option's values. */
export const repeated = (v: string, all: string[] | undefined): string[] => [...(all ?? []), v];

/** `--coordinate dimension=member`, repeated, as the API's coordinates object. */
export function coordinatesOf(pairs: string[] | undefined): Record<string, string> | undefined {
  let coordinates: Record<string, string> | undefined;
  for (const pair of pairs ?? []) {
    const at = pair.indexOf('=');
    if (at < 1 || at === pair.length - 1)
      throw new InvalidArgumentError('--coordinate takes dimension=member');
    coordinates = { ...coordinates, [pair.slice(0, at)]: pair.slice(at + 1) };
  }
  return coordinates;
}

/** A commander argument parser for a whole number of at least 1. */
export function positiveInteger(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError('a whole number of at least 1');
  return n;
}

/**
 * Runs a client command: bad arguments exit 2 (as commander's own), a refusal by the server
 * exits 1 with its problem detail on stderr; anything else (an unreachable server) goes on
 * to the program's handler, which exits 1.
 */
export function runClient(cmd: Command, what: string, work: () => Promise<void>): Promise<void> {
  return work().then(
    () => {
      process.exitCode = 0;
    },
    (e: unknown) => {
      if (e instanceof InvalidArgumentError) cmd.error(`error: ${e.message}`, { exitCode: 2 });
      if (!(e instanceof ApiError)) throw e;
      process.stderr.write(`kpihub: the server refused the ${what}: ${e.message}\n`);
      for (const issue of e.errors) process.stderr.write(`  ${issue.field}: ${issue.message}\n`);
      process.exitCode = 1;
    },
  );
}
