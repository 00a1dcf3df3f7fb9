#!/usr/bin/env node
// Under attack (issue #10, "Measure"): what a well-behaved client gets from Gatehouse `serve` and from
// nginx while one client attacks, compared with the same client with no attack in the same run.
//
//   npm run bench:attack                       # = npm run build && node bench/attack-bench.mjs (~13 minutes)
//   node bench/attack-bench.mjs --json out.json # also every raw run as JSON
//
// Environment: BENCH_RUNS (3), BENCH_BASE (6 s), BENCH_ATTACK (25 s), BENCH_AFTER (6 s),
// BENCH_ONLY=reset,slowloris,idle, BENCH_QUICK=1 (1 run, shorter phases: to try the script, not for
// figures), BENCH_PORT (18543: Gatehouse there, nginx on + 2; refused when either is taken).
//
// For every scenario, round and server (in turn: Gatehouse, nginx; a fresh server each time):
//   before   server RSS and descriptors (summed over its processes), 1 s after start;
//   baseline the good client alone for BENCH_BASE s;
//   attack   the attack starts (its own child process, this script with --attack KIND); after 5 s the
//            good client runs for BENCH_ATTACK - 10 s while the attack goes on; RSS and descriptors
//            are sampled every second (peak kept); the attack stops itself after BENCH_ATTACK s;
//   after    2 s after the attack process has exited: the good client again for BENCH_AFTER s, then
//            RSS and descriptors.
// The good client: h2load, HTTP/2, 4 connections, one stream each, a fixed 50 requests/s per
// connection (200/s offered) for GET /index.html (1 KiB), from 127.0.0.1; per-request latency from
// h2load's --log-file. The attacks come from other loopback addresses (127.0.0.2 …), as another
// client would: Gatehouse caps connections per client address, and on loopback every client would
// otherwise share one address with the good client.
//   reset      HTTP/2 rapid reset (CVE-2023-44487 style): 4 connections from 127.0.0.2, each opening
//              streams (GET /index.html) in batches of 100 and cancelling each (RST_STREAM CANCEL) at
//              once, as fast as one Node process can; a connection the server closes is reopened;
//   slowloris  1,000 TLS connections from 127.0.0.2 that start a request (`GET / HTTP/1.1`, a Host
//              header) and then send one header byte every 10 s; a closed one is reopened after 1 s;
//   idle       3,000 TLS connections from 10 addresses (127.0.0.2–11, 300 each: under Gatehouse's
//              per-address cap) that finish the handshake and send nothing; a closed one is reopened
//              after 1 s.
// nginx gets the same certificate and file and the settings that match Gatehouse's defaults (written
// in nginxConfig below and in BENCHMARKS.md).
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg, availableParallelism } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { connect as tlsConnect } from 'node:tls';
import { connect as h2Connect, constants as h2c } from 'node:http2';
import { machine as servingMachine } from './lib/serving.mjs';
import { childEnv, firstHandshake, have, killTree, median, memory, portTaken, sleep, stopServer, tree, aptInstall } from './lib/procs.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const GH_BIN = join(repo, 'bin', 'gatehouse');
const GH_ENTRY = join(repo, 'dist', 'src', 'cli', 'entry.js');
const args = process.argv.slice(2);
const arg = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);

// ---------------------------------------------------------------------------------------------
// Attack processes (this script with --attack KIND --port P --secs S): print one JSON line of counts

