import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyAuthenticator } from '../src/core/api-keys.ts';
import { openStore } from '../src/store/database.ts';
import { createStorage } from '../src/store/storage.ts';
import { kpihub } from './helpers/cli.ts';
import { createTestDatabase, engines, type TestDatabase } from './helpers/engines.ts';
import { startServe } from './helpers/processes.ts';

// The kpihub command as a user runs it: a child process per command, against a temporary
// database. Each spawn costs about a second, so the commands share one database.

const serve = startServe;

// Spawning takes seconds on a busy machine: these tests get more time than the default.
describe('kpihub command', { timeout: 120_000 }, () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kpihub-cli-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('migrates, creates an organization and a key, lists and revokes keys', async () => {
    const url = `sqlite:${join(dir, 'cli.db')}`;
    const env = { KPIHUB_DATABASE_URL: url };

    const migrated = await kpihub(['migrate'], env);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(JSON.parse(migrated.stdout).applied).toContain('0001-foundation');

    const org = await kpihub(['orgs', 'create', 'Acme'], env);
    expect(org.code, org.stderr).toBe(0);
    const orgId = JSON.parse(org.stdout).id as string;
    expect(JSON.parse(org.stdout)).toMatchObject({ name: 'Acme', id: expect.any(String) });

    const created = await kpihub(
      ['keys', 'create', '--org', orgId, '--scopes', 'read,write', '--name', 'ci'],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout);
    expect(key).toMatchObject({
      orgId,
      name: 'ci',
      scopes: ['read', 'write'],
      secret: expect.stringMatching(/^kph_/),
    });

    // The printed secret authenticates as that organization.
    const store = openStore({ engine: 'sqlite', path: join(dir, 'cli.db') });
    try {
      const found = await new KeyAuthenticator(createStorage(store)).authenticate(key.secret);
      expect(found).toMatchObject({ id: key.id, orgId, scopes: ['read', 'write'] });
      const row = await store.db
        .selectFrom('api_keys')
        .selectAll()
        .where('id', '=', key.id)
        .executeTakeFirstOrThrow();

      const revoked = await kpihub(['keys', 'revoke', key.id], env);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(JSON.parse(revoked.stdout)).toEqual({ revoked: key.id });
      expect(await new KeyAuthenticator(createStorage(store)).authenticate(key.secret)).toBeNull();

      const listed = await kpihub(['keys', 'list'], env);
      expect(listed.code, listed.stderr).toBe(0);
      const keys = JSON.parse(listed.stdout);
      expect(keys).toContainEqual(
        expect.objectContaining({ id: key.id, name: 'ci', revokedAt: expect.any(String) }),
      );
      // The secret's first characters tell keys apart; the CLI created it, not a key.
      expect(keys.find((k: { id: string }) => k.id === key.id)).toMatchObject({
        prefix: key.secret.slice(0, 12),
        createdBy: null,
      });
      expect(listed.stdout).not.toContain(key.secret);
      expect(listed.stdout).not.toContain(row.secret_hash);
      expect(listed.stdout).not.toContain(row.lookup);
      expect(listed.stdout).not.toMatch(/secret|hash/i);
    } finally {
      await store.close();
    }
  });

  it('explains a mistake on stderr and exits non-zero', async () => {
    const res = await kpihub(['keys', 'create', '--org', 'nope', '--name', 'x', '--scopes', 'read,root'], {
      KPIHUB_DATABASE_URL: `sqlite:${join(dir, 'cli.db')}`,
    });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/^kpihub: /);
    expect(res.stdout).toBe('');
  });

  it('on first start creates the database, an organization and an admin key, printed once', async () => {
    const path = join(dir, 'first', 'kpihub.db');
    const served = await serve({ KPIHUB_DATABASE_URL: `sqlite:${path}` });
    try {
      const secret = /\n\s+(kph_[\w-]+)\n/.exec(served.output())?.[1];
      expect(secret, served.output()).toBeDefined();
      const res = await fetch(`${served.url}/v1/datasets`, {
        headers: { authorization: `Bearer ${secret}` },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ items: [], next_cursor: null });
      expect((await fetch(`${served.url}/ready`)).status).toBe(200);

      // The Dcycle seed's JavaScript fetch sample, verbatim but for the host and the key.
      const options = {
        method: 'POST',
        headers: { 'x-api-key': secret as string, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          name: '<string>',
          description: '<string>',
          kpis: [
            {
              name: '<string>',
              description: '<string>',
              unit: '<string>',
              value_type: 'number',
              required: true,
              sort_order: 0,
            },
          ],
        }),
      };
      const seed = (await fetch(`${served.url}/v1/custom-kpi-datasets`, options).then((r) => r.json())) as {
        kpis: object[];
      };
      expect(Object.keys(seed).sort()).toEqual(
        [
          'id',
          'organization_id',
          'name',
          'created_at',
          'description',
          'created_by',
          'updated_by',
          'updated_at',
          'kpis',
        ].sort(),
      );
      expect(Object.keys(seed.kpis[0]).sort()).toEqual(
        [
          'id',
          'dataset_id',
          'name',
          'sort_order',
          'created_at',
          'description',
          'unit',
          'value_type',
          'required',
          'updated_at',
        ].sort(),
      );
      // Logs are JSON lines that never carry the secret.
      const logLines = served
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'));
      expect(logLines.length).toBeGreaterThan(0);
      expect(served.output().split(secret as string)).toHaveLength(2);
    } finally {
      expect(await served.stop()).toBe(0);
    }
  });

  describe.each(engines())('with KPIHUB_ADMIN_KEY [%s]', (engine) => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase(engine);
    });
    afterAll(async () => {
      await database.drop();
    });

    it('makes that secret the admin key and generates none', async () => {
      const adminKey = `automation-${'x'.repeat(30)}`;
      const served = await serve({ KPIHUB_DATABASE_URL: database.env, KPIHUB_ADMIN_KEY: adminKey });
      try {
        expect(served.output()).not.toMatch(/kph_/);
        expect(served.output()).not.toContain(adminKey);
        const ok = await fetch(`${served.url}/v1/datasets`, { headers: { 'x-api-key': adminKey } });
        expect(ok.status).toBe(200);
        const created = await fetch(`${served.url}/v1/datasets`, {
          method: 'POST',
          headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'from automation' }),
        });
        expect(created.status).toBe(201);
        const wrong = await fetch(`${served.url}/v1/datasets`, { headers: { 'x-api-key': `${adminKey}!` } });
        expect(wrong.status).toBe(401);
      } finally {
        expect(await served.stop()).toBe(0);
      }
    });
  });

  it('npm start serves, and stops when npm is told to stop (no server left behind)', async () => {
    const served = await serve({ KPIHUB_DATABASE_URL: `sqlite:${join(dir, 'npm-start.db')}` }, 'npm start');
    expect((await fetch(`${served.url}/health`)).status).toBe(200);
    // The server's own pid, from its first log line (npm's pid is another process).
    const pid = Number(/"pid":(\d+)/.exec(served.output())?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(pid).not.toBe(served.child.pid);
    await served.stop(); // SIGTERM to npm, as a process manager sends it
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 10_000;
    while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(alive()).toBe(false);
    await expect(fetch(`${served.url}/health`)).rejects.toThrow();
  });

  it('refuses to start on a bad setting, naming it', async () => {
    const res = await kpihub(['serve'], {
      KPIHUB_DATABASE_URL: `sqlite:${join(dir, 'never.db')}`,
      KPIHUB_ADMIN_KEY: 'short',
    });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/KPIHUB_ADMIN_KEY must be at least 32 characters/);
    expect(res.stdout).toBe('');
  });
});
