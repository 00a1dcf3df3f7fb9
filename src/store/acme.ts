import { buffer } from './database.js';
import type { StoreEngine } from './engine.js';

/** An ACME account: the CA's directory, our contact, the account URL (JWS `kid`) and its key. */
export interface AcmeAccountRow {
  name: string;
  directory: string;
  email: string;
  accountUrl: string;
  keyId: number;
  /** The CA certificate(s), PEM, that the directory's HTTPS is checked against; null: the system's roots. */
  directoryCa: string | null;
  /** The External Account Binding key id the account was created with (never the HMAC key). */
  eabKid: string | null;
  /** The account's default DNS-01 provider spec (names a TSIG key file, never a secret); null: none. */
  dnsProvider: string | null;
  status: string;
  created: string;
}

/** A challenge the serving plane answers while a CA validates it. */
export interface AcmeChallengeRow {
  id: number;
  type: 'http-01' | 'tls-alpn-01';
  /** The identifier (DNS name) being validated. */
  name: string;
  token: string;
  keyAuthorization: string;
  expires: string;
  /** tls-alpn-01: the self-signed challenge certificate (DER) and its key. */
  certDer: Buffer | null;
  keyId: number | null;
}

/**
 * Where an ACME certificate came from (`acme:ACCOUNT`, the challenge it was validated with) and
 * when it renews: the CA's ARI window (RFC 9773) as last read, when to read it again, and the
 * chosen instant (`renewAt`, kept so the choice is stable across restarts) with why.
 */
export interface CertificateSourceRow {
  thumbprint: string;
  source: string;
  challenge: string;
  ariId: string | null;
  windowStart: string | null;
  windowEnd: string | null;
  ariChecked: string | null;
  ariRetryAfter: string | null;
  ariError: string | null;
  renewAt: string | null;
  renewWhy: string | null;
}

interface RawSource {
  thumbprint: string; source: string; challenge: string; ari_id: string | null; window_start: string | null; window_end: string | null;
  ari_checked: string | null; ari_retry_after: string | null; ari_error: string | null; renew_at: string | null; renew_why: string | null;
}

interface RawAccount {
  name: string; directory: string; email: string; account_url: string; key_id: number; directory_ca: string | null; eab_kid: string | null; dns_provider: string | null; status: string; created: string;
}
interface RawChallenge {
  id: number; type: 'http-01' | 'tls-alpn-01'; name: string; token: string; key_authorization: string; expires: string; cert_der: Uint8Array | null; key_id: number | null;
}

/** Tables `acme_accounts`, `acme_challenges` (what `serve` answers), `acme_orders` (the daily bound) and `certificate_sources`. */
export class AcmeRepository {
  constructor(private readonly engine: StoreEngine) {}

