// Changes made by other processes while `gatehouse serve` runs: new listeners, certificate swaps
// for new handshakes while open connections carry on, site stop/start, removed listeners, a swap
// loop under a stream of new connections, and a port that is already taken.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:https';
import { connect, type TLSSocket } from 'node:tls';
import { createServer, connect as netConnect, type Server } from 'node:net';
import {
  curl, dataDir, eventually, freePorts, ghAsync, ghJson, describeRun, join, sClient, selfSignedCert, startServe, tmpDir, writeText, type ServeProcess,
} from '../support/cli.js';

const [PA, PB, PC, PL, P_BUSY, P_OK, P_LATER, P_STOP] = (await freePorts(8)) as [number, number, number, number, number, number, number, number];

function webRoot(text: string): string {
  const dir = tmpDir('gh-www-');
  writeText(join(dir, 'index.html'), `<h1>${text}</h1>\n`);
  return dir;
}

/** SHA-1 of the peer certificate as gatehouse writes thumbprints. */
function thumbprintOf(socket: TLSSocket): string {
  return socket.getPeerCertificate().fingerprint.replace(/:/g, '').toUpperCase();
}

/** Whether a TCP connection to 127.0.0.1:port is refused (nothing listens there). */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

/** Ends serve whatever state it is in (SIGTERM, then SIGKILL); the clean SIGTERM stop has its own test. */
async function stopServe(server: ServeProcess | undefined): Promise<void> {
  if (server) await server.stop();
}

test('binding add listens, binding edit swaps the certificate for new handshakes while an open connection carries on, binding remove stops the listener', async () => {
  const data = dataDir();
  const c1 = selfSignedCert(data, 'live.test', 'live-1');
  const c2 = selfSignedCert(data, 'live.test', 'live-2');
  ghJson(data, ['site', 'add', 'live', '--root', webRoot('Live home')]);
  ghJson(data, ['binding', 'add', 'live', '--protocol', 'https', '--port', String(PA), '--cert', 'live-1']);
  let server: ServeProcess | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    server = await startServe(data, [`https *:${PA}`]);

    // A new binding on a new port: the server starts listening there.
    assert.ok(await refused(PB), `something already listens on ${PB}`);
    ghJson(data, ['binding', 'add', 'live', '--protocol', 'https', '--port', String(PB), '--cert', 'live-1']);
    await eventually(`a handshake on the new port ${PB} gets live-1\n${server.log()}`, () => sClient(PB, 'live.test').thumbprint === c1);
    const page = curl(['-k', '--resolve', `live.test:${PB}:127.0.0.1`, `https://live.test:${PB}/`]);
    assert.equal(page.status, 200);
    assert.match(page.body, /Live home/);

    // An HTTP/1.1 keep-alive connection, kept busy so that no idle timeout closes it.
    const get = () =>
      new Promise<{ status: number; body: string; reused: boolean; socket: TLSSocket; thumbprint: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: PA, servername: 'live.test', path: '/', agent, rejectUnauthorized: false }, (res) => {
          const socket = res.socket as TLSSocket;
          const thumbprint = thumbprintOf(socket);
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, reused: req.reusedSocket, socket, thumbprint }));
        });
        req.on('error', reject);
        req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
        req.end();
      });
    const first = await get();
    assert.equal(first.status, 200);
    assert.equal(first.thumbprint, c1);
    const kept = first.socket;

    const edit = ghAsync(data, ['binding', 'edit', 'live', '--protocol', 'https', '--port', String(PA), '--cert', 'live-2']);
    let seenNew = false;
    const deadline = Date.now() + 15_000;
    while (!seenNew) {
      const r = await get();
      assert.equal(r.status, 200);
      assert.equal(r.reused, true, 'the keep-alive connection was closed by the change');
      assert.equal(r.socket, kept, 'a new connection was opened');
      assert.equal(r.thumbprint, c1, 'an open connection keeps the certificate of its handshake');
      assert.match(r.body, /Live home/);
      if ((await edit).code !== 0) assert.fail(`binding edit failed:\n${describeRun(await edit)}`);
      seenNew = sClient(PA, 'live.test').thumbprint === c2;
      if (!seenNew) {
        assert.ok(Date.now() < deadline, `new handshakes did not get live-2 within 15 s:\n${server.log()}`);
        await new Promise((r2) => setTimeout(r2, 200));
      }
    }
    // After the swap the old connection still answers, on its old handshake.
    const after = await get();
    assert.equal(after.status, 200);
    assert.equal(after.socket, kept);
    assert.equal(after.thumbprint, c1);
    const fresh = curl(['-k', '--resolve', `live.test:${PA}:127.0.0.1`, `https://live.test:${PA}/`]);
    assert.equal(fresh.status, 200);

    // Removing the binding stops the listener; the other port keeps serving.
    ghJson(data, ['binding', 'remove', 'live', '--protocol', 'https', '--port', String(PB)]);
    await eventually(`port ${PB} stops accepting after binding remove\n${server.log()}`, () => refused(PB));
    assert.match(server.out, new RegExp(`stopped listening on https \\*:${PB}`));
    await server.settle();
    assert.equal(sClient(PA, 'live.test').thumbprint, c2);
  } finally {
    agent.destroy();
    await stopServe(server);
  }
});

