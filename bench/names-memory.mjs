#!/usr/bin/env node
// Memory of `serve` past its TLS context cache (issue #13 item 5): RSS/PSS idle and after 1,000,
// 3,000 and 10,000 distinct names with `--tls-cache 1000`, each figure taken as the process is and
// again after a forced full garbage collection (bench/lib/context-probe.mjs, preloaded, on SIGUSR2),
// which tells garbage not collected yet from memory something still holds. At each step it also
// gives the TLS contexts made so far, how many are alive after the GC and how many of those still
// hold their OpenSSL context (SSL_CTX). Usage:
//
//   node bench/names-memory.mjs --data DIR [--port 19453] [--tls-cache 1000] [--steps 1000,3000,10000] [--concurrency 8]
//
// DIR is a store seeded by bench/seed-store.mjs + bench/seed-sites.mjs (site0.test … with SNI
// bindings on *:PORT): use a COPY, `serve` writes to it. Prints a Markdown table and the raw JSON.
import { spawn } from 'node:child_process';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { childEnv, firstHandshake, memory, sleep } from './lib/procs.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const node = join(repo, 'node_modules', '.bin', 'node');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const data = arg('data');
if (!data) throw new Error('--data DIR (a copy of a seeded store) is required');
const port = Number(arg('port', 19453));
const cache = Number(arg('tls-cache', 1000));
const concurrency = Number(arg('concurrency', 8));
const steps = String(arg('steps', '1000,3000,10000')).split(',').map(Number);

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

async function sweep(names) {
  let next = 0;
  let wrong = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < names.length) {
      const name = names[next++];
      if ((await handshake(name)) !== name) wrong++;
    }
  }));
  return wrong;
}

/** Forces a full GC in `serve` (SIGUSR2 to bench/lib/context-probe.mjs) and reads its counts. */
async function probe() {
  rmSync(probeOut, { force: true });
  child.kill('SIGUSR2');
  for (let i = 0; i < 600 && !existsSync(probeOut); i++) await sleep(50);
  await sleep(50);
  return JSON.parse(readFileSync(probeOut, 'utf8'));
}

const probeOut = join(tmpdir(), `gh-probe-${process.pid}.json`);
const t0 = performance.now();
const child = spawn(node, ['--expose-gc', '--import', join(repo, 'bench', 'lib', 'context-probe.mjs'), join(repo, 'dist', 'src', 'cli', 'entry.js'), 'serve', '--data', data, '--workers', '1', '--admin', 'off', '--tls-cache', String(cache)],
  { env: { ...childEnv, GH_PROBE_OUT: probeOut }, stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
child.stdout.on('data', (d) => (out += d));
child.stderr.on('data', (d) => (out += d));
child.on('exit', (code, signal) => console.error(`serve exited (${code ?? signal}): ${out.slice(-2000)}`));
const rows = [];
try {
  await firstHandshake(port, t0, 300_000);
  await sleep(5000);
  const names = Array.from({ length: Math.max(...steps) }, (_, i) => `site${i}.test`);
  let done = 0;
  let wrong = 0;
  const measure = async (label) => {
    const before = memory(child.pid);
    const p = await probe();
    await sleep(300);
    const after = memory(child.pid);
    rows.push({ callers: p.callers, label, s: Math.round((performance.now() - t0) / 1000), before, after, made: p.made, live: p.alive, open: p.open, heapMiB: p.after.heapUsed / 1048576, externalMiB: p.after.external / 1048576 });
    console.error(JSON.stringify(rows.at(-1)));
  };
  await measure('idle');
  for (const step of steps) {
    wrong += await sweep(names.slice(done, step));
    done = step;
    await measure(`after ${step.toLocaleString('en')} distinct names`);
  }
  // A name evicted long ago still gets its own certificate.
  const evicted = await handshake('site0.test');
  console.log(`
serve --workers 1 --tls-cache ${cache}; ${concurrency} clients at a time; load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}

| point | RSS / PSS MiB | after a forced GC: RSS / PSS MiB | JS heap used MiB (after GC) | contexts made | alive after GC (holding an SSL_CTX) |
|---|---:|---:|---:|---:|---:|
${rows.map((r) => `| ${r.label} | ${r.before.rssMiB.toFixed(0)} / ${r.before.pssMiB.toFixed(0)} | ${r.after.rssMiB.toFixed(0)} / ${r.after.pssMiB.toFixed(0)} | ${r.heapMiB.toFixed(0)} | ${r.made} | ${r.live} (${r.open}) |`).join('\n')}

wrong certificates: ${wrong}; site0.test after eviction: ${evicted}
`);
  console.log(JSON.stringify(rows));
} finally {
  child.kill('SIGINT');
  await new Promise((r) => child.on('exit', r));
}
