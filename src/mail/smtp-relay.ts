import { DotEnd, type FilterCore, joined, LineSplitter, lineText } from './relay-stream.js';

const EMPTY = Buffer.alloc(0);
/** RFC 5321 §4.5.3.1.4: a command line is at most 512 octets, CRLF included. */
const COMMAND_LIMIT = 512;
/** RFC 4954 §4: a SASL response line (after a 334) may be up to 12288 octets. */
const SASL_LIMIT = 12_288;
const NOOP = Buffer.from('NOOP\r\n');

/** What the backend's next reply answers: a command, DATA, or a stand-in whose reply the proxy replaces with its own. */
export type Owed = { kind: 'command'; ehlo?: boolean } | { kind: 'data' } | { kind: 'replace'; text: string };
const COMMAND: Owed = { kind: 'command' };
const EHLO: Owed = { kind: 'command', ehlo: true };
/** Extensions the client never sees from the backend: TLS is the proxy's, XCLIENT/XFORWARD are for the proxy alone. */
const HIDDEN_EXTENSIONS = new Set(['STARTTLS', 'XCLIENT', 'XFORWARD']);

/**
 * SMTP, client → backend, once relaying: passes commands and mail through, but never a client's
 * own XCLIENT or XFORWARD — the backend trusts those from the proxy's address, and `XCLIENT
 * LOGIN=…` would make anyone an authenticated sender. To know which lines are commands it follows
 * DATA (after the command it waits for the backend's answer: 354 starts the message, which ends at a
 * line with only "."; anything else means more commands) and BDAT (the chunk's size is on its line).
 * A command line over 512 octets (12288 for a SASL response after a 334) never reaches the backend
 * either. Each refused line is sent on as a NOOP whose reply the reply filter replaces with the
 * proxy's refusal, so pipelined replies stay in order. `answers` lists, in order, what each reply
 * the backend owes answers, for the reply filter.
 */
