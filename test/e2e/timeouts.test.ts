import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect as h2connect } from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { curlAsync, dataDir, eventually, freePorts, ghFail, ghJson, join, selfSignedCert, startServe, tmpDir, writeText } from '../support/cli.js';

/**
 * Slow and idle clients (issue #10): a slowloris sending its headers a line at a time, a connection
 * that never finishes its handshake, one that never sends a request, a keep-alive connection left
 * idle, an idle HTTP/2 session and a request body that stops are all closed after the timeouts
 * `serve` was given (2 s here; the bound below is generous, and without the timeouts they stay open
 * for minutes), while a well-behaved client is served meanwhile.
 */

const CLOSED_WITHIN_MS = 15_000;

/** Resolves when `socket` is closed (by the server: the test never closes it first). */
function closed(socket: Socket): { done: () => boolean } {
  let done = socket.destroyed;
  socket.once('close', () => {
    done = true;
  });
  socket.on('error', () => undefined);
  return { done: () => done };
}

async function tlsClient(port: number, alpn: string[] = ['http/1.1']): Promise<TLSSocket> {
  const s = tlsConnect({ host: '127.0.0.1', port, servername: 't.test', rejectUnauthorized: false, ALPNProtocols: alpn });
  s.on('error', () => undefined);
  await once(s, 'secureConnect');
  return s;
}

/** An upstream that answers only once it has the whole request body. */
async function bodyReadingUpstream(port: number): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('got it\n'));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return server;
}

function site(): { data: string; thumb: string } {
  const data = dataDir();
  const root = tmpDir('gh-www-');
  mkdirSync(root, { recursive: true });
  writeText(join(root, 'index.html'), '<!DOCTYPE html><h1>hello</h1>\n');
  const thumb = selfSignedCert(data, 't.test', 'timeouts', ['--san', 'p.test']);
  ghJson(data, ['site', 'add', 'Static', '--root', root]);
  return { data, thumb };
}

