import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants, type Http2ServerRequest, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';

/**
 * Timeouts and connection caps of the web listeners (issue #10), in seconds and connections, with
 * `serve`'s flags and defaults. Node's own `headersTimeout` check runs only on a server that was
 * `listen()`ed, and the TLS servers here are handed sockets by the port's listener, so Gatehouse
 * keeps the clocks itself: one sweep a second over the open connections.
 */
export interface ConnectionLimits {
  /** `--handshake-timeout`: from accept to the end of the TLS handshake. */
  handshakeSeconds: number;
  /** `--header-timeout`: a request's headers complete, counted from its first byte (the first request: from the handshake). */
  headerSeconds: number;
  /** `--keepalive-timeout`: an HTTP/1.1 connection with no request after the last response. */
  keepAliveSeconds: number;
  /** `--idle-timeout`: an HTTP/2 session with no stream open. */
  idleSeconds: number;
  /** `--body-timeout`: a request body from which nothing arrives for this long. */
  bodySeconds: number;
  /** `--send-timeout`: an answer waiting to go out of which the client takes nothing for this long. */
  sendSeconds: number;
  /** `--max-header-size`: bytes of a request's header (Node's `maxHeaderSize`; HTTP/2: the header list as RFC 9113 counts it). */
  maxHeaderBytes: number;
  /** `--upstream-connect-timeout`: a proxy site's upstream accepts a new connection (and finishes its TLS handshake). */
  upstreamConnectSeconds: number;
  /** `--upstream-timeout`: a proxy site's upstream starts its answer after it has the whole request. */
  upstreamSeconds: number;
  /** `--max-connections`: connections open at once on one listener (per serving process). */
  maxConnections: number;
  /** `--max-connections-per-address`: connections open at once from one client address on one listener (per serving process). */
  maxPerAddress: number;
}

/** The defaults, as nginx and Apache (mod_reqtimeout) have them, or tighter where those are generous. */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  handshakeSeconds: 10,
  headerSeconds: 20,
  keepAliveSeconds: 75,
  idleSeconds: 180,
  bodySeconds: 60,
  sendSeconds: 60,
  maxHeaderBytes: 16 * 1024,
  upstreamConnectSeconds: 10,
  upstreamSeconds: 60,
  maxConnections: 10_000,
  maxPerAddress: 256,
};

/** How often the clocks are read: a connection is closed within this much after its timeout. */
const SWEEP_MS = 500;

/** One HTTP/1.1 connection: waiting for a request, reading one, or answering. */
interface Http1Connection {
  socket: Socket;
  /** Requests read and not yet answered. */
  busy: number;
  /** The request whose body is being read. */
  request: IncomingMessage | undefined;
  /** When the connection became idle (no request open), and the bytes read until then. */
  idleSince: number;
  bytes: number;
  /** When the current request's first byte was seen (the first request: when the connection was ready). */
  headerSince: number | undefined;
  /** When the request body last made progress. */
  bodySince: number;
  /** The answer's send clock. */
  send: Outgoing;
  /** The 'close' listener of this connection's responses: made once per connection, not per request. */
  answered: (this: ServerResponse) => void;
}

/** Something an answer is written to — a connection's socket or an HTTP/2 stream — and its send clock. */
interface Outgoing {
  /** Bytes waiting to go out and bytes handed on (0 where not known), as last seen, and since when. */
  waiting: number;
  progress: number;
  since: number;
}

/** An HTTP/2 request whose body is still coming: reset if nothing of it arrives for the body timeout. */
interface Http2Body {
  request: Http2ServerRequest;
  stream: ServerHttp2Stream;
  since: number;
}

interface Http2Connection extends Outgoing {
  session: ServerHttp2Session;
  streams: number;
  idleSince: number;
  closing: boolean;
}

/**
 * Keeps the clocks of every web connection of a front server, and counts connections per client
 * address. Every record is dropped when its socket or session closes, so nothing outlives it.
 */
