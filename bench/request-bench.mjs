#!/usr/bin/env node
// Per-request cost of the serving plane (issue #12, item 1): HTTP/1.1 keep-alive and HTTP/2
// requests for a hot 1 KiB file through Gatehouse `serve --workers 1`, beside a bare
// node:http2 server (allowHTTP1, the same certificate, the same body from memory) on the same Node,
// in one run, alternating. Usage:
//
//   node bench/request-bench.mjs                         # this tree, its log off, and bare Node
//   BENCH_BASELINE=/path/to/other/tree node bench/request-bench.mjs   # … and another build (before/after)
//   node bench/request-bench.mjs --profile               # CPU profile of each Gatehouse under each load
//
// BENCH_BASELINE is a checkout of another commit with its own dist/ (`npm run build`; a node_modules
// symlink to this tree's is enough when package-lock.json is the same); it serves the same store,
// so both commits must share the store schema.
// Environment: BENCH_RUNS (5), BENCH_SECS (8), BENCH_WARM (2), BENCH_PORT (18543), BENCH_LOADS (h1,h2: which loads).
// `bare-core` is the same bare server answering HTTP/2 through the core stream API (`stream` event,
// `respond` + `end`) rather than the compatibility layer: the ceiling for Gatehouse's HTTP/2.
// Every run: warm-up, then the measured window; server CPU = utime+stime of the server process from
// /proc over the window, so work per server core-second (requests ÷ CPU seconds) is what compares
// best on a loaded machine. Loads: `h2load --h1 -c 50 -t 1` and `h2load -c 50 -m 10 -t 1` on /index.html.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { childEnv, cpuSeconds, firstHandshake, median, portTaken, sleep, stopServer } from './lib/procs.mjs';
import { topFunctions } from './lib/profile.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const BASELINE = process.env.BENCH_BASELINE ? resolve(process.env.BENCH_BASELINE) : undefined;
const PROFILE = process.argv.includes('--profile');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SECS = Number(process.env.BENCH_SECS ?? 8);
const WARM = Number(process.env.BENCH_WARM ?? 2);
const PORT = Number(process.env.BENCH_PORT ?? 18543);
const LOADS = (process.env.BENCH_LOADS ?? 'h1,h2').split(',');
const CONNS = 50;
const t0 = Date.now();
const log = (s) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${s}\n`);
const live = new Set();

const git = (dir) => {
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '?';
  }
};

async function setup(tmp) {
  const root = join(tmp, 'www');
  mkdirSync(root);
  writeFileSync(join(root, 'index.html'), `<!DOCTYPE html><html><head><title>bench</title></head><body><p>${'x'.repeat(1024 - 82)}</p></body></html>\n`);
  const key = join(tmp, 'site0.key');
  const pem = join(tmp, 'site0.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', pem, '-subj', '/CN=site0.test',
    '-addext', 'subjectAltName=DNS:site0.test', '-days', '30'], { stdio: 'ignore' });
  const { openGatehouse } = await import(pathToFileURL(join(repo, 'dist', 'src', 'lifecycle', 'gatehouse.js')).href);
  const stores = {};
  for (const [name, logFormat] of [['w3c', 'w3c'], ['off', 'off']]) {
    const dataDir = join(tmp, `gh-${name}`);
    const g = openGatehouse({ dataDir, actor: { name: 'request-bench', origin: 'system' } });
    try {
      const cert = await g.certificates.import({ file: readFileSync(pem), fileName: pem, keyFile: readFileSync(key), exportable: false, friendlyName: 'site0' });
      g.sites.add({ name: 'S0', root, logFormat });
      g.bindings.add({ site: 'S0', protocol: 'https', port: PORT, cert: cert.thumbprint });
    } finally {
      g.close();
    }
    stores[name] = dataDir;
  }
  const bare = join(tmp, 'bare.mjs');
  writeFileSync(bare, `import { createSecureServer } from 'node:http2';
