// End-to-end: an openssl root + intermediate CA signs our CSR; `gatehouse request complete`
// takes the answer in every format the CAs send.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  gh, ghJson, ghFail, dataDir, tmpDir, join, openssl, opensslBuf, opensslThumbprint, opensslNotAfter, opensslSerial,
  readText, writeText, sorted, isoDate, TestPki,
} from '../support/cli.js';

interface ChainEntry { thumbprint: string; subject: string; issuer: string; notAfter: string }
interface Cert {
  thumbprint: string; friendlyName: string; store: string; subject: string; issuer: string; issuedTo: string;
  issuedBy: string; sans: string[]; notBefore: string; notAfter: string; keyType: string; hasPrivateKey: boolean;
  exportable: boolean; status: string; serialNumber: string; chain: ChainEntry[]; requestId?: number;
  chainMissing: { kind: string; name: string } | null;
}

let pki: TestPki;
let intThumb: string;
let rootThumb: string;

before(() => {
  pki = TestPki.create();
  intThumb = opensslThumbprint(pki.intCert);
  rootThumb = opensslThumbprint(pki.rootCert);
});

/** Fresh store with one pending request for `cn`, signed by the openssl intermediate. */
function pendingAndSigned(cn = 'www.contoso.com', reqArgs: string[] = [], days = 365) {
  const data = dataDir();
  const dir = tmpDir('gh-complete-');
  const csr = join(dir, 'req.csr');
  const req = ghJson<{ id: number }>(data, ['request', 'new', '--cn', cn, '--key', 'ecdsa-p256', ...reqArgs, '--out', csr]);
  const leaf = pki.sign(csr, { days, out: join(dir, 'leaf.pem') });
  return { data, dir, csr, leaf, id: req.id, thumb: opensslThumbprint(leaf) };
}

function assertCompleted(data: string, c: Cert, thumb: string, id: number): void {
  assert.equal(c.thumbprint, thumb, 'thumbprint must be the SHA-1 of the DER, upper-case hex, as openssl computes it');
  assert.equal(c.requestId, id);
  assert.equal(c.hasPrivateKey, true);
  assert.deepEqual(ghJson(data, ['request', 'list']), [], 'the request must be retired');
  const list = ghJson<Cert[]>(data, ['cert', 'list']);
  assert.deepEqual(list.map((x) => x.thumbprint), [thumb]);
}

function chainThumbs(c: Cert): string[] {
  return c.chain.map((e) => e.thumbprint);
}

// single: the file holds only the leaf; root: the file holds intermediate and root
const formats: { name: string; make: (leaf: string, dir: string) => string; root: boolean; single?: boolean }[] = [
  { name: 'PEM certificate alone', root: false, single: true, make: (leaf) => leaf },
  {
    name: 'DER certificate (.cer)', root: false, single: true,
    make: (leaf, dir) => writeText(join(dir, 'leaf.cer'), opensslBuf(['x509', '-in', leaf, '-outform', 'DER'])),
  },
  {
    name: 'PEM bundle, leaf first', root: true,
    make: (leaf, dir) => writeText(join(dir, 'b1.pem'), readText(leaf) + readText(pki.intCert) + readText(pki.rootCert)),
  },
  {
    name: 'PEM bundle, leaf last', root: true,
    make: (leaf, dir) => writeText(join(dir, 'b2.pem'), readText(pki.rootCert) + readText(pki.intCert) + readText(leaf)),
  },
  {
    name: 'PEM bundle, leaf in the middle', root: true,
    make: (leaf, dir) => writeText(join(dir, 'b3.pem'), readText(pki.intCert) + readText(leaf) + readText(pki.rootCert)),
  },
  {
    name: 'PEM bundle, intermediate only, leaf last', root: false,
    make: (leaf, dir) => writeText(join(dir, 'b4.pem'), readText(pki.intCert) + readText(leaf)),
  },
  {
    name: 'PEM with Windows CRLF line endings', root: false, single: true,
    make: (leaf, dir) => writeText(join(dir, 'crlf.cer'), readText(leaf).replace(/\n/g, '\r\n')),
  },
  {
    name: 'PEM preceded by human-readable text (openssl x509 -text output)', root: false, single: true,
    make: (leaf, dir) => writeText(join(dir, 'text.pem'), openssl(['x509', '-in', leaf, '-text'])),
  },
  {
    name: 'PEM bundle with a foreign leaf first, ours after it', root: true,
    make: (leaf, dir) => {
      const foreign = pki.leaf('foreign.contoso.com');
      return writeText(join(dir, 'foreign.pem'), readText(foreign.cert) + readText(leaf) + pki.chainPem());
    },
  },
  {
    name: 'PKCS#7 PEM (.p7b)', root: true,
    make: (leaf, dir) => {
      const bundle = writeText(join(dir, 'for-p7.pem'), readText(pki.rootCert) + readText(leaf) + readText(pki.intCert));
      const out = join(dir, 'chain.p7b');
      openssl(['crl2pkcs7', '-nocrl', '-certfile', bundle, '-out', out]);
      assert.match(readText(out), /-----BEGIN PKCS7-----/);
      return out;
    },
  },
  {
    name: 'PKCS#7 DER (.p7c)', root: true,
    make: (leaf, dir) => {
      const bundle = writeText(join(dir, 'for-p7d.pem'), readText(pki.intCert) + readText(pki.rootCert) + readText(leaf));
      const out = join(dir, 'chain.p7c');
      openssl(['crl2pkcs7', '-nocrl', '-certfile', bundle, '-outform', 'DER', '-out', out]);
      return out;
    },
  },
];

