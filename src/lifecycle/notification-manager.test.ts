import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DAY, fixture, refused, selfSigned } from './managers.test-support.js';

test('notification targets: the secret is sealed, never in a listing nor in the audit log; a refused add changes nothing', async (t) => {
  const { g } = fixture(t);
  const hook = g.notifications.add({ name: 'ops-hook', webhook: { url: 'https://hooks.contoso.test/gatehouse', secret: 'hook-secret-123\n' } });
  assert.equal(hook.hasSecret, true);
  assert.deepEqual(hook.settings, { url: 'https://hooks.contoso.test/gatehouse' });
  const mail = g.notifications.add({ name: 'ops-mail', email: { to: ['ops@contoso.test'], host: 'mail.contoso.test', port: 465, user: 'gh', password: 'smtp-pass-456' } });
  assert.equal(mail.kind === 'email' && mail.settings.tls, 'implicit', 'port 465 defaults to implicit TLS');
  const shown = JSON.stringify([g.notifications.list(), g.audit()]);
  for (const secret of ['hook-secret-123', 'smtp-pass-456']) assert.ok(!shown.includes(secret), `${secret} leaked: ${shown}`);
  assert.equal(g.notifications.target('ops-hook').secret, 'hook-secret-123');
  assert.equal(g.notifications.target('ops-mail').secret, 'smtp-pass-456');

  const audit = g.audit().length;
  await refused('GH_NOTIFY_TARGET_EXISTS', () => g.notifications.add({ name: 'ops-hook', webhook: { url: 'https://elsewhere.test/' } }));
  await refused('GH_NOTIFY_TARGET_INVALID', () => g.notifications.add({ name: 'x', webhook: { url: 'ftp://files.test/' } }));
  await refused('GH_NOTIFY_TARGET_INVALID', () => g.notifications.add({ name: 'y', email: { to: ['not-an-address'], host: 'mail.test', port: 25 } }));
  await refused('GH_NOTIFY_TARGET_INVALID', () => g.notifications.add({ name: 'z', email: { to: ['a@b.test'], host: 'mail.test', port: 25, password: 'lonely' } }));
  await refused('GH_NOTIFY_TARGET_NOT_FOUND', () => g.notifications.remove('nope'));
  assert.equal(g.audit().length, audit);
  assert.deepEqual(g.notifications.list().map((n) => n.name), ['ops-hook', 'ops-mail']);
  g.notifications.remove('ops-hook');
  assert.deepEqual(g.notifications.list().map((n) => n.name), ['ops-mail']);
});

test('expiry candidates: within 14 days and not expired, at most once a day, not when renewed', async (t) => {
  const { g, clock } = fixture(t);
  const soon = await selfSigned(g, 'soon.contoso.test', { days: 10 });
  await selfSigned(g, 'later.contoso.test', { days: 60 });
  const names = () => g.notifications.expiryCandidates(clock.now()).map((c) => c.thumbprint);
  assert.deepEqual(names(), [soon.thumbprint]);
  assert.deepEqual(g.notifications.expiryCandidates(clock.now(), (tp) => tp === soon.thumbprint), [], 'a renewed certificate needs no notice');
  g.notifications.markExpiryNotified(soon.thumbprint, clock.now());
  clock.advance(DAY - 60_000);
  assert.deepEqual(names(), [], 'not twice within a day');
  clock.advance(60_000);
  assert.deepEqual(names(), [soon.thumbprint], 'again a day later');
  clock.advance(10 * DAY);
  assert.deepEqual(names(), [], 'an expired certificate gets no expiry notice');
});
