import { createPrivateKey, createPublicKey, generateKeyPair as nodeGenerateKeyPair, webcrypto, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { fail } from '../model/gatehouse-error.js';
import type { KeyType } from '../model/key-type.js';

const generate = promisify(nodeGenerateKeyPair);

/** A key pair held as native KeyObjects: the private half never leaves node's crypto except when exported on request. */
export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** Generates a key pair with native crypto (OpenSSL underneath), never a JavaScript generator. */
export async function generateKeyPair(type: KeyType): Promise<KeyPair> {
  switch (type) {
    case 'ecdsa-p256':
      return generate('ec', { namedCurve: 'prime256v1' });
    case 'ecdsa-p384':
      return generate('ec', { namedCurve: 'secp384r1' });
    case 'rsa-2048':
      return generate('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
    case 'rsa-3072':
      return generate('rsa', { modulusLength: 3072, publicExponent: 0x10001 });
    case 'rsa-4096':
      return generate('rsa', { modulusLength: 4096, publicExponent: 0x10001 });
  }
}

/** Names a key the way the CLI does (`rsa-2048`, `ecdsa-p256`); never throws. */
export function keyTypeName(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return `rsa-${details.modulusLength ?? 0}`;
  if (key.asymmetricKeyType === 'ec') {
    const curve = details.namedCurve;
    if (curve === 'prime256v1') return 'ecdsa-p256';
    if (curve === 'secp384r1') return 'ecdsa-p384';
    if (curve === 'secp521r1') return 'ecdsa-p521';
    return `ecdsa-${curve ?? 'unknown'}`;
  }
  return key.asymmetricKeyType ?? 'unknown';
}

/**
 * Refuses keys Gatehouse cannot serve with (RSA under 2048 bits, curves other than P-256/P-384/P-521,
 * EdDSA): browsers reject them, so storing one would only fail later at a handshake.
 */
export function assertServableKey(key: KeyObject): void {
  const name = keyTypeName(key);
  if (key.asymmetricKeyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) throw fail('GH_KEY_UNSUPPORTED', `The key is RSA with ${bits} bits; clients refuse RSA keys under 2048 bits. Make a new request with a 2048-bit or larger key.`);
    return;
  }
  if (name === 'ecdsa-p256' || name === 'ecdsa-p384' || name === 'ecdsa-p521') return;
  throw fail('GH_KEY_UNSUPPORTED', `The key type ${name} is not supported for TLS serving; use RSA (2048 bits or more) or ECDSA P-256/P-384.`);
}

/** The DER SubjectPublicKeyInfo of a key: what a certificate and a request are matched by. */
export function spkiDer(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ type: 'spki', format: 'der' });
}

/** The private key as unencrypted PKCS#8 DER, for encryption at rest or an export the user asked for. */
export function pkcs8Der(key: KeyObject): Buffer {
  return key.export({ type: 'pkcs8', format: 'der' });
}

export function privateKeyFromPkcs8(der: Buffer): KeyObject {
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

/** The WebCrypto algorithms for signing with this key: SHA-256 for RSA and P-256, SHA-384 for P-384. */
export function signingAlgorithm(key: KeyObject): { importParams: RsaHashedImportParams | EcKeyImportParams; sign: Algorithm | EcdsaParams } {
  if (key.asymmetricKeyType === 'rsa') {
    const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    return { importParams: alg, sign: alg };
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const named = curve === 'secp384r1' ? 'P-384' : curve === 'secp521r1' ? 'P-521' : 'P-256';
  const hash = named === 'P-384' ? 'SHA-384' : named === 'P-521' ? 'SHA-512' : 'SHA-256';
  return { importParams: { name: 'ECDSA', namedCurve: named }, sign: { name: 'ECDSA', hash } };
}

/** Imports a native key pair into WebCrypto (still native) for the X.509 builders. */
export async function toCryptoKeyPair(pair: KeyPair): Promise<CryptoKeyPair> {
  const { importParams } = signingAlgorithm(pair.privateKey);
  const subtle = webcrypto.subtle;
  const privateKey = await subtle.importKey('pkcs8', pkcs8Der(pair.privateKey), importParams, false, ['sign']);
  const publicKey = await subtle.importKey('spki', spkiDer(pair.publicKey), importParams, true, ['verify']);
  return { privateKey, publicKey } as CryptoKeyPair;
}

/** Rebuilds the pair from the private key alone. */
export function keyPairOf(privateKey: KeyObject): KeyPair {
  return { privateKey, publicKey: createPublicKey(privateKey) };
}
