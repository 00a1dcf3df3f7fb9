import { createHash, randomBytes } from 'node:crypto';
import type { GatehouseStore } from '../store/gatehouse-store.js';

export interface Session {
  user: string;
  /** The user's `updated` time at log-in: a later change of role or password ends the session. */
  userUpdated: string;
  csrfToken: string;
  created: number;
  lastSeen: number;
}

export interface SessionLimits {
  /** A session unused this long ends (IIS Manager's idle timeout; OWASP suggests 15–30 minutes for admin UIs). */
  idleMs: number;
  /** A session ends this long after log-in however busy it is. */
  absoluteMs: number;
  /** At most this many live sessions in the store; the least recently used are dropped beyond it. */
  capacity: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { idleMs: 30 * 60_000, absoluteMs: 12 * 3600_000, capacity: 10_000 };

/**
 * A session's "last used" is written to the store at most this often: a busy API client costs a
 * read per request, not a write (the idle timeout is therefore at most this much early).
 */
export const TOUCH_WRITE_MS = 15_000;

/**
 * Console sessions, kept in the store (table `console_sessions`): a restart of `serve`, or a load
 * balancer sending the next request to another node of the farm, logs nobody out, and logging out
 * (or a change of the user) on one node ends the session on every node at once. Session ids are 256
 * random bits and are stored only as SHA-256 hashes, so a copy of the store yields no usable
 * cookie. Every check reads the store (one look-up by primary key; no cache, so an ended session
 * is ended everywhere at once).
 */
export class ConsoleSessions {
  constructor(
    private readonly store: GatehouseStore,
    private readonly clock: () => number,
    readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS,
  ) {}

  /** Starts a session: answers the cookie value and the CSRF token the console sends back on every change. */
  create(user: string, userUpdated: string): { id: string; session: Session } {
    const id = randomBytes(32).toString('base64url');
    const now = this.clock();
    const session: Session = { user, userUpdated, csrfToken: randomBytes(32).toString('base64url'), created: now, lastSeen: now };
    this.store.sessions.insert({ idHash: digest(id), ...session }, { lastSeen: now - this.limits.idleMs, created: now - this.limits.absoluteMs }, this.limits.capacity);
    return { id, session };
  }

  /** The live session for a cookie value (and marks it used), or undefined when unknown or expired. */
  touch(id: string): Session | undefined {
    const key = digest(id);
    const row = this.store.sessions.get(key);
    if (!row) return undefined;
    const now = this.clock();
    if (now - row.lastSeen > this.limits.idleMs || now - row.created > this.limits.absoluteMs) {
      this.store.sessions.remove(key);
      return undefined;
    }
    if (now - row.lastSeen >= TOUCH_WRITE_MS) this.store.sessions.touch(key, now);
    return { user: row.user, userUpdated: row.userUpdated, csrfToken: row.csrfToken, created: row.created, lastSeen: now };
  }

  end(id: string): void {
    this.store.sessions.remove(digest(id));
  }

  /** Ends every session of a user (removed, or their password changed). */
  endAllOf(user: string): void {
    this.store.sessions.removeAllOf(user);
  }
}

export interface ThrottleLimits {
  /** Failures counted over this window. */
  windowMs: number;
  /** Failed log-ins from one address within the window before that address must wait. */
  perAddress: number;
  /** Failed log-ins for one user name within the window before that name must wait (from anywhere). */
  perUser: number;
}

export const DEFAULT_THROTTLE_LIMITS: ThrottleLimits = { windowMs: 15 * 60_000, perAddress: 10, perUser: 5 };

/**
 * Slows password guessing: counts failed log-ins per client address and per user name over a
 * sliding window and refuses further attempts until the oldest failure leaves it. The failures are
 * in the store (table `login_failures`), so every node of a farm counts the same ones: switching
 * nodes (or restarting one) resets nothing. `begin` checks and records an attempt as failed in one
 * transaction, before the (slow) password check; `succeeded` forgives it, so concurrent guesses —
 * on any node — cannot all pass the check while the first ones are still being verified.
 */
export class LoginThrottle {
  constructor(
    private readonly store: GatehouseStore,
    private readonly clock: () => number,
    readonly limits: ThrottleLimits = DEFAULT_THROTTLE_LIMITS,
  ) {}

  /** Milliseconds the caller must wait before trying again, or 0 when an attempt is allowed. */
  retryAfter(address: string, user: string): number {
    const now = this.clock();
    const since = now - this.limits.windowMs;
    let until: number | undefined;
    for (const { key, limit } of this.#keys(address, user)) {
      const recent = this.store.sessions.failures(key, since, limit);
      if (recent.length >= limit) until = Math.max(until ?? 0, recent[limit - 1]!);
    }
    return until === undefined ? 0 : until + this.limits.windowMs - now;
  }

  /**
   * An attempt: 0 when it may go on — it is then counted as failed until `succeeded` — or the
   * milliseconds to wait (nothing recorded). The check and the record are one transaction.
   */
  begin(address: string, user: string): number {
    const now = this.clock();
    const until = this.store.sessions.attempt(this.#keys(address, user), now - this.limits.windowMs, now);
    return until === undefined ? 0 : until + this.limits.windowMs - now;
  }

  failed(address: string, user: string): void {
    const now = this.clock();
    this.store.sessions.recordFailure(this.#keys(address, user).map((k) => k.key), now - this.limits.windowMs, now);
  }

  /** A right password: the user's count is cleared, and the attempt no longer counts against the address. */
  succeeded(user: string, address?: string): void {
    this.store.sessions.clearFailures(userKey(user));
    if (address !== undefined) this.store.sessions.forgiveNewest(`a:${address}`);
  }

  #keys(address: string, user: string): { key: string; limit: number }[] {
    return [{ key: `a:${address}`, limit: this.limits.perAddress }, { key: userKey(user), limit: this.limits.perUser }];
  }
}

function userKey(user: string): string {
  return `u:${user.toLowerCase()}`;
}

function digest(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}
