import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const REQUEST = 'gatehouse:metrics-request';
const ANSWER = 'gatehouse:metrics-answer';

type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;
interface Answer { type: typeof ANSWER; id: number; metrics: MetricsJson }

/**
 * In a worker: answers the supervisor's requests for this process's counters over cluster's IPC
 * channel — the same channel as the watchdog's ping/pong (serve/worker-pool.ts), which only looks at
 * the strings 'ping', 'pong' and 'shutdown', while these are objects with a `type`.
 */
export function answerSupervisor(registry: Registry): void {
  if (!cluster.isWorker) return;
  process.on('message', (message: { type?: unknown; id?: unknown }) => {
    if (typeof message !== 'object' || message === null || message.type !== REQUEST) return;
    void registry.getMetricsAsJSON().then((metrics) => {
      if (process.connected) process.send?.({ type: ANSWER, id: Number(message.id), metrics } satisfies Answer);
    }).catch(() => undefined);
  });
}

let nextId = 0;

/**
 * In the supervisor: asks every connected worker for its counters and sums them with prom-client's
 * AggregatorRegistry.aggregate (counters add up across workers). A worker that does not answer
 * within `timeoutMs` (stalled; the watchdog replaces it) is left out of this scrape rather than
 * failing it. prom-client's own `clusterMetrics()` is not used: it fails the whole scrape when one
 * worker is late, and a late answer after its timeout throws inside the supervisor's message handler.
 */
export async function workerMetrics(timeoutMs = 2_000): Promise<string> {
  const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined && w.isConnected());
  if (workers.length === 0) return '';
  const id = nextId++;
  const answers: MetricsJson[] = [];
  await new Promise<void>((resolve) => {
    let pending = 0;
    const onMessage = (_worker: unknown, message: Partial<Answer>) => {
      if (typeof message !== 'object' || message === null || message.type !== ANSWER || message.id !== id) return;
      answers.push(message.metrics ?? []);
      pending -= 1;
      if (pending === 0) finish();
    };
    const timer = setTimeout(() => finish(), timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      cluster.off('message', onMessage);
      resolve();
    };
    cluster.on('message', onMessage);
    for (const w of workers) {
      try {
        w!.send({ type: REQUEST, id });
        pending++;
      } catch {
        // Its channel closed just now: it is ending, and the watchdog starts another.
      }
    }
    if (pending === 0) finish();
  });
  return answers.length === 0 ? '' : AggregatorRegistry.aggregate(answers).metrics();
}
