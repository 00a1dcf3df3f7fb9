#!/usr/bin/env node
// 100,000 host names on one IP:port (issue #13): seed time, `serve` start → first handshake and →
// every name once, memory idle / after 1,000 / after every distinct name, handshakes per second cold
// and warm, and a one-binding change → served (with how many rows the apply read). Usage:
//
//   node bench/names-bench.mjs [--names 100000] [--data DIR] [--port 19443] [--tls-cache 1000] [--concurrency 8] [--sweep N]
//
// Without --data it seeds a fresh data directory (bench/seed-store.mjs: N certificates site0.test …
// plus 5 wildcards; bench/seed-sites.mjs: a site and SNI binding each on *:PORT) and times it; with
// --data it uses a store seeded that way already. `serve --workers 1` (one process: what is measured
// is the process that serves). A Node TLS client asks for each name by SNI, CONCURRENCY at a time,
// checks the certificate's CN, and closes. Prints a Markdown table (and the raw figures as JSON).
import { spawn, spawnSync } from 'node:child_process';
import { connect as tlsConnect } from 'node:tls';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv, cpuSeconds, firstHandshake, memory, sleep } from './lib/procs.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const node = join(repo, 'node_modules', '.bin', 'node');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const N = Number(arg('names', 100_000));
const port = Number(arg('port', 19443));
const cache = Number(arg('tls-cache', 1000));
const concurrency = Number(arg('concurrency', 8));
/** How many distinct names the sweep asks for (default: every one; fewer on a loaded machine). */
const sweepN = Math.min(N, Number(arg('sweep', N)));
const figures = { names: N, tlsCache: cache };

let data = arg('data');
if (!data) {
  data = mkdtempSync(join(tmpdir(), 'gh-names-'));
  const root = join(data, 'www');
  mkdirSync(root);
  writeFileSync(join(root, 'index.html'), 'names bench\n');
  let t = performance.now();
  run([join(repo, 'bench', 'seed-store.mjs'), data, String(N)]);
  figures.seedCertificatesS = (performance.now() - t) / 1000;
  t = performance.now();
  run([join(repo, 'bench', 'seed-sites.mjs'), data, String(port), root]);
  figures.seedSitesS = (performance.now() - t) / 1000;
}

function run(args) {
  const r = spawnSync(node, args, { stdio: ['ignore', 'inherit', 'inherit'], env: childEnv });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed`);
}

/** One handshake with SNI `name`; resolves with the certificate's CN (or null on failure). */
function handshake(name) {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port, servername: name, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
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

/** Handshakes with every name of `names`, `concurrency` at a time: [seconds, wrong certificates]. */
async function sweep(names) {
  let next = 0;
  let wrong = 0;
  const t = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < names.length) {
      const name = names[next++];
      if ((await handshake(name)) !== name) wrong++;
    }
  }));
  return [(performance.now() - t) / 1000, wrong];
}

const t0 = performance.now();
const child = spawn(node, [join(repo, 'dist', 'src', 'cli', 'entry.js'), 'serve', '--data', data, '--workers', '1', '--admin', 'off', '--tls-cache', String(cache)],
  { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
child.stdout.on('data', (d) => (out += d));
child.stderr.on('data', (d) => (out += d));
try {
  figures.firstHandshakeS = (await firstHandshake(port, t0, 300_000)) / 1000;
  figures.cpuAtFirstHandshakeS = cpuSeconds(child.pid);
  await sleep(5000);
  figures.idle = memory(child.pid);
  const names = Array.from({ length: N }, (_, i) => `site${i}.test`);
  const [s1000, w1000] = await sweep(names.slice(0, 1000));
  figures.after1000 = memory(child.pid);
  figures.cold1000PerS = 1000 / s1000;
  const [sAll, wAll] = await sweep(names.slice(0, sweepN));
  figures.everyNameS = (performance.now() - t0) / 1000;
  figures.afterAll = memory(child.pid);
  figures.coldAllPerS = sweepN / sAll;
  figures.sweep = sweepN;
  // Warm: the last 1,000 names asked for are the ones the cache holds.
  const warm = names.slice(sweepN - Math.min(cache, sweepN), sweepN);
  const [sWarm, wWarm] = await sweep(warm);
  figures.warmPerS = warm.length / sWarm;
  figures.wrongCertificates = w1000 + wAll + wWarm;
  // One change: site7's binding moves to site8's certificate; time until a handshake for site7.test gets it.
  const tc = performance.now();
  const edit = spawnSync(node, [join(repo, 'dist', 'src', 'cli', 'entry.js'), 'binding', 'edit', 'site7', '--protocol', 'https', '--port', String(port), '--host', 'site7.test', '--cert', certOf(data, 'site8.test'), '--data', data, '--json'], { env: childEnv, encoding: 'utf8' });
  if (edit.status !== 0) throw new Error(`binding edit failed: ${edit.stderr}`);
  figures.changeCliS = (performance.now() - tc) / 1000;
  while ((await handshake('site7.test')) !== 'site8.test') await sleep(20);
  figures.changeServedS = (performance.now() - tc) / 1000;
  await sleep(500);
  figures.changeRead = /change applied: .*; (read [^;\n]*)$/m.exec(out)?.[1] ?? '?';
} finally {
  child.kill('SIGINT');
  await new Promise((r) => child.on('exit', r));
}

function certOf(dir, san) {
  const r = spawnSync(node, [join(repo, 'dist', 'src', 'cli', 'entry.js'), 'cert', 'list', '--name', san, '--limit', '5', '--json', '--data', dir], { env: childEnv, encoding: 'utf8' });
  return JSON.parse(r.stdout).items.find((c) => c.sans[0] === san).thumbprint;
}

const mib = (m) => `${m.rssMiB.toFixed(0)} / ${m.pssMiB.toFixed(0)}`;
console.log(`
| figure | value |
|---|---:|
${figures.seedCertificatesS ? `| seed ${N} certificates (seed-store.mjs) | ${figures.seedCertificatesS.toFixed(0)} s |\n| seed ${N} sites and bindings (seed-sites.mjs) | ${figures.seedSitesS.toFixed(1)} s |\n` : ''}| serve start → first handshake | ${figures.firstHandshakeS.toFixed(2)} s (${figures.cpuAtFirstHandshakeS.toFixed(2)} s of CPU) |
| start → each of ${sweepN} names once | ${figures.everyNameS.toFixed(0)} s |
| RSS / PSS idle (MiB) | ${mib(figures.idle)} |
| RSS / PSS after 1,000 distinct names | ${mib(figures.after1000)} |
| RSS / PSS after ${sweepN} distinct names | ${mib(figures.afterAll)} |
| handshakes/s cold (first 1,000; all ${sweepN}) | ${figures.cold1000PerS.toFixed(0)}; ${figures.coldAllPerS.toFixed(0)} |
| handshakes/s warm (${Math.min(cache, N)} names in the cache) | ${figures.warmPerS.toFixed(0)} |
| one binding edit: CLI call / until served | ${figures.changeCliS.toFixed(2)} s / ${figures.changeServedS.toFixed(2)} s |
| the apply read | ${figures.changeRead} |
| wrong certificates | ${figures.wrongCertificates} |
`);
console.log(JSON.stringify(figures));
