#!/usr/bin/env node
// Serving-plane benchmark (issue #3): Gatehouse's `serve` against nginx from Debian, in one script,
// alternating the servers run by run. Usage (as root: it installs missing Debian packages):
//
//   node bench/serve-bench.mjs                 # the whole table, ~12-14 minutes on 2 cores
//   node bench/serve-bench.mjs --profile       # CPU profiles of `serve --workers 1` under each load + what-ifs
//   node bench/serve-bench.mjs --json out.json # also write every raw run as JSON
//
// Environment: BENCH_RUNS (3), BENCH_SECS (10), BENCH_WARM (2), BENCH_NAMES (1000),
// BENCH_10K=1 (also seed 10,000 certificates for memory and start-up time; adds a few minutes),
// BENCH_QUICK=1 (1 run of 3 s, 100 names: to try the script, not for figures),
// BENCH_ONLY=ecdsa1,rsa1,sni (only those configurations), BENCH_PORT (18443; nginx on BENCH_PORT + 2),
// BENCH_SERVERS=gatehouse,gatehouse-w1,gatehouse-w2,nginx (which servers, in that order; gatehouse-wN is
// `serve --workers N`, gatehouse is the default count; default: gatehouse,nginx,gatehouse-w1).
//
// What runs (see bench/README.md, "Serving plane"):
// - servers: nginx (worker_processes 2, its own config in a temp dir, not the system service),
//   Gatehouse `serve` with its default worker count, and Gatehouse `serve --workers 1` (when the
//   CLI has --workers); every server gets the same certificate and key files (made with openssl,
//   imported into Gatehouse with the core's `certificates.import`) and serves the same 1 KiB
//   index.html from disk; access logs are ON for both (one file per site, each server's own format);
// - loads: hsclient (bench-kit; full TLS 1.3 handshakes, -c 50 -t 1) with an ECDSA P-256 and an
//   RSA-2048 certificate and with SNI rotating over 1,000 names (-r 1000 -V, each name its own
//   certificate); h2load --h1 -c 50 -t 1 and h2load -c 50 -m 10 -t 1 (keep-alive HTTP/1.1, HTTP/2);
// - every run: warm-up, then the measured window; server CPU (utime+stime of the server's whole
//   process tree from /proc) over the measured window; RSS and PSS summed over the tree, idle and
//   after the loads; time from spawning the server to the first successful handshake.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg, availableParallelism } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { topFunctions } from './lib/profile.mjs';
import { childEnv, firstHandshake, have, killTree, median, memory, portTaken, sleep, stopServer as stopTree, tree, aptInstall } from './lib/procs.mjs';
import { NGINX, buildHsclient, distStamp as distStampOf, h2Load as h2LoadWith, hsLoad as hsLoadWith, machine as machineOf, makeCertificates, missingServingPackages, nginxConfig as nginxConfigFor, seedGatehouse as seedGatehouseAt, writeIndex } from './lib/serving.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const GH_BIN = join(repo, 'bin', 'gatehouse');
const GH_ENTRY = join(repo, 'dist', 'src', 'cli', 'entry.js');
const KIT = process.env.BENCH_KIT ?? '/work/shared/bench-kit';
const args = process.argv.slice(2);
const PROFILE = args.includes('--profile');
const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
const QUICK = process.env.BENCH_QUICK === '1';
const RUNS = Number(process.env.BENCH_RUNS ?? (QUICK ? 1 : 3));
const SECS = Number(process.env.BENCH_SECS ?? (QUICK ? 3 : 10));
const WARM = Number(process.env.BENCH_WARM ?? (QUICK ? 1 : 2));
const NAMES = Number(process.env.BENCH_NAMES ?? (QUICK ? 100 : 1000));
const TENK = process.env.BENCH_10K === '1';
const ONLY = process.env.BENCH_ONLY?.split(',');
const CONNS = 50;
// BENCH_PORT moves both servers (Gatehouse on it, nginx on it + 2) when another process holds 18443.
const PORT_GH = Number(process.env.BENCH_PORT ?? 18443);
const PORT_NGINX = PORT_GH + 2;

