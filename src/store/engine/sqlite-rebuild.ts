import { type Kysely, type RawBuilder, sql } from 'kysely';

// SQLite cannot change a table's primary key or foreign keys in place (its ALTER TABLE
// only adds, renames and drops columns), so a migration that changes keys rebuilds the
// tables: each is created anew beside the old one with its new keys, its rows copied, the
// old one dropped and the new one renamed into its place, its indexes made again.
//
// It runs inside the migration's write transaction with foreign keys enforced (PRAGMA
// foreign_keys cannot be switched off inside a transaction). Dropping a table deletes its
// rows first, and ON DELETE CASCADE would then delete the rows of every table still
// referring to it by name: so the new tables refer to each other's new names, the old
// tables go children first (by then no table refers to an old parent), and each rename
// carries the references along (SQLite ≥ 3.26 rewrites the REFERENCES of other tables).

export interface ForeignKey {
  readonly columns: string[];
  readonly parent: string;
  readonly parentColumns: string[];
}

/** The keys a migration gives a table (the columns stay as they are). */
export interface KeyedTable {
  readonly table: string;
  readonly primaryKey: string[];
  /** The primary key constraint's name where it is not PostgreSQL's `<table>_pkey`. */
  readonly pkName?: string;
  /** Each replaces the table's foreign key to the same parent; ON DELETE CASCADE. */
  readonly foreignKeys?: readonly ForeignKey[];
  /** Each replaces the unique index of the same name. */
  readonly uniqueIndexes?: readonly { readonly name: string; readonly columns: string[] }[];
}

interface Column {
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
}
interface ForeignKeyRow {
  id: number;
  table: string;
  from: string;
  to: string;
  on_delete: string;
}
interface Plan {
  keys: KeyedTable;
  columns: Column[];
  /** Foreign keys the table keeps as they are (to tables whose keys stay, like organizations). */
  kept: ForeignKey[];
  /** CREATE INDEX statements of the indexes that stay. */
  indexes: string[];
  withoutRowid: boolean;
}

const NEW_SUFFIX = '__rekeyed';

/** Rebuilds each table with its new keys, parents listed before children; rows kept. */
export async function rebuildWithKeys(db: Kysely<unknown>, tables: readonly KeyedTable[]): Promise<void> {
  const plans: Plan[] = [];
  for (const keys of tables) {
    const plan = await planOf(db, keys);
    if (plan) plans.push(plan);
  }
  const rebuilt = new Set(plans.map((p) => p.keys.table));
  await refuseOutsideReferences(db, rebuilt);
  const newName = (table: string) => (rebuilt.has(table) ? `${table}${NEW_SUFFIX}` : table);
  for (const p of plans) await createTableSql(p, newName).execute(db);
  for (const p of plans) {
    const cols = sql.join(p.columns.map((c) => sql.ref(c.name)));
    await sql`insert into ${sql.table(newName(p.keys.table))} (${cols}) select ${cols} from ${sql.table(p.keys.table)}`.execute(
      db,
    );
  }
  for (const p of [...plans].reverse()) await sql`drop table ${sql.table(p.keys.table)}`.execute(db);
  for (const p of plans)
    await sql`alter table ${sql.table(newName(p.keys.table))} rename to ${sql.table(p.keys.table)}`.execute(
      db,
    );
  for (const p of plans) {
    for (const text of p.indexes) await sql.raw(text).execute(db);
    for (const u of p.keys.uniqueIndexes ?? [])
      await db.schema.createIndex(u.name).unique().on(p.keys.table).columns(u.columns).execute();
  }
  const broken = await sql`pragma foreign_key_check`.execute(db);
  if (broken.rows.length > 0) throw new Error(`rows without their parent: ${JSON.stringify(broken.rows)}`);
}

/** What a table is and keeps; undefined for a table keyed by its rowid, which stays as it is. */
async function planOf(db: Kysely<unknown>, keys: KeyedTable): Promise<Plan | undefined> {
  const { table } = keys;
  const columns = (await sql<Column>`select * from pragma_table_info(${table})`.execute(db)).rows;
  if (columns.length === 0) throw new Error(`no table ${table}`);
  const pk = columns.filter((c) => c.pk > 0);
  // An INTEGER PRIMARY KEY is the rowid itself: SQLite numbers such rows as they come,
  // which a composite key would end.
  if (pk.length === 1 && pk[0].type.toLowerCase() === 'integer') return undefined;
  const fkRows = (await sql<ForeignKeyRow>`select * from pragma_foreign_key_list(${table})`.execute(db)).rows;
  const replaced = new Set((keys.foreignKeys ?? []).map((f) => f.parent));
  const kept: ForeignKey[] = [];
  for (const id of new Set(fkRows.map((r) => r.id))) {
    const parts = fkRows.filter((r) => r.id === id);
    if (replaced.has(parts[0].table)) continue;
    if (parts[0].on_delete.toLowerCase() !== 'cascade')
      throw new Error(`${table}: only ON DELETE CASCADE is kept`);
    kept.push({
      columns: parts.map((r) => r.from),
      parent: parts[0].table,
      parentColumns: parts.map((r) => r.to),
    });
  }
  const dropped = new Set((keys.uniqueIndexes ?? []).map((u) => u.name));
  const schema = (
    await sql<{ type: string; name: string; sql: string | null }>`
      select type, name, sql from sqlite_master where tbl_name = ${table}`.execute(db)
  ).rows;
  const indexes = schema
    .filter((r) => r.type === 'index' && r.sql !== null && !dropped.has(r.name))
    .map((r) => r.sql as string);
  const create = schema.find((r) => r.type === 'table')?.sql ?? '';
  return { keys, columns, kept, indexes, withoutRowid: /without\s+rowid\s*$/i.test(create) };
}

/** Refuses to drop a table another table (one not rebuilt) refers to: the drop would cascade into it. */
async function refuseOutsideReferences(db: Kysely<unknown>, rebuilt: Set<string>): Promise<void> {
  const others = await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db);
  for (const { name } of others.rows) {
    if (rebuilt.has(name)) continue;
    const refs = await sql<ForeignKeyRow>`select * from pragma_foreign_key_list(${name})`.execute(db);
    const into = refs.rows.find((r) => rebuilt.has(r.table));
    if (into) throw new Error(`${name} refers to ${into.table}, which is rebuilt: rebuild ${name} too`);
  }
}

function createTableSql(p: Plan, newName: (table: string) => string): RawBuilder<unknown> {
  // Types and defaults are the catalog's own SQL text, written back as they were read.
  const columns = p.columns.map(
    (c) =>
      sql`${sql.ref(c.name)} ${sql.raw(c.type)}${sql.raw(c.notnull ? ' not null' : '')}${
        c.dflt_value === null ? sql`` : sql` default ${sql.raw(c.dflt_value)}`
      }`,
  );
  const names = (cols: string[]) => sql.join(cols.map((c) => sql.ref(c)));
  const foreign = [...p.kept, ...(p.keys.foreignKeys ?? [])].map(
    (f) =>
      sql`foreign key (${names(f.columns)}) references ${sql.table(newName(f.parent))} (${names(f.parentColumns)}) on delete cascade`,
  );
  const parts = [...columns, sql`primary key (${names(p.keys.primaryKey)})`, ...foreign];
  return sql`create table ${sql.table(newName(p.keys.table))} (${sql.join(parts)})${sql.raw(
    p.withoutRowid ? ' without rowid' : '',
  )}`;
}
