import { AsyncLocalStorage } from 'node:async_hooks';
import type { KeyObject } from 'node:crypto';
import { fail } from '../model/gatehouse-error.js';
import type { Certificate, ChainCertificate } from '../model/certificate.js';
import type { StoreName } from '../model/store-name.js';
import type { Site } from '../model/site.js';
import type { Binding } from '../model/binding.js';
import type { ApiToken, Role, User } from '../model/role.js';
import type { MailListener, ServiceName } from '../model/service.js';
import type { ServingConfig } from '../config/serving-config.js';
import { pkcs8Der, privateKeyFromPkcs8 } from '../pki/key-pair.js';
import type { Db } from './database.js';
import type { Statement } from 'better-sqlite3';
import type { KeyVault } from './key-vault.js';

/** Who made a change and through which face; written to the audit log with every change. */
export interface Actor {
  name: string;
  origin: 'cli' | 'api' | 'console' | 'system';
  /** From where: the client's address for the API and console; empty for local commands. */
  source?: string;
}

/** One audit record: who, when, from where, what, before and after. */
export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  origin: string;
  source: string;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
}

/** A certificate row, as stored (without the DER, which `certificateDer` reads on demand). */
export interface CertificateRow extends Omit<Certificate, 'hasPrivateKey' | 'status' | 'chainMissing'> {
  /** Stored: the path reached a self-issued root (the chain's last entry); whether it is trusted is judged when read. */
  chainComplete: boolean;
  /** SHA-256 of the public key: how requests and keys find their certificate. */
  spkiSha256: string;
  keyId: number | null;
}

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
}

export interface NewKey {
  key: KeyObject;
  keyType: string;
  spkiSha256: string;
  exportable: boolean;
}

export interface Change {
  action: string;
  target: string;
  before?: unknown;
  after?: unknown;
}

const CERT_COLUMNS = `c.thumbprint, c.friendly_name, c.store, c.subject, c.issuer, c.issued_to, c.issued_by, c.sans,
  c.not_before, c.not_after, c.serial_number, c.key_type, c.spki_sha256, c.key_id, c.chain, c.chain_complete, c.created,
  k.exportable`;

/**
 * The one store: certificates, pending requests, private keys (sealed by the KeyVault), the
 * internal CA and the audit log, over one database. Every change runs in one transaction with its
 * audit record and bumps the revision the serving plane watches. Not safe to share across threads;
 * safe across processes (SQLite locking; writers queue on the busy timeout).
 */
export class GatehouseStore {
  /** Prepared statements by SQL text: preparing costs more than running the small queries here. */
  readonly #statements = new Map<string, Statement>();
  /** The actor of the API call in progress, when it is not the store's own (see `runAs`). */
  readonly #actorScope = new AsyncLocalStorage<Actor>();

  constructor(
    private readonly db: Db,
    private readonly vault: KeyVault,
    private readonly clock: () => Date,
    private readonly actor: Actor,
  ) {}

  close(): void {
    this.db.close();
  }

  #sql(sql: string): Statement {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  /**
   * Runs `fn` — and everything it awaits — with changes recorded as made by `actor`: how one
   * admin process serving many users keeps each API call's audit records its own.
   */
  runAs<T>(actor: Actor, fn: () => T): T {
    return this.#actorScope.run(actor, fn);
  }

  /** Runs `fn` in one IMMEDIATE transaction, then records the change in the audit log and bumps the revision. */
  change<T>(describe: (result: T) => Change, fn: () => T): T {
    return this.db.transaction(() => {
      const result = fn();
      const c = describe(result);
      const actor = this.#actorScope.getStore() ?? this.actor;
      this.#sql('INSERT INTO audit (at, actor, origin, source, action, target, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(this.clock().toISOString(), actor.name, actor.origin, actor.source ?? '', c.action, c.target, json(c.before), json(c.after));
      this.#sql("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE name = 'revision'").run();
      return result;
    }).immediate();
  }

