#!/usr/bin/env node
// Issue #13: CLI and API latency on PostgreSQL vs SQLite, on a small store (10 certificates, sites and
// SNI bindings) and a 10,000-name one (10,000 certificates, sites and SNI bindings, seeded with
// bench/seed-store.mjs and bench/seed-sites.mjs). For each size, both engines are prepared, then
// measured in turn (A/B, alternating, so load changes hit both alike):
// - the CLI, a whole process each (wall time): `cert list --json`, `site list --json`, `binding add`
//   and `binding remove` (an http binding on the site `bench`);
// - the admin API of a running `serve --workers 1` per engine (one keep-alive HTTPS connection, a
//   token): GET /api/v1/certificates (its default page), POST and DELETE /api/v1/sites/bench/bindings.
// Figures: median and p90 in ms, and the ratio of the medians (PostgreSQL ÷ SQLite).
// Usage: npm run build && node bench/latency-bench.mjs [postgres://USER:PASSWORD@HOST:PORT/DB]
//        (without a URL: a cluster of its own, as the tests make one, stopped at exit)
//        BENCH_RUNS=N CLI runs per command and engine (default 11); BENCH_CALLS=N API calls (default 40);
//        BENCH_SIZES=10,10000 (default).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request, Agent } from 'node:https';
import { createServer } from 'node:net';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'gatehouse');
const RUNS = Number(process.env.BENCH_RUNS ?? 11);
const CALLS = Number(process.env.BENCH_CALLS ?? 40);
const SIZES = (process.env.BENCH_SIZES ?? '10,10000').split(',').map(Number);
let url = process.argv[2];
let cluster;
if (!url) {
  const { startCluster } = await import('../dist/test/support/postgres.js');
  cluster = await startCluster();
  url = cluster.url;
}
const dirs = [];
const children = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGTERM');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const env = (store) => ({ ...process.env, GATEHOUSE_STORE: store ?? '', NO_COLOR: '1' });
function gh(e, args) {
  const started = process.hrtime.bigint();
  const r = spawnSync(BIN, [...args, '--data', e.data], { encoding: 'utf8', env: env(e.store), maxBuffer: 256 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`gatehouse ${args.join(' ')} (${e.engine}): ${r.stderr}`);
  return { ms, stdout: r.stdout };
}
function node(script, args, store) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bench', script), ...args], { encoding: 'utf8', env: { ...env(store), SEED_WILDCARDS: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`${script} failed`);
}
async function freePort() {
  const s = createServer();
  await new Promise((res) => s.listen(0, '127.0.0.1', res));
  const { port } = s.address();
  await new Promise((res) => s.close(res));
  return port;
}
const stats = (samples) => {
  const s = [...samples].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p90: s[Math.min(s.length - 1, Math.floor(s.length * 0.9))] };
};

