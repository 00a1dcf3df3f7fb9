import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describeCertificate } from '../pki/certificate-info.js';
import { BACKDATE, DAY, START, fixture, refused, refusedUnchanged, storeState } from './managers.test-support.js';

/** The end of a certificate of `days` issued at START. */
const at = (days: number) => new Date(Date.parse(START) - BACKDATE + days * DAY).toISOString();

test('init creates the CA at the injected clock, in one audited change; show describes it', async (t) => {
  const { g } = fixture(t);
  await refused('GH_CA_NOT_INITIALIZED', () => g.ca.show());
  const revision = g.serving.revision();
  const ca = await g.ca.init({});
  assert.equal(ca.subject, 'CN=Gatehouse Internal CA');
  assert.equal(ca.keyType, 'ecdsa-p384');
  assert.equal(ca.notAfter, at(3650));
  assert.equal(ca.created, START);
  assert.deepEqual(g.ca.show(), ca);
  assert.equal(g.serving.revision(), revision + 1);
  assert.deepEqual([g.audit().at(-1)!.action, g.audit().at(-1)!.target], ['ca.init', ca.thumbprint]);
  const cert = new X509Certificate(g.ca.certificate());
  assert.equal(cert.ca, true);
  assert.ok(cert.verify(cert.publicKey), 'self-signed');
});

test('init a second time is refused and changes nothing: clients trust the first', async (t) => {
  const { g } = fixture(t);
  await g.ca.init({ cn: 'Contoso Root', keyType: 'ecdsa-p256' });
  await refusedUnchanged(g, 'GH_CA_EXISTS', () => g.ca.init({ cn: 'Another Root', keyType: 'ecdsa-p256' }));
  assert.equal(g.ca.show().subject, 'CN=Contoso Root');
});

test('init refuses a bad name or validity and writes nothing', async (t) => {
  const { g } = fixture(t);
  await refusedUnchanged(g, 'GH_SUBJECT_INVALID', () => g.ca.init({ cn: '   ', keyType: 'ecdsa-p256' }));
  await refusedUnchanged(g, 'GH_SUBJECT_INVALID', () => g.ca.init({ cn: 'x'.repeat(65), keyType: 'ecdsa-p256' }));
  await refusedUnchanged(g, 'GH_DAYS_INVALID', () => g.ca.init({ keyType: 'ecdsa-p256', days: 0 }));
  await refusedUnchanged(g, 'GH_DAYS_INVALID', () => g.ca.init({ keyType: 'ecdsa-p256', days: 36501 }));
});

test('sign issues a server certificate from a request made anywhere: its names, the CA as issuer, 397 days by default', async (t) => {
  const { g } = fixture(t);
  await g.ca.init({ cn: 'Contoso Root', keyType: 'ecdsa-p256' });
  // A request made on "another server": here only its CSR travels.
  const elsewhere = fixture(t).g;
  const request = await elsewhere.requests.create({ cn: 'www.contoso.com', sans: ['contoso.com'], org: 'Contoso', keyType: 'ecdsa-p256', exportable: false });
  const issued = await g.ca.sign(Buffer.from(request.csr), undefined);
  assert.deepEqual(issued.sans, ['www.contoso.com', 'contoso.com']);
  assert.equal(issued.subject, 'CN=www.contoso.com', 'the subject keeps only the CN');
  assert.equal(issued.notAfter, at(397));
  const leaf = new X509Certificate(issued.der);
  assert.ok(leaf.verify(new X509Certificate(g.ca.certificate()).publicKey));
  assert.equal(describeCertificate(issued.der).issuedBy, 'Contoso Root');
  assert.equal(leaf.ca, false);
  // …and it completes the request where it was made.
  assert.equal(elsewhere.requests.complete(issued.der, 'www.cer', {}).requestId, request.id);
});

test('sign is audited without a new revision: issuing serves nothing by itself', async (t) => {
  const { g } = fixture(t);
  await g.ca.init({ keyType: 'ecdsa-p256' });
  const request = await g.requests.create({ cn: 'www.contoso.com', sans: [], keyType: 'ecdsa-p256', exportable: false });
  const before = storeState(g);
  const issued = await g.ca.sign(Buffer.from(request.csr), 30);
  assert.equal(issued.notAfter, at(30));
  assert.equal(g.serving.revision(), before.revision);
  assert.equal(g.audit().length, (before.audit as unknown[]).length + 1);
  assert.deepEqual([g.audit().at(-1)!.action, g.audit().at(-1)!.target], ['ca.sign', issued.thumbprint]);
  assert.deepEqual(g.requests.list(), before.requests, 'signing does not complete the request here');
  assert.deepEqual(g.certificates.list(), []);
});

test('sign refuses without a CA, a damaged request, or a validity over 825 days — and writes nothing', async (t) => {
  const { g } = fixture(t);
  const request = await g.requests.create({ cn: 'www.contoso.com', sans: [], keyType: 'ecdsa-p256', exportable: false });
  const csr = Buffer.from(request.csr);
  await refusedUnchanged(g, 'GH_CA_NOT_INITIALIZED', () => g.ca.sign(csr, undefined));
  await g.ca.init({ keyType: 'ecdsa-p256' });
  await refusedUnchanged(g, 'GH_DAYS_INVALID', () => g.ca.sign(csr, 826));
  await refusedUnchanged(g, 'GH_DAYS_INVALID', () => g.ca.sign(csr, 0));
  await refusedUnchanged(g, 'GH_CSR_INVALID', () => g.ca.sign(Buffer.from('not a request'), undefined));
  const der = Buffer.from(request.csr.replace(/-----[^-]+-----/g, '').replace(/\s/g, ''), 'base64');
  der[der.length - 10]! ^= 0xff;
  await refusedUnchanged(g, 'GH_CSR_INVALID', () => g.ca.sign(der, undefined));
  assert.equal((await g.ca.sign(csr, 825)).notAfter, at(825));
});
