import type { Readable, Writable } from 'node:stream';

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
  /** Set by `relayThrough`; the core calls it when what it held can move. */
  wake?: () => void;
}

/** One direction of a relay, as `relayThrough` runs it. */
export interface RelayDirection {
  /** Bytes that go through the filter before any read from the source (the client's first command, the backend's buffered lines). */
  feed(chunk: Buffer): void;
  /** No more reading from the source (it is paused) nor writing to the destination. */
  stop(): void;
}

const EMPTY = Buffer.alloc(0);

/**
 * One direction of a relayed session: `src`'s bytes through the filter core to `dest`, each chunk
 * written as the core returns it — a chunk that passes unchanged is the same Buffer, with no stream
 * in between (what `pipe` through a Transform cost per chunk and per session). Backpressure as with
 * `pipe`: `src` is paused while `dest` needs to drain and while the core holds input back (until it
 * calls `wake`). When `src` ends, `dest` is ended once the core has let everything through. A core
 * that throws (a RelayRefusal, a protocol error) stops this direction and the error goes to
 * `onError`; `count` sees the size of every chunk read from `src`.
 */
export function relayThrough(src: Readable, core: FilterCore, dest: Writable, onError: (e: Error) => void, count?: (n: number) => void): RelayDirection {
  let stopped = false;
  let paused = false;
  let srcEnded = false;
  const pass = (chunk: Buffer): void => {
    let out: Buffer;
    try {
      out = core.push(chunk);
    } catch (e) {
      stop();
      onError(e as Error);
      return;
    }
    if (out.length > 0 && !dest.destroyed) dest.write(out);
    flow();
  };
  /** Reads on, pauses, or ends `dest`, as the core and `dest` allow. */
  const flow = (): void => {
    if (stopped) return;
    if (srcEnded) {
      if (core.holding) return;
      stop();
      dest.end();
      return;
    }
    const wait = core.holding || dest.writableNeedDrain;
    if (wait && !paused) {
      paused = true;
      src.pause();
    } else if (!wait && paused) {
      paused = false;
      src.resume();
    }
  };
  const onData = (chunk: Buffer): void => {
    count?.(chunk.length);
    pass(chunk);
  };
  const onEnd = (): void => {
    srcEnded = true;
    flow();
  };
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    src.off('data', onData);
    src.off('end', onEnd);
    dest.off('drain', flow);
    dest.off('close', stop);
    if (!srcEnded) src.pause();
  };
  core.wake = () => queueMicrotask(() => {
    if (!stopped) pass(EMPTY);
  });
  dest.on('drain', flow);
  dest.on('close', stop);
  src.on('end', onEnd);
  src.on('data', onData);
  // A source paused before the relay (the client while the backend caught up) flows from now on, as `pipe` makes it.
  if (src.isPaused()) src.resume();
  return {
    feed: (chunk) => {
      if (chunk.length > 0 && !stopped) pass(chunk);
    },
    stop,
  };
}

/**
 * A filter's output pieces as one Buffer: the pieces themselves when they lie back to back in
 * memory (consecutive lines and blocks of one chunk passed on unchanged: no copy), else a copy.
 */
export function joined(pieces: readonly Buffer[]): Buffer {
  if (pieces.length === 1) return pieces[0]!;
  let first: Buffer | undefined;
  let end = 0;
  for (const p of pieces) {
    if (p.length === 0) continue;
    if (first === undefined) {
      first = p;
      end = p.byteOffset + p.length;
    } else if (p.buffer === first.buffer && p.byteOffset === end) end += p.length;
    else return Buffer.concat(pieces);
  }
  return first === undefined ? EMPTY : Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset);
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
