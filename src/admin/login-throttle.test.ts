import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_THROTTLE_LIMITS, LoginThrottle } from './login-throttle.js';

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
  const t = new LoginThrottle(clock.now, LIMITS);
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
  const t = new LoginThrottle(manualClock().now, LIMITS);
  for (const name of ['Alice', 'ALICE', 'alice', 'aLiCe', 'alicE']) t.failed(`10.0.0.${name.length}`, name);
  assert.ok(t.retryAfter('10.9.9.9', 'alice') > 0);
  assert.ok(t.retryAfter('10.9.9.9', 'ALICE') > 0);
});

test('an address is throttled after perAddress failures, whatever names it tries', () => {
  const t = new LoginThrottle(manualClock().now, LIMITS);
  for (let i = 0; i < 9; i++) t.failed('203.0.113.7', `user${i}`);
  assert.equal(t.retryAfter('203.0.113.7', 'someone'), 0);
  t.failed('203.0.113.7', 'user9');
  assert.ok(t.retryAfter('203.0.113.7', 'someone') > 0, 'ten failures: the address waits');
  assert.ok(t.retryAfter('203.0.113.7', 'alice') > 0, 'for a name it never tried too');
  assert.equal(t.retryAfter('203.0.113.8', 'someone'), 0, 'another address is not throttled');
});

test("a success clears the user's failures but not the address's", () => {
  const t = new LoginThrottle(manualClock().now, { ...LIMITS, perAddress: 6 });
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
  const t = new LoginThrottle(clock.now, LIMITS);
  for (let i = 0; i < 50; i++) {
    assert.equal(t.retryAfter('10.1.1.1', 'alice'), 0, `attempt ${i + 1}`);
    t.failed('10.1.1.1', 'alice');
    clock.advance(LIMITS.windowMs / 4 + 1);
  }
});

test('memory is bounded: beyond 10,000 keys the oldest are forgotten', () => {
  const clock = manualClock();
  const t = new LoginThrottle(clock.now, { windowMs: 60_000, perAddress: 1_000_000, perUser: 1 });
  t.failed('10.0.0.1', 'first');
  assert.ok(t.retryAfter('10.0.0.1', 'first') > 0);
  for (let i = 0; i < 10_001; i++) t.failed('10.0.0.1', `u${i}`);
  assert.equal(t.retryAfter('10.0.0.1', 'first'), 0, 'the oldest name was dropped');
  assert.ok(t.retryAfter('10.0.0.1', 'u10000') > 0, 'the newest is kept');
});
