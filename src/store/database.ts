import { closeSync, mkdirSync, openSync, statfsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { fail, GatehouseError } from '../model/gatehouse-error.js';
import { opt } from '../model/wording.js';
import { MIGRATIONS } from './migrations.js';
import { forPostgres, isPostgresUrl, parseStoreUrl, PostgresDb } from './postgres.js';

export const DATABASE_FILE = 'gatehouse.db';

/** A value a statement takes as a parameter. */
export type SqlValue = string | number | bigint | null | Uint8Array;

/**
 * The database, whichever engine: every SQL statement of Gatehouse goes through these six. The
 * API is synchronous on both engines: a transaction is a plain function, so nothing interleaves
 * inside it (the embedded SQLite, and PostgreSQL through a worker thread: see PostgresDb). SQL
 * written for it stays portable: `?` placeholders, `INSERT … ON CONFLICT`, `RETURNING id`.
 */
export interface Db {
  readonly engine: 'sqlite' | 'postgres';
  /** One row as a plain object (blobs as Buffers), or undefined. */
  get<T>(sql: string, ...args: SqlValue[]): T | undefined;
  /** Every row. */
  all<T>(sql: string, ...args: SqlValue[]): T[];
  run(sql: string, ...args: SqlValue[]): { changes: number };
  /** Statements without parameters (several, separated by `;`). */
  exec(sql: string): void;
  /**
   * Runs `fn` in one transaction; nested calls are savepoints; a throw rolls back everything `fn`
   * wrote. IMMEDIATE takes the (one) writer's lock at once, so concurrent writers queue.
   */
  transaction<T>(mode: 'immediate' | 'deferred', fn: () => T): T;
  close(): void;
}

/**
 * The embedded database: Node's built-in SQLite (`node:sqlite`, no native build), its prepared
 * statements kept by SQL text (preparing costs more than running the small queries here), and
 * transactions that nest (an inner one is a savepoint).
 */
export class SqliteDb implements Db {
  readonly engine = 'sqlite';
  readonly #statements = new Map<string, StatementSync>();
  #depth = 0;

  constructor(readonly raw: DatabaseSync) {}

  /** The prepared statement for `sql`, prepared once. */
  sql(sql: string): StatementSync {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.raw.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  /** One row as a plain object (blobs as Buffers), or undefined. */
  get<T>(sql: string, ...args: SqlValue[]): T | undefined {
    const row = this.#full(() => this.sql(sql).get(...args));
    return row === undefined ? undefined : (plain(row) as T);
  }

  /** Every row; each row object is SQLite's own (null prototype): map it to a value of ours. */
  all<T>(sql: string, ...args: SqlValue[]): T[] {
    return this.#full(() => this.sql(sql).all(...args)) as T[];
  }

  run(sql: string, ...args: SqlValue[]): { changes: number } {
    const r = this.#full(() => this.sql(sql).run(...args));
    return { changes: Number(r.changes) };
  }

  exec(sql: string): void {
    this.#full(() => this.raw.exec(sql));
  }

  /** Runs one statement, reporting a full disk as GH_STORE_FULL (see storeFull). */
  #full<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw storeFull(e, this.raw);
    }
  }

  /**
   * Runs `fn` in one transaction (IMMEDIATE takes the write lock at once, so concurrent writers
   * queue on the busy timeout instead of failing on upgrade); nested calls are savepoints. A throw
   * rolls back everything `fn` wrote.
   */
  transaction<T>(mode: 'immediate' | 'deferred', fn: () => T): T {
    const nested = this.#depth > 0;
    const savepoint = `sp${this.#depth}`;
    const rollback = () => {
      try {
        this.raw.exec(nested ? `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}` : 'ROLLBACK');
      } catch {
        // SQLite may already have rolled back (a full disk, say): the original error is the one to report.
      }
    };
    this.raw.exec(nested ? `SAVEPOINT ${savepoint}` : mode === 'immediate' ? 'BEGIN IMMEDIATE' : 'BEGIN DEFERRED');
    this.#depth++;
    let result: T;
    try {
      result = fn();
      if (result instanceof Promise) throw new Error('a store transaction must not be asynchronous');
    } catch (e) {
      this.#depth--;
      rollback();
      throw storeFull(e, this.raw);
    }
    this.#depth--;
    try {
      this.raw.exec(nested ? `RELEASE ${savepoint}` : 'COMMIT');
    } catch (e) {
      rollback();
      throw storeFull(e, this.raw);
    }
    return result;
  }

  close(): void {
    this.#statements.clear();
    if (this.raw.isOpen) this.raw.close();
  }
}

/** SQLite's primary result codes: "database or disk is full" (the disk, a quota, or max_page_count) and "disk I/O error". */
const SQLITE_FULL = 13;
const SQLITE_IOERR = 10;
/** Below this much free space an I/O error is put down to the full disk (SQLite grows its files by pages of 4 KiB and its shared memory by 32 KiB). */
const NEARLY_FULL_BYTES = 1024 * 1024;

/**
 * A statement that failed because the disk is full becomes GH_STORE_FULL: SQLite rolled the
 * transaction back, so nothing was changed. SQLite says SQLITE_FULL when a write to the database
 * or its journal runs out of room, but a disk I/O error (SQLITE_IOERR) when it cannot even size
 * its -wal or -shm file; that one counts as a full disk when the data directory's file system has
 * (nearly) no free space left. Anything else is passed on as it was.
 */
