import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readPfx } from '../pki/pkcs12.js';
import { BACKDATE, DAY, START, fixture, outsideCa, refused, refusedUnchanged, requestedCertificate, selfSigned, storeState } from './managers.test-support.js';

const PROXY = 'http://127.0.0.1:8080';

test('resolve: a thumbprint in any case, with the colons or spaces it is copied with', async (t) => {
  const { g } = fixture(t);
  const c = await selfSigned(g, 'www.contoso.com');
  const pairs = c.thumbprint.match(/../g)!;
  for (const ref of [c.thumbprint, c.thumbprint.toLowerCase(), pairs.join(':'), pairs.join(' '), `  ${c.thumbprint}\t`]) {
    assert.equal(g.certificates.resolve(ref).thumbprint, c.thumbprint, ref);
  }
});

test('resolve: a prefix of 8 or more hex digits; a shorter one is not a reference', async (t) => {
  const { g } = fixture(t);
  const c = await selfSigned(g, 'www.contoso.com');
  assert.equal(g.certificates.show(c.thumbprint.slice(0, 8)).thumbprint, c.thumbprint);
  assert.equal(g.certificates.show(c.thumbprint.slice(0, 12).toLowerCase()).thumbprint, c.thumbprint);
  await refused('GH_CERT_NOT_FOUND', () => g.certificates.resolve(c.thumbprint.slice(0, 7)));
  await refused('GH_CERT_NOT_FOUND', () => g.certificates.resolve(''));
});

test('resolve: an exact friendly name (trimmed, case-sensitive)', async (t) => {
  const { g } = fixture(t);
  const c = await selfSigned(g, 'www.contoso.com', { friendlyName: 'Contoso www' });
  assert.equal(g.certificates.resolve('Contoso www').thumbprint, c.thumbprint);
  assert.equal(g.certificates.resolve(' Contoso www ').thumbprint, c.thumbprint);
  await refused('GH_CERT_NOT_FOUND', () => g.certificates.resolve('contoso www'));
  await refused('GH_CERT_NOT_FOUND', () => g.certificates.resolve('Contoso'));
});

test('resolve: a reference matching several certificates is ambiguous and names them', async (t) => {
  const { g } = fixture(t);
  const a = await selfSigned(g, 'a.contoso.com', { friendlyName: 'Contoso' });
  const b = await selfSigned(g, 'b.contoso.com', { friendlyName: 'Contoso' });
  const e = await refused('GH_CERT_REF_AMBIGUOUS', () => g.certificates.resolve('Contoso'));
  assert.match(e.message, new RegExp(a.thumbprint));
  assert.match(e.message, new RegExp(b.thumbprint));
  // A friendly name that is another certificate's thumbprint prefix matches both.
  const prefix = a.thumbprint.slice(0, 8);
  g.certificates.rename(b.thumbprint, prefix);
  await refused('GH_CERT_REF_AMBIGUOUS', () => g.certificates.resolve(prefix));
  assert.equal(g.certificates.resolve(a.thumbprint).thumbprint, a.thumbprint, 'the full thumbprint is still unique');
});

test('rename changes the friendly name in one audited change', async (t) => {
  const { g } = fixture(t);
  const c = await selfSigned(g, 'www.contoso.com', { friendlyName: 'old' });
  const revision = g.serving.revision();
  assert.equal(g.certificates.rename('old', '  new name ').friendlyName, 'new name');
  assert.equal(g.certificates.show(c.thumbprint).friendlyName, 'new name');
  assert.equal(g.serving.revision(), revision + 1);
  const audit = g.audit().at(-1)!;
  assert.deepEqual([audit.action, audit.target, audit.before, audit.after], ['cert.rename', c.thumbprint, { friendlyName: 'old' }, { friendlyName: 'new name' }]);
});

