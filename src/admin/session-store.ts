import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

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
  /** At most this many live sessions; the least recently used are dropped beyond it. */
  capacity: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { idleMs: 30 * 60_000, absoluteMs: 12 * 3600_000, capacity: 10_000 };

/**
 * Console sessions, kept in the admin process's memory: a restart of `gatehouse serve` logs
 * everyone out, which is the safe side. Session ids are 256 random bits and are kept only as
 * SHA-256 hashes, so a memory dump does not yield usable cookies. Not shared between processes.
 */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();

  constructor(
    private readonly clock: () => number,
    readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS,
  ) {}

  /** Starts a session: answers the cookie value and the CSRF token the console sends back on every change. */
  create(user: string, userUpdated: string): { id: string; session: Session } {
    const id = randomBytes(32).toString('base64url');
    const now = this.clock();
    const session: Session = { user, userUpdated, csrfToken: randomBytes(32).toString('base64url'), created: now, lastSeen: now };
    if (this.#sessions.size >= this.limits.capacity) this.#sessions.delete(this.#sessions.keys().next().value!);
    this.#sessions.set(digest(id), session);
    return { id, session };
  }

  /** The live session for a cookie value (and marks it used), or undefined when unknown or expired. */
  touch(id: string): Session | undefined {
    const key = digest(id);
    const s = this.#sessions.get(key);
    if (!s) return undefined;
    const now = this.clock();
    if (now - s.lastSeen > this.limits.idleMs || now - s.created > this.limits.absoluteMs) {
      this.#sessions.delete(key);
      return undefined;
    }
    s.lastSeen = now;
    // Re-inserting keeps the map in least-recently-used order for the capacity cut.
    this.#sessions.delete(key);
    this.#sessions.set(key, s);
    return s;
  }

  end(id: string): void {
    this.#sessions.delete(digest(id));
  }

  /** Ends every session of a user (removed, or their password changed). */
  endAllOf(user: string): void {
    for (const [k, s] of this.#sessions) if (s.user === user) this.#sessions.delete(k);
  }
}

/** Compares a CSRF token in constant time. */
export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function digest(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}