import { readFileSync } from 'node:fs';
const body = readFileSync(${JSON.stringify(join(root, 'index.html'))});
const server = createSecureServer({ key: readFileSync(${JSON.stringify(key)}), cert: readFileSync(${JSON.stringify(pem)}), allowHTTP1: true }, (req, res) => {
  res.setHeader('content-type', 'text/html; charset=UTF-8');
  res.setHeader('content-length', body.length);
  res.end(body);
});
server.listen(${PORT}, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`);
  const bareCore = join(tmp, 'bare-core.mjs');
  writeFileSync(bareCore, `import { createSecureServer } from 'node:http2';
import { readFileSync } from 'node:fs';
const body = readFileSync(${JSON.stringify(join(root, 'index.html'))});
const server = createSecureServer({ key: readFileSync(${JSON.stringify(key)}), cert: readFileSync(${JSON.stringify(pem)}), allowHTTP1: true }, (req, res) => {
  res.setHeader('content-type', 'text/html; charset=UTF-8');
  res.setHeader('content-length', body.length);
  res.end(body);
});
// HTTP/2 through the core API: Node's compatibility listener (attached with the 'request' one) taken off.
server.removeAllListeners('stream');
server.on('stream', (stream) => {
  stream.respond({ ':status': 200, 'content-type': 'text/html; charset=UTF-8', 'content-length': body.length });
  stream.end(body);
});
server.listen(${PORT}, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`);
  return { stores, bare, bareCore, logs: join(tmp, 'logs') };
}

/** The servers of the run: name → how to start it. */
function servers(env) {
  const gh = (tree, store) => (extra) => [...extra, join(tree, 'dist', 'src', 'cli', 'entry.js'), 'serve', '--data', store, '--admin', 'off', '--workers', '1', '--log-dir', env.logs];
  const list = { gatehouse: gh(repo, env.stores.w3c), 'gatehouse-log-off': gh(repo, env.stores.off) };
  if (BASELINE) list.baseline = gh(BASELINE, env.stores.w3c);
  if (!PROFILE) {
    list.bare = (extra) => [...extra, env.bare];
    list['bare-core'] = (extra) => [...extra, env.bareCore];
  }
  return list;
}

async function start(name, argv) {
  const since = performance.now();
  const proc = spawn(process.execPath, argv, { env: childEnv, stdio: 'ignore' });
  live.add(proc);
  proc.on('exit', () => live.delete(proc));
  const firstMs = await firstHandshake(PORT, since);
  await sleep(500);
  return { kind: name, proc, firstMs };
}

function h2load(server, h1) {
  const argv = [...(h1 ? ['--h1'] : ['-m', '10']), '-c', String(CONNS), '-t', '1', '-D', String(SECS), `--warm-up-time=${WARM}`, `https://127.0.0.1:${PORT}/index.html`];
  return new Promise((done) => {
    const p = spawn('h2load', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    let cpuStart;
    let cpuEnd;
    setTimeout(() => (cpuStart = cpuSeconds(server.proc.pid)), WARM * 1000);
    setTimeout(() => (cpuEnd = cpuSeconds(server.proc.pid)), (WARM + SECS) * 1000);
    p.on('exit', () => {
      cpuEnd ??= cpuSeconds(server.proc.pid);
      const cpu = cpuEnd - (cpuStart ?? cpuEnd);
      const rate = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out)?.[1]);
      const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
      const req = /requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed/.exec(out);
      done({ rate, cpu, perCore: cpu > 0 ? (rate * SECS) / cpu : NaN, bad: (codes ? Number(codes[2]) + Number(codes[3]) + Number(codes[4]) : NaN) + (req ? Number(req[1]) : NaN) });
    });
  });
}

const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '–');

