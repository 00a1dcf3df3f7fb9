import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdirSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { curlAsync, dataDir, eventually, freePorts, ghJson, join, selfSignedCert, ServeProcess, tmpDir, writeText } from '../support/cli.js';

/**
 * Rapid reset (CVE-2023-44487 style): an HTTP/2 client opens streams and cancels each at once,
 * thousands of times. Whatever the server opened for a stream — a file on a static site, an upstream
 * request on a proxy site — must be released when the stream is reset, and everyone else is served.
 */

const ATTACK_STREAMS = 5000;

/** Open descriptors of a process. */
function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/**
 * Opens `total` streams (GET `path` on `host`) in batches and resets each right after its HEADERS
 * left; reconnects when the server closes the session (as a determined attacker would) and stops by
 * itself after `total` streams. Returns how many sessions the server closed.
 */
async function rapidReset(port: number, host: string, path: string, total = ATTACK_STREAMS): Promise<{ streams: number; sessions: number }> {
  let streams = 0;
  let sessions = 0;
  while (streams < total) {
    const session: ClientHttp2Session = connect(`https://127.0.0.1:${port}`, { servername: host, rejectUnauthorized: false });
    session.on('error', () => undefined);
    try {
      await Promise.race([once(session, 'connect'), once(session, 'close').then(() => { throw new Error('closed before connect'); })]);
    } catch {
      sessions++;
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    sessions++;
    while (streams < total && !session.closed && !session.destroyed) {
      const batch = [];
      for (let i = 0; i < 50 && streams < total; i++, streams++) {
        try {
          const s = session.request({ ':path': path, ':authority': `${host}:${port}` });
          s.on('error', () => undefined);
          s.resume();
          batch.push(s);
        } catch {
          break;
        }
      }
      // Let the HEADERS frames go out, then cancel them all: GET + RST_STREAM.
      await new Promise((r) => setImmediate(r));
      for (const s of batch) s.close(constants.NGHTTP2_CANCEL);
      await new Promise((r) => setTimeout(r, 2));
    }
    session.destroy();
  }
  return { streams, sessions };
}

/** An upstream that answers every request after `delayMs`, and counts its open connections. */
async function slowUpstream(port: number, delayMs: number): Promise<Server> {
  const server = createServer((req, res) => {
    const timer = setTimeout(() => res.end(`slow answer for ${req.url}\n`), delayMs);
    res.on('close', () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return server;
}

function connections(server: Server): Promise<number> {
  return new Promise((resolve, reject) => server.getConnections((e, n) => (e ? reject(e) : resolve(n))));
}

test('HTTP/2 rapid reset on a static and a proxy site: descriptors and upstream sockets come back, other clients are served', { timeout: 180_000 }, async () => {
  const [https, up] = await freePorts(2);
  const data = dataDir();
  const root = tmpDir('gh-www-');
  mkdirSync(root, { recursive: true });
  writeText(join(root, 'index.html'), `<!DOCTYPE html><h1>static</h1>${'<p>filler</p>'.repeat(200)}\n`);
  const thumb = selfSignedCert(data, 's.test', 'reset', ['--san', 'p.test']);
  ghJson(data, ['site', 'add', 'Static', '--root', root]);
  ghJson(data, ['site', 'add', 'Proxied', '--proxy', `http://127.0.0.1:${up}`]);
  ghJson(data, ['binding', 'add', 'Static', '--protocol', 'https', '--port', String(https), '--host', 's.test', '--sni', '--cert', thumb]);
  ghJson(data, ['binding', 'add', 'Proxied', '--protocol', 'https', '--port', String(https), '--host', 'p.test', '--sni', '--cert', thumb]);
  const upstream = await slowUpstream(up!, 1500);
  // One serving process: the serve process is the worker whose descriptors are counted.
  const serve = new ServeProcess(data, ['--workers', '1']);
  try {
    await serve.waitFor(new RegExp(`listening on https \\*:${https}(\\s|$)`, 'm'), `"listening on https *:${https}"`);
    const pid = serve.child.pid!;
    const staticUrl = ['-k', '--resolve', `s.test:${https}:127.0.0.1`, `https://s.test:${https}/`];
    const proxyUrl = ['-k', '--resolve', `p.test:${https}:127.0.0.1`, `https://p.test:${https}/well-behaved`];
    assert.equal((await curlAsync(staticUrl)).status, 200);
    assert.equal((await curlAsync(proxyUrl)).status, 200);
    // The limit on streams open at once is announced in the server's SETTINGS.
    const probe = connect(`https://127.0.0.1:${https}`, { servername: 's.test', rejectUnauthorized: false });
    probe.on('error', () => undefined);
    await once(probe, 'remoteSettings');
    assert.equal(probe.remoteSettings.maxConcurrentStreams, 128);
    probe.destroy();
    const before = openFds(pid);

    // Static site: a reset stream must not leave a file open — nor make the server open one at
    // all while the attack lasts (opens in flight once held ~20,000 descriptors at full speed).
    let peak = before;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, openFds(pid));
      } catch {
        // the process is gone: the assertions below say so
      }
    }, 10);
    const attack = rapidReset(https!, 's.test', '/');
    const during = await curlAsync([...staticUrl]);
    const staticRun = await attack;
    clearInterval(sampler);
    // Sockets of the attacker's and the curl's connections count too: a few, never one per stream.
    assert.ok(peak <= before + 40, `the serve process held ${peak} descriptors during the attack (${before} before)`);
    assert.equal(staticRun.streams, ATTACK_STREAMS);
    // The reset-rate limit (1000, then 33 a second) ends the attacker's session: it had to reconnect.
    assert.ok(staticRun.sessions > 1, `the server never closed the attacking session (${staticRun.sessions} session)`);
    await serve.waitFor(/closed an HTTP\/2 connection from (::ffff:)?127\.0\.0\.1: .*too many stream resets/, 'the closed HTTP/2 connection');
    assert.equal(during.status, 200, `a well-behaved client during the attack: ${during.stderr}`);
    await eventually(`the serve process's descriptors back near ${before} after ${ATTACK_STREAMS} reset streams on a static site`,
      () => openFds(pid) <= before + 20, 15_000, 250).catch((e) => {
      throw new Error(`${(e as Error).message}; it holds ${openFds(pid)}`);
    });
    assert.equal((await curlAsync(staticUrl)).status, 200, 'a well-behaved client after the attack');

    // Proxy site: the upstream request of a reset stream is given up, its socket freed.
    const proxyAttack = rapidReset(https!, 'p.test', '/attack');
    const proxyDuring = await curlAsync(proxyUrl);
    await proxyAttack;
    assert.equal(proxyDuring.status, 200, `a well-behaved client of the proxy site during the attack: ${proxyDuring.stderr}`);
    const after = await curlAsync(proxyUrl);
    assert.equal(after.status, 200, `a well-behaved client of the proxy site after the attack: ${after.stderr}`);
    assert.match(after.body, /slow answer for \/well-behaved/);
    await eventually(`the serve process's descriptors back near ${before} after ${ATTACK_STREAMS} reset streams on a proxy site`,
      () => openFds(pid) <= before + 20, 15_000, 250).catch((e) => {
      throw new Error(`${(e as Error).message}; it holds ${openFds(pid)}`);
    });
    assert.ok(!serve.exited, serve.log());
    // Upstream connections are kept alive for reuse, but no more than one request's worth are still busy.
    assert.ok(await connections(upstream) <= 256, `upstream connections: ${await connections(upstream)}`);
  } finally {
    await serve.stop();
    upstream.closeAllConnections();
    upstream.close();
  }
});
