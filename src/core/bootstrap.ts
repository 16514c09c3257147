import { createApiKey } from './api-keys.ts';
import type { Storage } from './ports/index.ts';

/**
 * First start: a default organization and an admin key. The key is the given secret
 * (KPIHUB_ADMIN_KEY, for automation) or a generated one, returned so the caller can show
 * it once. Later starts find keys and do nothing.
 */
export async function bootstrap(
  storage: Storage,
  adminSecret: string | undefined,
): Promise<{ orgId: string; secret?: string; generated: boolean }> {
  return storage.transaction(async (tx) => {
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
