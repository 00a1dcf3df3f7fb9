import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fstatSync, linkSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../model/gatehouse-error.js';

export const MASTER_KEY_FILE = 'master.key';

/** Decodes a master key given as 64 hex digits or base64 of 32 bytes. */
export function decodeMasterKey(text: string, where: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== 32) throw fail('GH_MASTER_KEY_INVALID', `The master key in ${where} is not 32 bytes in hex or base64. Restore the original key.`);
  return key;
}

/**
 * Reads `master.key` from the data directory, creating it (mode 0600) on first use when `create`
 * is allowed. Creation writes a temporary file and hard-links it into place, so two processes
 * starting at once agree on one key and nobody ever reads a half-written file.
 */
export function loadMasterKeyFile(dataDir: string, create: boolean): Buffer {
  const path = join(dataDir, MASTER_KEY_FILE);
  try {
    return readPrivateKeyFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (!create) {
    throw fail('GH_MASTER_KEY_INVALID', `The store holds private keys but ${path} is missing. Restore the master key file (or set $GATEHOUSE_MASTER_KEY); without it the keys cannot be read.`);
  }
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(tmp, 0o600);
  try {
    linkSync(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
  return readPrivateKeyFile(path);
}

/**
 * Reads master.key, refusing it when its mode lets anyone but its owner read or write it (as ssh
 * refuses such a private key): whoever could read it may have copied it, and with the database it
 * opens every private key, so the administrator must know rather than be told afterwards. Not
 * repaired silently: a chmod would hide that the key was exposed, and the fix is one command.
 */
function readPrivateKeyFile(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const mode = fstatSync(fd).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      const octal = `0${mode.toString(8).padStart(3, '0')}`;
      throw fail('GH_MASTER_KEY_EXPOSED', `${path} can be ${mode & 0o044 ? 'read' : 'written'} by users other than its owner (mode ${octal}), and with the database it opens every private key in the store, so Gatehouse does not use it. Make it private with: chmod 600 ${path}. If others may have read it, treat the stored keys as exposed: make new keys and certificates and revoke the old ones.`);
    }
    return decodeMasterKey(readFileSync(fd, 'utf8'), path);
  } finally {
    closeSync(fd);
  }
}
