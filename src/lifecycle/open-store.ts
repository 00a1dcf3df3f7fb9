import { randomBytes } from 'node:crypto';
import { GatehouseStore, type Actor } from '../store/gatehouse-store.js';
import { openDatabase } from '../store/database.js';
import { KeyVault } from '../store/key-vault.js';
import { decodeMasterKey, loadMasterKeyFile } from '../store/master-key.js';

export interface StoreOptions {
  dataDir: string;
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
export function openStore(options: StoreOptions): GatehouseStore {
  const db = openDatabase(options.dataDir);
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
