// Console sessions in the store: the same rules as when they lived in one process's memory (idle and
// absolute time-outs, a capacity, ending one or all of a user's), and now shared by every Gatehouse
// on the store: a second one (another node, a restarted serve) sees them, and ending on one ends on all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sameToken } from '../admin/session-store.js';
import { DEFAULT_SESSION_LIMITS, TOUCH_WRITE_MS, ConsoleSessions as SessionsOnStore, type SessionLimits } from './console-sessions.js';
import { openGatehouse, type Gatehouse } from './gatehouse.js';

/** A clock the test moves by hand. */
function manualClock(start = 1_800_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const open: Gatehouse[] = [];
test.after(() => open.splice(0).forEach((g) => g.close()));

/** Sessions on a fresh in-memory store. */
class SessionStore {
  static create(clock: () => number, limits?: SessionLimits): SessionsOnStore {
    const g = openGatehouse({ dataDir: ':memory:', actor: { name: 'tester', origin: 'cli' } });
    open.push(g);
    return g.sessions(clock, limits);
  }
}

const LIMITS = { idleMs: 30 * 60_000, absoluteMs: 12 * 3600_000, capacity: 100 };

test('a new session has a 256-bit cookie value and its own CSRF token', () => {
  const clock = manualClock();
  const store = SessionStore.create(clock.now, LIMITS);
  const a = store.create('alice', '2026-11-01T00:00:00.000Z');
  const b = store.create('alice', '2026-11-01T00:00:00.000Z');
  assert.match(a.id, /^[A-Za-z0-9_-]{43}$/);
  assert.match(a.session.csrfToken, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a.id, b.id);
  assert.notEqual(a.session.csrfToken, b.session.csrfToken);
  assert.notEqual(a.id, a.session.csrfToken);
  assert.equal(a.session.user, 'alice');
  assert.equal(a.session.userUpdated, '2026-11-01T00:00:00.000Z');
  assert.equal(a.session.created, clock.now());
  assert.deepEqual(store.touch(a.id), a.session);
  assert.deepEqual(store.touch(b.id), b.session);
});

test('an unknown or altered cookie value finds no session', () => {
  const store = SessionStore.create(manualClock().now, LIMITS);
  const { id } = store.create('alice', 'u');
  assert.equal(store.touch(''), undefined);
  assert.equal(store.touch('not-a-session'), undefined);
  assert.equal(store.touch(`${id.slice(0, -1)}${id.endsWith('A') ? 'B' : 'A'}`), undefined);
  assert.ok(store.touch(id));
});

test('idle expiry: a session unused for longer than idleMs ends, and stays ended', () => {
  const clock = manualClock();
  const store = SessionStore.create(clock.now, LIMITS);
  const { id } = store.create('alice', 'u');
  clock.advance(LIMITS.idleMs - 1);
  assert.ok(store.touch(id), 'just inside the idle timeout');
  clock.advance(LIMITS.idleMs + 1);
  assert.equal(store.touch(id), undefined, 'idle too long');
  // Going back in time does not revive it: it was removed.
  clock.advance(-(LIMITS.idleMs + 1));
  assert.equal(store.touch(id), undefined);
});

test('use keeps a session alive (each touch restarts the idle timer)', () => {
  const clock = manualClock();
  const store = SessionStore.create(clock.now, LIMITS);
  const { id } = store.create('alice', 'u');
  for (let i = 0; i < 10; i++) {
    clock.advance(LIMITS.idleMs - 1000);
    const s = store.touch(id);
    assert.ok(s, `touch ${i}`);
    assert.equal(s.lastSeen, clock.now());
  }
});

test('absolute expiry: a session ends absoluteMs after log-in however busy it is', () => {
  const clock = manualClock();
  const store = SessionStore.create(clock.now, { ...LIMITS, idleMs: 60_000, absoluteMs: 10 * 60_000 });
  const { id } = store.create('alice', 'u');
  for (let t = 0; t < 10 * 60_000; t += 30_000) {
    assert.ok(store.touch(id), `alive at +${t} ms`);
    clock.advance(30_000);
  }
  assert.ok(store.touch(id), 'alive at exactly absoluteMs');
  clock.advance(1);
  assert.equal(store.touch(id), undefined, 'ended after absoluteMs');
});

test('capacity: beyond it the least recently used session is dropped', () => {
  const clock = manualClock();
  const store = SessionStore.create(clock.now, { ...LIMITS, capacity: 3 });
  const ids = ['a', 'b', 'c'].map((u) => {
    clock.advance(1);
    return store.create(u, 'u').id;
  });
  clock.advance(TOUCH_WRITE_MS);
  // a is used again, so b is now the least recently used.
  assert.ok(store.touch(ids[0]!));
  const d = store.create('d', 'u').id;
  assert.ok(store.touch(ids[0]!), 'a was used recently: kept');
  assert.equal(store.touch(ids[1]!), undefined, 'b was the least recently used: dropped');
  assert.ok(store.touch(ids[2]!));
  assert.ok(store.touch(d));
  // Always at most `capacity` live sessions.
  const more = Array.from({ length: 10 }, (_, i) => {
    clock.advance(1);
    return store.create(`u${i}`, 'u').id;
  });
  // (Looking does not reorder them: the touches below are within TOUCH_WRITE_MS of their creation.)
  const live = [...ids, d, ...more].filter((id) => store.touch(id) !== undefined);
  assert.equal(live.length, 3);
  assert.deepEqual(live, more.slice(-3));
});

test('end ends one session; endAllOf ends every session of one user and no other', () => {
  const clock = manualClock();
  const store = SessionStore.create(clock.now, LIMITS);
  const a1 = store.create('alice', 'u').id;
  const a2 = store.create('alice', 'u').id;
  const b1 = store.create('bob', 'u').id;
  const a3 = store.create('alice', 'u').id;
  store.end(a3);
  assert.equal(store.touch(a3), undefined);
  assert.ok(store.touch(a1));
  store.endAllOf('alice');
  assert.equal(store.touch(a1), undefined);
  assert.equal(store.touch(a2), undefined);
  assert.ok(store.touch(b1), "bob's session is untouched");
  store.endAllOf('nobody');
  assert.ok(store.touch(b1));
  // User names are exact: "Bob" is not "bob".
  store.endAllOf('Bob');
  assert.ok(store.touch(b1));
});

test('the default limits: 30 minutes idle, 12 hours at most, 10,000 sessions', () => {
  assert.deepEqual(DEFAULT_SESSION_LIMITS, { idleMs: 30 * 60_000, absoluteMs: 12 * 3600_000, capacity: 10_000 });
  const store = SessionStore.create(() => 0);
  assert.deepEqual(store.limits, DEFAULT_SESSION_LIMITS);
});

test('sameToken compares CSRF tokens exactly', () => {
  assert.equal(sameToken('abc', 'abc'), true);
  assert.equal(sameToken('abc', 'abd'), false);
  assert.equal(sameToken('abc', 'abcd'), false);
  assert.equal(sameToken('', 'abc'), false);
  assert.equal(sameToken('é', 'é'), true);
  assert.equal(sameToken('é', 'e\u0301'), false);
});

test('two Gatehouses on one store (two nodes, or serve restarted) share sessions: made on one, used and ended on the other', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-sessions-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const clock = manualClock();
  const one = openGatehouse({ dataDir: dir, actor: { name: 'tester', origin: 'cli' } });
  const two = openGatehouse({ dataDir: dir, actor: { name: 'tester', origin: 'cli' } });
  t.after(() => [one, two].forEach((g) => g.close()));
  const a = one.sessions(clock.now).create('alice', 'u');
  const b = one.sessions(clock.now).create('alice', 'u');
  clock.advance(60_000);
  assert.equal(two.sessions(clock.now).touch(a.id)?.csrfToken, a.session.csrfToken, 'made on one, valid on the other');
  // Used on two keeps it alive on one: the last use is in the store.
  clock.advance(DEFAULT_SESSION_LIMITS.idleMs - 1000);
  assert.ok(one.sessions(clock.now).touch(a.id), 'used on two a moment ago: not idle on one');
  assert.equal(one.sessions(clock.now).touch(b.id), undefined, 'b was not used: idle on both');
  two.sessions(clock.now).end(a.id);
  assert.equal(one.sessions(clock.now).touch(a.id), undefined, 'logged out on two: logged out on one');
  const c = two.sessions(clock.now).create('bob', 'u');
  one.sessions(clock.now).endAllOf('bob');
  assert.equal(two.sessions(clock.now).touch(c.id), undefined);
});

test('the store keeps only a hash of the session id', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-sessions-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const g = openGatehouse({ dataDir: dir, actor: { name: 'tester', origin: 'cli' } });
  const { id } = g.sessions(() => Date.now()).create('alice', 'u');
  g.close();
  const bytes = Buffer.concat(readdirSync(dir).filter((f) => f.startsWith('gatehouse.db')).map((f) => readFileSync(join(dir, f))));
  assert.equal(bytes.includes(Buffer.from(id)), false, 'the cookie value is nowhere in the database files');
});