for (const f of formats) {
  test(`request complete: ${f.name}`, () => {
    const s = pendingAndSigned();
    const file = f.make(s.leaf, s.dir);
    const c = ghJson<Cert>(s.data, ['request', 'complete', '--file', file]);
    assertCompleted(s.data, c, s.thumb, s.id);
    const chain = chainThumbs(c);
    assert.ok(!chain.includes(s.thumb), 'the leaf must not be in its own chain');
    if (!f.single) {
      assert.ok(chain.includes(intThumb), `chain must keep the intermediate: ${JSON.stringify(c.chain)}`);
      const ie = c.chain.find((e) => e.thumbprint === intThumb)!;
      assert.match(ie.subject, /CN=Contoso CA/);
      assert.match(ie.issuer, /CN=Gatehouse Test Root/);
      assert.ok(!Number.isNaN(Date.parse(ie.notAfter)));
    }
    if (f.name.includes('foreign')) {
      assert.ok(chain.includes(intThumb) && chain.includes(rootThumb));
      assert.equal(c.issuedTo, 'www.contoso.com');
    } else if (f.root) {
      assert.deepEqual(sorted(chain), sorted([intThumb, rootThumb]));
      assert.equal(c.status, 'chain-incomplete', 'the chain ends at a root that is trusted nowhere here (the test root is in no trust store)');
      assert.equal(c.chainMissing?.kind, 'untrusted-root');
      ghJson(s.data, ['cert', 'import', '--store', 'root', '--file', pki.rootCert]);
      assert.equal(ghJson<Cert>(s.data, ['cert', 'show', c.thumbprint]).status, 'valid', 'once the root is trusted: valid');
    }
    if (chain.length === 0) {
      assert.equal(c.status, 'chain-incomplete', 'only the leaf was given: its issuer is unknown');
    }
    assert.ok(['valid', 'expiring', 'expired', 'chain-incomplete'].includes(c.status));
  });
}

test('request complete: certificate fields match openssl', () => {
  const s = pendingAndSigned('www.contoso.com', ['--san', 'contoso.com', '--org', 'Contoso', '--country', 'US']);
  const c = ghJson<Cert>(s.data, ['request', 'complete', '--file', s.leaf]);
  assert.equal(c.thumbprint, s.thumb);
  assert.match(c.thumbprint, /^[0-9A-F]{40}$/);
  assert.match(c.subject, /CN=www\.contoso\.com/);
  assert.match(c.subject, /O=Contoso/);
  assert.match(c.issuer, /CN=Contoso CA/);
  assert.equal(c.issuedTo, 'www.contoso.com');
  assert.equal(c.issuedBy, 'Contoso CA');
  assert.deepEqual(sorted(c.sans), ['contoso.com', 'www.contoso.com']);
  assert.equal(new Date(c.notAfter).getTime(), opensslNotAfter(s.leaf).getTime());
  assert.ok(new Date(c.notBefore).getTime() < new Date(c.notAfter).getTime());
  assert.equal(c.keyType, 'ecdsa-p256');
  assert.equal(c.exportable, false);
  assert.equal(c.store, 'webhosting', 'the default store is webhosting');
  assert.equal(c.serialNumber.replace(/^0+/, '').toUpperCase(), opensslSerial(s.leaf).replace(/^0+/, ''));
  // cert show returns the same object
  const shown = ghJson<Cert>(s.data, ['cert', 'show', c.thumbprint]);
  assert.equal(shown.thumbprint, c.thumbprint);
  assert.equal(shown.friendlyName, c.friendlyName);
  assert.deepEqual(shown.chain, c.chain);
  assert.ok(!JSON.stringify(shown).includes('PRIVATE KEY'));
});

