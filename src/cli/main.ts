import { Command } from 'commander';
import { type Config, ConfigError, loadConfig } from '../config.ts';
import { createApiKey, parseScopes, toKeyInfo } from '../core/api-keys.ts';
import { now } from '../core/clock.ts';
import { listApiKeys, revokeApiKey } from '../store/api-keys.ts';
import { openStore } from '../store/database.ts';
import { migrateToLatest } from '../store/migrate.ts';
import { findOrganization, insertOrganization, listOrganizations } from '../store/organizations.ts';
import { createStorage } from '../store/storage.ts';
import { registerExportCommand } from './export.ts';
import { registerImportCommand } from './import.ts';
import { registerSeriesCommand } from './series.ts';
import { stopOnSignal } from './shutdown.ts';
import { registerSummaryCommand } from './summary.ts';
import { registerWorkerCommand } from './worker.ts';

// Length: buildCli is commander's declaration of every command and option, one after the
// other; the work of each command lives in its own file.

function config(): Config {
  try {
    return loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`kpihub: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}

/** Runs a command against a migrated database (unless the command migrates), then closes it. */
async function withStore<T>(
  fn: (store: ReturnType<typeof openStore>) => Promise<T>,
  opts: { migrate?: boolean } = {},
): Promise<T> {
  const store = openStore(config().database, { role: 'cli' });
  try {
    if (opts.migrate !== false) await migrateToLatest(store);
    return await fn(store);
  } finally {
    await store.close();
  }
}

const print = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

export function buildCli(): Command {
  const program = new Command('kpihub').description('KPI Hub: KPI definitions and values, self-hosted');

  program
    .command('serve')
    .description('serve the API (and, unless KPIHUB_WORKERS=0, a job worker) on HOST:PORT')
    .action(async () => {
      // Loaded here, not at the top: the other commands start faster without the HTTP stack.
      const { startServer } = await import('../server.ts');
      const cfg = config();
      const running = await startServer(cfg);
      stopOnSignal(running.app.log, cfg.shutdownTimeoutSeconds, () => running.stop());
    });

  program
    .command('migrate')
    .description('create or upgrade the database schema')
    .action(() =>
      // Not migrated beforehand, so it reports the migrations this run applied.
      withStore(
        async (store) => {
          print({ applied: await migrateToLatest(store) });
        },
        { migrate: false },
      ),
    );

  const orgs = program.command('orgs').description('organizations');
  orgs
    .command('create')
    .argument('<name>', 'organization name')
    .action((name: string) =>
      withStore(async (store) => print(await insertOrganization(store.db, name))).then(() => undefined),
    );
  orgs.command('list').action(async () => {
    await withStore(async (store) => print(await listOrganizations(store.db)));
  });

  const keys = program.command('keys').description('API keys');
  keys
    .command('create')
    .requiredOption('--org <id>', 'organization id')
    .requiredOption('--name <name>', 'a name to recognise the key by')
    .option('--scopes <list>', 'comma-separated: read, write, admin', 'read,write')
    .description('create a key and print its secret (shown only this once)')
    .action((opts: { org: string; name: string; scopes: string }) =>
      withStore(async (store) => {
        if (!(await findOrganization(store.db, opts.org))) throw new Error(`no organization ${opts.org}`);
        const { key, secret } = await createApiKey(createStorage(store), {
          orgId: opts.org,
          name: opts.name,
          scopes: parseScopes(opts.scopes),
        });
        print({ ...key, secret });
      }),
    );
  keys
    .command('list')
    .option('--org <id>', 'only this organization')
    .action(async (opts: { org?: string }) => {
      await withStore(async (store) => print((await listApiKeys(store.db, opts.org)).map(toKeyInfo)));
    });
  keys
    .command('revoke')
    .argument('<id>', 'key id')
    .action((id: string) =>
      withStore(async (store) => {
        if (!(await revokeApiKey(store.db, id, now()))) throw new Error(`no active key ${id}`);
        print({ revoked: id });
      }),
    );
  registerWorkerCommand(program, config);
  registerImportCommand(program);
  registerExportCommand(program);
  registerSeriesCommand(program);
  registerSummaryCommand(program);
  return program;
}

buildCli()
  .parseAsync(process.argv)
  .catch((e: Error) => {
    process.stderr.write(`kpihub: ${e.message}\n`);
    process.exit(1);
  });
