import { Counter, Registry } from 'prom-client';
import type { Binding } from '../model/binding.js';

type Child = { inc(value?: number): void };

/**
 * The counters of one serving process: TLS handshakes per binding, HTTP requests per site and
 * status code, mail sessions per listener. Counted where they happen (FrontServer, site-handler,
 * MailFront) in every serving process — each worker has its own, the supervisor sums them
 * (`cluster-metrics.ts`). The per-event cost is one Map or WeakMap look-up and one increment: the
 * labelled child of a counter is resolved once per binding, site and code, never per request.
 */
export class ServingMetrics {
  readonly registry = new Registry();
  readonly #handshakes: Counter<'site' | 'binding'>;
  readonly #requests: Counter<'site' | 'code'>;
  readonly #mail: Counter<'listener' | 'service'>;
  /** Keyed by the revision's Binding objects: a new revision's bindings get their children on first use. */
  readonly #byBinding = new WeakMap<Binding, Child>();
  readonly #defaultHandshake: Child;
  readonly #bySite = new Map<string, Map<number, Child>>();
  readonly #byListener = new Map<string, Child>();

  constructor() {
    this.#handshakes = new Counter({
      name: 'gatehouse_tls_handshakes_total', help: 'TLS handshakes completed, by the site and binding (IP:port:host) whose certificate answered; binding "default" is the https default certificate',
      labelNames: ['site', 'binding'], registers: [this.registry],
    });
    this.#requests = new Counter({
      name: 'gatehouse_http_requests_total', help: 'HTTP requests answered by a site (http and https), by status code',
      labelNames: ['site', 'code'], registers: [this.registry],
    });
    this.#mail = new Counter({
      name: 'gatehouse_mail_sessions_total', help: 'Mail sessions accepted, by listener (IP:port) and service (smtp, imap, pop)',
      labelNames: ['listener', 'service'], registers: [this.registry],
    });
    this.#defaultHandshake = this.#handshakes.labels('', 'default');
  }

  /** A completed handshake; `binding` is the one whose certificate answered (none: the https default). */
  handshake(binding: Binding | undefined): void {
    if (!binding) return this.#defaultHandshake.inc();
    let child = this.#byBinding.get(binding);
    if (!child) {
      child = this.#handshakes.labels(binding.site, bindingLabel(binding));
      this.#byBinding.set(binding, child);
    }
    child.inc();
  }

  /** A request a site answered with `status`. */
  request(site: string, status: number): void {
    let codes = this.#bySite.get(site);
    if (!codes) this.#bySite.set(site, codes = new Map());
    let child = codes.get(status);
    if (!child) codes.set(status, child = this.#requests.labels(site, String(status)));
    child.inc();
  }

  /** A mail session accepted on `listener` (`ip:port`). */
  mailSession(listener: string, service: string): void {
    const key = `${listener}|${service}`;
    let child = this.#byListener.get(key);
    if (!child) this.#byListener.set(key, child = this.#mail.labels(listener, service));
    child.inc();
  }
}

/** A binding as IIS writes its binding information: `IP:port:host` (`*:443:www.contoso.com`). */
export function bindingLabel(b: Pick<Binding, 'ip' | 'port' | 'host'>): string {
  return `${b.ip.includes(':') ? `[${b.ip}]` : b.ip}:${b.port}:${b.host}`;
}
