import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restartDelay } from './worker-pool.js';

test('restartDelay: a death is replaced at once; workers that keep dying soon after their start wait longer, up to 30 s', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 20].map(restartDelay), [0, 0, 500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
});

test('defaultWorkerCount: one fewer than the cores, at least one — a single process on one or two cores', async () => {
  const { defaultWorkerCount } = await import('./worker-pool.js');
  assert.deepEqual([1, 2, 3, 4, 8, 64].map((n) => defaultWorkerCount(n)), [1, 1, 2, 3, 7, 63]);
  const { availableParallelism } = await import('node:os');
  assert.equal(defaultWorkerCount(), Math.max(1, availableParallelism() - 1));
});

test('serve --help states the default worker count\'s rule', async () => {
  const { serveCommands } = await import('../cli/serve-commands.js');
  const serve = serveCommands.find((c) => c.noun === 'serve' && c.verb === '')!;
  const workers = serve.flags!.find(([flag]) => flag === '--workers N')![1];
  assert.match(workers!, /default: one fewer than the CPU cores, at least 1 — so 1 on a 2-core machine/);
});
