import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import type { KeyObject } from 'node:crypto';
import { INTERMEDIATE_PROFILE } from '../model/tls-profile.js';

/** A key and a certificate chain (leaf first, DER), parsed: what a TLS-ALPN-01 challenge's context is built from. */
export interface KeyMaterial {
  key: KeyObject;
  certificates: Buffer[];
}

/**
 * What a serving context is built from: the key as stored (PKCS#8 DER, unparsed) and the chain
 * (leaf first, DER). Node 24's `createSecureContext` takes neither a KeyObject nor a DER key, only
 * PEM: the PEM is armour written around these bytes (base64), not a parse and an export.
 */
export interface ContextMaterial {
  pkcs8: Buffer;
  certificates: Buffer[];
}

import { toPem as pem } from '../pki/pem.js';
import type { TicketKeyFollower, TicketKeyHolder } from '../lifecycle/ticket-keys.js';

/**
 * TLS contexts by thumbprint, kept in least-recently-used order up to `capacity` (a context costs
 * about 31 KiB). The serving plane warms the contexts of every bound certificate after start and
 * after each change (`warm`: one build per turn of the event loop, while there is room, so a bound
 * certificate's first handshake finds its context ready); a certificate asked for before it is
 * warm, or beyond the capacity, is built on first use. A thumbprint names an immutable certificate,
 * but its chain can be replaced (`cert chain`): the serving plane then clears the cache (`clear`)
 * and warms it again. Certificates removed from the store simply age out. Not shared between
 * processes — but every context gets the session ticket keys of the current window (the same in
 * every worker, see ticket-keys.ts), so a ticket issued by one worker, or by a context built before
 * a `clear`, is still resumed.
 */
export class ContextCache {
  readonly #contexts = new Map<string, SecureContext>();
  #none: SecureContext | undefined;
  /** Counts `warm` calls: a warm-up that sees another one started since stops. */
  #warmRun = 0;
  #builds = 0;

  constructor(
    private readonly load: (thumbprint: string) => ContextMaterial | undefined,
    private readonly capacity = 1000,
    /** The shared ticket keys; without them each context makes its own (random, this process only). */
    private readonly tickets?: TicketKeyFollower,
  ) {}

  get size(): number {
    return this.#contexts.size;
  }

  /** Whether the cache holds as many contexts as it may (a further build evicts the least recently used). */
  get full(): boolean {
    return this.#contexts.size >= this.capacity;
  }

  /** How many contexts it keeps at most. */
  get limit(): number {
    return this.capacity;
  }

  /** How many contexts were built since start (on first use and by warming). */
  get builds(): number {
    return this.#builds;
  }

  /** Whether a context for this certificate is built (without touching its recency). */
  has(thumbprint: string): boolean {
    return this.#contexts.has(thumbprint);
  }

  /** The options a context for this certificate is made from (the profile, the key, the chain); not cached. */
  options(thumbprint: string): SecureContextOptions | undefined {
    const material = this.load(thumbprint);
    if (!material) return undefined;
    const key = pem(material.pkcs8, 'PRIVATE KEY');
    material.pkcs8.fill(0);
    return { ...this.bare(), key, cert: material.certificates.map((d) => pem(d)).join('') };
  }

  /** The profile with no certificate, and the current ticket keys. */
  bare(): SecureContextOptions {
    return this.tickets ? { ...INTERMEDIATE_PROFILE, ticketKeys: this.tickets.keys.current() } : { ...INTERMEDIATE_PROFILE };
  }

  /** A context with no certificate (handshakes on it fail), built once; on the current ticket keys. */
  none(): SecureContext {
    this.#none ??= createSecureContext(this.bare());
    return this.#fresh(this.#none);
  }

  /** Puts a TLS server's own (default) context on the current ticket keys when the window has changed. */
  freshen(server: TicketKeyHolder): void {
    this.tickets?.freshen(server);
  }

  #fresh(context: SecureContext): SecureContext {
    this.tickets?.freshen(context.context as TicketKeyHolder);
    return context;
  }

  /** Forgets every context: they are built again on next use (or by the next `warm`). */
  clear(): void {
    for (const context of this.#contexts.values()) release(context);
    this.#contexts.clear();
  }

  /**
   * Builds, in the background, the contexts of `thumbprints` that are not built yet: one per turn of
   * the event loop (a build takes a fraction of a millisecond of CPU; handshakes and requests run in
   * between), in the order given, and only while the cache has room — warming never evicts a context
   * in use. A later `warm` (the next change) or `stopWarming` ends this one. Resolves with how many
   * it built. A certificate that cannot be built is skipped: its handshake reports it, as before.
   */
  warm(thumbprints: Iterable<string>): Promise<number> {
    const run = ++this.#warmRun;
    const queue = [...new Set(thumbprints)];
    let next = 0;
    let built = 0;
    return new Promise((resolve) => {
      const step = (): void => {
        if (run !== this.#warmRun) return resolve(built);
        while (next < queue.length) {
          const thumbprint = queue[next++]!;
          if (this.#contexts.has(thumbprint)) continue;
          if (this.#contexts.size >= this.capacity) break;
          try {
            if (this.#build(thumbprint)) built++;
          } catch {
            // Skipped: the handshake that asks for it gets the same error, as without warming.
          }
          setImmediate(step);
          return;
        }
        resolve(built);
      };
      setImmediate(step);
    });
  }

  /** Ends a warm-up in progress (the server is closing). */
  stopWarming(): void {
    this.#warmRun++;
  }

  /** The context for a certificate, or undefined when it is not in the store (any more). */
  get(thumbprint: string): SecureContext | undefined {
    const hit = this.#contexts.get(thumbprint);
    if (hit) {
      this.#contexts.delete(thumbprint);
      this.#contexts.set(thumbprint, hit);
      return this.#fresh(hit);
    }
    const context = this.#build(thumbprint);
    return context && this.#fresh(context);
  }

  #build(thumbprint: string): SecureContext | undefined {
    const options = this.options(thumbprint);
    if (!options) return undefined;
    const context = createSecureContext(options);
    this.#builds++;
    this.#contexts.set(thumbprint, context);
    while (this.#contexts.size > this.capacity) {
      const [oldest, evicted] = this.#contexts.entries().next().value!;
      this.#contexts.delete(oldest);
      release(evicted);
    }
    return context;
  }
}

/**
 * Frees a context's OpenSSL memory (its SSL_CTX, key and certificates) now instead of whenever V8
 * collects the wrapper. V8 is told a context costs 1 KiB (Node's estimate) while it holds tens of
 * KiB outside the JS heap, so with a small heap evicted contexts piled up between collections and
 * the process's memory followed the certificates asked for, not the cache (issue #13: 469 → 580 MiB
 * RSS after 10,000 distinct names with a cache of 1,000, all of it garbage a full GC would free).
 * Safe for connections that use it: each SSL holds its own references to the SSL_CTX, key and
 * certificates (OpenSSL counts them); a context is handed to a handshake synchronously (SNI
 * callback, STARTTLS), so none is handed out after it left the cache.
 */
function release(context: SecureContext): void {
  (context.context as { close?: () => void } | undefined)?.close?.();
}
