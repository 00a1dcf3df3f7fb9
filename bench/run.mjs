#!/usr/bin/env node
// Gatehouse CLI benchmarks: `npm run bench` (= npm run build && node bench/run.mjs).
// Measures whole CLI calls, process start included, against a reference run in the same session,
// prints a markdown table and writes the figures into BENCHMARKS.md. No timing is asserted: these are
// measurements, not tests. See bench/README.md for what each row measures.
//
// Environment: BENCH_QUICK=1 (smaller store, fewer runs: for trying the script, not for figures),
// BENCH_CERTS=N (store size, default 10000), BENCH_NO_WRITE=1 (print only, leave BENCHMARKS.md),
// BENCH_JSON=FILE (also write the machine, rows and notes as JSON, to compare runs).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const gatehouse = join(root, 'bin', 'gatehouse');
const QUICK = process.env.BENCH_QUICK === '1';
const CERTS = Number(process.env.BENCH_CERTS ?? (QUICK ? 500 : 10_000));
const started = Date.now();

// Children run without NODE_EXTRA_CA_CERTS (node reads that bundle at every start: ~30–50 ms per
// process on this kind of machine, which is this sandbox's setting, not a Gatehouse cost) and without
// Gatehouse's own variables, so every call uses the --data directory it is given.
const env = { ...process.env };
const extraCaWasSet = env.NODE_EXTRA_CA_CERTS !== undefined;
for (const k of ['NODE_EXTRA_CA_CERTS', 'GATEHOUSE_DATA', 'GATEHOUSE_MASTER_KEY', 'GATEHOUSE_DEBUG', 'NODE_OPTIONS']) delete env[k];

