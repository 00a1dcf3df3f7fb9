import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { loadX509 } from '../pki/x509.js';
import { generateKeyPair, toCryptoKeyPair, type KeyPair } from '../pki/key-pair.js';

const crypto = webcrypto as unknown as Crypto;

/** id-pe-acmeIdentifier (RFC 8737 section 6.1). */
export const ACME_IDENTIFIER_OID = '1.3.6.1.5.5.7.1.31';
/** The ALPN protocol a TLS-ALPN-01 validation offers, alone. */
export const ACME_TLS_ALPN = 'acme-tls/1';

/**
 * The TLS-ALPN-01 challenge certificate (RFC 8737): self-signed, the one DNS name being validated
 * as its only SAN, and the critical acmeIdentifier extension holding the DER OCTET STRING of the
 * SHA-256 of the key authorization. Valid for a day; a fresh ECDSA P-256 key.
 */
export async function tlsAlpnCertificate(name: string, keyAuthorization: string, now: Date): Promise<{ der: Buffer; keys: KeyPair }> {
  const x509 = loadX509();
  const keys = await generateKeyPair('ecdsa-p256');
  const digest = createHash('sha256').update(keyAuthorization).digest();
  const octetString = Buffer.concat([Buffer.from([0x04, digest.length]), digest]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(16).toString('hex').replace(/^[89a-f]/, '1'),
    name: [{ CN: [name] }],
    notBefore: new Date(now.getTime() - 300_000),
    notAfter: new Date(now.getTime() + 86_400_000),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    keys: await toCryptoKeyPair(keys),
    extensions: [
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: name }]),
      new x509.Extension(ACME_IDENTIFIER_OID, true, octetString),
    ],
  }, crypto);
  return { der: Buffer.from(cert.rawData), keys };
}