export function storeFull(e: unknown, raw: DatabaseSync): unknown {
  if (e instanceof GatehouseError) return e;
  const err = e as { code?: unknown; errcode?: unknown };
  if (err?.code !== 'ERR_SQLITE_ERROR' || typeof err.errcode !== 'number') return e;
  const primary = err.errcode & 0xff;
  if (primary !== SQLITE_FULL && !(primary === SQLITE_IOERR && diskNearlyFull(raw))) return e;
  return fail('GH_STORE_FULL', 'The disk that holds the data directory is full, so Gatehouse could not write to its database; nothing was changed. Free some space on that disk (or move the data directory to a larger one) and try again.', e);
}

function diskNearlyFull(raw: DatabaseSync): boolean {
  try {
    const file = raw.isOpen ? raw.location() : null;
    if (!file) return false;
    const fs = statfsSync(dirname(file));
    return fs.bavail * fs.bsize < NEARLY_FULL_BYTES;
  } catch {
    return false;
  }
}

/** SQLite's row object as a plain one, with blobs as Buffers (what the rest of the code expects). */
export function plain(row: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row as Record<string, unknown>)) out[k] = v instanceof Uint8Array ? buffer(v) : v;
  return out;
}

/** A blob column as a Buffer over the same bytes. */
export function buffer(v: Uint8Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/**
 * Opens the store's database: PostgreSQL when `options.store` is a postgres:// URL (see
 * PostgresDb), else the SQLite file in the data directory (see openSqlite). Either way the
 * migrations it lacks are applied.
 */
export function openDatabase(dataDir: string, options: { readonly?: boolean; store?: string | undefined; migrate?: boolean } = {}): Db {
  if (options.store !== undefined && options.store !== '' && dataDir !== ':memory:') {
    if (!isPostgresUrl(options.store)) {
      throw fail('GH_USAGE', `The store "${options.store.replace(/:[^:@/]*@/, ':***@')}" is not one Gatehouse knows: give ${opt('store-url')} a postgres:// URL, or leave it out for the SQLite file in the data directory.`);
    }
    const db = new PostgresDb(parseStoreUrl(options.store));
    if (options.migrate === false) return db;
    try {
      migrate(db);
    } catch (e) {
      db.close();
      throw e;
    }
    return db;
  }
  return openSqlite(dataDir, options);
}

/**
 * Opens (creating if needed) the SQLite database in the data directory: WAL so readers (the
 * serving plane) never wait for a writer (the CLI), synchronous=FULL so a committed change survives
 * a crash, a busy timeout so concurrent CLI calls queue instead of failing, and foreign keys on.
 * `':memory:'` opens a private in-memory database (the unit tests).
 */
export function openSqlite(dataDir: string, options: { readonly?: boolean; migrate?: boolean } = {}): SqliteDb {
  let raw: DatabaseSync;
  const memory = dataDir === ':memory:';
  try {
    let file = ':memory:';
    if (!memory) {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      file = join(dataDir, DATABASE_FILE);
      // Create the file owner-only before SQLite opens it; SQLite gives its -wal and -shm files the same mode.
      if (!options.readonly) closeSync(openSync(file, 'a', 0o600));
    }
    raw = new DatabaseSync(file, { readOnly: options.readonly ?? false, timeout: 10_000, enableForeignKeyConstraints: true });
  } catch (e) {
    throw fail('GH_STORE_UNAVAILABLE', `The data directory ${dataDir} cannot be opened (${(e as Error).message}). Check the path and its permissions, or choose another with ${opt('data')}.`, e);
  }
  const db = new SqliteDb(raw);
  if (!options.readonly && !memory) {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = FULL');
  }
  if (!options.readonly && options.migrate !== false) migrate(db);
  return db;
}

/**
 * Applies the migrations the database lacks, each in one transaction (IMMEDIATE: one migrator at a
 * time, on PostgreSQL through the writers' advisory lock); refuses a newer schema. PostgreSQL runs
 * the same list through forPostgres. `upTo` stops at that version (store copy: the source's).
 */
export function migrate(db: Db, upTo = MIGRATIONS[MIGRATIONS.length - 1]!.version): void {
  const create = 'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)';
  // On PostgreSQL two processes creating it at once collide (a duplicate in pg_type): they queue on the writers' lock.
  // SQLite's CREATE takes its own lock; a command that only reads takes no write lock for it.
  if (db.engine === 'postgres') db.transaction('immediate', () => db.exec(create));
  else db.exec(create);
  const current = db.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations')!.v ?? 0;
  const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version;
  if (current > latest) {
    throw fail('GH_STORE_NEWER', `The store was written by a newer Gatehouse (schema ${current}, this one knows ${latest}). Upgrade Gatehouse before using this ${db.engine === 'postgres' ? 'database' : 'data directory'}.`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current || m.version > upTo) continue;
    db.transaction('immediate', () => {
      // Another process may have applied it while we waited for the write lock.
      if (db.get('SELECT 1 FROM schema_migrations WHERE version = ?', m.version)) return;
      db.exec(db.engine === 'postgres' ? forPostgres(m.sql) : m.sql);
      db.run('INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)', m.version, m.name, new Date().toISOString());
    });
  }
}
