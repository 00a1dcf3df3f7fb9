import { createPublicKey, webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { loadX509 } from './x509.js';
import { type KeyPair, signingAlgorithm, spkiDer, toCryptoKeyPair } from './key-pair.js';
import type { SubjectName } from './host-name.js';

const crypto = webcrypto as unknown as Crypto;
const DAY_MS = 86_400_000;
const BACKDATE_MS = 5 * 60_000;

/**
 * notBefore five minutes back (a client with a slightly slow clock accepts the certificate at once)
 * and notAfter exactly `days` days after it: the validity period is the days asked for, not five
 * minutes more, so an 825-day certificate (the admin endpoint's, the internal CA's longest) stays
 * within the 825 days that Apple's clients accept (testssl.sh: "825 > 825 days").
 */
function validity(now: Date, days: number): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  return { notBefore, notAfter: new Date(notBefore.getTime() + days * DAY_MS) };
}

/** Validity and identity of a certificate to issue; the clock and the serial are the caller's. */
export interface IssueParams {
  /** The subject as the X.509 builders take it: a JsonName array or an RFC 4514 string. */
  subject: X509.JsonName | string;
  names: SubjectName[];
  /** Hex serial, positive (the caller makes it from 128 random bits). */
  serialNumber: string;
  now: Date;
  days: number;
}

/**
 * Issues a TLS server certificate: the subject and names asked for, serverAuth EKU,
 * digitalSignature (and keyEncipherment for RSA) key usage, not a CA, with SKI and an AKI naming the
 * issuer's key. Backdated by five minutes so clients with a slightly slow clock accept it at once.
 */
export async function issueServerCertificate(
  params: IssueParams,
  subjectPublicKey: Buffer,
  issuer: { certificate: Buffer | undefined; keys: KeyPair },
): Promise<Buffer> {
  const x509 = loadX509();
  const issuerKeys = await toCryptoKeyPair(issuer.keys);
  const publicKey = await x509.PublicKey.create(new Uint8Array(subjectPublicKey), crypto);
  const isRsa = createPublicKey({ key: subjectPublicKey, format: 'der', type: 'spki' }).asymmetricKeyType === 'rsa';
  const issuerCert = issuer.certificate ? new x509.X509Certificate(new Uint8Array(issuer.certificate)) : undefined;
  const usage = x509.KeyUsageFlags.digitalSignature | (isRsa ? x509.KeyUsageFlags.keyEncipherment : 0);
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(usage, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    await x509.SubjectKeyIdentifierExtension.create(publicKey, false, crypto),
    await x509.AuthorityKeyIdentifierExtension.create(issuerKeys.publicKey, false, crypto),
  ];
  if (params.names.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(params.names.map((n) => ({ type: n.type, value: n.value }))));
  }
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: params.serialNumber,
      subject: params.subject,
      issuer: issuerCert ? issuerCert.subject : params.subject,
      ...validity(params.now, params.days),
      signingAlgorithm: signingAlgorithm(issuer.keys.privateKey).sign,
      publicKey,
      signingKey: issuerKeys.privateKey,
      extensions,
    },
    crypto,
  );
  return Buffer.from(cert.rawData);
}

/** Creates the self-signed root of the internal CA: a CA with keyCertSign and cRLSign, path length 0 free. */
export async function createCaCertificate(params: Omit<IssueParams, 'names'>, keys: KeyPair): Promise<Buffer> {
  const x509 = loadX509();
  const cryptoKeys = await toCryptoKeyPair(keys);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: params.serialNumber,
      name: params.subject,
      ...validity(params.now, params.days),
      signingAlgorithm: signingAlgorithm(keys.privateKey).sign,
      keys: cryptoKeys,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(cryptoKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return Buffer.from(cert.rawData);
}

/** IIS's "Create Self-Signed Certificate": a server certificate issued by its own key. */
export async function createSelfSignedCertificate(params: IssueParams, keys: KeyPair): Promise<Buffer> {
  return issueServerCertificate(params, spkiDer(keys.publicKey), { certificate: undefined, keys });
}