test('slow and idle web clients are closed after the timeouts; a well-behaved client is served meanwhile', { timeout: 120_000 }, async (t) => {
  const [https, http, up] = await freePorts(3);
  const { data, thumb } = site();
  ghJson(data, ['site', 'add', 'Proxied', '--proxy', `http://127.0.0.1:${up}`]);
  ghJson(data, ['binding', 'add', 'Static', '--protocol', 'https', '--port', String(https), '--host', 't.test', '--sni', '--cert', thumb]);
  ghJson(data, ['binding', 'add', 'Static', '--protocol', 'http', '--port', String(http), '--host', 't.test']);
  ghJson(data, ['binding', 'add', 'Proxied', '--protocol', 'https', '--port', String(https), '--host', 'p.test', '--sni', '--cert', thumb]);
  const upstream = await bodyReadingUpstream(up!);
  t.after(() => {
    upstream.closeAllConnections();
    upstream.close();
  });
  const serve = await startServe(data, [`https *:${https}`, `http *:${http}`], ['--workers', '1',
    '--handshake-timeout', '2', '--header-timeout', '2', '--keepalive-timeout', '2', '--idle-timeout', '2', '--body-timeout', '2']);
  t.after(() => serve.stop());
  const sockets: Socket[] = [];
  t.after(() => {
    for (const s of sockets) s.destroy();
  });
  const clients: Record<string, { done: () => boolean }> = {};

  // A handshake that never starts: TCP connected, no ClientHello.
  const raw = netConnect(https!, '127.0.0.1');
  await once(raw, 'connect');
  sockets.push(raw);
  clients['a TCP connection that never starts its TLS handshake'] = closed(raw);

  // A TLS connection that never sends a request.
  const silent = await tlsClient(https!);
  sockets.push(silent);
  clients['a TLS connection that sends no request'] = closed(silent);

  // Slowloris over TLS and over plain HTTP: a request line, then a header line every half second.
  const slowTls = await tlsClient(https!);
  const slowPlain = netConnect(http!, '127.0.0.1');
  await once(slowPlain, 'connect');
  sockets.push(slowTls, slowPlain);
  clients['a TLS slowloris'] = closed(slowTls);
  clients['a plain-HTTP slowloris'] = closed(slowPlain);
  for (const s of [slowTls, slowPlain]) s.write('GET / HTTP/1.1\r\nHost: t.test\r\n');
  let n = 0;
  const drip = setInterval(() => {
    n++;
    for (const s of [slowTls, slowPlain]) if (!s.destroyed) s.write(`X-Slow-${n}: ${n}\r\n`);
  }, 500);
  t.after(() => clearInterval(drip));

  // A keep-alive connection left idle after its first answer.
  const keepAlive = await tlsClient(https!);
  sockets.push(keepAlive);
  let answer = '';
  keepAlive.on('data', (d: Buffer) => {
    answer += d.toString();
  });
  keepAlive.write('GET / HTTP/1.1\r\nHost: t.test\r\n\r\n');
  await eventually('the keep-alive client got its answer', () => answer.includes('<h1>hello</h1>'));
  clients['an idle HTTP/1.1 keep-alive connection'] = closed(keepAlive);

  // An HTTP/2 session left idle after one request.
  const h2 = h2connect(`https://127.0.0.1:${https}`, { servername: 't.test', rejectUnauthorized: false });
  h2.on('error', () => undefined);
  t.after(() => h2.destroy());
  const stream = h2.request({ ':path': '/', ':authority': `t.test:${https}` });
  stream.resume();
  await once(stream, 'end');
  let h2Closed = false;
  h2.once('close', () => {
    h2Closed = true;
  });
  clients['an idle HTTP/2 session'] = { done: () => h2Closed };

  // A request body that stops: Content-Length 1000, 10 bytes sent (a proxy site: the upstream waits for all of it).
  const stalled = await tlsClient(https!);
  sockets.push(stalled);
  clients['a request body that stops'] = closed(stalled);
  stalled.write('POST /upload HTTP/1.1\r\nHost: p.test\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n0123456789');

  // The same over HTTP/2: the stream is reset, however busy its connection is otherwise.
  const h2Upload = h2connect(`https://127.0.0.1:${https}`, { servername: 'p.test', rejectUnauthorized: false });
  h2Upload.on('error', () => undefined);
  t.after(() => h2Upload.destroy());
  const upload = h2Upload.request({ ':method': 'POST', ':path': '/upload', ':authority': `p.test:${https}`, 'content-length': '1000' }, { endStream: false });
  upload.on('error', () => undefined);
  upload.resume();
  upload.write('0123456789');
  let uploadClosed = false;
  upload.once('close', () => {
    uploadClosed = true;
  });
  clients['an HTTP/2 request body that stops'] = { done: () => uploadClosed };

  // Meanwhile, a well-behaved client is served, over HTTP/1.1 and HTTP/2.
  for (const version of ['--http1.1', '--http2']) {
    const r = await curlAsync([version, '-k', '--resolve', `t.test:${https}:127.0.0.1`, `https://t.test:${https}/`]);
    assert.equal(r.status, 200, `a well-behaved client (${version}) while the slow ones are open: ${r.stderr}`);
  }

  await eventually(`every slow or idle client closed by the server; still open: ${Object.entries(clients).filter(([, c]) => !c.done()).map(([k]) => k).join(', ')}`,
    () => Object.values(clients).every((c) => c.done()), CLOSED_WITHIN_MS, 100).catch(() => {
    throw new Error(`still open after ${CLOSED_WITHIN_MS / 1000} s with 2 s timeouts: ${Object.entries(clients).filter(([, c]) => !c.done()).map(([k]) => k).join(', ')}\n${serve.log()}`);
  });
  const after = await curlAsync(['-k', '--resolve', `t.test:${https}:127.0.0.1`, `https://t.test:${https}/`]);
  assert.equal(after.status, 200, `a well-behaved client afterwards: ${after.stderr}`);
  assert.ok(!serve.exited, serve.log());
});

