import { fail } from '../model/gatehouse-error.js';
import type { Certificate, ChainCertificate } from '../model/certificate.js';
import type { StoreName } from '../model/store-name.js';
import type { CertificateStatus } from '../model/certificate.js';
import { containsPattern, keysetAfter, type StorePage } from './paging.js';
import { buffer, type SqlValue } from './database.js';
import type { StoreEngine } from './engine.js';
import type { KeyRepository } from './keys.js';

/** A certificate row, as stored (without the DER, which `der` reads on demand). */
export interface CertificateRow extends Omit<Certificate, 'hasPrivateKey' | 'status' | 'chainMissing'> {
  /** Stored: the path reached a self-issued root (the chain's last entry); whether it is trusted is judged when read. */
  chainComplete: boolean;
  /** SHA-256 of the public key: how requests and keys find their certificate. */
  spkiSha256: string;
  keyId: number | null;
}

const COLUMNS = `c.thumbprint, c.friendly_name, c.store, c.subject, c.issuer, c.issued_to, c.issued_by, c.sans,
  c.not_before, c.not_after, c.serial_number, c.key_type, c.spki_sha256, c.key_id, c.chain, c.chain_complete, c.created,
  k.exportable`;
const SELECT = `SELECT ${COLUMNS} FROM certificates c LEFT JOIN private_keys k ON k.id = c.key_id`;

/**
 * Certificates (table `certificates`): the parsed fields for listing, the DER and the chain. Listing
 * reads only the parsed columns (the large ones are last in the row, so a scan never steps over them).
 */
export class CertificateRepository {
  constructor(private readonly engine: StoreEngine, private readonly keys: KeyRepository) {}

