import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { fail } from '../model/gatehouse-error.js';
import { opt } from '../model/wording.js';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;
export const DATABASE_FILE = 'gatehouse.db';

/**
 * Opens (creating if needed) the SQLite database in the data directory: WAL so readers (the
 * serving plane) never wait for a writer (the CLI), synchronous=FULL so a committed change survives
 * a crash, a busy timeout so concurrent CLI calls queue instead of failing, and foreign keys on.
 */
export function openDatabase(dataDir: string, options: { readonly?: boolean } = {}): Db {
  let db: Db;
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const file = join(dataDir, DATABASE_FILE);
    // Create the file owner-only before SQLite opens it; SQLite gives its -wal and -shm files the same mode.
    if (!options.readonly) closeSync(openSync(file, 'a', 0o600));
    db = new Database(file, { readonly: options.readonly ?? false });
  } catch (e) {
    throw fail('GH_STORE_UNAVAILABLE', `The data directory ${dataDir} cannot be opened (${(e as Error).message}). Check the path and its permissions, or choose another with ${opt('data')}.`, e);
  }
  db.pragma('busy_timeout = 10000');
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
  }
  db.pragma('foreign_keys = ON');
  if (!options.readonly) migrate(db);
  return db;
}

/** Applies the migrations the database lacks, each in one transaction; refuses a newer schema. */
export function migrate(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)');
  const current = (db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
  const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version;
  if (current > latest) {
    throw fail('GH_STORE_NEWER', `The store was written by a newer Gatehouse (schema ${current}, this one knows ${latest}). Upgrade Gatehouse before using this data directory.`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      // Another process may have applied it while we waited for the write lock.
      if (db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version)) return;
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
    }).immediate();
  }
}
