import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fail } from '../model/gatehouse-error.js';

/** Certificates, keys, CSRs and PFX files are a few kilobytes; anything past this is the wrong file. */
export const MAX_INPUT_BYTES = 1024 * 1024;

/** Reads a user-named input file, refusing missing, unreadable and oversized ones with a clear error. */
export function readInputFile(cwd: string, path: string): { data: Buffer; name: string } {
  const full = resolve(cwd, path);
  let size: number;
  try {
    const st = statSync(full);
    if (st.isDirectory()) throw fail('GH_FILE_NOT_FOUND', `${path} is a directory; give a file.`);
    size = st.size;
  } catch (e) {
    if ((e as { code?: string }).code === 'GH_FILE_NOT_FOUND') throw e;
    throw fail('GH_FILE_NOT_FOUND', `The file ${path} does not exist or cannot be read. Check the path.`);
  }
  if (size > MAX_INPUT_BYTES) {
    throw fail('GH_FILE_TOO_LARGE', `${path} is ${(size / 1048576).toFixed(1)} MiB; certificate, key and PFX files are a few kilobytes. Check that this is the right file.`);
  }
  try {
    return { data: readFileSync(full), name: basename(path) };
  } catch {
    throw fail('GH_FILE_NOT_FOUND', `The file ${path} cannot be read. Check its permissions.`);
  }
}

/** A password file's first line (trailing newline and CR removed), as `openssl -passin file:` reads it. */
export function readPasswordFile(cwd: string, path: string): string {
  const { data } = readInputFile(cwd, path);
  return data.toString('utf8').split(/\r?\n/)[0] ?? '';
}

/**
 * Writes an output file atomically (temporary file, fsync, rename) so a crash never leaves half a
 * certificate or key behind. Files that may hold keys get mode 0600.
 */
export function writeOutputFile(cwd: string, path: string, data: Buffer | string, mode = 0o600): string {
  const full = resolve(cwd, path);
  const tmp = join(dirname(full), `.${basename(full)}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', mode);
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, full);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw fail('GH_FILE_NOT_FOUND', `Cannot write ${path} (${(e as Error).message}). Check that the folder exists and is writable.`);
  }
  return full;
}
