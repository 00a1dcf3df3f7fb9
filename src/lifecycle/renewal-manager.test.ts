import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DAY, fixture, outsideCa, refusedUnchanged, requestedCertificate, selfSigned } from './managers.test-support.js';
import type { Gatehouse } from './gatehouse.js';

const PROXY = 'http://127.0.0.1:9';

/** A: two SNI bindings and an IP:port binding with `old`; B: another certificate; old assigned to https, smtp, imap. */
async function served(g: Gatehouse): Promise<{ old: string; other: string }> {
  const old = (await selfSigned(g, 'a.contoso.com', { sans: ['b.contoso.com'], friendlyName: 'old' })).thumbprint;
  const other = (await selfSigned(g, 'c.contoso.com', { friendlyName: 'other' })).thumbprint;
  g.sites.add({ name: 'A', proxy: PROXY });
  g.sites.add({ name: 'B', proxy: PROXY });
  g.bindings.add({ site: 'A', protocol: 'https', port: 8443, host: 'a.contoso.com', sni: true, cert: 'old' });
  g.bindings.add({ site: 'A', protocol: 'https', port: 8443, host: 'b.contoso.com', sni: true, cert: 'old' });
  g.bindings.add({ site: 'A', protocol: 'https', port: 9443, ip: '127.0.0.1', cert: 'old' });
  g.bindings.add({ site: 'B', protocol: 'https', port: 8443, host: 'c.contoso.com', sni: true, cert: 'other' });
  g.services.assign('old', ['smtp', 'imap'], { overwrite: true });
  return { old, other };
}

test('plan: every https binding and every service assignment of the certificate, and nothing of another', async (t) => {
  const { g } = fixture(t);
  const { old } = await served(g);
  assert.deepEqual(g.renewals.plan(old).map((m) => m.text), [
    'binding https *:8443:a.contoso.com (site "A")',
    'binding https *:8443:b.contoso.com (site "A")',
    'binding https 127.0.0.1:9443: (site "A")',
    'service smtp',
    'service imap',
  ]);
});

test('move: one change, one audit record listing every move; the other certificate keeps its binding; rollback moves every use back in one change', async (t) => {
  const { g } = fixture(t);
  const { old, other } = await served(g);
  const next = (await selfSigned(g, 'a.contoso.com', { sans: ['b.contoso.com'], friendlyName: 'new' })).thumbprint;
  const revision = g.serving.revision();
  const audits = g.audit().length;
  const moved = g.renewals.move('old', 'new', 'manual');
  assert.equal(g.serving.revision(), revision + 1);
  assert.equal(g.audit().length, audits + 1);
  const record = g.audit().at(-1)!;
  assert.equal(record.action, 'certificate.renew');
  assert.equal((record.after as { uses: string[] }).uses.length, 5);
  assert.deepEqual((record.before as { uses: string[] }).uses, (record.after as { uses: string[] }).uses);
  const config = g.serving.config();
  assert.deepEqual(config.bindings.map((b) => [b.host || b.ip, b.certificate]).sort(), [['127.0.0.1', next], ['a.contoso.com', next], ['b.contoso.com', next], ['c.contoso.com', other]].sort());
  assert.deepEqual(config.services, { smtp: next, imap: next });
  assert.equal(g.renewals.show(moved.renewal).outcome, null);

  const back = g.renewals.rollback(moved.renewal, 'failed probe: test', []);
  assert.equal(back.revision, revision + 2);
  assert.equal(g.audit().at(-1)!.action, 'certificate.renew-rollback');
  assert.deepEqual(g.serving.config().services, { smtp: old, imap: old });
  assert.ok(g.serving.config().bindings.every((b) => b.certificate === (b.host === 'c.contoso.com' ? other : old)));
  assert.equal(back.renewal.outcome, 'rolled-back');
  assert.ok(g.certificates.find(next), 'the new certificate is kept');
  assert.equal(g.renewals.asReplacement(next)?.detail, 'failed probe: test');
  assert.deepEqual(g.renewals.history('old').map((r) => r.outcome), ['rolled-back']);
});

