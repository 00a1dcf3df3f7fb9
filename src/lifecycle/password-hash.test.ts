import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { DECOY_HASH, hashPassword, hashToken, newToken, verifyPassword } from './password-hash.js';

const PASSWORD = 'correct horse battery staple';

test('the stored form is scrypt$log2N$r$p$salt$hash with a 128-bit salt and a 256-bit hash (base64url)', async () => {
  const h = await hashPassword(PASSWORD);
  assert.match(h, /^scrypt\$15\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.ok(!h.includes(PASSWORD));
  const again = await hashPassword(PASSWORD);
  assert.notEqual(again, h, 'a fresh salt each time');
  assert.notEqual(again.split('$')[4], h.split('$')[4]);
});

test('the right password verifies; a wrong one, a changed case, a prefix, extra spaces do not', async () => {
  const h = await hashPassword(PASSWORD);
  assert.equal(await verifyPassword(PASSWORD, h), true);
  for (const wrong of ['', 'correct horse battery stapl', 'Correct horse battery staple', `${PASSWORD} `, ` ${PASSWORD}`, `${PASSWORD}${PASSWORD}`]) {
    assert.equal(await verifyPassword(wrong, h), false, JSON.stringify(wrong));
  }
});

test('a hash made with other cost parameters still verifies (the cost can rise later)', async () => {
  const h = await hashPassword(PASSWORD);
  const [, , , , salt] = h.split('$');
  // Re-derive with N = 2^14 by hand and store it in the same format.
  const { scryptSync } = await import('node:crypto');
  const key = scryptSync(PASSWORD, Buffer.from(salt!, 'base64url'), 32, { N: 2 ** 14, r: 8, p: 1 });
  const stored = ['scrypt', 14, 8, 1, salt, key.toString('base64url')].join('$');
  assert.equal(await verifyPassword(PASSWORD, stored), true);
  assert.equal(await verifyPassword('wrong password!', stored), false);
});

test('passwords are compared after NFC normalisation (é typed composed or decomposed)', async () => {
  const composed = 'caf\u00e9 au lait, s\u2019il vous pla\u00eet';
  const decomposed = composed.normalize('NFD');
  assert.notEqual(composed, decomposed);
  const h = await hashPassword(composed);
  assert.equal(await verifyPassword(decomposed, h), true);
  const h2 = await hashPassword(decomposed);
  assert.equal(await verifyPassword(composed, h2), true);
  // Normalisation is NFC, not NFKC: compatibility characters stay distinct.
  const h3 = await hashPassword('\ufb01nancial password');
  assert.equal(await verifyPassword('financial password', h3), false);
});

test('a malformed stored hash never matches (and does not throw)', async () => {
  const good = await hashPassword(PASSWORD);
  const [, , , , salt, hash] = good.split('$');
  const malformed = [
    '',
    'scrypt',
    'not a hash',
    `bcrypt$15$8$1$${salt}$${hash}`,
    `scrypt$15$8$1$$${hash}`,
    `scrypt$15$8$1$${salt}$`,
    `scrypt$15$8$1$${salt}`,
    `scrypt$15$8$1$${salt}$${hash!.slice(0, 20)}`,
    `scrypt$x$8$1$${salt}$${hash}`,
    `scrypt$-1$8$1$${salt}$${hash}`,
    `scrypt$40$8$1$${salt}$${hash}`,
    `scrypt$15$0$1$${salt}$${hash}`,
    `scrypt$15$8$0$${salt}$${hash}`,
    `scrypt$$$$${salt}$${hash}`,
  ];
  for (const stored of malformed) {
    let verdict: unknown;
    try {
      verdict = await verifyPassword(PASSWORD, stored);
    } catch (e) {
      verdict = `threw: ${(e as Error).message}`;
    }
    assert.equal(verdict, false, `verifyPassword(…, ${JSON.stringify(stored)})`);
  }
});

test('the decoy hash (for unknown users) matches no password', async () => {
  assert.match(DECOY_HASH, /^scrypt\$15\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  for (const p of ['', PASSWORD, 'AAAAAAAAAAAAAAAAAAAAAA']) assert.equal(await verifyPassword(p, DECOY_HASH), false);
});

test('API tokens: gh_ID_SECRET with 256 random bits, stored as their SHA-256', () => {
  const a = newToken();
  const b = newToken();
  assert.match(a.id, /^[0-9a-f]{12}$/);
  assert.match(a.token, /^gh_[0-9a-f]{12}_[0-9a-f]{64}$/);
  assert.ok(a.token.startsWith(`gh_${a.id}_`));
  assert.notEqual(a.id, b.id);
  assert.notEqual(a.token, b.token);
  assert.equal(hashToken(a.token), createHash('sha256').update(a.token).digest('hex'));
  assert.match(hashToken(a.token), /^[0-9a-f]{64}$/);
  assert.notEqual(hashToken(a.token), hashToken(b.token));
  assert.ok(!hashToken(a.token).includes(a.token.split('_')[2]!));
});