test('rename refuses an invalid name or an unknown certificate, and writes nothing', async (t) => {
  const { g } = fixture(t);
  const c = await selfSigned(g, 'www.contoso.com');
  await refusedUnchanged(g, 'GH_FRIENDLY_NAME_INVALID', () => g.certificates.rename(c.thumbprint, '   '));
  await refusedUnchanged(g, 'GH_FRIENDLY_NAME_INVALID', () => g.certificates.rename(c.thumbprint, 'x'.repeat(257)));
  await refusedUnchanged(g, 'GH_FRIENDLY_NAME_INVALID', () => g.certificates.rename(c.thumbprint, 'bell\u0007'));
  await refusedUnchanged(g, 'GH_CERT_NOT_FOUND', () => g.certificates.rename('nothing-like-it', 'new'));
});

test('remove deletes a certificate nothing uses', async (t) => {
  const { g } = fixture(t);
  const keep = await selfSigned(g, 'a.contoso.com');
  const c = await selfSigned(g, 'www.contoso.com', { friendlyName: 'www' });
  assert.deepEqual(g.certificates.remove('www'), { thumbprint: c.thumbprint, friendlyName: 'www', removed: true, bindingsRemoved: [], servicesUnassigned: [] });
  assert.deepEqual(g.certificates.list().map((x) => x.thumbprint), [keep.thumbprint]);
  assert.equal(g.serving.keyMaterial(c.thumbprint), undefined);
  assert.equal(g.audit().at(-1)!.action, 'cert.remove');
  await refusedUnchanged(g, 'GH_CERT_NOT_FOUND', () => g.certificates.remove(c.thumbprint));
});

test('remove refuses a certificate bindings use; --force removes it with those bindings', async (t) => {
  const { g } = fixture(t);
  const c = await selfSigned(g, 'www.contoso.com', { friendlyName: 'www' });
  const other = await selfSigned(g, 'other.contoso.com');
  g.sites.add({ name: 'A', proxy: PROXY });
  g.bindings.add({ site: 'A', protocol: 'https', port: 443, cert: 'www' });
  g.bindings.add({ site: 'A', protocol: 'https', port: 8443, cert: other.thumbprint });
  g.bindings.add({ site: 'A', protocol: 'http', port: 80 });
  const e = await refusedUnchanged(g, 'GH_CERT_IN_USE', () => g.certificates.remove('www'));
  assert.match(e.message, /https \*:443: on site "A"/);
  const r = g.certificates.remove('www', true);
  assert.deepEqual(r.bindingsRemoved, ['https *:443: on site "A"']);
  assert.deepEqual(g.bindings.list('A').map((b) => `${b.protocol}:${b.port}`).sort(), ['http:80', 'https:8443']);
  assert.ok(!g.bindings.list().some((b) => b.certificate === c.thumbprint));
});

test('remove refuses a certificate services use; --force removes it and unassigns them', async (t) => {
  const { g } = fixture(t);
  const c = await selfSigned(g, 'mail.contoso.com', { friendlyName: 'mail' });
  g.services.assign('mail', ['smtp', 'imap'], { overwrite: false });
  const e = await refusedUnchanged(g, 'GH_CERT_IN_USE', () => g.certificates.remove('mail'));
  assert.match(e.message, /SMTP, IMAP|IMAP, SMTP/);
  const r = g.certificates.remove(c.thumbprint, true);
  assert.deepEqual([...r.servicesUnassigned].sort(), ['imap', 'smtp']);
  assert.equal(g.services.certificateOf('smtp'), null);
  assert.equal(g.services.certificateOf('imap'), null);
});

test('status follows the injected clock: valid, expiring within 30 days, expired', async (t) => {
  const { g, clock } = fixture(t);
  const c = await selfSigned(g, 'www.contoso.com', { days: 365 });
  const status = () => g.certificates.show(c.thumbprint).status;
  assert.equal(status(), 'valid');
  clock.advance(335 * DAY - BACKDATE - 1);
  assert.equal(status(), 'valid');
  clock.advance(1);
  assert.equal(status(), 'expiring', 'exactly 30 days left is expiring');
  clock.advance(30 * DAY - 1);
  assert.equal(status(), 'expiring');
  clock.advance(1);
  assert.equal(status(), 'expired');
  assert.equal(g.certificates.list()[0]!.status, 'expired');
});