/** Keeps `slots` TLS connections open from the given addresses; each reopened `reopenMs` after it closes. */
async function holdConnections(port, secs, addresses, perAddress, onOpen) {
  const stats = { attempts: 0, handshakes: 0, closedByServer: 0, failed: 0, open: 0, peakOpen: 0, lifetimesMs: [] };
  const sockets = new Set();
  let stopping = false;
  const open = (address) => {
    if (stopping) return;
    stats.attempts++;
    const started = performance.now();
    let up = false;
    const s = tlsConnect({ host: '127.0.0.1', port, localAddress: address, servername: 'site0.test', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
      up = true;
      stats.handshakes++;
      stats.open++;
      stats.peakOpen = Math.max(stats.peakOpen, stats.open);
      onOpen?.(s);
    });
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => {
      sockets.delete(s);
      if (s.timer) clearInterval(s.timer);
      if (stopping) return;
      if (up) {
        stats.open--;
        stats.closedByServer++;
        stats.lifetimesMs.push(performance.now() - started);
      } else stats.failed++;
      setTimeout(() => open(address), 1000);
    });
  };
  // Open at most 200 a second per address set, so the handshakes themselves are not the attack.
  const slots = addresses.flatMap((a) => Array.from({ length: perAddress }, () => a));
  const end = Date.now() + secs * 1000;
  for (let i = 0; i < slots.length && Date.now() < end; i += 20) {
    for (const a of slots.slice(i, i + 20)) open(a);
    await sleep(100);
  }
  while (Date.now() < end) await sleep(100);
  stopping = true;
  for (const s of sockets) s.destroy();
  const l = stats.lifetimesMs;
  return { ...stats, lifetimesMs: undefined, closedLifetimeMedianS: l.length ? median(l) / 1000 : null, closedLifetimeMaxS: l.length ? Math.max(...l) / 1000 : null };
}

async function rapidReset(port, secs) {
  const stats = { streams: 0, sessions: 0, sessionsClosedByServer: 0 };
  const end = Date.now() + secs * 1000;
  const loop = async () => {
    while (Date.now() < end) {
      const session = h2Connect(`https://127.0.0.1:${port}`, { localAddress: '127.0.0.2', servername: 'site0.test', rejectUnauthorized: false });
      session.on('error', () => undefined);
      stats.sessions++;
      // A server at its descriptor limit leaves the connection in its backlog: never past the end.
      const up = await new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), Math.max(0, end - Date.now()));
        session.once('connect', () => (clearTimeout(timer), resolve(true)));
        session.once('close', () => (clearTimeout(timer), resolve(false)));
      });
      while (up && Date.now() < end && !session.closed && !session.destroyed) {
        const batch = [];
        for (let i = 0; i < 100; i++) {
          try {
            const s = session.request({ ':path': '/index.html', ':authority': `site0.test:${port}` });
            s.on('error', () => undefined);
            s.resume();
            batch.push(s);
            stats.streams++;
          } catch {
            break;
          }
        }
        // Let the HEADERS frames go out, then cancel them all: GET + RST_STREAM.
        await new Promise((r) => setImmediate(r));
        for (const s of batch) s.close(h2c.NGHTTP2_CANCEL);
        await new Promise((r) => setImmediate(r));
      }
      if (Date.now() < end) stats.sessionsClosedByServer++;
      session.destroy();
      if (!up) await sleep(50);
    }
  };
  await Promise.all([loop(), loop(), loop(), loop()]);
  return stats;
}

async function attackMain(kind) {
  const port = Number(arg('--port'));
  const secs = Number(arg('--secs'));
  let r;
  if (kind === 'reset') r = await rapidReset(port, secs);
  else if (kind === 'slowloris') {
    r = await holdConnections(port, secs, ['127.0.0.2'], 1000, (s) => {
      s.write(`GET / HTTP/1.1\r\nHost: site0.test\r\n`);
      const line = 'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
      let i = 0;
      s.timer = setInterval(() => s.write(line[i++ % line.length]), 10_000);
    });
  } else if (kind === 'idle') r = await holdConnections(port, secs, Array.from({ length: 10 }, (_, i) => `127.0.0.${i + 2}`), 300);
  else throw new Error(`unknown attack ${kind}`);
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
}

if (arg('--attack')) {
  await attackMain(arg('--attack'));
}

// ---------------------------------------------------------------------------------------------
// The benchmark

