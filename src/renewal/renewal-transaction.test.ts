import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, selfSigned } from '../lifecycle/managers.test-support.js';
import { onRenewalOutcome, renewTransaction, type RenewalEvent } from './renewal-transaction.js';

test('every outcome reaches the registered hooks: not probed without serve, failed when the replacement cannot serve (nothing moved); a failing hook fails nothing', async (t) => {
  const { g } = fixture(t);
  const events: RenewalEvent[] = [];
  const off = onRenewalOutcome((e) => void events.push(e));
  const offBroken = onRenewalOutcome(() => {
    throw new Error('the webhook is down');
  });
  t.after(() => {
    off();
    offBroken();
  });
  await selfSigned(g, 'mail.contoso.com', { friendlyName: 'old' });
  const next = await selfSigned(g, 'mail.contoso.com', { friendlyName: 'new' });
  g.services.assign('old', ['smtp'], { overwrite: true });
  const r = await renewTransaction(g, 'old', 'new', { source: 'manual' });
  assert.deepEqual([r.outcome, r.probed], ['renewed', false]);
  assert.match(r.detail, /^not probed/);
  assert.deepEqual(r.timings, { appliedMs: null, probeMs: null });
  assert.equal(g.services.certificateOf('smtp'), next.thumbprint);
  const again = await renewTransaction(g, 'new', 'new', { source: 'manual' });
  assert.equal(again.outcome, 'failed');
  assert.deepEqual(again.timings, { appliedMs: null, probeMs: null });
  assert.deepEqual(events.map((e) => e.kind), ['renewal-renewed', 'renewal-failed']);
  assert.deepEqual(g.renewals.history('new').map((h) => h.outcome), ['failed', 'renewed']);
});
