// A PostgreSQL that drops packets (issue #13): `serve` reaches PostgreSQL through a TCP proxy of the
// test's own (node:net), which is made a blackhole — open sockets stay open but nothing is forwarded
// either way, new connections are accepted and never answered. A client keeps asking for a page
// over HTTPS all along and gets every handshake and every 200 within a bounded time (the old code
// blocked its event loop on the first store call — poll, heartbeat — for up to 120 s); a change made
// meanwhile directly on PostgreSQL is served once the proxy forwards again; a CLI command through
// the blackhole ends with a clear GH_STORE_UNAVAILABLE after the connect timeout, no stack trace.
// Always on a cluster of its own, in both suites (as farm-postgres).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { dataDir, describeRun, eventually, freePorts, gh, ghAsync, issueCert, ServeProcess, tmpDir } from '../support/cli.js';
import { PG_PASSWORD, startCluster, type Cluster } from '../support/postgres.js';

/** How long the client waits for one handshake and its 200 (the new code stalls at most a 5 s poll; the old one 120 s). */
const CLIENT_TIMEOUT_MS = 8_000;

/** A TCP proxy to PostgreSQL that can stop forwarding (both ways, open and new connections alike) and start again. */
class Blackhole {
  #dropping = false;
  readonly #pairs = new Set<{ client: Socket; upstream: Socket; up: Buffer[]; down: Buffer[] }>();
  private constructor(readonly server: Server, readonly port: number) {}

  static async start(target: number): Promise<Blackhole> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const hole = new Blackhole(server, (server.address() as { port: number }).port);
    server.on('connection', (client) => hole.#accept(client, target));
    return hole;
  }

  #accept(client: Socket, target: number): void {
    const upstream = connect(target, '127.0.0.1');
    const pair = { client, upstream, up: [] as Buffer[], down: [] as Buffer[] };
    this.#pairs.add(pair);
    client.on('data', (d: Buffer) => (this.#dropping ? pair.up.push(d) : upstream.write(d)));
    upstream.on('data', (d: Buffer) => (this.#dropping ? pair.down.push(d) : client.write(d)));
    const end = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
  }

  /** Stops forwarding: sockets stay open, bytes are held (as a network that drops packets, until it heals). */
  drop(): void {
    this.#dropping = true;
  }

  /** Forwards again, what was held first (TCP's retransmissions after the network heals). */
  restore(): void {
    this.#dropping = false;
    for (const p of this.#pairs) {
      for (const d of p.up.splice(0)) p.upstream.write(d);
      for (const d of p.down.splice(0)) p.client.write(d);
    }
  }

  close(): void {
    for (const p of this.#pairs) {
      p.client.destroy();
      p.upstream.destroy();
    }
    this.server.close();
  }
}

let cluster: Cluster | undefined;
let hole: Blackhole | undefined;

before(async () => {
  cluster = await startCluster();
  hole = await Blackhole.start(cluster.port);
  process.env.GATEHOUSE_TEST_STORE = 'postgres';
});
after(() => {
  hole?.close();
  cluster?.stop();
});

/** Runs `fn` with the test's commands on PostgreSQL directly (`direct`) or through the proxy. */
function through<T>(way: 'direct' | 'proxy', fn: () => T): T {
  process.env.GATEHOUSE_TEST_PG_URL = way === 'direct' ? cluster!.url : `postgres://gatehouse:${PG_PASSWORD}@127.0.0.1:${hole!.port}/postgres`;
  return fn();
}

/** One HTTPS GET of / for `name`: the status and the SHA-1 fingerprint of the certificate presented, or the error. */
function fetchPage(port: number, name: string): Promise<{ status: number; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, servername: name, path: '/', headers: { host: name }, rejectUnauthorized: false, agent: false, timeout: CLIENT_TIMEOUT_MS }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint.replace(/:/g, '');
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, fingerprint }));
    });
    // A deadline for the whole exchange (the socket's timeout is per idle period).
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${CLIENT_TIMEOUT_MS / 1000} s`)), CLIENT_TIMEOUT_MS);
    req.on('close', () => clearTimeout(timer));
    req.on('timeout', () => req.destroy(new Error(`no answer within ${CLIENT_TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
}

