import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import type { Site } from '../model/site.js';
import type { HotFile } from './hot-files.js';
import { clientCopyIsCurrent, connectionFacts, HSTS, plainBody, routeSite, type ConnectionFacts, type RequestView, type SiteServices } from './site-handler.js';

/** Node's own handler of a server's `stream` event (its compatibility layer), as the server calls it. */
export type StreamListener = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]) => void;

/** A hot file's HTTP/2 response headers, built once per entry (Node copies them at `respond`). */
interface HotHeaders {
  ok: OutgoingHttpHeaders;
  okHsts: OutgoingHttpHeaders;
  notModified: OutgoingHttpHeaders;
  notModifiedHsts: OutgoingHttpHeaders;
}

const HOT_HEADERS = new WeakMap<HotFile, HotHeaders>();

/** What a stream answered on the core API needs for its access log line once it has closed. */
interface StreamRecord {
  logs: SiteServices['logs'];
  site: Site;
  port: number;
  started: number;
  connection: ConnectionFacts;
  headers: IncomingHttpHeaders;
  status: number;
  bytes: number;
}

const RECORD = Symbol('gatehouse.streamRecord');

/**
 * What one HTTP/2 connection's streams share: its local address and connection facts, and the
 * site its last stream was routed to — a client sends the same :authority on every stream, so
 * routing runs again only when the Host or the configuration (the view) changes.
 */
interface SessionRoute {
  localAddress: string;
  facts: ConnectionFacts | undefined;
  view: RequestView | undefined;
  host: string | undefined;
  site: Site | undefined;
}

const ROUTE = Symbol('gatehouse.sessionRoute');
type Routed = ServerHttp2Session & { [ROUTE]?: SessionRoute };
type Recorded = ServerHttp2Stream & { [RECORD]?: StreamRecord | undefined };

/**
 * HTTP/2 requests served through Node's core stream API (`respond` + `end` on the stream) rather
 * than its compatibility layer (`Http2ServerRequest`/`Response`, two objects, their listeners and
 * the garbage they leave per request): the requests a busy site gets most — GET and HEAD of a hot
 * static file (200, HEAD, 304 by ETag or date) and the 400 of a host no site is bound to.
 * Everything else — ranges, files read from disk (`send`: 404, directory redirects, index), other
 * methods (405), bodies, `Expect`, CONNECT and proxy sites — is handed to Node's compatibility layer
 * exactly as before (`compat`), so the site handler stays the one place that answers them. The
 * answers are what that path gives (same status, header fields and body), with the same access log
 * line, written when the stream closes as the compatibility layer's `finish` was; the request
 * counter counts the answer when it is given (a site whose log is off costs no listener or record).
 */
export class CoreStreams {
  constructor(private readonly services: SiteServices, private readonly compat: StreamListener) {}

