import { certificateStatus, type Certificate } from '../model/certificate.js';
import type { CertificateRow } from '../store/gatehouse-store.js';

/** The face every interface shows for a stored certificate; the status is derived at `now`. */
export function certificateView(row: CertificateRow, now: Date): Certificate {
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
    chainComplete: row.chainComplete,
    status: certificateStatus(row.notAfter, row.chainComplete, now),
    chain: row.chain,
    created: row.created,
  };
}