  /** Inserts a certificate; call inside `change`. */
  insert(c: Omit<CertificateRow, 'exportable'>, der: Buffer, chainDer: Buffer[]): void {
    this.engine.db.run(`INSERT INTO certificates (thumbprint, friendly_name, store, subject, issuer, issued_to, issued_by, sans, not_before,
        not_after, serial_number, key_type, spki_sha256, key_id, der, chain, chain_der, chain_complete, created)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      c.thumbprint, c.friendlyName, c.store, c.subject, c.issuer, c.issuedTo, c.issuedBy, JSON.stringify(c.sans), c.notBefore,
      c.notAfter, c.serialNumber, c.keyType, c.spkiSha256, c.keyId, der,
      JSON.stringify(c.chain), JSON.stringify(chainDer.map((d) => d.toString('base64'))), c.chainComplete ? 1 : 0, c.created);
    this.engine.noteChange('certificate', c.thumbprint);
  }

  list(filter: CertificateFilter = {}): CertificateRow[] {
    const { where, args } = certificateWhere(filter);
    return this.engine.db.all<RawCertificate>(`${SELECT} WHERE ${where} ORDER BY c.friendly_name, c.thumbprint`, ...args).map(toCertificate);
  }

  /**
   * One page of `list`: at most `limit` rows after the row `after` names (its friendly name and
   * thumbprint, the listing's order), and how many rows the filter matches in all.
   */
  page(filter: CertificateFilter, limit: number, after?: readonly [string, string]): StorePage<CertificateRow> {
    const { where, args } = certificateWhere(filter);
    const total = Number(this.engine.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM certificates c WHERE ${where}`, ...args)!.n);
    const keyset = after ? keysetAfter(['c.friendly_name', 'c.thumbprint'], after) : undefined;
    const rows = this.engine.db.all<RawCertificate>(`${SELECT} WHERE ${where}${keyset ? ` AND ${keyset.sql}` : ''} ORDER BY c.friendly_name, c.thumbprint LIMIT ?`,
      ...args, ...(keyset?.args ?? []), limit + 1).map(toCertificate);
    return { rows: rows.slice(0, limit), total, more: rows.length > limit };
  }

  /** Counts by store, and of the expired and the expiring (by `soon`) server certificates, without reading the rows. */
  counts(soon: string, now: string): { webhosting: number; personal: number; expired: number; expiring: number } {
    return this.engine.db.get<{ webhosting: number; personal: number; expired: number; expiring: number }>(`SELECT
          COUNT(CASE WHEN store = 'webhosting' THEN 1 END) AS webhosting, COUNT(CASE WHEN store = 'personal' THEN 1 END) AS personal,
          COUNT(CASE WHEN not_after <= ? THEN 1 END) AS expired, COUNT(CASE WHEN not_after > ? AND not_after <= ? THEN 1 END) AS expiring
        FROM certificates WHERE store <> 'root'`, now, now, soon)!;
  }

  get(thumbprint: string): CertificateRow | undefined {
    const row = this.engine.db.get<RawCertificate>(`${SELECT} WHERE c.thumbprint = ?`, thumbprint);
    return row && toCertificate(row);
  }

  /** Candidates for a reference: thumbprints starting with `prefix` (upper-case hex) or an exact friendly name. */
  find(prefix: string | undefined, friendlyName: string): CertificateRow[] {
    // The prefix test only when there is a prefix (PostgreSQL cannot type a parameter that is only compared with NULL).
    return prefix === undefined
      ? this.engine.db.all<RawCertificate>(`${SELECT} WHERE c.friendly_name = ? ORDER BY c.thumbprint`, friendlyName).map(toCertificate)
      // The prefix as a range of the primary key (upper-case hex: every thumbprint starting with it
      // sorts from it to it + 'G'), which an index answers; substr() read all 100,000 rows.
      : this.engine.db.all<RawCertificate>(`${SELECT} WHERE (c.thumbprint >= ? AND c.thumbprint < ?) OR c.friendly_name = ? ORDER BY c.thumbprint`,
        prefix, `${prefix}G`, friendlyName).map(toCertificate);
  }

  /** A certificate's own DER alone (no chain), or undefined when it is gone. */
  leafDer(thumbprint: string): Buffer | undefined {
    const row = this.engine.db.get<{ der: Uint8Array }>('SELECT der FROM certificates WHERE thumbprint = ?', thumbprint);
    return row && buffer(row.der);
  }

  /** The certificate's DER and its chain's (leaf first, then towards the root). */
  der(thumbprint: string): { der: Buffer; chain: Buffer[] } {
    const row = this.engine.db.get<{ der: Uint8Array; chain_der: string }>('SELECT der, chain_der FROM certificates WHERE thumbprint = ?', thumbprint);
    if (!row) throw fail('GH_CERT_NOT_FOUND', `No certificate has the thumbprint ${thumbprint}.`);
    const chain = (JSON.parse(row.chain_der) as string[]).map((b64) => Buffer.from(b64, 'base64'));
    return { der: buffer(row.der), chain };
  }

  /** What a TLS context serves for a certificate, in one read: its DER, its chain's (base64, as stored) and its key's id; undefined when it is gone. */
  served(thumbprint: string): { der: Buffer; chain: string[]; keyId: number | null } | undefined {
    const row = this.engine.db.get<{ der: Uint8Array; chain_der: string; key_id: number | null }>('SELECT der, chain_der, key_id FROM certificates WHERE thumbprint = ?', thumbprint);
    return row && { der: buffer(row.der), chain: JSON.parse(row.chain_der) as string[], keyId: row.key_id };
  }

  /** The certificates of the Trusted Root Certification Authorities store, as DER. */
  rootStoreDer(): Buffer[] {
    return this.engine.db.all<{ der: Uint8Array }>("SELECT der FROM certificates WHERE store = 'root'").map((r) => buffer(r.der));
  }

  /** The certificates whose chain stopped short of a root, with their DER, for judging them again. */
  incompleteChains(): Array<{ thumbprint: string; der: Buffer; chain: Buffer[] }> {
    return this.engine.db.all<{ thumbprint: string; der: Uint8Array; chain_der: string }>("SELECT thumbprint, der, chain_der FROM certificates WHERE chain_complete = 0 AND store <> 'root'")
      .map((r) => ({ thumbprint: r.thumbprint, der: buffer(r.der), chain: (JSON.parse(r.chain_der) as string[]).map((b64) => Buffer.from(b64, 'base64')) }));
  }

  /**
   * Replaces a certificate's chain; call inside `change`. Served TLS contexts are cached by
   * thumbprint, so this also moves the chain marker that tells the serving plane to build them again.
   */
  replaceChain(thumbprint: string, chain: ChainCertificate[], chainDer: Buffer[], complete: boolean): void {
    this.engine.db.run('UPDATE certificates SET chain = ?, chain_der = ?, chain_complete = ? WHERE thumbprint = ?',
      JSON.stringify(chain), JSON.stringify(chainDer.map((d) => d.toString('base64'))), complete ? 1 : 0, thumbprint);
    this.engine.db.run("INSERT INTO meta (name, value) VALUES ('chains', '1') ON CONFLICT (name) DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)");
    this.engine.noteChange('all', '');
  }

  /** The store a certificate is in, or undefined when it is not in any. */
  storeOf(thumbprint: string): StoreName | undefined {
    return this.engine.db.get<{ store: StoreName }>('SELECT store FROM certificates WHERE thumbprint = ?', thumbprint)?.store;
  }

  /** Moves whenever a stored chain is replaced (see `replaceChain`). */
  chainsMarker(): number {
    const row = this.engine.db.get<{ value: string }>("SELECT value FROM meta WHERE name = 'chains'");
    return row ? Number(row.value) : 0;
  }

  findBySpki(spkiSha256: string): CertificateRow | undefined {
    const row = this.engine.db.get<RawCertificate>(`${SELECT} WHERE c.spki_sha256 = ? AND c.key_id IS NOT NULL LIMIT 1`, spkiSha256);
    return row && toCertificate(row);
  }

  /** Renames a certificate; call inside `change`. */
  rename(thumbprint: string, friendlyName: string): void {
    this.engine.db.run('UPDATE certificates SET friendly_name = ? WHERE thumbprint = ?', friendlyName, thumbprint);
    this.engine.noteChange('certificate', thumbprint);
  }

  /** Deletes a certificate and its key when nothing else refers to it; call inside `change`. */
  delete(thumbprint: string): void {
    const row = this.engine.db.get<{ key_id: number | null }>('SELECT key_id FROM certificates WHERE thumbprint = ?', thumbprint);
    this.engine.db.run('DELETE FROM certificates WHERE thumbprint = ?', thumbprint);
    this.keys.deleteIfUnused(row?.key_id ?? null);
    this.engine.noteChange('certificate', thumbprint);
  }
}

