// The log-in throttle, counting failures in the store: the same limits as when it counted in one
// process's memory, and now one count for every Gatehouse on the store (switching nodes resets nothing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_THROTTLE_LIMITS, LoginThrottle as ThrottleOnStore, type ThrottleLimits } from './console-sessions.js';
import { openGatehouse, type Gatehouse } from './gatehouse.js';

const open: Gatehouse[] = [];
test.after(() => open.splice(0).forEach((g) => g.close()));

/** A throttle on a fresh in-memory store. */
class LoginThrottle {
  static create(clock: () => number, limits?: ThrottleLimits): ThrottleOnStore {
    const g = openGatehouse({ dataDir: ':memory:', actor: { name: 'tester', origin: 'cli' } });
    open.push(g);
    return g.loginThrottle(clock, limits);
  }
}

function manualClock(start = 1_800_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const LIMITS = { windowMs: 15 * 60_000, perAddress: 10, perUser: 5 };

test('the defaults: 5 failures per user name and 10 per address within 15 minutes', () => {
  assert.deepEqual(DEFAULT_THROTTLE_LIMITS, LIMITS);
});

test('a user name is throttled after perUser failures, until the oldest failure leaves the window', () => {
  const clock = manualClock();
  const t = LoginThrottle.create(clock.now, LIMITS);
  for (let i = 0; i < 5; i++) {
    assert.equal(t.retryAfter(`10.0.0.${i}`, 'alice'), 0, `attempt ${i + 1} is allowed`);
    t.failed(`10.0.0.${i}`, 'alice');
    clock.advance(60_000);
  }
  // Five failures from five addresses: the name is throttled, from anywhere.
  const wait = t.retryAfter('192.0.2.1', 'alice');
  assert.equal(wait, LIMITS.windowMs - 5 * 60_000, 'until the first failure is 15 minutes old');
  assert.equal(t.retryAfter('192.0.2.1', 'bob'), 0, 'other names are not throttled');
  clock.advance(wait - 1);
  assert.ok(t.retryAfter('192.0.2.1', 'alice') > 0);
  clock.advance(1);
  assert.equal(t.retryAfter('192.0.2.1', 'alice'), 0, 'the oldest failure has left the window: one more try');
  t.failed('192.0.2.1', 'alice');
  assert.ok(t.retryAfter('192.0.2.1', 'alice') > 0, 'and a failure there throttles again');
});

test('user names are throttled case-insensitively', () => {
  const t = LoginThrottle.create(manualClock().now, LIMITS);
  for (const name of ['Alice', 'ALICE', 'alice', 'aLiCe', 'alicE']) t.failed(`10.0.0.${name.length}`, name);
  assert.ok(t.retryAfter('10.9.9.9', 'alice') > 0);
  assert.ok(t.retryAfter('10.9.9.9', 'ALICE') > 0);
});

test('an address is throttled after perAddress failures, whatever names it tries', () => {
  const t = LoginThrottle.create(manualClock().now, LIMITS);
  for (let i = 0; i < 9; i++) t.failed('203.0.113.7', `user${i}`);
  assert.equal(t.retryAfter('203.0.113.7', 'someone'), 0);
  t.failed('203.0.113.7', 'user9');
  assert.ok(t.retryAfter('203.0.113.7', 'someone') > 0, 'ten failures: the address waits');
  assert.ok(t.retryAfter('203.0.113.7', 'alice') > 0, 'for a name it never tried too');
  assert.equal(t.retryAfter('203.0.113.8', 'someone'), 0, 'another address is not throttled');
});

test("a success clears the user's failures but not the address's", () => {
  const t = LoginThrottle.create(manualClock().now, { ...LIMITS, perAddress: 6 });
  for (let i = 0; i < 4; i++) t.failed('198.51.100.1', 'alice');
  t.succeeded('ALICE');
  for (let i = 0; i < 4; i++) t.failed('198.51.100.2', 'alice');
  assert.equal(t.retryAfter('198.51.100.3', 'alice'), 0, 'the count restarted at the success');
  t.failed('198.51.100.2', 'alice');
  assert.ok(t.retryAfter('198.51.100.3', 'alice') > 0);
  // The first address has 4 failures; two more from it reach its limit of 6.
  t.failed('198.51.100.1', 'x');
  assert.equal(t.retryAfter('198.51.100.1', 'y'), 0);
  t.failed('198.51.100.1', 'x');
  assert.ok(t.retryAfter('198.51.100.1', 'y') > 0);
});

test('failures spread over more than the window never throttle', () => {
  const clock = manualClock();
  const t = LoginThrottle.create(clock.now, LIMITS);
  for (let i = 0; i < 50; i++) {
    assert.equal(t.retryAfter('10.1.1.1', 'alice'), 0, `attempt ${i + 1}`);
    t.failed('10.1.1.1', 'alice');
    clock.advance(LIMITS.windowMs / 4 + 1);
  }
});

test('begin checks and counts in one step: allowed attempts are counted, refused ones are not', () => {
  const clock = manualClock();
  const t = LoginThrottle.create(clock.now, LIMITS);
  for (let i = 0; i < 5; i++) assert.equal(t.begin('10.0.0.1', 'alice'), 0, `attempt ${i + 1}`);
  const wait = t.begin('10.0.0.1', 'alice');
  assert.equal(wait, LIMITS.windowMs, 'the sixth waits for the first to leave the window');
  t.succeeded('alice', '10.0.0.1');
  assert.equal(t.begin('10.0.0.1', 'alice'), 0, 'a success clears the name');
});

test('failures older than the window are dropped from the store', () => {
  const clock = manualClock();
  const t = LoginThrottle.create(clock.now, { windowMs: 60_000, perAddress: 1_000_000, perUser: 1 });
  t.failed('10.0.0.1', 'first');
  assert.ok(t.retryAfter('10.0.0.1', 'first') > 0);
  clock.advance(60_001);
  t.failed('10.0.0.1', 'second');
  assert.equal(t.retryAfter('10.0.0.1', 'first'), 0);
  assert.ok(t.retryAfter('10.0.0.1', 'second') > 0);
});

test('two Gatehouses on one store (two nodes) count the same failures: switching nodes resets nothing', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-throttle-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const clock = manualClock();
  const one = openGatehouse({ dataDir: dir, actor: { name: 'tester', origin: 'cli' } });
  const two = openGatehouse({ dataDir: dir, actor: { name: 'tester', origin: 'cli' } });
  t.after(() => [one, two].forEach((g) => g.close()));
  for (let i = 0; i < 3; i++) assert.equal(one.loginThrottle(clock.now).begin(`10.0.0.${i}`, 'alice'), 0);
  for (let i = 3; i < 5; i++) assert.equal(two.loginThrottle(clock.now).begin(`10.0.0.${i}`, 'alice'), 0);
  assert.ok(two.loginThrottle(clock.now).begin('10.0.0.9', 'alice') > 0, 'three failures on one and two on two: the name waits on two');
  assert.ok(one.loginThrottle(clock.now).retryAfter('10.0.0.9', 'alice') > 0, 'and on one');
});