const QUICK = process.env.BENCH_QUICK === '1';
const RUNS = Number(process.env.BENCH_RUNS ?? (QUICK ? 1 : 3));
const BASE = Number(process.env.BENCH_BASE ?? (QUICK ? 3 : 6));
const ATTACK = Number(process.env.BENCH_ATTACK ?? (QUICK ? 15 : 25));
const AFTER = Number(process.env.BENCH_AFTER ?? (QUICK ? 3 : 6));
const SCENARIOS = (process.env.BENCH_ONLY ?? 'reset,slowloris,idle').split(',');
const PORT_GH = Number(process.env.BENCH_PORT ?? 18543);
const PORT_NGINX = PORT_GH + 2;
const GOOD = { conns: 4, rps: 50 };
const jsonOut = arg('--json');
const t0 = Date.now();
const log = (s) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${s}\n`);
const NGINX = () => (have('nginx') ? 'nginx' : '/usr/sbin/nginx');

function ensurePackages() {
  const want = [];
  if (!have('nginx') && !existsSync('/usr/sbin/nginx')) want.push('nginx');
  if (!have('h2load')) want.push('nghttp2-client');
  if (!have('openssl')) want.push('openssl');
  aptInstall(want, log);
}

/** nginx with the settings nearest Gatehouse's defaults (docs/security.md), one https server block. */
function nginxConfig(dir, cert, root) {
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const conf = `# generated by bench/attack-bench.mjs
user root;
worker_processes 2;
worker_rlimit_nofile 20000;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
daemon off;
events { worker_connections 10000; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  sendfile on;
  access_log ${join(dir, 'access.log')} combined;
  ssl_protocols TLSv1.2 TLSv1.3;
  client_header_timeout 20s;      # Gatehouse --header-timeout 20 (nginx also times the handshake with it)
  keepalive_timeout 75s;          # Gatehouse --keepalive-timeout 75 (nginx's default)
  client_body_timeout 60s;        # Gatehouse --body-timeout 60 (nginx's default)
  keepalive_requests 1000000;     # Gatehouse has no per-connection request limit (nginx's default, 1000, would end the good client's connections)
  http2_max_concurrent_streams 128; # Gatehouse's SETTINGS_MAX_CONCURRENT_STREAMS (nginx's default)
  http2_idle_timeout 180s;        # Gatehouse --idle-timeout 180 (nginx 1.22's default)
  client_body_temp_path ${join(dir, 'tmp', 'body')};
  proxy_temp_path ${join(dir, 'tmp', 'proxy')};
  fastcgi_temp_path ${join(dir, 'tmp', 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'tmp', 'uwsgi')};
  scgi_temp_path ${join(dir, 'tmp', 'scgi')};
  server {
    listen 127.0.0.1:${PORT_NGINX} ssl http2;
    server_name site0.test;
    ssl_certificate ${cert.pem};
    ssl_certificate_key ${cert.key};
    root ${root};
  }
}
`;
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, conf);
  const test = spawnSync(NGINX(), ['-t', '-c', file, '-e', join(dir, 'error.log')], { encoding: 'utf8' });
  if (test.status !== 0) throw new Error(`nginx -t failed: ${test.stderr}`);
  return file;
}

async function setup(tmp) {
  ensurePackages();
  const root = join(tmp, 'www');
  mkdirSync(root);
  writeFileSync(join(root, 'index.html'), `<!DOCTYPE html><html><head><title>bench</title></head><body><p>${'x'.repeat(1024 - 82)}</p></body></html>\n`);
  const cert = { pem: join(tmp, 'site0.pem'), key: join(tmp, 'site0.key') };
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', cert.key, '-out', cert.pem,
    '-subj', '/CN=site0.test', '-days', '30', '-addext', 'subjectAltName=DNS:site0.test'], { stdio: 'ignore' });
  const dataDir = join(tmp, 'gh');
  const { openGatehouse } = await import(pathToFileURL(join(repo, 'dist', 'src', 'lifecycle', 'gatehouse.js')).href);
  const g = openGatehouse({ dataDir, actor: { name: 'attack-bench', origin: 'system' } });
  try {
    const c = await g.certificates.import({ file: readFileSync(cert.pem), fileName: cert.pem, keyFile: readFileSync(cert.key), exportable: false, friendlyName: 'site0.test' });
    g.sites.add({ name: 'S0', root });
    g.bindings.add({ site: 'S0', protocol: 'https', ip: '127.0.0.1', port: PORT_GH, cert: c.thumbprint });
  } finally {
    g.close();
  }
  mkdirSync(join(tmp, 'nginx'));
  return { dataDir, nginxConf: nginxConfig(join(tmp, 'nginx'), cert, root) };
}

const live = new Set();
function killAll() {
  for (const p of live) killTree(p.pid, 'SIGKILL');
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => {
  killAll();
  process.exit(130);
});

function track(proc) {
  live.add(proc);
  proc.on('exit', () => live.delete(proc));
  return proc;
}

async function startServer(kind, env, workers) {
  const gh = kind === 'gatehouse';
  const port = gh ? PORT_GH : PORT_NGINX;
  const proc = track(gh
    ? spawn(GH_BIN, ['serve', '--data', env.dataDir, '--admin', 'off'], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(NGINX(), ['-c', env.nginxConf, '-e', join(dirname(env.nginxConf), 'error.log')], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const exited = new Promise((resolve) => proc.on('exit', (code, sig) => resolve(`${kind} exited early (${sig ?? code}): ${out.slice(-2000)}`)));
  await Promise.race([firstHandshake(port, performance.now()), exited.then((m) => { throw new Error(m); })]);
  const until = Date.now() + 10_000;
  while (gh && (out.match(/listening on https/g) ?? []).length < workers && Date.now() < until) await sleep(50);
  while (!gh && tree(proc.pid).length < 3 && Date.now() < until) await sleep(50);
  await sleep(1000);
  return { kind, proc, port, output: () => out };
}

/** The good client for `secs` seconds: rate, latency percentiles (ms) and failures. */
function goodClient(port, secs, logFile) {
  return new Promise((resolve) => {
    const argv = ['-c', String(GOOD.conns), '-m', '1', '-t', '1', `--rps=${GOOD.rps}`, '-D', String(secs), `--log-file=${logFile}`, `https://127.0.0.1:${port}/index.html`];
    const p = track(spawn('h2load', argv, { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv }));
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const killer = setTimeout(() => p.kill('SIGKILL'), (secs + 30) * 1000);
    p.on('exit', () => {
      clearTimeout(killer);
      const lat = existsSync(logFile)
        ? readFileSync(logFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => l.split('\t')).filter((f) => f[1] === '200').map((f) => Number(f[2]) / 1000).sort((a, b) => a - b)
        : [];
      rmSync(logFile, { force: true });
      const pct = (q) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(q * lat.length))] : NaN);
      const req = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out);
      resolve({ rate: lat.length / secs, ok: lat.length, p50: pct(0.5), p99: pct(0.99), max: lat.at(-1) ?? NaN,
        failed: req ? Number(req[5]) + Number(req[6]) + Number(req[7]) : NaN, raw: out.trim().split('\n').filter((l) => /finished|requests:|status codes|Application/.test(l)).join(' | ') });
    });
  });
}

