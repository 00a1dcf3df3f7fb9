import { buffer } from './database.js';
import type { StoreEngine } from './engine.js';

/** The internal CA (table `internal_ca`, one row): its certificate and a reference to its key. */
export class CaRepository {
  constructor(private readonly engine: StoreEngine) {}

  get(): { der: Buffer; keyId: number; created: string } | undefined {
    const row = this.engine.db.get<{ der: Uint8Array; key_id: number; created: string }>('SELECT der, key_id, created FROM internal_ca WHERE id = 1');
    return row && { der: buffer(row.der), keyId: row.key_id, created: row.created };
  }

  /** Inserts the CA; call inside `change`. */
  insert(der: Buffer, keyId: number): void {
    this.engine.db.run('INSERT INTO internal_ca (id, der, key_id, created) VALUES (1, ?, ?, ?)', der, keyId, this.engine.clock().toISOString());
  }
}
