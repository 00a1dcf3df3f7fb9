import { createHash } from 'node:crypto';
import type { Gatehouse } from '../lifecycle/gatehouse.js';
import type { StapleTarget } from '../lifecycle/ocsp-staples.js';
import type { ServingPlane } from '../lifecycle/serving-plane.js';

export interface OcspRefresherOptions {
  /** How often the staples are looked at (`serve --ocsp-check`); a fetch happens only for those due. */
  checkMs?: number;
  /** A response without nextUpdate is fetched again after this long. */
  refreshWithoutNextUpdateMs?: number;
  /** After a failed fetch the next try waits this long, doubling with each failure up to an hour. */
  retryMs?: number;
  /** A responder that has not answered in this long has failed. */
  fetchTimeoutMs?: number;
  /** Called when a responder says a served certificate is revoked. */
  onRevoked?: (target: StapleTarget) => void;
}

/** The largest OCSP response read (real ones are 1–4 KiB). */
const MAX_RESPONSE_BYTES = 64 * 1024;
const HOUR = 3_600_000;

/**
 * Fetches OCSP responses for the served certificates that name a responder, in the background, in
 * the one process that supervises the serving plane: at start, then again half-way between a
 * response's thisUpdate and nextUpdate (so a staple is renewed well before it ends), keeping it in
 * the store (so it survives a restart and every worker staples it). A responder that is down or
 * answers something that cannot be stapled leaves the previous staple in place until its
 * nextUpdate; tries back off from `retryMs` up to an hour. Certificates without an OCSP URL cause no
 * traffic at all.
 */
export class OcspRefresher {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  readonly #options: Required<Omit<OcspRefresherOptions, 'onRevoked'>> & Pick<OcspRefresherOptions, 'onRevoked'>;

  constructor(private readonly g: Gatehouse, private readonly log: (line: string) => void, options: OcspRefresherOptions = {}) {
    this.#options = {
      checkMs: options.checkMs ?? 60_000,
      refreshWithoutNextUpdateMs: options.refreshWithoutNextUpdateMs ?? HOUR,
      retryMs: options.retryMs ?? 60_000,
      fetchTimeoutMs: options.fetchTimeoutMs ?? 10_000,
      onRevoked: options.onRevoked,
    };
  }

  start(): void {
    const tick = () => {
      if (this.#running) return;
      this.#running = this.check().catch((e: Error) => this.log(`OCSP stapling: ${e.message}`)).finally(() => (this.#running = undefined));
    };
    tick();
    this.#timer = setInterval(tick, this.#options.checkMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** Fetches every staple that is due (in turn: a few certificates, a few requests a day each). */
  async check(): Promise<void> {
    const now = this.g.clock().getTime();
    for (const target of await this.g.ocsp.targets()) {
      if (now < this.#dueAt(target)) continue;
      await this.#fetch(target);
    }
  }

  #dueAt(target: StapleTarget): number {
    const kept = target.kept;
    if (!kept) return 0;
    const retry = kept.failures > 0 ? Date.parse(kept.attempted) + Math.min(HOUR, this.#options.retryMs * 2 ** (kept.failures - 1)) : 0;
    if (!kept.thisUpdate || !kept.fetched) return retry;
    const refresh = kept.nextUpdate
      ? Date.parse(kept.thisUpdate) + (Date.parse(kept.nextUpdate) - Date.parse(kept.thisUpdate)) / 2
      : Date.parse(kept.fetched) + this.#options.refreshWithoutNextUpdateMs;
    return Math.max(refresh, retry);
  }

  async #fetch(target: StapleTarget): Promise<void> {
    const name = `"${target.friendlyName}" (${target.thumbprint.slice(0, 8)})`;
    let body: Buffer;
    try {
      const res = await fetch(target.url, {
        method: 'POST', body: new Uint8Array(target.request), redirect: 'error',
        headers: { 'content-type': 'application/ocsp-request', accept: 'application/ocsp-response' },
        signal: AbortSignal.timeout(this.#options.fetchTimeoutMs),
      });
      if (!res.ok) throw new Error(`it answered HTTP ${res.status}`);
      const length = Number(res.headers.get('content-length') ?? 0);
      if (length > MAX_RESPONSE_BYTES) throw new Error(`its answer is ${length} bytes, more than an OCSP response ever is`);
      body = Buffer.from(await res.arrayBuffer());
      if (body.length > MAX_RESPONSE_BYTES) throw new Error(`its answer is ${body.length} bytes, more than an OCSP response ever is`);
    } catch (e) {
      const reason = (e as Error).name === 'TimeoutError' ? `no answer within ${this.#options.fetchTimeoutMs / 1000} s` : (e as Error).message;
      this.g.ocsp.failed(target, `${target.url}: ${reason}`);
      if ((target.kept?.failures ?? 0) === 0) {
        this.log(`OCSP stapling: the responder ${target.url} for ${name} failed (${reason}); ${target.kept?.response ? 'the previous staple is kept' : 'no staple until it answers'}, trying again with growing waits`);
      }
      return;
    }
    let status: string;
    try {
      status = this.g.ocsp.keep(target, body).status;
    } catch (e) {
      if ((target.kept?.failures ?? 0) === 0) this.log(`OCSP stapling: ${name}: ${(e as Error).message}`);
      return;
    }
    if (target.kept?.status !== status || target.kept.failures > 0) this.log(`OCSP stapling: ${name} is "${status}" according to ${target.url}; stapled`);
    if (status === 'revoked' && target.kept?.status !== 'revoked') {
      this.log(`OCSP stapling: the CA has REVOKED ${name}; clients that check will refuse it — replace it now`);
      this.#options.onRevoked?.(target);
    }
  }
}

/**
 * The serving processes' side: the staple for a certificate a handshake is about to send, read
 * from the store at most every few seconds per certificate (the refresher writes it there).
 */
export class StapleCache {
  readonly #entries = new Map<string, { response: Buffer | undefined; until: number; readAt: number }>();

  constructor(private readonly g: Pick<ServingPlane, 'ocsp' | 'clock'>, private readonly rereadMs = 5_000) {}

  get(certificate: Buffer): Buffer | undefined {
    const thumbprint = createHash('sha1').update(certificate).digest('hex').toUpperCase();
    const now = Date.now();
    let entry = this.#entries.get(thumbprint);
    if (!entry || now - entry.readAt > this.rereadMs) {
      try {
        const staple = this.g.ocsp.staple(thumbprint);
        entry = { response: staple?.response, until: staple?.until ?? 0, readAt: now };
        if (this.#entries.size > 10_000) this.#entries.clear();
        this.#entries.set(thumbprint, entry);
      } catch {
        // The store cannot be read now (a PostgreSQL that does not answer fails fast): the staple read before, if any, until it can.
        if (!entry) return undefined;
        entry.readAt = now;
      }
    }
    return entry.response && this.g.clock().getTime() < entry.until ? entry.response : undefined;
  }
}
