import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DAY, fixture } from '../lifecycle/managers.test-support.js';
import { dueCertificates, RenewalScheduler, timingsText } from './renewal-scheduler.js';
import { dueAt } from './renewer.js';
import type { Gatehouse } from '../lifecycle/gatehouse.js';

async function internalCert(g: Gatehouse, cn: string, days: number): Promise<string> {
  const r = await g.requests.create({ cn, sans: [], keyType: 'ecdsa-p256', exportable: false });
  return (await g.requests.submit(r.id, 'internal', { days })).thumbprint;
}

test('due: a third of the lifetime left, half for certificates under 10 days', () => {
  assert.equal(dueAt({ notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2026-01-31T00:00:00.000Z' }).toISOString(), '2026-01-21T00:00:00.000Z');
  assert.equal(dueAt({ notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2026-01-03T00:00:00.000Z' }).toISOString(), '2026-01-02T00:00:00.000Z');
});

test('dueCertificates: internal certificates in use once due; not manual ones, not unused ones, not before they are due', async (t) => {
  const { g, clock } = fixture(t);
  await g.ca.init({});
  const short = await internalCert(g, 'a.contoso.com', 2);
  const unused = await internalCert(g, 'b.contoso.com', 2);
  const manual = (await g.certificates.selfSigned({ cn: 'c.contoso.com', sans: [], days: 2, keyType: 'ecdsa-p256', exportable: false })).thumbprint;
  g.services.assign(short, ['smtp'], { overwrite: true });
  g.services.assign(manual, ['imap'], { overwrite: true });
  assert.deepEqual(dueCertificates(g, clock.now()), []);
  clock.advance(DAY + 60_000);
  assert.deepEqual(dueCertificates(g, clock.now()).map((c) => c.thumbprint), [short]);
  assert.ok(!dueCertificates(g, clock.now()).some((c) => c.thumbprint === unused || c.thumbprint === manual));
});

test('scheduler: renews what is due (not probed without serve) and nothing twice; a second process finds the lease taken', async (t) => {
  const { g, clock } = fixture(t);
  await g.ca.init({});
  const old = await internalCert(g, 'a.contoso.com', 2);
  g.services.assign(old, ['smtp'], { overwrite: true });
  clock.advance(DAY + 60_000);
  const other = new RenewalScheduler(g);
  // Another process's scheduler: the same store, another holder.
  const lease = g.renewals.lease('elsewhere:1', 60_000);
  assert.equal(lease, 1, 'the first holder has fencing token 1');
  assert.deepEqual(await other.tick(), [], 'the lease is held elsewhere');
  clock.advance(61_000);
  const reports = await other.tick();
  assert.deepEqual(reports.map((r) => [r.outcome, r.probed]), [['renewed', false]]);
  assert.equal(g.services.certificateOf('smtp'), reports[0]!.new.thumbprint);
  assert.deepEqual(await other.tick(), [], 'the old certificate is replaced; the new one is not due');
  await other.stop();
});

test('urgent (a certificate its CA revoked): renewed at the next look although not due; a manual one is not taken', async (t) => {
  const { g } = fixture(t);
  await g.ca.init({});
  const old = await internalCert(g, 'a.contoso.com', 30);
  const manual = (await g.certificates.selfSigned({ cn: 'c.contoso.com', sans: [], days: 30, keyType: 'ecdsa-p256', exportable: false })).thumbprint;
  g.services.assign(old, ['smtp'], { overwrite: true });
  g.services.assign(manual, ['imap'], { overwrite: true });
  const lines: string[] = [];
  const scheduler = new RenewalScheduler(g, { log: (l) => lines.push(l) });
  t.after(() => scheduler.stop());
  assert.deepEqual(dueCertificates(g, g.clock()), [], 'nothing is due');
  assert.equal(scheduler.urgent(manual, 'revoked by its CA (OCSP)'), false, 'a manual certificate cannot be renewed here');
  assert.equal(scheduler.urgent(old, 'revoked by its CA (OCSP)'), true);
  const reports = await scheduler.tick();
  assert.deepEqual(reports.map((r) => [r.old.thumbprint, r.outcome]), [[old, 'renewed']]);
  assert.equal(g.services.certificateOf('smtp'), reports[0]!.new.thumbprint);
  assert.equal(g.services.certificateOf('imap'), manual);
  assert.ok(lines.some((l) => /"a\.contoso\.com.*is revoked by its CA \(OCSP\); renewing/.test(l)), lines.join('\n'));
  assert.deepEqual(await scheduler.tick(), [], 'renewed once');
});

test('timingsText: the log line says how long serving processes took to apply the move and the probes took, and only what was measured', () => {
  assert.equal(timingsText({ timings: { appliedMs: 412, probeMs: 35 } }), ' (applied by every serving process in 412 ms, probed in 35 ms)');
  assert.equal(timingsText({ timings: { appliedMs: 412, probeMs: null } }), ' (applied by every serving process in 412 ms)');
  assert.equal(timingsText({ timings: { appliedMs: null, probeMs: null } }), '');
});

test('a renewal left open by a lease holder that stopped mid-way is rolled back by the process that takes the lease over and renewed at once; the late holder can no longer write', async (t) => {
  const { g, clock } = fixture(t);
  await g.ca.init({});
  const old = await internalCert(g, 'a.contoso.com', 30);
  const next = await internalCert(g, 'a.contoso.com', 30);
  g.services.assign(old, ['smtp'], { overwrite: true });
  // Another node holds the lease and moves the uses, then stops before committing (SIGKILL).
  const token = g.renewals.lease('elsewhere:1', 60_000);
  assert.equal(token, 1);
  const moved = g.renewals.underLease('elsewhere:1', token as number, () => g.renewals.move(old, next, 'internal'));
  assert.equal(g.services.certificateOf('smtp'), next);
  const lines: string[] = [];
  const scheduler = new RenewalScheduler(g, { log: (l) => lines.push(l) });
  t.after(() => scheduler.stop());
  assert.deepEqual(await scheduler.tick(), [], 'the lease is still held elsewhere');
  assert.equal(g.renewals.show(moved.renewal).outcome, null);
  clock.advance(6 * 60_000);
  await scheduler.tick();
  assert.equal(g.renewals.show(moved.renewal).outcome, 'rolled-back', lines.join('\n'));
  assert.match(g.renewals.show(moved.renewal).detail, /stopped before it finished/);
  assert.ok(lines.some((l) => /left unfinished .* rolled back/.test(l)), lines.join('\n'));
  // Every use went back on the old certificate, which was then renewed at once in the same look (no
  // retry wait: the stop was no fault of the certificate's) — not onto the stopped node's new one.
  const again = g.renewals.history(old).filter((r) => r.old === old && r.id !== moved.renewal);
  assert.deepEqual(again.map((r) => r.outcome), ['renewed'], lines.join('\n'));
  assert.ok(again[0]!.new !== null && again[0]!.new !== next);
  assert.equal(g.services.certificateOf('smtp'), again[0]!.new);
  assert.ok(lines.some((l) => /is left unfinished by a process that stopped \(renewal \d+, rolled back\); renewing/.test(l)), lines.join('\n'));
  // The stopped node, come back late, cannot commit what it started.
  await assert.rejects(async () => g.renewals.underLease('elsewhere:1', token as number, () => g.renewals.commit(moved.renewal, 'late', null)), /GH_LEASE_LOST|no longer holds/);
  assert.equal(g.renewals.show(moved.renewal).outcome, 'rolled-back');
});
