#!/usr/bin/env node
// Issue #13: a farm — the time from a change's commit to all three `serve` nodes serving it, over
// 100 changes: on PostgreSQL (pushed: NOTIFY/LISTEN, the poll every 5 s only a safety net) and, for
// reference, three nodes on one SQLite data directory (polled every 250 ms).
// Each change gives one SNI binding the other of two certificates (a binding edit, in this process,
// through the same managers as the CLI); the clock starts when the change call returns (committed)
// and stops for each node at the first handshake (node:tls, SNI, polled every 2 ms per node) that
// presents the new certificate. Figures: median, p90 and worst of the slowest node per change.
// Usage: npm run build && node bench/farm-bench.mjs [postgres://USER:PASSWORD@HOST:PORT/DB]
//        (without a URL: a cluster of its own, as the tests make one; BENCH_CHANGES=N, default 100)
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { openGatehouse } from '../dist/src/lifecycle/gatehouse.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'gatehouse');
const CHANGES = Number(process.env.BENCH_CHANGES ?? 100);
let url = process.argv[2];
let cluster;
if (!url) {
  const { startCluster } = await import('../dist/test/support/postgres.js');
  cluster = await startCluster();
  url = cluster.url;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function gh(data, store, args) {
  const r = spawnSync(BIN, [...args, '--data', data, ...(store ? ['--store-url', store] : []), '--json'], { encoding: 'utf8', env: { ...process.env, GATEHOUSE_STORE: '' } });
  if (r.status !== 0) throw new Error(`gatehouse ${args.join(' ')}: ${r.stderr}`);
  return r.stdout ? JSON.parse(r.stdout) : undefined;
}

async function freePort() {
  const s = createServer();
  await new Promise((res) => s.listen({ port: 0, host: '::', ipv6Only: false }, res));
  const { port } = s.address();
  await new Promise((res) => s.close(res));
  return port;
}

/** The SHA-1 thumbprint of the certificate the node on `ip`:`port` presents for `name`. */
function presented(ip, port, name) {
  return new Promise((resolve) => {
    const s = connect({ host: ip, port, servername: name, rejectUnauthorized: false }, () => {
      const der = s.getPeerCertificate().raw;
      s.destroy();
      resolve(der ? createHash('sha1').update(der).digest('hex').toUpperCase() : '');
    });
    s.on('error', () => resolve(''));
    s.setTimeout(2000, () => s.destroy());
  });
}

async function run(engine) {
  const data = mkdtempSync(join(tmpdir(), 'gh-farm-bench-'));
  const store = engine === 'postgres' ? `${url}?schema=farmbench_${process.pid}` : undefined;
  gh(data, store, ['ca', 'init']);
  const thumbprints = [];
  for (const n of ['a', 'b']) {
    const req = gh(data, store, ['request', 'new', '--cn', `${n}.farm.test`, '--key', 'ecdsa-p256']);
    thumbprints.push(gh(data, store, ['request', 'submit', String(req.id), '--ca', 'internal', '--friendly-name', n.toUpperCase()]).thumbprint);
  }
  const port = await freePort();
  gh(data, store, ['site', 'add', 'farm', '--proxy', 'http://127.0.0.1:9']);
  gh(data, store, ['binding', 'add', 'farm', '--protocol', 'https', '--port', String(port), '--host', 'www.farm.test', '--sni', '--cert', 'A']);
  const nodes = ['127.0.0.1', '127.0.0.2', '127.0.0.3'].map((ip) => {
    const child = spawn(BIN, ['serve', '--data', data, ...(store ? ['--store-url', store] : []), '--admin', 'off', '--workers', '1', '--renew-every', '0', '--listen-ip', ip],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, GATEHOUSE_STORE: '' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    return { child, ip, out: () => out };
  });
  try {
    const ready = engine === 'postgres' ? /listening for changes/ : /serving revision/;
    for (const n of nodes) {
      while (!ready.test(n.out()) || !n.out().includes(`listening on https *:${port}`)) {
        if (n.child.exitCode !== null) throw new Error(`serve ended:\n${n.out()}`);
        await sleep(50);
      }
    }
    const g = openGatehouse({ dataDir: data, store, actor: { name: 'bench', origin: 'cli' } });
    const worst = [];
    for (let i = 0; i < CHANGES; i++) {
      const cert = i % 2 === 0 ? 'B' : 'A';
      const expected = thumbprints[i % 2 === 0 ? 1 : 0];
      g.bindings.edit({ site: 'farm', protocol: 'https', port, host: 'www.farm.test', sni: true, cert });
      const committed = performance.now();
      const times = await Promise.all(nodes.map(async (n) => {
        for (;;) {
          if ((await presented(n.ip, port, 'www.farm.test')) === expected) return performance.now() - committed;
          if (performance.now() - committed > 30_000) throw new Error(`node on ${n.ip} did not serve change ${i} within 30 s`);
          await sleep(2);
        }
      }));
      worst.push(Math.max(...times));
      await sleep(20 + Math.random() * 250); // a random phase against the pollers' clocks
    }
    g.close();
    worst.sort((a, b) => a - b);
    return { engine, median: worst[Math.floor(worst.length / 2)], p90: worst[Math.floor(worst.length * 0.9)], max: worst[worst.length - 1], min: worst[0] };
  } finally {
    for (const n of nodes) n.child.kill('SIGTERM');
    await sleep(500);
    for (const n of nodes) if (n.child.exitCode === null) n.child.kill('SIGKILL');
    rmSync(data, { recursive: true, force: true });
  }
}

try {
  const rows = [];
  for (const engine of (process.env.BENCH_ENGINES ?? 'postgres,sqlite').split(',')) rows.push(await run(engine));
  console.log(`${CHANGES} changes, three serve nodes (--workers 1 each); from the change's commit to all three presenting the new certificate:\n`);
  console.log('| store | how a change reaches the nodes | median ms | p90 ms | worst ms | best ms |\n|---|---|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.engine === 'postgres' ? 'PostgreSQL' : 'SQLite (one data directory)'} | ${r.engine === 'postgres' ? 'pushed (NOTIFY at commit, LISTEN)' : 'polled every 250 ms'} | ${r.median.toFixed(1)} | ${r.p90.toFixed(1)} | ${r.max.toFixed(1)} | ${r.min.toFixed(1)} |`);
  }
} finally {
  cluster?.stop();
}