const log = (s) => process.stderr.write(`${s}\n`);
const tmp = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
const cleanup = () => rmSync(tmp, { recursive: true, force: true });
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 120_000, ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.error?.message}`);
  return r.stdout;
}
const sh = (script) => run('sh', ['-c', script]);
const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

// --- timing: hyperfine when present, else our own loop --------------------------------------

function hasHyperfine() {
  return spawnSync('hyperfine', ['--version'], { env }).status === 0;
}
let hyperfine = hasHyperfine();
if (!hyperfine && process.getuid?.() === 0 && spawnSync('apt-get', ['--version']).status === 0) {
  log('hyperfine is missing: apt-get install -y hyperfine');
  spawnSync('apt-get', ['install', '-y', 'hyperfine'], { stdio: 'ignore', timeout: 180_000 });
  hyperfine = hasHyperfine();
}
const timer = hyperfine ? `hyperfine ${run('hyperfine', ['--version']).trim().split(' ')[1]} (-N, no shell)` : 'own loop (spawnSync + hrtime)';
log(`timing with ${timer}`);

/** Times one command `runs` times (after `warmup` untimed runs), `prepare` before each run; returns seconds. */
function timeRuns(argv, { runs, warmup = 0, prepare }) {
  if (hyperfine) {
    const out = join(tmp, 'hyperfine.json');
    const args = ['-N', '--style', 'none', '--warmup', String(warmup), '--runs', String(runs), '--export-json', out];
    if (prepare) args.push('--prepare', `sh ${writeScript(prepare)}`);
    args.push(argv.map(q).join(' '));
    run('hyperfine', args, { timeout: 600_000 });
    const r = JSON.parse(readFileSync(out, 'utf8')).results[0];
    return { times: r.times, cpu: (r.user + r.system) * r.times.length };
  }
  const times = [];
  for (let i = 0; i < warmup + runs; i++) {
    if (prepare) sh(prepare);
    const t0 = process.hrtime.bigint();
    const r = spawnSync(argv[0], argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
    const t = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
    if (i >= warmup) times.push(t);
  }
  return { times, cpu: undefined };
}
let scriptNo = 0;
function writeScript(body) {
  const path = join(tmp, `prepare-${scriptNo++}.sh`);
  writeFileSync(path, `set -e\n${body}\n`);
  return path;
}

/**
 * Measures several commands in alternating rounds (A B C, A B C, …) so a slow patch of the machine
 * hits all of them; each command: `{ name, argv, prepare? }`. Returns name → stats in milliseconds.
 */
function measure(commands, { rounds, runsPerRound, warmup = 1 }) {
  const times = new Map(commands.map((c) => [c.name, []]));
  const cpu = new Map(commands.map((c) => [c.name, 0]));
  for (const c of commands) timeRuns(c.argv, { runs: 1, prepare: c.prepare }); // fails loudly before any figure is taken
  for (let r = 0; r < rounds; r++) {
    for (const c of commands) {
      const got = timeRuns(c.argv, { runs: runsPerRound, warmup: r === 0 ? warmup : 0, prepare: c.prepare });
      times.get(c.name).push(...got.times);
      cpu.set(c.name, got.cpu === undefined || cpu.get(c.name) === undefined ? undefined : cpu.get(c.name) + got.cpu);
    }
  }
  return new Map([...times].map(([name, t]) => {
    const total = cpu.get(name);
    return [name, { ...stats(t), cpu: total === undefined ? undefined : (total * 1000) / t.length }];
  }));
}
function stats(seconds) {
  const ms = seconds.map((s) => s * 1000).sort((a, b) => a - b);
  const mid = ms.length >> 1;
  const median = ms.length % 2 ? ms[mid] : (ms[mid - 1] + ms[mid]) / 2;
  return { median, min: ms[0], max: ms.at(-1), runs: ms.length };
}

// --- the machine ------------------------------------------------------------------------------

const cpuModel = (readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1] ?? 'unknown').trim();
const machine = {
  date: new Date().toISOString().slice(0, 10),
  nproc: sh('nproc').trim() || String(availableParallelism()),
  cpu: cpuModel,
  memory: `${Math.round(Number(readFileSync('/proc/meminfo', 'utf8').match(/MemTotal:\s*(\d+)/)[1]) / 1048576)} GiB`,
  node: process.version,
  openssl: run('openssl', ['version']).trim(),
  kernel: sh('uname -sr').trim(),
  load: loadavg().map((l) => l.toFixed(2)).join(' '),
  timer,
  commit: `${spawnSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout?.trim() || 'unknown'}${spawnSync('git', ['-C', root, 'status', '--porcelain', '--', 'src', 'bin', 'package.json'], { encoding: 'utf8' }).stdout?.trim() ? ' with uncommitted changes in src/' : ''}`,
};
log(`machine: ${JSON.stringify(machine)}`);

const rows = []; // { group, what, gatehouse, reference, refName, floor? }
const notes = {};
const gh = (...args) => [gatehouse, ...args];

try {
  if (!existsSync(join(root, 'dist', 'src', 'cli', 'entry.js'))) throw new Error('dist/ is missing: run "npm run build" (npm run bench does)');

  // --- 1. cert list over a large store --------------------------------------------------------
  const big = join(tmp, 'big');
  log(`seeding ${CERTS} certificates …`);
  const seedStart = Date.now();
  run(process.execPath, [join(root, 'bench', 'seed-store.mjs'), big, String(CERTS)], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 });
  notes.seedSeconds = (Date.now() - seedStart) / 1000;

  const listed = run(gatehouse, ['cert', 'list', '--data', big, '--json']);
  const reference = run(process.execPath, [join(root, 'bench', 'reference-list.mjs'), big]);
  notes.listCount = JSON.parse(listed).length;
  notes.listBytes = Buffer.byteLength(listed);
  notes.listSameOutput = listed === reference;
  if (notes.listCount !== CERTS) throw new Error(`cert list printed ${notes.listCount} certificates, expected ${CERTS}`);
  log(`cert list prints ${notes.listCount} certificates, ${(notes.listBytes / 1e6).toFixed(1)} MB; reference output identical: ${notes.listSameOutput}`);

  log('timing cert list …');
  const list = measure(
    [
      { name: 'gatehouse', argv: gh('cert', 'list', '--data', big, '--json') },
      { name: 'reference', argv: [process.execPath, join(root, 'bench', 'reference-list.mjs'), big] },
      { name: 'version', argv: gh('--version') },
      { name: 'floor', argv: [process.execPath, '-e', '0'] },
    ],
    { rounds: 3, runsPerRound: QUICK ? 2 : 5, warmup: 2 },
  );
  rows.push({ group: 'list', what: `\`cert list --json\`, ${CERTS.toLocaleString('en')} certificates`, gatehouse: list.get('gatehouse'), reference: list.get('reference'), refName: '`node bench/reference-list.mjs` (node:sqlite + JSON.stringify, same output)' });
  rows.push({ group: 'list', what: '`gatehouse --version` (CLI start, no store)', gatehouse: list.get('version'), reference: list.get('floor'), refName: '`node -e 0`' });
  notes.floor = list.get('floor');

  // Where the time of one listing goes, measured inside the process (median of 5).
  const phaseRuns = Array.from({ length: QUICK ? 3 : 5 }, () => JSON.parse(run(process.execPath, [join(root, 'bench', 'list-phases.mjs'), big])));
  notes.phases = Object.fromEntries(Object.keys(phaseRuns[0]).map((k) => [k, stats(phaseRuns.map((p) => p[k] / 1000)).median]));

  // --- 2. request new per key type ------------------------------------------------------------
  const req = join(tmp, 'requests');
  run(gatehouse, ['cert', 'list', '--data', req, '--json']); // creates the store, so no run pays for it
  const keyTypes = [
    ['ecdsa-p256', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']],
    ['ecdsa-p384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384']],
    ['rsa-2048', ['-newkey', 'rsa:2048']],
    ['rsa-3072', ['-newkey', 'rsa:3072']],
    ['rsa-4096', ['-newkey', 'rsa:4096']],
  ];
  for (const [key, newkey] of keyTypes) {
    log(`timing request new --key ${key} …`);
    const rsaBig = key === 'rsa-3072' || key === 'rsa-4096';
    const m = measure(
      [
        { name: 'gatehouse', argv: gh('request', 'new', '--cn', 'www.bench.test', '--san', 'bench.test', '--key', key, '--out', join(tmp, 'gh.csr'), '--data', req, '--json') },
        { name: 'openssl', argv: ['openssl', 'req', '-new', ...newkey, '-nodes', '-keyout', join(tmp, 'ossl.key'), '-out', join(tmp, 'ossl.csr'), '-subj', '/CN=www.bench.test', '-addext', 'subjectAltName=DNS:www.bench.test,DNS:bench.test'] },
      ],
      // RSA key generation time varies a lot from key to key (prime search): more runs for 3072/4096.
      { rounds: 3, runsPerRound: QUICK ? 1 : rsaBig ? 4 : 3, warmup: 1 },
    );
    rows.push({ group: 'request', what: `\`request new --key ${key}\``, gatehouse: m.get('gatehouse'), reference: m.get('openssl'), refName: `\`openssl req -new -newkey ${newkey.length > 2 ? `ec -pkeyopt ${newkey.at(-1)}` : newkey.at(-1)} -nodes\`` });
  }

  // --- 3. request complete with a certificate signed by `openssl x509 -req` --------------------
  const ca = join(tmp, 'ca');
  sh(`mkdir -p ${q(ca)} && cd ${q(ca)} && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 365 -subj '/CN=Bench Issuing CA' \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null`);
  const done = join(tmp, 'complete');
  run(gatehouse, ['cert', 'list', '--data', done, '--json']);
  // Each timed run completes a fresh request: prepare (untimed) makes it with Gatehouse and has the
  // openssl CA sign it; the CA's answer is the PEM bundle leaf + issuing CA, as CAs send it.
  const completePrepare = `cd ${q(tmp)}
${q(gatehouse)} request new --cn complete.bench.test --key ecdsa-p256 --out complete.csr --data ${q(done)} --json >/dev/null
openssl x509 -req -in complete.csr -CA ca/ca.pem -CAkey ca/ca.key -CAcreateserial -days 90 -copy_extensions copy -out complete.pem 2>/dev/null
cat complete.pem ca/ca.pem > response.pem`;
  log('timing request complete …');
  const complete = measure(
    [
      { name: 'gatehouse', argv: gh('request', 'complete', '--file', join(tmp, 'response.pem'), '--data', done, '--json'), prepare: completePrepare },
      { name: 'openssl', argv: ['openssl', 'verify', '-CAfile', join(ca, 'ca.pem'), join(tmp, 'complete.pem')] },
    ],
    { rounds: 3, runsPerRound: QUICK ? 1 : 4, warmup: 1 },
  );
  rows.push({ group: 'complete', what: '`request complete` (ECDSA P-256, PEM bundle leaf + CA)', gatehouse: complete.get('gatehouse'), reference: complete.get('openssl'), refName: '`openssl verify -CAfile ca.pem leaf.pem`' });

  // --- 4. PFX import --------------------------------------------------------------------------
  const imp = join(tmp, 'import');
  run(gatehouse, ['cert', 'list', '--data', imp, '--json']);
  writeFileSync(join(tmp, 'pfx.pw'), 'bench-password\n');
  sh(`cd ${q(tmp)} && openssl req -new -newkey rsa:2048 -nodes -keyout pfx.key -out pfx.csr -subj '/CN=pfx.bench.test' -addext subjectAltName=DNS:pfx.bench.test 2>/dev/null
      openssl x509 -req -in pfx.csr -CA ca/ca.pem -CAkey ca/ca.key -CAcreateserial -days 90 -copy_extensions copy -out pfx.pem 2>/dev/null
      openssl pkcs12 -export -inkey pfx.key -in pfx.pem -certfile ca/ca.pem -name 'pfx.bench.test' -passout file:pfx.pw -out modern.pfx
      openssl pkcs12 -export -legacy -inkey pfx.key -in pfx.pem -certfile ca/ca.pem -name 'pfx.bench.test' -passout file:pfx.pw -out legacy.pfx`);
  const thumb = sh(`openssl x509 -in ${q(join(tmp, 'pfx.pem'))} -noout -fingerprint -sha1`).trim().split('=')[1].replace(/:/g, '');
  // The same PFX is imported each run: prepare (untimed) removes what the previous run imported.
  const removePrepare = `${q(gatehouse)} cert remove ${thumb} --data ${q(imp)} --json >/dev/null 2>&1 || true`;
  for (const [label, file, legacy] of [['OpenSSL 3 default: AES-256-CBC, PBKDF2, SHA-256 MAC', 'modern.pfx', false], ['legacy: 3DES/RC2, SHA-1 MAC', 'legacy.pfx', true]]) {
    log(`timing cert import ${file} …`);
    const m = measure(
      [
        { name: 'gatehouse', argv: gh('cert', 'import', '--file', join(tmp, file), '--password-file', join(tmp, 'pfx.pw'), '--data', imp, '--json'), prepare: removePrepare },
        { name: 'openssl', argv: ['openssl', 'pkcs12', ...(legacy ? ['-legacy'] : []), '-in', join(tmp, file), '-passin', `file:${join(tmp, 'pfx.pw')}`, '-nodes', '-out', '/dev/null'] },
      ],
      { rounds: 3, runsPerRound: QUICK ? 1 : 4, warmup: 1 },
    );
    rows.push({ group: 'import', what: `\`cert import\` PFX, RSA-2048 + CA (${label})`, gatehouse: m.get('gatehouse'), reference: m.get('openssl'), refName: `\`openssl pkcs12${legacy ? ' -legacy' : ''} -in F -passin file:PW -nodes -out /dev/null\`` });
  }
} finally {
  cleanup();
}