function startAttack(kind, port, secs) {
  const p = track(spawn(process.execPath, [fileURLToPath(import.meta.url), '--attack', kind, '--port', String(port), '--secs', String(secs)], { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv }));
  let out = '';
  let err = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (err += d));
  const killer = setTimeout(() => p.kill('SIGKILL'), (secs + 15) * 1000);
  return new Promise((resolve) => p.on('exit', (code, sig) => {
    clearTimeout(killer);
    try {
      resolve(JSON.parse(out.trim().split('\n').at(-1)));
    } catch {
      resolve({ error: `attack ${kind} ended (${sig ?? code}) without counts: ${err.slice(-500)}` });
    }
  }));
}

async function scenario(kind, server, tmp) {
  const pid = server.proc.pid;
  const before = memory(pid);
  const baseline = await goodClient(server.port, BASE, join(tmp, 'h2load.log'));
  const attackDone = startAttack(kind, server.port, ATTACK);
  let peak = memory(pid);
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await sleep(1000);
      const m = memory(pid);
      peak = { rssMiB: Math.max(peak.rssMiB, m.rssMiB), pssMiB: Math.max(peak.pssMiB, m.pssMiB), fds: Math.max(peak.fds, m.fds), processes: Math.max(peak.processes, m.processes) };
    }
  })();
  await sleep(5000);
  const under = await goodClient(server.port, ATTACK - 10, join(tmp, 'h2load.log'));
  const attack = await attackDone;
  sampling = false;
  await sampler;
  const processesDuring = peak.processes;
  await sleep(2000);
  const after = await goodClient(server.port, AFTER, join(tmp, 'h2load.log'));
  const end = memory(pid);
  return { before, peak, after: end, processesDuring, good: { baseline, under, after }, attack };
}

