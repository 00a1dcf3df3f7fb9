import { createHash, X509Certificate as NodeX509 } from 'node:crypto';
import { loadX509 } from './x509.js';
import { keyTypeName, spkiDer } from './key-pair.js';
import { formatName } from './subject.js';

/** A read-only view of one X.509 certificate: everything the stores and faces show, parsed once. */
export interface CertificateInfo {
  der: Buffer;
  /** SHA-1 of the DER, upper-case hex: the thumbprint IIS shows. */
  thumbprint: string;
  subject: string;
  issuer: string;
  issuedTo: string;
  issuedBy: string;
  sans: string[];
  notBefore: Date;
  notAfter: Date;
  serialNumber: string;
  keyType: string;
  /** SHA-256 of the SubjectPublicKeyInfo: how a certificate finds its pending request or key. */
  spkiSha256: string;
  isCa: boolean;
  selfIssued: boolean;
}

/** SHA-1 of the DER in upper-case hex, as IIS and `openssl x509 -fingerprint -sha1` show it. */
export function thumbprintOf(der: Buffer): string {
  return createHash('sha1').update(der).digest('hex').toUpperCase();
}

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Parses a DER certificate. Throws whatever the parsers throw; callers turn that into a user error. */
export function describeCertificate(der: Buffer): CertificateInfo {
  const x509 = loadX509();
  const native = new NodeX509(der);
  const cert = new x509.X509Certificate(new Uint8Array(der));
  const sans: string[] = [];
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  for (const n of san?.names.items ?? []) {
    if (n.type === 'dns' || n.type === 'ip') sans.push(n.value.toLowerCase());
  }
  const cn = cert.subjectName.getField('CN')[0];
  const issuerCn = cert.issuerName.getField('CN')[0] ?? cert.issuerName.getField('O')[0];
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  const publicKey = native.publicKey;
  return {
    der,
    thumbprint: thumbprintOf(der),
    subject: formatName(cert.subjectName.toJSON()),
    issuer: formatName(cert.issuerName.toJSON()),
    issuedTo: cn ?? sans[0] ?? formatName(cert.subjectName.toJSON()),
    issuedBy: issuerCn ?? formatName(cert.issuerName.toJSON()),
    sans,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    serialNumber: cert.serialNumber.toUpperCase(),
    keyType: keyTypeName(publicKey),
    spkiSha256: sha256Hex(spkiDer(publicKey)),
    isCa: basic?.ca === true,
    selfIssued: native.checkIssued(native),
  };
}