test('move: a replacement without a key, expired or the same certificate is refused, and nothing changes', async (t) => {
  const { g, clock } = fixture(t);
  await served(g);
  await refusedUnchanged(g, 'GH_RENEWAL_INVALID', () => g.renewals.move('old', 'old', 'manual'));
  await selfSigned(g, 'a.contoso.com', { friendlyName: 'short', days: 1 });
  clock.advance(2 * DAY);
  await refusedUnchanged(g, 'GH_RENEWAL_INVALID', () => g.renewals.move('old', 'short', 'manual'));
});

test('commit: the old certificate is replaced by the new one; the commit is recorded without a new revision', async (t) => {
  const { g } = fixture(t);
  await served(g);
  const next = (await selfSigned(g, 'a.contoso.com', { friendlyName: 'new' })).thumbprint;
  const moved = g.renewals.move('old', 'new', 'manual');
  const revision = g.serving.revision();
  const r = g.renewals.commit(moved.renewal, 'renewed', []);
  assert.equal(g.serving.revision(), revision);
  assert.deepEqual([r.outcome, r.new], ['renewed', next]);
  assert.equal(g.audit().at(-1)!.action, 'renewal.renewed');
});

test('renew: a request with the same subject, names and key type, a new key, marked as renewing; completing it says so; a second is refused', async (t) => {
  const { g } = fixture(t);
  const ca = await outsideCa();
  const old = await requestedCertificate(g, ca, 'www.contoso.com', { sans: ['shop.contoso.com'], friendlyName: 'www' });
  const r = await g.requests.renew('www');
  assert.deepEqual([r.cn, r.sans, r.keyType, r.renews], ['www.contoso.com', ['www.contoso.com', 'shop.contoso.com'], old.keyType, old.thumbprint]);
  await refusedUnchanged(g, 'GH_RENEWAL_PENDING', () => g.requests.renew('www'));
  const leaf = await ca.issue(r.csr, { now: g.clock(), days: 200 });
  const c = g.requests.complete(ca.bundle(leaf), 'renewed.cer', {});
  assert.equal(c.renews, old.thumbprint);
  assert.notEqual(c.thumbprint, old.thumbprint);
  assert.ok(g.certificates.find(old.thumbprint), 'completing installs; the transaction moves later');
});

test('the lease\'s fencing token: A\'s lease runs out, B takes it over (token + 1), A\'s late commit and rollback are refused and the store is unchanged', async (t) => {
  const { g, clock } = fixture(t);
  const { old } = await served(g);
  await selfSigned(g, 'a.contoso.com', { sans: ['b.contoso.com'], friendlyName: 'new' });
  const a = g.renewals.lease('node-a:1', 60_000);
  assert.equal(a, 1);
  assert.equal(g.renewals.lease('node-b:2', 60_000), false, 'A holds it');
  assert.equal(g.renewals.lease('node-a:1', 60_000), 1, 'A extends it: the same token');
  const moved = g.renewals.underLease('node-a:1', a as number, () => g.renewals.move('old', 'new', 'internal'));
  clock.advance(60_001);
  const b = g.renewals.lease('node-b:2', 60_000);
  assert.equal(b, 2, 'B took it over: the token grew');
  const e = await refusedUnchanged(g, 'GH_LEASE_LOST', () => g.renewals.underLease('node-a:1', a as number, () => g.renewals.commit(moved.renewal, 'late', null)));
  assert.match(e.message, /node-b:2 holds it now \(fencing token 2, this process had 1\)/);
  await refusedUnchanged(g, 'GH_LEASE_LOST', () => g.renewals.underLease('node-a:1', a as number, () => g.renewals.rollback(moved.renewal, 'late', null)));
  // Asynchronous work under the lease is fenced too (the fence follows the awaits).
  await refusedUnchanged(g, 'GH_LEASE_LOST', () => g.renewals.underLease('node-a:1', a as number, async () => {
    await new Promise((resolve) => setImmediate(resolve));
    g.renewals.failed(old, null, 'internal', 'late');
  }));
  // B, the holder now, finishes it.
  assert.equal(g.renewals.underLease('node-b:2', b as number, () => g.renewals.commit(moved.renewal, 'finished by B', null)).outcome, 'renewed');
  // Released, then taken again: tokens only grow.
  g.renewals.releaseLease('node-b:2');
  assert.equal(g.renewals.lease('node-a:1', 60_000), 3);
});
