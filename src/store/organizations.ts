import type { Kysely } from 'kysely';
import { now } from '../core/clock.ts';
import { newId } from '../core/ids.ts';
import type { DB } from './schema.ts';

export interface Organization {
  id: string;
  name: string;
  created_at: string;
}

export async function insertOrganization(db: Kysely<DB>, name: string): Promise<Organization> {
  const row = { id: newId(), name, created_at: now() };
  await db.insertInto('organizations').values(row).execute();
  return row;
}

export function listOrganizations(db: Kysely<DB>): Promise<Organization[]> {
  return db.selectFrom('organizations').selectAll().orderBy('id').execute();
}

export async function findOrganization(db: Kysely<DB>, id: string): Promise<Organization | undefined> {
  return db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
}
