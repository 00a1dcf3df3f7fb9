import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HotFiles, isCanonicalPath } from './hot-files.js';

function file(content: string) {
  const dir = mkdtempSync(join(tmpdir(), 'gh-hot-'));
  const path = join(dir, 'a.txt');
  writeFileSync(path, content);
  return { dir, path, st: statSync(path) };
}

/** A fresh entry's body, or what lookup said instead. */
function body(hit: ReturnType<HotFiles['lookup']>): string | undefined {
  return hit === undefined || hit === 'stale' ? hit : hit.body.toString();
}

test('an entry is trusted for validMs, then it is stale until one stat revalidates it', async () => {
  let now = 1000;
  const hot = new HotFiles({ maxFileBytes: 100, validMs: 1000 }, () => now);
  const f = file('hello');
  await hot.remember(f.dir, '/a.txt', f.path, f.st.size, f.st.mtimeMs, { etag: 'W/"5-1"', 'last-modified': 'x' });
  assert.equal(body(hot.lookup(f.dir, '/a.txt')), 'hello');
  assert.equal(hot.lookup(f.dir, '/A.txt'), undefined, 'only the exact path send served');
  assert.equal(hot.lookup('/elsewhere', '/a.txt'), undefined, 'only under the same root');
  now += 1001;
  assert.equal(hot.lookup(f.dir, '/a.txt'), 'stale');
  // A burst of requests for a stale entry shares one stat.
  const first = hot.revalidate(f.dir, '/a.txt');
  assert.equal(hot.revalidate(f.dir, '/a.txt'), first);
  assert.equal((await first)?.body.toString(), 'hello', 'unchanged on disk: trusted again');
  assert.equal(body(hot.lookup(f.dir, '/a.txt')), 'hello');
});

test('a stale entry whose file changed or went away is dropped, so send serves the file again', async () => {
  let now = 1000;
  const hot = new HotFiles({ maxFileBytes: 100, validMs: 1000 }, () => now);
  const f = file('hello');
  await hot.remember(f.dir, '/a.txt', f.path, f.st.size, f.st.mtimeMs, { etag: 'W/"5-1"', 'last-modified': 'x' });
  writeFileSync(f.path, 'hello, changed');
  now += 1001;
  assert.equal(hot.lookup(f.dir, '/a.txt'), 'stale');
  assert.equal(await hot.revalidate(f.dir, '/a.txt'), undefined);
  assert.equal(hot.lookup(f.dir, '/a.txt'), undefined, 'dropped');
  assert.equal(hot.entries, 0);
  assert.equal(hot.bytes, 0);
  const g = file('x');
  await hot.remember(g.dir, '/g', g.path, g.st.size, g.st.mtimeMs, { etag: 'e', 'last-modified': 'x' });
  rmSync(g.path);
  now += 1001;
  assert.equal(await hot.revalidate(g.dir, '/g'), undefined, 'gone from disk');
  assert.equal(hot.entries, 0);
});

test('large files, files changed since send looked, and memory beyond the limit are not kept', async () => {
  // Room for one small entry (its body, key, headers and the fixed cost of 256), not two.
  const hot = new HotFiles({ maxFileBytes: 10, maxTotalBytes: 400, validMs: 1000 });
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
  assert.equal(body(hot.lookup(two.dir, '/2')), 'abcdefgh');
});

test('10,000 distinct URL paths leave the cache under its entry and memory caps, least recently used out first', async () => {
  const f = file('x');
  const hot = new HotFiles({ maxEntries: 100, maxTotalBytes: 1_000_000 });
  const headers = { etag: 'W/"1-1"', 'last-modified': 'x' };
  // Long keys, tiny bodies: what the cap must count is the keys, not only the bodies.
  const long = 'k'.repeat(2000);
  for (let i = 0; i < 10_000; i++) await hot.remember(f.dir, `/${long}${i}`, f.path, f.st.size, f.st.mtimeMs, headers);
  assert.equal(hot.entries, 100);
  assert.ok(hot.bytes <= 1_000_000 && hot.bytes >= 100 * 2000, `${hot.bytes} bytes counted, keys included`);
  assert.equal(hot.lookup(f.dir, `/${long}9899`), undefined, 'older entries were dropped');
  assert.ok(hot.lookup(f.dir, `/${long}9900`), 'the newest 100 are kept');

  const byBytes = new HotFiles({ maxEntries: 10_000, maxTotalBytes: 50_000 });
  for (let i = 0; i < 2_000; i++) await byBytes.remember(f.dir, `/${long}${i}`, f.path, f.st.size, f.st.mtimeMs, headers);
  assert.ok(byBytes.bytes <= 50_000, `${byBytes.bytes} bytes within the 50,000 cap`);
  assert.ok(byBytes.entries > 0 && byBytes.entries < 50);

  const off = new HotFiles({ maxEntries: 0 });
  await off.remember(f.dir, '/a.txt', f.path, f.st.size, f.st.mtimeMs, headers);
  assert.equal(off.entries, 0, 'maxEntries 0 keeps nothing');
});

test('a hit makes an entry the most recently used one', async () => {
  const f = file('x');
  const hot = new HotFiles({ maxEntries: 2 });
  const headers = { etag: 'e', 'last-modified': 'x' };
  await hot.remember(f.dir, '/1', f.path, f.st.size, f.st.mtimeMs, headers);
  await hot.remember(f.dir, '/2', f.path, f.st.size, f.st.mtimeMs, headers);
  assert.ok(hot.lookup(f.dir, '/1'));
  await hot.remember(f.dir, '/3', f.path, f.st.size, f.st.mtimeMs, headers);
  assert.ok(hot.lookup(f.dir, '/1'), 'used last: kept');
  assert.equal(hot.lookup(f.dir, '/2'), undefined, 'least recently used: dropped');
  assert.equal(hot.entries, 2);
});

test('only the canonical spelling of a path is kept: other spellings of the same file cannot fill the cache', async () => {
  for (const p of ['/', '/a.css', '/sub/', '/sub/index.html', '/a%20b.txt', '/caf%C3%A9.txt', "/f(1)~!$&'*+,;=:@.txt"]) assert.ok(isCanonicalPath(p), p);
  for (const p of ['', 'a.css', '//a.css', '/./a.css', '/x/../a.css', '/sub/.', '/sub/..', '/%61.css', '/caf%c3%a9.txt', '/a%2fb', '/a%2Fb', '/\\a', '/caf\u00e9.txt', '/%', '/%E0%A4%A']) assert.ok(!isCanonicalPath(p), p);
  const f = file('x');
  const hot = new HotFiles();
  for (const p of ['//a.txt', '/./a.txt', '/d/../a.txt', '/%61.txt']) await hot.remember(f.dir, p, f.path, f.st.size, f.st.mtimeMs, { etag: 'e', 'last-modified': 'x' });
  assert.equal(hot.entries, 0);
});
