// Pebble (Debian's `pebble` package, Let's Encrypt's test ACME server) as the CA of the ACME tests:
// started on free 127.0.0.1 ports with a config in a temp dir, its own HTTPS certificate made here
// (so the tests pass it as --directory-ca), and pebble-challtestsrv as its DNS server, answering
// 127.0.0.1 for every name so pebble validates challenges against the Gatehouse the test runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Agent, request } from 'node:https';
import { freePorts, join, openssl, tmpDir, writeText } from './cli.js';

export interface PebbleOptions {
  /** The port pebble's VA connects to for HTTP-01 (Gatehouse's http listener in the test). */
  httpPort: number;
  /** The port pebble's VA connects to for TLS-ALPN-01 (Gatehouse's https listener in the test). */
  tlsPort: number;
  /** EAB: require it, with these key ids and their HMAC keys (base64url). */
  eab?: Record<string, string>;
  /** PEBBLE_WFE_NONCEREJECT: the percentage of good nonces pebble refuses as bad (default 0). */
  nonceReject?: number;
  /** The DNS server pebble looks names up on (HOST:PORT), instead of a pebble-challtestsrv answering 127.0.0.1 for every name (DNS-01: a Knot server authoritative for the test zone). */
  dnsServer?: string;
}

export class Pebble {
  private constructor(
    readonly dir: string,
    /** The ACME directory URL. */
    readonly directory: string,
    /** The certificate pebble presents on its HTTPS (PEM file): what --directory-ca takes. */
    readonly caFile: string,
    readonly managementPort: number,
    private readonly children: ChildProcess[],
    /** pebble-challtestsrv's management port (none with `dnsServer`). */
    private readonly dnsManagementPort: number | undefined,
    private readonly logs: { out: string },
  ) {}

  static async start(options: PebbleOptions): Promise<Pebble> {
    const dir = tmpDir('gh-pebble-');
    const [acmePort, mgmtPort, dnsPort, dnsMgmtPort] = (await freePorts(4)) as [number, number, number, number];
    const certFile = join(dir, 'pebble.pem');
    const keyFile = join(dir, 'pebble.key');
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile,
      '-days', '2', '-subj', '/CN=pebble test server', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
    const config = {
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${mgmtPort}`,
        certificate: certFile,
        privateKey: keyFile,
        httpPort: options.httpPort,
        tlsPort: options.tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: options.eab !== undefined,
        ...(options.eab ? { externalAccountMACKeys: options.eab } : {}),
      },
    };
    const configFile = writeText(join(dir, 'pebble-config.json'), JSON.stringify(config, null, 2));
    const logs = { out: '' };
    const children: ChildProcess[] = [];
    const capture = (c: ChildProcess, name: string) => {
      c.stdout?.on('data', (d: Buffer) => { logs.out += `[${name}] ${d.toString()}`; });
      c.stderr?.on('data', (d: Buffer) => { logs.out += `[${name}] ${d.toString()}`; });
      children.push(c);
    };
    if (options.dnsServer === undefined) capture(spawn('pebble-challtestsrv', ['-defaultIPv4', '127.0.0.1', '-defaultIPv6', '', '-dns01', `127.0.0.1:${dnsPort}`,
      '-management', `127.0.0.1:${dnsMgmtPort}`, '-http01', '', '-https01', '', '-tlsalpn01', ''], { cwd: dir }), 'challtestsrv');
    capture(spawn('pebble', ['-config', configFile, '-dnsserver', options.dnsServer ?? `127.0.0.1:${dnsPort}`], {
      cwd: dir,
      env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: String(options.nonceReject ?? 0), PEBBLE_AUTHZREUSE: '0' },
    }), 'pebble');
    const p = new Pebble(dir, `https://127.0.0.1:${acmePort}/dir`, certFile, mgmtPort, children, options.dnsServer === undefined ? dnsMgmtPort : undefined, logs);
    const end = Date.now() + 15_000;
    for (;;) {
      try {
        await p.get(p.directory);
        break;
      } catch (e) {
        if (Date.now() > end) {
          await p.stop();
          throw new Error(`pebble did not start: ${(e as Error).message}\n${logs.out}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return p;
  }

  /**
   * Makes pebble-challtestsrv answer `ip` for every name from now on: where pebble's VA connects to
   * validate HTTP-01 and TLS-ALPN-01 (a farm test points it at one node of several on 127.0.0.N).
   */
  async setDefaultIPv4(ip: string): Promise<void> {
    if (this.dnsManagementPort === undefined) throw new Error('pebble runs with a DNS server of the test\'s own');
    const r = await fetch(`http://127.0.0.1:${this.dnsManagementPort}/set-default-ipv4`, { method: 'POST', body: JSON.stringify({ ip }) });
    if (!r.ok) throw new Error(`pebble-challtestsrv refused set-default-ipv4 ${ip}: HTTP ${r.status} ${await r.text()}`);
  }

  /** pebble's and challtestsrv's output so far (for assertion messages). */
  get log(): string {
    return this.logs.out;
  }

  /** The root that issues pebble's certificates (PEM), written to a file; changes with every pebble start. */
  async rootFile(): Promise<string> {
    const pem = await this.get(`https://127.0.0.1:${this.managementPort}/roots/0`);
    return writeText(join(this.dir, 'root.pem'), pem);
  }

  /** GET over pebble's HTTPS, trusting its certificate. */
  get(url: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request(url, { agent: new Agent({ ca: openssl(['x509', '-in', this.caFile]) }), timeout: 5000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => { body += d; });
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: HTTP ${res.statusCode}: ${body}`))));
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.end();
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 3000).unref();
    })));
  }
}

/** A base64url HMAC key for EAB, and its SHA-256 (for checking it never appears anywhere). */
export function eabKey(seed: string): string {
  return createHash('sha256').update(seed).digest('base64url');
}
