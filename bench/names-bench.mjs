#!/usr/bin/env node
// 100,000 host names on one IP:port (issue #13), Gatehouse beside nginx with the SAME certificates in
// one run: seed time, start → first handshake and → every name once, memory idle / after 1,000 /
// after every distinct name, handshakes per second cold and warm, the ratio Gatehouse/nginx of each,
// and Gatehouse's one-binding change → served (with how many rows the apply read). Usage:
//
//   node bench/names-bench.mjs [--names 100000] [--data DIR] [--store-url postgres://…] [--port 19443]
//        [--nginx-port PORT+1] [--tls-cache 1000] [--concurrency 8] [--sweep N] [--rounds 3] [--servers gatehouse,nginx]
//
// Gatehouse: without --data a fresh data directory is seeded (bench/seed-store.mjs: N certificates
// site0.test … plus 5 wildcards; bench/seed-sites.mjs: a site and SNI binding each on *:PORT) and
// timed; --data DIR uses a store seeded that way (it is written to: serve's logs, the binding edit at
// the end — give it a copy), --port must then be the port its bindings use. --store-url (a
// PostgreSQL store) goes to every Gatehouse process. `serve --workers 1 --admin off --tls-cache N`.
// nginx (2 workers, bench/lib/serving.mjs nginxConfig: one server block per name, one shared access
// log) serves the same certificates and keys, written out of the Gatehouse store by
// bench/export-pem.mjs (timed: nginx's side of the seed), on 127.0.0.1:NGINX_PORT.
//
// The client is this process: a Node TLS client, CONCURRENCY handshakes in flight, each asking for
// one name by SNI, checking the served certificate's CN and closing (no request). Its CPU
// (process.cpuUsage) is counted apart from the server's (utime+stime of the server's whole process
// tree from /proc over each sweep).
//
// The run, both servers up side by side (the idle one costs nothing):
// 1. nginx started alone (spawn → first handshake: it reads and checks its configuration and loads
//    every certificate before it listens), then Gatehouse alone; memory of each 5 s later (idle).
// 2. ROUNDS cold rounds: round r asks each server for names [r·S, (r+1)·S) (S = 1,000, fewer when
//    the sweep is short), never asked before; the server that goes first alternates. Memory after
//    the first round ("after 1,000").
// 3. ROUNDS warm rounds, alternating: the last cold round's names again (Gatehouse's cache of 1,000
//    holds them).
// 4. The rest of the sweep, [ROUNDS·S, SWEEP), each server in turn; memory after ("after all").
//    Start → every name once = first handshake + the server's own cold sweeps (the pauses and the
//    other server's turns left out).
// Medians of the rounds; the rest is one run. Prints a Markdown table and the raw figures as JSON.
import { spawn, spawnSync } from 'node:child_process';
import { connect as tlsConnect } from 'node:tls';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv, cpuSeconds, firstHandshake, median, memory, portTaken, sleep, stopServer, tree } from './lib/procs.mjs';
import { NGINX, machine, nginxConfig, nginxTest, writeIndex } from './lib/serving.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const node = join(repo, 'node_modules', '.bin', 'node');
const entry = join(repo, 'dist', 'src', 'cli', 'entry.js');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const N = Number(arg('names', 100_000));
const port = Number(arg('port', 19443));
const nginxPort = Number(arg('nginx-port', port + 1));
const cache = Number(arg('tls-cache', 1000));
const concurrency = Number(arg('concurrency', 8));
const rounds = Number(arg('rounds', 3));
const storeUrl = arg('store-url');
const servers = arg('servers', 'gatehouse,nginx').split(',');
/** How many distinct names are asked for (default: every one; fewer on a loaded machine). */
const sweepN = Math.min(N, Number(arg('sweep', N)));
/** Names per round: 1,000, or a quarter of a short sweep (the rest keeps some names). */
const S = Math.min(1000, Math.floor(sweepN / (rounds + 1)));
const gEnv = storeUrl ? { ...childEnv, GATEHOUSE_STORE: storeUrl } : childEnv;
const log = (m) => process.stderr.write(`[names-bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const loads = [];
const noteLoad = (when) => loads.push({ when, load: loadavg().map((x) => Number(x.toFixed(2))) });

const figures = { machine: machine(repo), names: N, sweep: sweepN, roundNames: S, rounds, tlsCache: cache, concurrency, store: storeUrl ? 'postgresql' : 'sqlite', gatehouse: {}, nginx: {} };
const G = figures.gatehouse;
const X = figures.nginx;
for (const p of [port, nginxPort]) if (await portTaken(p)) throw new Error(`something already listens on 127.0.0.1:${p}: choose another --port / --nginx-port`);

const tmp = mkdtempSync(join(tmpdir(), 'gh-names-'));
const root = join(tmp, 'www');
writeIndex(root);
noteLoad('start');

let data = arg('data');
if (!data) {
  data = join(tmp, 'gh');
  let t = performance.now();
  run([join(repo, 'bench', 'seed-store.mjs'), data, String(N)]);
  G.seedCertificatesS = (performance.now() - t) / 1000;
  t = performance.now();
  run([join(repo, 'bench', 'seed-sites.mjs'), data, String(port), root]);
  G.seedSitesS = (performance.now() - t) / 1000;
  log(`seeded ${N} certificates in ${G.seedCertificatesS.toFixed(1)} s, sites and bindings in ${G.seedSitesS.toFixed(1)} s`);
}

function run(args) {
  const r = spawnSync(node, args, { stdio: ['ignore', 'pipe', 'inherit'], env: gEnv, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed`);
  return r.stdout;
}

