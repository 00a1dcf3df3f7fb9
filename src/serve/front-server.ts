import cluster from 'node:cluster';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createSecureServer, type Http2SecureServer, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import type { Binding, BindingProtocol } from '../model/binding.js';
import type { Site } from '../model/site.js';
import { CertificateSelector, startedSites } from '../config/certificate-selector.js';
import { HostRouter } from '../config/host-router.js';
import { canonicalAddress } from '../config/ip-address.js';
import type { ServingConfig } from '../config/serving-config.js';
import type { ContextCache } from './context-cache.js';
import { handleRequest, plainPage, siteFor, type RequestView, type SiteServices } from './site-handler.js';
import type { AccessLogs } from './access-log.js';
import { HotFiles, type HotFileLimits } from './hot-files.js';
import { UpstreamProxy, UpstreamTimeout } from './upstream-proxy.js';
import { ConnectionGuard, DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from './connection-guard.js';
import { ALPN_PROTOCOLS, INTERMEDIATE_PROFILE } from '../model/tls-profile.js';
import { AcmeResponder } from './acme-responder.js';
import { CoreStreams, plainStream, type StreamListener } from './h2-stream.js';
import type { KeyMaterial } from './context-cache.js';
import { listenHost } from '../config/any-address.js';
import type { ServingMetrics } from '../metrics/serving-metrics.js';

/**
 * HTTP/2 limits per connection (issue #10: rapid reset, CVE-2023-44487). nghttp2 enforces them and
 * ends the session with GOAWAY when a client goes past them; they are written out here rather than
 * left to Node's defaults so that they are documented and tested:
 * - at most 128 streams open at once (nginx's `http2_max_concurrent_streams`; Node's default is 2³²−1);
 * - RST_STREAM from the client: a bucket of 1000 that refills at 33 a second (a browser cancels a few
 *   streams when the user navigates away; an attacker cancels every stream it opens);
 * - 100 refused streams and 1000 invalid frames per session.
 */
export const HTTP2_LIMITS = {
  settings: { maxConcurrentStreams: 128 },
  streamResetBurst: 1000,
  streamResetRate: 33,
  maxSessionRejectedStreams: 100,
  maxSessionInvalidFrames: 1000,
} as const;

/**
 * Personal-store certificates whose TLS contexts a revision builds before it is served; more (a
 * store with thousands) are warmed first, in the background, so that start is not kept waiting.
 */
export const PRELOAD_AT_ONCE = 100;

/** At most one log line per this many ms about clients whose HTTP/2 connection was closed (or refused: a connection cap). */
const SESSION_ERROR_LOG_MS = 10_000;

/** Logs the first event at once, then at most one line per `everyMs` with how many it left out. */
class RateLimitedLog {
  #last = -Infinity;
  #skipped = 0;

  constructor(private readonly everyMs: number, private readonly write: (client: string, detail: string, more: number) => void) {}

  note(client: string, detail: string): void {
    const now = Date.now();
    if (now - this.#last < this.everyMs) {
      this.#skipped++;
      return;
    }
    this.#last = now;
    const more = this.#skipped;
    this.#skipped = 0;
    this.write(client, detail, more);
  }
}

/** One socket Gatehouse listens on: `*` bindings listen on every address (`::`, dual-stack). */
interface ListenerSpec {
  protocol: BindingProtocol;
  port: number;
  address: string;
}

interface Listener {
  spec: ListenerSpec;
  server: NetServer | HttpServer;
}

/** Everything one revision serves, built in full before it is swapped in. */
interface ServingState {
  revision: number;
  selector: CertificateSelector;
  view: RequestView;
  listeners: ListenerSpec[];
}

const specKey = (s: ListenerSpec) => `${s.protocol}|${s.address}|${s.port}`;

/**
 * The data plane: listeners for every binding of every started site, certificate selection at the
 * handshake and routing after it, reconciled to each new configuration revision without a restart.
 * A new revision is built in full and swapped in: new handshakes and requests see it at once, open
 * connections finish on what they had, listeners no longer wanted stop accepting and drain. A
 * listener that cannot open (port in use) is logged and retried at the next revision; the rest serve on.
 */
/** The client address of each HTTP/2 session, for the log line when the session is ended over the limits. */
const clientOf = new WeakMap<object, string>();

export class FrontServer {
  #state: ServingState | undefined;
  /** The Personal store's certificates of the last revision applied (built at once or warmed first). */
  #preload: string[] = [];
  readonly #listeners = new Map<string, Listener>();
  /** One TLS server per (port, local address): its default context answers clients without SNI. */
  readonly #endpoints = new Map<string, Http2SecureServer>();

  readonly #proxy: UpstreamProxy;
  readonly #services: SiteServices;
  /** Raw TLS connections still open, cut after the grace period when the server shuts down. */
  readonly #openSockets = new Set<Socket>();
  readonly #sessionErrors: RateLimitedLog;
  readonly #refused: RateLimitedLog;
  /** Timeouts and per-address caps (Node's own checks do not run on servers that were never listen()ed). */
  readonly #guard: ConnectionGuard;
  /** The pending ACME challenges (HTTP-01 and TLS-ALPN-01) of the current revision. */
  readonly #acme = new AcmeResponder((id) => this.challengeMaterial(id));
  /** Where a TLS-ALPN-01 challenge's certificate and key come from (`serve` sets it to the serving read model's). */
  challengeMaterial: (id: number) => KeyMaterial | undefined = () => undefined;

  constructor(
    private readonly contexts: ContextCache,
    private readonly log: (line: string) => void,
    private readonly logs: AccessLogs,
    hotFileLimits: Partial<HotFileLimits> = {},
    connectionLimits: Partial<ConnectionLimits> = {},
    /** Every listener error after the socket opened (accept failures such as EMFILE among them). */
    private readonly onListenerError: (error: Error) => void = () => undefined,
    /** The OCSP response to staple for a served certificate (its DER), or undefined. */
    private readonly staples: (certificate: Buffer) => Buffer | undefined = () => undefined,
    /** Handshakes per binding and requests per site (`/metrics`); none counts nothing. */
    private readonly metrics?: ServingMetrics,
  ) {
    const limits = { ...DEFAULT_CONNECTION_LIMITS, ...connectionLimits };
    this.#proxy = new UpstreamProxy((req, res, error) => {
      this.log(`upstream for ${req.headers[':authority'] ?? req.headers.host ?? '?'}${req.url ?? ''} failed: ${error.message}`);
      if (!('setHeader' in res)) res.destroy();
      else if (error instanceof UpstreamTimeout) plainPage(res, 504, 'Gateway Timeout', 'The site\'s upstream server did not answer in time.');
      else plainPage(res, 502, 'Bad Gateway', 'The site\'s upstream server did not answer.');
    }, { connectSeconds: limits.upstreamConnectSeconds, responseSeconds: limits.upstreamSeconds });
    this.#services = { proxy: this.#proxy, logs, hotFiles: new HotFiles(hotFileLimits), metrics };
    this.#sessionErrors = new RateLimitedLog(SESSION_ERROR_LOG_MS, (client, detail, more) => this.log(
      `closed an HTTP/2 connection from ${client}: ${detail} (too many stream resets, refused streams or invalid frames)${more > 0 ? `; ${more} more since the last such line` : ''}`));
    this.#refused = new RateLimitedLog(SESSION_ERROR_LOG_MS, (client, detail, more) => this.log(
      `refused a connection from ${client}: ${detail}${more > 0 ? `; ${more} more refused since the last such line` : ''}`));
    this.#guard = new ConnectionGuard(limits, (client, detail) => this.#refused.note(client, detail));
  }

  get revision(): number | undefined {
    return this.#state?.revision;
  }

  /** Builds the state for `config`, swaps it in and reconciles the listeners. */
  async apply(config: ServingConfig): Promise<void> {
    const next = buildState(config);
    // Personal-store certificates are ready before the first handshake (the first PRELOAD_AT_ONCE of
    // them; the rest are warmed first, in the background, see `certificates`); Web Hosting ones are
    // built on first use or by the warming. Never more than the cache holds, and none built twice.
    let built = 0;
    for (const thumbprint of config.preload) {
      if (built >= PRELOAD_AT_ONCE || this.contexts.full) break;
      if (this.contexts.has(thumbprint)) continue;
      this.contexts.get(thumbprint);
      built++;
    }
    this.#preload = config.preload;
    this.#acme.apply(config.acmeChallenges);
    this.#state = next;
    for (const [key, endpoint] of this.#endpoints) this.#setDefaultContext(endpoint, key);
    const wanted = new Map(next.listeners.map((s) => [specKey(s), s]));
    for (const [key, listener] of this.#listeners) {
      if (wanted.has(key)) continue;
      this.#listeners.delete(key);
      listener.server.close();
      this.log(`stopped listening on ${describe(listener.spec)}; open connections drain`);
    }
    await Promise.all([...wanted].filter(([key]) => !this.#listeners.has(key)).map(([key, spec]) => this.#open(key, spec)));
  }

  /** Every certificate a handshake can get in the current revision, the Personal store's first (what `serve` warms after each change). */
  certificates(): string[] {
    return [...this.#preload, ...(this.#state?.selector.certificates() ?? [])];
  }

  /**
   * Stops accepting everywhere and lets open requests finish: idle keep-alive connections are
   * closed at once, busy ones get `graceMs` before they are cut.
   */
  async close(graceMs = 5000): Promise<void> {
    const sockets = new Set<Socket>();
    const closing = [...this.#listeners.values()].map((l) => new Promise<void>((resolve) => {
      l.server.close(() => resolve());
      if ('closeIdleConnections' in l.server) l.server.closeIdleConnections();
    }));
    for (const endpoint of this.#endpoints.values()) {
      endpoint.close();
    }
    for (const s of this.#openSockets) sockets.add(s);
    this.#listeners.clear();
    const timer = setTimeout(() => {
      for (const s of sockets) s.destroy();
    }, graceMs);
    timer.unref();
    this.#proxy.close();
    this.#acme.close();
    this.#guard.stop();
    await this.logs.close();
    await Promise.race([Promise.all(closing), new Promise((resolve) => setTimeout(resolve, graceMs + 100).unref())]);
    clearTimeout(timer);
  }

  listening(): string[] {
    return [...this.#listeners.values()].map((l) => describe(l.spec));
  }

  async #open(key: string, spec: ListenerSpec): Promise<void> {
    const name = describe(spec);
    const limits = this.#guard.limits;
    const server = spec.protocol === 'http'
      ? createHttpServer({
        // This server is listen()ed, so Node's own clocks run too: set them to the same values.
        headersTimeout: limits.headerSeconds * 1000, keepAliveTimeout: limits.keepAliveSeconds * 1000, requestTimeout: 0,
        maxHeaderSize: limits.maxHeaderBytes,
      }, (req, res) => {
        this.#guard.request(req, res);
        const state = this.#state;
        // ACME HTTP-01 answers come before any site: the CA asks on whatever host name it validates.
        if (state && !this.#acme.answerHttp(req, res)) handleRequest(state.view, this.#services, 'http', spec.port, req, res);
      })
      : createNetServer({ pauseOnConnect: false }, (socket) => {
        if (this.#guard.admit(name, socket)) this.#dispatch(spec.port, socket);
      });
    if (spec.protocol === 'http') {
      server.on('connection', (socket: Socket) => {
        if (this.#guard.admit(name, socket)) this.#guard.http1(socket);
      });
    }
    server.maxConnections = limits.maxConnections;
    // words: cli — the server's own log names the serve flag that set the limit.
    server.on('drop', (d?: { remoteAddress?: string }) => this.#refused.note(d?.remoteAddress ?? '?', `${name} has ${limits.maxConnections} connections open (--max-connections)`));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        // Each worker binds its own socket (SO_REUSEPORT, the kernel spreads connections) rather than
        // sharing the primary's through cluster: Node 24's cluster crashes a worker that listens again on
        // a port whose first try failed (EADDRINUSE), which is exactly the retry at the next change.
        server.listen({ port: spec.port, host: listenHost(spec.address), ipv6Only: false, exclusive: true, reusePort: cluster.isWorker }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      this.log(`cannot listen on ${describe(spec)}: ${(e as Error).message}; the rest keeps serving, and it is tried again at the next change`);
      return;
    }
    server.on('error', (e) => {
      this.log(`listener ${describe(spec)} failed: ${(e as Error).message}`);
      this.onListenerError(e as Error);
    });
    if (spec.protocol === 'http') server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade('http', spec.port, req, socket, head));
    this.#listeners.set(key, { spec, server });
    this.log(`listening on ${describe(spec)}`);
  }

  /**
   * Hands a raw connection to the TLS server of its local address, created on first use — or, while
   * a TLS-ALPN-01 challenge is pending, first reads its ClientHello so that a CA's validation
   * (ALPN acme-tls/1 alone, for a name being validated) gets the challenge certificate instead.
   */
  #dispatch(port: number, socket: Socket): void {
    this.#openSockets.add(socket);
    socket.once('close', () => this.#openSockets.delete(socket));
    if (!this.#acme.alpnPending) {
      this.#toEndpoint(port, socket);
      return;
    }
    void this.#acme.take(socket, this.#guard.limits.handshakeSeconds * 1000).then((taken) => {
      if (!taken && !socket.destroyed) this.#toEndpoint(port, socket);
    });
  }

  #toEndpoint(port: number, socket: Socket): void {
    const local = canonicalAddress(socket.localAddress ?? '') ?? '';
    const key = `${port}|${local}`;
    let endpoint = this.#endpoints.get(key);
    if (!endpoint) {
      endpoint = createSecureServer({
        ...INTERMEDIATE_PROFILE,
        ...HTTP2_LIMITS,
        // HTTP/1.1 (431 from Node's parser) and HTTP/2 (the limit the client is told; enforced once it acknowledged it).
        // (Node applies maxHeaderSize to the HTTP/1.1 connections of an HTTP/2 server; its types do not list it.)
        ...({ maxHeaderSize: this.#guard.limits.maxHeaderBytes } as object),
        settings: { ...HTTP2_LIMITS.settings, maxHeaderListSize: this.#guard.limits.maxHeaderBytes },
        allowHTTP1: true,
        ALPNProtocols: ALPN_PROTOCOLS,
        handshakeTimeout: this.#guard.limits.handshakeSeconds * 1000,
        SNICallback: (servername, cb) => {
          const context = this.#context({ localAddress: local, port, servername });
          if (context) cb(null, context);
          else cb(new Error(`no certificate for ${servername} on ${local}:${port}`));
        },
      });
      endpoint.on('secureConnection', (tls: TLSSocket) => {
        if (tls.alpnProtocol !== 'h2') this.#guard.http1(tls);
        // The binding whose certificate answered: the selection the handshake made, asked again.
        if (this.metrics) this.metrics.handshake(this.#state?.selector.select({ localAddress: local, port, servername: tls.servername || undefined }).binding);
      });
      endpoint.on('session', (session) => {
        // Kept now: once nghttp2 has ended a session over the limits its socket is gone, and with it the address.
        clientOf.set(session, session.socket?.remoteAddress ?? '?');
        this.#guard.http2(session);
      });
      endpoint.on('request', (req, res) => {
        if (req.httpVersionMajor === 1) this.#guard.request(req as unknown as IncomingMessage, res as unknown as ServerResponse);
        else if (headerListSize(req.rawHeaders) > this.#guard.limits.maxHeaderBytes) {
          // Before the client acknowledges the advertised limit, nghttp2 accepts up to its own 64 KiB.
          plainPage(res, 431, 'Request Header Fields Too Large', 'The request\'s header fields are larger than this server accepts.');
          return;
        } else this.#guard.http2Request(req);
        const state = this.#state;
        if (state) handleRequest(state.view, this.#services, 'https', port, req, res);
      });
      // HTTP/2 streams are served through the core API (h2-stream.ts). Adding the 'request' listener
      // above made Node attach its compatibility layer to 'stream' (it is where HTTP/1.1 requests
      // arrive too): it is taken off and called only for the requests the core path hands back.
      const compat = endpoint.listeners('stream')[0] as StreamListener | undefined;
      if (compat) endpoint.removeListener('stream', compat);
      const core = compat ? new CoreStreams(this.#services, compat.bind(endpoint)) : undefined;
      const maxHeaderBytes = this.#guard.limits.maxHeaderBytes;
      if (core) endpoint.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]) => {
        // Errors of a stream are the client's (reset, protocol error); the compatibility layer ignores them too.
        stream.on('error', ignore);
        if (headerListSize(rawHeaders) > maxHeaderBytes) {
          // Before the client acknowledges the advertised limit, nghttp2 accepts up to its own 64 KiB.
          return plainStream(stream, 431, 'Request Header Fields Too Large', 'The request\'s header fields are larger than this server accepts.');
        }
        const state = this.#state;
        if (state) core.serve(state.view, port, stream, headers, flags, rawHeaders);
        else compat!(stream, headers, flags, rawHeaders);
      });
      endpoint.on('upgrade', (req: IncomingMessage, sock: Duplex, head: Buffer) => this.#upgrade('https', port, req, sock, head));
      endpoint.on('tlsClientError', () => undefined);
      // OCSP stapling: asked only by clients that send status_request; the staple kept for that certificate, if any.
      endpoint.on('OCSPRequest', (certificate: Buffer, _issuer: Buffer, cb: (error: Error | null, response?: Buffer) => void) => {
        cb(null, this.staples(certificate));
      });
      // nghttp2 answers a client over the limits with GOAWAY and ends the session; the server says so.
      endpoint.on('sessionError', (error: NodeJS.ErrnoException, session: ServerHttp2Session) => {
        // A socket error (ECONNRESET, EPIPE…) is a client going away, not a client over the limits.
        if (error.code !== undefined && !error.code.startsWith('ERR_')) return;
        this.#sessionErrors.note(clientOf.get(session) ?? session.socket?.remoteAddress ?? '?', error.message);
      });
      this.#setDefaultContext(endpoint, key);
      this.#endpoints.set(key, endpoint);
    }
    // The server's own context (clients without SNI) follows the ticket key window like the others.
    this.contexts.freshen(endpoint);
    endpoint.emit('connection', socket);
  }

  /** WebSocket (HTTP/1.1 Upgrade) requests: relayed to a proxy site's upstream; refused otherwise. */
  #upgrade(protocol: BindingProtocol, port: number, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#guard.release(req.socket);
    const state = this.#state;
    const site = state ? siteFor(state.view, protocol, port, req) : undefined;
    if (site?.content.kind !== 'proxy') {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.#proxy.ws(req, socket, head, site.content.upstream);
  }

  #context(probe: { localAddress: string; port: number; servername?: string }): SecureContext | undefined {
    const selection = this.#state?.selector.select(probe);
    return selection?.thumbprint ? this.contexts.get(selection.thumbprint) : undefined;
  }

  /** The context for clients that send no SNI: the IP:port step onwards; none means refuse. */
  #setDefaultContext(endpoint: Http2SecureServer, key: string): void {
    const [port, local] = key.split('|') as [string, string];
    const selection = this.#state?.selector.select({ localAddress: local, port: Number(port) });
    const options = selection?.thumbprint ? this.contexts.options(selection.thumbprint) : undefined;
    // Without a certificate the default context has none, and a client without SNI gets a handshake alert.
    endpoint.setSecureContext(options ?? this.contexts.bare());
  }
}

function ignore(): void {}

/** An HTTP/2 header list's size as SETTINGS_MAX_HEADER_LIST_SIZE counts it (RFC 9113 §6.5.2): name, value and 32 per field. */
export function headerListSize(rawHeaders: readonly string[]): number {
  let size = 0;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) size += rawHeaders[i]!.length + rawHeaders[i + 1]!.length + 32;
  return size;
}

function buildState(config: ServingConfig): ServingState {
  const started = startedSites(config);
  const live = config.bindings.filter((b) => started.has(b.site));
  const httpsPorts = new Map<string, number>();
  for (const b of live) if (b.protocol === 'https' && !httpsPorts.has(b.site)) httpsPorts.set(b.site, b.port);
  const sites = new Map<string, Site>();
  for (const s of config.sites) if (s.state === 'started') sites.set(s.name, s);
  return {
    revision: config.revision,
    selector: new CertificateSelector(config, started),
    view: {
      router: new HostRouter(config, started),
      sites,
      httpsPortOf: (site) => httpsPorts.get(site),
    },
    listeners: listenerSpecs(live),
  };
}

/** `*` on a port covers every address, so specific addresses on that port need no socket of their own. */
function listenerSpecs(bindings: readonly Binding[]): ListenerSpec[] {
  const byPort = new Map<string, { protocol: BindingProtocol; port: number; addresses: Set<string> }>();
  for (const b of bindings) {
    const key = `${b.protocol}|${b.port}`;
    const entry = byPort.get(key) ?? { protocol: b.protocol, port: b.port, addresses: new Set<string>() };
    entry.addresses.add(b.ip);
    byPort.set(key, entry);
  }
  const specs: ListenerSpec[] = [];
  for (const e of byPort.values()) {
    if (e.addresses.has('*')) specs.push({ protocol: e.protocol, port: e.port, address: '*' });
    else for (const a of e.addresses) specs.push({ protocol: e.protocol, port: e.port, address: a });
  }
  return specs;
}

function describe(s: ListenerSpec): string {
  const addr = s.address === '*' ? '*' : s.address.includes(':') ? `[${s.address}]` : s.address;
  const only = listenHost(s.address);
  return `${s.protocol} ${addr}:${s.port}${s.address === '*' && only !== '::' ? ` on ${only} only` : ''}`;
}
