import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { GatehouseError } from '../model/gatehouse-error.js';
import { parseStoreUrl, pgError, PostgresDb } from './postgres.js';

const shown = 'postgres://gatehouse:***@db.example:5432/gatehouse';
const is = (code: string, message?: RegExp) => (e: unknown) => e instanceof GatehouseError && e.code === code && (message === undefined || message.test(e.message));

// Issue #13: PostgreSQL out of disk space (SQLSTATE 53100) is GH_STORE_FULL, as SQLITE_FULL is (database.test.ts).
// An end-to-end full disk would need a filesystem of its own under a tablespace (a mount); the mapping is tested here.
test('PostgreSQL errors as Gatehouse errors: disk full, unreachable, silent, refused; others as they are', () => {
  const full = pgError({ message: 'could not extend file "base/5/16384": No space left on device', code: '53100' }, shown);
  assert.ok(is('GH_STORE_FULL', /out of disk space.*nothing was changed/)(full), String(full));
  for (const code of ['ECONNREFUSED', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'STATEMENT_TIMEOUT', '08006', '57P01']) {
    const e = pgError({ message: `it failed (${code}) at postgres://gatehouse:hunter2@db.example/gatehouse`, code }, shown);
    assert.ok(is('GH_STORE_UNAVAILABLE', /cannot be reached/)(e), `${code}: ${String(e)}`);
    assert.ok(!(e as Error).message.includes('hunter2'), 'the password is never in a message');
  }
  assert.ok(is('GH_STORE_UNAVAILABLE', /refused the connection/)(pgError({ message: 'password authentication failed', code: '28P01' }, shown)));
  // Other errors (a statement of ours) stay what they are.
  const other = pgError({ message: 'relation "nowhere" does not exist', code: '42P01' }, shown);
  assert.ok(!(other instanceof GatehouseError) && /nowhere/.test(other.message));
});

/** A server that accepts connections and never answers (a network that drops packets). */
async function silentServer(): Promise<{ port: number; connections: () => number; close(): void }> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server = createServer((s) => {
    count++;
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    connections: () => count,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

// Issue #13: a serving process must not keep its event loop blocked on a PostgreSQL that does not answer.
test('a guarded store gives up on a silent server after its deadline, then fails at once while its worker probes in the background', async (t) => {
  const silent = await silentServer();
  t.after(() => silent.close());
  const db = new PostgresDb(parseStoreUrl(`postgres://gatehouse:hunter2@127.0.0.1:${silent.port}/gatehouse`));
  t.after(() => db.close());
  db.guard(400);
  assert.equal(db.down, false);
  assert.throws(() => db.get('SELECT 1'), is('GH_STORE_UNAVAILABLE', /cannot be reached \(no answer within 0.4 s\)/));
  assert.equal(db.down, true, 'marked down after a call that got no answer');
  // Down: a call fails without waiting — and a transaction too, leaving nothing half done.
  assert.throws(() => db.get('SELECT 1'), is('GH_STORE_UNAVAILABLE', /did not answer the last request.*tries again in the background/));
  assert.throws(() => db.transaction('immediate', () => db.run('SELECT 1')), is('GH_STORE_UNAVAILABLE'));
  // The worker probes (a new connection to the silent server) in the background; nothing here waits for it.
  for (let i = 0; i < 100 && silent.connections() < 2; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(silent.connections() >= 2, `the worker probes again on a new connection (${silent.connections()} connections)`);
  assert.equal(db.down, true, 'down until the server answers');
});

test('an unguarded store (a command) waits for its own deadline, and `within` shortens it for the calls inside', async (t) => {
  const silent = await silentServer();
  t.after(() => silent.close());
  const db = new PostgresDb(parseStoreUrl(`postgres://gatehouse@127.0.0.1:${silent.port}/gatehouse`));
  t.after(() => db.close());
  assert.throws(() => db.within(300, () => db.get('SELECT 1')), is('GH_STORE_UNAVAILABLE', /no answer within 0.3 s/));
  assert.equal(db.down, false, 'only a guarded store is ever marked down');
});

// A busy writers' lock is not a silent server: a guarded store's writer gets PostgreSQL's lock timeout
// (before its own deadline) and the store stays up. Needs a PostgreSQL: the suite's PostgreSQL pass.
test('a guarded store waiting for the writers\' lock fails with "try again", and is not taken for down', { skip: process.env.GATEHOUSE_TEST_PG_URL ? false : 'needs GATEHOUSE_TEST_PG_URL (the PostgreSQL pass)' }, (t) => {
  const holder = new PostgresDb(parseStoreUrl(process.env.GATEHOUSE_TEST_PG_URL!));
  const db = new PostgresDb(parseStoreUrl(process.env.GATEHOUSE_TEST_PG_URL!));
  t.after(() => {
    db.close();
    holder.close();
  });
  db.guard(10_000);
  holder.transaction('immediate', () => {
    assert.throws(() => db.within(1_000, () => db.transaction('immediate', () => db.get('SELECT 1'))), is('GH_STORE_UNAVAILABLE', /held the write lock .* too long/));
  });
  assert.equal(db.down, false, 'a busy lock does not mark the store down');
  assert.deepEqual(db.transaction('immediate', () => db.get<{ one: number }>('SELECT 1 AS one')), { one: 1 }, 'and the next change goes through');
});
