import type { FastifyInstance } from 'fastify';
import { fail } from '../model/gatehouse-error.js';
import { opt } from '../model/wording.js';
import type { Gatehouse } from '../lifecycle/gatehouse.js';
import { parseAdminAddress } from './admin-address.js';
import { adminCertificate, sha256Fingerprint, stillGood, type AdminTls } from './admin-certificate.js';
import { INTERMEDIATE_PROFILE } from '../model/tls-profile.js';
import { X509Certificate } from 'node:crypto';
import type { Server as HttpsServer } from 'node:https';
import { buildAdminServer } from './admin-server.js';

export interface AdminEndpointOptions {
  /** `ADDRESS:PORT` (IPv6 in brackets), or "off". Default 127.0.0.1:8443. */
  listen: string;
  certificate: string | undefined;
  version: string;
  consoleDir: string;
  log: (line: string) => void;
  /** What `/metrics` answers (see AdminServerOptions.metrics). */
  metrics?: (() => Promise<{ contentType: string; text: string }>) | undefined;
}

export { parseAdminAddress } from './admin-address.js';

/**
 * Starts the admin endpoint beside the serving plane: picks or makes its certificate, listens,
 * and says where the console is and how to make the first administrator when there is none.
 * Resolves to the server (to close on shutdown), or undefined when it is turned off.
 */
export async function startAdminEndpoint(g: Gatehouse, options: AdminEndpointOptions): Promise<FastifyInstance | undefined> {
  const address = parseAdminAddress(options.listen);
  if (!address) return undefined;
  const tls = await adminCertificate(g, options.certificate);
  if (tls.created) options.log(`admin: created the self-signed certificate "${tls.friendlyName}" (${tls.thumbprint}) in the personal store`);
  const app = await buildAdminServer(g, { tls, version: options.version, log: options.log, consoleDir: options.consoleDir, metrics: options.metrics });
  const shown = address.host.includes(':') ? `[${address.host}]` : address.host;
  try {
    await app.listen({ host: address.host, port: address.port });
  } catch (e) {
    await app.close();
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the port is in use (another gatehouse serve, or another program)' : code === 'EADDRNOTAVAIL' ? 'that is not an address of this machine' : code === 'EACCES' ? 'the port needs privileges this process lacks' : (e as Error).message;
    throw fail('GH_ADMIN_LISTEN_FAILED', `The admin endpoint cannot listen on ${shown}:${address.port}: ${why}. Choose another ADDRESS:PORT with ${opt('admin')}, or turn it off there with "off".`);
  }
  if (options.certificate === undefined) keepRenewed(g, app, tls, options.log);
  options.log(`admin: console and API on https://${shown}:${address.port}/ (certificate "${tls.friendlyName}", SHA-256 ${sha256Fingerprint(tls.cert)})`);
  if (g.users.list().length === 0) {
    // words: cli (a line of serve's log on the operator's terminal)
    options.log('admin: no users yet; make the first administrator on this server with: gatehouse user add NAME --role organization-management');
  }
  return app;
}

/** How often a running `serve` looks at its own admin certificate's end date. */
const RENEW_CHECK_MS = 12 * 60 * 60 * 1000;

/**
 * A `serve` that runs for months renews its own self-signed admin certificate too: twice a day it
 * checks the one in use, and with 30 days or fewer left makes a new one and hands it to the
 * listening server (new connections get it; open ones keep theirs).
 */
export function keepRenewed(g: Gatehouse, app: FastifyInstance, first: AdminTls, log: (line: string) => void, everyMs = RENEW_CHECK_MS): void {
  let current = first;
  const check = async () => {
    const x509 = new X509Certificate(current.cert);
    if (stillGood({ notBefore: new Date(x509.validFrom).toISOString(), notAfter: new Date(x509.validTo).toISOString() }, g.clock().getTime())) return;
    const next = await adminCertificate(g, undefined);
    (app.server as unknown as HttpsServer).setSecureContext({ ...INTERMEDIATE_PROFILE, key: next.key, cert: next.cert });
    current = next;
    log(`admin: renewed the self-signed certificate "${next.friendlyName}" (${next.thumbprint}, SHA-256 ${sha256Fingerprint(next.cert)})`);
  };
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void check().catch((e: unknown) => log(`admin: could not renew the admin certificate: ${(e as Error).message}`)).finally(() => (busy = false));
  }, everyMs);
  timer.unref();
  app.server.on('close', () => clearInterval(timer));
}
