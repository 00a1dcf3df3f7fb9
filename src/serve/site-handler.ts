import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import send from 'send';
import type { BindingProtocol } from '../model/binding.js';
import type { Site } from '../model/site.js';
import type { HostRouter } from '../config/host-router.js';
import type { AccessRecord } from './access-log.js';
import { canonicalAddress } from '../config/ip-address.js';
import { connectionGroup } from './connection-group.js';
import type { HotFile, HotFiles } from './hot-files.js';

export type AnyRequest = IncomingMessage | Http2ServerRequest;
export type AnyResponse = ServerResponse | Http2ServerResponse;

/** The view of the configuration one request needs; swapped whole when the revision changes. */
export interface RequestView {
  router: HostRouter;
  sites: ReadonlyMap<string, Site>;
  /** An https port of the site, for the http → https redirect. */
  httpsPortOf: (site: string) => number | undefined;
}

/** What requests are handed to beyond the configuration: one per server, shared by every revision. */
export interface SiteServices {
  proxy: { web(req: AnyRequest, res: AnyResponse, upstream: string): void };
  logs: { write(site: Site, record: AccessRecord): void };
  hotFiles: HotFiles;
  /** Counts each answered request per site and status code (metrics/serving-metrics.ts). */
  metrics?: { request(site: string, status: number): void } | undefined;
}

export const HSTS = 'max-age=31536000';
const REASONS: Record<number, string> = { 400: 'Bad Request', 412: 'Precondition Failed', 416: 'Range Not Satisfiable' };

/**
 * Handles one request after TLS: routes by local address, port and Host to a started site, then
 * serves it (static files through `send`: index.html, ETag and Last-Modified revalidation, Range,
 * HEAD, no dotfiles, no directory listings, no path traversal). No matching site: a short 400 page —
 * never another site's content.
 */
export function handleRequest(view: RequestView, services: SiteServices, protocol: BindingProtocol, port: number, req: AnyRequest, res: AnyResponse): void {
  const site = siteFor(view, protocol, port, req);
  if (!site) return plainPage(res, 400, 'Bad Request', 'No site is bound to this host name on this address and port.');
  if (site.logFormat !== 'off' || services.metrics) {
    (res as Logged)[PENDING] = { services, site, port, started: Date.now(), connection: connectionFacts(req.socket, protocol) };
    res.on('finish', logFinished);
  }
  if (protocol === 'http' && site.httpsRedirect) {
    const httpsPort = view.httpsPortOf(site.name);
    const name = (requestHost(req) ?? '').replace(/:\d+$/, '');
    if (httpsPort !== undefined && name !== '') {
      // Only a plain host name or IP address goes into the Location: a Host such as
      // "a.test@evil.example" or "evil.example/x" would send the client elsewhere.
      if (!REDIRECT_HOST.test(name)) return plainPage(res, 400, 'Bad Request', 'The Host header is not a host name.');
      res.statusCode = 301;
      res.setHeader('location', `https://${name}${httpsPort === 443 ? '' : `:${httpsPort}`}${sameHostPath(req.url ?? '/')}`);
      res.end();
      return;
    }
  }
  if (protocol === 'https' && site.hsts) res.setHeader('strict-transport-security', HSTS);
  if (site.content.kind === 'static') return serveStatic(services.hotFiles, site.content.root, req, res);
  return services.proxy.web(req, res, site.content.upstream);
}

/** The started site a request is for, by local address, port and Host; undefined when none. */
export function siteFor(view: RequestView, protocol: BindingProtocol, port: number, req: AnyRequest): Site | undefined {
  return routeSite(view, protocol, req.socket.localAddress ?? '', port, requestHost(req));
}

/** The started site for a local address, port and Host (or :authority); undefined when none. */
export function routeSite(view: RequestView, protocol: BindingProtocol, localAddress: string, port: number, host: string | undefined): Site | undefined {
  const route = view.router.route({ protocol, localAddress, port, host });
  return route ? view.sites.get(route.site) : undefined;
}

/** What is known of a request's connection once: canonical addresses and the TLS group, kept on the socket for its next requests. */
export interface ConnectionFacts {
  serverAddress: string;
  clientAddress: string;
  tlsGroup: string;
}

/** A request being answered: what its access log line and counter need once it has finished. */
interface Pending {
  services: SiteServices;
  site: Site;
  port: number;
  started: number;
  connection: ConnectionFacts;
}

const FACTS = Symbol('gatehouse.connectionFacts');
const PENDING = Symbol('gatehouse.pendingRequest');
type Logged = AnyResponse & { [PENDING]?: Pending };

