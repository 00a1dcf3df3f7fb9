// A proxy site's upstream that does not accept a connection, or accepts and never answers, gets the
// client a 504 after --upstream-connect-timeout / --upstream-timeout (2 s here; before, 60 s for the
// answer and the kernel's SYN retries, about two minutes, for the connection), and the upstream socket
// Gatehouse opened is closed, not left waiting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { curlAsync, dataDir, eventually, freePorts, ghJson, selfSignedCert, startServe } from '../support/cli.js';

/**
 * A port that never accepts: a process listening with a backlog of 1 whose event loop is blocked, so
 * it accepts nothing; the test fills its queue with two connections, and from then on the kernel drops
 * every SYN to it (Linux, loopback): a connect to it hangs.
 */
async function blackHole(): Promise<{ port: number; end: () => void }> {
  const code = "require('net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, function () { console.log(this.address().port); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); })";
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = Number(String((await once(child.stdout!, 'data'))[0]).trim());
  const fillers: Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const s = netConnect(port, '127.0.0.1');
    s.on('error', () => undefined);
    await once(s, 'connect');
    fillers.push(s);
  }
  // The queue is full: a third connection must hang (else this machine cannot make the test's black hole).
  const probe = netConnect(port, '127.0.0.1');
  probe.on('error', () => undefined);
  const outcome = await new Promise<string>((resolve) => {
    probe.once('connect', () => resolve('accepted'));
    setTimeout(() => resolve('hangs'), 1000);
  });
  probe.destroy();
  assert.equal(outcome, 'hangs', 'a connection to a full accept queue hangs on loopback');
  return {
    port,
    end: () => {
      for (const s of fillers) s.destroy();
      child.kill('SIGKILL');
    },
  };
}

/** Sockets of this network namespace connecting (SYN_SENT) to 127.0.0.1:`port`. */
function connectingTo(port: number): number {
  const remote = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)
    .filter((line) => {
      const f = line.trim().split(/\s+/);
      return f[2] === remote && f[3] === '02';
    }).length;
}

test('an upstream that does not accept, or does not answer, gets the client a 504 and its socket closed', { timeout: 120_000 }, async (t) => {
  const [https, hungPort] = await freePorts(2);
  const hole = await blackHole();
  t.after(() => hole.end());
  // Accepts, reads the request and never answers.
  const open = new Set<Socket>();
  const hung: Server = createServer(() => undefined);
  hung.on('connection', (s: Socket) => {
    open.add(s);
    s.once('close', () => open.delete(s));
  });
  await new Promise<void>((resolve) => hung.listen(hungPort, '127.0.0.1', () => resolve()));
  t.after(() => {
    hung.closeAllConnections();
    hung.close();
  });

  const data = dataDir();
  const thumb = selfSignedCert(data, 'hung.test', 'upstreams', ['--san', 'hole.test']);
  ghJson(data, ['site', 'add', 'Hung', '--proxy', `http://127.0.0.1:${hungPort}`]);
  ghJson(data, ['site', 'add', 'Hole', '--proxy', `http://127.0.0.1:${hole.port}`]);
  ghJson(data, ['binding', 'add', 'Hung', '--protocol', 'https', '--port', String(https), '--host', 'hung.test', '--sni', '--cert', thumb]);
  ghJson(data, ['binding', 'add', 'Hole', '--protocol', 'https', '--port', String(https), '--host', 'hole.test', '--sni', '--cert', thumb]);
  const serve = await startServe(data, [`https *:${https}`], ['--workers', '1', '--upstream-connect-timeout', '2', '--upstream-timeout', '2']);
  t.after(() => serve.stop());
  const get = (host: string, version: string) => curlAsync([version, '-k', '--max-time', '20', '--resolve', `${host}:${https}:127.0.0.1`, `https://${host}:${https}/page`]);

  for (const version of ['--http1.1', '--http2']) {
    const r = await get('hung.test', version);
    assert.equal(r.status, 504, `an upstream that never answers (${version}): ${r.stderr}\n${serve.log()}`);
    assert.match(r.body, /Gateway Timeout/);
    await eventually('the upstream connection that never answered closed by Gatehouse', () => open.size === 0);

    const h = await get('hole.test', version);
    assert.equal(h.status, 504, `an upstream that never accepts (${version}): ${h.stderr}\n${serve.log()}`);
    await eventually('no connection attempt to the black hole left', () => connectingTo(hole.port) === 0);
  }
  // A WebSocket upgrade to either: the client's connection is closed, not left waiting for a 101.
  for (const host of ['hung.test', 'hole.test']) {
    const ws = tlsConnect({ host: '127.0.0.1', port: https!, servername: host, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    ws.on('error', () => undefined);
    await once(ws, 'secureConnect');
    ws.write(`GET /socket HTTP/1.1\r\nHost: ${host}:${https}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    ws.resume();
    const outcome = await new Promise<string>((resolve) => {
      ws.once('close', () => resolve('closed'));
      setTimeout(() => resolve('still open after 20 s'), 20_000).unref();
    });
    ws.destroy();
    assert.equal(outcome, 'closed', `a WebSocket upgrade to ${host}`);
  }
  await eventually('the upstream connection that never answered the upgrade closed by Gatehouse', () => open.size === 0);
  await eventually('no connection attempt to the black hole left', () => connectingTo(hole.port) === 0);
  await serve.waitFor(/upstream for hung\.test:\d+\/page failed: it did not start its answer within 2 s of the request \(--upstream-timeout\)/, 'the response timeout logged');
  await serve.waitFor(/upstream for hole\.test:\d+\/page failed: it did not accept a connection within 2 s \(--upstream-connect-timeout\)/, 'the connect timeout logged');
  assert.ok(!serve.exited, serve.log());
});
