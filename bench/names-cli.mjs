#!/usr/bin/env node
// CLI changes to one of 100,000 names (issue #13 item 5): `binding edit`, `binding add`, `site add`,
// `site set`, `cert import`, `site stop` / `site start`, `site remove`, `binding explain`, each a
// whole `gatehouse` process, ROUNDS times (median), plus the default pages of `cert list`, `site list`
// and `binding list`. Usage:
//
//   node bench/names-cli.mjs --data DIR [--port 19453] [--rounds 3] [--repo REPO] [--only LABEL,…]
//
// --only: the commands whose label contains one of the words (e.g. `--only site stop,explain`).
//
// DIR: a COPY of a store seeded by bench/seed-store.mjs + bench/seed-sites.mjs (the calls change it).
// REPO (default: this checkout) is the checkout whose dist/ is run: a second checkout gives "before".
// Prints a Markdown table and the raw figures as JSON.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv, median } from './lib/procs.mjs';

const here = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const data = arg('data');
if (!data) throw new Error('--data DIR (a copy of a seeded store) is required');
const repo = arg('repo', here);
const port = Number(arg('port', 19453));
const rounds = Number(arg('rounds', 3));
const only = arg('only')?.split(',');
const node = join(here, 'node_modules', '.bin', 'node');
const entry = join(repo, 'dist', 'src', 'cli', 'entry.js');
const work = mkdtempSync(join(tmpdir(), 'gh-names-cli-'));
const root = join(work, 'www');
mkdirSync(root);
writeFileSync(join(root, 'index.html'), 'names cli bench\n');

function gh(args, { ok = true } = {}) {
  const t = performance.now();
  const r = spawnSync(node, [entry, ...args, '--data', data], { env: childEnv, encoding: 'utf8', maxBuffer: 1 << 30 });
  const s = (performance.now() - t) / 1000;
  if (ok && r.status !== 0) throw new Error(`gatehouse ${args.join(' ')} failed: ${r.stderr}`);
  return { s, out: r.stdout };
}

function thumbprintOf(san) {
  return JSON.parse(gh(['cert', 'list', '--name', san, '--limit', '5', '--json']).out).items.find((c) => c.sans[0] === san).thumbprint;
}

/** A self-signed certificate and key as a PFX (openssl), for `cert import`. */
function pfx(name) {
  const key = join(work, `${name}.key`);
  const crt = join(work, `${name}.crt`);
  const out = join(work, `${name}.pfx`);
  const pw = join(work, 'pw');
  writeFileSync(pw, 'bench\n');
  const run = (args) => {
    const r = spawnSync('openssl', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', crt, '-days', '90', '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`]);
  run(['pkcs12', '-export', '-inkey', key, '-in', crt, '-out', out, '-passout', `file:${pw}`]);
  return { file: out, password: pw };
}

gh(['site', 'show', 'site1', '--json']); // opens (and migrates) the store once, outside the timings
const t7 = thumbprintOf('site7.test');
const t8 = thumbprintOf('site8.test');
const stamp = Date.now().toString(36);
const times = {};
const time = (label, args) => {
  if (!only || only.some((w) => label.includes(w))) (times[label] ??= []).push(gh(args).s);
};
for (let i = 0; i < rounds; i++) {
  // site7, site8 are the edit's; sites from 20 on are stopped, started and removed (one SNI binding each).
  time('site stop', ['site', 'stop', `site${20 + i}`, '--json']);
  time('site start', ['site', 'start', `site${20 + i}`, '--json']);
  time('site remove', ['site', 'remove', `site${30 + i}`, '--json']);
  time('binding explain', ['binding', 'explain', '--port', String(port), '--sni', `site${40 + i}.test`, '--json']);
  time('binding edit', ['binding', 'edit', 'site7', '--protocol', 'https', '--port', String(port), '--host', 'site7.test', '--sni', '--cert', i % 2 ? t7 : t8, '--json']);
  time('binding add', ['binding', 'add', 'site9', '--protocol', 'https', '--port', String(port), '--host', `extra${i}-${stamp}.site9.test`, '--sni', '--cert', t8, '--json']);
  time('site add', ['site', 'add', `bench-${stamp}-${i}`, '--root', root, '--json']);
  time('site set', ['site', 'set', 'site11', '--hsts', i % 2 ? 'off' : 'on', '--json']);
  const p = !only || only.some((w) => 'cert import'.includes(w)) ? pfx(`import${i}-${stamp}.test`) : { file: '', password: '' };
  time('cert import', ['cert', 'import', '--file', p.file, '--password-file', p.password, '--json']);
  time('cert list (default page)', ['cert', 'list', '--limit', '100', '--json']);
  time('site list (default page)', ['site', 'list', '--limit', '100', '--json']);
  time('binding list (default page)', ['binding', 'list', '--limit', '100', '--json']);
}
console.log(`\n${repo} · ${rounds} rounds · load average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
console.log('| command | median s | runs s |\n|---|---:|---|');
for (const [label, xs] of Object.entries(times)) console.log(`| \`${label}\` | ${median(xs).toFixed(2)} | ${xs.map((x) => x.toFixed(2)).join(', ')} |`);
console.log(JSON.stringify(times));
