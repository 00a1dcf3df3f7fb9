import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { readCertificateRequest } from '../pki/certificate-request.js';
import type { NewRequestInput } from './request-manager.js';
import { BACKDATE, DAY, START, fixture, outsideCa, refused, refusedUnchanged, storeState } from './managers.test-support.js';

const WWW: NewRequestInput = { cn: 'www.contoso.com', sans: [], keyType: 'ecdsa-p256', exportable: false };

test('create: the CN comes first among the SANs, names are lower-cased and deduplicated; the request is audited without its key', async (t) => {
  const { g } = fixture(t);
  const revision = g.serving.revision();
  const r = await g.requests.create({ ...WWW, cn: 'WWW.Contoso.com', sans: ['mail.contoso.com', 'www.contoso.com', 'MAIL.contoso.com.'], org: ' Contoso ', country: 'us' });
  assert.equal(r.cn, 'www.contoso.com');
  assert.deepEqual(r.sans, ['www.contoso.com', 'mail.contoso.com']);
  assert.match(r.subject, /^CN=www\.contoso\.com, O=Contoso, C=US$/);
  assert.equal(r.created, START);
  assert.equal(r.exportable, false);
  const csr = await readCertificateRequest(Buffer.from(r.csr));
  assert.deepEqual(csr.names.map((n) => n.value), ['www.contoso.com', 'mail.contoso.com']);
  assert.deepEqual(g.requests.list().map((x) => x.id), [r.id]);
  assert.equal(g.serving.revision(), revision + 1);
  const audit = g.audit().at(-1)!;
  assert.equal(audit.action, 'request.new');
  assert.equal(audit.target, `request ${r.id}`);
  assert.doesNotMatch(JSON.stringify(audit), /PRIVATE|BEGIN/);
});

test('create: a wildcard root adds *.root and root, whether given with or without "*."', async (t) => {
  const { g } = fixture(t);
  const a = await g.requests.create({ ...WWW, wildcard: 'contoso.com' });
  assert.deepEqual(a.sans, ['www.contoso.com', '*.contoso.com', 'contoso.com']);
  const b = await g.requests.create({ ...WWW, cn: 'contoso.com', wildcard: '*.Contoso.com' });
  assert.deepEqual(b.sans, ['contoso.com', '*.contoso.com']);
});

test('create: the key is of the type asked for, and the request records it', async (t) => {
  const { g } = fixture(t);
  for (const [keyType, type, detail] of [['ecdsa-p256', 'ec', 'prime256v1'], ['ecdsa-p384', 'ec', 'secp384r1'], ['rsa-2048', 'rsa', 2048]] as const) {
    const r = await g.requests.create({ ...WWW, keyType });
    assert.equal(r.keyType, keyType);
    const key = createPublicKey({ key: (await readCertificateRequest(Buffer.from(r.csr))).publicKeySpki, format: 'der', type: 'spki' });
    assert.equal(key.asymmetricKeyType, type);
    assert.equal(type === 'ec' ? key.asymmetricKeyDetails?.namedCurve : key.asymmetricKeyDetails?.modulusLength, detail);
  }
});

test('create refuses invalid names and subject fields, and writes nothing', async (t) => {
  const { g } = fixture(t);
  await g.requests.create(WWW);
  await refusedUnchanged(g, 'GH_NAME_INVALID', () => g.requests.create({ ...WWW, cn: 'www contoso.com' }));
  await refusedUnchanged(g, 'GH_NAME_INVALID', () => g.requests.create({ ...WWW, cn: '' }));
  await refusedUnchanged(g, 'GH_NAME_INVALID', () => g.requests.create({ ...WWW, sans: ['*.com'] }));
  await refusedUnchanged(g, 'GH_NAME_INVALID', () => g.requests.create({ ...WWW, sans: ['w*.contoso.com'] }));
  await refusedUnchanged(g, 'GH_NAME_INVALID', () => g.requests.create({ ...WWW, sans: ['under_score.contoso.com'] }));
  await refusedUnchanged(g, 'GH_NAME_INVALID', () => g.requests.create({ ...WWW, wildcard: '10.0.0.1' }));
  await refusedUnchanged(g, 'GH_COUNTRY_INVALID', () => g.requests.create({ ...WWW, country: 'USA' }));
  await refusedUnchanged(g, 'GH_SUBJECT_INVALID', () => g.requests.create({ ...WWW, org: 'x'.repeat(65) }));
  await refusedUnchanged(g, 'GH_SUBJECT_INVALID', () => g.requests.create({ ...WWW, city: 'line\nbreak' }));
  assert.equal(g.requests.list().length, 1);
});

