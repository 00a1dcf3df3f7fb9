// A client that asks for a large file and then reads nothing (slow read) must not hold its connection
// and the file for good: with --send-timeout 2 (nginx's send_timeout), an HTTP/1.1 connection is closed
// and an HTTP/2 stream whose window the client keeps shut is reset, while the same HTTP/2 connection
// and other clients are served. Before, both stayed open as long as the client liked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as h2connect } from 'node:http2';
import { connect as tlsConnect } from 'node:tls';
import { curlAsync, dataDir, eventually, freePorts, ghJson, join, selfSignedCert, startServe, tmpDir } from '../support/cli.js';

const BIG = 32 * 1024 * 1024;

/** Whether the server's end of the connection from client port `clientPort` to `serverPort` is still established. */
function serverSideOpen(serverPort: number, clientPort: number): boolean {
  const hex = (p: number) => p.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].some((file) => readFileSync(file, 'utf8').split('\n').slice(1).some((line) => {
    const f = line.trim().split(/\s+/);
    return f[1]?.endsWith(`:${hex(serverPort)}`) && f[2]?.endsWith(`:${hex(clientPort)}`) && f[3] === '01';
  }));
}

test('a client that stops reading its answer is cut off after --send-timeout; others are served', { timeout: 120_000 }, async (t) => {
  const [https] = await freePorts(1);
  const data = dataDir();
  const root = tmpDir('gh-www-');
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'big.bin'), Buffer.alloc(BIG, 0x61));
  writeFileSync(join(root, 'index.html'), '<!DOCTYPE html><h1>hello</h1>\n');
  const thumb = selfSignedCert(data, 't.test', 'slow-read');
  ghJson(data, ['site', 'add', 'Static', '--root', root]);
  ghJson(data, ['binding', 'add', 'Static', '--protocol', 'https', '--port', String(https), '--host', 't.test', '--sni', '--cert', thumb]);
  const serve = await startServe(data, [`https *:${https}`], ['--workers', '1', '--send-timeout', '2']);
  t.after(() => serve.stop());

  // HTTP/1.1: the request, then nothing read (the kernel's buffers fill, and the server's writes stop).
  const h1 = tlsConnect({ host: '127.0.0.1', port: https!, servername: 't.test', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
  h1.on('error', () => undefined);
  t.after(() => h1.destroy());
  await once(h1, 'secureConnect');
  h1.write('GET /big.bin HTTP/1.1\r\nHost: t.test\r\n\r\n');
  h1.pause();
  let received = 0;
  await eventually('the first bytes of the answer', () => h1.readableLength > 0);

  // HTTP/2: a stream whose data the client does not take, so its flow-control window stays shut.
  const session = h2connect(`https://127.0.0.1:${https}`, { servername: 't.test', rejectUnauthorized: false });
  session.on('error', () => undefined);
  t.after(() => session.destroy());
  const stalled = session.request({ ':path': '/big.bin', ':authority': `t.test:${https}` });
  stalled.on('error', () => undefined);
  const [headers] = await once(stalled, 'response');
  assert.equal(headers[':status'], 200);
  stalled.pause();
  let reset: number | undefined;
  stalled.once('close', () => (reset = stalled.rstCode));

  // Meanwhile another client is served.
  const other = await curlAsync(['-k', '--resolve', `t.test:${https}:127.0.0.1`, `https://t.test:${https}/`]);
  assert.equal(other.status, 200, other.stderr);

  await eventually(`the server closed the HTTP/1.1 connection that stopped reading\n${serve.log()}`, () => !serverSideOpen(https!, h1.localPort!), 20_000, 200);
  await eventually(`the server reset the HTTP/2 stream that stopped reading\n${serve.log()}`, () => reset !== undefined, 20_000, 200);
  assert.equal(reset, 8, 'RST_STREAM CANCEL');

  // What the HTTP/1.1 client had not read yet still arrives, then the end: not the whole file.
  h1.on('data', (d: Buffer) => (received += d.length));
  h1.resume();
  await once(h1, 'close');
  assert.ok(received < BIG, `the HTTP/1.1 answer was cut short (${received} of ${BIG} bytes)`);

  // The HTTP/2 connection itself goes on serving.
  const next = session.request({ ':path': '/', ':authority': `t.test:${https}` });
  const [h] = await once(next, 'response');
  assert.equal(h[':status'], 200);
  next.resume();
  await once(next, 'end');
  assert.ok(!serve.exited, serve.log());
});
