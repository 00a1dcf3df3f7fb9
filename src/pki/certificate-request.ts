import { webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { loadX509 } from './x509.js';
import { fail } from '../model/gatehouse-error.js';
import { type KeyPair, signingAlgorithm, toCryptoKeyPair } from './key-pair.js';
import type { SubjectName } from './host-name.js';
import { distinguishedName, formatName, type SubjectFields } from './subject.js';

/** id-ce-subjectAltName: requests carry it inside the extensionRequest attribute. */
const SUBJECT_ALT_NAME_OID = '2.5.29.17';

export interface CertificateRequestSpec {
  subject: SubjectFields;
  names: SubjectName[];
}

/**
 * Builds a PKCS#10 request signed by the key pair: the subject as given, and every name (the
 * common name included) in a subjectAltName extension, which is what CAs and browsers read.
 */
export async function buildCertificateRequest(spec: CertificateRequestSpec, keys: KeyPair): Promise<string> {
  const cryptoKeys = await toCryptoKeyPair(keys);
  const x509 = loadX509();
  const extensions: X509.Extension[] = [];
  if (spec.names.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(spec.names.map((n) => ({ type: n.type, value: n.value }))));
  }
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    { name: distinguishedName(spec.subject), keys: cryptoKeys, signingAlgorithm: signingAlgorithm(keys.privateKey).sign, extensions },
    webcrypto as unknown as Crypto,
  );
  return csr.toString('pem');
}

/** What `ca sign` needs from a request made anywhere (openssl, IIS, another Gatehouse). */
export interface ParsedRequest {
  subject: string;
  commonName: string | undefined;
  names: SubjectName[];
  publicKeySpki: Buffer;
}

/** Reads a PEM or DER PKCS#10 request and checks its self-signature. */
export async function readCertificateRequest(data: Buffer): Promise<ParsedRequest> {
  const x509 = loadX509();
  let csr: X509.Pkcs10CertificateRequest;
  try {
    const text = data.toString('latin1');
    csr = new x509.Pkcs10CertificateRequest(text.includes('-----BEGIN') ? text : new Uint8Array(data));
  } catch (e) {
    throw fail('GH_CSR_INVALID', 'The file is not a certificate request (PKCS#10, "-----BEGIN CERTIFICATE REQUEST-----"). Give the .csr file the request was saved to.', e);
  }
  let ok = false;
  try {
    ok = await csr.verify(webcrypto as unknown as Crypto);
  } catch {
    ok = false;
  }
  if (!ok) throw fail('GH_CSR_INVALID', 'The certificate request\'s signature does not verify: the file was changed after it was made, or is damaged. Make the request again.');
  const names: SubjectName[] = [];
  const san = csr.getExtension(SUBJECT_ALT_NAME_OID) as X509.SubjectAlternativeNameExtension | null;
  for (const n of san?.names.items ?? []) {
    if (n.type === 'dns' || n.type === 'ip') names.push({ type: n.type, value: n.value.toLowerCase() });
  }
  const cn = csr.subjectName.getField('CN')[0];
  return { subject: formatName(csr.subjectName.toJSON()), commonName: cn, names, publicKeySpki: Buffer.from(csr.publicKey.rawData) };
}