test('connection caps: the connection over --max-connections-per-address is refused and logged once; others are served', { timeout: 120_000 }, async (t) => {
  const [https] = await freePorts(1);
  const { data, thumb } = site();
  ghJson(data, ['binding', 'add', 'Static', '--protocol', 'https', '--port', String(https), '--host', 't.test', '--sni', '--cert', thumb]);
  const serve = await startServe(data, [`https *:${https}`], ['--workers', '1', '--max-connections-per-address', '3']);
  t.after(() => serve.stop());
  const open: TLSSocket[] = [];
  t.after(() => {
    for (const s of open) s.destroy();
  });
  for (let i = 0; i < 3; i++) open.push(await tlsClient(https!));

  // The 4th and 5th from the same address are closed before their handshake completes.
  await assertRefused(https!, 2, 'from 127.0.0.1 with --max-connections-per-address 3');
  await serve.waitFor(/refused a connection from \S*127\.0\.0\.1: it already has 3 connections open on https \*:\d+ \(--max-connections-per-address 3\)/, 'the refusal logged');
  const lines = serve.out.split('\n').filter((l) => l.includes('refused a connection'));
  assert.equal(lines.length, 1, `one log line for two refusals (rate-limited):\n${lines.join('\n')}`);

  // Another address is served meanwhile; and once one of the three closes, 127.0.0.1 is served again.
  const other = await curlAsync(['-k', '--resolve', `t.test:${https}:[::1]`, `https://t.test:${https}/`]);
  assert.equal(other.status, 200, `a client from ::1: ${other.stderr}`);
  open.shift()!.destroy();
  await eventually('a new connection from 127.0.0.1 once one of its three closed', async () => {
    const r = await curlAsync(['-k', '--resolve', `t.test:${https}:127.0.0.1`, `https://t.test:${https}/`]);
    return r.status === 200;
  }, 10_000, 200);
});

/** Opens `n` more connections and checks each is closed before its handshake completes. */
async function assertRefused(port: number, n: number, what: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    const extra = tlsConnect({ host: '127.0.0.1', port, servername: 't.test', rejectUnauthorized: false });
    extra.on('error', () => undefined);
    // (not events.once: it rejects on the reset's 'error')
    const outcome = await new Promise<string>((resolve) => {
      extra.once('secureConnect', () => resolve('served'));
      extra.once('close', () => resolve('closed'));
    });
    extra.destroy();
    assert.equal(outcome, 'closed', `connection ${i + 1} over the cap ${what}`);
  }
}

test('connection caps: the connection over --max-connections on a listener is refused and logged once; served again once one closes', { timeout: 120_000 }, async (t) => {
  const [https] = await freePorts(1);
  const { data, thumb } = site();
  ghJson(data, ['binding', 'add', 'Static', '--protocol', 'https', '--port', String(https), '--host', 't.test', '--sni', '--cert', thumb]);
  const serve = await startServe(data, [`https *:${https}`], ['--workers', '1', '--max-connections', '3']);
  t.after(() => serve.stop());
  const open: TLSSocket[] = [];
  t.after(() => {
    for (const s of open) s.destroy();
  });
  // Three clients, one of them from another address: the cap counts every address.
  open.push(await tlsClient(https!), await tlsClient(https!));
  const v6 = tlsConnect({ host: '::1', port: https!, servername: 't.test', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
  v6.on('error', () => undefined);
  await once(v6, 'secureConnect');
  open.push(v6);

  await assertRefused(https!, 2, 'on a listener with --max-connections 3');
  await serve.waitFor(/refused a connection from \S*127\.0\.0\.1: https \*:\d+ has 3 connections open \(--max-connections\)/, 'the refusal logged');
  const lines = serve.out.split('\n').filter((l) => l.includes('refused a connection'));
  assert.equal(lines.length, 1, `one log line for two refusals (rate-limited):\n${lines.join('\n')}`);

  // The open ones are still served; once one closes, a new client is.
  open[0]!.write('GET / HTTP/1.1\r\nHost: t.test\r\n\r\n');
  const [answer] = await once(open[0]!, 'data') as [Buffer];
  assert.match(answer.toString(), /^HTTP\/1\.1 200/);
  open.pop()!.destroy();
  await eventually('a new client once one of the three closed', async () => {
    const r = await curlAsync(['-k', '--resolve', `t.test:${https}:127.0.0.1`, `https://t.test:${https}/`]);
    return r.status === 200;
  }, 10_000, 200);
  assert.ok(!serve.exited, serve.log());
});

test('timeouts and caps out of range are usage errors that name the range', () => {
  const data = dataDir();
  for (const [flag, value] of [['--header-timeout', '0'], ['--idle-timeout', '86401'], ['--max-connections-per-address', '-1'], ['--body-timeout', 'soon'], ['--send-timeout', '0'],
    ['--upstream-connect-timeout', '3601'], ['--upstream-timeout', '0'], ['--max-header-size', '1023']] as const) {
    const r = ghFail(data, ['serve', '--once', flag, value], 'GH_USAGE', 2);
    assert.match(r.stderr, new RegExp(`${flag}`), r.stderr);
  }
});
