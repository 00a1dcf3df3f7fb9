import type { StoreName } from './store-name.js';

/** One certificate of the chain stored beside a leaf (intermediates and roots as the CA sent them). */
export interface ChainCertificate {
  thumbprint: string;
  subject: string;
  issuer: string;
  notAfter: string;
}

/**
 * What keeps a chain from a trusted root: the certificate of an issuer is not here (`issuer`: an
 * intermediate, or a root nobody gave us), or the chain reaches a root that is not trusted on this
 * server (`untrusted-root`: neither in the system's trust store nor in Trusted Root Certification
 * Authorities). `name` is that certificate's subject.
 */
export interface ChainMissing {
  kind: 'issuer' | 'untrusted-root';
  name: string;
}

/**
 * Status shown in `cert list`: expired wins over chain-incomplete, which wins over expiring
 * (within 30 days), so the most urgent problem is the one shown.
 */
export type CertificateStatus = 'valid' | 'expiring' | 'expired' | 'chain-incomplete';

/** A certificate in a store, as every face (CLI, API, console) shows it. Never carries key material. */
export interface Certificate {
  thumbprint: string;
  friendlyName: string;
  store: StoreName;
  subject: string;
  issuer: string;
  issuedTo: string;
  issuedBy: string;
  sans: string[];
  notBefore: string;
  notAfter: string;
  /** e.g. rsa-2048, ecdsa-p256; imported certificates may carry other sizes (rsa-8192, ecdsa-p521). */
  keyType: string;
  hasPrivateKey: boolean;
  exportable: boolean;
  serialNumber: string;
  /** True when the chain reaches a root trusted here (judged when read, so a root added or removed counts at once). */
  chainComplete: boolean;
  /** Why the chain is incomplete; null when it is complete. */
  chainMissing: ChainMissing | null;
  status: CertificateStatus;
  chain: ChainCertificate[];
  created: string;
}

/** A pending certificate request: a CSR and its private key, waiting for the CA's answer. */
export interface PendingRequest {
  id: number;
  subject: string;
  cn: string;
  sans: string[];
  keyType: string;
  exportable: boolean;
  /** The friendly name the certificate will get when the request is completed (null: the default name). */
  friendlyName: string | null;
  created: string;
  csr: string;
  /** The thumbprint of the certificate this request renews (`cert renew`): completing it is a renewal. Null for a new certificate. */
  renews: string | null;
}

export const EXPIRING_DAYS = 30;
const DAY_MS = 86_400_000;

/** Derives the status from validity and chain at a given instant (the clock is passed in). */
export function certificateStatus(notAfter: string, chainComplete: boolean, now: Date): CertificateStatus {
  const end = Date.parse(notAfter);
  if (end <= now.getTime()) return 'expired';
  if (!chainComplete) return 'chain-incomplete';
  if (end - now.getTime() <= EXPIRING_DAYS * DAY_MS) return 'expiring';
  return 'valid';
}
