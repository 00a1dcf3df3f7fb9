import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { curlAsync, dataDir, eventually, freePorts, ghFail, ghJson, join, selfSignedCert, startServe, tmpDir, writeText } from '../support/cli.js';

const execFileAsync = promisify(execFile);

test('hot static files from memory behave like files from disk, and changes show within a second or so', async () => {
  const [port] = await freePorts(1);
  const data = dataDir();
  const root = tmpDir('gh-www-');
  mkdirSync(root, { recursive: true });
  writeText(join(root, 'page.css'), 'body{color:red}');
  const thumb = selfSignedCert(data, 's.test', 's');
  ghJson(data, ['site', 'add', 'S', '--root', root]);
  ghJson(data, ['binding', 'add', 'S', '--protocol', 'https', '--port', String(port), '--cert', thumb]);
  const serve = await startServe(data, [`https *:${port}`]);
  const url = `https://127.0.0.1:${port}/page.css`;
  try {
    // Enough requests that every worker serves the file from disk and then from memory.
    const runs = [];
    for (let i = 0; i < 8; i++) runs.push(await curlAsync(['-k', url]));
    for (const r of runs) {
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], 'text/css; charset=utf-8');
      assert.equal(r.headers.etag, runs[0]!.headers.etag, 'the same ETag from disk and from memory');
      assert.equal(r.headers['last-modified'], runs[0]!.headers['last-modified']);
      assert.equal(r.body, 'body{color:red}');
    }
    const etag = runs[0]!.headers.etag!;
    const notModified = await curlAsync(['-k', '-H', `If-None-Match: ${etag}`, url]);
    assert.equal(notModified.status, 304);
    assert.equal(notModified.body, '');
    const head = await curlAsync(['-k', '-I', url]);
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '15');
    const range = await curlAsync(['-k', '-H', 'Range: bytes=0-3', url]);
    assert.equal(range.status, 206);
    assert.equal(range.body, 'body');

    writeText(join(root, 'page.css'), 'body{color:blue}');
    await eventually('the changed file is served', async () => (await curlAsync(['-k', url])).body === 'body{color:blue}', 10_000, 200);
    const fresh = await curlAsync(['-k', url]);
    assert.notEqual(fresh.headers.etag, etag, 'a new ETag for new content');
    const stale = await curlAsync(['-k', '-H', `If-None-Match: ${etag}`, url]);
    assert.equal(stale.status, 200, 'the old ETag no longer matches');
  } finally {
    await serve.stop();
  }
});

test('10,000 distinct URLs with a small static cache: every answer right, changes still shown, the flags checked', async () => {
  const [port] = await freePorts(1);
  const data = dataDir();
  const root = tmpDir('gh-www-');
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeText(join(root, 'a.css'), 'a{}');
  writeText(join(root, 'sub', 'index.html'), 'sub');
  const thumb = selfSignedCert(data, 's.test', 's');
  ghJson(data, ['site', 'add', 'S', '--root', root]);
  ghJson(data, ['binding', 'add', 'S', '--protocol', 'https', '--port', String(port), '--cert', thumb]);
  for (const [flag, value] of [['--static-cache-entries', '-1'], ['--static-cache-entries', 'many'], ['--static-cache-mb', '0']] as const) {
    const r = ghFail(data, ['serve', '--once', flag, value], 'GH_USAGE', 2);
    assert.match(r.stderr, new RegExp(flag));
  }
  const serve = await startServe(data, [`https *:${port}`], ['--workers', '1', '--static-cache-entries', '5', '--static-cache-mb', '1']);
  try {
    // One curl, one HTTP/1.1 connection, 10,000 URLs: query strings, other spellings of the same files, missing files.
    const base = `https://127.0.0.1:${port}`;
    const urls: [string, number][] = [];
    for (let i = 0; i < 2500; i++) urls.push([`/a.css?v=${i}`, 200], [`/d${i}/../a.css`, 200], [`/sub/./x${i}/../`, 200], [`/missing-${i}.css`, 404]);
    const config = urls.map(([u]) => `url = "${base}${u}"\noutput = "/dev/null"\n`).join('');
    const configFile = writeText(join(tmpDir('gh-urls-'), 'curl.conf'), config);
    const { stdout } = await execFileAsync('curl', ['-sS', '-k', '--http1.1', '--path-as-is', '-w', '%{http_code}\\n', '-K', configFile], { maxBuffer: 1 << 20 });
    const codes = stdout.trim().split('\n').map(Number);
    assert.deepEqual(codes, urls.map(([, code]) => code));
    assert.equal((await curlAsync(['-k', `${base}/a.css`])).body, 'a{}');
    writeText(join(root, 'a.css'), 'a{color:red}');
    await eventually('the changed file is served', async () => (await curlAsync(['-k', `${base}/a.css`])).body === 'a{color:red}', 10_000, 200);
  } finally {
    await serve.stop();
  }
});
