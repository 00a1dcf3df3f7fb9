import type { Binding } from '../model/binding.js';
import type { Site } from '../model/site.js';
import type { MailListener, ServiceName } from '../model/service.js';
import type { StoreName } from '../model/store-name.js';

/** What a certificate brings to the binding rules and to selection: no key material. */
export interface CertificateSummary {
  thumbprint: string;
  friendlyName: string;
  sans: string[];
  notAfter: string;
  hasPrivateKey: boolean;
  store: StoreName;
}

/** An ACME challenge being validated: what `serve` answers for it (the TLS-ALPN-01 certificate is loaded by id). */
export interface AcmeChallenge {
  id: number;
  type: 'http-01' | 'tls-alpn-01';
  /** The DNS name the CA validates. */
  name: string;
  token: string;
  keyAuthorization: string;
}

/**
 * One consistent view of everything the serving plane needs, read from the store in one
 * transaction at one revision. The data plane builds its indexes from it and swaps them in whole.
 */
export interface ServingConfig {
  revision: number;
  sites: Site[];
  bindings: Binding[];
  /** The `https` service assignment: the server's default web certificate, or null. */
  httpsDefault: string | null;
  /** Every service assignment (smtp, imap, pop, https → thumbprint). */
  services: Partial<Record<ServiceName, string>>;
  /** The SMTP, IMAP and POP listeners. */
  mailListeners: MailListener[];
  /** Moves when a stored chain was replaced (`cert chain`): TLS contexts built before it are stale. */
  chains: number;
  /** Certificates of the Personal store that bindings use: their TLS contexts are built at start, not on first use. */
  preload: string[];
  /** The ACME challenges pending now (usually none). */
  acmeChallenges: AcmeChallenge[];
}
