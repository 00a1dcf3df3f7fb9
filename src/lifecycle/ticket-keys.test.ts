import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { openGatehouse } from './gatehouse.js';
import { TicketKeyFollower, TicketKeys, TICKET_KEY_PERIOD_MS, type TicketKeyHolder } from './ticket-keys.js';

/** A serving read model given `seed` (as `serve` gives every process of one run the supervisor's), as a key source. */
function derive(seed: Buffer): (window: number) => Buffer {
  const g = openGatehouse({ dataDir: ':memory:', actor: { name: 'tester', origin: 'cli' } });
  g.serving.useTicketSeed(seed);
  return (window) => g.serving.ticketKeys(window);
}

test('ticket keys are 48 bytes, the same for every process given the run\'s seed in one window, and new in the next', () => {
  const master = randomBytes(32);
  let now = 5 * TICKET_KEY_PERIOD_MS + 1000;
  const a = new TicketKeys(derive(master), () => now);
  const b = new TicketKeys(derive(Buffer.from(master)), () => now);
  const first = a.current();
  assert.equal(first.length, 48);
  assert.ok(first.equals(b.current()), 'two workers derive the same keys');
  now += TICKET_KEY_PERIOD_MS - 2000;
  assert.ok(a.current().equals(first), 'the same window keeps its keys');
  now += 1000;
  assert.ok(!a.current().equals(first), 'the next window has new keys');
  assert.ok(a.current().equals(b.current()));
  const other = new TicketKeys(derive(randomBytes(32)), () => now);
  assert.ok(!other.current().equals(a.current()), 'another run (another seed), other keys');
});

test('without a seed from serve, each process has its own random one: no two share ticket keys by accident', () => {
  const a = openGatehouse({ dataDir: ':memory:', actor: { name: 'tester', origin: 'cli' } });
  const b = openGatehouse({ dataDir: ':memory:', actor: { name: 'tester', origin: 'cli' } });
  assert.equal(a.serving.ticketKeys(1).length, 48);
  assert.ok(!a.serving.ticketKeys(1).equals(b.serving.ticketKeys(1)));
  assert.ok(a.serving.ticketKeys(1).equals(a.serving.ticketKeys(1)));
  a.close();
  b.close();
});

test('a context built in one window is moved to the next window\'s keys on use', () => {
  let now = 7 * TICKET_KEY_PERIOD_MS;
  const keys = new TicketKeys(derive(randomBytes(32)), () => now);
  const follower = new TicketKeyFollower(keys);
  const context = createSecureContext({ ticketKeys: keys.current() });
  const holder = context.context as TicketKeyHolder;
  const first = keys.current();
  now += TICKET_KEY_PERIOD_MS;
  follower.freshen(holder);
  assert.ok(holder.getTicketKeys().equals(keys.current()));
  assert.ok(!holder.getTicketKeys().equals(first));
  // A context made with random keys (Node's default) is put on the shared ones.
  const own = createSecureContext({}).context as TicketKeyHolder;
  follower.freshen(own);
  assert.ok(own.getTicketKeys().equals(keys.current()));
});
