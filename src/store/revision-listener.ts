import postgres from 'postgres';
import type { StoreUrl } from './postgres.js';

/** What a revision listener tells its owner. */
export interface RevisionEvents {
  /** A NOTIFY with a revision number: a change committed. */
  revision(revision: number): void;
  /** LISTEN is in place (first time, or again after the connection was lost): read the revision to catch up on what was missed. */
  listening(again: boolean): void;
  /** The listening connection was lost (PostgreSQL stopped, the backend terminated, the network); reconnecting. Said once per loss. */
  lost(reason: string): void;
  /** A NOTIFY on the channel whose payload is not a revision: ignored. Said for the first one only. */
  ignored(payload: string): void;
}

/** The first wait before reconnecting, and the longest (doubling in between). */
const RECONNECT_FIRST_MS = 250;
const RECONNECT_MAX_MS = 2_000;

/**
 * Push on PostgreSQL: one separate, asynchronous postgres.js connection per serving process that
 * LISTENs on the store's channel (every change NOTIFYs its revision there when it commits, see
 * StoreEngine). Its own reconnect loop — rather than `sql.listen`'s, which gives up when the first
 * attempt after a loss fails (PostgreSQL still down) — tries again with a growing wait (at most 2 s)
 * until LISTEN is back, then says `listening(true)` so the owner reads the revision: notifications
 * sent while the connection was down are lost, the revision is not. The connection names itself
 * `gatehouse-listen pid N` (pg_stat_activity's application_name).
 */
export class RevisionListener {
  #sql: postgres.Sql;
  /** Which client is the current one: a dropped client's late callbacks are ignored. */
  #generation = 0;
  #closed = false;
  #listening = false;
  #ever = false;
  #lostSaid = false;
  #ignoredSaid = false;
  #timer: NodeJS.Timeout | undefined;
  #wait = RECONNECT_FIRST_MS;
  #connecting = false;

  constructor(private readonly target: StoreUrl, readonly channel: string, private readonly events: RevisionEvents) {
    this.#sql = this.#client();
    void this.#connect();
  }

  #client(): postgres.Sql {
    const mine = ++this.#generation;
    const target = this.target;
    // onnotify is postgres.js's own hook for NotificationResponse (what its `listen` builds on), not in its typings.
    return postgres(target.url, {
      max: 1,
      idle_timeout: 0,
      max_lifetime: null,
      connect_timeout: 10,
      // This class paces its reconnects (at most 2 s apart); postgres.js's own backoff would add up to 20 s.
      backoff: () => 0,
      fetch_types: false,
      onnotice: () => {},
      connection: { application_name: `gatehouse-listen pid ${process.pid}`, ...(target.schema ? { search_path: `"${target.schema}"` } : {}) },
      onnotify: (ch: string, payload: string) => {
        if (mine === this.#generation) this.#notified(ch, payload);
      },
      onclose: () => {
        if (mine === this.#generation) this.#onClose('the connection closed');
      },
    } as postgres.Options<{}>);
  }

  /**
   * Drops the listening connection and makes it again (then `listening(true)`): after the store did
   * not answer for a while, the old connection may be dead without knowing it (packets dropped: no
   * reset ever comes, and TCP keepalive takes minutes), so notifications would stop arriving.
   */
  renew(): void {
    if (this.#closed) return;
    const old = this.#sql;
    this.#sql = this.#client();
    this.#listening = false;
    void old.end({ timeout: 0 }).catch(() => {});
    clearTimeout(this.#timer);
    this.#timer = undefined;
    void this.#connect();
  }

  /** Whether LISTEN is in place now. */
  get listening(): boolean {
    return this.#listening;
  }

  close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    return this.#sql.end({ timeout: 1 }).catch(() => {});
  }

  #notified(channel: string, payload: string): void {
    if (this.#closed || channel !== this.channel) return;
    if (!/^\d{1,15}$/.test(payload)) {
      if (!this.#ignoredSaid) {
        this.#ignoredSaid = true;
        this.events.ignored(payload.slice(0, 40));
      }
      return;
    }
    this.events.revision(Number(payload));
  }

  async #connect(): Promise<void> {
    if (this.#closed || this.#connecting) return;
    this.#connecting = true;
    try {
      await this.#sql.unsafe(`LISTEN "${this.channel.replace(/"/g, '""')}"`);
      if (this.#closed) return;
      this.#listening = true;
      this.#lostSaid = false;
      this.#wait = RECONNECT_FIRST_MS;
      const again = this.#ever;
      this.#ever = true;
      this.events.listening(again);
    } catch (e) {
      this.#onClose((e as Error).message);
    } finally {
      this.#connecting = false;
    }
  }

  #onClose(reason: string): void {
    if (this.#closed) return;
    this.#listening = false;
    if (!this.#lostSaid) {
      this.#lostSaid = true;
      this.events.lost(reason.replace(/(:\/\/[^:/@]*:)[^@/]*@/g, '$1***@'));
    }
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#connect();
    }, this.#wait);
    this.#timer.unref();
    this.#wait = Math.min(this.#wait * 2, RECONNECT_MAX_MS);
  }
}
