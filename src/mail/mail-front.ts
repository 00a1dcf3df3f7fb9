import cluster from 'node:cluster';
import { createServer, type Server, type Socket } from 'node:net';
import { hostname } from 'node:os';
import type { SecureContext } from 'node:tls';
import type { MailListener } from '../model/service.js';
import type { MailCertificateSelector } from './mail-certificates.js';
import { type MailContext, MailSession } from './mail-session.js';
import { greetsBeforeBackend } from './mail-protocol.js';
import { listenHost } from '../config/any-address.js';
import { probeBackend, SmtpCapabilities } from './smtp-capabilities.js';

/** Where the mail plane gets TLS contexts: the serving plane's ContextCache, and one without a certificate. */
export interface MailContexts {
  get(thumbprint: string): SecureContext | undefined;
  /** Handshakes on it fail: what a client gets when no certificate is assigned and none covers its SNI name. */
  none: SecureContext;
}

export interface MailFrontOptions {
  /** How long the backend may take to connect and to answer each prelude line (default 10 s). */
  backendTimeoutMs?: number;
  /** How often a listener that could not open is tried again (default 2 s). */
  retryMs?: number;
  /** Every listener error after the socket opened (accept failures such as EMFILE among them). */
  onListenerError?: (error: Error) => void;
  /** Each session accepted (not turned away), for the metrics. */
  onSession?: (listener: MailListener) => void;
}

interface MailState {
  listeners: Map<string, MailListener>;
  selector: MailCertificateSelector;
}

/** Sessions turned away with a busy answer at once, per listener, beyond which new ones are just closed. */
const BUSY_IN_FLIGHT = 64;

const keyOf = (l: Pick<MailListener, 'ip' | 'port'>) => `${l.ip}|${l.port}`;
const settings = (l: MailListener) => JSON.stringify({ ...l, created: undefined });

/** `smtp *:587`, `imap [::1]:143`: how the log names a listener. */
export function listenerLabel(l: Pick<MailListener, 'service' | 'ip' | 'port'>): string {
  return `${l.service} ${l.ip.includes(':') ? `[${l.ip}]` : l.ip}:${l.port}`;
}

/**
 * The mail data plane, like FrontServer for the web: one TCP listener per mail listener's (ip, port)
 * (`*` listens on `::`, dual-stack), reconciled to each revision. New sessions take the listener's
 * settings and the certificate selection current when they arrive; open sessions keep what they
 * started with, and a listener that is removed stops accepting while its sessions finish. A
 * listener that cannot open (port in use) is logged and tried again every few seconds while
 * everything else serves. Each listener counts its open sessions and turns away those beyond
 * `maxConnections` with the protocol's busy answer (per process: with N workers, up to N times).
 */