/** A data directory (and on PostgreSQL a schema) with `size` certificates, sites and SNI bindings, a user, a token and a `serve`. */
async function prepare(engine, size) {
  const data = mkdtempSync(join(tmpdir(), `gh-latency-${engine}-`));
  dirs.push(data);
  const store = engine === 'postgres' ? `${url}?schema=latency_${size}_${process.pid}` : undefined;
  const e = { engine, size, data, store };
  const t0 = Date.now();
  node('seed-store.mjs', [data, String(size)], store);
  node('seed-sites.mjs', [data, String(await freePort()), data], store);
  process.stderr.write(`latency-bench: ${engine} seeded with ${size} names in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  gh(e, ['site', 'add', 'bench', '--root', data]);
  const pw = join(data, 'pw.txt');
  spawnSync('sh', ['-c', `umask 077; echo 'Bench-Password-4711' > '${pw}'`]);
  gh(e, ['user', 'add', 'bench', '--role', 'organization-management', '--password-file', pw]);
  e.token = JSON.parse(gh(e, ['token', 'create', '--user', 'bench', '--json']).stdout).token;
  e.adminPort = await freePort();
  const child = spawn(BIN, ['serve', '--data', data, '--workers', '1', '--renew-every', '0', '--admin', `127.0.0.1:${e.adminPort}`], { env: env(store), stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  for (let i = 0; i < 600 && !/admin: listening|admin endpoint|listening on https?:\/\/127\.0\.0\.1:\d+/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
  e.serve = child;
  e.agent = new Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });
  // The admin endpoint answers once it listens (its log line's wording aside).
  for (let i = 0; i < 300; i++) {
    const ok = await call(e, 'GET', '/api/v1/server').then((r) => r.status < 500, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return e;
}

function call(e, method, path, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const started = process.hrtime.bigint();
    const req = request({ host: '127.0.0.1', port: e.adminPort, method, path, agent: e.agent,
      headers: { authorization: `Bearer ${e.token}`, ...(payload ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, text, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function expect(e, method, path, body, status) {
  const r = await call(e, method, path, body);
  if (r.status !== status) throw new Error(`${method} ${path} on ${e.engine}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
  return r.ms;
}

const rows = [];
const started = { load: loadavg()[0] };
for (const size of SIZES) {
  const engines = [await prepare('sqlite', size), await prepare('postgres', size)];
  const samples = new Map();
  const add = (what, e, ms) => {
    const k = `${what}\u0000${e.engine}`;
    if (!samples.has(k)) samples.set(k, []);
    samples.get(k).push(ms);
  };
  // The CLI: whole processes, the engines in turn.
  for (let run = 0; run < RUNS; run++) {
    for (const e of run % 2 === 0 ? engines : [...engines].reverse()) {
      add('CLI `cert list --json`', e, gh(e, ['cert', 'list', '--json']).ms);
      add('CLI `site list --json`', e, gh(e, ['site', 'list', '--json']).ms);
      const port = String(20000 + run);
      add('CLI `binding add` (http)', e, gh(e, ['binding', 'add', 'bench', '--protocol', 'http', '--port', port]).ms);
      add('CLI `binding remove`', e, gh(e, ['binding', 'remove', 'bench', '--protocol', 'http', '--port', port]).ms);
    }
  }
  // The API: one keep-alive connection per engine, the engines in turn; the first calls warm up.
  for (let i = -5; i < CALLS; i++) {
    for (const e of i % 2 === 0 ? engines : [...engines].reverse()) {
      const port = 30000 + i + 5;
      const list = await expect(e, 'GET', '/api/v1/certificates', undefined, 200);
      const post = await expect(e, 'POST', '/api/v1/sites/bench/bindings', { protocol: 'http', port }, 201);
      const del = await expect(e, 'DELETE', `/api/v1/sites/bench/bindings?protocol=http&port=${port}`, undefined, 200);
      if (i < 0) continue;
      add('API GET /api/v1/certificates', e, list);
      add('API POST …/bindings', e, post);
      add('API DELETE …/bindings', e, del);
    }
  }
  for (const what of [...new Set([...samples.keys()].map((k) => k.split('\u0000')[0]))]) {
    const s = stats(samples.get(`${what}\u0000sqlite`));
    const p = stats(samples.get(`${what}\u0000postgres`));
    rows.push({ size, what, sqlite: s, postgres: p, ratio: p.median / s.median });
  }
  for (const e of engines) {
    e.serve.kill('SIGTERM');
    e.agent.destroy();
  }
}
const f = (n) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
console.log(`\n${cpus().length} × ${cpus()[0]?.model}, node ${process.version}, load average ${started.load.toFixed(1)} at start, ${loadavg()[0].toFixed(1)} at end; ${RUNS} CLI runs and ${CALLS} API calls per engine\n`);
console.log('| store | operation | SQLite median ms (p90) | PostgreSQL median ms (p90) | PostgreSQL ÷ SQLite |');
console.log('|---|---|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.size.toLocaleString('en')} names | ${r.what} | ${f(r.sqlite.median)} (${f(r.sqlite.p90)}) | ${f(r.postgres.median)} (${f(r.postgres.p90)}) | ${r.ratio.toFixed(2)} |`);
}
cluster?.stop();
process.exit(0);
