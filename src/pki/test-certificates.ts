import { generateKeyPair, spkiDer, type KeyPair } from './key-pair.js';
import { createCaCertificate, issueServerCertificate } from './certificate-issuer.js';
import type { KeyType } from '../model/key-type.js';

/** A small PKI made in memory for unit tests: root → intermediate → leaf. */
export interface TestPki {
  root: Buffer;
  intermediate: Buffer;
  leaf: Buffer;
  leafKeys: KeyPair;
}

let serial = 1;
const nextSerial = () => (serial++).toString(16).padStart(2, '0') + '11aa';

export async function makeTestPki(options: { leafKey?: KeyType; leafDays?: number; now?: Date } = {}): Promise<TestPki> {
  const now = options.now ?? new Date();
  const rootKeys = await generateKeyPair('ecdsa-p256');
  const root = await createCaCertificate({ subject: [{ CN: ['Unit Root'] }], serialNumber: nextSerial(), now, days: 30 }, rootKeys);
  const intKeys = await generateKeyPair('ecdsa-p256');
  // An intermediate is a CA certificate signed by the root: reuse the CA builder's extensions via a self-signed cert, then re-issue under the root.
  const intermediate = await issueIntermediate(intKeys, rootKeys, root, now);
  const leafKeys = await generateKeyPair(options.leafKey ?? 'ecdsa-p256');
  const leaf = await issueServerCertificate(
    { subject: [{ CN: ['www.unit.test'] }], names: [{ type: 'dns', value: 'www.unit.test' }], serialNumber: nextSerial(), now, days: options.leafDays ?? 10 },
    spkiDer(leafKeys.publicKey),
    { certificate: intermediate, keys: intKeys },
  );
  return { root, intermediate, leaf, leafKeys };
}

async function issueIntermediate(keys: KeyPair, rootKeys: KeyPair, root: Buffer, now: Date): Promise<Buffer> {
  const x509 = (await import('./x509.js')).loadX509();
  const { webcrypto } = await import('node:crypto');
  const { toCryptoKeyPair, signingAlgorithm } = await import('./key-pair.js');
  const rootCrypto = await toCryptoKeyPair(rootKeys);
  const own = await toCryptoKeyPair(keys);
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: nextSerial(),
      subject: 'CN=Unit Intermediate',
      issuer: new x509.X509Certificate(new Uint8Array(root)).subject,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + 30 * 86_400_000),
      signingAlgorithm: signingAlgorithm(rootKeys.privateKey).sign,
      publicKey: own.publicKey,
      signingKey: rootCrypto.privateKey,
      extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
    },
    webcrypto as unknown as Crypto,
  );
  return Buffer.from(cert.rawData);
}

export { toPem } from './pem.js';
