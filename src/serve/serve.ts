import type { ServingPlane } from '../lifecycle/serving-plane.js';
import { ContextCache } from './context-cache.js';
import { FrontServer } from './front-server.js';
import type { ConnectionLimits } from './connection-guard.js';
import { AccessLogs } from './access-log.js';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import type { ServingConfig } from '../config/serving-config.js';
import type { RevisionRead } from '../lifecycle/serving.js';
import { MailFront } from '../mail/mail-front.js';
import { MailCertificateSelector } from '../mail/mail-certificates.js';
import { TicketKeyFollower, TicketKeys } from '../lifecycle/ticket-keys.js';
import { DescriptorWatch } from './descriptor-watch.js';
import type { ServingMetrics } from '../metrics/serving-metrics.js';
import { StapleCache } from './ocsp-refresher.js';

import { setAnyAddress } from '../config/any-address.js';

/** How often the store's revision is polled on SQLite. */
export const POLL_MS = 250;
/** On PostgreSQL, where changes are pushed (LISTEN/NOTIFY), the poll is only a safety net. */
export const PUSH_POLL_MS = 5_000;

export interface ServeOptions {
  /** Report once and return instead of watching. */
  once: boolean;
  /** Leave the opening summary out of the log (workers: the supervisor reports it). */
  quiet?: boolean;
  log: (line: string) => void;
  /** How often the store's revision is polled (default POLL_MS on SQLite, PUSH_POLL_MS on PostgreSQL, where changes are also pushed). */
  pollMs?: number;
  /** Where the access logs go (one file per site); default `logs/` in the data directory. */
  logDir?: string | undefined;
  /** How many TLS contexts to keep built (least recently used beyond it are dropped). */
  contextCapacity?: number;
  /** The hot-file cache's caps (`serve --static-cache-entries`, `--static-cache-mb`); defaults otherwise. */
  staticCache?: { maxEntries?: number; maxTotalBytes?: number };
  /** The web listeners' timeouts and connection caps (`serve --header-timeout` …); defaults otherwise. */
  connections?: Partial<ConnectionLimits>;
  signal?: AbortSignal;
  /** How this process reports itself to the store: one of a supervisor's workers, or the single serving process (default). */
  role?: 'worker' | 'single';
  /** Ends the process when it has been out of file descriptors too long (default process.exit). */
  exit?: (code: number) => void;
  /** `serve --listen-ip`: the address bindings and listeners on `*` listen on (else every address). */
  listenIp?: string | undefined;
  /** Where this process counts handshakes, requests and mail sessions (`/metrics`). */
  metrics?: ServingMetrics;
}

export interface StoreSummary {
  dataDir: string;
  /** The data directory (SQLite) or the PostgreSQL URL without its password. */
  store: string;
  revision: number;
  certificates: { webhosting: number; personal: number; expired: number; expiring: number };
  pendingRequests: number;
  internalCa: string | null;
}

/** What the store holds, in the words `gatehouse serve` reports it. */
export function summarize(g: ServingPlane): StoreSummary {
  const { caDer, ...counts } = g.serving.counts();
  // node's native parser: the serving plane never needs to load the X.509 library just to name the CA.
  const ca = caDer ? new X509Certificate(caDer).subject.split('\n').reverse().join(', ') : null;
  return { dataDir: g.dataDir, store: g.storeShown, ...counts, internalCa: ca };
}

export function describeSummary(s: StoreSummary): string {
  return `store ${s.store} at revision ${s.revision}: ${s.certificates.webhosting} certificate(s) in webhosting, ${s.certificates.personal} in personal` +
    ` (${s.certificates.expired} expired, ${s.certificates.expiring} expiring within 30 days), ${s.pendingRequests} pending request(s), ` +
    `internal CA: ${s.internalCa ?? 'not created'}`;
}

/**
 * The serving plane's entry point: opens the store, reports what it holds, serves every binding of
 * every started site, and follows the store's revision — every change made by another process (a
 * CLI call, the API, another node) is applied without a restart: at once on PostgreSQL (NOTIFY),
 * within one poll on SQLite.
 */
