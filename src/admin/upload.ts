import { fail } from '../model/gatehouse-error.js';

const MAX_FILE = 1024 * 1024;

/** Decodes a file uploaded as base64 in a JSON body, with the CLI's 1 MiB limit. */
export function uploadedFile(base64: string, what: string): Buffer {
  if (!/^[A-Za-z0-9+/=\r\n_-]*$/.test(base64)) throw fail('GH_REQUEST_BODY_INVALID', `The ${what} must be base64-encoded.`);
  const data = Buffer.from(base64, 'base64');
  if (data.length === 0) throw fail('GH_NOT_A_CERTIFICATE', `The ${what} is empty.`);
  if (data.length > MAX_FILE) throw fail('GH_FILE_TOO_LARGE', `The ${what} is ${data.length} bytes; certificates, keys and PFX files are far below 1 MiB. Check that it is the right file.`);
  return data;
}
