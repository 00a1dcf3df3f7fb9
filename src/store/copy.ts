import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../model/gatehouse-error.js';
import { opt } from '../model/wording.js';
import { DATABASE_FILE, migrate, openDatabase, type Db, type SqlValue } from './database.js';
import { MIGRATIONS } from './migrations.js';
import { parseStoreUrl } from './postgres.js';

/** Where a store is: a data directory (SQLite) or a postgres:// URL. */
export interface StoreLocation {
  dataDir: string;
  /** A postgres:// URL; undefined or '' for the SQLite file in `dataDir`. */
  store?: string | undefined;
}

/** What a copy did to one table. */
export interface TableCopy {
  table: string;
  rows: number;
  /** The table's content hash, the same over the source and the target (see TableHash). */
  sha256: string;
}

export interface CopySummary {
  from: string;
  to: string;
  /** The source's schema version; the target was migrated to it, filled, verified, then on to this Gatehouse's. */
  schemaVersion: number;
  revision: number;
  tables: TableCopy[];
  rows: number;
  seconds: number;
  verified: true;
}

export interface CopyOptions {
  /** A line of progress (for stderr): called per table and at most about once a second within one. */
  progress?: (line: string) => void;
  /** Rows read per page from the source (and written per INSERT, up to the engines' parameter limits). */
  batch?: number;
  /** A pause after each page written (tests: time to interrupt a copy in the middle). */
  pauseMs?: number;
}

const LATEST = MIGRATIONS[MIGRATIONS.length - 1]!.version;
/** Parameters in one INSERT: below SQLite's 32,766 and PostgreSQL's 65,535. */
const MAX_PARAMETERS = 30_000;

/** The store's tables in the order the migrations create them (a table after those it references), up to `version`. */
export function storeTables(version = LATEST): string[] {
  const names = ['schema_migrations'];
  for (const m of MIGRATIONS) {
    if (m.version > version) break;
    for (const t of m.sql.matchAll(/CREATE TABLE (\w+)/g)) names.push(t[1]!);
  }
  return names;
}

/** The store as it may be shown: the data directory, or the URL without its password. */
export function shownLocation(at: StoreLocation): string {
  return at.store ? parseStoreUrl(at.store).shown : at.dataDir;
}

/**
 * Copies the store at `from` into the empty store at `to` (either engine, either direction). The
 * source is read in one snapshot and never written. The target is migrated to the source's schema
 * version, filled, verified table by table (row count and a hash over every row's values, the same
 * on both engines) and brought up to this Gatehouse's schema — all in ONE transaction, so an
 * interrupted or refused copy leaves the target as empty as it was. Sealed keys are copied as they
 * are: the target needs the source's master key.
 */
export function copyStore(from: StoreLocation, to: StoreLocation, options: CopyOptions = {}): CopySummary {
  const fromShown = shownLocation(from);
  const toShown = shownLocation(to);
  if (from.store && to.store ? samePostgres(from.store, to.store) : !from.store && !to.store && from.dataDir === to.dataDir) {
    throw fail('GH_STORE_COPY_TARGET_NOT_EMPTY', `The target ${toShown} is the store being copied. Give ${opt('to')} another data directory or PostgreSQL URL (or schema).`);
  }
  const source = openSource(from, fromShown);
  try {
    const target = openDatabase(to.dataDir, { store: to.store, migrate: false });
    try {
      return copyDatabase(source, target, { from: fromShown, to: toShown }, options);
    } finally {
      target.close();
    }
  } finally {
    source.close();
  }
}

/** The copy itself, between two open databases (see copyStore); `shown` names them in messages. */
export function copyDatabase(source: Db, target: Db, shown: { from: string; to: string }, options: CopyOptions = {}): CopySummary {
  const started = Date.now();
  return source.transaction('deferred', () => {
    const version = schemaVersion(source);
    if (version === 0) {
      throw fail('GH_STORE_COPY_SOURCE_EMPTY', `There is no Gatehouse store at ${shown.from} to copy. Point ${opt('data')} (SQLite) or ${opt('store-url')} (PostgreSQL) at the store to copy.`);
    }
    if (version > LATEST) {
      throw fail('GH_STORE_NEWER', `The store at ${shown.from} was written by a newer Gatehouse (schema ${version}, this one knows ${LATEST}). Copy it with that Gatehouse, or upgrade this one.`);
    }
    return target.transaction('immediate', () => {
      refuseNonEmpty(target, shown.to);
      migrate(target, version);
      const tables = copyTables(source, target, version, options);
      // The rest of this Gatehouse's migrations, in the same transaction: the copy is current when it commits.
      migrate(target);
      if (target.engine === 'postgres') resetIdentities(target);
      const revision = Number(source.get<{ value: string }>("SELECT value FROM meta WHERE name = 'revision'")?.value ?? 0);
      return {
        from: shown.from, to: shown.to, schemaVersion: version, revision, tables,
        rows: tables.reduce((n, t) => n + t.rows, 0), seconds: (Date.now() - started) / 1000, verified: true as const,
      };
    });
  });
}

