import { certificateStatus, type Certificate, type ChainMissing } from '../model/certificate.js';
import type { CertificateRow } from '../store/gatehouse-store.js';

/** The face every interface shows for a stored certificate; the status is derived at `now`, trust by `trusted` (root thumbprints). */
export function certificateView(row: CertificateRow, now: Date, trusted: (thumbprint: string) => boolean): Certificate {
  const chainMissing = missingFromChain(row, trusted);
  const chainComplete = chainMissing === null;
  return {
    thumbprint: row.thumbprint,
    friendlyName: row.friendlyName,
    store: row.store,
    subject: row.subject,
    issuer: row.issuer,
    issuedTo: row.issuedTo,
    issuedBy: row.issuedBy,
    sans: row.sans,
    notBefore: row.notBefore,
    notAfter: row.notAfter,
    keyType: row.keyType,
    hasPrivateKey: row.keyId !== null,
    exportable: row.keyId !== null && row.exportable,
    serialNumber: row.serialNumber,
    chainComplete,
    chainMissing,
    status: certificateStatus(row.notAfter, chainComplete, now),
    chain: row.chain,
    created: row.created,
  };
}

/**
 * Judges a stored chain now. The stored `chainComplete` says the path reached a self-issued root
 * (kept as the chain's last entry); whether that root is trusted is asked at every read, so adding
 * a root to (or removing one from) Trusted Root Certification Authorities counts at once.
 * A self-signed certificate with no chain is its own end. A chain stored complete whose last entry
 * is not a root was judged against a trust anchor by an older Gatehouse, which kept no root: kept.
 */
function missingFromChain(row: CertificateRow, trusted: (thumbprint: string) => boolean): ChainMissing | null {
  const top = row.chain.at(-1);
  if (!row.chainComplete) return { kind: 'issuer', name: top?.issuer ?? row.issuer };
  if (!top || top.subject !== top.issuer) return null;
  return trusted(top.thumbprint) ? null : { kind: 'untrusted-root', name: top.subject };
}
