import type { StoreEngine } from './engine.js';

export interface RequestRow {
  id: number;
  subject: string;
  cn: string;
  sans: string[];
  keyType: string;
  keyId: number;
  spkiSha256: string;
  csr: string;
  exportable: boolean;
  friendlyName: string | null;
  created: string;
  /** The thumbprint of the certificate this request renews (`cert renew`), or null. */
  renews: string | null;
}

const SELECT = 'SELECT r.*, k.exportable FROM requests r JOIN private_keys k ON k.id = r.key_id';

/** Pending requests (table `requests`): a CSR waiting for the CA's answer, with its key. */
export class RequestRepository {
  constructor(private readonly engine: StoreEngine) {}

  /**
   * Inserts a request under the next id, which is never one a request had before (cancelled or
   * completed ones included), so "request 3" in the audit log names one request; call inside `change`.
   */
  insert(r: Omit<RequestRow, 'id' | 'exportable' | 'renews'> & { renews?: string | null }): number {
    const last = Number(this.engine.db.get<{ value: string }>("SELECT value FROM meta WHERE name = 'last_request_id'")!.value);
    const highest = this.engine.db.get<{ n: number }>('SELECT COALESCE(MAX(id), 0) AS n FROM requests')!.n;
    const id = Math.max(last, highest) + 1;
    this.engine.db.run("UPDATE meta SET value = ? WHERE name = 'last_request_id'", String(id));
    this.engine.db.run('INSERT INTO requests (id, subject, cn, sans, key_type, key_id, spki_sha256, csr, created, friendly_name, renews) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      id, r.subject, r.cn, JSON.stringify(r.sans), r.keyType, r.keyId, r.spkiSha256, r.csr, r.created, r.friendlyName, r.renews ?? null);
    return id;
  }

  list(): RequestRow[] {
    return this.engine.db.all<RawRequest>(`${SELECT} ORDER BY r.id`).map(toRequest);
  }

  get(id: number): RequestRow | undefined {
    const row = this.engine.db.get<RawRequest>(`${SELECT} WHERE r.id = ?`, id);
    return row && toRequest(row);
  }

  findBySpki(spkiSha256: string): RequestRow[] {
    return this.engine.db.all<RawRequest>(`${SELECT} WHERE r.spki_sha256 = ?`, spkiSha256).map(toRequest);
  }

  count(): number {
    return this.engine.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM requests')!.n;
  }

  /** Deletes a request (its key stays while something refers to it); call inside `change`. */
  delete(id: number): void {
    this.engine.db.run('DELETE FROM requests WHERE id = ?', id);
  }
}

interface RawRequest {
  id: number;
  subject: string;
  cn: string;
  sans: string;
  key_type: string;
  key_id: number;
  spki_sha256: string;
  csr: string;
  created: string;
  exportable: number;
  friendly_name: string | null;
  renews: string | null;
}

function toRequest(r: RawRequest): RequestRow {
  return {
    id: r.id, subject: r.subject, cn: r.cn, sans: JSON.parse(r.sans) as string[], keyType: r.key_type, keyId: r.key_id, spkiSha256: r.spki_sha256, csr: r.csr,
    exportable: r.exportable === 1, friendlyName: r.friendly_name, created: r.created, renews: r.renews,
  };
}