export class ConnectionGuard {
  readonly #http1 = new Map<Socket, Http1Connection>();
  readonly #http2 = new Set<Http2Connection>();
  readonly #http2Bodies = new Set<Http2Body>();
  /**
   * HTTP/2 streams open, each with its send clock (a client that stops taking one answer: its window
   * stays shut) — made by the sweep that first sees the stream's answer waiting: most streams are
   * answered and closed before any sweep, and cost no clock.
   */
  readonly #http2Streams = new Map<ServerHttp2Stream, Outgoing | undefined>();
  readonly #perAddress = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;

  constructor(readonly limits: ConnectionLimits, private readonly refused: (client: string, detail: string) => void) {
    this.#timer = setInterval(() => this.#sweep(Date.now()), SWEEP_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /**
   * Counts a new connection against its client address (per listener: `listener` names it); one
   * over the cap is closed at once and false returned.
   */
  admit(listener: string, socket: Socket): boolean {
    const key = `${listener}|${socket.remoteAddress ?? '?'}`;
    const open = this.#perAddress.get(key) ?? 0;
    if (open >= this.limits.maxPerAddress) {
      // words: cli — the server's own log names the serve flag that set the limit.
      this.refused(socket.remoteAddress ?? '?', `it already has ${open} connections open on ${listener} (--max-connections-per-address ${this.limits.maxPerAddress})`);
      socket.destroy();
      return false;
    }
    this.#perAddress.set(key, open + 1);
    socket.once('close', () => {
      const left = (this.#perAddress.get(key) ?? 1) - 1;
      if (left <= 0) this.#perAddress.delete(key);
      else this.#perAddress.set(key, left);
    });
    return true;
  }

  /** An HTTP/1.1 connection ready for its first request (after the TLS handshake, or accepted on a plain port). */
  http1(socket: Socket): void {
    const now = Date.now();
    const c: Http1Connection = {
      socket, busy: 0, request: undefined, idleSince: now, bytes: socket.bytesRead, headerSince: now, bodySince: now, send: { waiting: 0, progress: 0, since: now },
      answered(this: ServerResponse) {
        c.busy--;
        if (c.request === this.req) c.request = undefined;
        if (c.busy === 0) {
          c.idleSince = Date.now();
          c.bytes = c.socket.bytesRead;
        }
      },
    };
    this.#http1.set(socket, c);
    socket.once('close', () => this.#http1.delete(socket));
  }

  /** A request's headers arrived: its body (if any) is timed next, then nothing until it is answered. */
  request(req: IncomingMessage, res: ServerResponse): void {
    const c = this.#http1.get(req.socket);
    if (!c) return;
    c.busy++;
    c.request = req;
    c.headerSince = undefined;
    c.bodySince = Date.now();
    c.send.since = c.bodySince;
    c.bytes = c.socket.bytesRead;
    // A response closes once: `on`, not `once` (no wrapper per request).
    res.on('close', c.answered);
  }

  /** The connection is no longer HTTP (a WebSocket relayed upstream): no clocks from here. */
  release(socket: Socket): void {
    this.#http1.delete(socket);
  }

  /** An HTTP/2 session: closed when no stream has been open for the idle timeout. */
  http2(session: ServerHttp2Session): void {
    const now = Date.now();
    const c: Http2Connection = { session, streams: 0, idleSince: now, closing: false, waiting: 0, progress: 0, since: now };
    this.#http2.add(c);
    const streams = this.#http2Streams;
    // One 'close' listener for every stream of the session, made once: no closure per stream.
    function closed(this: ServerHttp2Stream): void {
      streams.delete(this);
      c.streams -= 1;
      if (c.streams === 0) c.idleSince = Date.now();
    }
    session.on('stream', (stream) => {
      c.streams++;
      streams.set(stream, undefined);
      stream.on('close', closed);
    });
    session.once('close', () => this.#http2.delete(c));
  }

  /** An HTTP/2 request: if a body follows its headers, each of its DATA frames restarts the body clock. */
  http2Request(request: Http2ServerRequest): void {
    const stream = request.stream;
    // Most requests (GET, HEAD) end with their headers: nothing to time, nothing made for them.
    if (stream.endAfterHeaders || stream.readableEnded || stream.destroyed) return;
    const b: Http2Body = { request, stream, since: Date.now() };
    this.#http2Bodies.add(b);
    // The compatibility layer already reads the stream ('data'), so listening here takes nothing from it.
    const progress = () => {
      b.since = Date.now();
    };
    const done = () => {
      this.#http2Bodies.delete(b);
      stream.off('data', progress);
    };
    stream.on('data', progress);
    stream.once('end', done);
    stream.once('close', done);
  }

  #sweep(now: number): void {
    const l = this.limits;
    for (const c of this.#http1.values()) {
      const bytes = c.socket.bytesRead;
      if (c.busy === 0) {
        // Waiting: idle until a byte arrives, then the request's headers have their own deadline.
        if (c.headerSince === undefined && bytes !== c.bytes) c.headerSince = now;
        const expired = c.headerSince === undefined
          ? now - c.idleSince >= l.keepAliveSeconds * 1000
          : now - c.headerSince >= l.headerSeconds * 1000;
        if (expired) this.#close(c);
        continue;
      }
      if (stalled(c.send, c.socket.writableLength, now, l.sendSeconds, c.socket.bytesWritten)) {
        this.#close(c);
      } else if (c.request && !c.request.complete) {
        // Reading a body: it must make progress (unless Gatehouse itself stopped reading: a slow upstream).
        const held = c.request.readableLength >= c.request.readableHighWaterMark;
        if (bytes !== c.bytes || held) {
          c.bytes = bytes;
          c.bodySince = now;
        } else if (now - c.bodySince >= l.bodySeconds * 1000) {
          this.#close(c);
        }
      }
    }
    for (const b of this.#http2Bodies) {
      if (b.request.readableLength >= b.request.readableHighWaterMark) b.since = now;
      else if (now - b.since >= l.bodySeconds * 1000) {
        this.#http2Bodies.delete(b);
        b.stream.close(constants.NGHTTP2_CANCEL);
      }
    }
    for (const [stream, clock] of this.#http2Streams) {
      const waiting = stream.writableLength;
      let o = clock;
      if (o === undefined) {
        if (waiting === 0) continue;
        o = { waiting: 0, progress: 0, since: now };
        this.#http2Streams.set(stream, o);
      }
      if (stalled(o, waiting, now, l.sendSeconds)) {
        this.#http2Streams.delete(stream);
        stream.close(constants.NGHTTP2_CANCEL);
      }
    }
    for (const c of this.#http2) {
      // A client that stops reading the connection itself: nothing of any stream goes out.
      const socket = c.session.socket;
      if (!c.closing && socket && stalled(c, socket.writableLength, now, l.sendSeconds)) {
        c.session.destroy();
      } else if (c.closing) {
        c.session.destroy();
      } else if (c.streams === 0 && now - c.idleSince >= l.idleSeconds * 1000) {
        c.closing = true;
        c.session.close();
      }
    }
  }

  #close(c: Http1Connection): void {
    this.#http1.delete(c.socket);
    c.socket.destroy();
  }
}

/**
 * The send clock (`--send-timeout`, nginx's `send_timeout`): restarted whenever nothing is waiting to
 * go out, or what is waiting or what was handed on changed; true when the same bytes have waited for
 * `seconds`. A slow client that still reads changes them at every write the network takes.
 */
function stalled(o: Outgoing, waiting: number, now: number, seconds: number, progress = 0): boolean {
  if (waiting === 0 || waiting !== o.waiting || progress !== o.progress) {
    o.waiting = waiting;
    o.progress = progress;
    o.since = now;
    return false;
  }
  return now - o.since >= seconds * 1000;
}
