import { X509Certificate as NodeX509 } from 'node:crypto';
import { loadX509 } from './x509.js';
import { describeCertificate } from './certificate-info.js';

/**
 * The fields Windows' certificate dialog lists on its Details tab, in words (what certmgr shows),
 * parsed from the DER. Optional extensions are empty lists or absent when the certificate has none.
 */
export interface CertificateFields {
  version: number;
  serialNumber: string;
  /** As Windows names it: sha256RSA, sha384ECDSA, RSASSA-PSS. */
  signatureAlgorithm: string;
  thumbprintSha1: string;
  thumbprintSha256: string;
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  /** e.g. "RSA (2048 bits)", "ECC (256 bits, P-256)". */
  publicKey: string;
  sans: string[];
  keyUsage: string[];
  /** Purposes with their OIDs: "Server Authentication (1.3.6.1.5.5.7.3.1)". */
  extendedKeyUsage: string[];
  /** "End entity", or "CA" with its path length. */
  basicConstraints: string;
  subjectKeyIdentifier?: string;
  authorityKeyIdentifier?: string;
}

const KEY_USAGES: Array<[number, string]> = [
  [1, 'Digital Signature'], [2, 'Non-Repudiation'], [4, 'Key Encipherment'], [8, 'Data Encipherment'], [16, 'Key Agreement'],
  [32, 'Certificate Signing'], [64, 'CRL Signing'], [128, 'Encipher Only'], [256, 'Decipher Only'],
];

const PURPOSES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'Server Authentication',
  '1.3.6.1.5.5.7.3.2': 'Client Authentication',
  '1.3.6.1.5.5.7.3.3': 'Code Signing',
  '1.3.6.1.5.5.7.3.4': 'Secure Email',
  '1.3.6.1.5.5.7.3.8': 'Time Stamping',
  '1.3.6.1.5.5.7.3.9': 'OCSP Signing',
};

function signatureName(alg: { name: string; hash?: { name: string } }): string {
  const hash = (alg.hash?.name ?? '').replace('-', '').toLowerCase();
  if (alg.name === 'RSASSA-PKCS1-v1_5') return `${hash}RSA`;
  if (alg.name === 'ECDSA') return `${hash}ECDSA`;
  return alg.name;
}

function publicKeyText(cert: NodeX509): string {
  const key = cert.publicKey;
  const d = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa': case 'rsa-pss': return `RSA (${d.modulusLength ?? '?'} bits)`;
    case 'ec': {
      const curve = d.namedCurve === 'prime256v1' ? 'P-256' : d.namedCurve === 'secp384r1' ? 'P-384' : d.namedCurve === 'secp521r1' ? 'P-521' : d.namedCurve ?? '?';
      const bits = curve.replace(/^P-/, '');
      return `ECC (${bits} bits, ${curve})`;
    }
    default: return key.asymmetricKeyType ?? 'unknown';
  }
}

/** Parses the Details tab's fields from a DER certificate. */
export function certificateFields(der: Buffer): CertificateFields {
  const x509 = loadX509();
  const info = describeCertificate(der);
  const native = new NodeX509(der);
  const cert = new x509.X509Certificate(new Uint8Array(der));
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  const aki = cert.getExtension(x509.AuthorityKeyIdentifierExtension);
  return {
    version: 3,
    serialNumber: info.serialNumber,
    signatureAlgorithm: signatureName(cert.signatureAlgorithm as { name: string; hash?: { name: string } }),
    thumbprintSha1: info.thumbprint,
    thumbprintSha256: native.fingerprint256.replaceAll(':', ''),
    subject: info.subject,
    issuer: info.issuer,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    publicKey: publicKeyText(native),
    sans: info.sans,
    keyUsage: ku ? KEY_USAGES.filter(([bit]) => (ku.usages & bit) !== 0).map(([, name]) => name) : [],
    extendedKeyUsage: (eku?.usages ?? []).map((u) => String(u)).map((oid) => `${PURPOSES[oid] ?? 'Unknown purpose'} (${oid})`),
    basicConstraints: basic?.ca ? `CA${basic.pathLength === undefined ? '' : `, path length ${basic.pathLength}`}` : 'End entity',
    ...(ski ? { subjectKeyIdentifier: ski.keyId.toUpperCase() } : {}),
    ...(aki?.keyId ? { authorityKeyIdentifier: aki.keyId.toUpperCase() } : {}),
  };
}

