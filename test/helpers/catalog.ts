import { sql } from 'kysely';
import type { Store } from '../../src/store/database.ts';
import type { Engine } from './engines.ts';

// The keys of a migrated store as each engine's own catalog states them (not as the
// migrations meant them): PostgreSQL's pg_catalog for the store's schema, SQLite's pragmas.

export interface CatalogTable {
  name: string;
  columns: Set<string>;
  /** The primary key's columns in key order ([] when there is none). */
  primaryKey: string[];
  /** SQLite: the primary key is the rowid (a single INTEGER PRIMARY KEY column), not an index. */
  rowidKey: boolean;
  /** Unique indexes and unique constraints other than the primary key (null column: an expression). */
  uniqueIndexes: { name: string; columns: (string | null)[] }[];
  foreignKeys: { columns: string[]; parent: string; parentColumns: string[] }[];
}

export function readCatalog(store: Store, engine: Engine): Promise<CatalogTable[]> {
  return engine === 'postgres' ? readPostgres(store) : readSqlite(store);
}

async function readPostgres(store: Store): Promise<CatalogTable[]> {
  const schema = store.schema ?? 'public';
  // pg_catalog named in full: the test connections search no schema at all.
  const tables = await sql<{ name: string }>`
    select c.relname as name from pg_catalog.pg_class c
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${schema} and c.relkind in ('r', 'p') order by 1`.execute(store.db);
  const out: CatalogTable[] = [];
  for (const { name } of tables.rows) {
    const rel = `${schema}.${name}`;
    const columns = await sql<{ name: string }>`
      select attname as name from pg_catalog.pg_attribute
      where attrelid = ${rel}::regclass and attnum > 0 and not attisdropped`.execute(store.db);
    // Each index's columns in key order; attnum 0 is an expression.
    const indexes = await sql<{
      name: string;
      primary: boolean;
      unique: boolean;
      columns: (string | null)[];
    }>`
      select i.indexrelid::regclass::text as name, i.indisprimary as primary, i.indisunique as unique,
        array(select a.attname::text from unnest(i.indkey) with ordinality k(attnum, pos)
              left join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
              order by k.pos) as columns
      from pg_catalog.pg_index i where i.indrelid = ${rel}::regclass`.execute(store.db);
    const fks = await sql<{ columns: string[]; parent: string; parent_columns: string[] }>`
      select array(select a.attname::text from unnest(c.conkey) with ordinality k(attnum, pos)
                   join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum
                   order by k.pos) as columns,
             p.relname as parent,
             array(select a.attname::text from unnest(c.confkey) with ordinality k(attnum, pos)
                   join pg_catalog.pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.attnum
                   order by k.pos) as parent_columns
      from pg_catalog.pg_constraint c join pg_catalog.pg_class p on p.oid = c.confrelid
      where c.conrelid = ${rel}::regclass and c.contype = 'f'`.execute(store.db);
    const pk = indexes.rows.find((i) => i.primary);
    out.push({
      name,
      columns: new Set(columns.rows.map((c) => c.name)),
      primaryKey: (pk?.columns ?? []).map(String),
      rowidKey: false,
      uniqueIndexes: indexes.rows
        .filter((i) => i.unique && !i.primary)
        .map((i) => ({ name: i.name.replace(/^.*\./, ''), columns: i.columns })),
      foreignKeys: fks.rows.map((f) => ({
        columns: f.columns,
        parent: f.parent,
        parentColumns: f.parent_columns,
      })),
    });
  }
  return out;
}

async function readSqlite(store: Store): Promise<CatalogTable[]> {
  const db = store.db;
  const tables = await sql<{ name: string }>`
    select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by 1`.execute(db);
  const out: CatalogTable[] = [];
  for (const { name } of tables.rows) {
    const columns = (
      await sql<{ name: string; type: string; pk: number }>`
        select name, type, pk from pragma_table_info(${name})`.execute(db)
    ).rows;
    const pk = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
    const list = (
      await sql<{ name: string; unique: number; origin: string }>`
        select name, "unique", origin from pragma_index_list(${name})`.execute(db)
    ).rows;
    const uniqueIndexes = [];
    for (const i of list.filter((x) => x.unique && x.origin !== 'pk')) {
      const cols = await sql<{ seqno: number; name: string | null }>`
        select seqno, name from pragma_index_info(${i.name}) order by seqno`.execute(db);
      uniqueIndexes.push({ name: i.name, columns: cols.rows.map((c) => c.name) });
    }
    const fkRows = (
      await sql<{ id: number; seq: number; table: string; from: string; to: string | null }>`
        select id, seq, "table", "from", "to" from pragma_foreign_key_list(${name}) order by id, seq`.execute(
        db,
      )
    ).rows;
    const foreignKeys = [...new Set(fkRows.map((r) => r.id))].map((id) => {
      const parts = fkRows.filter((r) => r.id === id);
      // A REFERENCES without columns names the parent's primary key: `to` is null then.
      return {
        columns: parts.map((r) => r.from),
        parent: parts[0].table,
        parentColumns: parts.map((r) => String(r.to)),
      };
    });
    out.push({
      name,
      columns: new Set(columns.map((c) => c.name)),
      primaryKey: pk.map((c) => c.name),
      rowidKey: pk.length === 1 && pk[0].type.toLowerCase() === 'integer',
      uniqueIndexes,
      foreignKeys,
    });
  }
  return out;
}