// --- report -------------------------------------------------------------------------------------

const f = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const ratio = (r) => `${(r.gatehouse.median / r.reference.median).toFixed(2)}×`;
const cpuOf = (s) => (s.cpu === undefined ? 'n/a' : `${f(s.cpu)} ms`);
const table = [
  '| benchmark | Gatehouse median (min–max) | CPU | reference | reference median (min–max) | CPU | ratio | runs |',
  '|---|---:|---:|---|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.what} | **${f(r.gatehouse.median)} ms** (${f(r.gatehouse.min)}–${f(r.gatehouse.max)}) | ${cpuOf(r.gatehouse)} | ${r.refName} | ${f(r.reference.median)} ms (${f(r.reference.min)}–${f(r.reference.max)}) | ${cpuOf(r.reference)} | ${ratio(r)} | ${r.gatehouse.runs} / ${r.reference.runs} |`),
].join('\n');
const p = notes.phases;
const phaseTable = [
  '| phase (inside one process, median of 5) | ms |',
  '|---|---:|',
  ['node start (until the first line of the script)', p.nodeStart],
  ['load node:sqlite', p.loadSqlite],
  ['load Gatehouse\'s modules (cli/main.js and everything it imports at start)', p.loadGatehouseModules],
  ['open the store (migrations check, master key)', p.openStore],
  [`certificates.list() over ${p.count} rows (SELECT + mapping)`, p.list],
  ['JSON.stringify(…, null, 2)', p.stringify],
  ['write to stdout, close', p.writeAndClose],
  ['**total**', p.total],
  `| *not in the listing${p.x509LoadedByList ? ' (but loaded by it here)' : ''}:* load reflect-metadata + @peculiar/x509 | ${f(p.loadPeculiarX509)} |`,
  `| *not in the listing${p.forgeLoadedByList ? ' (but loaded by it here)' : ''}:* load node-forge | ${f(p.loadNodeForge)} |`,
].map((x) => (typeof x === 'string' ? x : `| ${x[0]} | ${f(x[1])} |`)).join('\n');