/** One handshake with SNI `name` on `p`; resolves with the certificate's CN (or null on failure). */
function handshake(p, name) {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port: p, servername: name, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
      const cn = s.getPeerCertificate().subject?.CN ?? null;
      s.destroy();
      resolve(cn);
    });
    s.setTimeout(30_000, () => {
      s.destroy();
      resolve(null);
    });
    s.on('error', () => resolve(null));
  });
}

/** Handshakes with every name of `names` on server `s`, `concurrency` at a time: seconds, rate, wrong certificates, server and client CPU. */
async function sweep(s, names) {
  let next = 0;
  let wrong = 0;
  const wrongOnes = [];
  const cpu0 = cpuSeconds(s.pid);
  const client0 = process.cpuUsage();
  const t = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < names.length) {
      const name = names[next++];
      const got = await handshake(s.port, name);
      if (got !== name) {
        wrong++;
        if (wrongOnes.length < 5) wrongOnes.push(`${name} → ${got ?? 'failed'}`);
      }
    }
  }));
  const secs = (performance.now() - t) / 1000;
  const client = process.cpuUsage(client0);
  const serverCpu = cpuSeconds(s.pid) - cpu0;
  return { secs, perS: names.length / secs, wrong, wrongOnes, serverCpuS: serverCpu, perServerCoreS: serverCpu > 0 ? names.length / serverCpu : NaN, clientCpuS: (client.user + client.system) / 1e6 };
}

/** Starts a server and waits for its first handshake (at most 15 min): { kind, pid, port, proc, firstS, cpuS, output }. */
async function start(kind) {
  const [cmd, argv, env] = kind === 'gatehouse'
    ? [node, [entry, 'serve', '--data', data, '--workers', '1', '--admin', 'off', '--tls-cache', String(cache), ...(storeUrl ? ['--store-url', storeUrl] : [])], gEnv]
    : [NGINX(), ['-c', X.conf, '-e', join(tmp, 'nginx', 'error.log')], childEnv];
  const p = kind === 'gatehouse' ? port : nginxPort;
  const t0 = performance.now();
  const proc = spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => (out = (out + d).slice(-50_000)));
  proc.stderr.on('data', (d) => (out = (out + d).slice(-50_000)));
  const exited = new Promise((_, reject) => proc.on('exit', (code, sig) => reject(new Error(`${kind} exited (${sig ?? code}): ${out.slice(-2000)}`))));
  const firstMs = await Promise.race([firstHandshake(p, t0, 900_000), exited]);
  exited.catch(() => {});
  // Another helper's server on the same port (a copy of the same seeded store binds the same port) would answer instead.
  const owners = [...spawnSync('ss', ['-Hltnp', `sport = :${p}`], { encoding: 'utf8' }).stdout.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
  const ours = new Set(tree(proc.pid).map((r) => r.pid));
  if (owners.length === 0 || owners.some((o) => !ours.has(o))) {
    proc.kill('SIGKILL');
    throw new Error(`${kind}: 127.0.0.1:${p} is also served by process(es) ${owners.filter((o) => !ours.has(o)).join(' ') || '?'}: use another port`);
  }
  return { kind, proc, pid: proc.pid, port: p, firstS: firstMs / 1000, cpuS: cpuSeconds(proc.pid), output: () => out };
}

