import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCertificateRequest, readCertificateRequest } from './certificate-request.js';
import { generateKeyPair, spkiDer } from './key-pair.js';
import { GatehouseError } from '../model/gatehouse-error.js';

test('a request we build reads back with its subject, every SAN and its public key', async () => {
  const keys = await generateKeyPair('ecdsa-p256');
  const names = [{ type: 'dns', value: 'www.contoso.com' }, { type: 'dns', value: '*.contoso.com' }, { type: 'ip', value: '192.0.2.7' }] as const;
  const csr = await buildCertificateRequest({ subject: { cn: 'www.contoso.com', org: 'Contoso', country: 'US' }, names: [...names] }, keys);
  const parsed = await readCertificateRequest(Buffer.from(csr));
  assert.equal(parsed.subject, 'CN=www.contoso.com, O=Contoso, C=US');
  assert.equal(parsed.commonName, 'www.contoso.com');
  assert.deepEqual(parsed.names, names);
  assert.deepEqual(parsed.publicKeySpki, spkiDer(keys.publicKey));
});

test('a request whose body was altered fails its signature check', async () => {
  const keys = await generateKeyPair('ecdsa-p256');
  const csr = await buildCertificateRequest({ subject: { cn: 'a.contoso.com' }, names: [{ type: 'dns', value: 'a.contoso.com' }] }, keys);
  const der = Buffer.from(csr.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const at = der.indexOf(Buffer.from('a.contoso.com'));
  der[at] = 'b'.charCodeAt(0);
  await assert.rejects(readCertificateRequest(der), (e: unknown) => e instanceof GatehouseError && e.code === 'GH_CSR_INVALID');
});