test('request complete: default friendly name is <cn>-<issuer CN>-(<notAfter date>)', () => {
  const s = pendingAndSigned('shop.contoso.com');
  const c = ghJson<Cert>(s.data, ['request', 'complete', '--file', s.leaf]);
  const date = isoDate(opensslNotAfter(s.leaf));
  assert.equal(c.friendlyName, `shop.contoso.com-Contoso CA-(${date})`);
});

test('request complete: default friendly name uses the issuer O when the issuer has no CN', () => {
  // an intermediate whose subject has only O
  const dir = tmpDir('gh-oca-');
  const key = join(dir, 'oca.key');
  const csr = join(dir, 'oca.csr');
  const cert = join(dir, 'oca.pem');
  openssl(['req', '-config', pki.cnf, '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-out', csr, '-subj', '/O=Fabrikam Trust/C=US']);
  openssl(['x509', '-req', '-in', csr, '-CA', pki.rootCert, '-CAkey', pki.rootKey, '-set_serial', '0x99', '-days', '100',
    '-extfile', pki.cnf, '-extensions', 'v3_int', '-out', cert]);
  const data = dataDir();
  const rcsr = join(dir, 'r.csr');
  ghJson(data, ['request', 'new', '--cn', 'o.contoso.com', '--key', 'ecdsa-p256', '--out', rcsr]);
  const leaf = join(dir, 'leaf.pem');
  openssl(['x509', '-req', '-in', rcsr, '-CA', cert, '-CAkey', key, '-set_serial', '0x1234', '-days', '90',
    '-extfile', pki.cnf, '-extensions', 'v3_leaf', '-copy_extensions', 'copy', '-out', leaf]);
  const c = ghJson<Cert>(data, ['request', 'complete', '--file', leaf]);
  assert.equal(c.issuedBy, 'Fabrikam Trust');
  assert.equal(c.friendlyName, `o.contoso.com-Fabrikam Trust-(${isoDate(opensslNotAfter(leaf))})`);
});

test('request complete --friendly-name and --store personal', () => {
  const s = pendingAndSigned('intranet.contoso.com');
  const c = ghJson<Cert>(s.data, [
    'request', 'complete', '--file', s.leaf, '--friendly-name', 'Intranet 2027', '--store', 'personal',
  ]);
  assert.equal(c.friendlyName, 'Intranet 2027');
  assert.equal(c.store, 'personal');
  const personal = ghJson<Cert[]>(s.data, ['cert', 'list', '--store', 'personal']);
  assert.deepEqual(personal.map((x) => x.thumbprint), [s.thumb]);
  assert.deepEqual(ghJson<Cert[]>(s.data, ['cert', 'list', '--store', 'webhosting']), []);
  // an exact friendly name is a REF
  assert.equal(ghJson<Cert>(s.data, ['cert', 'show', 'Intranet 2027']).thumbprint, s.thumb);
});

test('request complete picks the matching request among several pending ones', () => {
  const data = dataDir();
  const dir = tmpDir();
  const ids: number[] = [];
  const csrs: string[] = [];
  for (const cn of ['one.contoso.com', 'two.contoso.com', 'three.contoso.com']) {
    const csr = join(dir, `${cn}.csr`);
    ids.push(ghJson<{ id: number }>(data, ['request', 'new', '--cn', cn, '--key', 'ecdsa-p256', '--out', csr]).id);
    csrs.push(csr);
  }
  const leaf = pki.sign(csrs[1]!);
  const c = ghJson<Cert>(data, ['request', 'complete', '--file', leaf]);
  assert.equal(c.requestId, ids[1]);
  assert.equal(c.issuedTo, 'two.contoso.com');
  const left = ghJson<{ id: number }[]>(data, ['request', 'list']).map((r) => r.id);
  assert.deepEqual(sorted(left.map(String)), sorted([ids[0]!, ids[2]!].map(String)));
});