/**
 * Which certificates a listing shows: one store (default: every store but the roots), those ending
 * by `notAfterBefore`, those whose friendly name, subject name or SANs contain `name` (any case),
 * those of one status at `now` (expired; chain-incomplete; expiring within the days `soon` marks; valid).
 */
export interface CertificateFilter {
  store?: StoreName | undefined;
  notAfterBefore?: string | undefined;
  name?: string | undefined;
  status?: { status: CertificateStatus; now: string; soon: string } | undefined;
}

function certificateWhere(filter: CertificateFilter): { where: string; args: SqlValue[] } {
  const where: string[] = [];
  const args: SqlValue[] = [];
  if (filter.store) {
    where.push('c.store = ?');
    args.push(filter.store);
  } else {
    where.push("c.store <> 'root'");
  }
  if (filter.notAfterBefore) {
    where.push('c.not_after <= ?');
    args.push(filter.notAfterBefore);
  }
  if (filter.name) {
    const like = containsPattern(filter.name);
    where.push("(lower(c.friendly_name) LIKE lower(?) ESCAPE '\\' OR lower(c.issued_to) LIKE lower(?) ESCAPE '\\' OR lower(c.sans) LIKE lower(?) ESCAPE '\\')");
    args.push(like, like, like);
  }
  if (filter.status) {
    const { status, now, soon } = filter.status;
    const [sql, values] = status === 'expired' ? ['c.not_after <= ?', [now]]
      : status === 'chain-incomplete' ? ['c.not_after > ? AND c.chain_complete = 0', [now]]
        : status === 'expiring' ? ['c.not_after > ? AND c.chain_complete = 1 AND c.not_after <= ?', [now, soon]]
          : ['c.not_after > ? AND c.chain_complete = 1', [soon]];
    where.push(sql);
    args.push(...values);
  }
  return { where: where.join(' AND '), args };
}

interface RawCertificate {
  thumbprint: string;
  friendly_name: string;
  store: StoreName;
  subject: string;
  issuer: string;
  issued_to: string;
  issued_by: string;
  sans: string;
  not_before: string;
  not_after: string;
  serial_number: string;
  key_type: string;
  spki_sha256: string;
  key_id: number | null;
  chain: string;
  chain_complete: number;
  created: string;
  exportable: number | null;
}

function toCertificate(r: RawCertificate): CertificateRow {
  const chain = JSON.parse(r.chain) as ChainCertificate[];
  return {
    thumbprint: r.thumbprint, friendlyName: r.friendly_name, store: r.store, subject: r.subject, issuer: r.issuer,
    issuedTo: r.issued_to, issuedBy: r.issued_by, sans: JSON.parse(r.sans) as string[], notBefore: r.not_before,
    notAfter: r.not_after, serialNumber: r.serial_number, keyType: r.key_type, spkiSha256: r.spki_sha256,
    keyId: r.key_id, exportable: r.exportable === 1, chain, chainComplete: r.chain_complete === 1, created: r.created,
  };
}
