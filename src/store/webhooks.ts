import type { Kysely } from 'kysely';
import type { DB } from './schema.ts';

// An organization's webhook: where job completions are delivered, and the signing secret.

export function findWebhook(db: Kysely<DB>, orgId: string) {
  return db.selectFrom('webhooks').selectAll().where('org_id', '=', orgId).executeTakeFirst();
}

export async function upsertWebhook(db: Kysely<DB>, row: DB['webhooks']): Promise<void> {
  await db
    .insertInto('webhooks')
    .values(row)
    .onConflict((oc) =>
      oc.column('org_id').doUpdateSet({ url: row.url, secret: row.secret, updated_at: row.updated_at }),
    )
    .execute();
}

export async function deleteWebhook(db: Kysely<DB>, orgId: string): Promise<boolean> {
  const res = await db.deleteFrom('webhooks').where('org_id', '=', orgId).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}