const list = rows[0];
const version = rows[1];
const loadMs = p.loadSqlite + p.loadGatehouseModules;
const req = Object.fromEntries(rows.filter((r) => r.group === 'request').map((r) => [r.what.match(/key (\S+)`/)[1], r]));
const ecdsaOverhead = [req['ecdsa-p256'], req['ecdsa-p384']].map((r) => r.gatehouse.median - r.reference.median);
const minReq = Math.min(...ecdsaOverhead);
const maxReq = Math.max(...ecdsaOverhead);
const complete = rows.find((r) => r.group === 'complete');
const [pfxModern, pfxLegacy] = rows.filter((r) => r.group === 'import');
const elapsed = ((Date.now() - started) / 1000).toFixed(0);

const md = `# Benchmarks

Measured by \`npm run bench\` (\`bench/run.mjs\`; see \`bench/README.md\`). Every figure is the wall time of
one whole CLI call, process start included, as an administrator or a script sees it; the reference is run
in the same session, alternating with Gatehouse (3 rounds, each round runs every command in turn).
Absolute figures move between machines and sessions; the ratios move much less.

## Machine and run

- Date: ${machine.date}
- CPU: ${machine.cpu}, \`nproc\` = ${machine.nproc}; memory ${machine.memory}; ${machine.kernel}
- Gatehouse at commit ${machine.commit}; Node ${machine.node}; ${machine.openssl}
- Timing: ${machine.timer}; load average (1, 5, 15 min) at start ${machine.load}, at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')} — other work on a shared 2-core machine widens the min–max ranges and can raise medians, Gatehouse and reference alike
- Child processes ran without \`NODE_EXTRA_CA_CERTS\`${extraCaWasSet ? ' (this sandbox sets it; node then parses that CA bundle at every start, which added about 30–50 ms to every node process here, Gatehouse or reference alike)' : ''}.
- Store for the listing: ${CERTS.toLocaleString('en')} distinct certificates (site0.test … site${CERTS - 1}.test, issued by an internal ECDSA P-256 CA, each with its own sealed key), seeded with \`bench/seed-store.mjs\` in ${notes.seedSeconds.toFixed(0)} s. The listing is ${(notes.listBytes / 1e6).toFixed(1)} MB of JSON; the reference script's output was ${notes.listSameOutput ? 'byte-for-byte identical' : '**not** identical'} to Gatehouse's.
- Whole benchmark run: ${elapsed} s.

## Results

${table}

Ratio = Gatehouse median wall time / reference median wall time. CPU = mean user + system time per run
(from hyperfine), which moves less than wall time when other work shares the machine. Runs = timed runs of
Gatehouse / of the reference.

### Where the time of \`cert list --json\` goes

${phaseTable}

## What the numbers say

**Listing.** \`cert list --json\` over ${CERTS.toLocaleString('en')} certificates takes ${f(list.gatehouse.median)} ms, well under a second,
${ratio(list)} the minimal Node program that prints the same bytes (${f(list.reference.median)} ms); \`node -e 0\` costs ${f(notes.floor.median)} ms.
Inside one listing: node starts in ${f(p.nodeStart)} ms, loading node:sqlite and Gatehouse's modules takes ${f(loadMs)} ms
(\`gatehouse --version\`, start-up alone, is ${f(version.gatehouse.median)} ms), and the work proper — ${f(p.list)} ms for the SELECT with its join
and sort plus mapping the rows, ${f(p.stringify)} ms to stringify ${(notes.listBytes / 1e6).toFixed(1)} MB — is the work the reference does too.
${p.x509LoadedByList || p.forgeLoadedByList ? 'The listing loads the certificate-parsing libraries although it parses no certificate' : 'The listing loads neither @peculiar/x509 nor node-forge'} (they would cost
${f(p.loadPeculiarX509)} ms and ${f(p.loadNodeForge)} ms to load; commands that parse or build certificates pay that on top of the start-up).

**Requests.** Creating a request costs the CLI's start (≈ ${f(version.gatehouse.median)} ms) plus key generation, which is native
OpenSSL in both tools. With ECDSA, where key generation takes milliseconds, Gatehouse's median overhead over \`openssl req\` is
${f(minReq)}–${f(maxReq)} ms: the CLI start, loading @peculiar/x509 (≈ ${f(p.loadPeculiarX509)} ms, see above), building and re-reading the CSR,
sealing the key and one fsynced transaction. For RSA 3072/4096 the
time is dominated by the prime search, which varies widely from key to key (see min–max), so the ratio tends
towards 1 as the key grows; ECDSA requests are start-up bound.

**Completion and import.** \`request complete\` (${f(complete.gatehouse.median)} ms, ${f(complete.gatehouse.median - version.gatehouse.median)} ms above the bare CLI start) parses the CA's
answer, matches the pending request, builds and checks the chain (against the ~140 system roots and the internal
CA) and stores it in one transaction; \`openssl verify\` does only the chain check and starts in a few milliseconds,
so that ratio is mostly Node's and the modules' start-up, not an equal task done slower. PFX import (node-forge,
pure JavaScript) takes ${f(pfxModern.gatehouse.median)} ms for an OpenSSL 3 default PFX and ${f(pfxLegacy.gatehouse.median)} ms for a legacy one, i.e.
${f(pfxModern.gatehouse.median - version.gatehouse.median)} and ${f(pfxLegacy.gatehouse.median - version.gatehouse.median)} ms above the CLI start: PKCS#12 decoding and decryption in JavaScript, the key and
chain checks (the system roots parsed again) and the store transaction; openssl does the decoding alone in ${f(pfxModern.reference.median)} ms.
`;

process.stdout.write(`\n${table}\n\n${phaseTable}\n\n`);
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, `${JSON.stringify({ machine, rows, notes, elapsed: Number(elapsed) }, null, 2)}\n`);
if (process.env.BENCH_NO_WRITE !== '1') {
  // Other benchmarks keep their own sections after this one (e.g. "## Serving plane"): keep them.
  const file = join(root, 'BENCHMARKS.md');
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const kept = previous.indexOf('\n## Serving plane');
  writeFileSync(file, kept >= 0 ? `${md.trimEnd()}\n${previous.slice(kept)}` : md);
  log(`wrote BENCHMARKS.md (run took ${elapsed} s)`);
}
