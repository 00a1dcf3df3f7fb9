import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ConnectionLimits } from './connection-guard.js';

/** What a worker is told by its supervisor (through its environment, as JSON): the command line's choices that shape serving. */
export interface WorkerOptions {
  /** The data directory, resolved. */
  dataDir: string;
  /**
   * `--store-url` (a PostgreSQL store), when given on the command line; else the worker reads
   * $GATEHOUSE_STORE, inherited. Passed in the environment, never on a command line (it holds a password).
   */
  store?: string | undefined;
  logDir?: string | undefined;
  staticCache?: { maxEntries?: number; maxTotalBytes?: number };
  /** TLS contexts each worker keeps built (`serve --tls-cache`). */
  contextCapacity?: number;
  connections?: Partial<ConnectionLimits>;
  orphanGraceMs: number;
  /** `serve --listen-ip`: the address `*` bindings listen on (else every address). */
  listenIp?: string | undefined;
  /** `--json`: no log lines on stdout. */
  json: boolean;
}

/** The worker's program (compiled beside this file): the serving plane only, not the CLI (serve/worker-entry.ts). */
const WORKER_ENTRY = fileURLToPath(new URL('./worker-entry.js', import.meta.url));
const OPTIONS_ENV = 'GATEHOUSE_WORKER_OPTIONS';

/** In a worker: the options its supervisor forked it with. */
export function readWorkerOptions(): WorkerOptions {
  const given = process.env[OPTIONS_ENV];
  return JSON.parse(given ?? '{}') as WorkerOptions;
}

export interface WorkerPoolOptions {
  workers: number;
  /** What every worker serves with. */
  worker: WorkerOptions;
  log: (line: string) => void;
  signal: AbortSignal;
  /**
   * A worker that has not answered the supervisor's ping for this long (its event loop is stalled:
   * stopped, spinning, swapped out) is killed and replaced (`serve --worker-timeout`, default 30 s).
   */
  stallMs?: number;
}

/**
 * `serve`'s worker count without `--workers`: one fewer than the CPU cores, and at least one — so on
 * two cores (or one) a single process serves in-process, which BENCHMARKS.md ("Issue #12: workers and
 * the thin supervisor") measured no slower than two workers there in rate and cheaper per server
 * core-second; beyond that one core is left to the supervisor (admin endpoint, renewals, OCSP), the
 * kernel's network stack and whatever else runs on the machine.
 */
export function defaultWorkerCount(cores = availableParallelism()): number {
  return Math.max(1, cores - 1);
}

/** Default for `serve --worker-timeout`. */
export const DEFAULT_STALL_MS = 30_000;
/** Before its first answer a worker is still starting (loading code, opening the store): it gets at least this long. */
const STARTUP_MS = 10_000;
/** A worker that ends within this long of its start counts as a failed start (back-off, below). */
const QUICK_DEATH_MS = 10_000;
/** The longest the supervisor waits before starting another worker when they keep dying. */
const MAX_BACKOFF_MS = 30_000;

/**
 * Runs the serving plane in `workers` processes (node's cluster; this process only supervises).
 * A worker runs serve/worker-entry.js, not the command line: it loads the serving plane and nothing
 * of the CLI, the admin endpoint or the control plane (those stay here, in the supervisor).
 * Every worker opens the store itself and follows the same revision, so all of them serve one
 * configuration; each worker binds its own listening sockets with SO_REUSEPORT and the kernel
 * spreads new connections over them (the primary hands out nothing, which measured better on two
 * cores; SCHED_NONE stays set for any socket that does go through cluster). A worker that dies is
 * replaced — at once the first time, then with a growing pause (up to 30 s) while replacements keep
 * dying within 10 s of their start, so a broken configuration does not spin the CPU; one that stops
 * answering the supervisor's ping for `stallMs` is killed and replaced (issue #10: a worker that
 * cannot accept must not hold its share of the connections). On abort every worker is told to stop
 * accepting and drain, and the pool waits for them.
 */
