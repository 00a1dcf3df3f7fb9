import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Site } from '../model/site.js';
import { canonicalAddress } from '../config/ip-address.js';

/** What one finished request leaves in its site's access log. */
export interface AccessRecord {
  at: Date;
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
 * One line per request in the site's format. W3C extended as IIS writes it (UTC date and time,
 * `-` for empty fields, `+` for spaces), or the combined log format of Apache and nginx; both end
 * with the TLS key exchange group (`-` over plain http).
 */
export function formatAccessLine(format: Site['logFormat'], r: AccessRecord): string {
  const [path = '/', query = ''] = r.url.split(/\?(.*)/s);
  if (format === 'w3c') {
    const iso = r.at.toISOString();
    const field = (v: string) => (v === '' ? '-' : v.replace(/\s/g, '+'));
    return [iso.slice(0, 10), iso.slice(11, 19), canonical(r.serverAddress), r.method, field(path), field(query), String(r.serverPort), '-', canonical(r.clientAddress),
      `HTTP/${r.httpVersion}`, field(r.userAgent), field(r.referer), String(r.status), String(r.bytes), String(Math.round(r.millis)), field(r.tlsGroup)].join(' ');
  }
  const quote = (v: string) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;
  return `${canonical(r.clientAddress)} - - [${clf(r.at)}] ${quote(`${r.method} ${r.url} HTTP/${r.httpVersion}`)} ${r.status} ${r.bytes} ${quote(r.referer || '-')} ${quote(r.userAgent || '-')} ${r.tlsGroup || '-'}`;
}

function canonical(address: string): string {
  return canonicalAddress(address) ?? (address || '-');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function clf(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/**
 * Access logs, one file per site in a folder (`<site>.log`), opened on a site's first request and
 * appended to; W3C files start with IIS's directive lines. Writes are buffered by the stream.
 */
export class AccessLogs {
  readonly #streams = new Map<string, WriteStream>();

  constructor(private readonly dir: string) {}

  write(site: Site, record: AccessRecord): void {
    let stream = this.#streams.get(site.name);
    if (!stream) {
      mkdirSync(this.dir, { recursive: true, mode: 0o750 });
      stream = createWriteStream(join(this.dir, `${site.name.replace(/[^A-Za-z0-9._-]/g, '_')}.log`), { flags: 'a', mode: 0o640 });
      stream.on('error', () => undefined);
      if (site.logFormat === 'w3c') {
        stream.write(`#Software: Gatehouse\n#Version: 1.0\n#Date: ${record.at.toISOString().replace('T', ' ').slice(0, 19)}\n#Fields: ${W3C_FIELDS}\n`);
      }
      this.#streams.set(site.name, stream);
    }
    stream.write(`${formatAccessLine(site.logFormat, record)}\n`);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#streams.values()].map((s) => new Promise<void>((resolve) => s.end(() => resolve()))));
    this.#streams.clear();
  }
}
