import { fail } from '../model/gatehouse-error.js';
import { fileURLToPath } from 'node:url';
import { type Command, int, str, type Values } from './command.js';
import { VERSION } from './version.js';
import type { Gatehouse } from '../lifecycle/gatehouse.js';
import { DEFAULT_CONNECTION_LIMITS as D, type ConnectionLimits } from '../serve/connection-guard.js';
import { defaultWorkerCount } from '../serve/worker-pool.js';
import { isIP } from 'node:net';
import type { ServingMetrics } from '../metrics/serving-metrics.js';

/** The built console: dist/console, beside dist/src where this file runs from. */
const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));


/** The renewal scheduler (`--renew-every`, 0: off): looks for certificates due and renews them, one process per store. */
async function startRenewals(g: Gatehouse, seconds: number, leaseSeconds: number | undefined, log: (line: string) => void): Promise<{ stop(): Promise<void>; urgent(thumbprint: string, why: string): boolean } | undefined> {
  if (seconds === 0) return undefined;
  const { RenewalScheduler } = await import('../renewal/renewal-scheduler.js');
  const scheduler = new RenewalScheduler(g, { intervalMs: seconds * 1000, log, ...(leaseSeconds === undefined ? {} : { leaseMs: leaseSeconds * 1000 }) });
  scheduler.start();
  log(`renewal scheduler: looking for certificates due every ${seconds} s${leaseSeconds === undefined ? '' : ` (renewal lease ${leaseSeconds} s)`}`);
  return scheduler;
}

/** TLS contexts each serving process keeps built by default (`--tls-cache`): about 31 MiB. */
const DEFAULT_TLS_CACHE = 1000;

