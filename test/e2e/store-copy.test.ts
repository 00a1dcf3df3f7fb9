// `gatehouse store copy --to TARGET` (issue #13, "Moving"): a store copied into the other engine and
// back is the same row for row; the copy serves; an interrupted copy leaves the source untouched and
// the target empty (and a rerun works); a store in the target is refused; an unreachable PostgreSQL
// is a clean GH_STORE_UNAVAILABLE. The source is the suite's store (SQLite, or PostgreSQL under
// GATEHOUSE_TEST_STORE=postgres), the copy goes into the other engine, so both directions run in the
// two passes of the suite.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { assertCleanError, BIN, dataDir, describeRun, eventually, freePorts, gh, ghJson, issueCert, passwordFile, type RunResult, sClient, selfSignedCert, storeFor, tmpDir } from '../support/cli.js';
import { freePort, PG_PASSWORD, startCluster } from '../support/postgres.js';
import { openDatabase, DATABASE_FILE, type Db } from '../../src/store/database.js';
import { storeTables } from '../../src/store/copy.js';

let base = process.env.GATEHOUSE_TEST_PG_URL ?? '';
let schemas = 0;

before(async () => {
  if (!base) base = (await startCluster()).url;
});

/** A store: a data directory, and a PostgreSQL URL when it is on PostgreSQL. */
interface Where {
  data: string;
  store?: string | undefined;
}

/** The suite's store for a fresh data directory (SQLite, or its own schema on PostgreSQL). */
function suiteStore(): Where {
  const data = dataDir();
  return { data, store: storeFor(data) };
}

/** A fresh store in the engine the suite's store is not: where copies go. */
function otherEngine(): Where {
  const data = dataDir();
  return storeFor(data) === undefined ? { data, store: `${base}?schema=copy_${process.pid}_${++schemas}` } : { data: join(tmpDir('gh-copy-'), 'data') };
}

/** `--to` for a store. */
function targetOf(w: Where): string {
  return w.store ?? w.data;
}

