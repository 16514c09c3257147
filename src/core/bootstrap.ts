import { createApiKey } from './api-keys.ts';
import type { Storage } from './ports/index.ts';

/** Not a metric id (those are UUIDs), so it never waits behind a metric's writers. */
const BOOTSTRAP_LOCK = 'kpihub:bootstrap';

/**
 * First start: a default organization and an admin key. The key is the given secret
 * (KPIHUB_ADMIN_KEY, for automation) or a generated one, returned so the caller can show
 * it once. Later starts find keys and do nothing.
 *
 * Several processes may start at once on an empty database (API processes rolled out
 * together). The first to take the bootstrap lock creates the organization and the key; the
 * others wait for its commit, then find them. The lock is the write transaction's own on a
 * single-writer engine (SQLite takes the one write lock up front) and a transaction-scoped
 * lock on BOOTSTRAP_LOCK elsewhere (PostgreSQL's advisory lock, which is also safe behind a
 * transaction-pooling PgBouncer). Without it two organizations appeared in 7 of 16 trials.
 */
export async function bootstrap(
  storage: Storage,
  adminSecret: string | undefined,
): Promise<{ orgId: string; secret?: string; generated: boolean }> {
  return storage.transaction(async (tx) => {
    await tx.lockKeys([BOOTSTRAP_LOCK]);
    const orgs = await tx.listOrganizations();
    const org = orgs[0] ?? (await tx.insertOrganization('default'));
    if ((await tx.countApiKeys()) > 0) return { orgId: org.id, generated: false };
    const { secret } = await createApiKey(tx, {
      orgId: org.id,
      name: 'admin',
      scopes: ['read', 'write', 'admin'],
      secret: adminSecret,
    });
    return { orgId: org.id, secret, generated: adminSecret === undefined };
  });
}
