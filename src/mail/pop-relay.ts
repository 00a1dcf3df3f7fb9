import { POP_LINE_LIMIT } from './pop-dialog.js';
import { DotEnd, type FilterCore, joined, LineSplitter, lineText } from './relay-stream.js';

const EMPTY = Buffer.alloc(0);
/** Commands whose +OK answer is a multi-line block ending in "." (RFC 1939, RFC 2449); LIST, UIDL and AUTH only without an argument. */
const MULTI = /^(CAPA|RETR|TOP)(\s|$)|^(LIST|UIDL|AUTH)\s*$/i;
/** Lines a CAPA answer loses: STLS (the proxy has done TLS) and XCLIENT (for the proxy alone). */
const HIDDEN = new Set(['STLS', 'XCLIENT']);

/**
 * POP3, client → backend, once relaying: every line passes except a client's own XCLIENT (the
 * backend takes it from the proxy's trusted address), which becomes a command the backend refuses,
 * and a line over RFC 2449's 255 octets (12288 for a SASL response), which ends the session.
 * POP clients send nothing but command and SASL lines, so every line is one answer owed; `answers`
 * keeps them, in order, for the response filter.
 */
export class PopCommandGuard implements FilterCore {
  readonly holding = false;
  readonly #lines = new LineSplitter(POP_LINE_LIMIT, 'POP command', '-ERR Line too long, closing connection\r\n');
  readonly answers: string[] = [];
  refused = 0;
  /** The backend's last answer was a SASL continuation: the next line is a SASL response (RFC 5034 allows it 12288 octets). */
  sasl = false;

  push(chunk: Buffer): Buffer {
    this.#lines.append(chunk);
    const out: Buffer[] = [];
    for (;;) {
      this.#lines.limit = this.sasl ? 12_288 : POP_LINE_LIMIT;
      const line = this.#lines.next();
      if (!line) break;
      this.sasl = false;
      const text = lineText(line);
      if (/^\s*XCLIENT(\s|$)/i.test(text)) {
        this.refused++;
        this.answers.push('XCLIENT-REFUSED-BY-PROXY');
        out.push(Buffer.from('XCLIENT-REFUSED-BY-PROXY\r\n'));
      } else {
        this.answers.push(text);
        out.push(line);
      }
    }
    return joined(out);
  }
}

/**
 * POP3, backend → client, once relaying: takes the STLS line out of CAPA answers and leaves every
 * other answer alone. It matches each answer to the command it answers (POP answers in order, one
 * each; a `+ ` continuation answers a SASL step, and the line after it is SASL data, not a
 * command), so a message that contains a line "STLS" is never touched: RETR, TOP, LIST and UIDL
 * blocks are passed on as they come, only their final "." is looked for.
 */
export class PopResponseFilter implements FilterCore {
  readonly holding = false;
  #state: 'first' | 'capa' | 'block' = 'first';
  #afterContinuation = false;
  readonly #lines = new LineSplitter(65_536, 'POP response');
  #block = new DotEnd();

  constructor(private readonly guard?: PopCommandGuard) {}

  push(chunk: Buffer): Buffer {
    const out: Buffer[] = [];
    let data = chunk;
    while (data.length > 0) {
      if (this.#state === 'block') {
        const { used, ended } = this.#block.scan(data);
        out.push(data.subarray(0, used));
        data = data.subarray(used);
        if (ended) this.#state = 'first';
        continue;
      }
      this.#lines.append(data);
      data = EMPTY;
      const line = this.#lines.next();
      if (!line) break;
      const text = lineText(line);
      if (this.#state === 'capa') {
        if (text === '.') this.#state = 'first';
        if (!HIDDEN.has(text.trim().split(/\s+/)[0]!.toUpperCase())) out.push(line);
      } else {
        out.push(line);
        const command = this.guard?.answers.shift() ?? '';
        const sasl = this.#afterContinuation;
        this.#afterContinuation = text === '+' || text.startsWith('+ ');
        if (this.guard) this.guard.sasl = this.#afterContinuation;
        if (!sasl && /^\+OK/i.test(text) && MULTI.test(command.trim())) {
          if (/^CAPA\s*$/i.test(command.trim())) this.#state = 'capa';
          else {
            this.#state = 'block';
            this.#block = new DotEnd();
          }
        }
      }
      data = this.#lines.take();
    }
    return joined(out);
  }
}
