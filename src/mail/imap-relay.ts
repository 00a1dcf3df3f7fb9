import { IMAP_LINE_LIMIT } from './imap-dialog.js';
import { type FilterCore, joined, LineSplitter, lineText } from './relay-stream.js';

const EMPTY = Buffer.alloc(0);
/** A server line longer than this is passed on in pieces (a SEARCH answer can be megabytes); only its tail is kept to find a literal. */
const HOLD = 65_536;
const TAIL = 32;

/** Removes capability tokens from a `* CAPABILITY` line or a `[CAPABILITY …]` response code; anything else is returned as it is. */
export function dropCapabilities(text: string, drop: ReadonlySet<string>): string {
  const keep = (list: string) => list.split(' ').filter((t) => t !== '' && !drop.has(t.toUpperCase())).join(' ');
  const data = /^(\* CAPABILITY )(.*)$/i.exec(text);
  if (data) return `${data[1]}${keep(data[2]!)}`;
  const code = /^(\S+ (?:OK|NO|BAD|PREAUTH|BYE) \[CAPABILITY )([^\]]*)(\].*)$/i.exec(text);
  if (code) return `${code[1]}${keep(code[2]!)}${code[3]}`;
  return text;
}

/**
 * IMAP, backend → client, once relaying: drops STARTTLS (and, after the upgrade, LOGINDISABLED)
 * from `* CAPABILITY` lines and `[CAPABILITY …]` response codes, and nothing else. It reads the
 * stream as IMAP frames it: a line ending in a literal `{N}` is followed by N bytes of message data
 * that are passed on untouched, so a message containing "* CAPABILITY STARTTLS" is never changed.
 * Tells the guard about continuations and tagged answers (`serverLine`).
 */
export class ImapResponseFilter implements FilterCore {
  readonly holding = false;
  #literal = 0;
  /** The line in progress does not start a response (it follows a literal) or was too long to rewrite. */
  #continued = false;
  #partial: Buffer = EMPTY;

  constructor(private readonly drop: ReadonlySet<string>, private readonly guard?: ImapClientGuard) {}

  push(chunk: Buffer): Buffer {
    let data = this.#partial.length === 0 ? chunk : Buffer.concat([this.#partial, chunk]);
    this.#partial = EMPTY;
    const out: Buffer[] = [];
    while (data.length > 0) {
      if (this.#literal > 0) {
        const n = Math.min(this.#literal, data.length);
        out.push(data.subarray(0, n));
        data = data.subarray(n);
        this.#literal -= n;
        continue;
      }
      const lf = data.indexOf(0x0a);
      if (lf < 0) {
        if (data.length > HOLD) {
          out.push(data.subarray(0, data.length - TAIL));
          data = data.subarray(data.length - TAIL);
          this.#continued = true;
        }
        this.#partial = data;
        break;
      }
      const line = data.subarray(0, lf + 1);
      data = data.subarray(lf + 1);
      const text = lineText(line);
      if (!this.#continued) {
        this.guard?.serverLine(text);
        const changed = dropCapabilities(text, this.drop);
        out.push(changed === text ? line : Buffer.from(`${changed}\r\n`, 'latin1'));
      } else out.push(line);
      const literal = /\{(\d+)\}$/.exec(text);
      this.#literal = literal ? Number(literal[1]) : 0;
      this.#continued = this.#literal > 0;
    }
    return joined(out);
  }
}

/**
 * IMAP, client → backend, until login: a client's own `ID` with `x-…` fields (Dovecot takes
 * `x-originating-ip` from trusted proxies, which the proxy is) is replaced by `ID NIL`, and its own
 * XCLIENT by a command the backend refuses, so nobody can claim another address. Command lines
 * over 8 KiB end the session. It follows literals to know where commands start: after a
 * synchronizing literal `{N}` it waits for the backend's `+` (the literal comes) or its tagged
 * answer (it does not). Once a LOGIN or AUTHENTICATE succeeds the ID fields no longer count, and
 * everything passes untouched.
 */
export class ImapClientGuard implements FilterCore {
  #state: 'command' | 'await-literal' | 'literal' | 'through' = 'command';
  #literal = 0;
  #atCommand = true;
  #tag = '';
  readonly #loginTags = new Set<string>();
  readonly #lines = new LineSplitter(IMAP_LINE_LIMIT, 'IMAP command', '* BYE Line too long\r\n');
  #held: Buffer = EMPTY;
  /** Client ID commands rewritten so far (for the session log). */
  refused = 0;
  wake?: () => void;