const names = Array.from({ length: N }, (_, i) => `site${i}.test`);
const up = {};
try {
  if (servers.includes('nginx')) {
    // nginx's side of the seed: the certificates and keys out of the Gatehouse store, its configuration, `nginx -t`.
    let t = performance.now();
    const exported = JSON.parse(run([join(repo, 'bench', 'export-pem.mjs'), data, join(tmp, 'pem')]).trim().split('\n').at(-1));
    X.exportS = (performance.now() - t) / 1000;
    X.exported = exported.written;
    const certs = names.map((name) => ({ name, pem: join(tmp, 'pem', `${name}.pem`), key: join(tmp, 'pem', `${name}.key`) }));
    X.conf = nginxConfig(join(tmp, 'nginx'), certs, root, nginxPort, 'bench/names-bench.mjs', { sharedLog: true, test: false });
    X.configS = (performance.now() - t) / 1000 - X.exportS;
    t = performance.now();
    nginxTest(X.conf);
    X.configTestS = (performance.now() - t) / 1000;
    log(`nginx: ${exported.written} certificates exported in ${X.exportS.toFixed(1)} s, configuration written in ${X.configS.toFixed(1)} s, nginx -t ${X.configTestS.toFixed(1)} s`);
  }

  // 1. Start each alone; idle memory 5 s after its first handshake.
  for (const kind of ['nginx', 'gatehouse'].filter((k) => servers.includes(k))) {
    noteLoad(`${kind} start`);
    const s = await start(kind);
    up[kind] = s;
    const f = figures[kind];
    f.firstHandshakeS = s.firstS;
    f.cpuAtFirstHandshakeS = s.cpuS;
    log(`${kind}: first handshake ${s.firstS.toFixed(2)} s (${s.cpuS.toFixed(2)} s of CPU)`);
    await sleep(5000);
    f.idle = memory(s.pid);
    f.cold = [];
    f.warm = [];
    f.everyNameS = s.firstS;
  }
  const order = (r) => (r % 2 === 0 ? servers : [...servers].reverse()).filter((k) => up[k]);

  // 2. Cold rounds, never-asked names, alternating who goes first.
  for (let r = 0; r < rounds; r++) {
    noteLoad(`cold round ${r + 1}`);
    for (const kind of order(r)) {
      const res = await sweep(up[kind], names.slice(r * S, (r + 1) * S));
      figures[kind].cold.push(res);
      figures[kind].everyNameS += res.secs;
      log(`${kind}: cold round ${r + 1}: ${res.perS.toFixed(0)}/s (${res.perServerCoreS.toFixed(0)} per server core-s), wrong ${res.wrong} ${res.wrongOnes.join(', ')}`);
      if (r === 0) figures[kind].after1000 = memory(up[kind].pid);
    }
  }
  // 3. Warm rounds: the last cold round's names again.
  const warmNames = names.slice((rounds - 1) * S, rounds * S);
  for (let r = 0; r < rounds; r++) {
    noteLoad(`warm round ${r + 1}`);
    for (const kind of order(r + 1)) {
      const res = await sweep(up[kind], warmNames);
      figures[kind].warm.push(res);
      log(`${kind}: warm round ${r + 1}: ${res.perS.toFixed(0)}/s (${res.perServerCoreS.toFixed(0)} per server core-s), wrong ${res.wrong}`);
    }
  }
  // 4. The rest of the names, each server in turn.
  if (sweepN > rounds * S) {
    for (const kind of order(0)) {
      noteLoad(`${kind} rest`);
      const res = await sweep(up[kind], names.slice(rounds * S, sweepN));
      figures[kind].rest = res;
      figures[kind].everyNameS += res.secs;
      log(`${kind}: names ${rounds * S}…${sweepN - 1}: ${res.perS.toFixed(0)}/s (${res.perServerCoreS.toFixed(0)} per server core-s), wrong ${res.wrong}`);
    }
  }
  for (const kind of Object.keys(up)) figures[kind].afterAll = memory(up[kind].pid);

  // Gatehouse: one change — site7's binding moves to site8's certificate (or back to site7's, where an
  // earlier run of this bench left it on site8's: its one "wrong certificate"); time until a handshake for site7.test gets it.
  if (up.gatehouse && N > 8 && arg('change', 'on') !== 'off') {
    noteLoad('change');
    const target = (await handshake(port, 'site7.test')) === 'site8.test' ? 'site7.test' : 'site8.test';
    G.change = `site7.test → the certificate of ${target}`;
    const cert = certOf(target);
    const tc = performance.now();
    const edit = spawnSync(node, [entry, 'binding', 'edit', 'site7', '--protocol', 'https', '--port', String(port), '--host', 'site7.test', '--cert', cert, '--data', data, '--json'], { env: gEnv, encoding: 'utf8' });
    if (edit.status !== 0) throw new Error(`binding edit failed: ${edit.stderr}`);
    G.changeCliS = (performance.now() - tc) / 1000;
    while ((await handshake(port, 'site7.test')) !== target) await sleep(20);
    G.changeServedS = (performance.now() - tc) / 1000;
    await sleep(500);
    G.changeRead = /change applied: .*; (read [^;\n]*)$/m.exec(up.gatehouse.output())?.[1] ?? '?';
  }
  noteLoad('end');
} finally {
  if (up.gatehouse) {
    up.gatehouse.proc.kill('SIGINT');
    await new Promise((r) => (up.gatehouse.proc.exitCode === null ? up.gatehouse.proc.on('exit', r) : r()));
  }
  if (up.nginx) await stopServer({ kind: 'nginx', proc: up.nginx.proc });
}

