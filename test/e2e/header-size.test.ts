// Request header size (--max-header-size, default 16 KiB as Node's own): a request whose header
// fields are larger gets 431 Request Header Fields Too Large over HTTP/1.1 (https and http
// listeners) and over HTTP/2, while other clients are served; the limit is settable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { curlAsync, dataDir, freePorts, ghJson, join, selfSignedCert, startServe, tmpDir, writeText } from '../support/cli.js';

const KiB = 1024;

test('a request with more header than --max-header-size gets 431 over HTTP/1.1 and HTTP/2; others are served', { timeout: 120_000 }, async (t) => {
  const [https, http] = await freePorts(2);
  const data = dataDir();
  const root = tmpDir('gh-www-');
  mkdirSync(root, { recursive: true });
  writeText(join(root, 'index.html'), '<!DOCTYPE html><h1>hello</h1>\n');
  const thumb = selfSignedCert(data, 't.test', 'headers');
  ghJson(data, ['site', 'add', 'Static', '--root', root]);
  ghJson(data, ['binding', 'add', 'Static', '--protocol', 'https', '--port', String(https), '--host', 't.test', '--sni', '--cert', thumb]);
  ghJson(data, ['binding', 'add', 'Static', '--protocol', 'http', '--port', String(http), '--host', 't.test']);
  const get = (kind: string, bytes: number) => {
    const header = ['-H', `X-Big: ${'a'.repeat(bytes)}`];
    return kind === 'http'
      ? curlAsync([...header, '--resolve', `t.test:${http}:127.0.0.1`, `http://t.test:${http}/`])
      : curlAsync([kind, ...header, '-k', '--resolve', `t.test:${https}:127.0.0.1`, `https://t.test:${https}/`]);
  };
  const kinds = ['--http1.1', '--http2', 'http'];

  let serve = await startServe(data, [`https *:${https}`, `http *:${http}`], ['--workers', '1']);
  t.after(() => serve.stop());
  for (const kind of kinds) {
    const big = await get(kind, 20 * KiB);
    assert.equal(big.status, 431, `a 20 KiB header (${kind}): ${big.stderr}\n${serve.log()}`);
    const fine = await get(kind, 10 * KiB);
    assert.equal(fine.status, 200, `a 10 KiB header (${kind}) is served: ${fine.stderr}`);
  }
  assert.ok(!serve.exited, serve.log());
  await serve.stop();

  // Settable: with 32 KiB, the 20 KiB header is served; with 8 KiB, the 10 KiB one is refused.
  serve = await startServe(data, [`https *:${https}`, `http *:${http}`], ['--workers', '1', '--max-header-size', String(32 * KiB)]);
  for (const kind of kinds) assert.equal((await get(kind, 20 * KiB)).status, 200, `a 20 KiB header with --max-header-size 32768 (${kind})`);
  await serve.stop();
  serve = await startServe(data, [`https *:${https}`, `http *:${http}`], ['--workers', '1', '--max-header-size', String(8 * KiB)]);
  for (const kind of kinds) assert.equal((await get(kind, 10 * KiB)).status, 431, `a 10 KiB header with --max-header-size 8192 (${kind})`);
});
