import { Transform, type TransformCallback } from 'node:stream';

/**
 * One direction of a relayed session, as a pure byte filter: bytes in, bytes out. A filter may hold
 * input back while it waits for the other direction to say how to read it (the SMTP guard after
 * DATA until the backend answers 354 or not; the IMAP guard after a synchronizing literal); it then
 * calls `wake` when it can go on.
 */
export interface FilterCore {
  push(chunk: Buffer): Buffer;
  /** Whether input is being held back: the stream stops taking more (backpressure) until `wake`. */
  readonly holding: boolean;
  /** Set by `filterStream`; the core calls it when what it held can move. */
  wake?: () => void;
}

/**
 * A FilterCore as a Transform for `pipe`, so the relay keeps node's backpressure in both
 * directions; while the core holds, the transform's callback waits, and so does the socket feeding it.
 */
export function filterStream(core: FilterCore): Transform {
  let waiting: TransformCallback | undefined;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      let out: Buffer;
      try {
        out = core.push(chunk);
      } catch (e) {
        callback(e as Error);
        return;
      }
      if (out.length > 0) this.push(out);
      if (core.holding) waiting = callback;
      else callback();
    },
  });
  core.wake = () => queueMicrotask(() => {
    if (stream.destroyed) return;
    let out: Buffer;
    try {
      out = core.push(Buffer.alloc(0));
    } catch (e) {
      stream.destroy(e as Error);
      return;
    }
    if (out.length > 0) stream.push(out);
    if (!core.holding && waiting) {
      const callback = waiting;
      waiting = undefined;
      callback();
    }
  });
  return stream;
}

/** A filter that changes nothing (implicit TLS needs none on the way in, for instance). */
export const passThrough = (): FilterCore => ({ push: (c) => c, holding: false });

/**
 * A line the relay will not pass on (too long to be a command): the session answers the client
 * with `reply` and ends, and the line never reaches the backend.
 */
export class RelayRefusal extends Error {
  constructor(readonly reply: string, message: string) {
    super(message);
  }
}

/**
 * Splits bytes into LF-terminated lines for the filters, one at a time (a filter may change how it
 * reads after any line), keeping an unfinished line for the next chunk. A line over `limit` octets
 * (CRLF included) is refused with `reply` (a RelayRefusal) before any of it is handed out: the
 * filters must know where every line starts, and the backend must not get what they did not read.
 */
export class LineSplitter {
  #data: Buffer = Buffer.alloc(0);

  constructor(public limit: number, private readonly what: string, private readonly reply = '') {}

  append(chunk: Buffer): void {
    if (chunk.length > 0) this.#data = this.#data.length === 0 ? chunk : Buffer.concat([this.#data, chunk]);
  }

  /** The next complete line (LF included), or undefined until more bytes come. */
  next(): Buffer | undefined {
    const lf = this.#data.indexOf(0x0a);
    if (lf < 0) {
      if (this.#data.length >= this.limit) throw this.#tooLong();
      return undefined;
    }
    const line = this.#data.subarray(0, lf + 1);
    if (lineText(line).length + 2 > this.limit) throw this.#tooLong();
    this.#data = this.#data.subarray(lf + 1);
    return line;
  }

  #tooLong(): RelayRefusal {
    this.#data = Buffer.alloc(0);
    return new RelayRefusal(this.reply, `${this.what} line over ${this.limit} octets`);
  }

  /** Every byte not handed out yet; the splitter is empty afterwards. */
  take(): Buffer {
    const d = this.#data;
    this.#data = Buffer.alloc(0);
    return d;
  }
}

/** A line's text without its CR LF. */
export function lineText(line: Buffer): string {
  let end = line.length;
  if (end > 0 && line[end - 1] === 0x0a) end--;
  if (end > 0 && line[end - 1] === 0x0d) end--;
  return line.subarray(0, end).toString('latin1');
}

const START = 0;
const DOT = 1;
const DOT_CR = 2;
const MID = 3;

/**
 * Finds the end of a dot-terminated block (SMTP DATA, a POP multi-line answer: RFC 5321 §4.5.2,
 * RFC 1939 §3): a line holding only ".". A bare LF ends a line too, so the proxy never sees the end
 * later than a lenient backend would (the SMTP smuggling lesson). Jumps from LF to LF, so large
 * messages cost little.
 */
export class DotEnd {
  #state = START;

  /** How many bytes of `data` belong to the block (its last line included) and whether it ended. */
  scan(data: Buffer): { used: number; ended: boolean } {
    let i = 0;
    while (i < data.length) {
      if (this.#state === MID) {
        const lf = data.indexOf(0x0a, i);
        if (lf < 0) return { used: data.length, ended: false };
        i = lf + 1;
        this.#state = START;
        continue;
      }
      const b = data[i++]!;
      if (b === 0x0a && (this.#state === DOT || this.#state === DOT_CR)) {
        this.#state = START;
        return { used: i, ended: true };
      }
      if (this.#state === START) this.#state = b === 0x2e ? DOT : b === 0x0a ? START : MID;
      else if (this.#state === DOT) this.#state = b === 0x0d ? DOT_CR : MID;
      else this.#state = MID;
    }
    return { used: data.length, ended: false };
  }
}