test('site stop: its SNI binding is no longer selected and its content no longer served; start restores both', async () => {
  const data = dataDir();
  const cA = selfSignedCert(data, 'www.a.test', 'A-cert');
  const cB = selfSignedCert(data, 'b.test', 'B-cert');
  ghJson(data, ['site', 'add', 'A', '--root', webRoot('A home')]);
  ghJson(data, ['site', 'add', 'B', '--root', webRoot('B home')]);
  ghJson(data, ['binding', 'add', 'A', '--protocol', 'https', '--port', String(PC), '--cert', 'A-cert']);
  ghJson(data, ['binding', 'add', 'B', '--protocol', 'https', '--port', String(PC), '--host', 'b.test', '--sni', '--cert', 'B-cert']);
  let server: ServeProcess | undefined;
  const pageOfB = () => curl(['-k', '--resolve', `b.test:${PC}:127.0.0.1`, `https://b.test:${PC}/`]);
  try {
    server = await startServe(data, [`https *:${PC}`]);
    assert.equal(sClient(PC, 'b.test').thumbprint, cB);
    assert.match(pageOfB().body, /B home/);

    ghJson(data, ['site', 'stop', 'B']);
    await server.settle();
    await eventually(`b.test no longer gets B's certificate after site stop\n${server.log()}`, () => sClient(PC, 'b.test').thumbprint === cA);
    const stopped = pageOfB();
    assert.doesNotMatch(stopped.body, /B home/, 'a stopped site still served its content');
    assert.match(stopped.body, /A home/, 'b.test now falls to the endpoint catch-all');
    assert.equal(sClient(PC, null).thumbprint, cA, 'the rest of the endpoint is undisturbed');

    ghJson(data, ['site', 'start', 'B']);
    await server.settle();
    await eventually(`b.test gets B's certificate again after site start\n${server.log()}`, () => sClient(PC, 'b.test').thumbprint === cB);
    assert.match(pageOfB().body, /B home/);
  } finally {
    await stopServe(server);
  }
});

test('hot change under load: 50 certificate swaps while new TLS connections keep coming, none fails', async (t) => {
  const data = dataDir();
  const l1 = selfSignedCert(data, 'load.test', 'load-1');
  const l2 = selfSignedCert(data, 'load.test', 'load-2');
  ghJson(data, ['site', 'add', 'load', '--root', webRoot('Load home')]);
  ghJson(data, ['binding', 'add', 'load', '--protocol', 'https', '--port', String(PL), '--cert', 'load-1']);
  let server: ServeProcess | undefined;
  try {
    server = await startServe(data, [`https *:${PL}`]);

    let running = true;
    const seen = new Map<string, number>();
    const failures: string[] = [];
    let connections = 0;
    const one = () =>
      new Promise<void>((resolve) => {
        let done = false;
        const finish = (error?: string) => {
          if (done) return;
          done = true;
          if (error) failures.push(error);
          resolve();
        };
        const socket = connect({ host: '127.0.0.1', port: PL, servername: 'load.test', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
          const t = thumbprintOf(socket);
          seen.set(t, (seen.get(t) ?? 0) + 1);
          if (t !== l1 && t !== l2) finish(`connection ${connections}: unexpected certificate ${t}`);
          socket.write('GET / HTTP/1.1\r\nHost: load.test\r\nConnection: close\r\n\r\n');
        });
        const chunks: Buffer[] = [];
        socket.on('data', (d: Buffer) => chunks.push(d));
        socket.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (!/^HTTP\/1\.1 200 /.test(text) || !text.includes('Load home')) finish(`connection ${connections}: bad response ${JSON.stringify(text.slice(0, 200))}`);
          finish();
        });
        socket.on('error', (e) => finish(`connection ${connections}: ${e.message}`));
        socket.setTimeout(10_000, () => {
          socket.destroy();
          finish(`connection ${connections}: timed out`);
        });
      });
    const loop = async () => {
      while (running) {
        connections++;
        await one();
      }
    };
    const loops = [loop(), loop()];

    const swapErrors: string[] = [];
    for (let i = 1; i <= 50; i++) {
      const r = await ghAsync(data, ['binding', 'edit', 'load', '--protocol', 'https', '--port', String(PL), '--cert', i % 2 === 1 ? 'load-2' : 'load-1']);
      if (r.code !== 0) swapErrors.push(describeRun(r));
    }
    running = false;
    await Promise.all(loops);

    assert.deepEqual(swapErrors, [], 'binding edit failed');
    assert.ok(connections > 0);
    t.diagnostic(`${connections} connections during 50 swaps: ${[...seen].map(([k, n]) => `${k.slice(0, 8)}×${n}`).join(', ')}`);
    assert.deepEqual(failures, [], `${failures.length} of ${connections} connections failed:\n${failures.slice(0, 20).join('\n')}\n${server.log().slice(-3000)}`);
    assert.deepEqual([...seen.keys()].filter((t) => t !== l1 && t !== l2), []);
    assert.ok(seen.has(l1) && seen.has(l2), `both certificates should have been served across 50 swaps: ${JSON.stringify([...seen])}`);
    // The last swap (the 50th) put load-1 back: new handshakes get it.
    await server.settle();
    await eventually(`new handshakes get load-1 after the last swap\n${server.log()}`, () => sClient(PL, 'load.test').thumbprint === l1);
    assert.equal(server.exited, false, 'serve died under the swaps');
  } finally {
    await stopServe(server);
  }
});