export class MailFront {
  #state: MailState | undefined;
  readonly #servers = new Map<string, { server: Server; listener: MailListener }>();
  readonly #failed = new Set<string>();
  readonly #open = new Map<string, number>();
  readonly #busy = new Map<string, number>();
  readonly #sessions = new Set<MailSession>();
  /** The backend's SMTP extensions as learned, per listener and backend (see SmtpCapabilities). */
  readonly #capabilities = new Map<string, SmtpCapabilities>();
  #retry: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    private readonly contexts: MailContexts,
    private readonly log: (line: string) => void,
    private readonly options: MailFrontOptions = {},
  ) {}

  /** Swaps in the listeners and the certificate selection of a revision, then opens and closes sockets to match. */
  async apply(listeners: readonly MailListener[], selector: MailCertificateSelector): Promise<void> {
    if (this.#closed) return;
    const previous = this.#state?.listeners ?? new Map<string, MailListener>();
    const wanted = new Map(listeners.map((l) => [keyOf(l), l]));
    this.#state = { listeners: wanted, selector };
    for (const [key, { server, listener }] of this.#servers) {
      if (wanted.has(key)) continue;
      this.#servers.delete(key);
      server.close();
      this.log(`stopped listening on ${listenerLabel(listener)}; open sessions finish`);
    }
    for (const key of this.#failed) if (!wanted.has(key)) this.#failed.delete(key);
    const learning = new Set([...wanted.values()].map(capabilityKey));
    for (const key of this.#capabilities.keys()) if (!learning.has(key)) this.#capabilities.delete(key);
    for (const [key, l] of wanted) {
      const before = previous.get(key);
      if (before && this.#servers.has(key) && settings(before) !== settings(l)) {
        this.#servers.get(key)!.listener = l;
        this.log(`${listenerLabel(l)}: new sessions use the changed settings (${describe(l)}); open sessions keep theirs`);
      }
    }
    await Promise.all([...wanted].filter(([key]) => !this.#servers.has(key)).map(([key, l]) => this.#listen(key, l, !this.#failed.has(key))));
    this.#scheduleRetry();
  }

  listening(): string[] {
    // As the web listeners say it: `smtp *:587 on 127.0.0.2 only` under serve --listen-ip (a renewal's probe reaches the node there).
    return [...this.#servers.values()].map((s) => `${listenerLabel(s.listener)}${s.listener.ip === '*' && listenHost('*') !== '::' ? ` on ${listenHost('*')} only` : ''}`);
  }

  get sessions(): number {
    return this.#sessions.size;
  }

  /** Stops accepting and gives open sessions `graceMs` to finish before they are cut. */
  async close(graceMs = 5000): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    for (const { server } of this.#servers.values()) server.close();
    this.#servers.clear();
    const open = [...this.#sessions];
    const timer = setTimeout(() => {
      for (const s of open) s.abort('the server is stopping');
    }, graceMs);
    timer.unref();
    await Promise.all(open.map((s) => s.done));
    clearTimeout(timer);
  }

  async #listen(key: string, l: MailListener, report: boolean): Promise<void> {
    const server = createServer((socket) => this.#accept(key, socket));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        // Own socket per worker (SO_REUSEPORT), as the web listeners: see FrontServer#open.
        server.listen({ port: l.port, host: listenHost(l.ip), ipv6Only: false, exclusive: true, reusePort: cluster.isWorker }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (report) {
        const why = err.code === 'EADDRINUSE' ? 'in use' : err.code === 'EACCES' ? 'permission denied' : err.message;
        this.log(`cannot listen on ${listenerLabel(l)} (${why}); the rest keeps serving, and it is tried again every ${Math.round(this.#retryMs / 1000)} s`);
      }
      this.#failed.add(key);
      return;
    }
    if (this.#closed || this.#state?.listeners.get(key) === undefined) {
      server.close();
      return;
    }
    this.#failed.delete(key);
    server.on('error', (e) => {
      this.log(`listener ${listenerLabel(l)} failed: ${e.message}`);
      this.options.onListenerError?.(e);
    });
    this.#servers.set(key, { server, listener: this.#state.listeners.get(key)! });
    this.log(`listening on ${listenerLabel(l)} (${describe(l)})`);
  }

  get #retryMs(): number {
    return this.options.retryMs ?? 2000;
  }

  #scheduleRetry(): void {
    clearTimeout(this.#retry);
    if (this.#failed.size === 0 || this.#closed) return;
    this.#retry = setTimeout(() => {
      const state = this.#state;
      if (!state) return;
      void Promise.all([...this.#failed].map((key) => {
        const l = state.listeners.get(key);
        return l && !this.#servers.has(key) ? this.#listen(key, l, false) : undefined;
      })).then(() => this.#scheduleRetry());
    }, this.#retryMs);
    this.#retry.unref();
  }

  #accept(key: string, socket: Socket): void {
    const state = this.#state;
    const listener = state?.listeners.get(key);
    if (!state || !listener) {
      socket.destroy();
      return;
    }
    const session = new MailSession(socket, {
      listener,
      label: listenerLabel(listener),
      context: (servername) => this.#context(listener.service, servername),
      certificateName: (t) => this.#state?.selector.friendlyName(t) ?? t,
      log: this.log,
      fallbackName: hostname(),
      backendTimeoutMs: this.options.backendTimeoutMs ?? 10_000,
      capabilities: this.#capabilitiesOf(listener),
    });
    const open = this.#open.get(key) ?? 0;
    if (open >= listener.maxConnections) {
      const busy = this.#busy.get(key) ?? 0;
      if (busy >= BUSY_IN_FLIGHT) {
        session.abort('turned away: too many connections (not even answered)');
        return;
      }
      this.#busy.set(key, busy + 1);
      void session.done.then(() => this.#busy.set(key, (this.#busy.get(key) ?? 1) - 1));
      void session.refuseBusy();
      return;
    }
    this.#open.set(key, open + 1);
    this.options.onSession?.(listener);
    this.#sessions.add(session);
    void session.done.then(() => {
      this.#open.set(key, (this.#open.get(key) ?? 1) - 1);
      this.#sessions.delete(session);
    });
    void session.run();
  }

  /** The learned capability list of an SMTP STARTTLS listener that greets with its own name (only those answer EHLO after TLS themselves). */
  #capabilitiesOf(l: MailListener): SmtpCapabilities | undefined {
    if (l.service !== 'smtp' || l.mode !== 'starttls' || !greetsBeforeBackend(l)) return undefined;
    const key = capabilityKey(l);
    let caps = this.#capabilities.get(key);
    if (!caps) {
      const timeout = this.options.backendTimeoutMs ?? 10_000;
      caps = new SmtpCapabilities(() => probeBackend(l.backendHost, l.backendPort, l.hostName, timeout));
      this.#capabilities.set(key, caps);
    }
    return caps;
  }

  /** Asked at each handshake, so a new assignment reaches the next client within a poll. */
  #context(service: MailListener['service'], servername: string | undefined): MailContext {
    const selection = this.#state?.selector.select(service, servername);
    const context = selection?.thumbprint ? this.contexts.get(selection.thumbprint) : undefined;
    return context && selection?.thumbprint ? { context, thumbprint: selection.thumbprint } : { context: this.contexts.none, thumbprint: null };
  }
}

/** A capability list belongs to a listener and the backend (and the name it greets that backend with) it learned it from. */
const capabilityKey = (l: MailListener) => JSON.stringify([l.service, l.ip, l.port, l.mode, l.hostName, l.backendHost, l.backendPort, l.clientAddress]);

function describe(l: MailListener): string {
  const parts = [l.mode === 'tls' ? 'implicit TLS' : `STARTTLS${l.requireTls ? ' required' : ''}`, `backend ${l.backendHost.includes(':') ? `[${l.backendHost}]` : l.backendHost}:${l.backendPort}`];
  if (l.clientAddress === 'xclient') parts.push(l.service === 'imap' ? 'client address by ID' : 'client address by XCLIENT');
  parts.push(`at most ${l.maxConnections} sessions`, `idle ${l.idleTimeoutSeconds} s`);
  return parts.join(', ');
}
