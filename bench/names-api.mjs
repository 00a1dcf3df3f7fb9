#!/usr/bin/env node
// The admin API's changes to one of 100,000 names (issue #13 item 5): the calls `binding edit`,
// `binding add`, `site add`, `site set`, `site stop` / `site start`, `site remove` and `binding
// explain` make, and the console Home's `GET /server?hostNames=…`, through `curl` with an API token
// against a running `serve --admin`, ROUNDS times each (median), and the default page of each list. Usage:
//
//   node bench/names-api.mjs --data DIR [--port 19453] [--admin-port 19454] [--rounds 3] [--repo REPO] [--only WORD,…]
//
// --only: the calls whose label contains one of the words.
//
// DIR: a COPY of a store seeded by bench/seed-store.mjs + bench/seed-sites.mjs (the calls change it).
// REPO (default: this checkout) is the checkout whose dist/ runs: a second checkout gives "before".
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv, median, sleep } from './lib/procs.mjs';

const here = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const data = arg('data');
if (!data) throw new Error('--data DIR (a copy of a seeded store) is required');
const repo = arg('repo', here);
const port = Number(arg('port', 19453));
const adminPort = Number(arg('admin-port', 19454));
const rounds = Number(arg('rounds', 3));
const only = arg('only')?.split(',');
const node = join(here, 'node_modules', '.bin', 'node');
const entry = join(repo, 'dist', 'src', 'cli', 'entry.js');
const work = mkdtempSync(join(tmpdir(), 'gh-names-api-'));
const root = join(work, 'www');
mkdirSync(root);
writeFileSync(join(root, 'index.html'), 'names api bench\n');

function gh(args) {
  const r = spawnSync(node, [entry, ...args, '--data', data], { env: childEnv, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`gatehouse ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

const pw = join(work, 'pw');
writeFileSync(pw, 'bench password 1234\n', { mode: 0o600 });
const user = `bench${Date.now().toString(36)}`;
gh(['user', 'add', user, '--role', 'organization-management', '--password-file', pw]);
const token = JSON.parse(gh(['token', 'create', '--user', user, '--json'])).token;
const thumbprintOf = (san) => JSON.parse(gh(['cert', 'list', '--name', san, '--limit', '5', '--json'])).items.find((c) => c.sans[0] === san).thumbprint;
const t7 = thumbprintOf('site7.test');
const t8 = thumbprintOf('site8.test');

const child = spawn(node, [entry, 'serve', '--data', data, '--workers', '1', '--admin', `127.0.0.1:${adminPort}`], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
child.stdout.on('data', (d) => (out += d));
child.stderr.on('data', (d) => (out += d));

/** One API call through curl: seconds (curl's time_total) and the HTTP status. */
function call(method, path, body) {
  const args = ['-sk', '-o', '/dev/null', '-w', '%{http_code} %{time_total}', '-X', method, '-H', `Authorization: Bearer ${token}`, `https://127.0.0.1:${adminPort}/api/v1${path}`];
  if (body) args.push('-H', 'Content-Type: application/json', '--data', JSON.stringify(body));
  const r = spawnSync('curl', args, { encoding: 'utf8' });
  const [status, s] = r.stdout.split(' ');
  return { status: Number(status), s: Number(s) };
}

try {
  for (let i = 0; i < 600 && call('GET', '/sites?limit=1').status !== 200; i++) await sleep(500);
  const stamp = Date.now().toString(36);
  const times = {};
  const time = (label, method, path, body) => {
    if (only && !only.some((w) => label.includes(w))) return;
    const r = call(method, path, body);
    if (r.status >= 300) throw new Error(`${label}: HTTP ${r.status}`);
    (times[label] ??= []).push(r.s);
  };
  for (let i = 0; i < rounds; i++) {
    // Sites from 50 on are stopped, started and removed here (one SNI binding each).
    time('POST /sites/NAME/stop (site stop)', 'POST', `/sites/site${50 + i}/stop`);
    time('POST /sites/NAME/start (site start)', 'POST', `/sites/site${50 + i}/start`);
    time('DELETE /sites/NAME (site remove)', 'DELETE', `/sites/site${60 + i}`);
    time('GET /bindings/explain (binding explain)', 'GET', `/bindings/explain?port=${port}&sni=site${70 + i}.test`);
    time('GET /server?hostNames=20 (console Home)', 'GET', '/server?hostNames=20');
    time('PATCH /sites/site7/bindings (binding edit)', 'PATCH', '/sites/site7/bindings', { protocol: 'https', port, host: 'site7.test', sni: true, cert: i % 2 ? t7 : t8 });
    time('POST /sites/site9/bindings (binding add)', 'POST', '/sites/site9/bindings', { protocol: 'https', port, host: `api${i}-${stamp}.site9.test`, sni: true, cert: t8 });
    time('POST /sites (site add)', 'POST', '/sites', { name: `api-${stamp}-${i}`, root });
    time('PATCH /sites/site11 (site set)', 'PATCH', '/sites/site11', { hsts: i % 2 === 0 });
    time('GET /certificates (default page)', 'GET', '/certificates?limit=100');
    time('GET /sites (default page)', 'GET', '/sites?limit=100');
    time('GET /bindings (default page)', 'GET', '/bindings?limit=100');
  }
  console.log(`\n${repo} · ${rounds} rounds · load average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  console.log('| call | median s | runs s |\n|---|---:|---|');
  for (const [label, xs] of Object.entries(times)) console.log(`| \`${label}\` | ${median(xs).toFixed(3)} | ${xs.map((x) => x.toFixed(3)).join(', ')} |`);
  console.log(JSON.stringify(times));
} finally {
  child.kill('SIGINT');
  await new Promise((r) => child.on('exit', r));
}
