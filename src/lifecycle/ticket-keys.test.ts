import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { KeyVault } from '../store/key-vault.js';
import { TicketKeyFollower, TicketKeys, TICKET_KEY_PERIOD_MS, type TicketKeyHolder } from './ticket-keys.js';

const derive = (vault: KeyVault) => (window: number) => vault.derive(`tls session ticket keys, window ${window}`, 48);

test('ticket keys are 48 bytes, the same for every process with the master key in one window, and new in the next', () => {
  const master = randomBytes(32);
  let now = 5 * TICKET_KEY_PERIOD_MS + 1000;
  const a = new TicketKeys(derive(new KeyVault(master)), () => now);
  const b = new TicketKeys(derive(new KeyVault(Buffer.from(master))), () => now);
  const first = a.current();
  assert.equal(first.length, 48);
  assert.ok(first.equals(b.current()), 'two workers derive the same keys');
  now += TICKET_KEY_PERIOD_MS - 2000;
  assert.ok(a.current().equals(first), 'the same window keeps its keys');
  now += 1000;
  assert.ok(!a.current().equals(first), 'the next window has new keys');
  assert.ok(a.current().equals(b.current()));
  const other = new TicketKeys(derive(new KeyVault(randomBytes(32))), () => now);
  assert.ok(!other.current().equals(a.current()), 'another master key, other keys');
});

test('a derived secret depends on its purpose and is not the master key', () => {
  const master = randomBytes(32);
  const vault = new KeyVault(master);
  assert.ok(!vault.derive('one', 32).equals(vault.derive('two', 32)));
  assert.ok(!vault.derive('one', 32).equals(master));
});

test('a context built in one window is moved to the next window\'s keys on use', () => {
  let now = 7 * TICKET_KEY_PERIOD_MS;
  const keys = new TicketKeys(derive(new KeyVault(randomBytes(32))), () => now);
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