test('status: a certificate whose chain does not reach a root is chain-incomplete, and completing says so', async (t) => {
  const { g, clock } = fixture(t);
  const ca = await outsideCa();
  const r = await g.requests.create({ cn: 'www.contoso.com', sans: [], keyType: 'ecdsa-p256', exportable: false });
  const leaf = await ca.issue(r.csr, { now: clock.now(), days: 200 });
  const c = g.requests.complete(leaf, 'www.cer', {});
  assert.equal(c.chainComplete, false);
  assert.equal(c.status, 'chain-incomplete');
  assert.match(c.warnings.join('\n'), /chain of .* is incomplete/);
});

test('list filters by store and by expiry within N days of the injected clock', async (t) => {
  const { g, clock } = fixture(t);
  const soon = await selfSigned(g, 'soon.contoso.com', { days: 20 });
  const later = await g.certificates.selfSigned({ cn: 'later.contoso.com', sans: [], days: 200, keyType: 'ecdsa-p256', exportable: false, store: 'personal' });
  assert.deepEqual(g.certificates.list({ expiringDays: 30 }).map((c) => c.thumbprint), [soon.thumbprint]);
  assert.deepEqual(g.certificates.list({ store: 'personal' }).map((c) => c.thumbprint), [later.thumbprint]);
  clock.advance(180 * DAY);
  assert.deepEqual(g.certificates.list({ expiringDays: 30 }).map((c) => c.thumbprint).sort(), [soon.thumbprint, later.thumbprint].sort());
});

test('export refuses the key of a certificate not marked exportable, whatever the format, and writes nothing', async (t) => {
  const { g } = fixture(t);
  const c = await selfSigned(g, 'www.contoso.com', { exportable: false });
  assert.equal(c.exportable, false);
  await refusedUnchanged(g, 'GH_KEY_NOT_EXPORTABLE', () => g.certificates.export(c.thumbprint, { format: 'pfx', password: 'secret', includeKey: true }));
  await refusedUnchanged(g, 'GH_KEY_NOT_EXPORTABLE', () => g.certificates.export(c.thumbprint, { format: 'pem', includeKey: true }));
});

test('export of the certificate alone needs no exportable key and is only a read', async (t) => {
  const { g } = fixture(t);
  const c = await selfSigned(g, 'www.contoso.com', { exportable: false });
  const before = storeState(g);
  const out = g.certificates.export(c.thumbprint, { format: 'pem', includeKey: false });
  assert.match(out.data.toString(), /^-----BEGIN CERTIFICATE-----/);
  assert.doesNotMatch(out.data.toString(), /PRIVATE KEY/);
  assert.deepEqual(storeState(g), before);
});

test('a key export is audited without a new revision: nothing served changes', async (t) => {
  const { g } = fixture(t);
  const c = await selfSigned(g, 'www.contoso.com', { exportable: true, friendlyName: 'www' });
  const revision = g.serving.revision();
  const audited = g.audit().length;
  const pfx = g.certificates.export('www', { format: 'pfx', password: 'secret', includeKey: true });
  assert.equal(pfx.format, 'pfx');
  assert.equal(g.serving.revision(), revision);
  assert.equal(g.audit().length, audited + 1);
  const audit = g.audit().at(-1)!;
  assert.deepEqual([audit.action, audit.target, audit.after], ['cert.export', c.thumbprint, { format: 'pfx', friendlyName: 'www' }]);
  assert.doesNotMatch(JSON.stringify(audit), /secret|PRIVATE/);
  g.certificates.export('www', { format: 'pem', includeKey: true });
  assert.equal(g.serving.revision(), revision);
  assert.equal(g.audit().length, audited + 2);
});

