#!/usr/bin/env node
// TLS contexts with many SNI names (issue #12, item 4): two builds of Gatehouse side by side on one
// store of N certificates (default 1,000), each with its own site and SNI binding, alternating the
// builds run by run. Usage:
//
//   node bench/context-bench.mjs OTHER_REPO [--json out.json]
//
// OTHER_REPO is another checkout with its own `dist/` (say `git archive main | tar -x -C /tmp/base`,
// node_modules linked, `tsc -p .`); this repository's `dist/` is the other build. Environment:
// BENCH_RUNS (3), BENCH_NAMES (1000), BENCH_WORKERS (1; `default` = serve's own default),
// BENCH_SECS (5), BENCH_PORT (19443).
//
// Each run starts `serve` fresh on the same data directory and measures, in this order:
// 1. spawn → first handshake (SNI site0.test);
// 2. the first handshake of 200 names no client asked for yet (site500.test … site699.test), one
//    after another from this process, started 1 s after the first handshake: each one's latency
//    (median, 90th percentile) — before the change every one of them builds its context on the event
//    loop of the handshake; after it, they were warmed in the background meanwhile;
// 3. hsclient -r N -c 50 for BENCH_SECS with no warm-up (a fresh rate: contexts not yet asked for);
// 4. the same again (steady state).
// Server CPU (utime + stime of the process tree from /proc) is taken over 3 and 4: CPU per handshake.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect as tlsConnect } from 'node:tls';
import { childEnv, cpuSeconds, firstHandshake, median, memory, sleep, stopServer } from './lib/procs.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const other = process.argv[2] && resolve(process.argv[2]);
if (!other) {
  console.error('usage: node bench/context-bench.mjs OTHER_REPO [--json out.json]');
  process.exit(2);
}
const args = process.argv.slice(3);
const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const NAMES = Number(process.env.BENCH_NAMES ?? 1000);
const WORKERS = process.env.BENCH_WORKERS ?? '1';
const SECS = Number(process.env.BENCH_SECS ?? 5);
const PORT = Number(process.env.BENCH_PORT ?? 19443);
const KIT = process.env.BENCH_KIT ?? '/work/shared/bench-kit';
const t0 = Date.now();
const log = (s) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${s}\n`);

const builds = [{ label: 'other', dir: other }, { label: 'this', dir: repo }];

function handshake(servername) {
  return new Promise((resolveHs, reject) => {
    const since = performance.now();
    const s = tlsConnect({ host: '127.0.0.1', port: PORT, servername, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
      const ms = performance.now() - since;
      const cn = s.getPeerCertificate().subject?.CN;
      s.destroy();
      if (cn !== servername) reject(new Error(`${servername}: got the certificate of ${cn}`));
      else resolveHs(ms);
    });
    s.on('error', reject);
  });
}

function hsclient(bin, serverPid) {
  return new Promise((resolveRun) => {
    const cpu0 = cpuSeconds(serverPid);
    const p = spawn(bin, ['-a', '127.0.0.1', '-p', String(PORT), '-c', '50', '-t', '1', '-d', String(SECS), '-w', '0', '-V', '-r', String(NAMES)], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('exit', () => {
      const cpu = cpuSeconds(serverPid) - cpu0;
      const kv = Object.fromEntries([...out.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
      const rate = Number(kv.hs_per_s);
      resolveRun({ rate, cpu, cpuPerHsUs: (cpu / (rate * SECS)) * 1e6, errors: Number(kv.errors), mismatch: Number(kv.mismatch) });
    });
  });
}

async function main() {
  const tmp = mkdtempSync(join(tmpdir(), 'gh-context-bench-'));
  const live = [];
  try {
    const hs = join(tmp, 'hsclient');
    execFileSync('gcc', ['-O2', '-o', hs, join(KIT, 'hsclient.c'), '-lssl', '-lcrypto', '-lpthread'], { stdio: 'inherit' });
    const data = join(tmp, 'data');
    const www = join(tmp, 'www');
    mkdirSync(www);
    writeFileSync(join(www, 'index.html'), 'bench\n');
    execFileSync(process.execPath, [join(repo, 'bench', 'seed-store.mjs'), data, String(NAMES)], { stdio: 'inherit', env: childEnv });
    execFileSync(process.execPath, [join(repo, 'bench', 'seed-sites.mjs'), data, String(PORT), www], { stdio: 'inherit', env: childEnv });
    const runs = [];
    for (let round = 1; round <= RUNS; round++) {
      const order = round % 2 === 1 ? builds : [...builds].reverse();
      for (const b of order) {
        const since = performance.now();
        const argv = [join(b.dir, 'dist', 'src', 'cli', 'entry.js'), 'serve', '--data', data, '--admin', 'off', ...(WORKERS === 'default' ? [] : ['--workers', WORKERS])];
        const proc = spawn(process.execPath, argv, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
        live.push(proc);
        let out = '';
        proc.stdout.on('data', (d) => (out += d));
        proc.stderr.on('data', (d) => (out += d));
        const server = { proc, kind: b.label };
        try {
          const firstMs = await firstHandshake(PORT, since, 30_000).catch((e) => {
            throw new Error(`${e.message}; the server said: ${out.slice(-2000)}`);
          });
          await sleep(1000);
          const lat = [];
          for (let i = 500; i < 700; i++) lat.push(await handshake(`site${i}.test`));
          lat.sort((x, y) => x - y);
          const fresh = await hsclient(hs, proc.pid);
          const warm = await hsclient(hs, proc.pid);
          const mem = memory(proc.pid);
          const r = { build: b.label, round, firstMs, latMedianMs: median(lat), latP90Ms: lat[Math.floor(lat.length * 0.9)], fresh, warm, rssMiB: mem.rssMiB, load1: loadavg()[0] };
          runs.push(r);
          log(`${b.label.padEnd(5)} round ${round}: first handshake ${firstMs.toFixed(0)} ms; new names ${r.latMedianMs.toFixed(2)} / p90 ${r.latP90Ms.toFixed(2)} ms; fresh ${fresh.rate.toFixed(0)}/s ${fresh.cpuPerHsUs.toFixed(0)} µs CPU/hs; warm ${warm.rate.toFixed(0)}/s ${warm.cpuPerHsUs.toFixed(0)} µs CPU/hs; RSS ${mem.rssMiB.toFixed(0)} MiB; errors ${fresh.errors + warm.errors}, mismatch ${fresh.mismatch + warm.mismatch}; load ${r.load1.toFixed(1)}`);
        } finally {
          await stopServer(server);
        }
      }
    }
    const rows = builds.map((b) => {
      const mine = runs.filter((r) => r.build === b.label);
      const m = (f) => median(mine.map(f));
      return { build: b.label, dir: b.dir, firstMs: m((r) => r.firstMs), latMedianMs: m((r) => r.latMedianMs), latP90Ms: m((r) => r.latP90Ms),
        fresh: m((r) => r.fresh.rate), freshCpuUs: m((r) => r.fresh.cpuPerHsUs), warm: m((r) => r.warm.rate), warmCpuUs: m((r) => r.warm.cpuPerHsUs), rssMiB: m((r) => r.rssMiB) };
    });
    const f = (x, d = 0) => x.toFixed(d);
    let md = `| build | spawn → first handshake (ms) | first handshake of a new name, median / p90 (ms) | fresh hs/s | fresh server CPU µs/hs | steady hs/s | steady server CPU µs/hs | RSS after (MiB) |\n|---|---:|---:|---:|---:|---:|---:|---:|\n`;
    for (const r of rows) md += `| ${r.build} (${r.dir}) | ${f(r.firstMs)} | ${f(r.latMedianMs, 2)} / ${f(r.latP90Ms, 2)} | ${f(r.fresh)} | ${f(r.freshCpuUs)} | ${f(r.warm)} | ${f(r.warmCpuUs)} | ${f(r.rssMiB)} |\n`;
    md += `\n${RUNS} rounds alternating, medians; ${NAMES} names, workers ${WORKERS}, ${SECS} s per hsclient run; node ${process.version}; load average at the end ${loadavg().map((x) => x.toFixed(2)).join(' ')}.\n`;
    process.stdout.write(md);
    if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ runs, rows }, null, 2));
  } finally {
    for (const p of live) if (p.exitCode === null) p.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
