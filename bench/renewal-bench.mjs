#!/usr/bin/env node
// Renewal at scale (issue #11, "Performance"): N certificates from pebble renewed by `serve`'s
// scheduler, while a busy site is being served; compared with the same load without renewals.
//
//   npm run bench:renewal                        # = npm run build && node bench/renewal-bench.mjs
//   BENCH_N=200 node bench/renewal-bench.mjs --json out.json
//
// Environment: BENCH_N (1000 certificates), BENCH_CONCURRENCY (8 issuances at once in the set-up),
// BENCH_WORKERS (2 serving processes), BENCH_LOAD_SECS (20: each load window without renewals),
// BENCH_TIMEOUT_MIN (60: the renewals' bound).
//
// Everything is on 127.0.0.1: Debian's pebble (PEBBLE_VA_NOSLEEP=1, real HTTP-01 validation: pebble's VA
// fetches every challenge from serve's http listener; pebble-challtestsrv resolves every name to
// 127.0.0.1) behind test/support/ari-proxy.ts, which adds ACME Renewal Information and counts every
// request the CA gets (by method and path).
//   set-up     an ACME account; N certificates for h0.bench.test … h{N-1}.bench.test issued through
//              AcmeManager (from this process, BENCH_CONCURRENCY at once; serve answers HTTP-01);
//              N sites, each with an SNI binding https *:PORT for its name and its certificate
//              (site0 also has the non-SNI binding: the busy site).
//   baseline   serve (BENCH_WORKERS workers, no renewal scheduler); h2load, HTTP/2, 4 connections at
//              50 requests/s each (200/s offered) for GET /index.html (1 KiB) of site0 for BENCH_LOAD_SECS.
//   renewals   the ARI window of every certificate is moved into the past; serve restarts with
//              `--renew-every 1`: its scheduler reads the windows and renews every certificate, one
//              verified transaction each (order with `replaces`, HTTP-01, finalize, move, wait for every
//              serving process, probe, commit). h2load runs in back-to-back windows until every
//              certificate is renewed. Per renewal: the wall time (between consecutive "renewed" log
//              lines: the renewals run one after another) and what the scheduler logs: the ms from the
//              store change that moved the uses until every serving process served it, and the probes' ms.
//   after      the same load for BENCH_LOAD_SECS on the same serve, the scheduler idle.
// serve's RSS (summed over its processes) before the renewals and after them.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { cpus, totalmem, loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { childEnv, have, median, memory, sleep } from './lib/procs.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;
const { Pebble } = await import(dist('test/support/pebble.js'));
const { AriProxy } = await import(dist('test/support/ari-proxy.js'));
const { freePorts, ghAsync, startServe, tmpDir } = await import(dist('test/support/cli.js'));
const { openGatehouse } = await import(dist('src/lifecycle/gatehouse.js'));
const { openStore } = await import(dist('src/lifecycle/open-store.js'));

const args = process.argv.slice(2);
const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
const N = Number(process.env.BENCH_N ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const WORKERS = String(process.env.BENCH_WORKERS ?? 2);
const LOAD_SECS = Number(process.env.BENCH_LOAD_SECS ?? 20);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MIN ?? 60) * 60_000;
const GOOD = { conns: 4, rps: 50 };
const host = (i) => `h${i}.bench.test`;
const log = (line) => console.error(`[renewal-bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
const pct = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
};
const round = (x, d = 0) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null);

for (const cmd of ['h2load', 'pebble', 'pebble-challtestsrv', 'openssl']) {
  if (!have(cmd)) throw new Error(`${cmd} is missing: apt-get install -y nghttp2-client pebble openssl (scripts/test-deps.sh)`);
}

/** h2load (the busy site's clients) for `secs` seconds: the latencies (ms) of the 200 answers and the failures. */
function load(port, secs, logFile) {
  return new Promise((resolve) => {
    const argv = ['-c', String(GOOD.conns), '-m', '1', '-t', '1', `--rps=${GOOD.rps}`, '-D', String(secs), `--log-file=${logFile}`, `https://127.0.0.1:${port}/index.html`];
    const p = spawn('h2load', argv, { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const killer = setTimeout(() => p.kill('SIGKILL'), (secs + 30) * 1000);
    p.on('exit', () => {
      clearTimeout(killer);
      const lat = existsSync(logFile)
        ? readFileSync(logFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => l.split('\t')).filter((f) => f[1] === '200').map((f) => Number(f[2]) / 1000)
        : [];
      rmSync(logFile, { force: true });
      const req = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out);
      resolve({ secs, lat, failed: req ? Number(req[5]) + Number(req[6]) + Number(req[7]) : NaN });
    });
  });
}

