import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatehouseError } from '../model/gatehouse-error.js';
import { copyDatabase, schemaVersion, storeTables, tablesOf } from './copy.js';
import { migrate, openSqlite, type Db, type SqlValue } from './database.js';
import { MIGRATIONS } from './migrations.js';

const LATEST = MIGRATIONS[MIGRATIONS.length - 1]!.version;
const shown = { from: 'source', to: 'target' };

/** A source store with rows in a few tables (a sealed key's bytes, NULLs, integers), migrated up to `version`. */
function source(version = LATEST): Db {
  const db = openSqlite(':memory:', { migrate: false });
  migrate(db, version);
  db.transaction('immediate', () => {
    for (let i = 1; i <= 25; i++) db.run('INSERT INTO private_keys (key_type, spki_sha256, exportable, created, sealed) VALUES (?, ?, ?, ?, ?)', 'ecdsa-p256', `spki${i}`, i % 2, '2026-11-28T00:00:00Z', Buffer.from([i, 0, 255, i]));
    db.run("INSERT INTO audit (at, actor, origin, action, target, before, after) VALUES ('2026-11-28T00:00:00Z', 'root', 'cli', 'site.add', 'www', NULL, '{\"x\":1}')");
    db.run("UPDATE meta SET value = '42' WHERE name = 'revision'");
  });
  return db;
}

function rows(db: Db): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const t of storeTables()) {
    if (!tablesOf(db).includes(t)) continue;
    out[t] = db.all<Record<string, SqlValue>>(`SELECT * FROM "${t}"`).map((r) => JSON.stringify(Object.entries(r).map(([k, v]) => [k, v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v]))).sort();
  }
  return out;
}

test('a copy between two databases carries every row, in pages, and says what it copied', (t) => {
  const from = source();
  const to = openSqlite(':memory:', { migrate: false });
  t.after(() => [from, to].forEach((d) => d.close()));
  const lines: string[] = [];
  const s = copyDatabase(from, to, shown, { batch: 4, progress: (l) => lines.push(l) });
  assert.equal(s.verified, true);
  assert.equal(s.revision, 42);
  assert.equal(s.tables.find((x) => x.table === 'private_keys')!.rows, 25);
  assert.deepEqual(rows(to), rows(from));
  assert.ok(lines.some((l) => /private_keys: 25 row\(s\) copied and verified/.test(l)), lines.join('\n'));
});

test('a source of an older schema is copied at its version and the copy brought up to this one in the same transaction', (t) => {
  const from = source(10);
  const to = openSqlite(':memory:', { migrate: false });
  t.after(() => [from, to].forEach((d) => d.close()));
  const s = copyDatabase(from, to, shown);
  assert.equal(s.schemaVersion, 10);
  assert.equal(schemaVersion(to), LATEST);
  assert.equal(schemaVersion(from), 10, 'the source was not migrated');
  assert.equal(to.get<{ n: number }>('SELECT COUNT(*) AS n FROM private_keys')!.n, 25);
});

test('a target whose rows do not read back as written fails verification (GH_STORE_COPY_MISMATCH) and is rolled back to empty', (t) => {
  const from = source();
  const real = openSqlite(':memory:', { migrate: false });
  t.after(() => [from, real].forEach((d) => d.close()));
  // A target that damages one sealed key on its way in.
  let damaged = false;
  const to: Db = new Proxy(real, {
    get(target, name) {
      const value = Reflect.get(target, name, target) as unknown;
      if (name !== 'run') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      return (sql: string, ...args: SqlValue[]) => {
        if (!damaged && sql.startsWith('INSERT INTO "private_keys"')) {
          damaged = true;
          const i = args.findIndex((a) => a instanceof Uint8Array);
          args[i] = Buffer.from([9, 9, 9]);
        }
        return target.run(sql, ...args);
      };
    },
  });
  assert.throws(() => copyDatabase(from, to, shown), (e: unknown) => e instanceof GatehouseError && e.code === 'GH_STORE_COPY_MISMATCH' && /private_keys.*rolled back/.test(e.message));
  assert.deepEqual(tablesOf(real), [], 'nothing of the copy is left in the target');
});

test('a target that holds a store, and a source that holds none, are refused; neither is changed', (t) => {
  const from = source();
  const full = source();
  const empty = openSqlite(':memory:', { migrate: false });
  const to = openSqlite(':memory:', { migrate: false });
  t.after(() => [from, full, empty, to].forEach((d) => d.close()));
  const was = rows(full);
  assert.throws(() => copyDatabase(from, full, shown), (e: unknown) => e instanceof GatehouseError && e.code === 'GH_STORE_COPY_TARGET_NOT_EMPTY' && /target already holds/.test(e.message));
  assert.deepEqual(rows(full), was);
  assert.throws(() => copyDatabase(empty, to, shown), (e: unknown) => e instanceof GatehouseError && e.code === 'GH_STORE_COPY_SOURCE_EMPTY');
  assert.deepEqual(tablesOf(to), []);
});