test('a port already in use: serve logs "cannot listen", serves the other bindings, and listens there after a later change', async () => {
  const data = dataDir();
  const c = selfSignedCert(data, 'busy.test', 'busy');
  ghJson(data, ['site', 'add', 'busy', '--root', webRoot('Busy home')]);
  ghJson(data, ['binding', 'add', 'busy', '--protocol', 'https', '--port', String(P_BUSY), '--cert', 'busy']);
  ghJson(data, ['binding', 'add', 'busy', '--protocol', 'https', '--port', String(P_OK), '--cert', 'busy']);
  const occupier: Server = createServer((s) => s.destroy());
  await new Promise<void>((resolve, reject) => {
    occupier.once('error', reject);
    occupier.listen({ port: P_BUSY, host: '::', ipv6Only: false }, () => resolve());
  });
  let occupied = true;
  let server: ServeProcess | undefined;
  try {
    server = await startServe(data, [`https *:${P_OK}`]);
    await server.waitFor(new RegExp(`cannot listen on https \\*:${P_BUSY}`), `"cannot listen on https *:${P_BUSY}"`);
    const ok = curl(['-k', '--resolve', `busy.test:${P_OK}:127.0.0.1`, `https://busy.test:${P_OK}/`]);
    assert.equal(ok.status, 200, `the other binding does not serve:\n${server.log()}`);
    assert.match(ok.body, /Busy home/);
    assert.equal(sClient(P_OK, 'busy.test').thumbprint, c);
    assert.equal(server.exited, false);

    // Free the port; the next change retries it.
    await new Promise<void>((resolve) => occupier.close(() => resolve()));
    occupied = false;
    ghJson(data, ['binding', 'add', 'busy', '--protocol', 'https', '--port', String(P_LATER), '--cert', 'busy']);
    await server.settle();
    await eventually(`port ${P_BUSY} serves once it is free and a change was applied\n${server.log()}`, () => sClient(P_BUSY, 'busy.test').thumbprint === c, 15_000, 200);
    assert.equal(sClient(P_LATER, 'busy.test').thumbprint, c);
  } finally {
    if (occupied) occupier.close();
    await stopServe(server);
  }
});

test('SIGTERM stops serve: exit code 0, "stopped" logged, the port closed', async () => {
  const data = dataDir();
  selfSignedCert(data, 'stop.test', 'stop');
  ghJson(data, ['site', 'add', 'stop', '--root', webRoot('Stop home')]);
  ghJson(data, ['binding', 'add', 'stop', '--protocol', 'https', '--port', String(P_STOP), '--cert', 'stop']);
  const server = await startServe(data, [`https *:${P_STOP}`]);
  let code: number | null;
  try {
    assert.equal(sClient(P_STOP, 'stop.test').code, 0);
  } finally {
    code = await server.stop();
  }
  assert.equal(code, 0, `serve did not end with exit code 0 within 10 s of SIGTERM (null: it had to be killed):\n${server.log()}`);
  assert.match(server.out, /stopped/);
  assert.ok(await refused(P_STOP), `port ${P_STOP} still accepts after serve stopped`);
});