function samePostgres(a: string, b: string): boolean {
  const x = parseStoreUrl(a);
  const y = parseStoreUrl(b);
  const where = (u: string) => {
    const p = new URL(u);
    return `${p.hostname}:${p.port || '5432'}${p.pathname}`;
  };
  return where(x.url) === where(y.url) && (x.schema ?? '') === (y.schema ?? '');
}

/** The source, opened without migrating it (a copy never writes its source): SQLite read-only. */
function openSource(from: StoreLocation, shown: string): Db {
  if (!from.store && !existsSync(join(from.dataDir, DATABASE_FILE))) {
    throw fail('GH_STORE_COPY_SOURCE_EMPTY', `There is no Gatehouse store in ${shown} to copy (no ${DATABASE_FILE}). Point ${opt('data')} (SQLite) or ${opt('store-url')} (PostgreSQL) at the store to copy.`);
  }
  return openDatabase(from.dataDir, { store: from.store, readonly: true, migrate: false });
}

/** The tables of the connection's schema (PostgreSQL) or database (SQLite). */
export function tablesOf(db: Db): string[] {
  return db.engine === 'postgres'
    ? db.all<{ name: string }>('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()').map((r) => r.name)
    : db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").map((r) => r.name);
}

/** The schema version: the newest migration applied, 0 when there is no store. */
export function schemaVersion(db: Db): number {
  if (!tablesOf(db).includes('schema_migrations')) return 0;
  return Number(db.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations')?.v ?? 0);
}

function refuseNonEmpty(target: Db, shown: string): void {
  const known = new Set(storeTables());
  const found = tablesOf(target).filter((t) => known.has(t));
  if (found.length === 0) return;
  const version = schemaVersion(target);
  throw fail('GH_STORE_COPY_TARGET_NOT_EMPTY', `The target ${shown} already holds a Gatehouse store (${version > 0 ? `schema ${version}, ` : ''}tables ${found.slice(0, 3).join(', ')}${found.length > 3 ? ', …' : ''}); nothing was copied and it was left as it was. ` +
    `A copy goes into an empty store only: give ${opt('to')} a new data directory, or an empty database or a new schema (?schema=NAME), or remove that store first.`);
}

function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A table's columns in order and its primary key's columns. */
function columnsOf(db: Db, table: string): { columns: string[]; key: string[] } {
  if (db.engine === 'postgres') {
    const columns = db.all<{ name: string }>('SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position', table).map((r) => r.name);
    const key = db.all<{ name: string }>(
      'SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) ' +
      "WHERE i.indrelid = (quote_ident(current_schema()) || '.' || quote_ident(?))::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)", table).map((r) => r.name);
    return { columns, key };
  }
  const info = db.all<{ name: string; pk: number }>('SELECT name, pk FROM pragma_table_info(?) ORDER BY cid', table);
  return { columns: info.map((r) => r.name), key: info.filter((r) => r.pk > 0).sort((a, b) => a.pk - b.pk).map((r) => r.name) };
}

/**
 * Every row of a table, page by page in primary-key order (keyset paging: each page starts after the
 * last key of the one before), or for a table without a key ordered by every column (OFFSET).
 */
function* pages(db: Db, table: string, columns: string[], key: string[], batch: number): Generator<Record<string, SqlValue>[]> {
  const list = columns.map(quote).join(', ');
  const order = (key.length > 0 ? key : columns).map(quote).join(', ');
  let after: SqlValue[] | undefined;
  for (let offset = 0; ; offset += batch) {
    const where = after ? ` WHERE (${key.map(quote).join(', ')}) > (${key.map(() => '?').join(', ')})` : '';
    const tail = key.length > 0 ? ` LIMIT ${batch}` : ` LIMIT ${batch} OFFSET ${offset}`;
    const page = db.all<Record<string, SqlValue>>(`SELECT ${list} FROM ${quote(table)}${where} ORDER BY ${order}${tail}`, ...(after ?? []));
    if (page.length > 0) yield page;
    if (page.length < batch) return;
    const last = page[page.length - 1]!;
    if (key.length > 0) after = key.map((k) => last[k]!);
  }
}

/**
 * A table's content as one hash that does not depend on the engine or the order of the rows: each
 * row's values normalised (integers as decimal text, text as UTF-8, blobs and bytea as their bytes,
 * NULL as itself, each tagged and length-prefixed) and hashed with SHA-256; the row hashes added
 * up modulo 2^256 (a multiset hash: equal rows count twice), with the number of rows beside it.
 */
class TableHash {
  rows = 0;
  #sum = 0n;

  add(row: Record<string, SqlValue>, columns: string[]): void {
    const h = createHash('sha256');
    for (const c of columns) {
      const v = row[c];
      if (v === null || v === undefined) h.update('N;');
      else if (typeof v === 'number' || typeof v === 'bigint') h.update(`I${String(v)};`);
      else if (typeof v === 'string') {
        const bytes = Buffer.from(v, 'utf8');
        h.update(`T${bytes.length}:`).update(bytes);
      } else h.update(`B${v.byteLength}:`).update(v);
    }
    this.#sum = (this.#sum + BigInt(`0x${h.digest('hex')}`)) % (1n << 256n);
    this.rows++;
  }

  get hex(): string {
    return this.#sum.toString(16).padStart(64, '0');
  }
}

function copyTables(source: Db, target: Db, version: number, options: CopyOptions): TableCopy[] {
  const batch = Math.max(1, options.batch ?? 1000);
  const tables = storeTables(version);
  const present = new Set(tablesOf(source));
  const missing = tables.filter((t) => !present.has(t));
  if (missing.length > 0) {
    throw fail('GH_STORE_COPY_MISMATCH', `The source store (schema ${version}) lacks the table(s) ${missing.join(', ')}; it is damaged, so nothing was copied.`);
  }
  const counts = tables.map((t) => Number(source.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${quote(t)}`)!.n));
  const total = counts.reduce((a, b) => a + b, 0);
  const say = options.progress ?? (() => {});
  say(`copying ${total} row(s) in ${tables.length} table(s) (schema ${version})`);
  // What migrating the target wrote (the first revision, the last request id, the migrations): replaced by the source's.
  for (const t of [...tables].reverse()) target.run(`DELETE FROM ${quote(t)}`);
  let done = 0;
  let lastSaid = Date.now();
  const out: TableCopy[] = [];
  tables.forEach((table, i) => {
    const src = columnsOf(source, table);
    const dst = columnsOf(target, table);
    if ([...src.columns].sort().join() !== [...dst.columns].sort().join()) {
      throw fail('GH_STORE_COPY_MISMATCH', `The table ${table} has other columns in the source (${src.columns.join(', ')}) than in the target at the same schema version (${dst.columns.join(', ')}); nothing was copied.`);
    }
    const hash = new TableHash();
    const perInsert = Math.max(1, Math.min(batch, Math.floor(MAX_PARAMETERS / src.columns.length)));
    for (const page of pages(source, table, src.columns, src.key, batch)) {
      for (let at = 0; at < page.length; at += perInsert) insertRows(target, table, src.columns, page.slice(at, at + perInsert));
      for (const row of page) hash.add(row, src.columns);
      done += page.length;
      if (options.pauseMs) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, options.pauseMs);
      if (Date.now() - lastSaid >= 1000) {
        lastSaid = Date.now();
        say(`${table}: ${hash.rows} of ${counts[i]} row(s); ${done} of ${total} in all`);
      }
    }
    // Verified before the commit: the target's rows read back, hashed the same way.
    const check = new TableHash();
    for (const page of pages(target, table, src.columns, dst.key, batch)) for (const row of page) check.add(row, src.columns);
    if (check.rows !== hash.rows || check.hex !== hash.hex) {
      throw fail('GH_STORE_COPY_MISMATCH', `The copy of table ${table} does not match its source (${check.rows} row(s) with hash ${check.hex.slice(0, 12)} in the target, ` +
        `${hash.rows} with hash ${hash.hex.slice(0, 12)} in the source); the copy was rolled back and the target left as it was. Run the copy again; if it fails the same way, report it with both stores' engines.`);
    }
    out.push({ table, rows: hash.rows, sha256: hash.hex });
    if (hash.rows > 0) say(`${table}: ${hash.rows} row(s) copied and verified; ${done} of ${total} in all`);
  });
  say(`all ${tables.length} table(s) copied and verified: ${total} row(s)`);
  return out;
}

function insertRows(target: Db, table: string, columns: string[], rows: Record<string, SqlValue>[]): void {
  const one = `(${columns.map(() => '?').join(', ')})`;
  const sql = `INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) VALUES ${rows.map(() => one).join(', ')}`;
  target.run(sql, ...rows.flatMap((r) => columns.map((c) => r[c] ?? null)));
}

/** PostgreSQL: every identity column's sequence set past the copied ids, so the next insert takes a new one. */
function resetIdentities(target: Db): void {
  const identities = target.all<{ t: string; c: string }>("SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'");
  for (const { t, c } of identities) {
    target.get(`SELECT setval(pg_get_serial_sequence(?, ?), COALESCE((SELECT MAX(${quote(c)}) FROM ${quote(t)}), 0) + 1, false)`, `${quote(t)}`, c);
  }
}
