// End-to-end: the internal CA (`gatehouse ca ...`), `request submit --ca internal`, and
// `cert self-signed`, all checked by openssl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import {
  gh, ghJson, ghFail, dataDir, tmpDir, join, openssl, opensslTry, opensslThumbprint, opensslSerial, opensslSans,
  opensslNotAfter, subjectFields, readText, writeText, sorted, pemBlocks, assertCleanError,
} from '../support/cli.js';

interface CaInfo { thumbprint: string; subject: string; notAfter: string; keyType: string }
interface SignJson { thumbprint: string; serialNumber: string; subject: string; sans: string[]; notAfter: string; out: string }
interface Cert {
  thumbprint: string; friendlyName: string; store: string; subject: string; issuer: string; issuedTo: string;
  issuedBy: string; sans: string[]; notAfter: string; keyType: string; hasPrivateKey: boolean; exportable: boolean;
  serialNumber: string; requestId?: number;
}

const DAY = 86_400_000;

function initCa(data: string, cn = 'Gatehouse Internal CA'): { info: CaInfo; pem: string } {
  const info = ghJson<CaInfo>(data, ['ca', 'init', '--cn', cn, '--key', 'ecdsa-p256', '--days', '3650']);
  const pem = join(tmpDir('gh-ca-'), 'ca.pem');
  const r = gh(data, ['ca', 'export', '--out', pem]);
  assert.equal(r.code, 0, r.stderr);
  return { info, pem };
}

function verify(caPem: string, leaf: string): void {
  const r = opensslTry(['verify', '-CAfile', caPem, leaf]);
  assert.equal(r.code, 0, `openssl verify failed: ${r.out} ${r.err}`);
  assert.match(r.out, /: OK/);
}

/** A key and CSR made by openssl (not by gatehouse). */
function opensslCsr(cn: string, sans: string[]): string {
  const dir = tmpDir('gh-ocsr-');
  const csr = join(dir, 'o.csr');
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'o.key'),
    '-out', csr, '-subj', `/CN=${cn}/O=Fabrikam`, '-addext', `subjectAltName=${sans.map((s) => `DNS:${s}`).join(',')}`]);
  return csr;
}

test('ca: not initialized -> show and sign refuse with GH_CA_NOT_INITIALIZED', () => {
  const data = dataDir();
  ghFail(data, ['ca', 'show'], 'GH_CA_NOT_INITIALIZED');
  const csr = opensslCsr('x.fabrikam.com', ['x.fabrikam.com']);
  const out = join(tmpDir(), 'x.pem');
  ghFail(data, ['ca', 'sign', '--csr', csr, '--out', out], 'GH_CA_NOT_INITIALIZED');
  assert.ok(!existsSync(out));
});

test('ca init / export / show: a CA certificate openssl accepts; second init refused', () => {
  const data = dataDir();
  const { info, pem } = initCa(data, 'Fabrikam Internal CA');
  assert.equal(info.keyType, 'ecdsa-p256');
  assert.match(info.subject, /CN=Fabrikam Internal CA/);
  assert.equal(info.thumbprint, opensslThumbprint(pem));
  assert.equal(new Date(info.notAfter).getTime(), opensslNotAfter(pem).getTime());
  const notAfter = opensslNotAfter(pem).getTime();
  assert.ok(Math.abs(notAfter - (Date.now() + 3650 * DAY)) < 3 * DAY, '--days 3650');
  const text = openssl(['x509', '-in', pem, '-noout', '-text']);
  assert.match(text, /CA:TRUE/);
  assert.match(text, /Certificate Sign/);
  // self-signed: verifies against itself
  verify(pem, pem);
  // DER export is the same certificate
  const der = join(tmpDir(), 'ca.der');
  assert.equal(gh(data, ['ca', 'export', '--out', der, '--format', 'der']).code, 0);
  assert.equal(opensslThumbprint(der, 'DER'), info.thumbprint);
  // show
  const shown = ghJson<CaInfo>(data, ['ca', 'show']);
  assert.equal(shown.thumbprint, info.thumbprint);
  // export never contains the CA key
  assert.ok(!/PRIVATE KEY/.test(readText(pem)));
  // second init
  ghFail(data, ['ca', 'init', '--cn', 'Another CA'], 'GH_CA_EXISTS');
  assert.equal(ghJson<CaInfo>(data, ['ca', 'show']).thumbprint, info.thumbprint);
});