export const serveCommands: Command[] = [
  {
    noun: 'serve',
    verb: '',
    usage: 'gatehouse serve [--once] [--log-dir DIR] [--workers N] [--admin ADDR:PORT|off] [--admin-cert REF] [--static-cache-entries N] [--static-cache-mb N] [--tls-cache N] [--listen-ip IP] [--handshake-timeout SECONDS] [--header-timeout SECONDS] [--keepalive-timeout SECONDS] [--idle-timeout SECONDS] [--body-timeout SECONDS] [--send-timeout SECONDS] [--max-header-size BYTES] [--upstream-connect-timeout SECONDS] [--upstream-timeout SECONDS] [--max-connections N] [--max-connections-per-address N] [--worker-timeout S] [--orphan-grace S] [--ocsp-check S] [--metrics ADDR:PORT] [--renew-every SECONDS] [--renew-lease SECONDS]',
    summary: 'Serve every binding of every started site, and apply changes made by other processes live, without a restart.',
    flags: [
      ['--once', 'report what the store holds and exit instead of serving'],
      ['--log-dir DIR', "where each site's access log goes (default: logs/ in the data directory)"],
      ['--workers N', 'serving processes (default: one fewer than the CPU cores, at least 1 — so 1 on a 2-core machine, where one process measured no slower than two and cheaper per core; 1 serves in this process, more run as workers beside a supervisor that holds the admin endpoint)'],
      ['--admin ADDR:PORT', 'where the admin API and console listen (default 127.0.0.1:8443; "off" for none)'],
      ['--admin-cert REF', "the admin endpoint's certificate (default: a self-signed one Gatehouse makes and keeps in the personal store)"],
      ['--static-cache-entries N', 'small static files (64 KiB or less) each serving process keeps in memory, least recently used dropped first (default 10000; 0 turns the cache off)'],
      ['--static-cache-mb N', 'memory in MiB for those files in each serving process, paths and headers included (default 32)'],
      ['--listen-ip IP', 'bindings and mail listeners on All Unassigned (*) listen on this address of the host only, not on every address: several nodes of a farm on one host, each on its own address (default: every address)'],
      ['--tls-cache N', `TLS contexts (one per certificate in use, about 31 KiB each) each serving process keeps built, least recently used dropped first; a certificate not in it is built at its next handshake (default ${DEFAULT_TLS_CACHE})`],
      ['--handshake-timeout SECONDS', `close a web connection whose TLS handshake has not finished this long after it was accepted (default ${D.handshakeSeconds})`],
      ['--header-timeout SECONDS', `close a web connection whose request headers are not complete this long after their first byte; the first request counts from the handshake (default ${D.headerSeconds})`],
      ['--keepalive-timeout SECONDS', `close an HTTP/1.1 connection that sends no new request this long after the last answer (default ${D.keepAliveSeconds})`],
      ['--idle-timeout SECONDS', `close an HTTP/2 connection that has had no request open this long (default ${D.idleSeconds})`],
      ['--body-timeout SECONDS', `close an HTTP/1.1 connection (reset an HTTP/2 stream) whose request body sends nothing for this long (default ${D.bodySeconds})`],
      ['--send-timeout SECONDS', `close an HTTP/1.1 connection (reset an HTTP/2 stream) whose client takes nothing of the answer for this long (default ${D.sendSeconds})`],
      ['--max-header-size BYTES', `the most a request's header fields may take; a larger request gets 431 over HTTP/1.1 and HTTP/2 (default ${D.maxHeaderBytes}, Node's own)`],
      ['--upstream-connect-timeout SECONDS', `a proxy site's upstream that has not accepted a new connection (and finished its TLS handshake) this long after it was asked: the request gets 504 (default ${D.upstreamConnectSeconds})`],
      ['--upstream-timeout SECONDS', `a proxy site's upstream that has not started its answer this long after it got the whole request: the request gets 504 (default ${D.upstreamSeconds})`],
      ['--max-connections N', `web connections open at once on one listener in each serving process; more are closed at accept (default ${D.maxConnections})`],
      ['--max-connections-per-address N', `web connections open at once from one client address on one listener in each serving process; more are closed at accept (default ${D.maxPerAddress})`],
      ['--worker-timeout S', "a worker that has not answered the supervisor's ping for S seconds (its event loop is stalled) is killed and replaced (default 30)"],
      ['--orphan-grace S', 'when the supervisor is killed, its workers keep serving S seconds (so a restarted one can take over without a gap), then drain and end (default 10)'],
      ['--ocsp-check S', 'how often the OCSP staples of served certificates that name a responder are looked at; each is fetched again half-way to its nextUpdate (default 60)'],
      ['--metrics ADDR:PORT', 'also answer GET /metrics (Prometheus text format) over plain HTTP WITHOUT authentication on ADDR:PORT — use 127.0.0.1 or a private address (the admin endpoint\'s /metrics needs a token with the view permission)'],
      ['--renew-every SECONDS', 'how often the renewal scheduler looks for certificates due and renews them (default 60; 0: never); one serve per store renews at a time'],
      ['--renew-lease SECONDS', 'how long the renewal lease lasts before a node that stopped renewing (killed, paused, cut off) is taken over by another: the holder extends it before each renewal and every third of it while one runs (default 300; 2 to 3600; shorter only for tests and trials)'],
    ],
    options: {
      once: { type: 'boolean' }, 'log-dir': { type: 'string' }, workers: { type: 'string' }, admin: { type: 'string' }, 'admin-cert': { type: 'string' },
      'static-cache-entries': { type: 'string' }, 'static-cache-mb': { type: 'string' }, 'tls-cache': { type: 'string' }, 'listen-ip': { type: 'string' },
      'handshake-timeout': { type: 'string' }, 'header-timeout': { type: 'string' }, 'keepalive-timeout': { type: 'string' }, 'idle-timeout': { type: 'string' },
      'body-timeout': { type: 'string' }, 'send-timeout': { type: 'string' }, 'max-header-size': { type: 'string' }, 'upstream-connect-timeout': { type: 'string' }, 'upstream-timeout': { type: 'string' }, 'max-connections': { type: 'string' }, 'max-connections-per-address': { type: 'string' },
      'worker-timeout': { type: 'string' }, 'orphan-grace': { type: 'string' }, 'ocsp-check': { type: 'string' }, metrics: { type: 'string' }, 'renew-every': { type: 'string' }, 'renew-lease': { type: 'string' },
    },
    async run({ values, gatehouse }) {
      const workers = int(values, 'workers') ?? defaultWorkerCount();
      if (workers < 1 || workers > 64) throw fail('GH_USAGE', `--workers takes a number from 1 to 64; got ${workers}.`);
      const staticCache = staticCacheLimits(values);
      const tlsCache = int(values, 'tls-cache') ?? DEFAULT_TLS_CACHE;
      if (tlsCache < 1 || tlsCache > 1_000_000) throw fail('GH_USAGE', `--tls-cache takes a number of TLS contexts from 1 to 1000000; got ${tlsCache}.`);
      const connections = connectionLimits(values);
      const listenIp = listenIpOption(values);
      const stallSeconds = int(values, 'worker-timeout');
      if (stallSeconds !== undefined && (stallSeconds < 1 || stallSeconds > 3600)) throw fail('GH_USAGE', `--worker-timeout takes a number of seconds from 1 to 3600; got ${stallSeconds}.`);
      const orphanSeconds = int(values, 'orphan-grace');
      if (orphanSeconds !== undefined && (orphanSeconds < 0 || orphanSeconds > 3600)) throw fail('GH_USAGE', `--orphan-grace takes a number of seconds from 0 to 3600; got ${orphanSeconds}.`);
      const ocspSeconds = int(values, 'ocsp-check');
      if (ocspSeconds !== undefined && (ocspSeconds < 1 || ocspSeconds > 86_400)) throw fail('GH_USAGE', `--ocsp-check takes a number of seconds from 1 to 86400; got ${ocspSeconds}.`);
      // The serving plane (http2, send, the proxy library) is loaded only by the command that serves.
      const { describeSummary, serve, summarize } = await import('../serve/serve.js');
      const { DEFAULT_ORPHAN_GRACE_MS, runWorkerPool, ticketSeed } = await import('../serve/worker-pool.js');
      const g = gatehouse();
      g.serving.useTicketSeed(ticketSeed());
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const json = values.json === true;
      const adminListen = str(values, 'admin') ?? '127.0.0.1:8443';
      const { parseAdminAddress } = await import('../admin/admin-address.js');
      const adminAddress = parseAdminAddress(adminListen);
      const metricsListen = metricsAddress(str(values, 'metrics'));
      const log = (line: string) => {
        if (!json) process.stdout.write(`${new Date().toISOString()} gatehouse: ${line}\n`);
      };
      // Every serving process counts handshakes, requests and mail sessions; a worker answers the
      // supervisor's requests for them (serve/worker-entry.ts), and the supervisor (or the single
      // process) answers /metrics.
      const pooled = workers > 1 && values.once !== true;
      const { ServingMetrics } = await import('../metrics/serving-metrics.js');
      const servingMetrics = values.once === true || pooled ? undefined : new ServingMetrics();
      const exposition = values.once === true ? undefined : await metricsExposition(g, servingMetrics);
      if (exposition) {
        // Per certificate: its renewal source, status, next renewal and last success and failure.
        const { renewalMetrics } = await import('../renewal/renewal-metrics.js');
        exposition.store.registerRenewalMetrics(renewalMetrics(g));
      }
      const renewEvery = int(values, 'renew-every') ?? 60;
      if (renewEvery < 0 || renewEvery > 86_400) throw fail('GH_USAGE', `--renew-every takes a number of seconds from 0 (off) to 86400; got ${renewEvery}.`);
      const renewLease = int(values, 'renew-lease');
      if (renewLease !== undefined && (renewLease < 2 || renewLease > 3600)) throw fail('GH_USAGE', `--renew-lease takes a number of seconds from 2 to 3600; got ${renewLease}.`);
      // The admin endpoint runs once, in the process that supervises (or is) the serving plane.
      // So does the background work that runs once per store: OCSP staples and the renewal scheduler.
      const startAdmin = async () => {
        if (values.once === true) return undefined;
        // This supervisor (or single process) is a node of the farm: `farm status` lists it. A start
        // that fails (an admin certificate or address that cannot be used) takes the row away again.
        const node = g.processes.nodeReporter({ version: VERSION, admin: adminListen === 'off' ? null : adminListen });
        let scheduler: Awaited<ReturnType<typeof startRenewals>>;
        let ocsp: { stop(): unknown } | undefined;
        let admin: { close(): Promise<unknown> } | undefined;
        try {
          scheduler = await startRenewals(g, renewEvery, renewLease, log);
          // A certificate its CA revoked (OCSP) is renewed at once when Gatehouse can, and a person is told.
          const { OcspRefresher } = await import('../serve/ocsp-refresher.js');
          const { certificateRevoked } = await import('../renewal/renewal-notifications.js');
          const refresher = new OcspRefresher(g, log, {
            ...(ocspSeconds === undefined ? {} : { checkMs: ocspSeconds * 1000 }),
            onRevoked: (target) => void certificateRevoked(g, target.thumbprint, (t, why) => scheduler?.urgent(t, why) ?? false, log),
          });
          ocsp = refresher;
          refresher.start();
          // `--admin off`: Fastify, the API and the console are not even loaded.
          admin = adminAddress === undefined ? undefined : await (await import('../admin/admin-endpoint.js')).startAdminEndpoint(g, {
            listen: adminListen, certificate: str(values, 'admin-cert'), version: VERSION, consoleDir: CONSOLE_DIR, log,
            ...(exposition ? { metrics: async () => ({ contentType: exposition.contentType, text: await exposition.text() }) } : {}),
          });
        } catch (e) {
          await Promise.all([ocsp?.stop(), scheduler?.stop()]).catch(() => undefined);
          node.forget();
          throw e;
        }
        // A node that started but failed to serve (a listener's port taken) is forgotten too, not listed as stale.
        return { close: async (failed = false) => Promise.all([ocsp?.stop(), scheduler?.stop(), admin?.close()]).finally(() => (failed ? node.forget() : node.leave())) };
      };
      // The expiry check (certificates within 14 days of their end: a notification once a day) runs
      // hourly in the same one process, unref'd, and stops with it.
      const startExpiryNotices = async (): Promise<() => void> => {
        if (values.once === true) return () => undefined;
        const { Notifier } = await import('../notify/notifier.js');
        const { ExpiryNotices } = await import('../notify/expiry.js');
        const { renewedAlready } = await import('../renewal/renewal-notifications.js');
        // Only certificates with no successful renewal: one a renewal has replaced is not running out.
        const candidates = {
          expiryCandidates: (now: Date) => g.notifications.expiryCandidates(now, renewedAlready(g)),
          markExpiryNotified: (thumbprint: string, at: Date) => g.notifications.markExpiryNotified(thumbprint, at),
        };
        return new ExpiryNotices(candidates, new Notifier(g.notifications, log), log).start(g.clock);
      };
      const startMetricsListener = async () => {
        if (!exposition || !metricsListen) return undefined;
        const { startMetricsListener: start } = await import('../metrics/metrics-listener.js');
        return start(metricsListen, () => exposition.text(), log);
      };
      // The admin endpoint and the metrics listener; a metrics address that cannot be used forgets the node again.
      const startOnce = async () => {
        const admin = await startAdmin();
        try {
          return { admin, metricsServer: await startMetricsListener() };
        } catch (e) {
          await admin?.close(true);
          throw e;
        }
      };
      if (pooled) {
        const summary = summarize(g);
        // The supervisor's heartbeat, admin endpoint and background work must not hang on a PostgreSQL that drops packets.
        g.serving.guard();
        log(describeSummary(summary));
        const { admin, metricsServer } = await startOnce();
        const stopExpiry = await startExpiryNotices();
        const worker = { dataDir: g.dataDir, store: str(values, 'store-url'), logDir: str(values, 'log-dir'), staticCache, contextCapacity: tlsCache, connections, listenIp, json, orphanGraceMs: orphanSeconds === undefined ? DEFAULT_ORPHAN_GRACE_MS : orphanSeconds * 1000 };
        try {
          await runWorkerPool({ workers, worker, log, signal: controller.signal, ...(stallSeconds === undefined ? {} : { stallMs: stallSeconds * 1000 }) });
        } catch (e) {
          stopExpiry();
          metricsServer?.close();
          await admin?.close(true);
          throw e;
        }
        stopExpiry();
        metricsServer?.close();
        await admin?.close();
        log('stopped');
        return { json: summarize(g), text: '' };
      }
      const { admin, metricsServer } = await startOnce();
      const stopExpiry = await startExpiryNotices();
      let summary;
      try {
        summary = await serve(g, {
          once: values.once === true, logDir: str(values, 'log-dir'), staticCache, contextCapacity: tlsCache, connections, listenIp, signal: controller.signal, log,
          role: 'single', ...(servingMetrics ? { metrics: servingMetrics } : {}),
        });
      } catch (e) {
        stopExpiry();
        metricsServer?.close();
        await admin?.close(true);
        throw e;
      }
      stopExpiry();
      metricsServer?.close();
      await admin?.close();
      return { json: summary, text: '' };
    },
  },
  {
    noun: 'serve',
    verb: 'status',
    usage: 'gatehouse serve status',
    summary: 'Show the processes serving this store, the revision each serves and when each last reported.',
    flags: [],
    options: {},
    run({ gatehouse }) {
      const status = gatehouse().processes.status();
      const live = status.processes.filter((p) => p.live);
      const lines = status.processes.map((p) => `  ${p.id.padEnd(28)} ${p.role.padEnd(7)} revision ${String(p.revision).padEnd(6)} ` +
        `${p.live ? `seen ${p.seen}` : `gone (last seen ${p.seen})`}${p.listeners.length ? `  ${p.listeners.join(', ')}` : ''}`);
      const head = live.length === 0
        ? `No process is serving this store (revision ${status.revision}); start it with "gatehouse serve".`
        : `${live.length} process(es) serving this store at revision ${status.revision}` +
          `${live.every((p) => p.revision === status.revision) ? ', all up to date' : `; behind: ${live.filter((p) => p.revision !== status.revision).map((p) => p.id).join(', ')}`}.`;
      return { json: status, text: [head, ...lines].join('\n') };
    },
  },
  {
    noun: 'farm',
    verb: 'status',
    usage: 'gatehouse farm status',
    summary: 'Show every node of the farm (each serve on this store): its host, pid, version and addresses, the revision it serves, its last report and its lag; stale and stopped nodes marked.',
    flags: [],
    options: {},
    run({ gatehouse }) {
      const farm = gatehouse().processes.farm();
      const live = farm.nodes.filter((n) => n.state === 'live');
      const head = farm.nodes.length === 0
        ? `No node has served this store (revision ${farm.revision}); start one with "gatehouse serve".`
        : `${live.length} of ${farm.nodes.length} node(s) live on this store at revision ${farm.revision}` +
          `${live.every((n) => n.lag.revisions === 0) ? (live.length ? ', all up to date' : '') : `; behind: ${live.filter((n) => n.lag.revisions !== 0).map((n) => n.id).join(', ')}`}.`;
      const lines = farm.nodes.flatMap((n) => [
        `  ${n.id.padEnd(28)} ${n.state.toUpperCase().padEnd(7)} ${n.version ? `v${n.version}`.padEnd(9) : 'version ?'} ` +
          `revision ${n.revision === null ? '-' : String(n.revision)} (lag ${n.lag.revisions === null ? '-' : n.lag.revisions}, last report ${n.lag.seconds} s ago)` +
          `${n.state === 'stopped' ? `, stopped ${n.stopped}` : ''}`,
        `  ${''.padEnd(28)} started ${n.started}; ${n.processes} serving process(es); admin ${n.admin ?? 'off'}${n.listeners.length ? `; ${n.listeners.join(', ')}` : ''}`,
      ]);
      return { json: farm, text: [head, ...lines].join('\n') };
    },
  },
  {
    noun: 'audit',
    verb: '',
    usage: 'gatehouse audit [--since ISO-TIME] [--last N]',
    summary: 'Show the audit log: who changed what, when, from where, before and after (never a secret).',
    flags: [
      ['--since ISO-TIME', 'only changes at or after that time (e.g. 2026-11-01 or 2026-11-01T08:00:00Z)'],
      ['--last N', 'only the newest N changes'],
    ],
    options: { since: { type: 'string' }, last: { type: 'string' } },
    run({ values, gatehouse }) {
      const rows = gatehouse().audit({ since: auditSince(str(values, 'since')), limit: int(values, 'last') });
      const text = rows.map((r) => `${r.at}  ${r.actor} (${r.origin}${r.source ? ` from ${r.source}` : ''})  ${r.action}  ${r.target}`).join('\n') || 'No changes in the audit log.';
      return { json: rows, text };
    },
  },
];

