// The program a `serve` worker runs (node's cluster forks it: serve/worker-pool.ts). Only the serving
// plane: the store's read side, the listeners, the access logs, the counters — not the CLI, not the
// admin endpoint (Fastify, the console), not the ACME client, the CA or the renewal scheduler, which
// run once, in the supervisor. src/architecture.test.ts walks this file's imports to keep it so.
import { openServingPlane, type ServingPlane } from '../lifecycle/serving-plane.js';
import { GatehouseError } from '../model/gatehouse-error.js';
import { answerSupervisor } from '../metrics/cluster-metrics.js';
import { ServingMetrics } from '../metrics/serving-metrics.js';
import { serve } from './serve.js';
import { isWorker, readWorkerOptions, superviseWorker, ticketSeed } from './worker-pool.js';

if (!isWorker()) {
  process.stderr.write('error: this program is a serve worker, started by "serve" (GH_USAGE)\n');
  process.exit(2);
}
const options = readWorkerOptions();
const tag = `gatehouse[${process.pid}]`;
const log = (line: string) => {
  if (!options.json) process.stdout.write(`${new Date().toISOString()} ${tag}: ${line}\n`);
};
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
}
const controller = new AbortController();
const stop = () => controller.abort();
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
superviseWorker({ stop, stopping: () => controller.signal.aborted, log, orphanGraceMs: options.orphanGraceMs });

let g: ServingPlane | undefined;
try {
  // The master key comes as it does to the CLI: $GATEHOUSE_MASTER_KEY (inherited), else master.key.
  g = openServingPlane({ dataDir: options.dataDir, store: options.store ?? process.env.GATEHOUSE_STORE, masterKey: process.env.GATEHOUSE_MASTER_KEY, actor: { name: 'serve', origin: 'system' } });
  g.serving.useTicketSeed(ticketSeed());
  const metrics = new ServingMetrics();
  answerSupervisor(metrics.registry);
  await serve(g, {
    once: false, quiet: true, log, role: 'worker', signal: controller.signal, metrics,
    logDir: options.logDir, staticCache: options.staticCache, connections: options.connections,
    ...(options.contextCapacity === undefined ? {} : { contextCapacity: options.contextCapacity }),
    listenIp: options.listenIp,
  });
} catch (e) {
  // As the CLI words it: one line, the stable code, no stack for a refusal.
  const message = e instanceof GatehouseError ? `${e.message} (${e.code})` : `internal error: ${(e as Error)?.message ?? String(e)} (GH_INTERNAL)`;
  process.stderr.write(`error: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exitCode = e instanceof GatehouseError ? e.exitCode : 1;
} finally {
  g?.close();
  // The channel to the supervisor would keep the process alive; close it so that it can end.
  if (process.connected) process.disconnect?.();
}