test('ca sign: an openssl-made CSR becomes a TLS server certificate openssl verifies', () => {
  const data = dataDir();
  const { pem } = initCa(data);
  const csr = opensslCsr('app.fabrikam.com', ['app.fabrikam.com', 'api.fabrikam.com']);
  const out = join(tmpDir(), 'leaf.pem');
  const j = ghJson<SignJson>(data, ['ca', 'sign', '--csr', csr, '--out', out, '--days', '90']);
  verify(pem, out);
  assert.equal(j.thumbprint, opensslThumbprint(out));
  assert.equal(j.serialNumber.replace(/^0+/, '').toUpperCase(), opensslSerial(out).replace(/^0+/, ''));
  assert.match(j.subject, /CN=app\.fabrikam\.com/);
  assert.ok(j.out.endsWith('leaf.pem'));
  assert.equal(subjectFields(out, 'x509').CN, 'app.fabrikam.com');
  const text = openssl(['x509', '-in', out, '-noout', '-text']);
  assert.match(text, /X509v3 Extended Key Usage:[^\n]*\n\s*TLS Web Server Authentication/);
  assert.match(text, /X509v3 Key Usage:[^\n]*\n\s*[^\n]*Digital Signature/);
  assert.match(text, /X509v3 Subject Key Identifier/);
  assert.match(text, /X509v3 Authority Key Identifier/);
  assert.doesNotMatch(text, /CA:TRUE/);
  // AKI of the leaf is the SKI of the CA
  const caText = openssl(['x509', '-in', pem, '-noout', '-text']);
  const ski = /X509v3 Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(caText)?.[1];
  assert.ok(ski, 'CA has a SKI');
  assert.ok(text.includes(ski), 'leaf AKI must name the CA SKI');
  // --days 90
  const na = opensslNotAfter(out).getTime();
  assert.ok(Math.abs(na - (Date.now() + 90 * DAY)) < 2 * DAY, `notAfter ${new Date(na).toISOString()} is not ~90 days away`);
  assert.equal(new Date(j.notAfter).getTime(), na);
  // the RSA variant of an openssl CSR works too
  const dir = tmpDir();
  const rcsr = join(dir, 'r.csr');
  openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'r.key'), '-out', rcsr, '-subj', '/CN=rsa.fabrikam.com']);
  const rout = join(dir, 'r.pem');
  ghJson(data, ['ca', 'sign', '--csr', rcsr, '--out', rout]);
  verify(pem, rout);
  // every SAN of the CSR is in the certificate (and in the JSON)
  assert.deepEqual(sorted(opensslSans(out, 'x509')), ['DNS:api.fabrikam.com', 'DNS:app.fabrikam.com']);
  assert.deepEqual(sorted(j.sans), ['api.fabrikam.com', 'app.fabrikam.com']);
});

test('ca sign refuses a CSR whose signature does not verify (tampered subject)', () => {
  const data = dataDir();
  initCa(data);
  const dir = tmpDir();
  const der = join(dir, 'r.der');
  openssl(['req', '-in', opensslCsr('good.fabrikam.com', ['good.fabrikam.com']), '-outform', 'DER', '-out', der]);
  const bytes = readFileSync(der);
  const at = bytes.indexOf('good.fabrikam.com');
  assert.ok(at > 0);
  bytes.write('evil', at, 'latin1');
  const tampered = join(dir, 't.csr');
  openssl(['req', '-in', writeText(join(dir, 't.der'), bytes), '-inform', 'DER', '-out', tampered]);
  const check = opensslTry(['req', '-verify', '-noout', '-in', tampered]);
  assert.match(check.out + check.err, /verify failure/, 'openssl also rejects it');
  const out = join(dir, 'evil.pem');
  const r = gh(data, ['ca', 'sign', '--csr', tampered, '--out', out]);
  assertCleanError(r, null);
  assert.ok(!existsSync(out), 'nothing may be issued');
});

