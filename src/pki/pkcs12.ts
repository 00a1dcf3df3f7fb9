import { createHmac, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import type Forge from 'node-forge';
import { loadForge } from './x509.js';
import { fail } from '../model/gatehouse-error.js';
import { opt } from '../model/wording.js';
import { pkcs8Der, privateKeyFromPkcs8 } from './key-pair.js';

/** What a PFX held: its certificates (DER, as stored), its private key and the friendly name Windows wrote. */
export interface PfxContents {
  certificates: Buffer[];
  privateKey: KeyObject | undefined;
  friendlyName: string | undefined;
}


/**
 * Reads a PFX/PKCS#12 file as OpenSSL 3 writes it by default (PBES2, AES-256, SHA-256 MAC) or the
 * legacy way older Windows and `openssl pkcs12 -legacy` write it (3DES/RC2, SHA-1 MAC).
 *
 * node-forge does the PKCS#12 work (node's crypto has no RC2 without OpenSSL's legacy provider).
 * forge would re-encode RSA certificates and keys into its own objects; the certificate's exact DER
 * matters (it is the thumbprint), so while forge parses we make its object decoders decline and it
 * hands back the original ASN.1 instead. Parsing is synchronous, so the swap cannot leak.
 */
export function readPfx(data: Buffer, password: string): PfxContents {
  const forge = loadForge();
  const { asn1, pki, pkcs12 } = forge;
  let der: Forge.asn1.Asn1;
  try {
    der = asn1.fromDer(forge.util.createBuffer(data.toString('binary')), { strict: false, decodeBitStrings: true } as never);
  } catch (e) {
    throw fail('GH_PFX_INVALID', 'The file is not a readable PFX/PKCS#12 file (damaged or another format). Export it again from its source.', e);
  }
  // The MAC is checked here rather than by forge: PKCS#12 derives the MAC key from the password as
  // a BMPString (Unicode), while PBES2 (OpenSSL 3's default encryption) uses its UTF-8 bytes, and
  // forge takes one password string for both.
  //
  // "No password" has two encodings in PKCS#12 and tools write both: the empty string (a BMPString
  // holding only its two-zero terminator: `openssl pkcs12 -export -passout pass:`) and an absent
  // password (zero bytes: node-forge with null, some Windows exports). OpenSSL tries both; so do we.
  const mac = detachMac(der);
  const passwords: Array<string | null> = password === '' ? ['', null] : [password];
  const macPassword = mac ? passwords.find((p) => macMatches(mac, p)) : passwords[0];
  if (macPassword === undefined) {
    throw fail('GH_PFX_BAD_PASSWORD', password === ''
      ? `The PFX is protected by a password and none was given. Give the password the PFX was exported with in ${opt('password-file')}.`
      : `The PFX password is wrong. Give the password the PFX was exported with in ${opt('password-file')}.`);
  }
  const candidates = (mac ? [macPassword] : passwords).flatMap((p) => {
    const utf8 = p === null ? null : Buffer.from(p, 'utf8').toString('binary');
    return utf8 === p ? [p] : [p, utf8];
  });
  let p12: Forge.pkcs12.Pkcs12Pfx | undefined;
  let lastError: unknown;
  for (const candidate of candidates) {
    try {
      p12 = parseKeepingOriginals(der, candidate);
      break;
    } catch (e) {
      lastError = e;
    }
  }
  if (!p12) {
    const msg = lastError instanceof Error ? lastError.message : String(lastError);
    if (/MAC could not be verified|wrong password|Invalid password|decrypt/i.test(msg)) {
      throw fail('GH_PFX_BAD_PASSWORD', `The PFX password is wrong. Give the password the PFX was exported with in ${opt('password-file')}.`);
    }
    throw fail('GH_PFX_INVALID', `The PFX file cannot be read (${msg}). Export it again from its source.`, lastError);
  }

  const certificates: Buffer[] = [];
  let privateKey: KeyObject | undefined;
  let friendlyName: string | undefined;
  let keyId: string | undefined;
  const keyBags: Forge.pkcs12.Bag[] = [];
  for (const safe of p12.safeContents) {
    for (const bag of safe.safeBags) {
      if (bag.type === pki.oids.certBag && bag.asn1) {
        certificates.push(Buffer.from(asn1.toDer(bag.asn1).getBytes(), 'binary'));
      } else if ((bag.type === pki.oids.pkcs8ShroudedKeyBag || bag.type === pki.oids.keyBag) && bag.asn1) {
        keyBags.push(bag);
      }
    }
  }
  const first = keyBags[0];
  if (first?.asn1) {
    try {
      privateKey = privateKeyFromPkcs8(Buffer.from(asn1.toDer(first.asn1).getBytes(), 'binary'));
    } catch (e) {
      throw fail('GH_KEY_INVALID', 'The private key inside the PFX cannot be read. Export the PFX again from its source.', e);
    }
    keyId = first.attributes?.localKeyId?.[0];
    friendlyName = first.attributes?.friendlyName?.[0];
  }
  // Windows writes the friendly name on the certificate bag too; prefer the bag that pairs with the key.
  for (const safe of p12.safeContents) {
    for (const bag of safe.safeBags) {
      if (bag.type !== pki.oids.certBag) continue;
      const fn = bag.attributes?.friendlyName?.[0];
      const id = bag.attributes?.localKeyId?.[0];
      if (fn && (friendlyName === undefined || (keyId !== undefined && id === keyId))) friendlyName = fn;
    }
  }
  return { certificates, privateKey, friendlyName: friendlyName?.trim() || undefined };
}

function parseKeepingOriginals(der: Forge.asn1.Asn1, password: string | null): Forge.pkcs12.Pkcs12Pfx {
  const forge = loadForge();
  const { pki, pkcs12 } = forge;
  const saved = { cert: pki.certificateFromAsn1, key: pki.privateKeyFromAsn1 };
  try {
    (pki as { certificateFromAsn1: unknown }).certificateFromAsn1 = declineToDecode;
    (pki as { privateKeyFromAsn1: unknown }).privateKeyFromAsn1 = declineToDecode;
    return pkcs12.pkcs12FromAsn1(der, false, password as string);
  } finally {
    (pki as { certificateFromAsn1: unknown }).certificateFromAsn1 = saved.cert;
    (pki as { privateKeyFromAsn1: unknown }).privateKeyFromAsn1 = saved.key;
  }
}

interface MacData {
  digest: 'sha1' | 'sha256' | 'sha384' | 'sha512';
  expected: Buffer;
  salt: string;
  iterations: number;
  content: Buffer;
}

const MAC_DIGESTS: Record<string, MacData['digest']> = {
  '1.3.14.3.2.26': 'sha1', '2.16.840.1.101.3.4.2.1': 'sha256', '2.16.840.1.101.3.4.2.2': 'sha384', '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** Removes MacData from a parsed PFX (so forge skips it) and returns what is needed to check it. */
function detachMac(pfx: Forge.asn1.Asn1): MacData | undefined {
  const forge = loadForge();
  const { asn1 } = forge;
  const parts = pfx.value as Forge.asn1.Asn1[];
  const macData = parts[2];
  if (!Array.isArray(parts) || !macData) return undefined;
  try {
    const [digestInfo, salt, iterations] = macData.value as Forge.asn1.Asn1[];
    const [algorithm, digest] = digestInfo!.value as Forge.asn1.Asn1[];
    const oidValue = asn1.derToOid((algorithm!.value as Forge.asn1.Asn1[])[0]!.value as string);
    const name = MAC_DIGESTS[oidValue];
    if (!name) throw new Error(`unsupported MAC digest ${oidValue}`);
    const content = octetContent(((parts[1]!.value as Forge.asn1.Asn1[])[1]!.value as Forge.asn1.Asn1[])[0]!);
    parts.splice(2, 1);
    return {
      digest: name, expected: Buffer.from(digest!.value as string, 'binary'), salt: salt!.value as string,
      iterations: iterations ? asn1.derToInteger(iterations.value as string) : 1, content,
    };
  } catch (e) {
    throw fail('GH_PFX_INVALID', `The PFX integrity check (MAC) cannot be read (${(e as Error).message}). Export it again from its source.`, e);
  }
}

function octetContent(node: Forge.asn1.Asn1): Buffer {
  const forge = loadForge();
  const { asn1 } = forge;
  if (typeof node.value === 'string') return Buffer.from(node.value, 'binary');
  return Buffer.concat((node.value as Forge.asn1.Asn1[]).map(octetContent));
}

function macMatches(mac: MacData, password: string | null): boolean {
  const forge = loadForge();
  const { pkcs12 } = forge;
  const length = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 }[mac.digest];
  const key = pkcs12.generateKey(password as string, forge.util.createBuffer(mac.salt), 3, mac.iterations, length, forge.md[mac.digest].create());
  const actual = createHmac(mac.digest, Buffer.from(key.getBytes(), 'binary')).update(mac.content).digest();
  return actual.length === mac.expected.length && timingSafeEqual(actual, mac.expected);
}

function declineToDecode(): never {
  throw new Error('keep the original ASN.1');
}

export interface PfxWriteOptions {
  password: string;
  friendlyName?: string | undefined;
  /** Legacy: 3DES key encryption and a SHA-1 MAC, for Windows Server 2016 and older. */
  legacy?: boolean;
  iterations?: number;
}

/**
 * Writes a PFX that `openssl pkcs12` and Windows open. Modern: the key as PKCS#8 encrypted by
 * node's native crypto with PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) and an HMAC-SHA-256 MAC, what
 * OpenSSL 3 writes by default. Legacy: pbeWithSHAAnd3-KeyTripleDES-CBC and HMAC-SHA-1.
 * The leaf and its chain go in one certificate bag each; the leaf and key share a localKeyId.
 */
export function writePfx(leaf: Buffer, chain: readonly Buffer[], key: KeyObject, options: PfxWriteOptions): Buffer {
  const forge = loadForge();
  const { asn1, pki, pkcs12 } = forge;
  const iterations = options.iterations ?? (options.legacy ? 2048 : 2048);
  const localKeyId = forge.md.sha1.create().update(leaf.toString('binary')).digest().getBytes();
  const attrs = (withName: boolean) => {
    const list: Forge.asn1.Asn1[] = [bagAttribute(pki.oids.localKeyId!, asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, localKeyId))];
    if (withName && options.friendlyName) {
      list.push(bagAttribute(pki.oids.friendlyName!, asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BMPSTRING, false, options.friendlyName)));
    }
    return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, list);
  };

  const certBags = [leaf, ...chain].map((der, i) =>
    seq([
      oid(pki.oids.certBag!),
      explicit0([seq([oid(pki.oids.x509Certificate!), explicit0([octets(der.toString('binary'))])])]),
      ...(i === 0 ? [attrs(true)] : []),
    ]),
  );

  let shrouded: Forge.asn1.Asn1;
  if (options.legacy) {
    const info = asn1.fromDer(forge.util.createBuffer(pkcs8Der(key).toString('binary')));
    shrouded = pki.encryptPrivateKeyInfo(info, options.password, { algorithm: '3des', count: iterations, saltSize: 8 });
  } else {
    const encrypted = key.export({ type: 'pkcs8', format: 'der', cipher: 'aes-256-cbc', passphrase: options.password });
    shrouded = asn1.fromDer(forge.util.createBuffer(encrypted.toString('binary')));
  }
  const keyBag = seq([oid(pki.oids.pkcs8ShroudedKeyBag!), explicit0([shrouded]), attrs(true)]);

  const dataContent = (bags: Forge.asn1.Asn1[]) =>
    seq([oid(pki.oids.data!), explicit0([octets(asn1.toDer(seq(bags)).getBytes())])]);
  const authSafe = seq([dataContent(certBags), dataContent([keyBag])]);
  const authSafeDer = asn1.toDer(authSafe).getBytes();

  const digest = options.legacy ? 'sha1' : 'sha256';
  const macLength = options.legacy ? 20 : 32;
  const salt = randomBytes(options.legacy ? 8 : 16);
  const macKey = pkcs12.generateKey(options.password, forge.util.createBuffer(salt.toString('binary')), 3, iterations, macLength, forge.md[digest].create());
  const mac = createHmac(digest, Buffer.from(macKey.getBytes(), 'binary')).update(Buffer.from(authSafeDer, 'binary')).digest();
  const macOid = options.legacy ? pki.oids.sha1! : pki.oids.sha256!;
  const macData = seq([
    seq([seq([oid(macOid), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '')]), octets(mac.toString('binary'))]),
    octets(salt.toString('binary')),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(iterations).getBytes()),
  ]);
  const pfx = seq([
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(3).getBytes()),
    seq([oid(pki.oids.data!), explicit0([octets(authSafeDer)])]),
    macData,
  ]);
  return Buffer.from(asn1.toDer(pfx).getBytes(), 'binary');
}

function seq(items: Forge.asn1.Asn1[]): Forge.asn1.Asn1 {
  const forge = loadForge();
  const { asn1 } = forge;
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);
}
function oid(id: string): Forge.asn1.Asn1 {
  const forge = loadForge();
  const { asn1 } = forge;
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(id).getBytes());
}
function octets(bytes: string): Forge.asn1.Asn1 {
  const forge = loadForge();
  const { asn1 } = forge;
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, bytes);
}
function explicit0(items: Forge.asn1.Asn1[]): Forge.asn1.Asn1 {
  const forge = loadForge();
  const { asn1 } = forge;
  return asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, items);
}
function bagAttribute(id: string, value: Forge.asn1.Asn1): Forge.asn1.Asn1 {
  const forge = loadForge();
  const { asn1 } = forge;
  return seq([oid(id), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, [value])]);
}