const t0 = Date.now();
const log = (s) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${s}\n`);
// ---------------------------------------------------------------------------------------------
// Tools

function ensurePackages() {
  const want = missingServingPackages();
  aptInstall(want, log);
}


/** The worker count `serve` picks without --workers on this machine (the compiled rule, serve/worker-pool.ts), else one per core. */
async function defaultWorkers() {
  const pool = await import(pathToFileURL(join(repo, 'dist', 'src', 'serve', 'worker-pool.js')).href);
  return typeof pool.defaultWorkerCount === 'function' ? pool.defaultWorkerCount() : availableParallelism();
}

function ghHasWorkers() {
  const r = spawnSync(GH_BIN, ['serve', '--help'], { env: childEnv, encoding: 'utf8' });
  return /--workers/.test(`${r.stdout}${r.stderr}`);
}

// ---------------------------------------------------------------------------------------------
// /proc: process trees, CPU, memory

// ---------------------------------------------------------------------------------------------
// Certificates (openssl), Gatehouse stores and nginx's configuration: lib/serving.mjs

const seedGatehouse = (dataDir, certs, root) => seedGatehouseAt(repo, dataDir, certs, root, PORT_GH);
const nginxConfig = (dir, certs, root) => nginxConfigFor(dir, certs, root, PORT_NGINX);

// ---------------------------------------------------------------------------------------------
// Servers

const live = new Set();
const stops = [];

async function startServer(kind, cfg) {
  let argv;
  let cmd;
  let port;
  if (kind.startsWith('gatehouse')) {
    cmd = GH_BIN; // a sh wrapper that execs Node 24 (node_modules/.bin/node): the PID stays the server's
    const n = /^gatehouse-w(\d+)$/.exec(kind)?.[1];
    argv = ['serve', '--data', cfg.dataDir, '--admin', 'off', ...(n ? ['--workers', n] : [])];
    port = PORT_GH;
  } else {
    cmd = NGINX();
    argv = ['-c', cfg.nginxConf, '-e', join(dirname(cfg.nginxConf), 'error.log')];
    port = PORT_NGINX;
  }
  const since = performance.now();
  const proc = spawn(cmd, argv, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  proc.on('exit', () => live.delete(proc));
  const exited = new Promise((resolve) => proc.on('exit', (code, sig) => resolve(`${kind} exited early (${sig ?? code}): ${out.slice(-2000)}`)));
  const firstMs = await Promise.race([firstHandshake(port, since), exited.then((m) => { throw new Error(m); })]);
  // Wait until every worker says it listens (cluster), at most 10 s, then let it settle.
  const wantWorkers = kind === 'gatehouse' ? cfg.ghWorkers : Number(/^gatehouse-w(\d+)$/.exec(kind)?.[1] ?? 1);
  const until = Date.now() + 10_000;
  while (kind.startsWith('gatehouse') && (out.match(/listening on https/g) ?? []).length < wantWorkers && Date.now() < until) await sleep(50);
  // nginx: the master and both workers.
  while (kind === 'nginx' && tree(proc.pid).length < 3 && Date.now() < until) await sleep(50);
  await sleep(1000);
  return { kind, proc, port, firstMs, output: () => out };
}

/** Stops a server (see lib/procs.mjs) and notes whether it stopped cleanly. */
async function stopServer(s) {
  const r = await stopTree(s);
  if (r) stops.push(r);
}

function killAll() {
  for (const p of live) killTree(p.pid, 'SIGKILL');
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => {
  killAll();
  process.exit(130);
});

// ---------------------------------------------------------------------------------------------
// Loads (lib/serving.mjs)

const hsLoad = (hsclient, server, extra) => hsLoadWith(hsclient, server, extra, { warm: WARM, secs: SECS, conns: CONNS });
const h2Load = (server, h1) => h2LoadWith(server, h1 ? 'h1' : 'h2', { warm: WARM, secs: SECS, conns: CONNS });

// ---------------------------------------------------------------------------------------------
// Machine facts (lib/serving.mjs)

const distStamp = () => distStampOf(repo);
const machine = () => machineOf(repo);

// ---------------------------------------------------------------------------------------------
// The benchmark

async function setup(tmp) {
  ensurePackages();
  const hsclient = buildHsclient(tmp, KIT);
  const root = join(tmp, 'www');
  writeIndex(root);
  const t = Date.now();
  const certs = await makeCertificates(tmp, NAMES);
  log(`openssl: CA, ${NAMES} ECDSA P-256 leaves and one RSA-2048 leaf in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  const configs = {};
  const mk = async (name, list) => {
    const dir = join(tmp, name);
    mkdirSync(dir);
    const seeded = await seedGatehouse(join(dir, 'gh'), list, root);
    const nginxConf = nginxConfig(join(dir, 'nginx'), list, root);
    log(`${name}: Gatehouse store seeded in ${(seeded.totalMs / 1000).toFixed(1)} s (imports ${(seeded.importMs / 1000).toFixed(1)} s), nginx config written`);
    configs[name] = { name, dataDir: join(dir, 'gh'), nginxConf, certs: list.length, seedMs: seeded.totalMs };
  };
  await mk('ecdsa1', [certs.ecdsa[0]]);
  await mk('rsa1', [certs.rsa]);
  await mk('sni', certs.ecdsa);
  return { hsclient, root, certs, configs };
}

