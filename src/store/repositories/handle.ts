import type { Kysely } from 'kysely';
import type { Store } from '../database.ts';
import type { DB } from '../schema.ts';

/**
 * What a repository works through: the store (its engine, for the few bulk paths that
 * differ) and the connection or transaction its queries run on.
 */
export interface RepositoryHandle {
  readonly store: Store;
  readonly db: Kysely<DB>;
}
