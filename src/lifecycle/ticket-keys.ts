/** How long one set of TLS session ticket keys is used: a new set every 12 hours (see docs/security.md). */
export const TICKET_KEY_PERIOD_MS = 12 * 60 * 60 * 1000;

/**
 * The TLS session ticket keys of the current time window, the same in every worker: they are derived
 * from the run's seed and the window's number (ServingReadModel.ticketKeys), so they change at the
 * same instant everywhere. Derived once per window.
 */
export class TicketKeys {
  #window = NaN;
  #keys: Buffer = Buffer.alloc(0);

  constructor(
    private readonly derive: (window: number) => Buffer,
    private readonly now: () => number = Date.now,
    private readonly periodMs = TICKET_KEY_PERIOD_MS,
  ) {}

  /** The keys in force now (derived once per window). */
  current(): Buffer {
    const window = Math.floor(this.now() / this.periodMs);
    if (window !== this.#window) {
      this.#keys = this.derive(window);
      this.#window = window;
    }
    return this.#keys;
  }
}

/** What holds ticket keys: a SecureContext's native context, a tls.Server. */
export interface TicketKeyHolder {
  getTicketKeys(): Buffer;
  setTicketKeys(keys: Buffer): void;
}

/**
 * Keeps holders on the current keys: `freshen` is called on use (each connection) and sets the keys
 * only when the holder's differ — a new window, or a context built or replaced with other keys.
 */
export class TicketKeyFollower {
  /** The keys each holder was last put on: within a window `current()` is the same Buffer, so one look-up, no native call, per connection. */
  readonly #given = new WeakMap<TicketKeyHolder, Buffer>();

  constructor(readonly keys: TicketKeys) {}

  freshen(holder: TicketKeyHolder): void {
    const keys = this.keys.current();
    if (this.#given.get(holder) === keys) return;
    if (!holder.getTicketKeys().equals(keys)) holder.setTicketKeys(keys);
    this.#given.set(holder, keys);
  }
}
