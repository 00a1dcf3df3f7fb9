/** What the line reader found: a complete command line (without its CRLF), or a line over the limit. */
export type LineEvent = { kind: 'line'; text: string } | { kind: 'too-long' };

/**
 * Splits a client's plaintext bytes into command lines, with a length limit that holds before the
 * line ends: a line longer than `limit` octets (CRLF included, as RFC 5321 counts its 512) is
 * reported once as `too-long` as soon as it passes the limit and its bytes are dropped up to the
 * next LF, so a client cannot make the proxy buffer more than `limit` bytes. A bare LF ends a line
 * too (clients that forget the CR are common); the CR before it is removed.
 *
 * `take()` hands over the bytes not yet split into lines: forwarded to the backend when the session
 * turns into a plaintext relay, thrown away when it turns to TLS (bytes a client sent after
 * STARTTLS, before the handshake, are the injection of CVE-2011-0411 and must never be read).
 */
export class LineReader {
  #buffer: Buffer = Buffer.alloc(0);
  /** Dropping the rest of a line that was too long, up to its LF. */
  #skipping = false;

  constructor(readonly limit: number) {}

  /** Adds bytes without splitting them yet (see `next`). */
  append(chunk: Buffer): this {
    if (chunk.length > 0) this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    return this;
  }

  /** Adds bytes and returns every event they complete, in order. */
  push(chunk: Buffer): LineEvent[] {
    this.append(chunk);
    const events: LineEvent[] = [];
    for (;;) {
      const ev = this.next();
      if (!ev) break;
      events.push(ev);
    }
    return events;
  }

  /**
   * The next event from bytes already pushed, or undefined when more are needed. Callers that must
   * stop at a command (STARTTLS) pull one event at a time, so nothing after it is split or acted on.
   */
  next(): LineEvent | undefined {
    for (;;) {
      const lf = this.#buffer.indexOf(0x0a);
      if (this.#skipping) {
        if (lf < 0) {
          this.#buffer = Buffer.alloc(0);
          return undefined;
        }
        this.#buffer = this.#buffer.subarray(lf + 1);
        this.#skipping = false;
        continue;
      }
      if (lf < 0) {
        // `limit` bytes and still no LF: even if the last one is the CR, the line is over the limit.
        if (this.#buffer.length >= this.limit) {
          this.#skipping = true;
          this.#buffer = Buffer.alloc(0);
          return { kind: 'too-long' };
        }
        return undefined;
      }
      const end = lf > 0 && this.#buffer[lf - 1] === 0x0d ? lf - 1 : lf;
      const line = this.#buffer.subarray(0, end);
      this.#buffer = this.#buffer.subarray(lf + 1);
      if (end + 2 > this.limit) return { kind: 'too-long' };
      return { kind: 'line', text: line.toString('latin1') };
    }
  }

  /** The bytes not yet split into lines; the reader is empty afterwards. */
  take(): Buffer {
    const rest = this.#skipping ? Buffer.alloc(0) : this.#buffer;
    this.#buffer = Buffer.alloc(0);
    this.#skipping = false;
    return rest;
  }

  get buffered(): number {
    return this.#buffer.length;
  }
}
