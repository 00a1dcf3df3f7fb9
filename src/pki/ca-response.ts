import { X509Certificate as NodeX509 } from 'node:crypto';
import { loadX509 } from './x509.js';
import { certificateFields } from './certificate-details.js';
import { fail } from '../model/gatehouse-error.js';
import { act, opt } from '../model/wording.js';

/**
 * Reads what a CA sends back: a PEM or DER certificate (.cer/.crt), a PEM bundle with
 * intermediates in any order, or PKCS#7 (.p7b/.p7c, PEM or DER). Returns every certificate as DER.
 * Anything else is refused with GH_NOT_A_CERTIFICATE and a description of what the file looks
 * like, so the administrator knows which file they picked by mistake.
 */
export function readCertificates(data: Buffer, fileName = 'The file'): Buffer[] {
  const notCert = (looksLike: string, advice = 'Choose the certificate file (.cer, .crt, .pem or .p7b) the CA sent.') =>
    fail('GH_NOT_A_CERTIFICATE', `${fileName} is not a certificate: ${looksLike}. ${advice}`);

  if (data.length === 0 || data.toString('latin1').trim() === '') throw notCert('it is empty');
  const text = data.toString('latin1');

  if (text.includes('-----BEGIN')) return assertDecodable(readPem(text, notCert), notCert);
  if (/<(!doctype\s+html|html|head|body)\b/i.test(text.slice(0, 2048))) {
    throw notCert('it is an HTML web page (perhaps an error or download page saved instead of the certificate)', 'Download the certificate itself from the CA (often a "Download certificate" link, as .cer or .p7b).');
  }
  const der = isBase64Text(text) ? Buffer.from(text.replace(/\s+/g, ''), 'base64') : data;
  const fromDer = readDer(der);
  if (fromDer) return assertDecodable(fromDer, notCert);
  if (looksLikePfx(der)) throw notCert('it is a PFX/PKCS#12 file (a certificate with its private key)', `Import it with ${act('cert-import')}.`);
  if (der[0] === 0x30) throw notCert('it is damaged or truncated binary (DER) data');
  throw notCert('its content is not PEM, DER or PKCS#7');
}

type NotCert = (looksLike: string, advice?: string) => Error;

function readPem(text: string, notCert: NotCert): Buffer[] {
  const blocks = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)];
  const begins = (text.match(/-----BEGIN [A-Z0-9 ]+-----/g) ?? []).length;
  const out: Buffer[] = [];
  const labels = new Set<string>();
  for (const m of blocks) {
    const label = m[1]!;
    labels.add(label);
    const body = Buffer.from(m[2]!.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    if (label === 'CERTIFICATE' || label === 'X509 CERTIFICATE' || label === 'TRUSTED CERTIFICATE') {
      if (!isCertificate(body)) throw notCert('it holds a PEM certificate block that is damaged or truncated');
      out.push(body);
    } else if (label === 'PKCS7' || label === 'CMS' || label === 'CERTIFICATE CHAIN' || label === 'PKCS #7 SIGNED DATA') {
      const certs = readPkcs7(body);
      if (!certs) throw notCert('it holds a PKCS#7 block that is damaged or truncated');
      out.push(...certs);
    }
  }
  if (out.length > 0) {
    if (blocks.length < begins) throw notCert('it is truncated: a PEM block has no END line');
    return out;
  }
  if (blocks.length < begins) throw notCert('it is truncated: a PEM block starts but never ends');
  if ([...labels].some((l) => l.includes('CERTIFICATE REQUEST'))) {
    throw notCert('it is a certificate request (CSR), the file you send to the CA', 'Send it to the CA, then complete the request with the certificate file the CA returns.');
  }
  if ([...labels].some((l) => l.includes('PRIVATE KEY'))) {
    throw notCert('it is a private key', `Give the certificate file the CA sent; a key is only needed with ${opt('key-file')} when importing.`);
  }
  if ([...labels].some((l) => l.includes('PUBLIC KEY'))) throw notCert('it is a public key');
  if (labels.has('X509 CRL')) throw notCert('it is a certificate revocation list (CRL)');
  throw notCert(`it holds PEM data of another kind (${[...labels].join(', ') || 'none'})`);
}

/**
 * OpenSSL reads a certificate whose public key or extensions are damaged (it decodes them only when
 * asked), so a certificate that parses may still break later, when Gatehouse shows or serves it.
 * Every part Gatehouse reads is decoded here, once, before anything is stored.
 */
export function assertDecodable(ders: Buffer[], notCert: NotCert): Buffer[] {
  for (const der of ders) {
    const problem = damage(der);
    if (problem) throw notCert(`it holds a certificate whose ${problem} cannot be decoded (the certificate is damaged)`, 'Download the certificate again from the CA, or ask the CA to issue it again.');
  }
  return ders;
}

/** What part of a certificate does not decode, or undefined when every part does. */
export function damage(der: Buffer): string | undefined {
  let native: NodeX509;
  try {
    native = new NodeX509(der);
  } catch {
    return 'structure';
  }
  try {
    void native.publicKey.asymmetricKeyType;
  } catch {
    return 'public key (SubjectPublicKeyInfo)';
  }
  try {
    certificateFields(der);
  } catch {
    return 'extensions or names';
  }
  return undefined;
}

function readDer(der: Buffer): Buffer[] | undefined {
  if (der.length < 16 || der[0] !== 0x30) return undefined;
  if (isCertificate(der)) return [der];
  return readPkcs7(der);
}

function isCertificate(der: Buffer): boolean {
  try {
    new NodeX509(der);
    return true;
  } catch {
    return false;
  }
}

function readPkcs7(der: Buffer): Buffer[] | undefined {
  try {
    const certs = new (loadX509().X509Certificates)(new Uint8Array(der));
    if (certs.length === 0) return undefined;
    return certs.map((c) => Buffer.from(c.rawData));
  } catch {
    return undefined;
  }
}

function isBase64Text(text: string): boolean {
  const t = text.replace(/\s+/g, '');
  return t.length >= 64 && t.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(t);
}

/** PFX: SEQUENCE { INTEGER 3, SEQUENCE { OID pkcs7-data ... } } */
export function looksLikePfx(der: Buffer): boolean {
  const pkcs7Data = Buffer.from('06092a864886f70d010701', 'hex');
  const head = der.subarray(0, 32);
  return der[0] === 0x30 && head.includes(Buffer.from([0x02, 0x01, 0x03])) && head.includes(pkcs7Data);
}
