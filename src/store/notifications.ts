import { buffer } from './database.js';
import type { StoreEngine } from './engine.js';

/** A notification target as stored: settings as JSON, the secret (webhook HMAC key, SMTP password) sealed. */
export interface NotifyTargetRow {
  name: string;
  kind: string;
  settings: string;
  created: string;
  lastSent: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  hasSecret: boolean;
}

const COLUMNS = 'name, kind, settings, created, last_sent AS "lastSent", last_error AS "lastError", last_error_at AS "lastErrorAt", secret IS NOT NULL AS "hasSecret"';

/**
 * Tables `notify_targets` (where notifications go; a secret sealed by the KeyVault like a private
 * key) and `notify_expiry_sent` (when each certificate's expiry notice last went out, so it goes at
 * most once a day). Delivery results and expiry notices are bookkeeping, not changes: no audit
 * record, no revision. Adding and removing a target go through `record` (audited, nothing served changes).
 */
export class NotificationRepository {
  constructor(private readonly engine: StoreEngine) {}

  list(): NotifyTargetRow[] {
    return this.engine.db.all<NotifyTargetRow & { hasSecret: number }>(`SELECT ${COLUMNS} FROM notify_targets ORDER BY name`).map(row);
  }

  get(name: string): NotifyTargetRow | undefined {
    const r = this.engine.db.get<NotifyTargetRow & { hasSecret: number }>(`SELECT ${COLUMNS} FROM notify_targets WHERE name = ?`, name);
    return r && row(r);
  }

  /** The secret, opened; undefined when the target has none. */
  secret(name: string): string | undefined {
    const r = this.engine.db.get<{ secret: Uint8Array | null }>('SELECT secret FROM notify_targets WHERE name = ?', name);
    return r?.secret ? this.engine.vault.open(buffer(r.secret)).toString('utf8') : undefined;
  }

  /** Inserts a target, its secret sealed; call inside `record`. */
  insert(t: { name: string; kind: string; settings: unknown; secret: string | undefined }): void {
    const sealed = t.secret === undefined ? null : this.engine.vault.seal(Buffer.from(t.secret, 'utf8'));
    this.engine.db.run('INSERT INTO notify_targets (name, kind, settings, created, secret) VALUES (?, ?, ?, ?, ?)',
      t.name, t.kind, JSON.stringify(t.settings), this.engine.clock().toISOString(), sealed);
  }

  /** Deletes a target; call inside `record`. */
  delete(name: string): void {
    this.engine.db.run('DELETE FROM notify_targets WHERE name = ?', name);
  }

  /** What the last delivery to a target did: a success clears the last error. */
  result(name: string, at: string, error: string | undefined): void {
    if (error === undefined) this.engine.db.run('UPDATE notify_targets SET last_sent = ?, last_error = NULL, last_error_at = NULL WHERE name = ?', at, name);
    else this.engine.db.run('UPDATE notify_targets SET last_error = ?, last_error_at = ? WHERE name = ?', error.slice(0, 1000), at, name);
  }

  expirySent(thumbprint: string): string | undefined {
    return this.engine.db.get<{ sent: string }>('SELECT sent FROM notify_expiry_sent WHERE thumbprint = ?', thumbprint)?.sent;
  }

  markExpirySent(thumbprint: string, at: string): void {
    this.engine.db.run('INSERT INTO notify_expiry_sent (thumbprint, sent) VALUES (?, ?) ON CONFLICT (thumbprint) DO UPDATE SET sent = excluded.sent', thumbprint, at);
  }
}

function row(r: NotifyTargetRow & { hasSecret: number | boolean }): NotifyTargetRow {
  return { ...r, hasSecret: Boolean(r.hasSecret) };
}
