// A WebSocket relayed to a proxy site's upstream holds two sockets in the serving process: the
// client's and the upstream's (http-proxy-3 pipes them both ways; Gatehouse's timeouts stop at the upgrade). When either side goes away — the client closing its TCP connection,
// the client resetting it (RST), or the upstream dropping its end — the other socket is closed too,
// and the serving process's descriptors come back to where they were.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { dataDir, eventually, freePorts, ghJson, selfSignedCert, startServe } from '../support/cli.js';

const PER_KIND = 10;

/** Open descriptors of a process. */
function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

test('a relayed WebSocket releases both sockets when either end goes away', { timeout: 120_000 }, async (t) => {
  const [https, http, up] = await freePorts(3);
  const server = createServer();
  const wss = new WebSocketServer({ server });
  const upstream = new Set<WebSocket>();
  wss.on('connection', (ws) => {
    upstream.add(ws);
    ws.on('message', (m) => ws.send(`echo:${m.toString()}`));
    ws.on('error', () => undefined);
    ws.once('close', () => upstream.delete(ws));
  });
  await new Promise<void>((resolve) => server.listen(up, '127.0.0.1', () => resolve()));
  t.after(() => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    server.close();
  });

  const data = dataDir();
  const thumb = selfSignedCert(data, 'ws.test', 'ws');
  ghJson(data, ['site', 'add', 'Sockets', '--proxy', `http://127.0.0.1:${up}`]);
  ghJson(data, ['binding', 'add', 'Sockets', '--protocol', 'https', '--port', String(https), '--cert', thumb]);
  ghJson(data, ['binding', 'add', 'Sockets', '--protocol', 'http', '--port', String(http)]);
  const serve = await startServe(data, [`https *:${https}`, `http *:${http}`], ['--workers', '1']);
  t.after(() => serve.stop());
  const pid = serve.child.pid!;

  /** A relay over https (wss), or over the http listener (ws: its client socket is plain TCP, which can be reset). */
  const open = async (plain = false): Promise<WebSocket> => {
    const port = plain ? http : https;
    const ws = new WebSocket(`${plain ? 'ws' : 'wss'}://127.0.0.1:${port}/socket`, [], { rejectUnauthorized: false, headers: { host: `ws.test:${port}` } });
    ws.on('error', () => undefined);
    await once(ws, 'open');
    ws.send('ping');
    const [reply] = await once(ws, 'message');
    assert.equal(String(reply), 'echo:ping');
    return ws;
  };
  // One relay opened and closed first, so what the first connection creates for good is in the baseline.
  const warm = await open();
  warm.close();
  await once(warm, 'close');
  await eventually('the warm-up relay closed upstream', () => upstream.size === 0);
  const before = openFds(pid);

  // The client closes its TCP connection (no WebSocket close frame), or resets it.
  const closing = await Promise.all(Array.from({ length: PER_KIND }, () => open()));
  const resetting = await Promise.all(Array.from({ length: PER_KIND }, () => open(true)));
  assert.equal(upstream.size, 2 * PER_KIND);
  assert.ok(openFds(pid) >= before + 2 * PER_KIND, 'each relay holds descriptors while open');
  for (const ws of closing) ws.terminate();
  await eventually(`the upstream sockets closed after ${PER_KIND} clients closed theirs (${upstream.size} still open)`, () => upstream.size === PER_KIND);
  for (const ws of resetting) (ws as unknown as { _socket: { resetAndDestroy: () => void } })._socket.resetAndDestroy();
  await eventually(`the upstream sockets closed after ${PER_KIND} clients reset theirs (${upstream.size} still open)`, () => upstream.size === 0);

  // The upstream drops its end: each client's connection is closed by Gatehouse.
  const dropped = await Promise.all(Array.from({ length: PER_KIND }, (_, i) => open(i % 2 === 1)));
  const closed = dropped.map((ws) => once(ws, 'close'));
  for (const ws of upstream) ws.terminate();
  await Promise.all(closed);

  await eventually(`the serve process's descriptors back to ${before}`, () => openFds(pid) <= before, 15_000, 200).catch((e) => {
    throw new Error(`${(e as Error).message}; it holds ${openFds(pid)}`);
  });
  // And it still relays.
  const after = await open();
  after.close();
  assert.ok(!serve.exited, serve.log());
});
