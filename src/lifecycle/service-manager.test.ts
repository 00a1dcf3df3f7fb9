import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DAY, fixture, refusedUnchanged, selfSigned, storeState } from './managers.test-support.js';

test('assign: the services present the certificate, in one audited change; list shows it', async (t) => {
  const { g } = fixture(t);
  const c = await selfSigned(g, 'mail.contoso.com', { friendlyName: 'mail' });
  const revision = g.serving.revision();
  const r = g.services.assign('mail', ['smtp', 'imap'], { overwrite: false });
  assert.deepEqual(r, { certificate: { thumbprint: c.thumbprint, friendlyName: 'mail' }, services: ['smtp', 'imap'], replaced: [], warnings: [], site: null, bindings: [], affected: [] });
  assert.equal(g.serving.revision(), revision + 1);
  assert.deepEqual([g.audit().at(-1)!.action, g.audit().at(-1)!.target], ['service.assign', 'smtp,imap']);
  assert.deepEqual(g.services.list().map((s) => [s.service, s.certificate?.friendlyName ?? null]), [['smtp', 'mail'], ['imap', 'mail'], ['pop', null], ['https', null]]);
  assert.deepEqual(g.serving.config().services, { smtp: c.thumbprint, imap: c.thumbprint });
});

test('assign: replacing the default SMTP certificate needs --overwrite; refused, nothing changes', async (t) => {
  const { g } = fixture(t);
  const old = await selfSigned(g, 'mail.contoso.com', { friendlyName: 'old' });
  await selfSigned(g, 'mail.contoso.com', { friendlyName: 'new' });
  g.services.assign('old', ['smtp'], { overwrite: false });
  const e = await refusedUnchanged(g, 'GH_SERVICE_OVERWRITE_REQUIRED', () => g.services.assign('new', ['smtp'], { overwrite: false }));
  assert.match(e.message, /"old"/);
  await refusedUnchanged(g, 'GH_SERVICE_OVERWRITE_REQUIRED', () => g.services.assign('new', ['imap', 'smtp'], { overwrite: false }));
  const r = g.services.assign('new', ['smtp'], { overwrite: true });
  assert.deepEqual(r.replaced, [{ service: 'smtp', thumbprint: old.thumbprint, friendlyName: 'old' }]);
  assert.equal(g.services.list()[0]!.certificate?.friendlyName, 'new');
});

test('assign: the same SMTP certificate again, or another one for IMAP, POP or https, needs no --overwrite', async (t) => {
  const { g } = fixture(t);
  const old = await selfSigned(g, 'mail.contoso.com', { friendlyName: 'old' });
  await selfSigned(g, 'mail.contoso.com', { friendlyName: 'new' });
  g.services.assign('old', ['smtp', 'imap', 'pop', 'https'], { overwrite: false });
  assert.deepEqual(g.services.assign('old', ['smtp'], { overwrite: false }).replaced, []);
  const r = g.services.assign('new', ['imap', 'pop', 'https'], { overwrite: false });
  assert.deepEqual(r.replaced.map((x) => [x.service, x.thumbprint]), [['imap', old.thumbprint], ['pop', old.thumbprint], ['https', old.thumbprint]]);
  assert.equal(g.services.certificateOf('smtp'), old.thumbprint);
});

test('assign https makes the default certificate: handshakes no binding answers get it', async (t) => {
  const { g } = fixture(t);
  const c = await selfSigned(g, 'www.contoso.com', { friendlyName: 'default' });
  const sni = await selfSigned(g, 'sni.contoso.com', { friendlyName: 'sni' });
  // Something must listen on 443 for the default to be offered: one SNI binding of another site.
  g.sites.add({ name: 'S', proxy: 'http://127.0.0.1:9' });
  g.bindings.add({ site: 'S', protocol: 'https', port: 443, host: 'sni.contoso.com', sni: true, cert: sni.thumbprint });
  assert.equal(g.bindings.explain({ port: 443, sni: 'anything.test' }).rule, 'none');
  g.services.assign('default', ['https'], { overwrite: false });
  assert.equal(g.serving.config().httpsDefault, c.thumbprint);
  const e = g.bindings.explain({ port: 443, sni: 'anything.test' });
  assert.deepEqual([e.rule, e.certificate?.thumbprint], ['https-default', c.thumbprint]);
});

test('assign refuses an unknown certificate and an expired one (at the injected clock) — and writes nothing', async (t) => {
  const { g, clock } = fixture(t);
  await selfSigned(g, 'mail.contoso.com', { friendlyName: 'short', days: 10 });
  await refusedUnchanged(g, 'GH_CERT_NOT_FOUND', () => g.services.assign('missing', ['smtp'], { overwrite: false }));
  clock.advance(10 * DAY);
  await refusedUnchanged(g, 'GH_CERT_EXPIRED', () => g.services.assign('short', ['smtp'], { overwrite: false }));
});

