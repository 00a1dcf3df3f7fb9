import { readFile, stat } from 'node:fs/promises';

/** A small file served from memory, with the headers `send` gave it the last time it read it from disk. */
export interface HotFile {
  body: Buffer;
  headers: Record<string, string>;
  etag: string;
  lastModified: string;
  checked: number;
}

export interface HotFileLimits {
  /** Files larger than this are always streamed from disk. */
  maxFileBytes: number;
  /** Memory for all cached bodies together. */
  maxTotalBytes: number;
  /** How long an entry is trusted before the next request goes to disk again (and refreshes it). */
  validMs: number;
}

const DEFAULTS: HotFileLimits = { maxFileBytes: 64 * 1024, maxTotalBytes: 32 * 1024 * 1024, validMs: 1000 };

/**
 * Small, often-requested static files kept in memory, as nginx's open_file_cache keeps descriptors:
 * an entry is made only after `send` has served that exact URL path from that root with a 200 —
 * so every path check (decoding, traversal, dotfiles) has been made by `send` — and it is trusted
 * for `validMs`; after that the next request goes through `send` again, which refreshes the entry.
 * A changed file is therefore served within `validMs` of the change. Least recently used entries
 * go first when memory runs out.
 */
export class HotFiles {
  readonly #files = new Map<string, HotFile>();
  #bytes = 0;

  constructor(
    private readonly limits: HotFileLimits = DEFAULTS,
    private readonly now: () => number = Date.now,
  ) {}

  lookup(root: string, urlPath: string): HotFile | undefined {
    const key = `${root}\0${urlPath}`;
    const hit = this.#files.get(key);
    if (!hit) return undefined;
    if (this.now() - hit.checked > this.limits.validMs) {
      this.#drop(key, hit);
      return undefined;
    }
    this.#files.delete(key);
    this.#files.set(key, hit);
    return hit;
  }

  /**
   * Reads `filePath` into memory for `urlPath` after `send` served it with `headers`; skipped when
   * the file is large or changed between `send`'s look and ours (its ETag would not match the body).
   */
  async remember(root: string, urlPath: string, filePath: string, size: number, mtimeMs: number, headers: Record<string, string>): Promise<void> {
    if (size > this.limits.maxFileBytes || !headers.etag || !headers['last-modified']) return;
    try {
      const body = await readFile(filePath);
      const after = await stat(filePath);
      if (body.length !== size || after.size !== size || after.mtimeMs !== mtimeMs) return;
      const key = `${root}\0${urlPath}`;
      const old = this.#files.get(key);
      if (old) this.#drop(key, old);
      this.#files.set(key, { body, headers, etag: headers.etag, lastModified: headers['last-modified'], checked: this.now() });
      this.#bytes += body.length;
      for (const [k, f] of this.#files) {
        if (this.#bytes <= this.limits.maxTotalBytes) break;
        this.#drop(k, f);
      }
    } catch {
      // The file went away or cannot be read: it is simply not cached.
    }
  }

  #drop(key: string, file: HotFile): void {
    this.#files.delete(key);
    this.#bytes -= file.body.length;
  }
}