  revision(): number {
    return Number((this.#sql("SELECT value FROM meta WHERE name = 'revision'").get() as { value: string }).value);
  }

  /** Checks (and on first use records) which master key the store's keys are sealed with. */
  checkMasterKey(): void {
    const row = this.#sql("SELECT value FROM meta WHERE name = 'master_key_id'").get() as { value: string } | undefined;
    if (!row) {
      this.#sql("INSERT OR IGNORE INTO meta (name, value) VALUES ('master_key_id', ?)").run(this.vault.keyId);
      return this.checkMasterKey();
    }
    if (row.value !== this.vault.keyId) {
      throw fail('GH_MASTER_KEY_INVALID', 'The master key is not the one this store was made with, so its private keys cannot be read. Restore the original master.key (or $GATEHOUSE_MASTER_KEY).');
    }
  }

  hasPrivateKeys(): boolean {
    return this.#sql('SELECT 1 FROM private_keys LIMIT 1').get() !== undefined;
  }

  // --- private keys -------------------------------------------------------------------------

  /** Seals and inserts a key; call inside `change`. */
  insertKey(k: NewKey): number {
    const sealed = this.vault.seal(pkcs8Der(k.key));
    const r = this.db
      .prepare('INSERT INTO private_keys (key_type, spki_sha256, sealed, exportable, created) VALUES (?, ?, ?, ?, ?)')
      .run(k.keyType, k.spkiSha256, sealed, k.exportable ? 1 : 0, this.clock().toISOString());
    return Number(r.lastInsertRowid);
  }

  loadKey(id: number): KeyObject {
    const row = this.#sql('SELECT sealed FROM private_keys WHERE id = ?').get(id) as { sealed: Buffer } | undefined;
    if (!row) throw fail('GH_INTERNAL', `Private key ${id} is missing from the store.`);
    return privateKeyFromPkcs8(this.vault.open(row.sealed));
  }

  /** Deletes a key no request, certificate or CA refers to any more; call inside `change`. */
  deleteKeyIfUnused(id: number | null): void {
    if (id === null) return;
    this.db
      .prepare(`DELETE FROM private_keys WHERE id = ?
        AND NOT EXISTS (SELECT 1 FROM certificates WHERE key_id = ?)
        AND NOT EXISTS (SELECT 1 FROM requests WHERE key_id = ?)
        AND NOT EXISTS (SELECT 1 FROM internal_ca WHERE key_id = ?)`)
      .run(id, id, id, id);
  }

  // --- pending requests ---------------------------------------------------------------------

  /**
   * Inserts a request under the next id, which is never one a request had before (cancelled or
   * completed ones included), so "request 3" in the audit log names one request; call inside `change`.
   */
  insertRequest(r: Omit<RequestRow, 'id' | 'exportable'>): number {
    const last = Number((this.#sql("SELECT value FROM meta WHERE name = 'last_request_id'").get() as { value: string }).value);
    const highest = (this.#sql('SELECT COALESCE(MAX(id), 0) AS n FROM requests').get() as { n: number }).n;
    const id = Math.max(last, highest) + 1;
    this.#sql("UPDATE meta SET value = ? WHERE name = 'last_request_id'").run(String(id));
    this.db
      .prepare('INSERT INTO requests (id, subject, cn, sans, key_type, key_id, spki_sha256, csr, created, friendly_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, r.subject, r.cn, JSON.stringify(r.sans), r.keyType, r.keyId, r.spkiSha256, r.csr, r.created, r.friendlyName);
    return id;
  }

  listRequests(): RequestRow[] {
    return (this.#sql(`SELECT r.*, k.exportable FROM requests r JOIN private_keys k ON k.id = r.key_id ORDER BY r.id`).all() as RawRequest[]).map(toRequest);
  }

  getRequest(id: number): RequestRow | undefined {
    const row = this.#sql(`SELECT r.*, k.exportable FROM requests r JOIN private_keys k ON k.id = r.key_id WHERE r.id = ?`).get(id) as RawRequest | undefined;
    return row && toRequest(row);
  }

  findRequestsBySpki(spkiSha256: string): RequestRow[] {
    return (this.#sql(`SELECT r.*, k.exportable FROM requests r JOIN private_keys k ON k.id = r.key_id WHERE r.spki_sha256 = ?`).all(spkiSha256) as RawRequest[]).map(toRequest);
  }

  deleteRequest(id: number): void {
    this.#sql('DELETE FROM requests WHERE id = ?').run(id);
  }

  // --- certificates -------------------------------------------------------------------------

  insertCertificate(c: Omit<CertificateRow, 'exportable'>, der: Buffer, chainDer: Buffer[]): void {
    this.db
      .prepare(`INSERT INTO certificates (thumbprint, friendly_name, store, subject, issuer, issued_to, issued_by, sans, not_before,
        not_after, serial_number, key_type, spki_sha256, key_id, der, chain, chain_der, chain_complete, created)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(c.thumbprint, c.friendlyName, c.store, c.subject, c.issuer, c.issuedTo, c.issuedBy, JSON.stringify(c.sans), c.notBefore,
        c.notAfter, c.serialNumber, c.keyType, c.spkiSha256, c.keyId, der,
        JSON.stringify(c.chain), JSON.stringify(chainDer.map((d) => d.toString('base64'))), c.chainComplete ? 1 : 0, c.created);
  }

  listCertificates(filter: { store?: StoreName | undefined; notAfterBefore?: string | undefined } = {}): CertificateRow[] {
    const where: string[] = [];
    const args: unknown[] = [];
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
    const sql = `SELECT ${CERT_COLUMNS} FROM certificates c LEFT JOIN private_keys k ON k.id = c.key_id
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY c.friendly_name, c.thumbprint`;
    return (this.#sql(sql).all(...args) as RawCertificate[]).map(toCertificate);
  }

  /** Counts by store, and of the expired and the expiring (by `soon`) server certificates, without reading the rows. */
  certificateCounts(soon: string, now: string): { webhosting: number; personal: number; expired: number; expiring: number } {
    return this.db
      .prepare(`SELECT
          COALESCE(SUM(store = 'webhosting'), 0) AS webhosting, COALESCE(SUM(store = 'personal'), 0) AS personal,
          COALESCE(SUM(not_after <= ?), 0) AS expired, COALESCE(SUM(not_after > ? AND not_after <= ?), 0) AS expiring
        FROM certificates WHERE store <> 'root'`)
      .get(now, now, soon) as { webhosting: number; personal: number; expired: number; expiring: number };
  }

  getCertificate(thumbprint: string): CertificateRow | undefined {
    const row = this.#sql(`SELECT ${CERT_COLUMNS} FROM certificates c LEFT JOIN private_keys k ON k.id = c.key_id WHERE c.thumbprint = ?`).get(thumbprint) as RawCertificate | undefined;
    return row && toCertificate(row);
  }

  /** Candidates for a reference: thumbprints starting with `prefix` (upper-case hex) or an exact friendly name. */
  findCertificates(prefix: string | undefined, friendlyName: string): CertificateRow[] {
    const rows = this.db
      .prepare(`SELECT ${CERT_COLUMNS} FROM certificates c LEFT JOIN private_keys k ON k.id = c.key_id
        WHERE (? IS NOT NULL AND substr(c.thumbprint, 1, length(?)) = ?) OR c.friendly_name = ? ORDER BY c.thumbprint`)
      .all(prefix ?? null, prefix ?? '', prefix ?? '', friendlyName) as RawCertificate[];
    return rows.map(toCertificate);
  }

  certificateDer(thumbprint: string): { der: Buffer; chain: Buffer[] } {
    const row = this.#sql('SELECT der, chain_der FROM certificates WHERE thumbprint = ?').get(thumbprint) as { der: Buffer; chain_der: string } | undefined;
    if (!row) throw fail('GH_CERT_NOT_FOUND', `No certificate has the thumbprint ${thumbprint}.`);
    const chain = (JSON.parse(row.chain_der) as string[]).map((b64) => Buffer.from(b64, 'base64'));
    return { der: row.der, chain };
  }

  /** The certificates of the Trusted Root Certification Authorities store, as DER. */
  rootStoreDer(): Buffer[] {
    return (this.#sql("SELECT der FROM certificates WHERE store = 'root'").all() as Array<{ der: Buffer }>).map((r) => r.der);
  }

  /** The certificates whose chain stopped short of a root, with their DER, for judging them again. */
  incompleteChains(): Array<{ thumbprint: string; der: Buffer; chain: Buffer[] }> {
    const rows = this.#sql("SELECT thumbprint, der, chain_der FROM certificates WHERE chain_complete = 0 AND store <> 'root'").all() as Array<{ thumbprint: string; der: Buffer; chain_der: string }>;
    return rows.map((r) => ({ thumbprint: r.thumbprint, der: r.der, chain: (JSON.parse(r.chain_der) as string[]).map((b64) => Buffer.from(b64, 'base64')) }));
  }

  /**
   * Replaces a certificate's chain; call inside `change`. Served TLS contexts are cached by
   * thumbprint, so this also moves the chain marker that tells the serving plane to build them again.
   */
  replaceChain(thumbprint: string, chain: ChainCertificate[], chainDer: Buffer[], complete: boolean): void {
    this.#sql('UPDATE certificates SET chain = ?, chain_der = ?, chain_complete = ? WHERE thumbprint = ?')
      .run(JSON.stringify(chain), JSON.stringify(chainDer.map((d) => d.toString('base64'))), complete ? 1 : 0, thumbprint);
    this.#sql("INSERT INTO meta (name, value) VALUES ('chains', '1') ON CONFLICT (name) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)").run();
  }

  /** Moves whenever a stored chain is replaced (see `replaceChain`). */
  chainsMarker(): number {
    const row = this.#sql("SELECT value FROM meta WHERE name = 'chains'").get() as { value: string } | undefined;
    return row ? Number(row.value) : 0;
  }

  findCertificateBySpki(spkiSha256: string): CertificateRow | undefined {
    const row = this.#sql(`SELECT ${CERT_COLUMNS} FROM certificates c LEFT JOIN private_keys k ON k.id = c.key_id WHERE c.spki_sha256 = ? AND c.key_id IS NOT NULL LIMIT 1`).get(spkiSha256) as RawCertificate | undefined;
    return row && toCertificate(row);
  }

  renameCertificate(thumbprint: string, friendlyName: string): void {
    this.#sql('UPDATE certificates SET friendly_name = ? WHERE thumbprint = ?').run(friendlyName, thumbprint);
  }

  deleteCertificate(thumbprint: string): void {
    const row = this.#sql('SELECT key_id FROM certificates WHERE thumbprint = ?').get(thumbprint) as { key_id: number | null } | undefined;
    this.#sql('DELETE FROM certificates WHERE thumbprint = ?').run(thumbprint);
    this.deleteKeyIfUnused(row?.key_id ?? null);
  }

  // --- internal CA --------------------------------------------------------------------------

  getCa(): { der: Buffer; keyId: number; created: string } | undefined {
    const row = this.#sql('SELECT der, key_id, created FROM internal_ca WHERE id = 1').get() as { der: Buffer; key_id: number; created: string } | undefined;
    return row && { der: row.der, keyId: row.key_id, created: row.created };
  }

  insertCa(der: Buffer, keyId: number): void {
    this.#sql('INSERT INTO internal_ca (id, der, key_id, created) VALUES (1, ?, ?, ?)').run(der, keyId, this.clock().toISOString());
  }

  // --- sites and bindings -----------------------------------------------------------------

  insertSite(site: Site): void {
    this.db
      .prepare('INSERT INTO sites (name, state, kind, target, https_redirect, hsts, log_format, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(site.name, site.state, site.content.kind, site.content.kind === 'static' ? site.content.root : site.content.upstream, site.httpsRedirect ? 1 : 0, site.hsts ? 1 : 0, site.logFormat, site.created);
  }

  updateSite(site: Site): void {
    this.db
      .prepare('UPDATE sites SET state = ?, kind = ?, target = ?, https_redirect = ?, hsts = ?, log_format = ? WHERE name = ?')
      .run(site.state, site.content.kind, site.content.kind === 'static' ? site.content.root : site.content.upstream, site.httpsRedirect ? 1 : 0, site.hsts ? 1 : 0, site.logFormat, site.name);
  }

  /** Deletes a site and, with it, its bindings. */
  deleteSite(name: string): void {
    this.#sql('DELETE FROM bindings WHERE site = ?').run(name);
    this.#sql('DELETE FROM sites WHERE name = ?').run(name);
  }

  getSite(name: string): Site | undefined {
    const row = this.#sql('SELECT * FROM sites WHERE name = ?').get(name) as RawSite | undefined;
    return row && toSite(row);
  }

  listSites(): Site[] {
    return (this.#sql('SELECT * FROM sites ORDER BY name').all() as RawSite[]).map(toSite);
  }

  listBindings(site?: string): Binding[] {
    const rows = site === undefined
      ? this.#sql('SELECT * FROM bindings ORDER BY site, protocol, port, ip, host').all()
      : this.#sql('SELECT * FROM bindings WHERE site = ? ORDER BY protocol, port, ip, host').all(site);
    return (rows as RawBinding[]).map(toBinding);
  }

  bindingsUsing(thumbprint: string): Binding[] {
    return (this.#sql('SELECT * FROM bindings WHERE certificate = ? ORDER BY site').all(thumbprint) as RawBinding[]).map(toBinding);
  }

  /** Makes the bindings table equal `next`, writing only the difference; call inside `change`. */
  replaceBindings(next: readonly Binding[]): void {
    const key = (b: Binding) => `${b.protocol}/${b.ip}/${b.port}/${b.host}`;
    const before = new Map(this.listBindings().map((b) => [key(b), b]));
    const after = new Map(next.map((b) => [key(b), b]));
    const del = this.#sql('DELETE FROM bindings WHERE protocol = ? AND ip = ? AND port = ? AND host = ?');
    const put = this.#sql('INSERT OR REPLACE INTO bindings (protocol, ip, port, host, site, sni, certificate) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const [k, b] of before) if (!after.has(k)) del.run(b.protocol, b.ip, b.port, b.host);
    for (const [k, b] of after) {
      const old = before.get(k);
      if (old && old.site === b.site && old.sni === b.sni && old.certificate === b.certificate) continue;
      put.run(b.protocol, b.ip, b.port, b.host, b.site, b.sni ? 1 : 0, b.certificate);
    }
  }

  /** Every service assignment: service → thumbprint. */
  serviceAssignments(): Partial<Record<ServiceName, string>> {
    const rows = this.#sql('SELECT service, certificate FROM service_assignments ORDER BY service').all() as Array<{ service: ServiceName; certificate: string }>;
    return Object.fromEntries(rows.map((r) => [r.service, r.certificate]));
  }

  /** Assigns (or with null, unassigns) a service's certificate; call inside `change`. */
  setServiceCertificate(service: ServiceName, thumbprint: string | null): void {
    if (thumbprint === null) this.#sql('DELETE FROM service_assignments WHERE service = ?').run(service);
    else this.#sql('INSERT INTO service_assignments (service, certificate) VALUES (?, ?) ON CONFLICT (service) DO UPDATE SET certificate = excluded.certificate').run(service, thumbprint);
  }

  /** The services a certificate is assigned to. */
  servicesOf(thumbprint: string): ServiceName[] {
    return (this.#sql('SELECT service FROM service_assignments WHERE certificate = ? ORDER BY service').all(thumbprint) as Array<{ service: ServiceName }>).map((r) => r.service);
  }

  listMailListeners(): MailListener[] {
    return (this.#sql('SELECT * FROM mail_listeners ORDER BY service, port, ip').all() as RawListener[]).map(toListener);
  }

  /** Inserts or replaces the listener on its (ip, port); call inside `change`. */
  putMailListener(l: MailListener): void {
    this.#sql(`INSERT OR REPLACE INTO mail_listeners (ip, port, service, mode, require_tls, backend_host, backend_port, client_address, host_name, max_connections, idle_timeout, created)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(l.ip, l.port, l.service, l.mode, l.requireTls ? 1 : 0, l.backendHost, l.backendPort, l.clientAddress, l.hostName, l.maxConnections, l.idleTimeoutSeconds, l.created);
  }

  /** Deletes a listener; call inside `change`. */
  deleteMailListener(ip: string, port: number): void {
    this.#sql('DELETE FROM mail_listeners WHERE ip = ? AND port = ?').run(ip, port);
  }

  serviceCertificate(service: string): string | null {
    const row = this.#sql('SELECT certificate FROM service_assignments WHERE service = ?').get(service) as { certificate: string } | undefined;
    return row?.certificate ?? null;
  }

  /** Everything the serving plane needs, read in one transaction so it is one revision's view. */
  servingConfig(): ServingConfig {
    return this.db.transaction(() => ({
      revision: this.revision(),
      sites: this.listSites(),
      bindings: this.listBindings(),
      httpsDefault: this.serviceCertificate('https'),
      services: this.serviceAssignments(),
      mailListeners: this.listMailListeners(),
      chains: this.chainsMarker(),
      preload: (this.db
        .prepare(`SELECT DISTINCT b.certificate AS t FROM bindings b JOIN certificates c ON c.thumbprint = b.certificate WHERE c.store = 'personal'`)
        .all() as Array<{ t: string }>).map((r) => r.t),
    })).deferred();
  }

  // --- audit --------------------------------------------------------------------------------

  /** Audit records at or after `since` (ISO time), oldest first; `limit` keeps the newest that many. */
  listAudit(filter: { since?: string | undefined; limit?: number | undefined } = {}): AuditEntry[] {
    const rows = (filter.limit === undefined
      ? this.#sql('SELECT * FROM audit WHERE at >= ? ORDER BY id').all(filter.since ?? '')
      : this.#sql('SELECT * FROM (SELECT * FROM audit WHERE at >= ? ORDER BY id DESC LIMIT ?) ORDER BY id').all(filter.since ?? '', filter.limit)) as Array<Omit<AuditEntry, 'before' | 'after'> & { before: string | null; after: string | null }>;
    return rows.map((r) => ({ ...r, before: r.before === null ? null : JSON.parse(r.before), after: r.after === null ? null : JSON.parse(r.after) }));
  }

  // --- users and API tokens ------------------------------------------------------------------

  /** Inserts a user; call inside `change`. */
  insertUser(user: User, passwordHash: string): void {
    this.#sql('INSERT INTO users (name, role, password_hash, created, updated) VALUES (?, ?, ?, ?, ?)').run(user.name, user.role, passwordHash, user.created, user.updated);
  }

  getUser(name: string): (User & { passwordHash: string }) | undefined {
    const r = this.#sql('SELECT name, role, password_hash, created, updated FROM users WHERE name = ?').get(name) as { name: string; role: Role; password_hash: string; created: string; updated: string } | undefined;
    return r && { name: r.name, role: r.role, created: r.created, updated: r.updated, passwordHash: r.password_hash };
  }

  listUsers(): User[] {
    return this.#sql('SELECT name, role, created, updated FROM users ORDER BY name').all() as User[];
  }

  countUsers(role?: Role): number {
    const r = (role === undefined ? this.#sql('SELECT COUNT(*) AS n FROM users').get() : this.#sql('SELECT COUNT(*) AS n FROM users WHERE role = ?').get(role)) as { n: number };
    return r.n;
  }

  /** Changes a user's role and/or password hash; call inside `change`. */
  updateUser(name: string, update: { role?: Role | undefined; passwordHash?: string | undefined }, updated: string): void {
    if (update.role !== undefined) this.#sql('UPDATE users SET role = ?, updated = ? WHERE name = ?').run(update.role, updated, name);
    if (update.passwordHash !== undefined) this.#sql('UPDATE users SET password_hash = ?, updated = ? WHERE name = ?').run(update.passwordHash, updated, name);
  }

  /** Deletes a user and (by cascade) their API tokens; call inside `change`. */
  deleteUser(name: string): void {
    this.#sql('DELETE FROM users WHERE name = ?').run(name);
  }

  /** Inserts an API token by its hash; call inside `change`. */
  insertToken(token: ApiToken, hash: string): void {
    this.#sql('INSERT INTO api_tokens (id, user, hash, description, created, expires, last_used) VALUES (?, ?, ?, ?, ?, ?, NULL)').run(token.id, token.user, hash, token.description, token.created, token.expires);
  }

  listTokens(user?: string): ApiToken[] {
    const sql = `SELECT id, user, description, created, expires, last_used AS lastUsed FROM api_tokens ${user === undefined ? '' : 'WHERE user = ?'} ORDER BY created, id`;
    return (user === undefined ? this.#sql(sql).all() : this.#sql(sql).all(user)) as ApiToken[];
  }

  getToken(id: string): ApiToken | undefined {
    return this.#sql('SELECT id, user, description, created, expires, last_used AS lastUsed FROM api_tokens WHERE id = ?').get(id) as ApiToken | undefined;
  }

  /** The token with this hash, if any (its user's role included). */
  findTokenByHash(hash: string): (ApiToken & { role: Role }) | undefined {
    return this.#sql('SELECT t.id, t.user, t.description, t.created, t.expires, t.last_used AS lastUsed, u.role FROM api_tokens t JOIN users u ON u.name = t.user WHERE t.hash = ?').get(hash) as (ApiToken & { role: Role }) | undefined;
  }

  /** Records when a token was last used; not a change of configuration, so no audit record and no revision. */
  touchToken(id: string, at: string): void {
    this.#sql('UPDATE api_tokens SET last_used = ? WHERE id = ?').run(at, id);
  }

  /** Deletes a token; call inside `change`. */
  deleteToken(id: string): void {
    this.#sql('DELETE FROM api_tokens WHERE id = ?').run(id);
  }
}

interface RawListener {
  ip: string;
  port: number;
  service: MailListener['service'];
  mode: MailListener['mode'];
  require_tls: number;
  backend_host: string;
  backend_port: number;
  client_address: MailListener['clientAddress'];
  host_name: string;
  max_connections: number;
  idle_timeout: number;
  created: string;
}

function toListener(r: RawListener): MailListener {
  return {
    service: r.service, ip: r.ip, port: r.port, mode: r.mode, requireTls: r.require_tls === 1, backendHost: r.backend_host, backendPort: r.backend_port,
    clientAddress: r.client_address, hostName: r.host_name, maxConnections: r.max_connections, idleTimeoutSeconds: r.idle_timeout, created: r.created,
  };
}

interface RawSite {
  name: string;
  state: 'started' | 'stopped';
  kind: 'static' | 'proxy';
  target: string;
  https_redirect: number;
  hsts: number;
  log_format: 'w3c' | 'combined';
  created: string;
}

function toSite(r: RawSite): Site {
  return {
    name: r.name, state: r.state, content: r.kind === 'static' ? { kind: 'static', root: r.target } : { kind: 'proxy', upstream: r.target },
    httpsRedirect: r.https_redirect === 1, hsts: r.hsts === 1, logFormat: r.log_format, created: r.created,
  };
}

interface RawBinding {
  protocol: 'http' | 'https';
  ip: string;
  port: number;
  host: string;
  site: string;
  sni: number;
  certificate: string | null;
}

function toBinding(r: RawBinding): Binding {
  return { site: r.site, protocol: r.protocol, ip: r.ip, port: r.port, host: r.host, sni: r.sni === 1, certificate: r.certificate };
}

function json(v: unknown): string | null {
  return v === undefined ? null : JSON.stringify(v);
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
}

function toRequest(r: RawRequest): RequestRow {
  return {
    id: r.id, subject: r.subject, cn: r.cn, sans: JSON.parse(r.sans) as string[], keyType: r.key_type, keyId: r.key_id, spkiSha256: r.spki_sha256, csr: r.csr,
    exportable: r.exportable === 1, friendlyName: r.friendly_name, created: r.created,
  };
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
