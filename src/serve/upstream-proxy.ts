import { Agent as HttpAgent, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createProxyServer, type ProxyServer } from 'http-proxy-3';
import type { AnyRequest, AnyResponse } from './site-handler.js';
import { canonicalAddress } from '../config/ip-address.js';

/**
 * Forwards requests of proxy sites to their upstream with http-proxy-3 (a maintained rewrite of
 * node-http-proxy): bodies stream both ways, X-Forwarded-For/-Proto/-Host/-Port are added, WebSocket
 * upgrades are relayed, connections to upstreams are kept alive, and an upstream that does not
 * answer gets the client a 502 page (504 when it is too slow: `UpstreamTimeouts`) — never a hang.
 */
export class UpstreamProxy {
  readonly #proxy: ProxyServer;
  readonly #agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 256 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 256 }) };
  /** The response the upstream request being made right now is for (set only during `web`). */
  #making: AnyResponse | undefined;
  /** Responses whose client went away before the answer was complete: their upstream request was given up. */
  readonly #abandoned = new WeakSet<object>();

  constructor(
    private readonly onError: (req: AnyRequest, res: AnyResponse | Duplex, error: Error) => void,
    private readonly timeouts: UpstreamTimeouts,
  ) {
    // No proxyTimeout: it only starts once the socket is connected, and counts idleness rather than the wait for the answer.
    this.#proxy = createProxyServer({ xfwd: false, ws: true });
    // Before the library copies the answer's fields to the client's response (it only drops Connection
    // and Keep-Alive, and only for HTTP/2).
    this.#proxy.on('proxyRes', (proxyRes: IncomingMessage, req: IncomingMessage) => endToEndAnswer(proxyRes.headers, req));
    this.#proxy.on('error', (error: Error, req: IncomingMessage, res: ServerResponse | Duplex) => {
      // A request given up because its client left is not an upstream failure: nothing to log or answer.
      if (!this.#abandoned.has(res)) this.onError(req, res, error);
    });
    for (const agent of [this.#agents.http, this.#agents.https]) this.#bindToClients(agent);
  }

  web(req: AnyRequest, res: AnyResponse, upstream: string): void {
    const agent = upstream.startsWith('https:') ? this.#agents.https : this.#agents.http;
    this.#making = res;
    try {
      withHeaders(req, endToEndHeaders(req.headers, false), () =>
        this.#proxy.web(req as IncomingMessage, res as ServerResponse, { target: upstream, agent, headers: forwardedHeaders(req) }));
    } finally {
      this.#making = undefined;
    }
  }

  /**
   * Gives up the upstream request of a client that went away before its answer was complete (HTTP/1.1
   * abort, HTTP/2 RST_STREAM or GOAWAY): a request still queued for a socket is dropped from the queue,
   * one in flight has its socket closed. http-proxy-3 tries this itself on the response's 'close', but
   * an HTTP/2 response reports `writableFinished` once its stream is reset, so it never does: every
   * reset stream held an upstream socket (or a place in the queue for one) until the upstream answered
   * (issue #10, finding 3). The agent is where the library's request is made, synchronously inside `web`.
   */
  #bindToClients(agent: HttpAgent): void {
    const target = agent as unknown as { addRequest: (request: ClientRequest, options: unknown) => void };
    const addRequest = target.addRequest.bind(agent);
    target.addRequest = (request, options) => {
      const res = this.#making;
      this.#making = undefined;
      if (res) {
        const abandon = () => {
          if (res.writableEnded) return;
          this.#abandoned.add(res);
          request.destroy();
        };
        res.once('close', abandon);
        request.once('close', () => res.off('close', abandon));
      }
      this.#time(request);
      addRequest(request, options);
    };
  }

  /**
   * The upstream's two clocks (issue #10): a new connection must be accepted (and its TLS handshake
   * done) within the connect timeout, and once the whole request is sent the answer's headers must
   * start within the response timeout (a WebSocket's: its 101). Either running out ends the upstream request with an
   * `UpstreamTimeout` — its socket closed — and the client gets 504.
   */
  #time(request: ClientRequest): void {
    const { connectSeconds, responseSeconds } = this.timeouts;
    let connect: NodeJS.Timeout | undefined;
    let response: NodeJS.Timeout | undefined;
    const clear = () => {
      clearTimeout(connect);
      clearTimeout(response);
    };
    request.once('socket', (socket: Socket) => {
      if (!socket.connecting) return;
      // words: cli — the server's own log names the serve flag that set the limit.
      connect = setTimeout(() => request.destroy(new UpstreamTimeout(`it did not accept a connection within ${connectSeconds} s (--upstream-connect-timeout)`)), connectSeconds * 1000);
      socket.once('encrypted' in socket ? 'secureConnect' : 'connect', () => clearTimeout(connect));
    });
    request.once('finish', () => {
      // words: cli — the server's own log names the serve flag that set the limit.
      response = setTimeout(() => request.destroy(new UpstreamTimeout(`it did not start its answer within ${responseSeconds} s of the request (--upstream-timeout)`)), responseSeconds * 1000);
    });
    request.once('response', clear);
    request.once('upgrade', clear);
    request.once('close', clear);
  }