function summary(windows) {
  const lat = windows.flatMap((w) => w.lat);
  const secs = windows.reduce((a, w) => a + w.secs, 0);
  return { secs, requests: lat.length, rate: round(lat.length / secs, 1), p50: round(pct(lat, 0.5), 2), p99: round(pct(lat, 0.99), 2), max: round(lat.reduce((a, b) => Math.max(a, b), -Infinity), 1), failed: windows.reduce((a, w) => a + w.failed, 0) };
}

function requestsSince(proxy, before) {
  const out = {};
  for (const [k, v] of proxy.requests) if (v - (before.get(k) ?? 0) > 0) out[k] = v - (before.get(k) ?? 0);
  return out;
}

function machine() {
  const sh = (c) => {
    try {
      return execFileSync('sh', ['-c', c], { encoding: 'utf8' }).trim();
    } catch {
      return '?';
    }
  };
  return {
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`, memGiB: round(totalmem() / 2 ** 30, 1), kernel: sh('uname -r'), node: process.version,
    pebble: sh("dpkg-query -W -f='${Version}' pebble"), h2load: sh('h2load --version').split('\n')[0],
    commit: sh(`git -C ${repo} rev-parse --short HEAD`), load: loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}

const [HTTP, HTTPS] = await freePorts(2);
const pebble = await Pebble.start({ httpPort: HTTP, tlsPort: HTTPS });
const proxy = await AriProxy.start(pebble.directory, pebble.caFile);
const data = tmpDir('gh-renewal-bench-');
const web = join(data, 'www');
mkdirSync(web);
writeFileSync(join(web, 'index.html'), `${'x'.repeat(1023)}\n`);
let serve;
let g;
const result = { date: new Date().toISOString(), settings: { N, CONCURRENCY, WORKERS, LOAD_SECS, good: GOOD }, machine: machine() };
try {
  const cli = async (argv) => {
    const r = await ghAsync(data, argv);
    if (r.code !== 0) throw new Error(`gatehouse ${argv.join(' ')}: ${r.stderr}`);
    return r;
  };
  await cli(['acme', 'account', 'add', 'bench', '--directory', proxy.directory, '--email', 'bench@example.com', '--agree-tos', '--directory-ca', proxy.caBundle]);
  await cli(['cert', 'import', '--store', 'root', '--file', await pebble.rootFile()]);
  await cli(['site', 'add', 'acme-http', '--root', web]);
  await cli(['binding', 'add', 'acme-http', '--protocol', 'http', '--port', String(HTTP)]);

  // Set-up: N certificates through ACME, CONCURRENCY at once, serve answering HTTP-01.
  serve = await startServe(data, [`http *:${HTTP}`], ['--workers', WORKERS, '--renew-every', '0']);
  g = openGatehouse({ dataDir: data, actor: { name: 'bench', origin: 'system' } });
  const thumbs = new Array(N);
  const setupBefore = new Map(proxy.requests);
  const setupStart = performance.now();
  let next = 0;
  let done = 0;
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, N) }, async () => {
    while (next < N) {
      const i = next++;
      const r = await g.requests.create({ cn: host(i), sans: [], keyType: 'ecdsa-p256', exportable: false, friendlyName: `bench ${i}` });
      thumbs[i] = (await g.acme.issue(r.id, 'bench', { challenge: 'http-01' })).thumbprint;
      if (++done % 50 === 0) log(`set-up: ${done}/${N} issued`);
    }
  }));
  const setupMs = performance.now() - setupStart;
  result.setup = { seconds: round(setupMs / 1000, 1), perSecond: round(N / (setupMs / 1000), 2), caRequests: requestsSince(proxy, setupBefore) };
  log(`set-up: ${N} certificates issued in ${result.setup.seconds} s`);
  await serve.stop();

  // N sites with an SNI binding each (one store change, as bench/seed-sites.mjs does).
  const store = openStore({ dataDir: data, actor: { name: 'bench', origin: 'system' } });
  store.change(
    () => ({ action: 'bench.renewal-sites', target: `${N} sites`, after: { port: HTTPS } }),
    () => {
      const bindings = [];
      for (let i = 0; i < N; i++) {
        store.sites.insert({ name: `site${i}`, state: 'started', content: { kind: 'static', root: web }, httpsRedirect: false, hsts: false, logFormat: 'w3c', created: new Date().toISOString() });
        bindings.push({ site: `site${i}`, protocol: 'https', ip: '*', port: HTTPS, host: host(i), sni: true, certificate: thumbs[i] });
        if (i === 0) bindings.push({ site: 'site0', protocol: 'https', ip: '*', port: HTTPS, host: '', sni: false, certificate: thumbs[0] });
      }
      store.sites.replaceBindings([...store.sites.bindings(), ...bindings]);
    },
  );
  store.close();
  const listening = [`http *:${HTTP}`, `https *:${HTTPS}`];

  // Baseline: the same load, no renewal scheduler.
  serve = await startServe(data, listening, ['--workers', WORKERS, '--renew-every', '0']);
  await sleep(2000);
  result.rssIdleMiB = round(memory(serve.child.pid).rssMiB);
  log(`baseline: ${LOAD_SECS} s of load`);
  result.baseline = summary([await load(HTTPS, LOAD_SECS, join(data, 'h2load.log'))]);
  await serve.stop();

  // Every certificate due: its ARI window in the past.
  const past = { start: new Date(Date.now() - 2 * 86_400_000), end: new Date(Date.now() - 86_400_000) };
  for (const t of thumbs) proxy.windows.set(g.acme.sourceOf(t).ariId, past);
  const renewBefore = new Map(proxy.requests);
  const renewStart = performance.now();
  serve = await startServe(data, listening, ['--workers', WORKERS, '--renew-every', '1']);
  const rssBefore = memory(serve.child.pid).rssMiB;
  const renewed = new Map(); // certificate index → { at, took, appliedMs, probeMs }
  const starts = new Map(); // certificate index → when serve logged "renewing" for it
  const failures = [];
  // serve's output line by line, each stamped when it arrives (the scheduler logs one line when it
  // starts a renewal and one when it ends).
  let partial = '';
  serve.child.stdout.on('data', (d) => {
    const at = performance.now();
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop();
    for (const line of lines) {
      const due = /"bench (\d+)" \(acme:bench\) is due since .*; renewing/.exec(line);
      if (due) {
        starts.set(Number(due[1]), at);
        continue;
      }
      const m = /renewal \d+: "bench (\d+)" (renewed|rolled-back|failed)[^:]*:(.*?)(?: \(applied by every serving process in (\d+) ms(?:, probed in (\d+) ms)?\))?$/.exec(line);
      if (!m) {
        if (/could not be renewed/.test(line)) failures.push(line);
        continue;
      }
      const i = Number(m[1]);
      if (m[2] === 'renewed') renewed.set(i, { at, took: at - (starts.get(i) ?? NaN), appliedMs: m[4] ? Number(m[4]) : null, probeMs: m[5] ? Number(m[5]) : null });
      else failures.push(line);
    }
  });
  const windows = [];
  const loading = (async () => {
    while (renewed.size + failures.length < N && performance.now() - renewStart < TIMEOUT_MS) windows.push(await load(HTTPS, 15, join(data, 'h2load.log')));
  })();
  let lastLog = 0;
  while (renewed.size + failures.length < N && performance.now() - renewStart < TIMEOUT_MS) {
    await sleep(100);
    if (renewed.size - lastLog >= 50) {
      lastLog = renewed.size;
      log(`renewals: ${renewed.size}/${N} (${failures.length} failed) after ${round((performance.now() - renewStart) / 1000)} s`);
    }
  }
  const renewMs = performance.now() - renewStart;
  await loading;
  const rssAfter = memory(serve.child.pid).rssMiB;
  const caRequests = requestsSince(proxy, renewBefore);
  const total = Object.values(caRequests).reduce((a, b) => a + b, 0);
  const times = [...renewed.values()].sort((a, b) => a.at - b.at);
  const firstAt = times[0]?.at ?? NaN;
  const walls = times.slice(1).map((t, i) => t.at - times[i].at);
  const took = times.map((t) => t.took).filter(Number.isFinite);
  // Before the move: the order, the HTTP-01 challenge published and validated, finalize, the certificate stored.
  const beforeMove = times.filter((t) => Number.isFinite(t.took) && t.appliedMs !== null && t.probeMs !== null).map((t) => t.took - t.appliedMs - t.probeMs);
  const applied = times.map((t) => t.appliedMs).filter((x) => x !== null);
  const probes = times.map((t) => t.probeMs).filter((x) => x !== null);
  // What the store says: every old certificate replaced.
  const replaced = new Set(g.renewals.latest ? [...g.renewals.latest().entries()].filter(([, r]) => r.outcome === 'renewed').map(([t]) => t) : []);
  result.renewals = {
    renewed: renewed.size, failed: failures.length, failures: failures.slice(0, 5), replacedInStore: thumbs.filter((t) => replaced.has(t)).length,
    totalSeconds: round(renewMs / 1000, 1), untilFirstSeconds: round((firstAt - renewStart) / 1000, 1),
    perRenewalMs: { median: round(median(walls)), p95: round(pct(walls, 0.95)) },
    renewalMs: { median: round(median(took)), p95: round(pct(took, 0.95)) },
    beforeMoveMs: { median: round(median(beforeMove)), p95: round(pct(beforeMove, 0.95)) },
    appliedMs: { median: round(median(applied)), p95: round(pct(applied, 0.95)), max: round(applied.reduce((a, b) => Math.max(a, b), -Infinity)) },
    probeMs: { median: round(median(probes)), p95: round(pct(probes, 0.95)) },
    caRequests, caRequestsPerCertificate: round(total / Math.max(1, renewed.size), 2),
    rssMiB: { before: round(rssBefore), after: round(rssAfter) },
  };
  result.during = summary(windows);
  log(`after: ${LOAD_SECS} s of load`);
  result.after = summary([await load(HTTPS, LOAD_SECS, join(data, 'h2load.log'))]);
  result.rssAfterLoadMiB = round(memory(serve.child.pid).rssMiB);
  result.ratio = { rate: round(result.during.rate / result.baseline.rate, 3), p50: round(result.during.p50 / result.baseline.p50, 2), p99: round(result.during.p99 / result.baseline.p99, 2) };
} finally {
  await serve?.stop().catch(() => undefined);
  g?.close();
  await proxy.stop();
  await pebble.stop();
}

const r = result;
const rr = r.renewals;
const perCert = Object.entries(rr.caRequests).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${round(v / Math.max(1, rr.renewed), 2)}`).join(', ');
console.log(`### Renewal at scale: ${N} certificates (${r.date.slice(0, 10)}, commit ${r.machine.commit})

Machine: ${r.machine.cpu}, ${r.machine.memGiB} GiB, kernel ${r.machine.kernel}, Node ${r.machine.node}, pebble ${r.machine.pebble}, ${r.machine.h2load}; load average at start ${r.machine.load}.
Set-up: ${N} certificates issued through ACME (HTTP-01, ${CONCURRENCY} at once) in ${r.setup.seconds} s (${r.setup.perSecond}/s).

| | value |
|---|---:|
| certificates renewed (failed) | ${rr.renewed} (${rr.failed}); replaced in the store: ${rr.replacedInStore} |
| total time, serve start → last renewal | ${rr.totalSeconds} s (first renewal after ${rr.untilFirstSeconds} s) |
| per renewal (wall, one after another): median / p95 | ${rr.perRenewalMs.median} / ${rr.perRenewalMs.p95} ms |
| one renewal, "renewing" → "renewed" log lines: median / p95 | ${rr.renewalMs.median} / ${rr.renewalMs.p95} ms |
| of which before the move (order, HTTP-01, finalize, store): median / p95 | ${rr.beforeMoveMs.median} / ${rr.beforeMoveMs.p95} ms |
| move → every serving process serves it: median / p95 / max | ${rr.appliedMs.median} / ${rr.appliedMs.p95} / ${rr.appliedMs.max} ms |
| probes (handshakes): median / p95 | ${rr.probeMs.median} / ${rr.probeMs.p95} ms |
| CA requests per certificate | ${rr.caRequestsPerCertificate} |
| serve RSS before / after the renewals / after the last load | ${rr.rssMiB.before} / ${rr.rssMiB.after} / ${r.rssAfterLoadMiB} MiB |

| busy site (200 req/s offered) | seconds | req/s | p50 ms | p99 ms | max ms | failed |
|---|---:|---:|---:|---:|---:|---:|
| baseline (no scheduler) | ${r.baseline.secs} | ${r.baseline.rate} | ${r.baseline.p50} | ${r.baseline.p99} | ${r.baseline.max} | ${r.baseline.failed} |
| during the renewals | ${r.during.secs} | ${r.during.rate} | ${r.during.p50} | ${r.during.p99} | ${r.during.max} | ${r.during.failed} |
| after (scheduler idle) | ${r.after.secs} | ${r.after.rate} | ${r.after.p50} | ${r.after.p99} | ${r.after.max} | ${r.after.failed} |
| **ratio during / baseline** | | **${r.ratio.rate}** | ${r.ratio.p50} | **${r.ratio.p99}** | | |

CA requests per renewed certificate, by kind: ${perCert}.`);
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(result, null, 2)}\n`);
process.exit(0);
