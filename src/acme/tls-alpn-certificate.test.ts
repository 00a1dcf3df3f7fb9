import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { loadX509 } from '../pki/x509.js';
import { ACME_IDENTIFIER_OID, tlsAlpnCertificate } from './tls-alpn-certificate.js';

test('the TLS-ALPN-01 certificate: self-signed, SAN = the name only, critical acmeIdentifier = DER OCTET STRING of SHA-256(key authorization)', async () => {
  const now = new Date('2026-05-01T12:00:00Z');
  const { der, keys } = await tlsAlpnCertificate('www.example.com', 'token.thumbprint', now);
  const native = new X509Certificate(der);
  assert.equal(native.subjectAltName, 'DNS:www.example.com');
  assert.ok(native.verify(keys.publicKey), 'self-signed');
  assert.ok(native.checkPrivateKey(keys.privateKey));
  const cert = new (loadX509().X509Certificate)(new Uint8Array(der));
  const ext = cert.extensions.find((e) => e.type === ACME_IDENTIFIER_OID);
  assert.ok(ext, 'has id-pe-acmeIdentifier');
  assert.equal(ext.critical, true);
  const digest = createHash('sha256').update('token.thumbprint').digest();
  assert.deepEqual(Buffer.from(ext.value), Buffer.concat([Buffer.from([0x04, 0x20]), digest]));
});
