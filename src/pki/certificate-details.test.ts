import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate as NodeX509 } from 'node:crypto';
import { certificateFields, certificationPath } from './certificate-details.js';
import { makeTestPki } from './test-certificates.js';
import { createSelfSignedCertificate } from './certificate-issuer.js';
import { generateKeyPair } from './key-pair.js';

async function makeSelfSigned(now: Date): Promise<Buffer> {
  const keys = await generateKeyPair('ecdsa-p256');
  return createSelfSignedCertificate({ subject: [{ CN: ['self.unit.test'] }], names: [{ type: 'dns', value: 'self.unit.test' }], serialNumber: '01aa', now, days: 10 }, keys);
}

test('the Details fields: thumbprints, signature algorithm, key, usages, names', async () => {
  const pki = await makeTestPki({ leafKey: 'rsa-2048' });
  const f = certificateFields(pki.leaf);
  const native = new NodeX509(pki.leaf);
  assert.equal(f.thumbprintSha1, native.fingerprint.replaceAll(':', ''));
  assert.equal(f.thumbprintSha256, native.fingerprint256.replaceAll(':', ''));
  assert.equal(f.signatureAlgorithm, 'sha256ECDSA', 'signed by the ECDSA intermediate');
  assert.equal(f.publicKey, 'RSA (2048 bits)');
  assert.equal(f.subject, 'CN=www.unit.test');
  assert.equal(f.issuer, 'CN=Unit Intermediate');
  assert.deepEqual(f.sans, ['www.unit.test']);
  assert.ok(f.extendedKeyUsage.includes('Server Authentication (1.3.6.1.5.5.7.3.1)'), JSON.stringify(f.extendedKeyUsage));
  assert.ok(f.keyUsage.includes('Digital Signature'), JSON.stringify(f.keyUsage));
  assert.equal(f.basicConstraints, 'End entity');
  assert.equal(certificateFields(pki.intermediate).basicConstraints, 'CA, path length 0');
  assert.equal(certificateFields(pki.root).publicKey, 'ECC (256 bits, P-256)');
});

test('the certification path: leaf → intermediate → root, the root trusted only as an anchor; a missing issuer; an expired link', async () => {
  const now = new Date();
  const pki = await makeTestPki({ now });
  const root = new NodeX509(pki.root);
  const roles = (links: ReturnType<typeof certificationPath>) => links.map((l) => `${l.role}:${l.status}`);

  // The root is not in the chain: found among the anchors.
  const anchored = certificationPath(pki.leaf, [pki.intermediate], { system: [root] }, now);
  assert.deepEqual(roles(anchored), ['leaf:ok', 'intermediate:ok', 'root:trusted-root']);
  assert.equal(anchored[2]!.anchor, 'system');
  assert.equal(anchored[2]!.thumbprint, root.fingerprint.replaceAll(':', ''));
  assert.equal(certificationPath(pki.leaf, [pki.intermediate], { internalCa: pki.root, system: [] }, now)[2]!.anchor, 'internal-ca');

  // The root sent in the chain but trusted by nobody.
  assert.deepEqual(roles(certificationPath(pki.leaf, [pki.intermediate, pki.root], { system: [] }, now)), ['leaf:ok', 'intermediate:ok', 'root:untrusted-root']);

  // A self-signed server certificate (no keyCertSign): its own root, trusted by nobody.
  const own = await makeSelfSigned(now);
  assert.deepEqual(roles(certificationPath(own, [], { system: [root] }, now)), ['root:untrusted-root']);

  // Without the intermediate: its issuer is missing, named.
  const missing = certificationPath(pki.leaf, [], { system: [root] }, now);
  assert.deepEqual(roles(missing), ['leaf:ok', 'missing:missing']);
  assert.equal(missing[1]!.subject, 'CN=Unit Intermediate');
  assert.equal(missing[1]!.thumbprint, null);

  // Later than the leaf's 10 days: the leaf is expired, the others (30 days) are not.
  const later = new Date(now.getTime() + 20 * 86_400_000);
  assert.deepEqual(roles(certificationPath(pki.leaf, [pki.intermediate], { system: [root] }, later)), ['leaf:expired', 'intermediate:ok', 'root:trusted-root']);
});