  get holding(): boolean {
    return this.#state === 'await-literal';
  }

  /** A line that starts a backend response. */
  serverLine(text: string): void {
    const tagged = /^(\S+) (OK|NO|BAD)\b/i.exec(text);
    if (this.#state === 'await-literal') {
      if (text.startsWith('+')) this.#state = 'literal';
      else if (tagged?.[1] === this.#tag) {
        this.#state = 'command';
        this.#atCommand = true;
      } else return;
      this.wake?.();
      return;
    }
    if (tagged && tagged[2]!.toUpperCase() === 'OK' && this.#loginTags.has(tagged[1]!)) this.#state = 'through';
  }

  push(chunk: Buffer): Buffer {
    if (this.#state === 'await-literal') {
      if (chunk.length > 0) this.#held = Buffer.concat([this.#held, chunk]);
      return EMPTY;
    }
    let data = this.#held.length === 0 ? chunk : Buffer.concat([this.#held, chunk]);
    this.#held = EMPTY;
    const out: Buffer[] = [];
    while (data.length > 0) {
      if (this.#state === 'through') {
        out.push(this.#lines.take(), data);
        break;
      }
      if (this.holding) {
        this.#held = data;
        break;
      }
      if (this.#state === 'literal') {
        if (this.#literal === 0) {
          this.#state = 'command';
          continue;
        }
        const n = Math.min(this.#literal, data.length);
        out.push(data.subarray(0, n));
        data = data.subarray(n);
        this.#literal -= n;
        if (this.#literal === 0) this.#state = 'command';
        continue;
      }
      this.#lines.append(data);
      const line = this.#lines.next();
      data = EMPTY;
      if (!line) break;
      out.push(this.#line(line));
      data = this.#lines.take();
    }
    return joined(out);
  }

  #line(line: Buffer): Buffer {
    const text = lineText(line);
    if (this.#atCommand) {
      const m = /^(\S+) +([A-Za-z]+)\b/.exec(text);
      this.#tag = m?.[1] ?? '';
      const verb = m?.[2]?.toUpperCase();
      if (verb === 'LOGIN' || verb === 'AUTHENTICATE') this.#loginTags.add(this.#tag);
      if (verb === 'XCLIENT') {
        if (/\{\d+\+\}$/.test(text)) throw new Error('IMAP XCLIENT with a non-synchronizing literal');
        this.refused++;
        return Buffer.from(`${this.#tag} XCLIENT-REFUSED-BY-PROXY\r\n`);
      }
      if (verb === 'ID' && (/"x-/i.test(text) || /\{\d+\+?\}$/.test(text))) {
        if (/\{\d+\+\}$/.test(text)) throw new Error('IMAP ID with a non-synchronizing literal');
        this.refused++;
        // The client waits for "+" before a synchronizing literal; the tagged OK tells it none is wanted.
        this.#atCommand = true;
        return Buffer.from(`${this.#tag} ID NIL\r\n`);
      }
    }
    const literal = /\{(\d+)(\+?)\}$/.exec(text);
    if (literal) {
      this.#literal = Number(literal[1]);
      this.#state = literal[2] === '+' ? 'literal' : 'await-literal';
      this.#atCommand = false;
    } else this.#atCommand = true;
    return line;
  }
}
