import type { Kysely, Migration } from 'kysely';
import type { ColumnTypes } from '../engine/types.ts';

// API key administration over the native API (/v1/api-keys): each key keeps the first
// characters of its secret (`prefix`, safe to show: it tells keys apart in a list and in a
// leaked string) and the key that created it (`created_by`; null for a key made by the CLI
// or at first start). Keys made before this have neither: their secrets were never stored.

export function apiKeyAdmin(types: ColumnTypes): Migration {
  return {
    async up(db: Kysely<unknown>) {
      // One column per statement: SQLite's ALTER TABLE adds one at a time.
      await db.schema.alterTable('api_keys').addColumn('prefix', 'text').execute();
      await db.schema.alterTable('api_keys').addColumn('created_by', types.idType).execute();
    },
  };
}