test('assign warns of a certificate expiring within 30 days, or not covering the names the services answer for', async (t) => {
  const { g } = fixture(t);
  await selfSigned(g, 'mail.contoso.com', { friendlyName: 'soon', days: 20 });
  assert.match(g.services.assign('soon', ['imap'], { overwrite: false }).warnings.join('\n'), /expires in 19 day\(s\), on 2026-12-10/);
  await selfSigned(g, 'other.contoso.com', { friendlyName: 'other' });
  g.services.configure({ service: 'pop', listen: '*:995', backend: '127.0.0.1:10110', host: 'pop.contoso.com' });
  const r = g.services.assign('other', ['pop'], { overwrite: false });
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0]!, /does not cover pop\.contoso\.com/);
});

test('unassign leaves the services without a certificate; unassigning what is not assigned writes nothing', async (t) => {
  const { g } = fixture(t);
  const c = await selfSigned(g, 'mail.contoso.com', { friendlyName: 'mail' });
  g.services.assign('mail', ['smtp', 'https'], { overwrite: false });
  const r = g.services.unassign(['smtp', 'pop']);
  assert.deepEqual(r, { services: ['smtp', 'pop'], unassigned: [{ service: 'smtp', thumbprint: c.thumbprint }] });
  assert.equal(g.services.certificateOf('smtp'), null);
  assert.equal(g.services.certificateOf('https'), c.thumbprint);
  assert.equal(g.audit().at(-1)!.action, 'service.unassign');
  const before = storeState(g);
  assert.deepEqual(g.services.unassign(['smtp', 'imap']).unassigned, []);
  assert.deepEqual(storeState(g), before);
  // After an unassign, SMTP takes a new certificate without --overwrite.
  await selfSigned(g, 'mail.contoso.com', { friendlyName: 'next' });
  assert.deepEqual(g.services.assign('next', ['smtp'], { overwrite: false }).replaced, []);
});

test('configure a mail listener: defaults by port, and the refusals that leave the store unchanged', async (t) => {
  const { g } = fixture(t);
  const r = g.services.configure({ service: 'IMAP', listen: '*:993', backend: '127.0.0.1:143' });
  assert.deepEqual([r.listener.service, r.listener.mode, r.listener.ip, r.listener.port, r.replaced], ['imap', 'tls', '*', 993, null]);
  assert.match(r.warnings.join('\n'), /No certificate is assigned to IMAP/);
  assert.equal(g.services.configure({ service: 'smtp', listen: '127.0.0.1:587', backend: '127.0.0.1:10025' }).listener.mode, 'starttls');
  await refusedUnchanged(g, 'GH_LISTENER_CONFLICT', () => g.services.configure({ service: 'pop', listen: '*:993', backend: '127.0.0.1:110' }));
  await refusedUnchanged(g, 'GH_LISTENER_CONFLICT', () => g.services.configure({ service: 'smtp', listen: '127.0.0.2:993', backend: '127.0.0.1:10025' }));
  await refusedUnchanged(g, 'GH_LISTENER_INVALID', () => g.services.configure({ service: 'smtp', listen: '25', backend: '127.0.0.1:10025' }));
  await refusedUnchanged(g, 'GH_LISTENER_INVALID', () => g.services.configure({ service: 'smtp', listen: '*:465', backend: '127.0.0.1:10025', requireTls: true }));
  await refusedUnchanged(g, 'GH_BACKEND_INVALID', () => g.services.configure({ service: 'smtp', listen: '*:25', backend: 'mail' }));
  await refusedUnchanged(g, 'GH_BACKEND_INVALID', () => g.services.configure({ service: 'smtp', listen: '*:25', backend: '127.0.0.1:25' }));
  await refusedUnchanged(g, 'GH_SERVICE_INVALID', () => g.services.configure({ service: 'https', listen: '*:25', backend: '127.0.0.1:10025' }));
  g.sites.add({ name: 'A', proxy: 'http://127.0.0.1:8080' });
  g.bindings.add({ site: 'A', protocol: 'http', port: 8025 });
  await refusedUnchanged(g, 'GH_LISTENER_CONFLICT', () => g.services.configure({ service: 'smtp', listen: '127.0.0.1:8025', backend: '127.0.0.1:10025' }));
  // The same address and port again replaces the listener.
  assert.equal(g.services.configure({ service: 'imap', listen: '*:993', backend: '127.0.0.1:1143' }).replaced?.backendPort, 143);
  await refusedUnchanged(g, 'GH_LISTENER_NOT_FOUND', () => g.services.unconfigure('pop', '*:995'));
  assert.deepEqual(g.services.unconfigure('imap', '*:993'), { service: 'imap', listen: '*:993', removed: true });
});
