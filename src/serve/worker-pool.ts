import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';

export interface WorkerPoolOptions {
  workers: number;
  log: (line: string) => void;
  signal: AbortSignal;
}

/**
 * Runs the serving plane in `workers` processes (node's cluster; this process only supervises).
 * Every worker opens the store itself and follows the same revision, so all of them serve one
 * configuration; each worker binds its own listening sockets with SO_REUSEPORT and the kernel
 * spreads new connections over them (the primary hands out nothing, which measured better on two
 * cores; SCHED_NONE stays set for any socket that does go through cluster). A worker that dies is
 * replaced; on abort every worker is told to stop accepting and drain, and the pool waits for them.
 */
export async function runWorkerPool(options: WorkerPoolOptions): Promise<void> {
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  let stopping = false;
  // Every worker derives its session ticket keys from the supervisor's seed: a ticket is good on all of them.
  const fork = (): Worker => cluster.fork({ GATEHOUSE_WORKER: '1', GATEHOUSE_TICKET_SEED: ticketSeed().toString('hex') });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    options.log(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    fork();
  });
  for (let i = 0; i < options.workers; i++) fork();
  options.log(`serving with ${options.workers} worker processes`);
  await new Promise<void>((resolve) => {
    if (options.signal.aborted) resolve();
    else options.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  stopping = true;
  const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  await Promise.all(workers.map((w) => new Promise<void>((resolve) => {
    if (w.isDead()) return resolve();
    w.once('exit', () => resolve());
    // The message reaches a worker that is serving; the signal also stops one that is still starting.
    if (w.isConnected()) w.send('shutdown');
    w.process.kill('SIGTERM');
  })));
}

/** In a worker: resolves the abort when the primary says to shut down. */
export function listenForShutdown(stop: () => void): void {
  if (!cluster.isWorker) return;
  process.on('message', (message) => {
    if (message === 'shutdown') stop();
  });
}

export function isWorker(): boolean {
  return cluster.isWorker;
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
