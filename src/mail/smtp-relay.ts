import { DotEnd, type FilterCore, LineSplitter, lineText } from './relay-stream.js';

const EMPTY = Buffer.alloc(0);
/** Longest client line the guard accepts after the upgrade (SASL tokens can be long; Postfix caps lines lower). */
const COMMAND_LIMIT = 16_384;
/** Extensions the client never sees from the backend: TLS is the proxy's, XCLIENT/XFORWARD are for the proxy alone. */
const HIDDEN_EXTENSIONS = new Set(['STARTTLS', 'XCLIENT', 'XFORWARD']);

/**
 * SMTP, client → backend, once relaying: passes commands and mail through, but never a client's
 * own XCLIENT or XFORWARD — the backend trusts those from the proxy's address, and `XCLIENT
 * LOGIN=…` would make anyone an authenticated sender. To know which lines are commands it follows
 * DATA (after the command it waits for the backend's answer: 354 starts the message, which ends at a
 * line with only "."; anything else means more commands) and BDAT (the chunk's size is on its line).
 * `answers` lists, in order, what each reply the backend owes answers, for the reply filter.
 */
export class SmtpCommandGuard implements FilterCore {
  #mode: 'command' | 'await-data' | 'data' | 'bdat' = 'command';
  #bdatLeft = 0;
  readonly #held: Buffer[] = [];
  readonly #lines = new LineSplitter(COMMAND_LIMIT, 'SMTP command');
  #dot = new DotEnd();
  readonly answers: Array<'command' | 'data'> = [];
  /** Client commands refused so far (for the session log). */
  refused = 0;
  wake?: () => void;

  get holding(): boolean {
    return this.#mode === 'await-data';
  }

  /** The reply filter saw the backend's answer to DATA. */
  dataAnswered(code: number): void {
    if (this.#mode !== 'await-data') return;
    this.#mode = code === 354 ? 'data' : 'command';
    this.#dot = new DotEnd();
    this.wake?.();
  }

  push(chunk: Buffer): Buffer {
    if (chunk.length > 0) this.#held.push(chunk);
    if (this.#mode === 'await-data') return EMPTY;
    let data = this.#held.length === 1 ? this.#held[0]! : Buffer.concat(this.#held);
    this.#held.length = 0;
    const out: Buffer[] = [];
    while (data.length > 0 && !this.holding) {
      if (this.#mode === 'bdat') {
        const n = Math.min(this.#bdatLeft, data.length);
        out.push(data.subarray(0, n));
        data = data.subarray(n);
        this.#bdatLeft -= n;
        if (this.#bdatLeft === 0) this.#mode = 'command';
      } else if (this.#mode === 'data') {
        const { used, ended } = this.#dot.scan(data);
        out.push(data.subarray(0, used));
        data = data.subarray(used);
        if (ended) {
          this.#mode = 'command';
          this.answers.push('command');
        }
      } else {
        this.#lines.append(data);
        const line = this.#lines.next();
        data = EMPTY;
        if (!line) break;
        out.push(this.#command(line));
        data = this.#lines.take();
      }
    }
    // Whatever arrived while waiting for DATA's answer waits with it.
    if (data.length > 0) this.#held.push(data);
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  #command(line: Buffer): Buffer {
    const text = lineText(line);
    const verb = /^\s*(\S*)/.exec(text)![1]!.toUpperCase();
    if (verb === 'XCLIENT' || verb === 'XFORWARD') {
      this.refused++;
      this.answers.push('command');
      // Replaced by a command every server refuses, so the client still gets exactly one (negative) reply.
      return Buffer.from(`${verb}-REFUSED-BY-PROXY\r\n`);
    }
    if (verb === 'DATA' && text.trim().length === 4) {
      this.#mode = 'await-data';
      this.answers.push('data');
      return line;
    }
    const bdat = /^\s*BDAT\s+(\d+)(\s+LAST)?\s*$/i.exec(text);
    if (bdat) {
      this.#bdatLeft = Number(bdat[1]);
      if (this.#bdatLeft > 0) this.#mode = 'bdat';
    }
    this.answers.push('command');
    return line;
  }
}

/**
 * SMTP, backend → client, once relaying: the backend's replies, each held until its last line so
 * an EHLO answer can lose its STARTTLS line (the client has TLS from the proxy already; RFC 3207
 * §4.2 forbids offering it again) and the XCLIENT/XFORWARD lines, with the `250-`/`250 ` form of
 * the new last line fixed. Tells the guard how DATA was answered.
 */
export class SmtpReplyFilter implements FilterCore {
  readonly holding = false;
  readonly #lines = new LineSplitter(65_536, 'SMTP reply');
  #reply: string[] = [];

  constructor(private readonly guard?: SmtpCommandGuard) {}

  push(chunk: Buffer): Buffer {
    this.#lines.append(chunk);
    const out: string[] = [];
    for (let line = this.#lines.next(); line; line = this.#lines.next()) {
      const text = lineText(line);
      const m = /^(\d{3})([ -]|$)/.exec(text);
      if (!m) {
        // Not a reply line: pass it on as it came, after what was held.
        out.push(...this.#reply.map((l) => `${l}\r\n`), line.toString('latin1'));
        this.#reply = [];
        continue;
      }
      this.#reply.push(text);
      if (m[2] !== '-') {
        out.push(finishReply(this.#reply));
        const owed = this.guard?.answers.shift();
        if (owed === 'data') this.guard?.dataAnswered(Number(m[1]));
        this.#reply = [];
      }
    }
    return Buffer.from(out.join(''), 'latin1');
  }
}

/** A complete reply, with hidden extensions removed from a multi-line 250 (never its first line). */
export function finishReply(lines: readonly string[]): string {
  const code = lines[0]!.slice(0, 3);
  const kept = code === '250' && lines.length > 1
    ? lines.filter((l, i) => i === 0 || !HIDDEN_EXTENSIONS.has(l.slice(4).trim().split(/\s+/)[0]!.toUpperCase()))
    : lines;
  return kept.map((l, i) => `${code}${i === kept.length - 1 ? ' ' : '-'}${l.slice(4)}\r\n`).join('');
}
