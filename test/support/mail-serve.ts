// `gatehouse serve` with mail listeners, for the mail end-to-end tests: configure a listener with
// the CLI, start serve (one process) and wait until each listener accepts connections.
import { connect as netConnect } from 'node:net';
import type { TestContext } from 'node:test';
import { dataDir, freePorts, ghJson, ServeProcess, selfSignedCert } from './cli.js';
import { ImapBackend, PopBackend, SmtpBackend } from './mail-backend.js';

export type MailServiceName = 'smtp' | 'imap' | 'pop';

export interface ListenerOptions {
  mode?: 'starttls' | 'tls';
  requireTls?: boolean;
  host?: string;
  clientAddress?: 'off' | 'xclient';
  maxConnections?: number;
  idleTimeout?: number;
}

/** `gatehouse service configure SERVICE --listen 127.0.0.1:PORT --backend BACKEND …` (must succeed). */
export function configureListener(data: string, service: MailServiceName, port: number, backend: string, o: ListenerOptions = {}): void {
  const args = ['service', 'configure', service, '--listen', `127.0.0.1:${port}`, '--backend', backend];
  if (o.mode) args.push('--mode', o.mode);
  if (o.requireTls) args.push('--require-tls');
  if (o.host) args.push('--host', o.host);
  if (o.clientAddress) args.push('--client-address', o.clientAddress);
  if (o.maxConnections !== undefined) args.push('--max-connections', String(o.maxConnections));
  if (o.idleTimeout !== undefined) args.push('--idle-timeout', String(o.idleTimeout));
  ghJson(data, args);
}

/** A self-signed certificate (with its key) assigned to `services`; answers its thumbprint. */
export function assignedCert(data: string, cn: string, friendlyName: string, services: MailServiceName[] | string[], sans: string[] = []): string {
  const thumbprint = selfSignedCert(data, cn, friendlyName, sans.flatMap((s) => ['--san', s]));
  ghJson(data, ['service', 'assign', thumbprint, '--services', services.join(','), '--overwrite']);
  return thumbprint;
}

/** Whether something accepts TCP connections on 127.0.0.1:port (the connection is closed at once). */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Starts `gatehouse serve --workers 1` (admin endpoint off) and waits until it reports a listener on
 * 127.0.0.1:PORT for every port in `ports` (no probing connection: a test's sessions are the only
 * ones the listeners and backends see). Stops it again if that fails.
 */
export async function startMailServe(data: string, ports: number[]): Promise<ServeProcess> {
  const serve = new ServeProcess(data, ['--workers', '1']);
  try {
    await serve.waitFor(/serving revision \d+/, 'its first configuration');
    for (const port of ports) await serve.waitFor(new RegExp(`listening on (smtp|imap|pop) 127\\.0\\.0\\.1:${port}\\b`, 'm'), `a mail listener on 127.0.0.1:${port}`);
  } catch (e) {
    await serve.stop();
    throw e;
  }
  return serve;
}

/**
 * The common set-up: a recording SMTP backend, a data directory with mail.contoso.com assigned to
 * SMTP, one STARTTLS listener on a free port in front of the backend, and serve running it — all
 * stopped when the test ends.
 */
export async function smtpFront(t: TestContext): Promise<{ backend: SmtpBackend; data: string; port: number; serve: ServeProcess }> {
  const backend = await SmtpBackend.start();
  t.after(() => backend.stop());
  const data = dataDir();
  const [port] = (await freePorts(1)) as [number];
  assignedCert(data, 'mail.contoso.com', 'mail', ['smtp']);
  configureListener(data, 'smtp', port, backend.address);
  const serve = await startMailServe(data, [port]);
  t.after(() => serve.stop());
  return { backend, data, port, serve };
}

/**
 * One recording backend per protocol (stopped when the test ends), a data directory with
 * mail.contoso.com assigned to SMTP, IMAP and POP, and three free ports for their listeners.
 */
export async function threeBackends(t: TestContext): Promise<{ smtp: SmtpBackend; imap: ImapBackend; pop: PopBackend; data: string; ports: [number, number, number] }> {
  const smtp = await SmtpBackend.start();
  const imap = await ImapBackend.start();
  const pop = await PopBackend.start();
  for (const b of [smtp, imap, pop]) t.after(() => b.stop());
  const data = dataDir();
  const ports = (await freePorts(3)) as [number, number, number];
  assignedCert(data, 'mail.contoso.com', 'mail', ['smtp', 'imap', 'pop']);
  return { smtp, imap, pop, data, ports };
}