/** `--metrics ADDR:PORT` (IPv6 in brackets), checked; undefined when not given. */
export function metricsAddress(value: string | undefined): { host: string; port: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}))):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) throw fail('GH_USAGE', `--metrics takes ADDRESS:PORT, e.g. 127.0.0.1:9464 or [::1]:9464; got "${value}".`);
  return { host: m[1] ?? m[2]!, port };
}

/** What /metrics answers in this process: the store's metrics, and the serving counters — its own, or (none given) every worker's, summed. */
async function metricsExposition(g: Gatehouse, own: ServingMetrics | undefined) {
  const { MetricsExposition, StoreMetrics, METRICS_CONTENT_TYPE } = await import('../metrics/store-metrics.js');
  const { workerMetrics } = await import('../metrics/cluster-metrics.js');
  const exposition = new MetricsExposition(new StoreMetrics(g), own ? () => own.registry.metrics() : () => workerMetrics());
  return Object.assign(exposition, { contentType: METRICS_CONTENT_TYPE });
}

/** `--static-cache-entries` and `--static-cache-mb`, checked (usage errors name the range). */
/** `--listen-ip`: one address of this host, in its canonical form. */
export function listenIpOption(values: Values): string | undefined {
  const given = str(values, 'listen-ip');
  if (given === undefined) return undefined;
  const ip = isIP(given) ? given.toLowerCase() : undefined;
  if (!ip) throw fail('GH_USAGE', `--listen-ip takes one IPv4 or IPv6 address of this host, such as 127.0.0.2; got "${given}".`);
  return ip;
}