/**
 * The facts of a request's connection, worked out on its first request. (An HTTP/2 request's
 * `socket` hands property reads and writes through to the connection's TLS socket, so the streams
 * of one connection share them; they are read now because that view is gone once a stream has finished.)
 */
export function connectionFacts(of: { localAddress?: string | undefined; remoteAddress?: string | undefined }, protocol: BindingProtocol): ConnectionFacts {
  const socket = of as typeof of & { [FACTS]?: ConnectionFacts };
  let facts = socket[FACTS];
  if (facts === undefined) {
    facts = {
      serverAddress: canonicalAddress(socket.localAddress ?? '') ?? '',
      clientAddress: canonicalAddress(socket.remoteAddress ?? '') ?? '',
      tlsGroup: protocol === 'https' ? (connectionGroup(socket as unknown as TLSSocket) ?? '') : '',
    };
    socket[FACTS] = facts;
  }
  return facts;
}

/** The 'finish' listener of every response (one function for all: no closure per request): counts it and logs it. */
function logFinished(this: Logged): void {
  const p = this[PENDING];
  if (p === undefined) return;
  this[PENDING] = undefined;
  const { site, connection } = p;
  p.services.metrics?.request(site.name, this.statusCode);
  if (site.logFormat === 'off') return;
  const req = (this as { req: AnyRequest }).req;
  p.services.logs.write(site, {
    at: p.started, serverAddress: connection.serverAddress, serverPort: p.port, method: req.method ?? '', url: req.url ?? '',
    clientAddress: connection.clientAddress, userAgent: header(req, 'user-agent'), referer: header(req, 'referer'), status: this.statusCode,
    bytes: Number(this.getHeader('content-length') ?? 0) || 0, httpVersion: req.httpVersion, millis: Date.now() - p.started, tlsGroup: connection.tlsGroup,
  });
}

function header(req: AnyRequest, name: string): string {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
}

/** The Host header, or HTTP/2's :authority. */
function requestHost(req: AnyRequest): string | undefined {
  return (req.headers[':authority'] as string | undefined) ?? req.headers.host;
}

const KEPT_HEADERS = ['content-type', 'etag', 'last-modified', 'cache-control', 'accept-ranges'];

function serveStatic(hotFiles: HotFiles, root: string, req: AnyRequest, res: AnyResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return plainPage(res, 405, 'Method Not Allowed', 'A static site answers GET and HEAD.');
  }
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const plain = req.headers.range === undefined;
  if (plain) {
    const hot = hotFiles.lookup(root, path);
    if (hot === 'stale') {
      // One stat, no open: a client that resets its streams at once costs no descriptor.
      void hotFiles.revalidate(root, path).then((fresh) => {
        if (responseGone(res)) return;
        if (fresh) serveHot(fresh, req, res);
        else serveFromDisk(hotFiles, root, path, plain, req, res);
      });
      return;
    }
    if (hot) return serveHot(hot, req, res);
  }
  serveFromDisk(hotFiles, root, path, plain, req, res);
}

/** Whether the client has gone (HTTP/1.1 connection closed, HTTP/2 stream reset) or the answer is already complete. */
function responseGone(res: AnyResponse): boolean {
  if (res.writableEnded || (res as { destroyed?: boolean }).destroyed === true) return true;
  const stream = (res as { stream?: { destroyed: boolean } }).stream;
  return stream?.destroyed === true;
}

function serveFromDisk(hotFiles: HotFiles, root: string, path: string, plain: boolean, req: AnyRequest, res: AnyResponse): void {
  const stream = send(req as IncomingMessage, path, { root, index: ['index.html'], dotfiles: 'deny', etag: true, lastModified: true, acceptRanges: true });
  releaseFileOnClose(stream, res);
  if (plain) {
    stream.on('file', (filePath: string, st: { size: number; mtimeMs: number }) => {
      res.once('finish', () => {
        if (res.statusCode !== 200) return;
        const headers: Record<string, string> = {};
        for (const name of KEPT_HEADERS) {
          const v = res.getHeader(name);
          if (v !== undefined) headers[name] = String(v);
        }
        void hotFiles.remember(root, path, filePath, st.size, st.mtimeMs, headers);
      });
    });
  }
  stream.on('error', (err: { status?: number; headers?: Record<string, string> }) => {
    const status = err.status ?? 500;
    // Hidden and forbidden paths look like missing ones: nothing about the file system is revealed.
    if (status === 403 || status === 404) return plainPage(res, 404, 'Not Found', 'There is no such file here.');
    if (status < 500) {
      for (const [name, value] of Object.entries(err.headers ?? {})) res.setHeader(name, value);
      return plainPage(res, status, REASONS[status] ?? 'Bad Request', 'The request cannot be answered as asked.');
    }
    return plainPage(res, 500, 'Internal Server Error', 'The file could not be read.');
  });
  // A folder asked for without its trailing slash: send the client to the folder's default document.
  stream.on('directory', () => {
    res.statusCode = 301;
    res.setHeader('location', `${sameHostPath(path)}/`);
    res.end();
  });
  stream.pipe(res as ServerResponse);
}

