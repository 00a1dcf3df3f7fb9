import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restartDelay } from './worker-pool.js';

test('restartDelay: a death is replaced at once; workers that keep dying soon after their start wait longer, up to 30 s', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 20].map(restartDelay), [0, 0, 500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
});