export async function serve(g: ServingPlane, options: ServeOptions): Promise<StoreSummary> {
  let summary = summarize(g);
  if (!options.quiet) options.log(describeSummary(summary));
  if (options.once) return summary;
  // From here on the store must never stop the serving: a PostgreSQL that drops packets fails fast.
  g.serving.guard();
  setAnyAddress(options.listenIp);
  // Session tickets: keys derived from this run's seed (lifecycle/serving.ts), so every worker resumes them.
  const tickets = new TicketKeyFollower(new TicketKeys((window) => g.serving.ticketKeys(window), () => g.clock().getTime()));
  const contexts = new ContextCache((thumbprint) => g.serving.contextMaterial(thumbprint), options.contextCapacity ?? 1000, tickets);
  // A process that cannot accept (out of descriptors) ends, so that a fresh one takes its place.
  const descriptors = new DescriptorWatch({ log: options.log, exit: options.exit ?? ((code) => process.exit(code)) });
  const onListenerError = (e: Error) => descriptors.noteError(e);
  const metrics = options.metrics;
  const staples = new StapleCache(g);
  const front = new FrontServer(contexts, options.log, new AccessLogs(options.logDir ?? join(g.dataDir, 'logs')), options.staticCache, options.connections, onListenerError,
    (certificate) => staples.get(certificate), metrics);
  front.challengeMaterial = (id) => g.serving.challengeMaterial(id);
  // The mail listeners share the contexts: a certificate serving both web and mail is built once.
  const mail = new MailFront({ get: (t) => contexts.get(t), get none() { return contexts.none(); } }, options.log, {
    onListenerError,
    ...(metrics ? { onSession: (l) => metrics.mailSession(`${l.ip.includes(':') ? `[${l.ip}]` : l.ip}:${l.port}`, l.service) } : {}),
  });
  descriptors.start();
  let chains: number | undefined;
  const apply = async (config: ServingConfig) => {
    // A replaced chain (`cert chain`) changes what a thumbprint serves: build its context again.
    if (chains !== undefined && config.chains !== chains) contexts.clear();
    chains = config.chains;
    await front.apply(config);
    await mail.apply(config.mailListeners, mailSelector(g, config));
    // Every other certificate a handshake can get — the bindings', the default's, the mail services'
    // — has its context built now, in the background (one per turn of the event loop, ContextCache.warm),
    // rather than by its first handshake; one asked for before its turn is built then.
    const mailCertificates = config.mailListeners.length > 0 ? Object.values(config.services) : [];
    void contexts.warm([...front.certificates(), ...mailCertificates]);
  };
  const follower = g.serving.follower();
  const { config: initial } = follower.next();
  await apply(initial);
  options.log(`serving revision ${initial.revision}`);
  // Says which revision this process serves: the control plane waits on it (challenges, renewals).
  const reporter = g.processes.reporter(options.role ?? 'single');
  const listening = () => [...front.listening(), ...mail.listening()];
  reporter.report(initial.revision, listening());
  let applying = false;
  /** A check asked for while one was applying: run it when that one ends (a notification is never dropped). */
  let again = false;
  /** Whether the store could not be read at the last check: said once when it goes away and once when it is back. */
  let unreadable = false;
  /** PostgreSQL's push (undefined on SQLite, and until it is set up below). */
  let push: Awaited<ReturnType<typeof g.serving.listen>>;
  const check = () => {
    if (applying) {
      again = true;
      return;
    }
    again = false;
    let config: ServingConfig;
    let read: RevisionRead;
    try {
      const revision = g.serving.pollRevision();
      // Back after the store could not be read: the listening connection may have died unnoticed (packets dropped) — make it again.
      if (unreadable) push?.renew();
      if (revision === front.revision) {
        if (unreadable) options.log('the store can be read again; no change was missed');
        unreadable = false;
        return;
      }
      ({ config, read } = follower.next());
    } catch (e) {
      if (!unreadable) options.log(`the store could not be read (${(e as Error).message}); the previous configuration keeps serving until it is back`);
      unreadable = true;
      return;
    }
    if (unreadable) options.log('the store can be read again');
    unreadable = false;
    applying = true;
    apply(config)
      .then(() => {
        summary = { ...summarize(g), revision: config.revision };
        reporter.report(config.revision, listening());
        options.log(`change applied: ${describeSummary(summary)}; ${describeRead(read)}`);
      })
      .catch((e: Error) => options.log(`revision ${config.revision} could not be applied (${e.message}); the previous configuration keeps serving`))
      .finally(() => {
        applying = false;
        if (again) check();
      });
  };
  // PostgreSQL: push — each committed change NOTIFYs its revision and is applied at once; the poll
  // stays as a slow safety net. SQLite: the poll alone.
  push = await g.serving.listen({
    revision: (r) => {
      if (r !== front.revision) check();
    },
    listening: (reconnected) => {
      options.log(reconnected ? 'listening for changes again; catching up on the revision' : `listening for changes (PostgreSQL NOTIFY); polling every ${(options.pollMs ?? PUSH_POLL_MS) / 1000} s as a safety net`);
      check();
    },
    lost: (reason) => options.log(`the connection listening for changes was lost (${reason}); reconnecting, and polling every ${(options.pollMs ?? PUSH_POLL_MS) / 1000} s meanwhile`),
    ignored: (payload) => options.log(`ignored a notification on the store's channel that is not a revision (${JSON.stringify(payload)}); further ones are ignored silently`),
  });
  const pollMs = options.pollMs ?? (push ? PUSH_POLL_MS : POLL_MS);
  await new Promise<void>((resolve) => {
    const timer = setInterval(check, pollMs);
    const stop = () => {
      clearInterval(timer);
      resolve();
    };
    // A stop asked for while the listeners were still opening must not be missed.
    if (options.signal?.aborted) stop();
    else options.signal?.addEventListener('abort', stop, { once: true });
  });
  await push?.close();
  descriptors.stop();
  contexts.stopWarming();
  reporter.leave();
  await Promise.all([front.close(), mail.close()]);
  options.log('stopped');
  return summary;
}

/** How a revision was read, for the end of the log line: `read 2 changed rows` or `read in full, 200001 rows: bulk or other change`. */
export function describeRead(read: RevisionRead): string {
  return read.full ? `read in full, ${read.rows} rows${read.why ? `: ${read.why}` : ''}` : `read ${read.rows} changed ${read.rows === 1 ? 'row' : 'rows'}`;
}

/**
 * The mail plane's certificate selection for a revision: every certificate with its key here is a
 * candidate for SNI (its names only: no keys are read), read only when there are mail listeners.
 */
function mailSelector(g: ServingPlane, config: ServingConfig): MailCertificateSelector {
  const certificates = config.mailListeners.length === 0 ? [] : g.serving.mailCandidates();
  return new MailCertificateSelector(certificates, config.services, g.clock());
}
