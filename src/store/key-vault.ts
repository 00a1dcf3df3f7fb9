import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { fail } from '../model/gatehouse-error.js';

const VERSION = 1;
const AAD = Buffer.from('gatehouse private key v1');

/**
 * Seals private keys at rest with AES-256-GCM under the master key, which lives outside the
 * database. A sealed blob is: version (1 byte) | IV (12) | tag (16) | ciphertext. Tampering, or a
 * different master key, fails authentication instead of yielding a wrong key.
 */
export class KeyVault {
  readonly #key: Buffer;
  /** A short public fingerprint of the master key, kept in the database to detect a wrong key early. */
  readonly keyId: string;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw fail('GH_MASTER_KEY_INVALID', 'The master key must be 32 bytes (base64 or hex in master.key or $GATEHOUSE_MASTER_KEY).');
    this.#key = masterKey;
    this.keyId = createHash('sha256').update('gatehouse master key id').update(masterKey).digest('hex').slice(0, 16);
  }

  seal(plain: Buffer): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(AAD);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
  }

  open(sealed: Buffer): Buffer {
    if (sealed[0] !== VERSION || sealed.length < 29) throw fail('GH_MASTER_KEY_INVALID', 'A stored private key is in an unknown format; the database may be damaged.');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, sealed.subarray(1, 13));
    decipher.setAAD(AAD);
    decipher.setAuthTag(sealed.subarray(13, 29));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]);
    } catch {
      throw fail('GH_MASTER_KEY_INVALID', 'A stored private key cannot be decrypted: the master key is not the one the store was made with. Restore the original master.key or $GATEHOUSE_MASTER_KEY.');
    }
  }
}