/** The machine facts every serving benchmark reports (lib/serving.mjs), and the descriptor limit the attacks run into. */
function machine() {
  let ulimitN = '?';
  try {
    ulimitN = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  } catch {
    // reported as '?'
  }
  return { ...servingMachine(repo), ulimitN };
}

const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '–');
const label = { gatehouse: 'Gatehouse', nginx: 'nginx' };
const attackName = { reset: 'rapid reset', slowloris: 'slowloris', idle: 'idle flood' };

function report(res) {
  const { runs, machine: m, settings } = res;
  const pick = (sc, sv) => runs.filter((r) => r.scenario === sc && r.server === sv);
  const med = (rows, f) => median(rows.map(f));
  let md = `\n#### Good client (h2load, HTTP/2, ${GOOD.conns} connections × ${GOOD.rps} req/s offered = ${GOOD.conns * GOOD.rps}/s): median of ${settings.RUNS} rounds\n\n`;
  md += '| attack | server | baseline req/s | p50 / p99 ms | under attack req/s | p50 / p99 ms | after req/s | p50 / p99 ms | ratio under / baseline: rate | p50 | p99 | failed (under) |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n';
  for (const sc of settings.scenarios) {
    for (const sv of settings.servers) {
      const rows = pick(sc, sv);
      if (!rows.length) continue;
      const g = (ph, k) => med(rows, (r) => r.good[ph][k]);
      md += `| ${attackName[sc]} | ${label[sv]} | ${fmt(g('baseline', 'rate'))} | ${fmt(g('baseline', 'p50'), 1)} / ${fmt(g('baseline', 'p99'), 1)} | ${fmt(g('under', 'rate'))} | ${fmt(g('under', 'p50'), 1)} / ${fmt(g('under', 'p99'), 1)} | ${fmt(g('after', 'rate'))} | ${fmt(g('after', 'p50'), 1)} / ${fmt(g('after', 'p99'), 1)} | **${fmt(med(rows, (r) => r.good.under.rate / r.good.baseline.rate), 2)}×** | ${fmt(med(rows, (r) => r.good.under.p50 / r.good.baseline.p50), 2)}× | ${fmt(med(rows, (r) => r.good.under.p99 / r.good.baseline.p99), 2)}× | ${rows.map((r) => fmt(r.good.under.failed)).join(', ')} |\n`;
    }
  }
  md += `\n#### Server memory and descriptors (summed over the server's processes; median of ${settings.RUNS})\n\n`;
  md += '| attack | server | RSS MiB before / peak / after | descriptors before / peak / after |\n|---|---|---:|---:|\n';
  for (const sc of settings.scenarios) {
    for (const sv of settings.servers) {
      const rows = pick(sc, sv);
      if (!rows.length) continue;
      md += `| ${attackName[sc]} | ${label[sv]} | ${fmt(med(rows, (r) => r.before.rssMiB))} / ${fmt(med(rows, (r) => r.peak.rssMiB))} / ${fmt(med(rows, (r) => r.after.rssMiB))} | ${fmt(med(rows, (r) => r.before.fds))} / ${fmt(med(rows, (r) => r.peak.fds))} / ${fmt(med(rows, (r) => r.after.fds))} |\n`;
    }
  }
  md += `\n#### What the attacker got (median of ${settings.RUNS}; over the ${settings.ATTACK} s of the attack)\n\n`;
  md += '| attack | server | counts |\n|---|---|---|\n';
  for (const sc of settings.scenarios) {
    for (const sv of settings.servers) {
      const rows = pick(sc, sv);
      if (!rows.length) continue;
      const keys = Object.keys(rows[0].attack).filter((k) => typeof rows[0].attack[k] === 'number');
      md += `| ${attackName[sc]} | ${label[sv]} | ${keys.map((k) => `${k} ${fmt(med(rows, (r) => r.attack[k]), k.endsWith('S') ? 1 : 0)}`).join(', ')}${rows.some((r) => r.attack.error) ? ` — ${rows.find((r) => r.attack.error).attack.error}` : ''} |\n`;
    }
  }
  const gone = runs.filter((r) => r.processesDuring !== r.after.processes || r.before.processes !== r.after.processes);
  md += `\nServer processes before / after: ${runs.length ? [...new Set(runs.map((r) => `${label[r.server]} ${r.before.processes} / ${r.after.processes}`))].join('; ') : '–'}${gone.length ? ` (changed in ${gone.length} run(s): a worker replaced)` : ''}.\n`;
  md += `\nMachine: ${m.date}, ${m.cpu}, nproc ${m.nproc}, ${m.memGiB} GiB, Linux ${m.kernel}; Node ${m.node} (OpenSSL ${m.nodeOpenssl}); nginx ${m.nginx}; ${m.h2load}; ulimit -n ${m.ulimitN}; Gatehouse ${m.commit}, ${settings.ghWorkers} workers; load average at start ${m.load}, at the end ${m.loadEnd}; whole run ${m.elapsedS} s.\n`;
  return md;
}

