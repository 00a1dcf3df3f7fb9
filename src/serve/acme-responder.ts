import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, type SecureContext, type Server as TlsServer } from 'node:tls';
import { getExtensionData, readTlsClientHello } from 'read-tls-client-hello';
import type { AcmeChallenge } from '../config/serving-config.js';
import { toPem } from '../pki/pem.js';
import type { KeyMaterial } from './context-cache.js';

/** Where a CA fetches an HTTP-01 key authorization (RFC 8555 section 8.3). */
export const ACME_HTTP_PREFIX = '/.well-known/acme-challenge/';
/** The one ALPN protocol a TLS-ALPN-01 validation offers (RFC 8737). */
const ACME_TLS_ALPN = 'acme-tls/1';

/**
 * Answers the ACME challenges of the current revision. HTTP-01: `GET /.well-known/acme-challenge/TOKEN`
 * on the http listeners, before any site sees the request. TLS-ALPN-01: while (and only while) one is
 * pending, the https listeners read each ClientHello before handing the connection on; one that offers
 * only `acme-tls/1` for a name being validated gets the challenge certificate from a TLS server of its
 * own, and every other connection goes on to the site's TLS server untouched.
 */
export class AcmeResponder {
  #http01 = new Map<string, string>();
  #alpn = new Map<string, number>();
  readonly #contexts = new Map<number, SecureContext>();
  #server: TlsServer | undefined;

  constructor(private readonly material: (id: number) => KeyMaterial | undefined) {}

  apply(challenges: readonly AcmeChallenge[]): void {
    this.#http01 = new Map(challenges.filter((c) => c.type === 'http-01').map((c) => [c.token, c.keyAuthorization]));
    this.#alpn = new Map(challenges.filter((c) => c.type === 'tls-alpn-01').map((c) => [c.name.toLowerCase(), c.id]));
    const ids = new Set(this.#alpn.values());
    for (const id of this.#contexts.keys()) if (!ids.has(id)) this.#contexts.delete(id);
  }

  /** Whether the https listeners must read ClientHellos (a TLS-ALPN-01 challenge is pending). */
  get alpnPending(): boolean {
    return this.#alpn.size > 0;
  }

  /** Answers an HTTP-01 request (true) or leaves it to the sites (false); an unknown token is a 404. */
  answerHttp(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '').split('?')[0]!;
    if (!path.startsWith(ACME_HTTP_PREFIX)) return false;
    const answer = (req.method === 'GET' || req.method === 'HEAD') ? this.#http01.get(path.slice(ACME_HTTP_PREFIX.length)) : undefined;
    res.writeHead(answer === undefined ? 404 : 200, { 'content-type': answer === undefined ? 'text/plain; charset=utf-8' : 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : answer ?? 'Not Found\n');
    return true;
  }

  /**
   * Reads the ClientHello of a raw https connection (bounded: one TLS record, `timeoutMs`), puts it
   * back, and hands the connection to the challenge TLS server when it is a TLS-ALPN-01 validation
   * (answers true); anything else — another ALPN, another name, not TLS — answers false, untouched.
   */
  async take(socket: Socket, timeoutMs: number): Promise<boolean> {
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    let sni: string | undefined;
    let alpn: string[] | undefined;
    try {
      const hello = await readTlsClientHello(socket);
      sni = getExtensionData(hello, 'sni')?.serverName;
      alpn = getExtensionData(hello, 'alpn')?.protocols;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
    const id = sni === undefined ? undefined : this.#alpn.get(sni.toLowerCase());
    if (id === undefined || alpn?.length !== 1 || alpn[0] !== ACME_TLS_ALPN) return false;
    this.#tlsServer().emit('connection', socket);
    return true;
  }

  #tlsServer(): TlsServer {
    if (this.#server) return this.#server;
    this.#server = createTlsServer({
      ALPNProtocols: [ACME_TLS_ALPN],
      SNICallback: (servername, cb) => {
        const context = this.#context(servername);
        if (context) cb(null, context);
        else cb(new Error(`no pending tls-alpn-01 challenge for ${servername}`));
      },
    });
    // The validator only looks at the certificate; nothing is exchanged after the handshake.
    this.#server.on('secureConnection', (tls) => tls.end());
    this.#server.on('tlsClientError', () => undefined);
    return this.#server;
  }

  #context(servername: string): SecureContext | undefined {
    const id = this.#alpn.get(servername.toLowerCase());
    if (id === undefined) return undefined;
    let context = this.#contexts.get(id);
    if (!context) {
      const m = this.material(id);
      if (!m) return undefined;
      context = createSecureContext({ key: m.key.export({ type: 'pkcs8', format: 'pem' }) as string, cert: m.certificates.map((d) => toPem(d)).join(''), minVersion: 'TLSv1.2' });
      this.#contexts.set(id, context);
    }
    return context;
  }

  close(): void {
    this.#server?.close();
  }
}