test('ca sign: serial numbers differ and are not tiny counters', () => {
  const data = dataDir();
  const { pem } = initCa(data);
  const dir = tmpDir();
  const csr = opensslCsr('s.fabrikam.com', ['s.fabrikam.com']);
  const serials: string[] = [];
  for (let i = 0; i < 3; i++) {
    const out = join(dir, `s${i}.pem`);
    ghJson(data, ['ca', 'sign', '--csr', csr, '--out', out]);
    verify(pem, out);
    serials.push(opensslSerial(out));
  }
  assert.equal(new Set(serials).size, 3, `serials must differ: ${serials.join(', ')}`);
  for (const s of serials) assert.ok(s.replace(/^0+/, '').length >= 12, `serial ${s} looks like a counter, not random`);
});

test('ca sign --format der and p7b', () => {
  const data = dataDir();
  const { pem } = initCa(data);
  const csr = opensslCsr('f.fabrikam.com', ['f.fabrikam.com']);
  const dir = tmpDir();
  const der = join(dir, 'leaf.der');
  const jd = ghJson<SignJson>(data, ['ca', 'sign', '--csr', csr, '--out', der, '--format', 'der']);
  assert.ok(!readText(der).includes('-----BEGIN'));
  assert.equal(opensslThumbprint(der, 'DER'), jd.thumbprint);
  const p7 = join(dir, 'leaf.p7b');
  const jp = ghJson<SignJson>(data, ['ca', 'sign', '--csr', csr, '--out', p7, '--format', 'p7b']);
  const certs = openssl(['pkcs7', '-in', p7, '-inform', readText(p7).includes('-----BEGIN PKCS7') ? 'PEM' : 'DER', '-print_certs']);
  const thumbs = pemBlocks(certs).map((b, i) => opensslThumbprint(writeText(join(dir, `p${i}.pem`), b.pem)));
  assert.ok(thumbs.includes(jp.thumbprint), `leaf not in p7b: ${thumbs.join(', ')}`);
  assert.ok(thumbs.includes(opensslThumbprint(pem)), 'the p7b carries the CA certificate');
});

test('ca sign our own request, then request complete installs it', () => {
  const data = dataDir();
  const { info, pem } = initCa(data, 'Contoso Internal CA');
  const dir = tmpDir();
  const csr = join(dir, 'r.csr');
  const req = ghJson<{ id: number }>(data, ['request', 'new', '--cn', 'portal.contoso.com', '--san', 'portal2.contoso.com',
    '--key', 'ecdsa-p384', '--out', csr]);
  const out = join(dir, 'portal.pem');
  ghJson<SignJson>(data, ['ca', 'sign', '--csr', csr, '--out', out]);
  verify(pem, out);
  const c = ghJson<Cert>(data, ['request', 'complete', '--file', out]);
  assert.equal(c.requestId, req.id);
  assert.equal(c.thumbprint, opensslThumbprint(out));
  assert.equal(c.issuedBy, 'Contoso Internal CA');
  assert.equal(c.keyType, 'ecdsa-p384');
  assert.notEqual(c.thumbprint, info.thumbprint);
  assert.deepEqual(sorted(opensslSans(out, 'x509')), ['DNS:portal.contoso.com', 'DNS:portal2.contoso.com']);
  assert.deepEqual(sorted(c.sans), ['portal.contoso.com', 'portal2.contoso.com']);
});