function run(w: Where, args: string[], env: NodeJS.ProcessEnv = {}): RunResult {
  const full = [...args, '--data', w.data, ...(w.store ? ['--store-url', w.store] : [])];
  const r = spawnSync(BIN, full, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', GATEHOUSE_STORE: '', ...env }, timeout: 120_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, args: full, json: <T>() => JSON.parse(r.stdout) as T };
}

function withDb<T>(w: Where, fn: (db: Db) => T): T {
  const db = openDatabase(w.data, w.store ? { store: w.store, migrate: false } : { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** The Gatehouse tables a store has (none: an empty target). */
function tablesIn(w: Where): string[] {
  if (!w.store && !existsSync(join(w.data, DATABASE_FILE))) return [];
  const known = new Set(storeTables());
  return withDb(w, (db) => (db.engine === 'postgres'
    ? db.all<{ n: string }>('SELECT table_name AS n FROM information_schema.tables WHERE table_schema = current_schema()')
    : db.all<{ n: string }>("SELECT name AS n FROM sqlite_master WHERE type = 'table'")).map((r) => r.n).filter((n) => known.has(n)).sort());
}

/**
 * Every row of every table, each value tagged by its kind (integer, text, bytes, NULL) so that the
 * two engines compare alike, the rows of each table sorted.
 */
function contents(w: Where): Record<string, string[]> {
  return withDb(w, (db) => {
    const out: Record<string, string[]> = {};
    for (const t of storeTables()) {
      out[t] = db.all<Record<string, unknown>>(`SELECT * FROM "${t}"`).map((row) => JSON.stringify(Object.keys(row).sort().map((k) => {
        const v = row[k];
        if (v === null) return [k, null];
        if (v instanceof Uint8Array) return [k, `bytes:${Buffer.from(v).toString('hex')}`];
        return [k, `${typeof v}:${String(v)}`];
      }))).sort();
    }
    return out;
  });
}

/** A store with a bit of everything: the internal CA, certificates with sealed keys, a pending request, a site with an SNI binding, a service, a user with a token, the audit. */
function populate(w: Where, port: number): string {
  const data = w.data;
  assert.equal(gh(data, ['ca', 'init', '--cn', 'Copy Test CA']).code, 0);
  const thumbprint = issueCert(data, 'www.contoso.test', 'contoso');
  const mail = selfSignedCert(data, 'mail.contoso.test', 'mail');
  ghJson(data, ['request', 'new', '--cn', 'pending.contoso.test', '--friendly-name', 'pending']);
  ghJson(data, ['service', 'assign', mail, '--services', 'smtp']);
  ghJson(data, ['site', 'add', 'www', '--root', data]);
  ghJson(data, ['binding', 'add', 'www', '--protocol', 'https', '--port', String(port), '--host', 'www.contoso.test', '--cert', 'contoso']);
  ghJson(data, ['user', 'add', 'alice', '--role', 'server-management', '--password-file', passwordFile(data, 'correct horse battery')]);
  ghJson(data, ['token', 'create', '--user', 'alice', '--description', 'copy test']);
  return thumbprint;
}

function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

test('a store copied into the other engine and back is the same, every table and every row; the copy is verified and says what it did', async () => {
  const source = suiteStore();
  const [port] = await freePorts(1);
  populate(source, port!);
  const before = contents(source);
  assert.ok(before.private_keys!.length >= 3 && before.certificates!.length >= 2 && before.requests!.length >= 1 && before.api_tokens!.length === 1 && before.audit!.length > 5, JSON.stringify(Object.fromEntries(Object.entries(before).map(([t, r]) => [t, r.length]))));

  const middle = otherEngine();
  const there = run(source, ['store', 'copy', '--to', targetOf(middle), '--json']);
  assert.equal(there.code, 0, describeRun(there));
  const summary = there.json<{ tables: Array<{ table: string; rows: number }>; rows: number; verified: boolean; revision: number; masterKey: string }>();
  assert.equal(summary.verified, true);
  assert.equal(summary.rows, Object.values(before).reduce((n, rows) => n + rows.length, 0));
  assert.equal(summary.tables.find((t) => t.table === 'certificates')!.rows, before.certificates!.length);
  assert.match(summary.masterKey, /same master key/);
  // Progress on stderr, the password never.
  assert.match(there.stderr, /certificates: \d+ row\(s\) copied and verified/);
  assert.ok(!there.stderr.includes(PG_PASSWORD) && !there.stdout.includes(PG_PASSWORD), describeRun(there));
  assert.deepEqual(contents(middle), before);

  const back = suiteStore();
  const again = run(middle, ['store', 'copy', '--to', targetOf(back)]);
  assert.equal(again.code, 0, describeRun(again));
  assert.match(again.stdout, /^Copied \d+ row\(s\) in \d+ table\(s\) from .* verified table by table/);
  assert.deepEqual(contents(back), before);
  // The source was never written.
  assert.deepEqual(contents(source), before);
  // The copy works as a store: the revision carried over, and a change made to it takes the next ids.
  copyFileSync(join(source.data, 'master.key'), join(back.data, 'master.key'));
  const revision = Number(JSON.parse(before.meta!.find((r) => r.includes('string:revision'))!)[1][1].replace(/^string:/, ''));
  assert.ok(revision > 5);
  assert.equal(run(back, ['serve', '--once', '--json']).json<{ revision: number }>().revision, revision);
  const req = run(back, ['request', 'new', '--cn', 'next.contoso.test', '--json']);
  assert.equal(req.code, 0, describeRun(req));
  assert.ok(req.json<{ id: number }>().id > 1);
  copyFileSync(join(source.data, 'master.key'), join(middle.data, 'master.key'));
  const pk = run(middle, ['request', 'new', '--cn', 'next.contoso.test', '--json']);
  assert.equal(pk.code, 0, `a new row in the copy takes an id past the copied ones (identity sequences set): ${describeRun(pk)}`);
});

test('serve on the copy presents the same certificate for the binding (openssl s_client)', async () => {
  const source = suiteStore();
  const [port] = await freePorts(1);
  const thumbprint = populate(source, port!);
  const target = otherEngine();
  const r = run(source, ['store', 'copy', '--to', targetOf(target)]);
  assert.equal(r.code, 0, describeRun(r));
  // The nodes using the copy need the same master key (the copy said so).
  if (!target.store) copyFileSync(join(source.data, 'master.key'), join(target.data, 'master.key'));
  const serveData = target.store ? source.data : target.data;
  const child = spawn(BIN, ['serve', '--data', serveData, ...(target.store ? ['--store-url', target.store] : []), '--admin', 'off', '--workers', '1'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', GATEHOUSE_STORE: '' }, detached: true });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  try {
    await eventually(`serve on the copy listens on ${port}`, () => out.includes(`listening on https *:${port}`), 20_000);
    const s = sClient(port!, 'www.contoso.test');
    assert.equal(s.thumbprint, thumbprint, `${s.out}\n${s.err}\n${out}`);
  } finally {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

test('a copy killed in the middle (SIGKILL) leaves the source untouched and the target empty; a rerun then copies everything', async () => {
  const source = suiteStore();
  populate(source, 40000 + ((process.pid + 7) % 2000));
  const before = contents(source);
  const file = join(source.data, DATABASE_FILE);
  const bytes = source.store ? '' : sha256File(file);
  const target = otherEngine();
  // Two rows a page and a pause after each: the copy takes seconds, and is killed once it has written rows.
  const child = spawn(BIN, ['store', 'copy', '--to', targetOf(target), '--batch', '2', '--data', source.data, ...(source.store ? ['--store-url', source.store] : [])],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', GATEHOUSE_STORE: '', GATEHOUSE_TEST_COPY_PAUSE_MS: '300' } });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_c, signal) => res(signal)));
  await eventually('the copy has written rows of several tables', () => /private_keys: \d+ row\(s\) copied and verified/.test(err), 60_000);
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL', `the copy ended before it was killed:\n${err}`);

  assert.deepEqual(contents(source), before);
  if (!source.store) assert.equal(sha256File(file), bytes, 'the source file is byte for byte as it was');
  // The killed transaction's connection is gone: PostgreSQL rolls it back; SQLite ignores the uncommitted WAL frames.
  await eventually('the target is empty', () => tablesIn(target).length === 0, 15_000);

  const rerun = run(source, ['store', 'copy', '--to', targetOf(target)]);
  assert.equal(rerun.code, 0, describeRun(rerun));
  assert.deepEqual(contents(target), before);
});

test('a long copy into one PostgreSQL schema does not hold up the writers of the stores in other schemas of the same database', async () => {
  const source = suiteStore();
  assert.equal(gh(source.data, ['site', 'add', 'www', '--root', source.data]).code, 0);
  const target = { data: dataDir(), store: `${base}?schema=copy_${process.pid}_${++schemas}` };
  const other = { data: dataDir(), store: `${base}?schema=copy_${process.pid}_${++schemas}` };
  assert.equal(run(other, ['site', 'list']).code, 0);
  // One row a page and two seconds after each: the copy holds its target's write lock for a minute.
  const child = spawn(BIN, ['store', 'copy', '--to', target.store, '--batch', '1', '--data', source.data, ...(source.store ? ['--store-url', source.store] : [])],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', GATEHOUSE_STORE: '', GATEHOUSE_TEST_COPY_PAUSE_MS: '2000' } });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((res) => child.on('exit', () => res()));
  try {
    // Once it says how much it copies, the target is migrated: its transaction holds the lock.
    await eventually('the copy has started', () => /copying \d+ row\(s\)/.test(err), 30_000);
    const write = await new Promise<{ code: number | null; stderr: string }>((res) => {
      const w = spawn(BIN, ['site', 'add', 'other', '--root', other.data, '--data', other.data, '--store-url', other.store], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, GATEHOUSE_STORE: '' } });
      let e = '';
      w.stderr!.on('data', (d: Buffer) => (e += d.toString()));
      w.on('close', (code) => res({ code, stderr: e }));
    });
    assert.equal(write.code, 0, write.stderr);
    assert.equal(child.exitCode, null, `the copy was still running while the other store took a change:\n${err}`);
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  assert.deepEqual(tablesIn(target), [], 'the killed copy left nothing');
});

test('a target that already holds a store is refused and left as it was, named without its password; so is the source itself', () => {
  const source = suiteStore();
  populate(source, 40000 + ((process.pid + 13) % 2000));
  const target = otherEngine();
  const made = run(target, ['site', 'add', 'other', '--root', target.data]);
  assert.equal(made.code, 0, describeRun(made));
  const was = contents(target);
  const r = run(source, ['store', 'copy', '--to', targetOf(target)]);
  assertCleanError(r, 'GH_STORE_COPY_TARGET_NOT_EMPTY');
  assert.match(r.stderr, /already holds a Gatehouse store/);
  assert.ok(!r.stderr.includes(PG_PASSWORD), r.stderr);
  if (target.store) assert.ok(r.stderr.includes('***@'), r.stderr);
  assert.deepEqual(contents(target), was);

  const self = run(source, ['store', 'copy', '--to', targetOf(source)]);
  assertCleanError(self, 'GH_STORE_COPY_TARGET_NOT_EMPTY');
});

test('an unreachable PostgreSQL target is GH_STORE_UNAVAILABLE without a stack trace or its password; nothing to copy and no target are refused too', async () => {
  const source = suiteStore();
  assert.equal(gh(source.data, ['site', 'add', 'www', '--root', source.data]).code, 0);
  const port = await freePort();
  const r = run(source, ['store', 'copy', '--to', `postgres://gatehouse:${PG_PASSWORD}@127.0.0.1:${port}/gatehouse`]);
  assertCleanError(r, 'GH_STORE_UNAVAILABLE');
  assert.ok(!r.stderr.includes(PG_PASSWORD), r.stderr);

  const empty = { data: join(tmpDir('gh-copy-'), 'none') };
  const to = join(tmpDir('gh-copy-'), 'new');
  const nothing = run(empty, ['store', 'copy', '--to', to]);
  assertCleanError(nothing, 'GH_STORE_COPY_SOURCE_EMPTY');
  assert.ok(!existsSync(to) && !existsSync(empty.data), 'no data directory is left behind');

  const missingTo = run(source, ['store', 'copy']);
  assertCleanError(missingTo, 'GH_USAGE', 2);
  const noRows = run(source, ['store', 'copy', '--to', to, '--batch', '0']);
  assertCleanError(noRows, 'GH_USAGE', 2);
});
