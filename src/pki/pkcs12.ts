import { createHmac, randomBytes, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { fail } from '../model/gatehouse-error.js';
import { pkcs8Der, privateKeyFromPkcs8 } from './key-pair.js';

/** What a PFX held: its certificates (DER, as stored), its private key and the friendly name Windows wrote. */
export interface PfxContents {
  certificates: Buffer[];
  privateKey: KeyObject | undefined;
  friendlyName: string | undefined;
}

const { asn1, pki, pkcs12 } = forge;

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
  let der: forge.asn1.Asn1;
  try {
    der = asn1.fromDer(forge.util.createBuffer(data.toString('binary')), { strict: false, decodeBitStrings: true } as never);
  } catch (e) {
    throw fail('GH_PFX_INVALID', 'The file is not a readable PFX/PKCS#12 file (damaged or another format). Export it again from its source.', e);
  }
  const saved = { cert: pki.certificateFromAsn1, key: pki.privateKeyFromAsn1 };
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    (pki as { certificateFromAsn1: unknown }).certificateFromAsn1 = declineToDecode;
    (pki as { privateKeyFromAsn1: unknown }).privateKeyFromAsn1 = declineToDecode;
    p12 = pkcs12.pkcs12FromAsn1(der, false, password);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/MAC could not be verified|wrong password|Invalid password|decrypt/i.test(msg)) {
      throw fail('GH_PFX_BAD_PASSWORD', 'The PFX password is wrong. Give the password the PFX was exported with in --password-file (the file\'s first line).');
    }
    throw fail('GH_PFX_INVALID', `The PFX file cannot be read (${msg}). Export it again from its source.`, e);
  } finally {
    (pki as { certificateFromAsn1: unknown }).certificateFromAsn1 = saved.cert;
    (pki as { privateKeyFromAsn1: unknown }).privateKeyFromAsn1 = saved.key;
  }

  const certificates: Buffer[] = [];
  let privateKey: KeyObject | undefined;
  let friendlyName: string | undefined;
  let keyId: string | undefined;
  const keyBags: forge.pkcs12.Bag[] = [];
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
  const iterations = options.iterations ?? (options.legacy ? 2048 : 2048);
  const localKeyId = forge.md.sha1.create().update(leaf.toString('binary')).digest().getBytes();
  const attrs = (withName: boolean) => {
    const list: forge.asn1.Asn1[] = [bagAttribute(pki.oids.localKeyId!, asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, localKeyId))];
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

  let shrouded: forge.asn1.Asn1;
  if (options.legacy) {
    const info = asn1.fromDer(forge.util.createBuffer(pkcs8Der(key).toString('binary')));
    shrouded = pki.encryptPrivateKeyInfo(info, options.password, { algorithm: '3des', count: iterations, saltSize: 8 });
  } else {
    const encrypted = key.export({ type: 'pkcs8', format: 'der', cipher: 'aes-256-cbc', passphrase: options.password });
    shrouded = asn1.fromDer(forge.util.createBuffer(encrypted.toString('binary')));
  }
  const keyBag = seq([oid(pki.oids.pkcs8ShroudedKeyBag!), explicit0([shrouded]), attrs(true)]);

  const dataContent = (bags: forge.asn1.Asn1[]) =>
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

function seq(items: forge.asn1.Asn1[]): forge.asn1.Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);
}
function oid(id: string): forge.asn1.Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(id).getBytes());
}
function octets(bytes: string): forge.asn1.Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, bytes);
}
function explicit0(items: forge.asn1.Asn1[]): forge.asn1.Asn1 {
  return asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, items);
}
function bagAttribute(id: string, value: forge.asn1.Asn1): forge.asn1.Asn1 {
  return seq([oid(id), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, [value])]);
}
