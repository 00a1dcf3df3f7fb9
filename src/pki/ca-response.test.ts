import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readCertificates } from './ca-response.js';
import { makeTestPki, toPem } from './test-certificates.js';
import { GatehouseError } from '../model/gatehouse-error.js';
import { loadX509 } from './x509.js';

test('PEM, DER, bundles in any order and PKCS#7 (PEM and DER) all yield the certificates', async () => {
  const pki = await makeTestPki();
  const x509 = loadX509();
  assert.deepEqual(readCertificates(Buffer.from(toPem(pki.leaf))), [pki.leaf]);
  assert.deepEqual(readCertificates(pki.leaf), [pki.leaf]);
  assert.deepEqual(readCertificates(Buffer.from(toPem(pki.root) + toPem(pki.leaf) + toPem(pki.intermediate))), [pki.root, pki.leaf, pki.intermediate]);
  const p7 = new x509.X509Certificates([pki.leaf, pki.intermediate].map((d) => new x509.X509Certificate(new Uint8Array(d))));
  assert.deepEqual(readCertificates(Buffer.from(p7.export('pem'))).length, 2);
  assert.deepEqual(readCertificates(Buffer.from(p7.export('raw'))).length, 2);
  assert.deepEqual(readCertificates(Buffer.from(pki.leaf.toString('base64'))), [pki.leaf]);
});

test('what is not a certificate is named for what it is', async () => {
  const pki = await makeTestPki();
  const pem = toPem(pki.leaf);
  const cases: Array<[string, Buffer, RegExp]> = [
    ['empty', Buffer.alloc(0), /empty/],
    ['blank', Buffer.from(' \n\n'), /empty/],
    ['html', Buffer.from('<!DOCTYPE html><html><body>Error 500</body></html>'), /HTML/],
    ['csr', Buffer.from('-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n'), /certificate request/],
    ['key', Buffer.from(pki.leafKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string), /private key/],
    ['truncated', Buffer.from(pem.slice(0, pem.length / 2)), /truncated/],
    ['damaged pem', Buffer.from(pem.replace(/[A-Za-z]{10}\n/, 'AAAAAAAAAA\n')), /damaged|truncated/],
    ['der garbage', Buffer.concat([Buffer.from([0x30, 0x82, 0x05, 0x00]), Buffer.alloc(100, 7)]), /damaged or truncated/],
    ['random', Buffer.from('hello world, this is not a certificate'), /not PEM, DER or PKCS#7/],
  ];
  for (const [name, data, message] of cases) {
    assert.throws(() => readCertificates(data), (e: unknown) => e instanceof GatehouseError && e.code === 'GH_NOT_A_CERTIFICATE' && message.test(e.message), name);
  }
});