test('request submit --ca internal signs and completes in one step', () => {
  const data = dataDir();
  const { pem } = initCa(data, 'Contoso Internal CA');
  const req = ghJson<{ id: number }>(data, ['request', 'new', '--cn', 'intra.contoso.com', '--san', 'wiki.contoso.com',
    '--key', 'ecdsa-p256', '--exportable', '--out', join(tmpDir(), 'r.csr')]);
  const c = ghJson<Cert>(data, ['request', 'submit', String(req.id), '--ca', 'internal', '--friendly-name', 'Intranet',
    '--store', 'personal', '--days', '60']);
  assert.equal(c.friendlyName, 'Intranet');
  assert.equal(c.store, 'personal');
  assert.equal(c.issuedTo, 'intra.contoso.com');
  assert.equal(c.issuedBy, 'Contoso Internal CA');
  assert.equal(c.hasPrivateKey, true);
  assert.equal(c.exportable, true);
  assert.ok(Math.abs(new Date(c.notAfter).getTime() - (Date.now() + 60 * DAY)) < 2 * DAY);
  assert.deepEqual(ghJson(data, ['request', 'list']), []);
  assert.deepEqual(ghJson<Cert[]>(data, ['cert', 'list']).map((x) => x.thumbprint), [c.thumbprint]);
  // the certificate openssl sees is the one listed, and the CA verifies it
  const out = join(tmpDir(), 'intra.pem');
  ghJson(data, ['cert', 'export', c.thumbprint, '--out', out, '--format', 'pem', '--no-key']);
  const leaf = writeText(join(tmpDir(), 'leaf.pem'), pemBlocks(readText(out))[0]!.pem);
  assert.equal(opensslThumbprint(leaf), c.thumbprint);
  verify(pem, leaf);
  ghFail(data, ['request', 'submit', String(req.id), '--ca', 'internal'], 'GH_REQUEST_NOT_FOUND');
  assert.deepEqual(sorted(c.sans), ['intra.contoso.com', 'wiki.contoso.com']);
});

test('request submit --ca internal without a CA is refused and keeps the request', () => {
  const data = dataDir();
  const req = ghJson<{ id: number }>(data, ['request', 'new', '--cn', 'n.contoso.com', '--key', 'ecdsa-p256', '--out', join(tmpDir(), 'r.csr')]);
  ghFail(data, ['request', 'submit', String(req.id), '--ca', 'internal'], 'GH_CA_NOT_INITIALIZED');
  assert.deepEqual(ghJson<{ id: number }[]>(data, ['request', 'list']).map((r) => r.id), [req.id]);
});

for (const key of ['ecdsa-p256', 'rsa-2048'] as const) {
  test(`cert self-signed (${key}): verifiable by openssl against itself, SANs, days, exportable`, () => {
    const data = dataDir();
    const c = ghJson<Cert>(data, ['cert', 'self-signed', '--cn', 'self.contoso.com', '--san', 'alt.contoso.com',
      '--san', '192.0.2.7', '--days', '30', '--key', key, '--friendly-name', 'Self', '--store', 'personal', '--exportable']);
    assert.equal(c.keyType, key);
    assert.equal(c.friendlyName, 'Self');
    assert.equal(c.store, 'personal');
    assert.equal(c.hasPrivateKey, true);
    assert.equal(c.issuedTo, 'self.contoso.com');
    assert.equal(c.subject, c.issuer);
    assert.deepEqual(sorted(c.sans), sorted(['self.contoso.com', 'alt.contoso.com', '192.0.2.7']));
    const dir = tmpDir();
    const out = join(dir, 'self-bundle.pem');
    ghJson(data, ['cert', 'export', 'Self', '--out', out, '--format', 'pem']);
    const blocks = pemBlocks(readText(out));
    const self = writeText(join(dir, 'self.pem'), blocks.find((b) => b.label === 'CERTIFICATE')!.pem);
    assert.equal(opensslThumbprint(self), c.thumbprint);
    verify(self, self);
    assert.deepEqual(sorted(opensslSans(self, 'x509')), sorted(['DNS:self.contoso.com', 'DNS:alt.contoso.com', 'IP Address:192.0.2.7']));
    const na = opensslNotAfter(self).getTime();
    assert.ok(Math.abs(na - (Date.now() + 30 * DAY)) < 2 * DAY);
    const keyFile = writeText(join(dir, 'k.pem'), blocks.find((b) => /PRIVATE KEY/.test(b.label))!.pem);
    assert.equal(openssl(['pkey', '-in', keyFile, '-pubout']).trim(), openssl(['x509', '-in', self, '-noout', '-pubkey']).trim());
  });
}

test('cert self-signed defaults: webhosting store, not exportable', () => {
  const data = dataDir();
  const c = ghJson<Cert>(data, ['cert', 'self-signed', '--cn', 'plain.contoso.com', '--key', 'ecdsa-p256']);
  assert.equal(c.store, 'webhosting');
  assert.equal(c.exportable, false);
  assert.deepEqual(c.sans, ['plain.contoso.com']);
  assert.equal(typeof c.friendlyName, 'string');
});
