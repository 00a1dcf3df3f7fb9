import { checkPrimeSync, createECDH, createPrivateKey, createPublicKey, generateKeyPair as nodeGenerateKeyPair, sign, verify, webcrypto, type JsonWebKey, type KeyObject } from 'node:crypto';
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

/**
 * Refuses a private key whose parts do not agree — what `openssl pkey -check` finds: for RSA,
 * n = p·q with p and q prime, e·d ≡ 1 modulo p−1 and q−1, and the CRT values dp, dq, qi that
 * follow from them; for EC, the public point is the private value times the generator (so on the
 * curve). OpenSSL reads such keys without a word and, for RSA, even signs correctly by falling back
 * from a bad CRT result to d, so a sign-and-verify round alone would pass a key that fails on
 * clients; the arithmetic is checked here, then a signature made with the key must verify with its
 * public half. `where` names the key for the message ("The private key in key.pem").
 */
export function assertConsistentKey(key: KeyObject, where: string): void {
  const damaged = (what: string) => fail('GH_KEY_DAMAGED', `${where} is damaged: ${what}. A server with it could not complete a TLS handshake. Use an undamaged copy of the key (the one made with the certificate's request), or export the certificate with its key again from its source.`);
  let jwk: JsonWebKey;
  try {
    jwk = key.export({ format: 'jwk' });
  } catch (e) {
    throw damaged(`its parts cannot be read (${(e as Error).message})`);
  }
  if (key.asymmetricKeyType === 'rsa') {
    const n = big(jwk.n), e = big(jwk.e), d = big(jwk.d);
    if (n === undefined || e === undefined || d === undefined) throw damaged('its modulus, public exponent or private exponent is missing');
    const p = big(jwk.p), q = big(jwk.q), dp = big(jwk.dp), dq = big(jwk.dq), qi = big(jwk.qi);
    if (p !== undefined && q !== undefined) {
      if (p * q !== n) throw damaged('its modulus is not the product of its two primes');
      if (!checkPrimeSync(p) || !checkPrimeSync(q)) throw damaged('one of its primes is not prime');
      if ((e * d) % (p - 1n) !== 1n || (e * d) % (q - 1n) !== 1n) throw damaged('its private exponent d does not invert the public exponent e (d·e is not congruent to 1)');
      if (dp !== undefined && dp !== d % (p - 1n)) throw damaged('its CRT exponent dp is not d mod (p−1)');
      if (dq !== undefined && dq !== d % (q - 1n)) throw damaged('its CRT exponent dq is not d mod (q−1)');
      if (qi !== undefined && (qi * q) % p !== 1n) throw damaged('its CRT coefficient qi is not the inverse of q mod p');
    }
  } else if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (!curve || !jwk.d || !jwk.x || !jwk.y) throw damaged('its curve, private value or public point is missing');
    let derived: Buffer;
    try {
      const ecdh = createECDH(curve);
      ecdh.setPrivateKey(Buffer.from(jwk.d, 'base64url'));
      derived = ecdh.getPublicKey();
    } catch {
      throw damaged('its private value is out of range for the curve');
    }
    const stored = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
    if (!derived.equals(stored)) throw damaged('its public point is not its private value times the curve\'s generator (or not on the curve)');
  }
  const probe = Buffer.from('gatehouse key check');
  let verified = false;
  try {
    verified = verify('sha256', probe, createPublicKey(key), sign('sha256', probe, key));
  } catch {
    verified = false;
  }
  if (!verified) throw damaged('a signature made with it does not verify with its public key');
}

function big(b64url: string | undefined): bigint | undefined {
  return b64url === undefined ? undefined : BigInt(`0x${Buffer.from(b64url, 'base64url').toString('hex') || '0'}`);
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
