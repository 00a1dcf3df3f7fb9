import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { GatehouseStore, type Actor } from '../store/gatehouse-store.js';
import { openDatabase } from '../store/database.js';
import { isPostgresUrl, parseStoreUrl } from '../store/postgres.js';
import { KeyVault } from '../store/key-vault.js';
import { decodeMasterKey, loadMasterKeyFile } from '../store/master-key.js';

export interface StoreOptions {
  dataDir: string;
  /**
   * Where the store is: a postgres:// URL (--store or $GATEHOUSE_STORE), else (undefined or '') the
   * SQLite file in the data directory. The master key stays in the data directory (or the
   * environment) either way: it never goes into the database.
   */
  store?: string | undefined;
  /** $GATEHOUSE_MASTER_KEY, read by the composition root; else master.key in the data directory. */
  masterKey?: string | undefined;
  actor: Actor;
  clock?: () => Date;
}

/**
 * Opens the store in a data directory with its master key: from the environment when given, else
 * `master.key` beside the database, created on first use — but never created afresh for a store
 * that already holds sealed keys (that would strand them). `dataDir: ':memory:'` opens a private
 * in-memory store with a random master key: the managers' unit tests run against it.
 */
/** The store as it may be shown: the SQLite data directory, or the PostgreSQL URL without its password. */
export function storeShown(options: Pick<StoreOptions, 'dataDir' | 'store'>): string {
  return options.store && isPostgresUrl(options.store) && options.dataDir !== ':memory:' ? parseStoreUrl(options.store).shown : options.dataDir;
}

export function openStore(options: StoreOptions): GatehouseStore {
  // On PostgreSQL the data directory still holds the master key (and logs): it is made here, as openSqlite makes it for SQLite.
  if (options.dataDir !== ':memory:' && options.store) mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const db = openDatabase(options.dataDir, { store: options.store });
  try {
    let key: Buffer;
    if (options.dataDir === ':memory:') {
      // A private in-memory store (unit tests): nothing outlives the process, so a fresh key will do.
      key = options.masterKey ? decodeMasterKey(options.masterKey, '$GATEHOUSE_MASTER_KEY') : randomBytes(32);
    } else if (options.masterKey !== undefined && options.masterKey !== '') {
      key = decodeMasterKey(options.masterKey, '$GATEHOUSE_MASTER_KEY');
    } else {
      const holdsKeys = db.get('SELECT 1 FROM private_keys LIMIT 1') !== undefined;
      key = loadMasterKeyFile(options.dataDir, !holdsKeys);
    }
    const store = new GatehouseStore(db, new KeyVault(key), options.clock ?? (() => new Date()), options.actor);
    store.checkMasterKey();
    return store;
  } catch (e) {
    db.close();
    throw e;
  }
}