async function main() {
  if (!existsSync(GH_ENTRY)) throw new Error('dist/ is missing: run "npm run build" first');
  for (const port of [PORT_GH, PORT_NGINX]) {
    if (await portTaken(port)) throw new Error(`127.0.0.1:${port} is already in use by another process: stop it, or choose other ports with BENCH_PORT=N (Gatehouse on N, nginx on N + 2)`);
  }
  const tmp = mkdtempSync(join(tmpdir(), 'gh-attack-bench-'));
  const servers = ['gatehouse', 'nginx'];
  const ghWorkers = availableParallelism();
  const results = { machine: null, runs: [], settings: { RUNS, BASE, ATTACK, AFTER, GOOD, scenarios: SCENARIOS, servers, ghWorkers } };
  try {
    const env = await setup(tmp);
    results.machine = machine();
    for (const sc of SCENARIOS) {
      for (let round = 1; round <= RUNS; round++) {
        for (const sv of servers) {
          let server;
          try {
            server = await startServer(sv, env, ghWorkers);
            const r = await scenario(sc, server, tmp);
            results.runs.push({ scenario: sc, server: sv, round, load1: loadavg()[0], ...r });
            const g = r.good;
            log(`${sc.padEnd(9)} ${sv.padEnd(9)} round ${round}: good ${fmt(g.baseline.rate)} → ${fmt(g.under.rate)} → ${fmt(g.after.rate)} req/s, p99 ${fmt(g.baseline.p99, 1)} → ${fmt(g.under.p99, 1)} → ${fmt(g.after.p99, 1)} ms, failed ${g.under.failed}; RSS ${fmt(r.before.rssMiB)} / ${fmt(r.peak.rssMiB)} / ${fmt(r.after.rssMiB)} MiB; fds ${r.before.fds} / ${r.peak.fds} / ${r.after.fds}; attack ${JSON.stringify(r.attack)}`);
          } finally {
            await stopServer(server);
          }
        }
      }
    }
    results.machine.loadEnd = loadavg().map((x) => x.toFixed(2)).join(' ');
    results.machine.elapsedS = Math.round((Date.now() - t0) / 1000);
    process.stdout.write(report(results));
    if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 2));
  } finally {
    killAll();
    rmSync(tmp, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (e) {
  killAll();
  process.stderr.write(`attack-bench: ${e.stack ?? e}\n`);
  process.exitCode = 1;
}
