import { existsSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DATABASE_FILE } from '../store/database.js';
import { MASTER_KEY_FILE } from '../store/master-key.js';

/**
 * The directories that opening `dataDir` would create: the data directory itself and each of its
 * missing parents, innermost first. Empty when the data directory already exists.
 */
export function missingDirectories(dataDir: string): string[] {
  const missing: string[] = [];
  for (let d = resolve(dataDir); !existsSync(d); d = dirname(d)) {
    missing.push(d);
    if (dirname(d) === d) break;
  }
  return missing;
}

/** What opening a store leaves in a new data directory before any change: the database, its WAL files, the master key. */
const OPENING_FILES = new Set([DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`, `${DATABASE_FILE}-journal`, MASTER_KEY_FILE]);

/**
 * Undoes the creation of a data directory by a command that failed, so a refused
 * `gatehouse cert import --data NEWDIR` leaves no directory and no master key behind. `missing` is
 * what {@link missingDirectories} said before the command ran. The caller has checked that no
 * change was committed (revision 0); on top of that, anything in the directory that opening a
 * store does not make (a file someone put there, a non-empty logs folder) keeps it where it is.
 */
export function removeNewDataDirectory(missing: readonly string[]): void {
  try {
    removeIfOnlyOpened(missing);
  } catch {
    // Best effort: the command's own outcome is what the caller reports.
  }
}

function removeIfOnlyOpened(missing: readonly string[]): void {
  const [dataDir] = missing;
  if (dataDir === undefined || !existsSync(dataDir)) return;
  const entries = readdirSync(dataDir, { withFileTypes: true });
  const removable = (e: (typeof entries)[number]) =>
    (e.isFile() && OPENING_FILES.has(e.name)) || (e.isDirectory() && e.name === 'logs' && readdirSync(join(dataDir, e.name)).length === 0);
  if (!entries.every(removable)) return;
  for (const e of entries) rmSync(join(dataDir, e.name), { recursive: e.isDirectory(), force: true });
  // Innermost first; rmdir removes only empty directories, so whatever else appeared meanwhile stays.
  for (const d of missing) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
  }
}