test('cancel removes the request (audited, new revision); an unknown id is refused and writes nothing', async (t) => {
  const { g } = fixture(t);
  const keep = await g.requests.create(WWW);
  const r = await g.requests.create({ ...WWW, cn: 'mail.contoso.com' });
  const revision = g.serving.revision();
  assert.deepEqual(g.requests.cancel(r.id), { id: r.id, cancelled: true });
  assert.deepEqual(g.requests.list().map((x) => x.id), [keep.id]);
  assert.equal(g.serving.revision(), revision + 1);
  assert.deepEqual([g.audit().at(-1)!.action, g.audit().at(-1)!.target], ['request.cancel', `request ${r.id}`]);
  await refusedUnchanged(g, 'GH_REQUEST_NOT_FOUND', () => g.requests.cancel(r.id));
  await refusedUnchanged(g, 'GH_REQUEST_NOT_FOUND', () => g.requests.cancel(1.5));
  await refused('GH_REQUEST_NOT_FOUND', () => g.requests.show(r.id));
});

test('complete installs the certificate under the request key, retires the request, in one audited change', async (t) => {
  const { g, clock } = fixture(t);
  const ca = await outsideCa();
  await g.certificates.import({ file: ca.root, fileName: 'root.cer', store: 'root', exportable: false });
  const r = await g.requests.create({ ...WWW, sans: ['contoso.com'], exportable: true });
  const leaf = await ca.issue(r.csr, { now: clock.now(), days: 200 });
  const revision = g.serving.revision();
  const c = g.requests.complete(ca.bundle(leaf), 'www.cer', { store: 'personal' });
  assert.equal(c.chainMissing, null, 'the chain ends at a root in the Trusted Root store');
  assert.equal(c.requestId, r.id);
  assert.deepEqual(c.sans, ['www.contoso.com', 'contoso.com']);
  assert.equal(c.store, 'personal');
  assert.equal(c.hasPrivateKey, true);
  assert.equal(c.exportable, true, 'the exportable flag of the request carries over');
  assert.equal(c.chainComplete, true);
  assert.equal(c.status, 'valid');
  assert.deepEqual(c.warnings, []);
  assert.deepEqual(g.requests.list(), []);
  assert.deepEqual(g.certificates.list().map((x) => x.thumbprint), [c.thumbprint]);
  assert.equal(g.serving.revision(), revision + 1);
  assert.deepEqual([g.audit().at(-1)!.action, g.audit().at(-1)!.target], ['request.complete', c.thumbprint]);
  // The key the certificate serves with is the request's; the root of the bundle is never sent.
  assert.equal(g.serving.keyMaterial(c.thumbprint)?.certificates.length, 1);
});

test('complete: without a friendly name the default one names host, issuer and expiry; a given one is used', async (t) => {
  const { g, clock } = fixture(t);
  const ca = await outsideCa('Contoso CA');
  const a = await g.requests.create(WWW);
  const first = g.requests.complete(ca.bundle(await ca.issue(a.csr, { now: clock.now(), days: 365 })), 'www.cer', {});
  assert.equal(first.friendlyName, 'www.contoso.com-Contoso CA-(2027-11-20)');
  const b = await g.requests.create(WWW);
  const second = g.requests.complete(ca.bundle(await ca.issue(b.csr, { now: clock.now(), days: 365 })), 'www.cer', { friendlyName: '  Contoso www 2027 ' });
  assert.equal(second.friendlyName, 'Contoso www 2027');
  const c = await g.requests.create(WWW);
  const leaf = await ca.issue(c.csr, { now: clock.now(), days: 365 });
  await refusedUnchanged(g, 'GH_FRIENDLY_NAME_INVALID', () => g.requests.complete(ca.bundle(leaf), 'www.cer', { friendlyName: ' ' }));
  await refusedUnchanged(g, 'GH_FRIENDLY_NAME_INVALID', () => g.requests.complete(ca.bundle(leaf), 'www.cer', { friendlyName: 'tab\there' }));
});

test('complete warns when the CA left out a requested name', async (t) => {
  const { g, clock } = fixture(t);
  const ca = await outsideCa();
  const r = await g.requests.create({ ...WWW, sans: ['mail.contoso.com'] });
  const leaf = await ca.issue(r.csr, { now: clock.now(), days: 200, names: ['www.contoso.com'] });
  const c = g.requests.complete(ca.bundle(leaf), 'www.cer', {});
  assert.equal(c.warnings.length, 2, 'the name left out, and the root that is trusted nowhere here');
  assert.match(c.warnings[1]!, /not trusted on this server/);
  assert.match(c.warnings[0]!, /left out mail\.contoso\.com/);
});