function certOf(san) {
  const r = spawnSync(node, [entry, 'cert', 'list', '--name', san, '--limit', '5', '--json', '--data', data], { env: gEnv, encoding: 'utf8' });
  return JSON.parse(r.stdout).items.find((c) => c.sans[0] === san).thumbprint;
}

// ---------------------------------------------------------------------------------------------
// The report

for (const f of [G, X]) {
  if (!f.cold) continue;
  for (const set of ['cold', 'warm']) {
    f[`${set}PerS`] = median(f[set].map((r) => r.perS));
    f[`${set}PerServerCoreS`] = median(f[set].map((r) => r.perServerCoreS));
    f[`${set}ClientCpuMsPerHs`] = median(f[set].map((r) => (r.clientCpuS * 1000) / S));
  }
  const sweeps = [...f.cold, ...f.warm, ...(f.rest ? [f.rest] : [])];
  f.wrongCertificates = sweeps.reduce((a, r) => a + r.wrong, 0);
  f.wrongExamples = sweeps.flatMap((r) => r.wrongOnes).slice(0, 5);
}
const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : '—');
const ratio = (g, x, d = 2) => (Number.isFinite(g / x) ? `${fmt(g / x, d)}×` : '—');
const mem = (m) => (m ? `${fmt(m.rssMiB)} / ${fmt(m.pssMiB)} (${m.processes})` : '—');
const rows = [];
const row = (figure, g, x, r = '') => rows.push(`| ${figure} | ${g} | ${x} | ${r} |`);
const m = figures.machine;
if (G.seedCertificatesS) row(`seed ${fmt(N)} certificates (Gatehouse: seed-store.mjs + seed-sites.mjs)`, `${fmt(G.seedCertificatesS)} s + ${fmt(G.seedSitesS, 1)} s`, '', '');
if (X.exportS !== undefined) row('nginx: PEM files out of the store (export-pem.mjs) / config written / `nginx -t`', '', `${fmt(X.exportS, 1)} s / ${fmt(X.configS, 1)} s / ${fmt(X.configTestS, 1)} s`, '');
row('start → first handshake (s; CPU s)', `${fmt(G.firstHandshakeS, 2)} (${fmt(G.cpuAtFirstHandshakeS, 2)})`, `${fmt(X.firstHandshakeS, 2)} (${fmt(X.cpuAtFirstHandshakeS, 2)})`, ratio(G.firstHandshakeS, X.firstHandshakeS));
row(`start → each of ${fmt(sweepN)} names once (s)`, fmt(G.everyNameS, 1), fmt(X.everyNameS, 1), ratio(G.everyNameS, X.everyNameS));
for (const [key, label] of [['idle', 'idle'], ['after1000', `after ${fmt(S)} distinct names`], ['afterAll', `after ${fmt(sweepN)} distinct names`]]) {
  row(`RSS / PSS MiB (processes) ${label}`, mem(G[key]), mem(X[key]), ratio(G[key]?.pssMiB, X[key]?.pssMiB));
}
row(`handshakes/s cold (median of ${rounds} × ${fmt(S)} new names)`, fmt(G.coldPerS), fmt(X.coldPerS), ratio(G.coldPerS, X.coldPerS));
row('— per server core-second', fmt(G.coldPerServerCoreS), fmt(X.coldPerServerCoreS), ratio(G.coldPerServerCoreS, X.coldPerServerCoreS));
if (G.rest || X.rest) {
  row(`handshakes/s cold (names ${fmt(rounds * S)}…${fmt(sweepN - 1)}, one run)`, fmt(G.rest?.perS), fmt(X.rest?.perS), ratio(G.rest?.perS, X.rest?.perS));
  row('— per server core-second', fmt(G.rest?.perServerCoreS), fmt(X.rest?.perServerCoreS), ratio(G.rest?.perServerCoreS, X.rest?.perServerCoreS));
}
row(`handshakes/s warm (median of ${rounds} × the same ${fmt(S)} names)`, fmt(G.warmPerS), fmt(X.warmPerS), ratio(G.warmPerS, X.warmPerS));
row('— per server core-second', fmt(G.warmPerServerCoreS), fmt(X.warmPerServerCoreS), ratio(G.warmPerServerCoreS, X.warmPerServerCoreS));
row('client CPU ms per handshake (cold; warm)', `${fmt(G.coldClientCpuMsPerHs, 2)}; ${fmt(G.warmClientCpuMsPerHs, 2)}`, `${fmt(X.coldClientCpuMsPerHs, 2)}; ${fmt(X.warmClientCpuMsPerHs, 2)}`, '');
row('wrong certificates or failed handshakes (the first few)', `${fmt(G.wrongCertificates)}${G.wrongExamples?.length ? ` (${G.wrongExamples.join(', ')})` : ''}`, `${fmt(X.wrongCertificates)}${X.wrongExamples?.length ? ` (${X.wrongExamples.join(', ')})` : ''}`, '');
if (G.changeCliS !== undefined) row(`one \`binding edit\` (${G.change}): CLI call / until served; the apply read`, `${fmt(G.changeCliS, 2)} s / ${fmt(G.changeServedS, 2)} s; ${G.changeRead}`, '', '');
console.log(`
${m.date} ${m.time} UTC, commit ${m.commit}; ${m.cpu}, ${m.nproc} cores, ${m.memGiB} GiB, kernel ${m.kernel}; Node ${m.node} (OpenSSL ${m.nodeOpenssl}); nginx ${m.nginx}; ${m.openssl}.
Gatehouse \`serve --workers 1 --admin off --tls-cache ${cache}\` on ${figures.store === 'postgresql' ? 'PostgreSQL' : 'SQLite'}, nginx 2 workers; client: Node TLS, ${concurrency} handshakes in flight, SNI + CN check, no request.
Load average (1/5/15 min): ${loads.map((l) => `${l.when} ${l.load.join(' ')}`).join('; ')}.

| figure | Gatehouse | nginx | Gatehouse/nginx |
|---|---:|---:|---:|
${rows.join('\n')}
`);
figures.loads = loads;
console.log(JSON.stringify(figures));