test('export: a PFX needs a password; what comes out holds the certificate and its key', async (t) => {
  const { g } = fixture(t);
  const c = await selfSigned(g, 'www.contoso.com', { exportable: true, friendlyName: 'www' });
  await refusedUnchanged(g, 'GH_PASSWORD_REQUIRED', () => g.certificates.export('www', { format: 'pfx', includeKey: true }));
  const legacy = g.certificates.export('www', { format: 'pfx', password: 'secret', legacy: true, includeKey: true });
  assert.equal(legacy.format, 'pfx-legacy');
  const read = readPfx(g.certificates.export('www', { format: 'pfx', password: 'secret', includeKey: true }).data, 'secret');
  assert.equal(read.friendlyName, 'www');
  assert.ok(read.privateKey);
  assert.equal(read.certificates.length, 1);
  const pem = g.certificates.export(c.thumbprint, { format: 'pem', password: 'secret', includeKey: true }).data.toString();
  assert.match(pem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
  assert.match(g.certificates.export(c.thumbprint, { format: 'pem', includeKey: true }).data.toString(), /^-----BEGIN PRIVATE KEY-----/);
});

test('import: a PFX exported from another server keeps its thumbprint and name; the exportable flag is the importer\'s', async (t) => {
  const from = fixture(t).g;
  const c = await selfSigned(from, 'www.contoso.com', { exportable: true, friendlyName: 'www' });
  const file = from.certificates.export('www', { format: 'pfx', password: 'secret', includeKey: true }).data;
  const { g } = fixture(t);
  await refusedUnchanged(g, 'GH_PFX_BAD_PASSWORD', () => g.certificates.import({ file, fileName: 'www.pfx', password: 'wrong', exportable: false }));
  const imported = await g.certificates.import({ file, fileName: 'www.pfx', password: 'secret', exportable: false });
  assert.deepEqual([imported.thumbprint, imported.friendlyName, imported.hasPrivateKey, imported.exportable], [c.thumbprint, 'www', true, false]);
  assert.equal(g.audit().at(-1)!.action, 'cert.import');
  await refusedUnchanged(g, 'GH_CERT_ALREADY_INSTALLED', () => g.certificates.import({ file, fileName: 'www.pfx', password: 'secret', exportable: false }));
});

test('import: a PEM certificate needs its own key', async (t) => {
  const from = fixture(t).g;
  await selfSigned(from, 'www.contoso.com', { exportable: true, friendlyName: 'www' });
  await selfSigned(from, 'other.contoso.com', { exportable: true, friendlyName: 'other' });
  const certOnly = from.certificates.export('www', { format: 'pem', includeKey: false }).data;
  const otherKey = from.certificates.export('other', { format: 'pem', includeKey: true }).data;
  const { g } = fixture(t);
  await refusedUnchanged(g, 'GH_KEY_MISSING', () => g.certificates.import({ file: certOnly, fileName: 'www.pem', exportable: false }));
  await refusedUnchanged(g, 'GH_KEY_MISMATCH', () => g.certificates.import({ file: certOnly, fileName: 'www.pem', keyFile: otherKey, exportable: false }));
  const withKey = from.certificates.export('www', { format: 'pem', includeKey: true }).data;
  assert.equal((await g.certificates.import({ file: withKey, fileName: 'www.pem', exportable: true })).exportable, true);
});

test('self-signed: names and validity are checked before anything is written', async (t) => {
  const { g } = fixture(t);
  const c = await selfSigned(g, 'WWW.contoso.com', { sans: ['10.0.0.1'] });
  assert.deepEqual(c.sans, ['www.contoso.com', '10.0.0.1']);
  assert.equal(c.notAfter, new Date(Date.parse(START) - BACKDATE + 365 * DAY).toISOString());
  assert.equal(c.chainComplete, true);
  await refusedUnchanged(g, 'GH_DAYS_INVALID', () => selfSigned(g, 'www.contoso.com', { days: 0 }));
  await refusedUnchanged(g, 'GH_DAYS_INVALID', () => selfSigned(g, 'www.contoso.com', { days: 3651 }));
  await refusedUnchanged(g, 'GH_NAME_INVALID', () => selfSigned(g, 'not a name'));
});

test('a certificate from a request completes under the request key and is shown with it', async (t) => {
  const { g } = fixture(t);
  const c = await requestedCertificate(g, await outsideCa(), 'www.contoso.com', { exportable: true });
  assert.equal(g.certificates.find(c.thumbprint)?.exportable, true);
  assert.equal(g.certificates.find('0'.repeat(40)), undefined);
});