/**
 * Closes the file `send` opened once the response is closed, however that happens: finished, HTTP/1.1
 * connection aborted, HTTP/2 stream reset (RST_STREAM) or session gone (GOAWAY). A pipe does not end
 * its source when the destination goes away, and `send` does not notice an HTTP/2 reset: without
 * this, every reset stream kept one descriptor open for good (issue #10, rapid reset).
 */
function releaseFileOnClose(stream: ReturnType<typeof send>, res: AnyResponse): void {
  let file: Readable | undefined;
  let closed = false;
  // `send` opens the file after its stat; a client gone by then must not make it open one at all
  // (rapid reset: thousands of opens in flight held ~20,000 descriptors until they drained).
  const sendStream = stream as unknown as { stream: (path: string, options: unknown) => void };
  const openAndPipe = sendStream.stream;
  sendStream.stream = function (this: unknown, path: string, options: unknown) {
    if (closed || responseGone(res)) return;
    openAndPipe.call(this, path, options);
  };
  // `send` opens the file after its stat, which may end after the client has already gone.
  stream.on('stream', (opened: Readable) => {
    file = opened;
    if (closed) opened.destroy();
  });
  res.once('close', () => {
    closed = true;
    file?.destroy();
  });
}

/** A 200 (or 304 when the client's copy is current) from memory, with the headers `send` gave the file. */
function serveHot(hot: HotFile, req: AnyRequest, res: AnyResponse): void {
  // for…in, not Object.entries: no arrays built per request.
  for (const name in hot.headers) res.setHeader(name, hot.headers[name]!);
  if (clientCopyIsCurrent(hot, req.headers['if-none-match'], req.headers['if-modified-since'])) {
    res.statusCode = 304;
    res.removeHeader('content-type');
    res.end();
    return;
  }
  res.statusCode = 200;
  res.setHeader('content-length', hot.body.length);
  if (req.method === 'HEAD') res.end();
  else res.end(hot.body);
}

/** Whether the client's copy of a hot file is current (a 304): If-None-Match when it is sent, else If-Modified-Since. */
export function clientCopyIsCurrent(hot: HotFile, inm: string | undefined, ims: string | undefined): boolean {
  return inm !== undefined
    ? inm === hot.etag || inm.split(',').some((t) => t.trim() === hot.etag || t.trim() === '*')
    : ims !== undefined && Date.parse(ims) >= Date.parse(hot.lastModified);
}

/** A DNS name or an IP address (IPv6 in brackets), as the Host header carries them without the port. */
const REDIRECT_HOST = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?|\[[0-9A-Fa-f:.]+\])$/;

/**
 * A request target made safe for a Location on the same host: the path and query of an absolute-form
 * target (`GET http://x/p`), `/` for anything else that is not a path (`*`); every character a URL may not
 * hold raw percent-encoded — existing escapes kept as they are, the backslash and control characters
 * encoded (browsers read `/\` as `//` and drop tabs and newlines); and one leading slash, never
 * two, so that the result is a path and never a network-path reference (`//evil.example/`) that
 * browsers follow to another host.
 */
export function sameHostPath(target: string): string {
  let path = target;
  if (!path.startsWith('/')) {
    const url = URL.parse(path);
    path = url && /^[A-Za-z][A-Za-z0-9+.-]*:/.test(path) ? `${url.pathname}${url.search}` : '/';
  }
  const encoded = path
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]/gu, (c) => encodeURIComponent(c));
  return `/${encoded.replace(/^\/+/, '')}`;
}

/** A short HTML page for errors; no server details. */
export function plainPage(res: AnyResponse, status: number, title: string, text: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = plainBody(status, title, text);
  res.statusCode = status;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.setHeader('cache-control', 'no-store');
  res.end(body);
}

/** The body of a short error page. */
export function plainBody(status: number, title: string, text: string): string {
  return `<!DOCTYPE html><html><head><title>${status} ${title}</title></head><body><h1>${status} ${title}</h1><p>${text}</p></body></html>\n`;
}
