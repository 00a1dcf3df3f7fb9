import { randomBytes } from 'node:crypto';
import type { StoreEngine } from './engine.js';

/** A console session as the store keeps it: never the cookie value, only its SHA-256 (`idHash`). */
export interface SessionRow {
  idHash: string;
  user: string;
  /** The user's `updated` time at log-in: a later change of role or password ends the session. */
  userUpdated: string;
  csrfToken: string;
  /** Milliseconds since the epoch. */
  created: number;
  lastSeen: number;
}

interface RawSession {
  id_hash: string;
  user_name: string;
  user_updated: string;
  csrf_token: string;
  created: number | string;
  last_seen: number | string;
}

/**
 * Tables `console_sessions` and `login_failures`: the console's sessions and the failed log-ins the
 * throttle counts, in the store so that every node of a farm (and a restarted `serve`) sees the
 * same ones. Not changes: no audit record, no revision. Times are milliseconds since the epoch.
 */
export class ConsoleSessionRepository {
  constructor(private readonly engine: StoreEngine) {}

  /** Adds a session, first dropping the expired ones and, beyond `capacity - 1`, the least recently used. */
  insert(s: SessionRow, expiredBefore: { lastSeen: number; created: number }, capacity: number): void {
    const db = this.engine.db;
    db.transaction('immediate', () => {
      db.run('DELETE FROM console_sessions WHERE last_seen < ? OR created < ?', expiredBefore.lastSeen, expiredBefore.created);
      const count = Number(db.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM console_sessions')!.n);
      if (count >= capacity) {
        db.run('DELETE FROM console_sessions WHERE id_hash IN (SELECT id_hash FROM console_sessions ORDER BY last_seen, created, id_hash LIMIT ?)', count - capacity + 1);
      }
      db.run('INSERT INTO console_sessions (id_hash, user_name, user_updated, csrf_token, created, last_seen) VALUES (?, ?, ?, ?, ?, ?)',
        s.idHash, s.user, s.userUpdated, s.csrfToken, s.created, s.lastSeen);
    });
  }

  get(idHash: string): SessionRow | undefined {
    const r = this.engine.db.get<RawSession>('SELECT * FROM console_sessions WHERE id_hash = ?', idHash);
    return r && { idHash: r.id_hash, user: r.user_name, userUpdated: r.user_updated, csrfToken: r.csrf_token, created: Number(r.created), lastSeen: Number(r.last_seen) };
  }

  /** Marks a session used at `at` (only ever forward). */
  touch(idHash: string, at: number): void {
    this.engine.db.run('UPDATE console_sessions SET last_seen = ? WHERE id_hash = ? AND last_seen < ?', at, idHash, at);
  }

  remove(idHash: string): void {
    this.engine.db.run('DELETE FROM console_sessions WHERE id_hash = ?', idHash);
  }

  removeAllOf(user: string): void {
    this.engine.db.run('DELETE FROM console_sessions WHERE user_name = ?', user);
  }

  /** The failures of `key` after `since`, newest first, at most `limit`. */
  failures(key: string, since: number, limit: number): number[] {
    return this.engine.db.all<{ at: number | string }>('SELECT at FROM login_failures WHERE key = ? AND at > ? ORDER BY at DESC LIMIT ?', key, since, limit).map((r) => Number(r.at));
  }

  /**
   * In one transaction: when no key has `limit` failures after `since`, records one failure more at
   * `now` for each key (dropping failures older than `since` on the way) and answers undefined;
   * otherwise records nothing and answers, per key at its limit, the time of the failure that must
   * leave the window before another try — the latest of them.
   */
  attempt(keys: { key: string; limit: number }[], since: number, now: number): number | undefined {
    const db = this.engine.db;
    return db.transaction('immediate', () => {
      let until: number | undefined;
      for (const { key, limit } of keys) {
        const recent = this.failures(key, since, limit);
        if (recent.length >= limit) until = Math.max(until ?? 0, recent[limit - 1]!);
      }
      if (until !== undefined) return until;
      this.recordFailure(keys.map((k) => k.key), since, now);
      return undefined;
    });
  }

  /** Records a failure at `now` for each key, dropping failures older than `since`. */
  recordFailure(keys: string[], since: number, now: number): void {
    const db = this.engine.db;
    db.transaction('immediate', () => {
      db.run('DELETE FROM login_failures WHERE at <= ?', since);
      for (const k of keys) db.run('INSERT INTO login_failures (id, key, at) VALUES (?, ?, ?)', randomBytes(12).toString('base64url'), k, now);
    });
  }

  /** Forgets every failure of `key`. */
  clearFailures(key: string): void {
    this.engine.db.run('DELETE FROM login_failures WHERE key = ?', key);
  }

  /** Forgets the newest failure of `key` (an attempt that proved right no longer counts). */
  forgiveNewest(key: string): void {
    this.engine.db.run('DELETE FROM login_failures WHERE id IN (SELECT id FROM login_failures WHERE key = ? ORDER BY at DESC, id DESC LIMIT 1)', key);
  }
}