async function measure(env) {
  const list = servers(env);
  const names = Object.keys(list);
  const runs = [];
  for (let round = 1; round <= RUNS; round++) {
    // A different server goes first each round, so drift in the machine's load spreads over all of them.
    const order = names.map((_, i) => names[(i + round - 1) % names.length]);
    for (const name of order) {
      const server = await start(name, list[name]([]));
      try {
        for (const load of LOADS) {
          const r = await h2load(server, load === 'h1');
          runs.push({ name, load, round, load1: loadavg()[0], ...r });
          log(`${load} ${name.padEnd(18)} round ${round}: ${fmt(r.rate)} req/s, server CPU ${fmt(r.cpu / SECS, 2)} cores → ${fmt(r.perCore)}/core-s${r.bad ? `, ${r.bad} failed or non-2xx` : ''}`);
        }
      } finally {
        await stopServer(server);
      }
    }
  }
  const med = (name, load, key) => median(runs.filter((r) => r.name === name && r.load === load).map((r) => r[key]));
  const ref = list.bare ? 'bare' : names[0];
  let md = `| server | HTTP/1.1 keep-alive req/s | server cores | req per server core-s | vs bare Node | HTTP/2 req/s | server cores | req per server core-s | vs bare Node |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n`;
  for (const name of names) {
    md += `| ${name} |${['h1', 'h2'].map((l) => ` ${fmt(med(name, l, 'rate'))} | ${fmt(med(name, l, 'cpu') / SECS, 2)} | ${fmt(med(name, l, 'perCore'))} | ${fmt(med(name, l, 'perCore') / med(ref, l, 'perCore'), 2)}× |`).join('')}\n`;
  }
  if (BASELINE) {
    // Paired per round: this tree against the baseline started in the same round.
    const paired = (l) => median(runs.filter((r) => r.name === 'gatehouse' && r.load === l).map((r) => r.perCore / runs.find((b) => b.name === 'baseline' && b.load === l && b.round === r.round).perCore));
    md += `\nThis tree against the baseline, per server core-second (median of the per-round ratios): HTTP/1.1 ${fmt(paired('h1'), 2)}×, HTTP/2 ${fmt(paired('h2'), 2)}×.\n`;
  }
  const bad = runs.filter((r) => r.bad > 0);
  const l1 = runs.map((r) => r.load1);
  md += `\n${RUNS} rounds × ${SECS} s after ${WARM} s warm-up, medians; ${bad.length ? `${bad.length} runs with failed or non-2xx requests` : 'no failed or non-2xx requests'}. Node ${process.version}; ${cpus()[0]?.model ?? '?'}; `
    + `gatehouse = ${git(repo)}${BASELINE ? `, baseline = ${git(BASELINE)} (${BASELINE})` : ''}; 1-minute load average ${fmt(Math.min(...l1), 2)}–${fmt(Math.max(...l1), 2)} (median ${fmt(median(l1), 2)}).\n`;
  return md;
}

async function profile(env, tmp) {
  const list = servers(env);
  let out = '';
  for (const name of Object.keys(list)) {
    for (const load of LOADS) {
      const dir = join(tmp, `prof-${name}-${load}`);
      const server = await start(name, list[name](['--cpu-prof', `--cpu-prof-dir=${dir}`]));
      let r;
      try {
        r = await h2load(server, load === 'h1');
      } finally {
        await stopServer(server);
      }
      const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
      log(`${load} ${name} under the profiler: ${fmt(r.rate)} req/s`);
      out += `\n## ${name}, ${load === 'h1' ? 'HTTP/1.1 keep-alive' : 'HTTP/2'}: ${fmt(r.rate)} req/s under the profiler (server CPU ${fmt(r.cpu / SECS, 2)} cores)\n`;
      out += files.length ? topFunctions(join(dir, files[0]), 30) : '(no profile written)';
      out += '\n';
    }
  }
  return out;
}

const tmp = mkdtempSync(join(tmpdir(), 'gh-request-bench-'));
try {
  if (!existsSync(join(repo, 'dist', 'src', 'cli', 'entry.js'))) throw new Error('dist/ is missing: run "npm run build" first');
  if (BASELINE && !existsSync(join(BASELINE, 'dist', 'src', 'cli', 'entry.js'))) throw new Error(`${BASELINE}/dist is missing: build the baseline first`);
  if (await portTaken(PORT)) throw new Error(`127.0.0.1:${PORT} is in use: choose another port with BENCH_PORT=N`);
  const env = await setup(tmp);
  process.stdout.write(PROFILE ? await profile(env, tmp) : await measure(env));
} catch (e) {
  process.stderr.write(`request-bench: ${e.stack ?? e}\n`);
  process.exitCode = 1;
} finally {
  for (const p of live) p.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}
