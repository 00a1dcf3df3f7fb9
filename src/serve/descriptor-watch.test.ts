import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canOpenDescriptor, DescriptorWatch, EXHAUSTED_EXIT_CODE } from './descriptor-watch.js';

const errno = (code: string) => Object.assign(new Error(`accept ${code}`), { code });

test('DescriptorWatch ends the process only when it has been out of descriptors for the whole limit', async () => {
  const lines: string[] = [];
  const exits: number[] = [];
  let free = true;
  const watch = new DescriptorWatch({ log: (l) => lines.push(l), exit: (c) => exits.push(c), limitMs: 200, everyMs: 20, probe: () => free });
  watch.start();
  try {
    // Other listener errors are not about descriptors.
    watch.noteError(errno('ECONNRESET'));
    free = false;
    await new Promise((r) => setTimeout(r, 80));
    assert.match(lines.join('\n'), /out of file descriptors \(EMFILE\): new connections are turned away/);
    free = true;
    await new Promise((r) => setTimeout(r, 60));
    assert.match(lines.at(-1)!, /file descriptors available again/);
    assert.deepEqual(exits, [], 'a short shortage is load, not a reason to end');
    // An accept error counts as well; this time the shortage lasts.
    watch.noteError(errno('ENFILE'));
    free = false;
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(exits, [EXHAUSTED_EXIT_CODE]);
    assert.match(lines.at(-1)!, /out of file descriptors for \d+ s: ending so that a fresh process takes over/);
  } finally {
    watch.stop();
  }
});

test('canOpenDescriptor: true while the process has descriptors left', () => {
  assert.equal(canOpenDescriptor(), true);
});
