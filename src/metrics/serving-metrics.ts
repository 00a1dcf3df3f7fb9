import { Counter, Registry } from 'prom-client';
import type { Binding } from '../model/binding.js';

type Child = { inc(value?: number): void };

/**
 * One labelled child and the increments not yet handed to it: an event adds one to `pending` (no
 * call into prom-client, whose `inc` hashes the labels and allocates each time), and the sum goes to
 * the child when the registry is read (the counter's `collect`).
 */
interface Tally {
  child: Child;
  pending: number;
}

function settle(tallies: readonly Tally[]): void {
  for (const t of tallies) {
    if (t.pending === 0) continue;
    t.child.inc(t.pending);
    t.pending = 0;
  }
}

/**
 * The counters of one serving process: TLS handshakes per binding, HTTP requests per site and
 * status code, mail sessions per listener. Counted where they happen (FrontServer, site-handler,
 * MailFront) in every serving process — each worker has its own, the supervisor sums them
 * (`cluster-metrics.ts`). The per-event cost of handshakes and requests is one Map or WeakMap
 * look-up and one addition to a plain number: the labelled child of a counter is resolved once per
 * binding, site and code, and is handed the sums when the registry is read.
 */
export class ServingMetrics {
  readonly registry = new Registry();
  readonly #handshakes: Counter<'site' | 'binding'>;
  readonly #requests: Counter<'site' | 'code'>;
  readonly #mail: Counter<'listener' | 'service'>;
  /** Keyed by the revision's Binding objects: a new revision's bindings get their children on first use. */
  readonly #byBinding = new WeakMap<Binding, Tally>();
  readonly #defaultHandshake: Tally;
  readonly #handshakeTallies: Tally[] = [];
  readonly #handshakeByLabel = new Map<string, Tally>();
  readonly #bySite = new Map<string, Map<number, Tally>>();
  readonly #requestTallies: Tally[] = [];
  readonly #byListener = new Map<string, Child>();

  constructor() {
    this.#handshakes = new Counter({
      name: 'gatehouse_tls_handshakes_total', help: 'TLS handshakes completed, by the site and binding (IP:port:host) whose certificate answered; binding "default" is the https default certificate',
      labelNames: ['site', 'binding'], registers: [this.registry], collect: () => settle(this.#handshakeTallies),
    });
    this.#requests = new Counter({
      name: 'gatehouse_http_requests_total', help: 'HTTP requests answered by a site (http and https), by status code',
      labelNames: ['site', 'code'], registers: [this.registry], collect: () => settle(this.#requestTallies),
    });
    this.#mail = new Counter({
      name: 'gatehouse_mail_sessions_total', help: 'Mail sessions accepted, by listener (IP:port) and service (smtp, imap, pop)',
      labelNames: ['listener', 'service'], registers: [this.registry],
    });
    this.#defaultHandshake = this.#tally(this.#handshakeTallies, this.#handshakes.labels('', 'default'));
  }

  #tally(list: Tally[], child: Child): Tally {
    const t = { child, pending: 0 };
    list.push(t);
    return t;
  }

  /** A completed handshake; `binding` is the one whose certificate answered (none: the https default). */
  handshake(binding: Binding | undefined): void {
    if (!binding) {
      this.#defaultHandshake.pending++;
      return;
    }
    let tally = this.#byBinding.get(binding);
    if (!tally) {
      // One tally per label set, shared by the Binding objects of every revision that has it.
      const label = bindingLabel(binding);
      const key = `${binding.site}\0${label}`;
      tally = this.#handshakeByLabel.get(key);
      if (!tally) this.#handshakeByLabel.set(key, tally = this.#tally(this.#handshakeTallies, this.#handshakes.labels(binding.site, label)));
      this.#byBinding.set(binding, tally);
    }
    tally.pending++;
  }

  /** A request a site answered with `status`. */
  request(site: string, status: number): void {
    let codes = this.#bySite.get(site);
    if (!codes) this.#bySite.set(site, codes = new Map());
    let tally = codes.get(status);
    if (!tally) codes.set(status, tally = this.#tally(this.#requestTallies, this.#requests.labels(site, String(status))));
    tally.pending++;
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
