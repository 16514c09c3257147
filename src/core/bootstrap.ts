import type { Kysely } from 'kysely';
import { countApiKeys } from '../store/api-keys.ts';
import { insertOrganization, listOrganizations } from '../store/organizations.ts';
import type { DB } from '../store/schema.ts';
import { createApiKey } from './api-keys.ts';

/**
 * First start: a default organization and an admin key. The key is the given secret
 * (KPIHUB_ADMIN_KEY, for automation) or a generated one, returned so the caller can show
 * it once. Later starts find keys and do nothing.
 */
export async function bootstrap(
  db: Kysely<DB>,
  adminSecret: string | undefined,
): Promise<{ orgId: string; secret?: string; generated: boolean }> {
  return db.transaction().execute(async (trx) => {
    const orgs = await listOrganizations(trx);
    const org = orgs[0] ?? (await insertOrganization(trx, 'default'));
    if ((await countApiKeys(trx)) > 0) return { orgId: org.id, generated: false };
    const { secret } = await createApiKey(trx, {
      orgId: org.id,
      name: 'admin',
      scopes: ['read', 'write', 'admin'],
      secret: adminSecret,
    });
    return { orgId: org.id, secret, generated: adminSecret === undefined };
  });
}