export class SmtpCommandGuard implements FilterCore {
  #mode: 'command' | 'await-data' | 'data' | 'bdat' = 'command';
  #bdatLeft = 0;
  readonly #held: Buffer[] = [];
  #partial: Buffer = EMPTY;
  /** Dropping the rest of an over-long line, up to its LF. */
  #skipping = false;
  #dot = new DotEnd();
  readonly answers: Owed[] = [];
  /** The backend's last reply was 334: the next line is a SASL response. */
  sasl = false;
  /** The backend's last EHLO answer offered CHUNKING (RFC 3030). */
  chunking = false;
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
          this.answers.push(COMMAND);
        }
      } else {
        const [line, rest] = this.#nextLine(data);
        data = rest;
        if (line) out.push(line);
      }
    }
    // Whatever arrived while waiting for DATA's answer waits with it.
    if (data.length > 0) this.#held.push(data);
    return joined(out);
  }

  /** The next command line in `data` (what goes to the backend for it) and the bytes after it. */
  #nextLine(data: Buffer): [Buffer | undefined, Buffer] {
    const lf = data.indexOf(0x0a);
    const limit = this.sasl ? SASL_LIMIT : COMMAND_LIMIT;
    if (this.#skipping) {
      if (lf < 0) return [undefined, EMPTY];
      this.#skipping = false;
      return [this.#refuse('500 5.5.2 Line too long\r\n'), data.subarray(lf + 1)];
    }
    if (lf < 0) {
      this.#partial = this.#partial.length === 0 ? data : Buffer.concat([this.#partial, data]);
      if (this.#partial.length >= limit) {
        this.#partial = EMPTY;
        this.#skipping = true;
      }
      return [undefined, EMPTY];
    }
    const line = this.#partial.length === 0 ? data.subarray(0, lf + 1) : Buffer.concat([this.#partial, data.subarray(0, lf + 1)]);
    this.#partial = EMPTY;
    const rest = data.subarray(lf + 1);
    if (lineText(line).length + 2 > limit) return [this.#refuse('500 5.5.2 Line too long\r\n'), rest];
    return [this.#command(line), rest];
  }

  #refuse(reply: string): Buffer {
    this.sasl = false;
    this.answers.push({ kind: 'replace', text: reply });
    return NOOP;
  }

  #command(line: Buffer): Buffer {
    const text = lineText(line);
    const verb = /^\s*(\S*)/.exec(text)![1]!.toUpperCase();
    if (this.sasl) {
      this.sasl = false;
      this.answers.push(COMMAND);
      return line;
    }
    if (verb === 'XCLIENT' || verb === 'XFORWARD') {
      this.refused++;
      return this.#refuse('502 5.5.1 Error: command not recognized\r\n');
    }
    if (verb === 'DATA' && text.trim().length === 4) {
      this.#mode = 'await-data';
      this.answers.push({ kind: 'data' });
      return line;
    }
    const bdat = /^\s*BDAT\s+(\d+)(\s+LAST)?\s*$/i.exec(text);
    // Only a backend that offered CHUNKING reads the chunk as data; any other reads it as commands, and so does the guard.
    if (bdat && this.chunking) {
      this.#bdatLeft = Number(bdat[1]);
      if (this.#bdatLeft > 0) this.#mode = 'bdat';
    }
    this.answers.push(verb === 'EHLO' ? EHLO : COMMAND);
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
  /** The reply's lines as they came, passed on as they are when the reply needs no change. */
  #raw: Buffer[] = [];

  /** Called with each answer the backend gives the client's EHLO (its lines without CRLF), before any change. */
  onEhlo?: (reply: readonly string[]) => void;

  constructor(private readonly guard?: SmtpCommandGuard) {}

  push(chunk: Buffer): Buffer {
    this.#lines.append(chunk);
    const out: Buffer[] = [];
    for (let line = this.#lines.next(); line; line = this.#lines.next()) {
      const text = lineText(line);
      const m = /^(\d{3})([ -]|$)/.exec(text);
      if (!m) {
        // Not a reply line: pass it on as it came, after what was held.
        out.push(...this.#held(), line);
        this.#reply = [];
        this.#raw = [];
        continue;
      }
      this.#reply.push(text);
      this.#raw.push(line);
      if (m[2] !== '-') {
        const owed = this.guard?.answers.shift();
        const code = Number(m[1]);
        // A stand-in NOOP's reply becomes the proxy's refusal (unless the backend is failing: then its reply stands).
        if (owed?.kind === 'replace' && code < 300) out.push(Buffer.from(owed.text, 'latin1'));
        else if (asItCame(this.#reply, this.#raw)) out.push(...this.#raw);
        else out.push(Buffer.from(finishReply(this.#reply), 'latin1'));
        if (owed?.kind === 'data') this.guard?.dataAnswered(code);
        if (owed?.kind === 'command' && owed.ehlo && code === 250) this.onEhlo?.(this.#reply);
        if (this.guard) {
          this.guard.sasl = code === 334;
          if (code === 250 && this.#reply.length > 1) this.guard.chunking = this.#reply.some((l) => /^250[ -]CHUNKING\b/i.test(l));
        }
        this.#reply = [];
        this.#raw = [];
      }
    }
    return joined(out);
  }

  /** The lines of an unfinished reply, as `finishReply` would never see them (a non-reply line cut in). */
  #held(): Buffer[] {
    return this.#reply.map((l) => Buffer.from(`${l}\r\n`, 'latin1'));
  }
}

/**
 * Whether a reply's lines, as they came, are what `finishReply` would make of them: not a multi-line
 * 250 (whose extensions may be hidden), every line ending in CRLF with the first line's code, and the
 * hyphen on every line but the last. Then they pass on unchanged, without a copy.
 */
function asItCame(lines: readonly string[], raw: readonly Buffer[]): boolean {
  const code = lines[0]!.slice(0, 3);
  if (code === '250' && lines.length > 1) return false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const r = raw[i]!;
    if (r.length !== l.length + 2 || l.slice(0, 3) !== code || l[3] !== (i === lines.length - 1 ? ' ' : '-')) return false;
  }
  return true;
}

/** A complete reply, with hidden extensions removed from a multi-line 250 (never its first line). */
export function finishReply(lines: readonly string[]): string {
  const code = lines[0]!.slice(0, 3);
  const kept = code === '250' && lines.length > 1
    ? lines.filter((l, i) => i === 0 || !HIDDEN_EXTENSIONS.has(l.slice(4).trim().split(/\s+/)[0]!.toUpperCase()))
    : lines;
  return kept.map((l, i) => `${code}${i === kept.length - 1 ? ' ' : '-'}${l.slice(4)}\r\n`).join('');
}