async function main() {
  if (!existsSync(GH_ENTRY)) throw new Error('dist/ is missing: run "npm run build" first');
  // A server that listens with SO_REUSEPORT (Gatehouse's workers do) or on 127.0.0.1 while ours takes
  // *:port would silently take the load: refuse to measure someone else's server.
  for (const port of [PORT_GH, PORT_NGINX]) {
    if (await portTaken(port)) throw new Error(`127.0.0.1:${port} is already in use by another process: stop it, or choose other ports with BENCH_PORT=N (Gatehouse on N, nginx on N + 2)`);
  }
  const tmp = mkdtempSync(join(tmpdir(), 'gh-serve-bench-'));
  const results = { machine: null, runs: [], memory: [], starts: [], settings: { RUNS, SECS, WARM, NAMES, CONNS } };
  try {
    const env = await setup(tmp);
    results.machine = machine();
    const stampAtStart = distStamp();
    const workersFlag = ghHasWorkers();
    const servers = process.env.BENCH_SERVERS?.split(',') ?? ['gatehouse', 'nginx', ...(workersFlag ? ['gatehouse-w1'] : [])];
    const ghWorkers = workersFlag ? await defaultWorkers() : 1;
    results.settings.ghWorkers = ghWorkers;
    results.settings.servers = servers;
    const plan = [
      { config: 'ecdsa1', loads: [['ecdsa', (s) => hsLoad(env.hsclient, s, ['-s', 'site0.test'])], ['h1', (s) => h2Load(s, true)], ['h2', (s) => h2Load(s, false)]] },
      { config: 'rsa1', loads: [['rsa', (s) => hsLoad(env.hsclient, s, ['-s', 'site0.test'])]] },
      // The same SNI load twice on one server: the first run includes building Web Hosting
      // contexts lazily on first use (nginx builds all of them at start), the second is steady state.
      { config: 'sni', loads: [['sni', (s) => hsLoad(env.hsclient, s, ['-r', String(NAMES)])], ['sniwarm', (s) => hsLoad(env.hsclient, s, ['-r', String(NAMES)])]] },
    ].filter((p) => !ONLY || ONLY.includes(p.config));
    for (const step of plan) {
      const cfg = { ...env.configs[step.config], ghWorkers };
      for (let round = 1; round <= RUNS; round++) {
        for (const kind of servers) {
          let server;
          try {
            server = await startServer(kind, cfg);
            const idle = memory(server.proc.pid);
            results.starts.push({ config: step.config, server: kind, round, firstHandshakeMs: server.firstMs });
            for (const [load, fn] of step.loads) {
              const r = await fn(server);
              results.runs.push({ config: step.config, load, server: kind, round, load1: loadavg()[0], ...r });
              log(`${step.config} ${load.padEnd(5)} ${kind.padEnd(12)} round ${round}: ${Math.round(r.rate)}/s, server CPU ${r.cpuPerSec.toFixed(2)} cores${r.errors ? `, errors ${r.errors}` : ''}${r.mismatch ? `, MISMATCH ${r.mismatch}` : ''}${r.failed ? `, failed ${r.failed}` : ''}${r.non2xx ? `, non-2xx ${r.non2xx}` : ''}`);
            }
            const after = memory(server.proc.pid);
            results.memory.push({ config: step.config, server: kind, round, idle, after });
            log(`${step.config} ${kind} round ${round}: first handshake ${server.firstMs.toFixed(0)} ms; RSS idle ${idle.rssMiB.toFixed(1)} MiB (PSS ${idle.pssMiB.toFixed(1)}), after load ${after.rssMiB.toFixed(1)} MiB (PSS ${after.pssMiB.toFixed(1)}), ${after.processes} process(es)`);
          } finally {
            await stopServer(server);
          }
        }
      }
    }
    if (TENK) await tenThousand(env, tmp, results, servers, ghWorkers);
    results.machine.distChanged = distStamp() !== stampAtStart;
    results.machine.loadEnd = loadavg().map((x) => x.toFixed(2)).join(' ');
    results.machine.elapsedS = Math.round((Date.now() - t0) / 1000);
    results.stops = stops;
    process.stdout.write(report(results));
    if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 2));
  } finally {
    killAll();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Optional: 10,000 certificates — memory and start-up only (one start per server, one SNI run). */
async function tenThousand(env, tmp, results, servers, ghWorkers) {
  const dir = join(tmp, 'tenk');
  mkdirSync(dir);
  const t = Date.now();
  const more = await makeCertificates(dir, 10_000);
  log(`10k: certificates made in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  const seeded = await seedGatehouse(join(dir, 'gh'), more.ecdsa, env.root);
  const nginxConf = nginxConfig(join(dir, 'nginx'), more.ecdsa, env.root);
  log(`10k: Gatehouse store seeded in ${(seeded.totalMs / 1000).toFixed(0)} s`);
  const cfg = { name: 'tenk', dataDir: join(dir, 'gh'), nginxConf, certs: 10_000, ghWorkers };
  for (const kind of servers) {
    let server;
    try {
      server = await startServer(kind, cfg);
      const idle = memory(server.proc.pid);
      results.starts.push({ config: 'tenk', server: kind, round: 1, firstHandshakeMs: server.firstMs });
      const r = await hsLoad(env.hsclient, server, ['-r', '10000']);
      results.runs.push({ config: 'tenk', load: 'sni10k', server: kind, round: 1, ...r });
      const after = memory(server.proc.pid);
      results.memory.push({ config: 'tenk', server: kind, round: 1, idle, after });
      log(`10k ${kind}: first handshake ${server.firstMs.toFixed(0)} ms, ${Math.round(r.rate)} hs/s, RSS idle ${idle.rssMiB.toFixed(0)} MiB, after ${after.rssMiB.toFixed(0)} MiB`);
    } finally {
      await stopServer(server);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '–');

function report(res) {
  const { runs, memory: mem, starts, machine: m, settings } = res;
  const label = { nginx: 'nginx (2 workers)', gatehouse: `Gatehouse serve (default: ${settings.ghWorkers} worker${settings.ghWorkers > 1 ? 's' : ''})` };
  for (const s of settings.servers) label[s] ??= `Gatehouse serve --workers ${/^gatehouse-w(\d+)$/.exec(s)?.[1]}`;
  const loads = [['ecdsa', 'ECDSA new conn/s'], ['rsa', 'RSA-2048 new conn/s'], ['sni', `SNI over ${fmt(settings.NAMES)} names (1st run)`], ['sniwarm', 'SNI, 2nd run (steady state)'], ['h1', 'HTTP/1.1 keep-alive req/s'], ['h2', 'HTTP/2 req/s']];
  const pick = (server, load) => runs.filter((r) => r.server === server && r.load === load);
  loads.splice(0, loads.length, ...loads.filter(([l]) => runs.some((r) => r.load === l)));
  const med = (server, load, key) => median(pick(server, load).map((r) => r[key]));
  const range = (server, load) => {
    const v = pick(server, load).map((r) => r.rate).filter(Number.isFinite);
    return v.length > 1 ? ` (${fmt(Math.min(...v))}–${fmt(Math.max(...v))})` : '';
  };
  let md = `\n### Throughput (median of ${settings.RUNS} × ${settings.SECS} s after ${settings.WARM} s warm-up; min–max in brackets)\n\n`;
  md += `| server | ${loads.map((l) => l[1]).join(' | ')} |\n|---|${loads.map(() => '---:').join('|')}|\n`;
  for (const s of settings.servers) md += `| ${label[s]} | ${loads.map(([l]) => `${fmt(med(s, l, 'rate'))}${range(s, l)}`).join(' | ')} |\n`;
  md += `\n### Server CPU during the measured window (cores busy) and work per server core-second\n\n`;
  md += `| server | ${loads.map((l) => l[1]).join(' | ')} |\n|---|${loads.map(() => '---:').join('|')}|\n`;
  for (const s of settings.servers) md += `| ${label[s]} | ${loads.map(([l]) => `${fmt(med(s, l, 'cpuPerSec'), 2)} cores → ${fmt(med(s, l, 'perCore'))}/core-s`).join(' | ')} |\n`;
  md += `\n### Ratios to nginx (medians)\n\n| server | ${loads.map((l) => l[1]).join(' | ')} |\n|---|${loads.map(() => '---:').join('|')}|\n`;
  const base = settings.servers.includes('nginx') ? 'nginx' : settings.servers.find((x) => x === 'gatehouse-w1');
  if (base !== 'nginx') md = md.replace('### Ratios to nginx (medians)', `### Ratios to ${label[base] ?? '?'} (medians)`);
  for (const s of settings.servers.filter((x) => x !== base)) {
    md += `| ${label[s]} | ${loads.map(([l]) => `${fmt(med(s, l, 'rate') / med(base, l, 'rate'), 2)}× (per core-s ${fmt(med(s, l, 'perCore') / med(base, l, 'perCore'), 2)}×)`).join(' | ')} |\n`;
  }
  const cfgName = { ecdsa1: '1 certificate', sni: `${fmt(settings.NAMES)} certificates`, tenk: '10,000 certificates', rsa1: '1 RSA certificate' };
  md += `\n### Memory (RSS / PSS summed over the server's processes, MiB, median) and start-up\n\n`;
  md += `| server | configuration | processes | idle RSS | idle PSS | after load RSS | after load PSS | spawn → first handshake |\n|---|---|---:|---:|---:|---:|---:|---:|\n`;
  for (const c of ['ecdsa1', 'sni', 'tenk']) {
    for (const s of settings.servers) {
      const rows = mem.filter((r) => r.config === c && r.server === s);
      if (rows.length === 0) continue;
      const st = starts.filter((r) => r.config === c && r.server === s).map((r) => r.firstHandshakeMs);
      md += `| ${label[s]} | ${cfgName[c]} | ${rows[0].after.processes} | ${fmt(median(rows.map((r) => r.idle.rssMiB)), 1)} | ${fmt(median(rows.map((r) => r.idle.pssMiB)), 1)} | ${fmt(median(rows.map((r) => r.after.rssMiB)), 1)} | ${fmt(median(rows.map((r) => r.after.pssMiB)), 1)} | ${fmt(median(st))} ms |\n`;
    }
  }
  const tenk = runs.filter((r) => r.load === 'sni10k');
  if (tenk.length) md += `\nSNI over 10,000 names (one run each): ${tenk.map((r) => `${label[r.server]} ${fmt(r.rate)}/s (mismatch ${r.mismatch})`).join('; ')}.\n`;
  const bad = runs.filter((r) => r.errors > 0 || r.mismatch > 0 || r.failed > 0 || r.non2xx > 0);
  md += `\nChecks: ${runs.length} runs; ${bad.length === 0 ? 'no errors, no failed requests, no non-2xx answers, mismatch=0 everywhere' : bad.map((r) => `${r.server} ${r.load} round ${r.round}: errors=${r.errors ?? 0} mismatch=${r.mismatch ?? 0} failed=${r.failed ?? 0} non2xx=${r.non2xx ?? 0}`).join('; ')}. `;
  const infos = [...new Set(runs.filter((r) => r.info).map((r) => `${r.load}/${r.server.startsWith('g') ? 'Gatehouse' : 'nginx'}: ${r.info}`))];
  md += `Negotiated: ${infos.join('; ')}. h2load ALPN: ${[...new Set(runs.filter((r) => r.proto).map((r) => `${r.load}=${r.proto}`))].join(', ')}.\n`;
  const stopText = settings.servers.map((sv) => {
    const st = (res.stops ?? []).filter((x) => x.server === sv);
    return `${label[sv]} ${st.filter((x) => x.clean).length}/${st.length}`;
  }).join(', ');
  const l1 = runs.map((r) => r.load1).filter(Number.isFinite);
  if (l1.length) md += `1-minute load average at the end of each run: ${fmt(Math.min(...l1), 2)}–${fmt(Math.max(...l1), 2)} (median ${fmt(median(l1), 2)}; this script alone keeps it near 1.5–2). `;
  md += `Clean exits within 4 s of SIGTERM (otherwise the tree was killed; stop time is not measured): ${stopText}.\n`;
  if (m.distChanged) md += `\n**WARNING: dist/ was rebuilt during this run: the Gatehouse figures mix two versions of the code. Run again.**\n`;
  md += `\nMachine: ${m.date}, ${m.cpu}, nproc ${m.nproc}, ${m.memGiB} GiB, Linux ${m.kernel}; Node ${m.node} (OpenSSL ${m.nodeOpenssl}); ${m.openssl}; nginx ${m.nginx}; ${m.h2load}; hsclient built with gcc ${m.gcc}; Gatehouse ${m.commit}; load average at start ${m.load}, at the end ${m.loadEnd}; whole run ${m.elapsedS} s.\n`;
  return md;
}

// ---------------------------------------------------------------------------------------------
// --profile: where the time of `serve --workers 1` goes under each load

async function profile() {
  if (!existsSync(GH_ENTRY)) throw new Error('dist/ is missing: run "npm run build" first');
  const tmp = mkdtempSync(join(tmpdir(), 'gh-serve-prof-'));
  try {
    const env = await setup(tmp);
    const cfg = env.configs.ecdsa1;
    const loads = [['ecdsa', (s) => hsLoad(env.hsclient, s, ['-s', 'site0.test'])], ['h1', (s) => h2Load(s, true)], ['h2', (s) => h2Load(s, false)], ['sni', (s) => hsLoad(env.hsclient, s, ['-r', String(NAMES)])]];
    const workers = ghHasWorkers() ? ['--workers', '1'] : [];
    // What-if: the same server with the access log's write() turned into a no-op (a preload that
    // patches the compiled AccessLogs class; src/ is untouched).
    const noLog = join(tmp, 'no-access-log.mjs');
    writeFileSync(noLog, `const m = await import(${JSON.stringify(pathToFileURL(join(repo, 'dist/src/serve/access-log.js')).href)});\nm.AccessLogs.prototype.write = function () {};\n`);
    let out = '';
    for (const [load, fn] of loads) {
      const c = load === 'sni' ? env.configs.sni : cfg;
      for (const variant of ['profile', 'no-access-log']) {
        const profDir = join(tmp, `prof-${load}-${variant}`);
        const nodeArgs = variant === 'profile' ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : ['--import', noLog];
        const since = performance.now();
        const proc = spawn(process.execPath, [...nodeArgs, GH_ENTRY, 'serve', '--data', c.dataDir, '--admin', 'off', ...workers], { env: childEnv, stdio: 'ignore' });
        live.add(proc);
        proc.on('exit', () => live.delete(proc));
        const server = { kind: 'gatehouse-w1', proc, port: PORT_GH, firstMs: await firstHandshake(PORT_GH, since) };
        await sleep(1000);
        let r;
        try {
          r = await fn(server);
        } finally {
          await stopServer(server);
        }
        log(`${load} ${variant}: ${Math.round(r.rate)}/s, server CPU ${r.cpuPerSec.toFixed(2)} cores`);
        if (variant === 'profile') {
          const files = existsSync(profDir) ? readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')) : [];
          out += `\n## ${load}: ${Math.round(r.rate)}/s under the profiler (server CPU ${r.cpuPerSec.toFixed(2)} cores)\n`;
          out += files.length ? topFunctions(join(profDir, files[0]), 25) : '(no profile written)';
          out += '\n';
        } else {
          out += `what-if, access log write() as a no-op: ${Math.round(r.rate)}/s (server CPU ${r.cpuPerSec.toFixed(2)} cores)\n`;
        }
      }
    }
    process.stdout.write(out);
  } finally {
    killAll();
    rmSync(tmp, { recursive: true, force: true });
  }
}

try {
  await (PROFILE ? profile() : main());
} catch (e) {
  killAll();
  process.stderr.write(`serve-bench: ${e.stack ?? e}\n`);
  process.exitCode = 1;
}
