import type { KeyObject } from 'node:crypto';
import { fail } from '../model/gatehouse-error.js';
import { pkcs8Der, privateKeyFromPkcs8 } from '../pki/key-pair.js';
import { buffer } from './database.js';
import type { StoreEngine } from './engine.js';

export interface NewKey {
  key: KeyObject;
  keyType: string;
  spkiSha256: string;
  exportable: boolean;
}

/** Private keys (table `private_keys`), sealed by the engine's KeyVault before they are written. */
export class KeyRepository {
  constructor(private readonly engine: StoreEngine) {}

  any(): boolean {
    return this.engine.db.get('SELECT 1 FROM private_keys LIMIT 1') !== undefined;
  }

  /** Seals and inserts a key; call inside `change`. */
  insert(k: NewKey): number {
    const sealed = this.engine.vault.seal(pkcs8Der(k.key));
    return this.engine.db.get<{ id: number }>('INSERT INTO private_keys (key_type, spki_sha256, sealed, exportable, created) VALUES (?, ?, ?, ?, ?) RETURNING id',
      k.keyType, k.spkiSha256, sealed, k.exportable ? 1 : 0, this.engine.clock().toISOString())!.id;
  }

  load(id: number): KeyObject {
    return privateKeyFromPkcs8(this.pkcs8(id));
  }

  /** The key as stored, unsealed: PKCS#8 DER (the serving plane builds TLS contexts from it without parsing it first). */
  pkcs8(id: number): Buffer {
    const row = this.engine.db.get<{ sealed: Uint8Array }>('SELECT sealed FROM private_keys WHERE id = ?', id);
    if (!row) throw fail('GH_INTERNAL', `Private key ${id} is missing from the store.`);
    return this.engine.vault.open(buffer(row.sealed));
  }

  /** Deletes a key no request, certificate, CA, ACME account or challenge refers to any more; call inside `change`. */
  deleteIfUnused(id: number | null): void {
    if (id === null) return;
    this.engine.db.run(`DELETE FROM private_keys WHERE id = ?
        AND NOT EXISTS (SELECT 1 FROM certificates WHERE key_id = ?)
        AND NOT EXISTS (SELECT 1 FROM requests WHERE key_id = ?)
        AND NOT EXISTS (SELECT 1 FROM internal_ca WHERE key_id = ?)
        AND NOT EXISTS (SELECT 1 FROM acme_accounts WHERE key_id = ?)
        AND NOT EXISTS (SELECT 1 FROM acme_challenges WHERE key_id = ?)`, id, id, id, id, id, id);
  }
}
