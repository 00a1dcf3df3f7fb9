import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Site } from '../model/site.js';
import { canonicalAddress } from '../config/ip-address.js';

/** What one finished request leaves in its site's access log. */
export interface AccessRecord {
  /** When the request arrived, in milliseconds since the epoch (`Date.now()`: no Date object per request). */
  at: number;
  serverAddress: string;
  serverPort: number;
  method: string;
  url: string;
  clientAddress: string;
  userAgent: string;
  referer: string;
  status: number;
  bytes: number;
  httpVersion: string;
  millis: number;
  /** The TLS key exchange group of the connection (`X25519MLKEM768`, `X25519`, …); '' over plain http. */
  tlsGroup: string;
}

/**
 * The fields IIS writes by default, in its order, then the TLS key exchange group as an
 * application-specific field (the W3C format's `x-` prefix), last so readers of IIS's fields by
 * position are not disturbed.
 */
export const W3C_FIELDS = 'date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs-version cs(User-Agent) cs(Referer) sc-status sc-bytes time-taken x-tls-group';

/**
 * One line per request in the site's format (built with one template, the date part cached per
 * second). W3C extended as IIS writes it (UTC date and time, `-` for empty fields, `+` for
 * spaces), or the combined log format of Apache and nginx; both end with the TLS key exchange
 * group (`-` over plain http). A site whose log is `off` has no line.
 */
export function formatAccessLine(format: Site['logFormat'], r: AccessRecord): string {
  if (format === 'off') return '';
  const stamp = stampOf(r.at);
  if (format === 'w3c') {
    const q = r.url.indexOf('?');
    const path = q < 0 ? r.url : r.url.slice(0, q);
    const query = q < 0 ? '' : r.url.slice(q + 1);
    return `${stamp.w3c} ${canonical(r.serverAddress)} ${r.method} ${field(path)} ${field(query)} ${r.serverPort} - ${canonical(r.clientAddress)} HTTP/${r.httpVersion} ${field(r.userAgent)} ${field(r.referer)} ${r.status} ${r.bytes} ${Math.round(r.millis)} ${field(r.tlsGroup)}`;
  }
  return `${canonical(r.clientAddress)} - - [${stamp.clf}] "${quoted(`${r.method} ${r.url} HTTP/${r.httpVersion}`)}" ${r.status} ${r.bytes} "${quoted(r.referer || '-')}" "${quoted(r.userAgent || '-')}" ${r.tlsGroup || '-'}`;
}

const SPACE = /\s/g;
const QUOTE = /["\\]/g;

function field(v: string): string {
  return v === '' ? '-' : v.replace(SPACE, '+');
}

function quoted(v: string): string {
  return v.replace(QUOTE, '\\$&');
}

function canonical(address: string): string {
  return canonicalAddress(address) ?? (address || '-');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The date parts of both formats for one second, worked out once per second (not per request). */
interface Stamp {
  second: number;
  /** `2026-11-28 16:47:22` (W3C's date and time fields). */
  w3c: string;
  /** `28/Nov/2026:16:47:22 +0000` (the combined format's). */
  clf: string;
}

let last: Stamp = { second: NaN, w3c: '', clf: '' };

function stampOf(ms: number): Stamp {
  const second = Math.floor(ms / 1000);
  if (second === last.second) return last;
  const d = new Date(second * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  const time = `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
  last = {
    second,
    w3c: `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${time}`,
    clf: `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${time} +0000`,
  };
  return last;
}

/** How the access logs are written: lines gather in memory and go to the file in one write per batch. */
export interface AccessLogOptions {
  /** A batch is written at least this often (and at close). */
  flushMs: number;
  /** A file's batch is written at once when it reaches this many characters: the memory a log holds is bounded. */
  maxBufferChars: number;
}

export const ACCESS_LOG_DEFAULTS: AccessLogOptions = { flushMs: 1000, maxBufferChars: 64 * 1024 };

/** One site's log file: its descriptor (opened on the site's first line) and the lines not yet written. */
interface LogFile {
  /** undefined: could not be opened (its lines are dropped, as a full disk would). */
  fd: number | undefined;
  pending: string;
}

/**
 * Access logs, one file per site in a folder (`<site>.log`), opened on a site's first request and
 * appended to; W3C files start with IIS's directive lines. One buffered writer per file: lines are
 * appended to the file's batch, and the batch goes to the file in a single `write` — every
 * `flushMs`, when it reaches `maxBufferChars`, and at close (shutdown). Each batch holds whole
 * lines, and the file is opened for appending, so the workers' lines never interleave mid-line.
 */
export class AccessLogs {
  readonly #files = new Map<string, LogFile>();
  readonly #options: AccessLogOptions;
  readonly #timer: NodeJS.Timeout;
  /** A process that ends without closing the logs (process.exit: out of descriptors, say) still writes its last batch. */
  readonly #atExit = () => this.flush();

  constructor(private readonly dir: string, options: Partial<AccessLogOptions> = {}) {
    this.#options = { ...ACCESS_LOG_DEFAULTS, ...options };
    this.#timer = setInterval(() => this.flush(), this.#options.flushMs);
    this.#timer.unref();
    process.on('exit', this.#atExit);
  }

  write(site: Site, record: AccessRecord): void {
    if (site.logFormat === 'off') return;
    const file = this.#files.get(site.name) ?? this.#open(site, record.at);
    file.pending += `${formatAccessLine(site.logFormat, record)}\n`;
    if (file.pending.length >= this.#options.maxBufferChars) writeOut(file);
  }

  /** Writes every file's batch now. */
  flush(): void {
    for (const file of this.#files.values()) writeOut(file);
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    process.off('exit', this.#atExit);
    this.flush();
    for (const file of this.#files.values()) {
      if (file.fd !== undefined) closeSync(file.fd);
    }
    this.#files.clear();
  }

  #open(site: Site, at: number): LogFile {
    const file: LogFile = { fd: undefined, pending: '' };
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o750 });
      file.fd = openSync(join(this.dir, `${site.name.replace(/[^A-Za-z0-9._-]/g, '_')}.log`), 'a', 0o640);
    } catch {
      // An unwritable log folder must not stop the site from serving; its lines are dropped.
    }
    if (site.logFormat === 'w3c') file.pending = `#Software: Gatehouse\n#Version: 1.0\n#Date: ${stampOf(at).w3c}\n#Fields: ${W3C_FIELDS}\n`;
    this.#files.set(site.name, file);
    return file;
  }
}

/** One write of a file's whole batch (a short write, rare on a regular file, is finished at once). */
function writeOut(file: LogFile): void {
  if (file.pending === '') return;
  const data = Buffer.from(file.pending);
  file.pending = '';
  if (file.fd === undefined) return;
  try {
    for (let done = 0; done < data.length;) done += writeSync(file.fd, data, done);
  } catch {
    // A full disk or a removed folder loses this batch; serving goes on.
  }
}
