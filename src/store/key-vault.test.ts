import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { KeyVault } from './key-vault.js';
import { GatehouseError } from '../model/gatehouse-error.js';

test('sealed keys open with the same master key and not with another', () => {
  const vault = new KeyVault(randomBytes(32));
  const secret = Buffer.from('-----BEGIN PRIVATE KEY----- not really');
  const sealed = vault.seal(secret);
  assert.ok(!sealed.includes(secret), 'the plaintext must not appear in the sealed blob');
  assert.deepEqual(vault.open(sealed), secret);
  const other = new KeyVault(randomBytes(32));
  assert.throws(() => other.open(sealed), (e: unknown) => e instanceof GatehouseError && e.code === 'GH_MASTER_KEY_INVALID');
  assert.notEqual(vault.keyId, other.keyId);
});

test('a tampered blob fails authentication', () => {
  const vault = new KeyVault(randomBytes(32));
  const sealed = vault.seal(Buffer.from('secret key material'));
  sealed[sealed.length - 1]! ^= 1;
  assert.throws(() => vault.open(sealed), (e: unknown) => e instanceof GatehouseError && e.code === 'GH_MASTER_KEY_INVALID');
});

test('the master key must be 32 bytes', () => {
  assert.throws(() => new KeyVault(randomBytes(16)), (e: unknown) => e instanceof GatehouseError && e.code === 'GH_MASTER_KEY_INVALID');
});