export function staticCacheLimits(values: Values): { maxEntries?: number; maxTotalBytes?: number } {
  const entries = int(values, 'static-cache-entries');
  if (entries !== undefined && (entries < 0 || entries > 1_000_000)) throw fail('GH_USAGE', `--static-cache-entries takes a number from 0 (no cache) to 1000000; got ${entries}.`);
  const mb = int(values, 'static-cache-mb');
  if (mb !== undefined && (mb < 1 || mb > 65_536)) throw fail('GH_USAGE', `--static-cache-mb takes a number of MiB from 1 to 65536; got ${mb}. To turn the cache off: --static-cache-entries 0.`);
  return { ...(entries === undefined ? {} : { maxEntries: entries }), ...(mb === undefined ? {} : { maxTotalBytes: mb * 1024 * 1024 }) };
}

/** The web listeners' timeouts and connection caps (`--handshake-timeout` … `--max-connections-per-address`), checked. */
export function connectionLimits(values: Values): Partial<ConnectionLimits> {
  const limits: Partial<ConnectionLimits> = {};
  const flags: [string, keyof ConnectionLimits, number, string, number?][] = [
    ['handshake-timeout', 'handshakeSeconds', 3600, 'seconds'],
    ['header-timeout', 'headerSeconds', 3600, 'seconds'],
    ['keepalive-timeout', 'keepAliveSeconds', 86_400, 'seconds'],
    ['idle-timeout', 'idleSeconds', 86_400, 'seconds'],
    ['body-timeout', 'bodySeconds', 86_400, 'seconds'],
    ['send-timeout', 'sendSeconds', 86_400, 'seconds'],
    ['max-header-size', 'maxHeaderBytes', 1_048_576, 'bytes', 1024],
    ['upstream-connect-timeout', 'upstreamConnectSeconds', 3600, 'seconds'],
    ['upstream-timeout', 'upstreamSeconds', 86_400, 'seconds'],
    ['max-connections', 'maxConnections', 1_000_000, 'connections'],
    ['max-connections-per-address', 'maxPerAddress', 1_000_000, 'connections'],
  ];
  for (const [flag, key, max, unit, min = 1] of flags) {
    const n = int(values, flag);
    if (n === undefined) continue;
    if (n < min || n > max) throw fail('GH_USAGE', `--${flag} takes a number of ${unit} from ${min} to ${max}; got ${n}.`);
    limits[key] = n;
  }
  return limits;
}

/** Accepts any time Date can read and turns it into the ISO form the log is kept in. */
export function auditSince(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(t)) throw fail('GH_USAGE', `--since takes an ISO date or time such as 2026-11-01 or 2026-11-01T08:00:00Z; got "${value}".`);
  return new Date(t).toISOString();
}
