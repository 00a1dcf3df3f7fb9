import { test } from 'node:test';
import assert from 'node:assert/strict';
import { certificateStatus } from './certificate.js';

const now = new Date('2026-11-21T12:00:00Z');
const inDays = (d: number) => new Date(now.getTime() + d * 86_400_000).toISOString();

test('status: expired beats chain-incomplete beats expiring', () => {
  assert.equal(certificateStatus(inDays(-1), false, now), 'expired');
  assert.equal(certificateStatus(inDays(10), false, now), 'chain-incomplete');
  assert.equal(certificateStatus(inDays(10), true, now), 'expiring');
  assert.equal(certificateStatus(inDays(30), true, now), 'expiring');
  assert.equal(certificateStatus(inDays(31), true, now), 'valid');
});
