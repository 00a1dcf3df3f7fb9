import { createPrivateKey, type KeyObject } from 'node:crypto';
import { fail } from '../model/gatehouse-error.js';
import { opt } from '../model/wording.js';

/**
 * Reads a private key in any form administrators meet: PEM PKCS#1 ("RSA PRIVATE KEY"), SEC1
 * ("EC PRIVATE KEY"), PKCS#8, encrypted PKCS#8 or legacy encrypted PEM, or the same as DER.
 * A PEM file that also holds certificates is fine: only the key block is read.
 */
export function readPrivateKey(data: Buffer, password: string | undefined): KeyObject {
  const text = data.toString('latin1');
  const block = text.match(/-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----[\s\S]*?-----END \1-----/);
  const attempts: Array<Parameters<typeof createPrivateKey>[0]> = block
    ? [{ key: block[0], format: 'pem', passphrase: password ?? '' }]
    : [
        { key: data, format: 'der', type: 'pkcs8', passphrase: password ?? '' },
        { key: data, format: 'der', type: 'pkcs1' },
        { key: data, format: 'der', type: 'sec1' },
      ];
  if (!block && text.includes('-----BEGIN')) {
    throw fail('GH_KEY_INVALID', 'The key file holds no private key block ("-----BEGIN ... PRIVATE KEY-----"). Give the file with the private key.');
  }
  const encrypted = block ? /ENCRYPTED|Proc-Type: 4,ENCRYPTED/.test(block[0]) : false;
  let last: unknown;
  for (const attempt of attempts) {
    try {
      return createPrivateKey(attempt);
    } catch (e) {
      last = e;
      const msg = e instanceof Error ? e.message : '';
      const code = (e as { code?: string }).code ?? '';
      if (code === 'ERR_MISSING_PASSPHRASE' || /bad decrypt|passphrase|interrupted or cancelled/i.test(msg) || (encrypted && password !== undefined)) {
        throw fail('GH_KEY_BAD_PASSWORD', password === undefined
          ? `The private key is encrypted; give its password in ${opt('password-file')}.`
          : `The password for the private key is wrong; check the password given in ${opt('password-file')}.`);
      }
    }
  }
  throw fail('GH_KEY_INVALID', 'The key file cannot be read as a private key (PEM or DER; PKCS#1, SEC1 or PKCS#8).', last);
}
