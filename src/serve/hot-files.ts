import { readFile, stat } from 'node:fs/promises';

/** A small file served from memory, with the headers `send` gave it the last time it read it from disk. */
export interface HotFile {
  body: Buffer;
  headers: Record<string, string>;
  etag: string;
  lastModified: string;
  checked: number;
  /** The file on disk and what it was when read: a revalidation compares them with one stat, no open. */
  filePath: string;
  size: number;
  mtimeMs: number;
}

export interface HotFileLimits {
  /** Files larger than this are always streamed from disk. */
  maxFileBytes: number;
  /** Memory for all entries together: bodies, keys, headers and a fixed cost per entry. */
  maxTotalBytes: number;
  /** How many entries at most (0: nothing is kept, every request goes to disk). */
  maxEntries: number;
  /** How long an entry is trusted before the next request checks the file on disk again (one stat). */
  validMs: number;
}

export const HOT_FILE_DEFAULTS: HotFileLimits = { maxFileBytes: 64 * 1024, maxTotalBytes: 32 * 1024 * 1024, maxEntries: 10_000, validMs: 1000 };

/** What an entry costs beyond its body, key and headers: the Map slot, the entry and Buffer objects (an estimate on the safe side). */
const ENTRY_OVERHEAD = 256;

/**
 * Small, often-requested static files kept in memory, as nginx's open_file_cache keeps descriptors:
 * an entry is made only after `send` has served that exact URL path from that root with a 200 —
 * so every path check (decoding, traversal, dotfiles) has been made by `send` — and it is trusted
 * for `validMs`; after that the next request revalidates it with one `stat` (no descriptor opened:
 * a client that resets its streams cannot make the server open files) — same size and modification
 * time: trusted again; changed or gone: dropped, and `send` serves the file (and refreshes the entry).
 * A changed file is therefore never served more than `validMs` after the change.
 *
 * Clients choose the URLs, so the memory is bounded by what they cannot choose: only the one
 * canonical spelling of a path is kept (`/a.css`, not `//a.css`, `/x/../a.css` or `/%61.css`), which
 * ties the number of entries to the files on disk; and the entries, and everything they hold
 * (key and headers as well as the body), are capped — least recently used entries go first.
 */
export class HotFiles {
  readonly #files = new Map<string, HotFile & { cost: number }>();
  /** Revalidations under way, so that a burst of requests for a stale entry makes one stat. */
  readonly #revalidating = new Map<string, Promise<HotFile | undefined>>();
  #bytes = 0;
  readonly #limits: HotFileLimits;

  constructor(limits: Partial<HotFileLimits> = {}, private readonly now: () => number = Date.now) {
    this.#limits = { ...HOT_FILE_DEFAULTS, ...limits };
  }

  /** How many entries are kept now. */
  get entries(): number {
    return this.#files.size;
  }

  /** The memory the entries are counted as (bodies, keys, headers and the fixed cost per entry). */
  get bytes(): number {
    return this.#bytes;
  }

  /** The entry for a path when it is fresh, `stale` when it must be revalidated first, undefined when there is none. */
  lookup(root: string, urlPath: string): HotFile | 'stale' | undefined {
    const key = `${root}\0${urlPath}`;
    const hit = this.#files.get(key);
    if (!hit) return undefined;
    if (this.now() - hit.checked > this.#limits.validMs) return 'stale';
    this.#files.delete(key);
    this.#files.set(key, hit);
    return hit;
  }

  /**
   * Checks a stale entry against the file with one `stat` (shared by every request that asks
   * meanwhile): unchanged → trusted for another `validMs` and returned; changed, gone or unreadable
   * → dropped, undefined (`send` then serves the file from disk).
   */
  revalidate(root: string, urlPath: string): Promise<HotFile | undefined> {
    const key = `${root}\0${urlPath}`;
    const pending = this.#revalidating.get(key);
    if (pending) return pending;
    const hit = this.#files.get(key);
    if (!hit) return Promise.resolve(undefined);
    const check = stat(hit.filePath).then(
      (st) => st.isFile() && st.size === hit.size && st.mtimeMs === hit.mtimeMs,
      () => false,
    ).then((same) => {
      this.#revalidating.delete(key);
      if (this.#files.get(key) !== hit) {
        const now = this.lookup(root, urlPath);
        return now === 'stale' ? undefined : now;
      }
      if (!same) {
        this.#drop(key);
        return undefined;
      }
      hit.checked = this.now();
      return hit;
    });
    this.#revalidating.set(key, check);
    return check;
  }

  /**
   * Reads `filePath` into memory for `urlPath` after `send` served it with `headers`; skipped when
   * the file is large, the path is not the canonical spelling, or the file changed between `send`'s
   * look and ours (its ETag would not match the body).
   */
  async remember(root: string, urlPath: string, filePath: string, size: number, mtimeMs: number, headers: Record<string, string>): Promise<void> {
    const { maxFileBytes, maxEntries, maxTotalBytes } = this.#limits;
    if (maxEntries < 1 || size > maxFileBytes || !headers.etag || !headers['last-modified'] || !isCanonicalPath(urlPath)) return;
    try {
      const body = await readFile(filePath);
      const after = await stat(filePath);
      if (body.length !== size || after.size !== size || after.mtimeMs !== mtimeMs) return;
      const key = `${root}\0${urlPath}`;
      let cost = body.length + key.length + ENTRY_OVERHEAD;
      for (const [name, value] of Object.entries(headers)) cost += name.length + value.length;
      if (cost > maxTotalBytes) return;
      this.#drop(key);
      this.#files.set(key, { body, headers, etag: headers.etag, lastModified: headers['last-modified'], checked: this.now(), cost, filePath, size, mtimeMs });
      this.#bytes += cost;
      // The Map iterates in insertion order and a hit moves its entry to the end: the first ones are the least recently used.
      for (const k of this.#files.keys()) {
        if (this.#bytes <= maxTotalBytes && this.#files.size <= maxEntries) break;
        this.#drop(k);
      }
    } catch {
      // The file went away or cannot be read: it is simply not cached.
    }
  }

  #drop(key: string): void {
    const file = this.#files.get(key);
    if (!file) return;
    this.#files.delete(key);
    this.#bytes -= file.cost;
  }
}

/**
 * Whether `urlPath` is the spelling a browser sends for its file: no empty, `.` or `..` segment, no
 * backslash, and percent-escapes exactly where `encodeURI` puts them (upper-case hex, nothing escaped
 * that need not be, no escaped `/`). Other spellings of the same file are served from disk.
 */
export function isCanonicalPath(urlPath: string): boolean {
  if (!urlPath.startsWith('/') || urlPath.includes('\\') || /\/\/|\/\.\.?(?:\/|$)/.test(urlPath)) return false;
  try {
    return encodeURI(decodeURIComponent(urlPath)) === urlPath;
  } catch {
    return false;
  }
}
