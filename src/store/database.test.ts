import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatehouseError } from '../model/gatehouse-error.js';
import { openDatabase } from './database.js';

// Issue #10, finding 7: a full disk was reported as an internal error. SQLite's size limit
// (PRAGMA max_page_count) makes the same SQLITE_FULL a full disk does.
test('a write that runs out of room is GH_STORE_FULL, says nothing was changed, and leaves the database as it was', (t) => {
  const db = openDatabase(':memory:');
  t.after(() => db.close());
  db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)');
  db.transaction('immediate', () => db.run('INSERT INTO blobs (data) VALUES (?)', Buffer.alloc(100)));
  db.exec(`PRAGMA max_page_count = ${db.get<{ page_count: number }>('PRAGMA page_count')!.page_count}`);
  assert.throws(
    () => db.transaction('immediate', () => {
      db.run('INSERT INTO blobs (data) VALUES (?)', Buffer.alloc(10));
      db.run('INSERT INTO blobs (data) VALUES (?)', Buffer.alloc(200_000));
    }),
    (e: unknown) => e instanceof GatehouseError && e.code === 'GH_STORE_FULL' && /disk .* is full.*nothing was changed/.test(e.message),
  );
  assert.deepEqual(db.all<{ id: number }>('SELECT id FROM blobs').map((r) => r.id), [1], 'the whole transaction was rolled back');
  // Other SQLite errors are not a full disk.
  assert.throws(() => db.run('INSERT INTO nowhere VALUES (1)'), (e: unknown) => !(e instanceof GatehouseError) && /no such table/.test(String(e)));
});