/**
 * One link of the certification path, leaf first. `status` judges the link at `now`: a root is
 * trusted when it is a trust anchor (the internal CA or a system root); `missing` stands for an
 * issuer whose certificate is neither in the chain nor among the anchors.
 */
export interface PathLink {
  thumbprint: string | null;
  subject: string;
  issuedTo: string;
  issuer: string;
  notBefore: string | null;
  notAfter: string | null;
  role: 'leaf' | 'intermediate' | 'root' | 'missing';
  status: 'ok' | 'expired' | 'not-yet-valid' | 'trusted-root' | 'untrusted-root' | 'missing';
  /** For a trusted root: whose it is. */
  anchor?: 'internal-ca' | 'system';
}

function safeVerify(cert: NodeX509, issuer: NodeX509): boolean {
  try {
    return cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

function verifies(cert: NodeX509, issuer: NodeX509): boolean {
  return cert.checkIssued(issuer) && safeVerify(cert, issuer);
}

/**
 * The Certification Path tab: the leaf, the stored chain upwards, then the trust anchor that issued
 * the top of the chain (or a missing link naming the issuer nobody has). Pure: the anchors and the
 * instant are passed in.
 */
export function certificationPath(leaf: Buffer, chain: readonly Buffer[], anchors: { internalCa?: Buffer | undefined; system: readonly NodeX509[] }, now: Date): PathLink[] {
  const internal = anchors.internalCa ? new NodeX509(anchors.internalCa) : undefined;
  const anchorOf = (c: NodeX509): PathLink['anchor'] | undefined => {
    if (internal && c.fingerprint256 === internal.fingerprint256) return 'internal-ca';
    return anchors.system.some((s) => s.fingerprint256 === c.fingerprint256) ? 'system' : undefined;
  };
  const link = (der: Buffer, role: PathLink['role'], anchor?: PathLink['anchor']): PathLink => {
    const info = describeCertificate(der);
    const timeStatus = info.notAfter.getTime() <= now.getTime() ? 'expired' : info.notBefore.getTime() > now.getTime() ? 'not-yet-valid' : undefined;
    const status: PathLink['status'] = timeStatus ?? (role === 'root' ? (anchor ? 'trusted-root' : 'untrusted-root') : 'ok');
    return {
      thumbprint: info.thumbprint, subject: info.subject, issuedTo: info.issuedTo, issuer: info.issuer,
      notBefore: info.notBefore.toISOString(), notAfter: info.notAfter.toISOString(), role, status, ...(anchor ? { anchor } : {}),
    };
  };
  const ders = [leaf, ...chain];
  const certs = ders.map((d) => new NodeX509(d));
  const top = certs.at(-1)!;
  // Self-signed: OpenSSL's issuer check would refuse a leaf whose key usage lacks keyCertSign, so compare the names.
  const topIsRoot = top.subject === top.issuer && safeVerify(top, top);
  const path = ders.map((der, i) => {
    const isTop = i === ders.length - 1;
    const role: PathLink['role'] = isTop && topIsRoot ? 'root' : i === 0 ? 'leaf' : 'intermediate';
    return link(der, role, role === 'root' ? anchorOf(certs[i]!) : undefined);
  });
  if (topIsRoot) return path;
  const issuer = [...(internal ? [internal] : []), ...anchors.system].find((a) => verifies(top, a));
  if (issuer) return [...path, link(issuer.raw, 'root', anchorOf(issuer))];
  const missing = describeCertificate(ders.at(-1)!);
  return [...path, {
    thumbprint: null, subject: missing.issuer, issuedTo: missing.issuedBy, issuer: '', notBefore: null, notAfter: null, role: 'missing', status: 'missing',
  }];
}
