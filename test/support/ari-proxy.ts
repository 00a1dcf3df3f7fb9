// An HTTPS reverse proxy in front of pebble's ACME server that adds what Debian's pebble lacks:
// ACME Renewal Information (RFC 9773). It forwards every request to pebble with the Host header
// kept (so pebble writes the proxy's URLs into its answers and checks JWS `url`s against them),
// adds `renewalInfo` to the directory (pointing at its own /renewal-info/), answers
// /renewal-info/{certId} with the windows the test sets (or 500, or a closed connection), and
// records the payload of every newOrder request (the JWS payload decoded) so a test can see `replaces`.
import { createServer, request, type Server } from 'node:https';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join, openssl, readText, tmpDir, writeText } from './cli.js';

export interface Window {
  start: Date;
  end: Date;
}

export class AriProxy {
  /** The windows answered, by ARI certificate identifier. */
  readonly windows = new Map<string, Window>();
  /** The window answered for identifiers the test has not set: 30 to 31 days from now. */
  defaultWindow: () => Window = () => ({ start: new Date(Date.now() + 30 * 86_400_000), end: new Date(Date.now() + 31 * 86_400_000) });
  /** ok: answer windows; error: 500 to every renewal-info request; close: close the connection without an answer. */
  mode: 'ok' | 'error' | 'close' = 'ok';
  /** Every newOrder payload, decoded. */
  readonly orders: Array<{ identifiers: { type: string; value: string }[]; replaces?: string }> = [];
  /** Every renewal-info identifier asked for. */
  readonly asked: string[] = [];
  /** Every request, counted by method and first path segment (`POST /order-plz`, `POST /chalZ`, `GET /renewal-info`…): what the renewal benchmark reports as CA requests. */
  readonly requests = new Map<string, number>();

  readonly #holds: Array<{ pattern: RegExp; arrive: () => void; gate: Promise<void> }> = [];

  /**
   * Holds the next request whose `METHOD /path` matches (`/^POST \/order-plz/`) before it reaches
   * pebble: `arrived` resolves when it comes, and it goes on at `release()` — a renewal stopped at a
   * known point (the farm renewal test pauses, kills or moves things meanwhile).
   */
  hold(pattern: RegExp): { arrived: Promise<void>; release(): void } {
    let arrive!: () => void;
    let release!: () => void;
    const arrived = new Promise<void>((r) => { arrive = r; });
    const gate = new Promise<void>((r) => { release = r; });
    this.#holds.push({ pattern, arrive, gate });
    return { arrived, release };
  }

  /** Waits while a hold matches this request (each hold stops one request). */
  async held(kind: string): Promise<void> {
    const i = this.#holds.findIndex((h) => h.pattern.test(kind));
    if (i < 0) return;
    const [h] = this.#holds.splice(i, 1);
    h!.arrive();
    await h!.gate;
  }

  private constructor(
    private readonly server: Server,
    /** The ACME directory URL through the proxy. */
    readonly directory: string,
    /** pebble's HTTPS certificate and the proxy's, in one PEM file: what --directory-ca takes. */
    readonly caBundle: string,
  ) {}

  static async start(pebbleDirectory: string, pebbleCaFile: string): Promise<AriProxy> {
    const dir = tmpDir('gh-ari-proxy-');
    const keyFile = join(dir, 'proxy.key');
    const certFile = join(dir, 'proxy.pem');
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile,
      '-days', '2', '-subj', '/CN=ARI proxy test CA', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
    const bundle = writeText(join(dir, 'bundle.pem'), readText(pebbleCaFile) + readText(certFile));
    const upstream = new URL(pebbleDirectory);
    const pebbleCa = readText(pebbleCaFile);
    let proxy: AriProxy | undefined;
    const server = createServer({ key: readText(keyFile), cert: readText(certFile) }, (req, res) => {
      const p = proxy!;
      const path = req.url ?? '/';
      const kind = `${req.method} /${path.split('/')[1] ?? ''}`;
      p.requests.set(kind, (p.requests.get(kind) ?? 0) + 1);
      const ari = /^\/renewal-info\/(.+)$/.exec(path);
      if (ari) {
        p.asked.push(ari[1]!);
        if (p.mode === 'close') return req.socket.destroy();
        if (p.mode === 'error') return res.writeHead(500, { 'content-type': 'application/problem+json' }).end('{"type":"urn:ietf:params:acme:error:serverInternal","detail":"test: ARI is down"}');
        const w = p.windows.get(ari[1]!) ?? p.defaultWindow();
        return res.writeHead(200, { 'content-type': 'application/json', 'retry-after': '21600' })
          .end(JSON.stringify({ suggestedWindow: { start: w.start.toISOString(), end: w.end.toISOString() } }));
      }
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', async () => {
        await p.held(`${req.method} ${path}`);
        const body = Buffer.concat(chunks);
        if (req.method === 'POST' && path === '/order-plz') {
          try {
            const jws = JSON.parse(body.toString()) as { payload: string };
            p.orders.push(JSON.parse(Buffer.from(jws.payload, 'base64url').toString()));
          } catch {
            // Not a JWS: pebble refuses it; nothing to record.
          }
        }
        const up = request({
          host: upstream.hostname, port: upstream.port, path, method: req.method, headers: req.headers, ca: pebbleCa, timeout: 30_000,
        }, (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (d: Buffer) => parts.push(d));
          answer.on('end', () => {
            let out = Buffer.concat(parts);
            if (path === upstream.pathname && req.method === 'GET' && answer.statusCode === 200) {
              const directory = JSON.parse(out.toString()) as Record<string, unknown>;
              directory.renewalInfo = `https://${req.headers.host}/renewal-info/`;
              out = Buffer.from(JSON.stringify(directory));
            }
            const headers = { ...answer.headers };
            delete headers['content-length'];
            delete headers['transfer-encoding'];
            res.writeHead(answer.statusCode ?? 502, { ...headers, 'content-length': String(out.length) }).end(out);
          });
        });
        up.on('timeout', () => up.destroy(new Error('pebble did not answer')));
        up.on('error', (e) => {
          if (!res.headersSent) res.writeHead(502).end(String(e.message));
        });
        up.end(body);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    proxy = new AriProxy(server, `https://127.0.0.1:${port}${upstream.pathname}`, bundle);
    return proxy;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
  }
}