test('request complete works for an RSA request and an exportable request', () => {
  const data = dataDir();
  const dir = tmpDir();
  const csr = join(dir, 'rsa.csr');
  ghJson(data, ['request', 'new', '--cn', 'rsa.contoso.com', '--key', 'rsa-2048', '--exportable', '--out', csr]);
  const leaf = pki.sign(csr);
  const c = ghJson<Cert>(data, ['request', 'complete', '--file', leaf]);
  assert.equal(c.keyType, 'rsa-2048');
  assert.equal(c.exportable, true);
  assert.equal(c.thumbprint, opensslThumbprint(leaf));
});

test('cert show / rename / remove by thumbprint (any case), 8+ digit prefix and friendly name', () => {
  const s = pendingAndSigned('ref.contoso.com');
  ghJson<Cert>(s.data, ['request', 'complete', '--file', s.leaf, '--friendly-name', 'Ref Site']);
  assert.equal(ghJson<Cert>(s.data, ['cert', 'show', s.thumb.toLowerCase()]).thumbprint, s.thumb);
  assert.equal(ghJson<Cert>(s.data, ['cert', 'show', s.thumb.slice(0, 8)]).thumbprint, s.thumb);
  assert.equal(ghJson<Cert>(s.data, ['cert', 'show', s.thumb.slice(0, 12).toLowerCase()]).thumbprint, s.thumb);
  assert.equal(ghJson<Cert>(s.data, ['cert', 'show', 'Ref Site']).thumbprint, s.thumb);
  // a 7-digit prefix is not a REF
  ghFail(s.data, ['cert', 'show', s.thumb.slice(0, 7)], 'GH_CERT_NOT_FOUND');

  const renamed = gh(s.data, ['cert', 'rename', s.thumb.slice(0, 10), '--friendly-name', 'Ref Site 2']);
  assert.equal(renamed.code, 0, renamed.stderr);
  assert.equal(ghJson<Cert>(s.data, ['cert', 'show', s.thumb]).friendlyName, 'Ref Site 2');
  ghFail(s.data, ['cert', 'show', 'Ref Site'], 'GH_CERT_NOT_FOUND');

  const removed = ghJson<{ thumbprint: string; removed: boolean }>(s.data, ['cert', 'remove', 'Ref Site 2']);
  assert.equal(removed.thumbprint, s.thumb);
  assert.equal(removed.removed, true);
  assert.deepEqual(ghJson(s.data, ['cert', 'list']), []);
  ghFail(s.data, ['cert', 'show', s.thumb], 'GH_CERT_NOT_FOUND');
});

test('cert list --expiring DAYS lists certificates that expire within DAYS (expired included)', () => {
  const data = dataDir();
  const dir = tmpDir();
  ghJson(data, ['cert', 'import', '--store', 'root', '--file', pki.rootCert]);
  const mk = (cn: string, days: number) => {
    const csr = join(dir, `${cn}.csr`);
    ghJson(data, ['request', 'new', '--cn', cn, '--key', 'ecdsa-p256', '--out', csr]);
    const leaf = pki.sign(csr, { days });
    const bundle = writeText(join(dir, `${cn}.bundle.pem`), readText(leaf) + pki.chainPem());
    ghJson(data, ['request', 'complete', '--file', bundle]);
    return opensslThumbprint(leaf);
  };
  const soon = mk('soon.contoso.com', 10);
  const later = mk('later.contoso.com', 200);
  const all = ghJson<Cert[]>(data, ['cert', 'list']);
  assert.deepEqual(sorted(all.map((c) => c.thumbprint)), sorted([soon, later]));
  const exp30 = ghJson<Cert[]>(data, ['cert', 'list', '--expiring', '30']);
  assert.deepEqual(exp30.map((c) => c.thumbprint), [soon]);
  const exp365 = ghJson<Cert[]>(data, ['cert', 'list', '--expiring', '365']);
  assert.deepEqual(sorted(exp365.map((c) => c.thumbprint)), sorted([soon, later]));
  assert.deepEqual(ghJson<Cert[]>(data, ['cert', 'list', '--expiring', '5']), []);
  // full chains up to a trusted root were given: 10 days left is 'expiring', 200 days left is 'valid'
  assert.equal(all.find((c) => c.thumbprint === soon)!.status, 'expiring');
  assert.equal(all.find((c) => c.thumbprint === later)!.status, 'valid');
});

test('human-readable cert list shows friendly name and thumbprint', () => {
  const s = pendingAndSigned('human.contoso.com');
  ghJson(s.data, ['request', 'complete', '--file', s.leaf, '--friendly-name', 'Human Site']);
  const r = gh(s.data, ['cert', 'list']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes('Human Site'), r.stdout);
  assert.ok(r.stdout.includes(s.thumb), r.stdout);
});