  ws(req: IncomingMessage, socket: Duplex, head: Buffer, upstream: string): void {
    // Through the same agents, for the same clocks (an upgraded socket leaves the agent's pool and count).
    const agent = upstream.startsWith('https:') || upstream.startsWith('wss:') ? this.#agents.https : this.#agents.http;
    withHeaders(req, endToEndHeaders(req.headers, true), () => this.#proxy.ws(req, socket, head, { target: upstream, agent, headers: forwardedHeaders(req) }));
  }

  close(): void {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }
}

/** The upstream timeouts of proxy sites, in seconds (`serve`'s flags, with the other timeouts in `ConnectionLimits`). */
export interface UpstreamTimeouts {
  /** `--upstream-connect-timeout`: a new connection to the upstream accepted (TLS: handshake done). */
  connectSeconds: number;
  /** `--upstream-timeout`: the answer's headers started after the whole request was sent (nginx's `proxy_read_timeout`, for the first byte). */
  responseSeconds: number;
}

/** An upstream that was too slow to accept or to answer: the client gets 504 Gateway Timeout, not 502. */
export class UpstreamTimeout extends Error {
  override readonly name = 'UpstreamTimeout';
}

/**
 * X-Forwarded-For/-Proto/-Host/-Port, written here rather than by the library so the client's
 * address is plain IPv4 for IPv4 clients (a dual-stack listener reports `::ffff:a.b.c.d`).
 */
function forwardedHeaders(req: AnyRequest): Record<string, string> {
  const socket = req.socket as { remoteAddress?: string; localPort?: number; encrypted?: boolean };
  const client = canonicalAddress(socket.remoteAddress ?? '') ?? socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  const host = (req.headers[':authority'] as string | undefined) ?? req.headers.host ?? '';
  return {
    'x-forwarded-for': prior ? `${String(prior)}, ${client}` : client,
    'x-forwarded-proto': socket.encrypted ? 'https' : 'http',
    'x-forwarded-host': host,
    'x-forwarded-port': String(socket.localPort ?? ''),
  };
}

/**
 * Fields about one connection rather than the request (RFC 9110 §7.6.1), never forwarded: the
 * client's `Connection` and every field it names, and the fields that are hop-by-hop whether named
 * or not — the same list as nginx's and Go's reverse proxies. `Upgrade: h2c` on a plain request
 * would otherwise ask the upstream to switch protocols behind the proxy's back.
 */
const HOP_BY_HOP = ['connection', 'proxy-connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authenticate', 'proxy-authorization'];
/** Never removed even when `Connection` names them: the upstream needs them to read the request. */
const FRAMING = new Set(['host', 'content-length', ':method', ':path', ':scheme', ':authority']);

/** The hop-by-hop fields of a header block: the fixed list and whatever its `Connection` (or `Proxy-Connection`) names. */
function hopByHop(headers: IncomingHttpHeaders): Set<string> {
  const drop = new Set(HOP_BY_HOP);
  for (const field of [headers.connection, headers['proxy-connection']]) {
    for (const token of String(field ?? '').split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '' && !FRAMING.has(name)) drop.add(name);
    }
  }
  return drop;
}

/**
 * The client's header fields without the hop-by-hop ones. The body is framed again for the
 * upstream (`Transfer-Encoding: chunked` when the client sent one; Node's client does the chunking);
 * a WebSocket request keeps `Connection: Upgrade` and its `Upgrade`.
 */
export function endToEndHeaders(headers: IncomingHttpHeaders, websocket: boolean): IncomingHttpHeaders {
  const drop = hopByHop(headers);
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!drop.has(name)) out[name] = value;
  if (headers['transfer-encoding'] !== undefined) out['transfer-encoding'] = 'chunked';
  if (websocket) {
    out.connection = 'Upgrade';
    out.upgrade = headers.upgrade;
  }
  return out;
}

/**
 * Takes the hop-by-hop fields out of an upstream's answer, in place, before they reach the client:
 * the upstream's `Connection: close` or `Keep-Alive` is about its connection to Gatehouse, not the
 * client's, and an HTTP/2 response with a connection-specific field is refused by Node's http2 (the
 * stream was reset with INTERNAL_ERROR). The answer is framed again for the client. An HTTP/1.1
 * client gets Gatehouse's own `Connection`: `close` if it asked for that, else `keep-alive`.
 */
export function endToEndAnswer(headers: IncomingHttpHeaders, req: { httpVersionMajor: number; headers: IncomingHttpHeaders }): void {
  for (const name of hopByHop(headers)) delete headers[name];
  if (req.httpVersionMajor === 1) {
    const close = String(req.headers.connection ?? '').split(',').some((t) => t.trim().toLowerCase() === 'close');
    headers.connection = close ? 'close' : 'keep-alive';
  }
}

/**
 * Runs `fn` (the proxy library, which copies `req.headers` into the upstream request at once) with
 * `headers` in place of the request's own, which the rest of the request's handling still reads.
 */
function withHeaders(req: AnyRequest, headers: IncomingHttpHeaders, fn: () => void): void {
  const own = Object.getOwnPropertyDescriptor(req, 'headers');
  Object.defineProperty(req, 'headers', { value: headers, configurable: true, writable: true, enumerable: true });
  try {
    fn();
  } finally {
    if (own) Object.defineProperty(req, 'headers', own);
    else delete (req as { headers?: unknown }).headers;
  }
}
