// The PostgreSQL store (issue #13): what only PostgreSQL has — a URL with a password, a server that
// may be unreachable, a schema per store, migrators in several processes. Runs in both suites: on its
// own cluster when the run has none (test/support/postgres.ts).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertCleanError, BIN, dataDir, describeRun, type RunResult, ServeProcess } from '../support/cli.js';
import { freePort, PG_PASSWORD, startCluster } from '../support/postgres.js';
import { PostgresDb, parseStoreUrl } from '../../src/store/postgres.js';

let base = process.env.GATEHOUSE_TEST_PG_URL ?? '';
let schemas = 0;

before(async () => {
  if (!base) base = (await startCluster()).url;
});

/** A URL for a fresh schema of its own. */
function freshStore(): string {
  return `${base}?schema=pgtest_${process.pid}_${++schemas}_${Date.now() % 100000}`;
}

function run(data: string, store: string, args: string[], env: NodeJS.ProcessEnv = {}): RunResult {
  const full = [...args, '--data', data, ...(store ? ['--store-url', store] : [])];
  const r = spawnSync(BIN, full, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', GATEHOUSE_STORE: '', ...env }, timeout: 60_000 });
  const res: RunResult = { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, args: full, json: <T>() => JSON.parse(r.stdout) as T };
  return res;
}

function runAsync(data: string, store: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(BIN, [...args, '--data', data, '--store-url', store], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Statements straight on the store's schema, beside Gatehouse. */
function direct<T>(store: string, fn: (db: PostgresDb) => T): T {
  const db = new PostgresDb(parseStoreUrl(store));
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

test('a store on PostgreSQL: certificates, sites and bindings go into the schema named in the URL, the master key stays in the data directory', () => {
  const data = dataDir();
  const store = freshStore();
  for (const args of [['ca', 'init'], ['request', 'new', '--cn', 'www.contoso.com', '--friendly-name', 'contoso'], ['request', 'submit', '1', '--ca', 'internal'], ['site', 'add', 'www', '--root', data],
    ['binding', 'add', 'www', '--protocol', 'https', '--port', '8443', '--cert', 'contoso']]) {
    const r = run(data, store, args);
    assert.equal(r.code, 0, describeRun(r));
  }
  const list = run(data, store, ['cert', 'list', '--json']).json<Array<{ friendlyName: string }>>();
  assert.deepEqual(list.map((c) => c.friendlyName), ['contoso']);
  assert.ok(existsSync(join(data, 'master.key')), 'the master key is in the data directory');
  assert.ok(!existsSync(join(data, 'gatehouse.db')), 'no SQLite file beside it');
  const rows = direct(store, (db) => ({
    bindings: db.all<{ host: string; port: number }>('SELECT host, port FROM bindings'),
    keys: db.get<{ n: number }>('SELECT COUNT(*) AS n FROM private_keys')!.n,
    sealed: db.all<{ sealed: Buffer }>('SELECT sealed FROM private_keys'),
  }));
  assert.deepEqual(rows.bindings, [{ host: '', port: 8443 }]);
  assert.equal(rows.keys, 2, 'the CA\'s key and the certificate\'s');
  const masterKey = Buffer.from(readFileSync(join(data, 'master.key'), 'utf8').trim(), 'base64');
  for (const r of rows.sealed) assert.ok(Buffer.isBuffer(r.sealed) && !r.sealed.includes(masterKey), 'keys sealed; the master key is not in the database');
  // Another store (another schema) in the same database sees none of it.
  assert.deepEqual(run(dataDir(), freshStore(), ['cert', 'list', '--json']).json(), []);
});

test('a wrong password or an unreachable server: GH_STORE_UNAVAILABLE naming the URL, and the password printed nowhere', async () => {
  const data = dataDir();
  const wrong = freshStore().replace(`:${PG_PASSWORD}@`, ':not-The-Password-99@');
  const r = run(data, wrong, ['cert', 'list']);
  assertCleanError(r, 'GH_STORE_UNAVAILABLE');
  assert.match(r.stderr, /refused the connection .*password/i);
  assert.match(r.stderr, /postgres:\/\/gatehouse:\*\*\*@127\.0\.0\.1:\d+\/postgres/);
  assert.ok(!r.stderr.includes('not-The-Password-99') && !r.stdout.includes('not-The-Password-99'), r.stderr);
  const port = await freePort();
  const nowhere = `postgres://gatehouse:${PG_PASSWORD}@127.0.0.1:${port}/postgres`;
  const r2 = run(data, nowhere, ['site', 'list']);
  assertCleanError(r2, 'GH_STORE_UNAVAILABLE');
  assert.match(r2.stderr, new RegExp(`cannot be reached .*127\\.0\\.0\\.1:${port}`));
  assert.ok(!r2.stderr.includes(PG_PASSWORD), r2.stderr);
  // Through the environment too.
  const r3 = run(data, '', ['cert', 'list'], { GATEHOUSE_STORE: nowhere });
  assertCleanError(r3, 'GH_STORE_UNAVAILABLE');
  assert.ok(!r3.stderr.includes(PG_PASSWORD), r3.stderr);
  // A URL that is not one: a usage error, the password not echoed.
  const r4 = run(data, `mysql://u:${PG_PASSWORD}@127.0.0.1/x`, ['cert', 'list']);
  assertCleanError(r4, 'GH_USAGE', 2);
  assert.ok(!r4.stderr.includes(PG_PASSWORD), r4.stderr);
});

test('serve reports the store as its URL without the password', async () => {
  const data = dataDir();
  const store = freshStore();
  const r = run(data, store, ['serve', '--once', '--json']);
  assert.equal(r.code, 0, describeRun(r));
  assert.ok(!r.stdout.includes(PG_PASSWORD) && !r.stderr.includes(PG_PASSWORD), r.stdout);
  assert.match(r.json<{ store: string }>().store, /^postgres:\/\/gatehouse:\*\*\*@127\.0\.0\.1:\d+\/postgres\?schema=pgtest_/);
  const serve = new ServeProcess(data, ['--store-url', store, '--workers', '1']);
  try {
    await serve.waitFor(/store postgres:\/\/gatehouse:\*\*\*@/, 'the store named without its password');
    assert.ok(!serve.out.includes(PG_PASSWORD) && !serve.err.includes(PG_PASSWORD), serve.out + serve.err);
    for (const args of [['serve', 'status'], ['serve', 'status', '--json'], ['farm', 'status'], ['farm', 'status', '--json']]) {
      const s = run(data, store, args);
      assert.equal(s.code, 0, describeRun(s));
      assert.ok(!s.stdout.includes(PG_PASSWORD) && !s.stderr.includes(PG_PASSWORD), s.stdout);
    }
  } finally {
    await serve.stop();
  }
});

test('a schema written by a newer Gatehouse is refused (GH_STORE_NEWER), and nothing is changed', () => {
  const data = dataDir();
  const store = freshStore();
  assert.equal(run(data, store, ['site', 'add', 'www', '--root', data]).code, 0);
  direct(store, (db) => db.run("INSERT INTO schema_migrations (version, name, applied) VALUES (9999, 'from the future', '2030-01-01')"));
  const r = run(data, store, ['site', 'add', 'other', '--root', data]);
  assertCleanError(r, 'GH_STORE_NEWER');
  assert.match(r.stderr, /schema 9999/);
  assert.deepEqual(direct(store, (db) => db.all<{ name: string }>('SELECT name FROM sites')), [{ name: 'www' }]);
});

test('three processes migrating one new schema at once: all succeed, each migration applied once', async () => {
  const store = freshStore();
  // One data directory (one master key: nodes of one store share it); the schema does not exist yet.
  const data = dataDir();
  const [a, b, c] = await Promise.all([runAsync(data, store, ['site', 'list']), runAsync(data, store, ['cert', 'list']), runAsync(data, store, ['user', 'list'])]);
  for (const r of [a, b, c]) assert.equal(r.code, 0, r.stderr);
  const versions = direct(store, (db) => db.all<{ version: number; n: number }>('SELECT version, COUNT(*) AS n FROM schema_migrations GROUP BY version ORDER BY version'));
  assert.ok(versions.length >= 12, JSON.stringify(versions));
  assert.ok(versions.every((v) => v.n === 1));
  assert.deepEqual(versions.map((v) => v.version), versions.map((_, i) => i + 1));
});

test('a refused change leaves the PostgreSQL store unchanged, a failing statement inside a change rolls back the whole change', () => {
  const data = dataDir();
  const store = freshStore();
  assert.equal(run(data, store, ['site', 'add', 'www', '--root', data]).code, 0);
  const before = direct(store, (db) => JSON.stringify([db.all('SELECT * FROM sites'), db.all('SELECT * FROM audit ORDER BY id'), db.all("SELECT * FROM meta WHERE name = 'revision'")]));
  assertCleanError(run(data, store, ['site', 'add', 'www', '--root', data]), 'GH_SITE_EXISTS');
  assertCleanError(run(data, store, ['binding', 'add', 'www', '--protocol', 'https', '--port', '8443', '--cert', 'nothing-by-that-name']), 'GH_CERT_NOT_FOUND');
  const after = direct(store, (db) => JSON.stringify([db.all('SELECT * FROM sites'), db.all('SELECT * FROM audit ORDER BY id'), db.all("SELECT * FROM meta WHERE name = 'revision'")]));
  assert.equal(after, before);
  // A statement that fails half-way through a transaction: what came before it in the transaction is gone too.
  direct(store, (db) => {
    assert.throws(() => db.transaction('immediate', () => {
      db.run("INSERT INTO sites (name, state, kind, target, https_redirect, hsts, log_format, created) VALUES ('half', 'started', 'static', '/', 0, 0, 'off', 'now')");
      db.transaction('immediate', () => db.run("INSERT INTO sites (name, state, kind, target, https_redirect, hsts, log_format, created) VALUES ('www', 'started', 'static', '/', 0, 0, 'off', 'now')"));
    }), /duplicate key/);
    assert.deepEqual(db.all('SELECT name FROM sites ORDER BY name'), [{ name: 'www' }]);
    // The connection is usable after the rollback.
    assert.equal(db.get<{ n: number }>('SELECT COUNT(*) AS n FROM sites')!.n, 1);
  });
});