  insertAccount(a: AcmeAccountRow): void {
    this.engine.db.run('INSERT INTO acme_accounts (name, directory, email, account_url, key_id, directory_ca, eab_kid, dns_provider, status, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      a.name, a.directory, a.email, a.accountUrl, a.keyId, a.directoryCa, a.eabKid, a.dnsProvider, a.status, a.created);
  }

  setDnsProvider(name: string, spec: string | null): void {
    this.engine.db.run('UPDATE acme_accounts SET dns_provider = ? WHERE name = ?', spec, name);
  }

  accounts(): AcmeAccountRow[] {
    return this.engine.db.all<RawAccount>('SELECT * FROM acme_accounts ORDER BY name').map(toAccount);
  }

  account(name: string): AcmeAccountRow | undefined {
    const row = this.engine.db.get<RawAccount>('SELECT * FROM acme_accounts WHERE name = ?', name);
    return row && toAccount(row);
  }

  deleteAccount(name: string): void {
    this.engine.db.run('DELETE FROM acme_accounts WHERE name = ?', name);
  }

  insertChallenge(c: Omit<AcmeChallengeRow, 'id'>): number {
    return this.engine.db.get<{ id: number }>('INSERT INTO acme_challenges (type, name, token, key_authorization, expires, cert_der, key_id) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id',
      c.type, c.name, c.token, c.keyAuthorization, c.expires, c.certDer, c.keyId)!.id;
  }

  /** The challenges not yet expired at `now` (ISO). */
  challenges(now: string): AcmeChallengeRow[] {
    return this.engine.db.all<RawChallenge>('SELECT * FROM acme_challenges WHERE expires > ? ORDER BY id', now).map(toChallenge);
  }

  /** Deletes challenges by id; returns the key ids they held (for deleteIfUnused). */
  deleteChallenges(ids: number[]): number[] {
    const keys: number[] = [];
    for (const id of ids) {
      const row = this.engine.db.get<{ key_id: number | null }>('SELECT key_id FROM acme_challenges WHERE id = ?', id);
      if (row?.key_id != null) keys.push(row.key_id);
      this.engine.db.run('DELETE FROM acme_challenges WHERE id = ?', id);
    }
    return keys;
  }

  setSource(r: CertificateSourceRow): void {
    this.engine.db.run(`INSERT INTO certificate_sources (thumbprint, source, challenge, ari_id, window_start, window_end, ari_checked, ari_retry_after, ari_error, renew_at, renew_why)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (thumbprint) DO UPDATE SET source = excluded.source, challenge = excluded.challenge, ari_id = excluded.ari_id,
        window_start = excluded.window_start, window_end = excluded.window_end, ari_checked = excluded.ari_checked,
        ari_retry_after = excluded.ari_retry_after, ari_error = excluded.ari_error, renew_at = excluded.renew_at, renew_why = excluded.renew_why`, r.thumbprint, r.source, r.challenge, r.ariId, r.windowStart, r.windowEnd, r.ariChecked, r.ariRetryAfter, r.ariError, r.renewAt, r.renewWhy);
  }

  source(thumbprint: string): CertificateSourceRow | undefined {
    const row = this.engine.db.get<RawSource>('SELECT * FROM certificate_sources WHERE thumbprint = ?', thumbprint);
    return row && toSource(row);
  }

  /** Every certificate's recorded source (one query, for lists). */
  sources(): Map<string, CertificateSourceRow> {
    return new Map(this.engine.db.all<RawSource>('SELECT * FROM certificate_sources').map((r) => [r.thumbprint, toSource(r)]));
  }

  /** The certificates that came from `source` (`acme:ACCOUNT`). */
  fromSource(source: string): string[] {
    return this.engine.db.all<{ thumbprint: string }>('SELECT thumbprint FROM certificate_sources WHERE source = ? ORDER BY thumbprint', source).map((r) => r.thumbprint);
  }

  deleteSources(source: string): void {
    this.engine.db.run('DELETE FROM certificate_sources WHERE source = ?', source);
  }

  recordOrder(account: string, names: string, at: string, outcome: string): void {
    this.engine.db.run('INSERT INTO acme_orders (account, names, at, outcome) VALUES (?, ?, ?, ?)', account, names, at, outcome);
  }

  /** Orders for the same set of names placed at or after `since` (ISO). */
  ordersSince(names: string, since: string): number {
    return this.engine.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM acme_orders WHERE names = ? AND at >= ?', names, since)!.n;
  }
}

function toAccount(r: RawAccount): AcmeAccountRow {
  return { name: r.name, directory: r.directory, email: r.email, accountUrl: r.account_url, keyId: r.key_id, directoryCa: r.directory_ca, eabKid: r.eab_kid, dnsProvider: r.dns_provider, status: r.status, created: r.created };
}

function toSource(r: RawSource): CertificateSourceRow {
  return {
    thumbprint: r.thumbprint, source: r.source, challenge: r.challenge, ariId: r.ari_id, windowStart: r.window_start, windowEnd: r.window_end,
    ariChecked: r.ari_checked, ariRetryAfter: r.ari_retry_after, ariError: r.ari_error, renewAt: r.renew_at, renewWhy: r.renew_why,
  };
}

function toChallenge(r: RawChallenge): AcmeChallengeRow {
  return { id: r.id, type: r.type, name: r.name, token: r.token, keyAuthorization: r.key_authorization, expires: r.expires, certDer: r.cert_der ? buffer(r.cert_der) : null, keyId: r.key_id };
}
