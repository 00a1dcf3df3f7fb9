import { resolve } from 'node:path';
import { fail } from '../model/gatehouse-error.js';
import { opt } from '../model/wording.js';
import { copyStore, type CopyOptions, type CopySummary, type StoreLocation } from '../store/copy.js';
import { isPostgresUrl, redact } from '../store/postgres.js';
import { missingDirectories, removeNewDataDirectory } from './data-directory.js';

export type { CopySummary, StoreLocation } from '../store/copy.js';

/**
 * `store copy`: copies the store at `from` into `to` — a postgres:// URL, or a data directory for
 * SQLite (relative to `cwd`). A data directory the copy made is removed again when it fails.
 */
export function copyStoreTo(from: StoreLocation, to: string, cwd: string, options: CopyOptions = {}): CopySummary {
  if (!isPostgresUrl(to) && /^[a-z][a-z0-9+.-]*:\/\//i.test(to)) {
    throw fail('GH_USAGE', `The target ${redact(to)} is neither a postgres:// URL nor a data directory: give ${opt('to')} postgres://USER:PASSWORD@HOST:PORT/DATABASE[?schema=NAME] or a directory.`);
  }
  const target: StoreLocation = isPostgresUrl(to) ? { dataDir: from.dataDir, store: to } : { dataDir: resolve(cwd, to) };
  const source: StoreLocation = from.store ? from : { dataDir: resolve(cwd, from.dataDir) };
  const made = target.store ? [] : missingDirectories(target.dataDir);
  try {
    return copyStore(source, target, options);
  } catch (e) {
    if (made.length > 0) removeNewDataDirectory(made);
    throw e;
  }
}
