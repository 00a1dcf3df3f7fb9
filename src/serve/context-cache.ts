import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import type { KeyObject } from 'node:crypto';
import { INTERMEDIATE_PROFILE } from '../model/tls-profile.js';

/** What a TLS context is built from: the key, the certificate and its chain (leaf first, DER). */
export interface KeyMaterial {
  key: KeyObject;
  certificates: Buffer[];
}

import { toPem as pem } from '../pki/pem.js';
import type { TicketKeyFollower, TicketKeyHolder } from '../lifecycle/ticket-keys.js';

/**
 * TLS contexts by thumbprint, built on first use and kept in least-recently-used order up to
 * `capacity`, so memory grows with the certificates actually in use, not with all of the store
 * (a context costs about 31 KiB). A thumbprint names an immutable certificate, but its chain can be
 * replaced (`cert chain`): the serving plane then clears the cache (`clear`). Certificates removed
 * from the store simply age out. Not shared between processes — but every context gets the session
 * ticket keys of the current window (the same in every worker, see ticket-keys.ts), so a ticket
 * issued by one worker, or by a context built before a `clear`, is still resumed.
 */
export class ContextCache {
  readonly #contexts = new Map<string, SecureContext>();
  #none: SecureContext | undefined;

  constructor(
    private readonly load: (thumbprint: string) => KeyMaterial | undefined,
    private readonly capacity = 1000,
    /** The shared ticket keys; without them each context makes its own (random, this process only). */
    private readonly tickets?: TicketKeyFollower,
  ) {}

  get size(): number {
    return this.#contexts.size;
  }

  /** The options a context for this certificate is made from (the profile, the key, the chain); not cached. */
  options(thumbprint: string): SecureContextOptions | undefined {
    const material = this.load(thumbprint);
    if (!material) return undefined;
    return { ...this.bare(), key: material.key.export({ type: 'pkcs8', format: 'pem' }) as string, cert: material.certificates.map((d) => pem(d)).join('') };
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

  /** Forgets every context: they are built again on next use. */
  clear(): void {
    this.#contexts.clear();
  }

  /** The context for a certificate, or undefined when it is not in the store (any more). */
  get(thumbprint: string): SecureContext | undefined {
    const hit = this.#contexts.get(thumbprint);
    if (hit) {
      this.#contexts.delete(thumbprint);
      this.#contexts.set(thumbprint, hit);
      return this.#fresh(hit);
    }
    const options = this.options(thumbprint);
    if (!options) return undefined;
    const context = this.#fresh(createSecureContext(options));
    this.#contexts.set(thumbprint, context);
    while (this.#contexts.size > this.capacity) this.#contexts.delete(this.#contexts.keys().next().value!);
    return context;
  }
}
