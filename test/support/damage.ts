// Damaged keys and certificates for the bad-input tables: made here from real ones, flipping the
// parts OpenSSL reads without complaint but cannot use (issue #10, findings 6 and 7).
import { createPrivateKey, type JsonWebKey } from 'node:crypto';
import { X509Certificate } from 'node:crypto';

function flip(b64url: string, at = 5): string {
  const b = Buffer.from(b64url, 'base64url');
  b[at] = b[at]! ^ 0x01;
  return b.toString('base64url');
}

/**
 * An RSA key (PKCS#1 PEM) with one of its private parts altered, as a bit flip on disk does:
 * `d` gives "d e not congruent to 1" in `openssl pkey -check`, `dq`/`qi` a bad CRT value.
 */
export function damagedRsaKey(pem: string, part: 'd' | 'dq' | 'qi'): string {
  const jwk = createPrivateKey(pem).export({ format: 'jwk' }) as JsonWebKey & Record<string, string>;
  jwk[part] = flip(jwk[part]!);
  return String(createPrivateKey({ key: jwk, format: 'jwk' }).export({ type: 'pkcs1', format: 'pem' }));
}

/**
 * A P-256 key (SEC1 PEM) whose private value is altered while its public point is kept: the key
 * still matches its certificate, but signs with another value (Node's JWK import would refuse it,
 * so the SEC1 DER is altered in place: 30 77 02 01 01 04 20 <32 bytes of d> ...).
 */
export function damagedEcKey(pem: string): string {
  const der = createPrivateKey(pem).export({ type: 'sec1', format: 'der' });
  if (der[0] !== 0x30 || der[5] !== 0x04 || der[6] !== 0x20) throw new Error('not a P-256 SEC1 key');
  der[7 + 10] = der[7 + 10]! ^ 0x01;
  return `-----BEGIN EC PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END EC PRIVATE KEY-----\n`;
}

function certDer(pem: string): Buffer {
  return Buffer.from(new X509Certificate(pem).raw);
}

function toPem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * The certificate (an EC P-256 one) with its public point's format byte (04, uncompressed) made
 * an invalid one: OpenSSL still reads the certificate; its public key no longer decodes.
 */
export function withDamagedPublicKey(pem: string): string {
  const der = certDer(pem);
  const at = der.indexOf(Buffer.from([0x03, 0x42, 0x00, 0x04]));
  if (at < 0) throw new Error('no P-256 public point in the certificate');
  der[at + 3] = 0x05; // neither 02/03 (compressed), 04 (uncompressed) nor 06/07 (hybrid)
  return toPem(der);
}

/**
 * The certificate with its AuthorityKeyIdentifier's keyIdentifier given a length of 9 length
 * octets (0x89) in place of 20 (0x14): an over-long integer in an extension, same size overall.
 */
export function withOverlongAkiInteger(pem: string): string {
  const der = certDer(pem);
  const oid = der.indexOf(Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x23]));
  if (oid < 0) throw new Error('no AuthorityKeyIdentifier in the certificate');
  const keyId = der.indexOf(Buffer.from([0x80, 0x14]), oid);
  if (keyId < 0 || keyId > oid + 16) throw new Error('no 20-byte keyIdentifier in the AuthorityKeyIdentifier');
  der[keyId + 1] = 0x89;
  return toPem(der);
}