  /** One HTTP/2 request: answered here when it is a hot file or an unknown host, else by the compatibility layer. */
  serve(view: RequestView, port: number, stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]): void {
    const method = headers[':method'];
    // A request with a body, a Range, an Expect, or another method: the compatibility layer's, untouched.
    if ((method !== 'GET' && method !== 'HEAD') || !stream.endAfterHeaders || headers.range !== undefined || headers.expect !== undefined) {
      return this.compat(stream, headers, flags, rawHeaders);
    }
    const session = stream.session as Routed | undefined;
    if (!session) return this.compat(stream, headers, flags, rawHeaders);
    let route = session[ROUTE];
    if (route === undefined) {
      route = { localAddress: session.socket?.localAddress ?? '', facts: undefined, view: undefined, host: undefined, site: undefined };
      session[ROUTE] = route;
    }
    const host = (headers[':authority'] as string | undefined) ?? headers.host;
    if (route.view !== view || route.host !== host) {
      route.site = routeSite(view, 'https', route.localAddress, port, host);
      route.view = view;
      route.host = host;
    }
    const site = route.site;
    if (!site) return plainStream(stream, 400, 'Bad Request', 'No site is bound to this host name on this address and port.');
    if (site.content.kind !== 'static') return this.compat(stream, headers, flags, rawHeaders);
    const url = headers[':path'] ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const { root } = site.content;
    const hot = this.services.hotFiles.lookup(root, path);
    if (hot === undefined) return this.compat(stream, headers, flags, rawHeaders);
    const logged = site.logFormat !== 'off';
    if (logged) {
      (stream as Recorded)[RECORD] = {
        logs: this.services.logs, site, port, started: Date.now(), connection: route.facts ??= connectionFacts(session.socket, 'https'), headers, status: 200, bytes: 0,
      };
      // `on`, not `once`: a stream closes once, and no wrapper is made per request.
      stream.on('close', streamClosed);
    }
    if (hot !== 'stale') return this.#answer(stream, site, hot, headers);
    // One stat, no open: a client that resets its streams at once costs no descriptor.
    void this.services.hotFiles.revalidate(root, path).then((fresh) => {
      if (stream.destroyed || stream.closed) return;
      if (fresh) return this.#answer(stream, site, fresh, headers);
      // Changed or gone: `send` answers from disk, and the compatibility path writes the log line.
      if (logged) (stream as Recorded)[RECORD] = undefined;
      this.compat(stream, headers, flags, rawHeaders);
    });
  }

  #answer(stream: ServerHttp2Stream, site: Site, hot: HotFile, headers: IncomingHttpHeaders): void {
    if (stream.destroyed || stream.closed) return;
    const status = answerHot(stream, hot, headers, site.hsts);
    this.services.metrics?.request(site.name, status);
  }
}

/**
 * A 200 (or 304 when the client's copy is current; no body for HEAD) from memory, with the headers
 * `send` gave the file; answers the status.
 */
function answerHot(stream: ServerHttp2Stream, hot: HotFile, headers: IncomingHttpHeaders, hsts: boolean): number {
  const h = hotHeaders(hot);
  const record = (stream as Recorded)[RECORD];
  if (clientCopyIsCurrent(hot, headers['if-none-match'], headers['if-modified-since'])) {
    if (record) record.status = 304;
    stream.respond(hsts ? h.notModifiedHsts : h.notModified, { endStream: true });
    return 304;
  }
  if (record) record.bytes = hot.body.length;
  if (headers[':method'] === 'HEAD') {
    stream.respond(hsts ? h.okHsts : h.ok, { endStream: true });
    return 200;
  }
  stream.respond(hsts ? h.okHsts : h.ok);
  stream.end(hot.body);
  return 200;
}

function hotHeaders(hot: HotFile): HotHeaders {
  let h = HOT_HEADERS.get(hot);
  if (h === undefined) {
    // The order the compatibility path sent them in: HSTS, the file's headers, then its length.
    const notModified: OutgoingHttpHeaders = { ':status': 304 };
    for (const name in hot.headers) if (name !== 'content-type') notModified[name] = hot.headers[name];
    const ok: OutgoingHttpHeaders = { ':status': 200, ...hot.headers, 'content-length': hot.body.length };
    h = {
      ok,
      okHsts: { ':status': 200, 'strict-transport-security': HSTS, ...ok },
      notModified,
      notModifiedHsts: { ':status': 304, 'strict-transport-security': HSTS, ...notModified },
    };
    HOT_HEADERS.set(hot, h);
  }
  return h;
}

/** A short HTML error page on a stream (site-handler's `plainPage`). */
export function plainStream(stream: ServerHttp2Stream, status: number, title: string, text: string): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  const body = plainBody(status, title, text);
  stream.respond({ ':status': status, 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  stream.end(body);
}

/** The 'close' listener of every stream answered here (one function for all): its access log line. */
function streamClosed(this: Recorded): void {
  const r = this[RECORD];
  if (r === undefined) return;
  this[RECORD] = undefined;
  const { site, connection, headers } = r;
  r.logs.write(site, {
    at: r.started, serverAddress: connection.serverAddress, serverPort: r.port, method: headers[':method'] ?? '', url: headers[':path'] ?? '',
    clientAddress: connection.clientAddress, userAgent: header(headers, 'user-agent'), referer: header(headers, 'referer'), status: r.status,
    bytes: r.bytes, httpVersion: '2.0', millis: Date.now() - r.started, tlsGroup: connection.tlsGroup,
  });
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
}
