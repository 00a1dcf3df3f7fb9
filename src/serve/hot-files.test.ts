import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HotFiles } from './hot-files.js';

function file(content: string) {
  const dir = mkdtempSync(join(tmpdir(), 'gh-hot-'));
  const path = join(dir, 'a.txt');
  writeFileSync(path, content);
  return { dir, path, st: statSync(path) };
}

test('an entry is trusted for validMs, then the next lookup goes back to disk', async () => {
  let now = 1000;
  const hot = new HotFiles({ maxFileBytes: 100, maxTotalBytes: 1000, validMs: 1000 }, () => now);
  const f = file('hello');
  await hot.remember(f.dir, '/a.txt', f.path, f.st.size, f.st.mtimeMs, { etag: 'W/"5-1"', 'last-modified': 'x' });
  assert.equal(hot.lookup(f.dir, '/a.txt')?.body.toString(), 'hello');
  assert.equal(hot.lookup(f.dir, '/A.txt'), undefined, 'only the exact path send served');
  assert.equal(hot.lookup('/elsewhere', '/a.txt'), undefined, 'only under the same root');
  now += 1001;
  assert.equal(hot.lookup(f.dir, '/a.txt'), undefined);
});

test('large files, files changed since send looked, and memory beyond the limit are not kept', async () => {
  const hot = new HotFiles({ maxFileBytes: 10, maxTotalBytes: 12, validMs: 1000 });
  const big = file('0123456789ABC');
  await hot.remember(big.dir, '/big', big.path, big.st.size, big.st.mtimeMs, { etag: 'e', 'last-modified': 'x' });
  assert.equal(hot.lookup(big.dir, '/big'), undefined);
  const changed = file('abc');
  await hot.remember(changed.dir, '/c', changed.path, 4, changed.st.mtimeMs, { etag: 'e', 'last-modified': 'x' });
  assert.equal(hot.lookup(changed.dir, '/c'), undefined);
  const one = file('12345678');
  const two = file('abcdefgh');
  await hot.remember(one.dir, '/1', one.path, one.st.size, one.st.mtimeMs, { etag: 'e', 'last-modified': 'x' });
  await hot.remember(two.dir, '/2', two.path, two.st.size, two.st.mtimeMs, { etag: 'e', 'last-modified': 'x' });
  assert.equal(hot.lookup(one.dir, '/1'), undefined, 'the least recently used entry made room');
  assert.equal(hot.lookup(two.dir, '/2')?.body.toString(), 'abcdefgh');
});