export async function runWorkerPool(options: WorkerPoolOptions): Promise<void> {
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  cluster.setupPrimary({ exec: WORKER_ENTRY, args: [] });
  const workerOptions = JSON.stringify(options.worker);
  const stallMs = options.stallMs ?? DEFAULT_STALL_MS;
  let stopping = false;
  /** When each worker started, and when it last answered a ping (undefined: not yet). */
  const health = new Map<number, { started: number; answered?: number; killed?: boolean }>();
  let quickDeaths = 0;
  let pending: NodeJS.Timeout | undefined;
  // Every worker derives its session ticket keys from the supervisor's seed: a ticket is good on all of them.
  const fork = (): Worker => {
    const worker = cluster.fork({ GATEHOUSE_WORKER: '1', GATEHOUSE_TICKET_SEED: ticketSeed().toString('hex'), [OPTIONS_ENV]: workerOptions });
    health.set(worker.id, { started: Date.now() });
    worker.on('message', (message) => {
      const h = health.get(worker.id);
      if (message === 'pong' && h) h.answered = Date.now();
    });
    return worker;
  };
  cluster.on('exit', (worker, code, signal) => {
    const h = health.get(worker.id);
    health.delete(worker.id);
    if (stopping) return;
    const lived = Date.now() - (h?.started ?? 0);
    quickDeaths = lived < QUICK_DEATH_MS ? quickDeaths + 1 : 0;
    const delay = restartDelay(quickDeaths);
    if (delay === 0) {
      options.log(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
      fork();
      return;
    }
    options.log(`worker ${worker.process.pid} exited (${signal ?? code}); ${quickDeaths} in a row have ended within ${QUICK_DEATH_MS / 1000} s of their start, so ` +
      `the next starts in ${delay / 1000} s (the lines above say why they end)`);
    const timer = setTimeout(() => {
      if (!stopping) fork();
    }, delay);
    pending = timer;
  });
  // The watchdog: ping every worker; one that has not answered within stallMs is killed (SIGKILL
  // works on a stopped process too) and the exit handler above starts another.
  const watchdog = setInterval(() => {
    const now = Date.now();
    for (const w of Object.values(cluster.workers ?? {})) {
      if (!w || w.isDead()) continue;
      const h = health.get(w.id);
      if (!h || h.killed) continue;
      const since = h.answered ?? h.started;
      const limit = h.answered === undefined ? Math.max(stallMs, STARTUP_MS) : stallMs;
      if (now - since > limit) {
        h.killed = true;
        options.log(`worker ${w.process.pid} has not answered for ${Math.round((now - since) / 1000)} s (its event loop is stalled); killing it` +
          `${stopping ? '' : ' and starting another'}`);
        w.process.kill('SIGKILL');
        continue;
      }
      if (w.isConnected()) w.send('ping');
    }
  }, Math.max(100, Math.min(1000, Math.floor(stallMs / 3))));
  for (let i = 0; i < options.workers; i++) fork();
  options.log(`serving with ${options.workers} worker processes`);
  await new Promise<void>((resolve) => {
    if (options.signal.aborted) resolve();
    else options.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  stopping = true;
  clearTimeout(pending);
  const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  await Promise.all(workers.map((w) => new Promise<void>((resolve) => {
    if (w.isDead()) return resolve();
    w.once('exit', () => resolve());
    // The message reaches a worker that is serving; the signal also stops one that is still starting.
    if (w.isConnected()) w.send('shutdown');
    w.process.kill('SIGTERM');
  })));
  clearInterval(watchdog);
}

/** How long to wait before replacing a worker, after `quickDeaths` in a row ended soon after their start: 0, 0, 0.5 s, 1 s, 2 s … up to 30 s. */
export function restartDelay(quickDeaths: number): number {
  return quickDeaths <= 1 ? 0 : Math.min(MAX_BACKOFF_MS, 500 * 2 ** (quickDeaths - 2));
}

export interface WorkerSupervision {
  /** Stops serving (drain and end). */
  stop: () => void;
  /** Whether the process is already stopping (its own end also closes the channel). */
  stopping: () => boolean;
  log: (line: string) => void;
  /** How long a worker whose supervisor is gone keeps serving (`serve --orphan-grace`). */
  orphanGraceMs: number;
}

/** Default for `serve --orphan-grace`. */
export const DEFAULT_ORPHAN_GRACE_MS = 10_000;

/**
 * In a worker: stops when the supervisor says so, answers its pings (the watchdog), and outlives it
 * for a while. Node's cluster ends a worker the moment its channel to the primary closes; when the
 * supervisor is killed that took every listener down until someone restarted it. Instead the worker
 * keeps serving for `orphanGraceMs` — a restarted supervisor's workers bind beside it (SO_REUSEPORT)
 * in that time, so clients see no gap — then stops accepting, drains and ends, so that no orphan
 * outlives its supervisor for long.
 */
export function superviseWorker(s: WorkerSupervision): void {
  if (!cluster.isWorker) return;
  process.on('message', (message) => {
    if (message === 'shutdown') s.stop();
    else if (message === 'ping' && process.connected) process.send?.('pong');
  });
  // Tells node's cluster code that a closed channel is expected, so it does not exit at once.
  cluster.worker!.exitedAfterDisconnect = true;
  process.once('disconnect', () => {
    if (s.stopping()) return;
    s.log(`the supervisor is gone; serving on for ${s.orphanGraceMs / 1000} s so that a restarted one can take over, then stopping`);
    setTimeout(s.stop, s.orphanGraceMs);
  });
}

/** Whether this process is one of a supervisor's workers. */
export function isWorker(): boolean {
  return cluster.isWorker && process.env[OPTIONS_ENV] !== undefined;
}

let seed: Buffer | undefined;

/**
 * The secret this run's TLS session ticket keys come from (lifecycle/serving.ts): made at random by
 * the supervisor (or the single process) when it starts, and handed to each worker it forks through
 * the worker's environment — cluster's own channel, read here and nowhere else. Never on disk.
 */
export function ticketSeed(): Buffer {
  if (seed) return seed;
  const given = cluster.isWorker ? process.env.GATEHOUSE_TICKET_SEED : undefined;
  seed = given !== undefined && /^[0-9a-f]{64}$/.test(given) ? Buffer.from(given, 'hex') : randomBytes(32);
  return seed;
}
