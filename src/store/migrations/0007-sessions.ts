import type { Kysely, Migration } from 'kysely';
import type { ColumnTypes } from '../engine/types.ts';

// Length: a migration's up() is one list of DDL statements, read top to bottom.

// Browser sessions (src/core/sessions.ts): an API key exchanged for a random token held in
// an HttpOnly cookie. Only the token's SHA-256 is stored, beside the key it was signed in
// with (a revoked key ends its sessions: the lookup joins the key), the organization and the
// scopes. A deleted key or organization takes its sessions with it.

export function sessions(types: ColumnTypes): Migration {
  const ts = types.timestampType;
  const id = types.idType;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('sessions')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('org_id', id, (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('key_id', id, (c) => c.notNull().references('api_keys.id').onDelete('cascade'))
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('expires_at', ts, (c) => c.notNull())
        .addColumn('last_seen_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_key').on('sessions').column('key_id').execute();
      // The sweep of ended sessions at each sign-in.
      await db.schema.createIndex('sessions_expires_at').on('sessions').column('expires_at').execute();
    },
  };
}
