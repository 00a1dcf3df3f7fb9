// End-to-end: the two guides Gatehouse is built from, step by step, with an openssl CA as the
// third-party CA.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  gh, ghJson, dataDir, tmpDir, join, openssl, assertCsrVerifies, opensslBuf, opensslThumbprint, opensslNotAfter, opensslSans, subjectFields,
  readText, writeText, passwordFile, certPubkey, keyPubkey, pemBlocks, sorted, isoDate, TestPki,
} from '../support/cli.js';

interface Cert {
  thumbprint: string; friendlyName: string; store: string; issuedTo: string; issuedBy: string; sans: string[];
  notAfter: string; hasPrivateKey: boolean; exportable: boolean; requestId?: number; chain: { thumbprint: string }[];
}

let pki: TestPki;
before(() => {
  pki = TestPki.create({ intCn: 'Contoso CA' });
});

test('IIS guide: create request, CA signs, complete pending request, list, export PFX', () => {
  const data = dataDir();
  const dir = tmpDir('gh-iis-');
  // 1. Create Certificate Request (IIS Manager > Server Certificates)
  const csr = join(dir, 'www.contoso.com.csr');
  const req = ghJson<{ id: number }>(data, [
    'request', 'new', '--cn', 'www.contoso.com', '--org', 'Contoso', '--ou', 'IT', '--city', 'Redmond',
    '--state', 'Washington', '--country', 'US', '--key', 'rsa-2048', '--exportable', '--out', csr,
  ]);
  assertCsrVerifies(csr);
  assert.deepEqual(subjectFields(csr, 'req'), {
    CN: 'www.contoso.com', O: 'Contoso', OU: 'IT', L: 'Redmond', ST: 'Washington', C: 'US',
  });
  // 2. The CA answers with a .cer (DER, as Windows CAs send it)
  const leafPem = pki.sign(csr, { days: 365 });
  const cer = writeText(join(dir, 'certnew.cer'), opensslBuf(['x509', '-in', leafPem, '-outform', 'DER']));
  const thumb = opensslThumbprint(leafPem);
  const name = `www.contoso.com-Contoso CA-(${isoDate(opensslNotAfter(leafPem))})`;
  // 3. Complete Certificate Request: file, friendly name, Web Hosting store
  const c = ghJson<Cert>(data, ['request', 'complete', '--file', cer, '--friendly-name', name, '--store', 'webhosting']);
  assert.equal(c.thumbprint, thumb);
  assert.equal(c.requestId, req.id);
  assert.equal(c.friendlyName, name);
  assert.equal(c.store, 'webhosting');
  // 4. Server Certificates list: name, issued to, issued by, expiration, thumbprint, store
  const list = ghJson<Cert[]>(data, ['cert', 'list']);
  assert.equal(list.length, 1);
  const row = list[0]!;
  assert.equal(row.friendlyName, name);
  assert.equal(row.issuedTo, 'www.contoso.com');
  assert.equal(row.issuedBy, 'Contoso CA');
  assert.equal(new Date(row.notAfter).getTime(), opensslNotAfter(leafPem).getTime());
  assert.equal(row.thumbprint, thumb);
  assert.equal(row.store, 'webhosting');
  assert.equal(row.hasPrivateKey, true);
  assert.deepEqual(ghJson(data, ['request', 'list']), []);
  const human = gh(data, ['cert', 'list']);
  assert.equal(human.code, 0);
  assert.ok(human.stdout.includes(name) && human.stdout.includes(thumb), human.stdout);
  // 5. Export (to move the site to another server) by friendly name
  const pw = passwordFile(dir, 'Export-Pa55');
  const pfx = join(dir, 'www.contoso.com.pfx');
  ghJson(data, ['cert', 'export', name, '--out', pfx, '--password-file', pw]);
  const dump = openssl(['pkcs12', '-in', pfx, '-passin', `file:${pw}`, '-nodes']);
  const blocks = pemBlocks(dump);
  const key = writeText(join(dir, 'k.pem'), blocks.find((b) => /PRIVATE KEY/.test(b.label))!.pem);
  assert.equal(keyPubkey(key), certPubkey(leafPem));
  // 6. ... and import it on the other server
  const other = dataDir();
  const imported = ghJson<Cert>(other, ['cert', 'import', '--file', pfx, '--password-file', pw]);
  assert.equal(imported.thumbprint, thumb);
  assert.equal(imported.friendlyName, name);
});

test('Exchange guide: wildcard + per-service names, CA signs, complete, list shows every SAN', () => {
  const data = dataDir();
  const dir = tmpDir('gh-exch-');
  // New Exchange Certificate wizard
  const csr = join(dir, 'exchange.req');
  ghJson(data, [
    'request', 'new', '--cn', 'mail.contoso.com', '--wildcard', 'contoso.com', '--san', 'owa.contoso.com',
    '--san', 'autodiscover.contoso.com', '--org', 'Contoso', '--ou', 'Messaging', '--city', 'Seattle',
    '--state', 'WA', '--country', 'US', '--key', 'rsa-3072', '--out', csr,
  ]);
  const expected = ['mail.contoso.com', '*.contoso.com', 'contoso.com', 'owa.contoso.com', 'autodiscover.contoso.com'];
  assert.deepEqual(sorted(opensslSans(csr, 'req')), sorted(expected.map((s) => `DNS:${s}`)));
  assert.equal(subjectFields(csr, 'req').CN, 'mail.contoso.com');
  // The CA answers with a PKCS#7 chain (.p7b)
  const leaf = pki.sign(csr, { days: 730 });
  const bundle = writeText(join(dir, 'all.pem'), readText(leaf) + pki.chainPem());
  const p7b = join(dir, 'certnew.p7b');
  openssl(['crl2pkcs7', '-nocrl', '-certfile', bundle, '-out', p7b]);
  // Complete Pending Request
  const c = ghJson<Cert>(data, ['request', 'complete', '--file', p7b]);
  assert.equal(c.thumbprint, opensslThumbprint(leaf));
  assert.equal(c.friendlyName, `mail.contoso.com-Contoso CA-(${isoDate(opensslNotAfter(leaf))})`);
  const list = ghJson<Cert[]>(data, ['cert', 'list']);
  assert.equal(list.length, 1);
  assert.deepEqual(sorted(list[0]!.sans), sorted(expected));
  assert.equal(list[0]!.chain.length, 2);
  const shown = ghJson<Cert>(data, ['cert', 'show', 'mail.contoso.com-Contoso CA-(' + isoDate(opensslNotAfter(leaf)) + ')']);
  assert.deepEqual(sorted(shown.sans), sorted(expected));
});