test('complete judges validity at the injected clock: expired and not-yet-valid certificates are refused, the request stays', async (t) => {
  const { g, clock } = fixture(t);
  const ca = await outsideCa();
  const r = await g.requests.create(WWW);
  const now = clock.now();
  const expired = await ca.issue(r.csr, { now: new Date(now.getTime() - 30 * DAY), days: 10 });
  await refusedUnchanged(g, 'GH_CERT_EXPIRED', () => g.requests.complete(ca.bundle(expired), 'www.cer', {}));
  const future = await ca.issue(r.csr, { now: new Date(now.getTime() + DAY), days: 10 });
  await refusedUnchanged(g, 'GH_CERT_NOT_YET_VALID', () => g.requests.complete(ca.bundle(future), 'www.cer', {}));
  // The same certificate completes once the clock reaches its start…
  clock.advance(DAY);
  assert.equal(g.requests.complete(ca.bundle(future), 'www.cer', {}).requestId, r.id);
});

test('complete: a certificate valid now is expired for a clock past its end', async (t) => {
  const { g, clock } = fixture(t);
  const ca = await outsideCa();
  const r = await g.requests.create(WWW);
  const leaf = await ca.issue(r.csr, { now: clock.now(), days: 10 });
  clock.advance(10 * DAY);
  await refusedUnchanged(g, 'GH_CERT_EXPIRED', () => g.requests.complete(ca.bundle(leaf), 'www.cer', {}));
});

test('complete tolerates a certificate starting up to five minutes ahead of the clock (CA clock skew)', async (t) => {
  const { g, clock } = fixture(t);
  const ca = await outsideCa();
  const r = await g.requests.create(WWW);
  // Issued "now + 9 min", backdated five minutes: it starts four minutes ahead of our clock.
  const leaf = await ca.issue(r.csr, { now: new Date(clock.now().getTime() + 9 * 60_000), days: 10 });
  assert.equal(g.requests.complete(ca.bundle(leaf), 'www.cer', {}).requestId, r.id);
});

test('complete refuses a certificate no pending request matches, and one installed already', async (t) => {
  const { g, clock } = fixture(t);
  const ca = await outsideCa();
  const elsewhere = fixture(t).g;
  const foreign = await elsewhere.requests.create(WWW);
  await g.requests.create(WWW);
  const leaf = await ca.issue(foreign.csr, { now: clock.now(), days: 100 });
  const e = await refusedUnchanged(g, 'GH_NO_MATCHING_REQUEST', () => g.requests.complete(ca.bundle(leaf), 'www.cer', {}));
  assert.match(e.message, /another server/);
  const r = g.requests.list()[0]!;
  const mine = await ca.issue(r.csr, { now: clock.now(), days: 100 });
  g.requests.complete(ca.bundle(mine), 'www.cer', {});
  await refusedUnchanged(g, 'GH_CERT_ALREADY_INSTALLED', () => g.requests.complete(ca.bundle(mine), 'www.cer', {}));
  await refusedUnchanged(g, 'GH_NOT_A_CERTIFICATE', () => g.requests.complete(Buffer.from('hello'), 'www.cer', {}));
});

test('submit: the internal CA signs and completes in one step; another CA name, or no internal CA, is refused', async (t) => {
  const { g } = fixture(t);
  const r = await g.requests.create({ ...WWW, sans: ['contoso.com'] });
  await refusedUnchanged(g, 'GH_CA_UNKNOWN', () => g.requests.submit(r.id, 'letsencrypt', {}));
  await refusedUnchanged(g, 'GH_CA_NOT_INITIALIZED', () => g.requests.submit(r.id, 'internal', {}));
  await refusedUnchanged(g, 'GH_REQUEST_NOT_FOUND', () => g.requests.submit(r.id + 1, 'internal', {}));
  await g.ca.init({ keyType: 'ecdsa-p256' });
  const c = await g.requests.submit(r.id, 'internal', { days: 30, friendlyName: 'www internal' });
  assert.equal(c.requestId, r.id);
  assert.equal(c.friendlyName, 'www internal');
  assert.equal(c.issuedBy, 'Gatehouse Internal CA');
  assert.equal(c.chainComplete, true, 'the internal CA is a trust anchor');
  assert.equal(c.notAfter, new Date(Date.parse(START) - BACKDATE + 30 * DAY).toISOString());
  assert.deepEqual(g.requests.list(), []);
  assert.deepEqual(storeState(g).certificates, [g.certificates.show(c.thumbprint)]);
});