test('a PostgreSQL that drops packets: serve keeps answering, catches up when it is back; the CLI says GH_STORE_UNAVAILABLE', async (t) => {
  const data = dataDir();
  const root = tmpDir('gh-www-');
  writeFileSync(join(root, 'index.html'), '<h1>still here</h1>\n');
  const [port] = (await freePorts(1)) as [number];
  // Set up directly on PostgreSQL (gh blocks this event loop, which the proxy needs).
  const [a, b] = through('direct', () => {
    assert.equal(gh(data, ['ca', 'init']).code, 0);
    const certs = [issueCert(data, 'www.drop.test', 'A'), issueCert(data, 'www.drop.test', 'B')];
    for (const args of [['site', 'add', 'www', '--root', root], ['binding', 'add', 'www', '--protocol', 'https', '--port', String(port), '--host', 'www.drop.test', '--sni', '--cert', 'A']]) {
      const r = gh(data, args);
      assert.equal(r.code, 0, describeRun(r));
    }
    return certs as [string, string];
  });
  // serve (one process: the poll, the heartbeats, the renewal scheduler and OCSP all in it) through the proxy.
  const serve = through('proxy', () => new ServeProcess(data, ['--workers', '1', '--admin', 'off']));
  t.after(() => serve.stop());
  await serve.waitFor(/listening for changes \(PostgreSQL NOTIFY\)/, 'serve listening for changes');
  await serve.waitFor(new RegExp(`listening on https \\*:${port}\\b`), 'serve listening');
  assert.deepEqual(await fetchPage(port, 'www.drop.test'), { status: 200, fingerprint: a });

  // The client: one page after another, each within CLIENT_TIMEOUT_MS, for as long as the test runs.
  const failures: string[] = [];
  let pages = 0;
  let asking = true;
  /** How long each page took while PostgreSQL dropped packets (for the diagnostic: the stall the first store call costs). */
  const waits: number[] = [];
  let dropping = false;
  const client = (async () => {
    while (asking) {
      const started = Date.now();
      try {
        const page = await fetchPage(port, 'www.drop.test');
        if (page.status !== 200) failures.push(`HTTP ${page.status}`);
        pages++;
        if (dropping) waits.push(Date.now() - started);
      } catch (e) {
        failures.push(`${(e as Error).message} (after ${Date.now() - started} ms)`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  const mark = serve.out.length;
  hole!.drop();
  dropping = true;
  let cli: Awaited<ReturnType<typeof ghAsync>>;
  let changed: Awaited<ReturnType<typeof ghAsync>>;
  try {
    // Meanwhile: a change made on PostgreSQL through another connection, and a CLI command through the blackhole.
    [changed, cli] = await Promise.all([
      through('direct', () => ghAsync(data, ['binding', 'edit', 'www', '--protocol', 'https', '--port', String(port), '--host', 'www.drop.test', '--sni', '--cert', 'B'])),
      through('proxy', () => ghAsync(data, ['cert', 'list'])),
    ]);
    // Past a poll, a heartbeat and a renewal look (5 s, 5 s, and the scheduler's first at start).
    await new Promise((r) => setTimeout(r, 6_000));
    assert.ok(!serve.exited, `serve still runs:\n${serve.log()}`);
  } finally {
    hole!.restore();
    dropping = false;
  }
  assert.equal(changed.code, 0, describeRun(changed));
  const blackholed = pages;
  // The CLI through the blackhole: a clear error after the connect timeout, no stack trace, no password.
  assert.notEqual(cli.code, 0, describeRun(cli));
  assert.match(cli.stderr, /GH_STORE_UNAVAILABLE/, describeRun(cli));
  assert.doesNotMatch(cli.stderr, /\n\s+at /, `no stack trace:\n${cli.stderr}`);
  assert.ok(!cli.stderr.includes(PG_PASSWORD), 'no password in the error');

  // Back: the change made meanwhile is served (the safety poll or the listener finds it).
  await eventually('the change made while PostgreSQL dropped packets is served after it is back', async () => {
    const page = await fetchPage(port, 'www.drop.test').catch(() => undefined);
    return page?.fingerprint === b;
  }, 30_000, 250);
  // The listening connection, silent as long as PostgreSQL was, is made again (it may have died unnoticed).
  await serve.waitFor(/listening for changes again; catching up on the revision/, 'serve listening for changes again after the store was back', 30_000);
  asking = false;
  await client;
  assert.deepEqual(failures, [], `every page within ${CLIENT_TIMEOUT_MS / 1000} s while PostgreSQL dropped packets:\n${serve.out.slice(mark)}`);
  assert.ok(blackholed > 10, `pages were asked for while PostgreSQL dropped packets (${blackholed})`);
  const said = serve.out.slice(mark);
  assert.equal(said.match(/the store could not be read/g)?.length ?? 0, 1, `the unreadable store said once, not per poll:\n${said}`);
  waits.sort((x, y) => x - y);
  t.diagnostic(`${pages} pages, ${blackholed} of them while PostgreSQL dropped packets: median ${waits[Math.floor(waits.length / 2)]} ms, slowest ${waits.at(-1)} ms (the limit ${CLIENT_TIMEOUT_MS} ms)`);
});
