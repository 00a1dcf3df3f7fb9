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
 * sliding window and refuses further attempts until the oldest failure leaves it. Callers record an
 * attempt as failed before the (slow) password check and forgive it on success, so concurrent
 * guesses cannot all pass the check while the first ones are still being verified. Memory is bounded (oldest keys dropped beyond 10,000).
 */
export class LoginThrottle {
  readonly #failures = new Map<string, number[]>();

  constructor(
    private readonly clock: () => number,
    readonly limits: ThrottleLimits = DEFAULT_THROTTLE_LIMITS,
  ) {}

  /** Milliseconds the caller must wait before trying again, or 0 when an attempt is allowed. */
  retryAfter(address: string, user: string): number {
    return Math.max(this.#wait(`a:${address}`, this.limits.perAddress), this.#wait(`u:${user.toLowerCase()}`, this.limits.perUser));
  }

  failed(address: string, user: string): void {
    this.#record(`a:${address}`);
    this.#record(`u:${user.toLowerCase()}`);
  }

  /** A right password: the user's count is cleared, and the attempt no longer counts against the address. */
  succeeded(user: string, address?: string): void {
    this.#failures.delete(`u:${user.toLowerCase()}`);
    if (address !== undefined) this.#failures.get(`a:${address}`)?.pop();
  }

  #recent(key: string): number[] {
    const since = this.clock() - this.limits.windowMs;
    const list = (this.#failures.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, list);
    return list;
  }

  #wait(key: string, limit: number): number {
    const list = this.#recent(key);
    if (list.length < limit) return 0;
    return list[list.length - limit]! + this.limits.windowMs - this.clock();
  }

  #record(key: string): void {
    const list = this.#recent(key);
    list.push(this.clock());
    this.#failures.delete(key);
    this.#failures.set(key, list.slice(-100));
    if (this.#failures.size > 10_000) this.#failures.delete(this.#failures.keys().next().value!);
  }
}
