// Chains and trust (issue #9, parts 4–6): an enterprise CA made by openssl (root + intermediate),
// the Trusted Root Certification Authorities store, `cert chain` for a certificate completed from a
// leaf-only .cer, what `gatehouse serve` sends (openssl s_client -showcerts: never the root), PFX
// files without a password in both encodings, friendly names kept on pending requests, request ids
// never reused, and a CA certificate given to `request complete`. Every refusal leaves the store as it was.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import forge from 'node-forge';
import {
  dataDir, eventually, freePorts, gh, ghFail, ghJson, join, openssl, opensslThumbprint, readText, startServe, storeSnapshot,
  tmpDir, writeText, TestPki, type ServeProcess,
} from '../support/cli.js';
import { AdminServer, addUser, createToken } from '../support/admin.js';

interface Cert {
  thumbprint: string; friendlyName: string; store: string; status: string; chainComplete: boolean; hasPrivateKey: boolean;
  chainMissing: { kind: string; name: string } | null; chain: Array<{ thumbprint: string; subject: string }>; warnings?: string[];
}

let pki: TestPki;
let rootThumb: string;
let intThumb: string;

before(() => {
  pki = TestPki.create({ rootCn: 'Contoso Enterprise Root', intCn: 'Contoso Issuing CA' });
  rootThumb = opensslThumbprint(pki.rootCert);
  intThumb = opensslThumbprint(pki.intCert);
});

/** A store with one pending request for `cn`, signed by the enterprise intermediate. */
function signedRequest(cn = 'www.contoso.com', extra: string[] = [], data = dataDir()) {
  const dir = tmpDir('gh-chains-');
  const csr = join(dir, 'req.csr');
  const req = ghJson<{ id: number }>(data, ['request', 'new', '--cn', cn, '--key', 'ecdsa-p256', ...extra, '--out', csr]);
  const leaf = pki.sign(csr, { out: join(dir, 'leaf.pem') });
  return { data, dir, id: req.id, leaf, thumb: opensslThumbprint(leaf) };
}

/** The certificates a TLS server sends, by thumbprint, in order (openssl s_client -showcerts). */
function servedThumbprints(port: number, servername: string): string[] {
  const out = openssl(['s_client', '-connect', `127.0.0.1:${port}`, '-servername', servername, '-showcerts'], { input: '' });
  return [...out.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map((m) => {
    const der = Buffer.from(m[0].replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
    return createHash('sha1').update(der).digest('hex').toUpperCase();
  });
}

/** Asserts what keeps the chain from a trusted root: its kind, and the CN in the certificate's name. */
function assertMissing(c: Cert, kind: 'issuer' | 'untrusted-root', cn: string): void {
  assert.equal(c.status, 'chain-incomplete');
  assert.equal(c.chainMissing?.kind, kind, JSON.stringify(c.chainMissing));
  assert.match(c.chainMissing.name, new RegExp(`CN=${cn}(,|$)`));
}

function bundle(dir: string, name: string, ...files: string[]): string {
  return writeText(join(dir, name), files.map(readText).join(''));
}

test('enterprise CA: leaf + intermediate completes "chain incomplete" naming the missing root, and "valid" once the root is in the Trusted Root store', () => {
  const s = signedRequest();
  const c = ghJson<Cert>(s.data, ['request', 'complete', '--file', bundle(s.dir, 'b.pem', s.leaf, pki.intCert)]);
  assertMissing(c, 'issuer', 'Contoso Enterprise Root');
  const text = gh(s.data, ['cert', 'show', c.thumbprint]).stdout;
  assert.match(text, /the certificate of "[^"]*CN=Contoso Enterprise Root[^"]*", which issued "[^"]*CN=Contoso Issuing CA[^"]*", is missing/);
  assert.match(text, /gatehouse cert import --store root/, 'the advice names a command that works');

  const root = ghJson<Cert>(s.data, ['cert', 'import', '--store', 'root', '--file', pki.rootCert]);
  assert.equal(root.store, 'root');
  assert.equal(root.thumbprint, rootThumb);
  assert.equal(root.hasPrivateKey, false);
  assert.deepEqual(ghJson<Cert[]>(s.data, ['cert', 'list', '--store', 'root']).map((x) => x.thumbprint), [rootThumb]);
  assert.deepEqual(ghJson<Cert[]>(s.data, ['cert', 'list']).map((x) => x.thumbprint), [s.thumb], 'the root store is not among the server certificates');

  const after = ghJson<Cert>(s.data, ['cert', 'show', s.thumb]);
  assert.equal(after.status, 'valid');
  assert.equal(after.chainMissing, null);
  assert.deepEqual(after.chain.map((x) => x.thumbprint), [intThumb, rootThumb], 'the chain ends at the trusted root');

  // Removing the root makes it untrusted again at once: judged when read.
  ghJson(s.data, ['cert', 'remove', rootThumb]);
  assertMissing(ghJson<Cert>(s.data, ['cert', 'show', s.thumb]), 'untrusted-root', 'Contoso Enterprise Root');
});

test('a .p7b carrying the root: "chain incomplete" (root not trusted here) until the root is trusted; the root store first makes completion "valid"', () => {
  const s = signedRequest();
  const p7b = join(s.dir, 'chain.p7b');
  openssl(['crl2pkcs7', '-nocrl', '-certfile', bundle(s.dir, 'all.pem', s.leaf, pki.intCert, pki.rootCert), '-out', p7b]);
  const c = ghJson<Cert>(s.data, ['request', 'complete', '--file', p7b]);
  assertMissing(c, 'untrusted-root', 'Contoso Enterprise Root');
  const r = gh(s.data, ['request', 'complete', '--file', p7b]);
  assert.match(r.stderr, /GH_CERT_ALREADY_INSTALLED/);
  assert.match(r.stderr, /gatehouse cert chain/, 'completing again points at the command that adds a chain');
  ghJson(s.data, ['cert', 'import', '--store', 'root', '--file', pki.rootCert]);
  assert.equal(ghJson<Cert>(s.data, ['cert', 'show', s.thumb]).status, 'valid');

  const t = signedRequest('shop.contoso.com', [], s.data);
  assert.equal(ghJson<Cert>(s.data, ['request', 'complete', '--file', bundle(t.dir, 'b.pem', pki.intCert, t.leaf)]).status, 'valid');
});

test('serve sends the leaf and the intermediate, never the root; a leaf-only completion mended by cert chain is served with its intermediate', async (t) => {
  const [port] = (await freePorts(1)) as [number];
  const data = dataDir();
  const root = tmpDir('gh-site-');
  writeText(join(root, 'index.html'), 'hello\n');
  ghJson(data, ['cert', 'import', '--store', 'root', '--file', pki.rootCert]);
  ghJson(data, ['site', 'add', 'contoso', '--root', root]);

  const full = signedRequest('www.contoso.com', [], data);
  const p7b = join(full.dir, 'chain.p7b');
  openssl(['crl2pkcs7', '-nocrl', '-certfile', bundle(full.dir, 'all.pem', pki.rootCert, full.leaf, pki.intCert), '-out', p7b]);
  assert.equal(ghJson<Cert>(data, ['request', 'complete', '--file', p7b]).status, 'valid');

  const bare = signedRequest('shop.contoso.com', [], data);
  const leafOnly = ghJson<Cert>(data, ['request', 'complete', '--file', bare.leaf]);
  assertMissing(leafOnly, 'issuer', 'Contoso Issuing CA');
  assert.match(gh(data, ['cert', 'show', bare.thumb]).stdout, new RegExp(`gatehouse cert chain ${bare.thumb.slice(0, 12)} --file`));

  ghJson(data, ['binding', 'add', 'contoso', '--protocol', 'https', '--port', String(port), '--host', 'www.contoso.com', '--sni', '--cert', full.thumb]);
  ghJson(data, ['binding', 'add', 'contoso', '--protocol', 'https', '--port', String(port), '--host', 'shop.contoso.com', '--sni', '--cert', bare.thumb]);
  const server: ServeProcess = await startServe(data, [`https *:${port}`]);
  t.after(() => server.stop());

  assert.deepEqual(servedThumbprints(port, 'www.contoso.com'), [full.thumb, intThumb], 'leaf + intermediate, no root');
  assert.deepEqual(servedThumbprints(port, 'shop.contoso.com'), [bare.thumb], 'before cert chain: the leaf alone');

  // The bundle may hold the leaf itself, the root, in any order.
  const mended = ghJson<Cert>(data, ['cert', 'chain', bare.thumb.slice(0, 12), '--file', bundle(bare.dir, 'ca.pem', pki.rootCert, bare.leaf, pki.intCert)]);
  assert.equal(mended.status, 'valid');
  assert.deepEqual(mended.chain.map((x) => x.thumbprint), [intThumb, rootThumb]);
  const audit = ghJson<Array<{ action: string; target: string }>>(data, ['audit']);
  assert.ok(audit.some((a) => a.action === 'cert.chain' && a.target === bare.thumb), 'cert chain is audited');
  await eventually('the running server sends the new chain', () => servedThumbprints(port, 'shop.contoso.com').join() === [bare.thumb, intThumb].join());
  assert.deepEqual(servedThumbprints(port, 'www.contoso.com'), [full.thumb, intThumb]);
});

test('cert chain refuses a bundle with nothing that issued the certificate, and changes nothing', () => {
  const s = signedRequest();
  ghJson(s.data, ['request', 'complete', '--file', s.leaf]);
  const other = TestPki.create({ rootCn: 'Fabrikam Root', intCn: 'Fabrikam CA' });
  const before = storeSnapshot(s.data);
  const r = ghFail(s.data, ['cert', 'chain', s.thumb, '--file', bundle(s.dir, 'other.pem', other.intCert, other.rootCert)], 'GH_CHAIN_UNRELATED');
  assert.match(r.stderr, /Nothing in other\.pem issued/);
  assert.match(r.stderr, /CN=Fabrikam CA/);
  ghFail(s.data, ['cert', 'chain', s.thumb, '--file', s.leaf], 'GH_CHAIN_UNRELATED');
  ghFail(s.data, ['cert', 'chain', 'nosuchcert', '--file', pki.intCert], 'GH_CERT_NOT_FOUND');
  assert.deepEqual(storeSnapshot(s.data), before);
});

test('the root store takes a self-signed CA certificate without key only; refusals change nothing', () => {
  const data = dataDir();
  const dir = tmpDir('gh-root-');
  const before = storeSnapshot(data);
  const r = ghFail(data, ['cert', 'import', '--store', 'root', '--file', pki.intCert], 'GH_CERT_NOT_ROOT');
  assert.match(r.stderr, /an intermediate CA issued by/);
  assert.match(r.stderr, /gatehouse cert chain/);
  const leaf = pki.leaf('a.contoso.com');
  ghFail(data, ['cert', 'import', '--store', 'root', '--file', leaf.cert], 'GH_CERT_NOT_ROOT');
  ghFail(data, ['cert', 'import', '--store', 'root', '--file', pki.rootCert, '--key-file', pki.rootKey], 'GH_STORE_INVALID');
  ghFail(data, ['cert', 'import', '--file', leaf.cert, '--key-file', leaf.key, '--store', 'root'], 'GH_STORE_INVALID');
  ghFail(data, ['cert', 'self-signed', '--cn', 'x.test', '--store', 'root'], 'GH_STORE_INVALID');
  assert.deepEqual(storeSnapshot(data), before);
  // A .p7b with the intermediate and the root: the root is what goes in.
  const p7b = join(dir, 'ca.p7b');
  openssl(['crl2pkcs7', '-nocrl', '-certfile', bundle(dir, 'ca.pem', pki.intCert, pki.rootCert), '-out', p7b]);
  assert.equal(ghJson<Cert>(data, ['cert', 'import', '--store', 'root', '--file', p7b]).thumbprint, rootThumb);
  ghFail(data, ['cert', 'import', '--store', 'root', '--file', pki.rootCert], 'GH_CERT_ALREADY_INSTALLED');
});

test('request complete with a CA certificate names it as such, and changes nothing', () => {
  const s = signedRequest();
  const before = storeSnapshot(s.data);
  for (const file of [pki.rootCert, pki.intCert, bundle(s.dir, 'cas.pem', pki.intCert, pki.rootCert)]) {
    const r = ghFail(s.data, ['request', 'complete', '--file', file], 'GH_CERT_IS_CA');
    assert.match(r.stderr, /CA certificate/);
    assert.match(r.stderr, /not the answer to a request/);
    assert.match(r.stderr, /gatehouse cert import --store root/);
    assert.match(r.stderr, /gatehouse cert chain/);
    assert.doesNotMatch(r.stderr, /another server/);
  }
  assert.deepEqual(storeSnapshot(s.data), before);
});

/** A PFX whose MAC key comes from an absent password (zero bytes), as node-forge writes with null. */
function forgeNullPasswordPfx(dir: string): string {
  const key = join(dir, 'rsa.key');
  const cert = join(dir, 'rsa.pem');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=nopass-forge.test', '-days', '90']);
  const asn1 = forge.pkcs12.toPkcs12Asn1(forge.pki.privateKeyFromPem(readText(key)), [forge.pki.certificateFromPem(readText(cert))], null as unknown as string);
  const out = join(dir, 'forge-null.pfx');
  writeFileSync(out, Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'));
  return out;
}

test('a PFX with no password imports with no --password-file or an empty one, in both encodings', () => {
  const dir = tmpDir('gh-nopass-');
  const key = join(dir, 'ec.key');
  const cert = join(dir, 'ec.pem');
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=nopass.test', '-days', '90']);
  const empty = join(dir, 'empty.pfx');
  openssl(['pkcs12', '-export', '-in', cert, '-inkey', key, '-passout', 'pass:', '-out', empty]);
  const none = join(dir, 'none.pfx');
  openssl(['pkcs12', '-export', '-in', cert, '-inkey', key, '-keypbe', 'NONE', '-certpbe', 'NONE', '-passout', 'pass:', '-out', none]);
  const nullPfx = forgeNullPasswordPfx(dir);
  const emptyFile = writeText(join(dir, 'empty.txt'), '');
  for (const pfx of [empty, none, nullPfx]) {
    for (const pw of [[], ['--password-file', emptyFile]]) {
      const data = dataDir();
      const c = ghJson<Cert>(data, ['cert', 'import', '--file', pfx, ...pw]);
      assert.equal(c.hasPrivateKey, true, `${pfx} ${pw.join(' ')}`);
    }
  }
  // A PFX that has a password still wants it, and says so.
  const locked = join(dir, 'locked.pfx');
  openssl(['pkcs12', '-export', '-in', cert, '-inkey', key, '-passout', 'pass:s3cret', '-out', locked]);
  const data = dataDir();
  const r = ghFail(data, ['cert', 'import', '--file', locked], 'GH_PFX_BAD_PASSWORD');
  assert.match(r.stderr, /none was given/);
});

test('request new --friendly-name: kept on the pending request, listed, and used at completion unless completion gives another', () => {
  const s = signedRequest('www.contoso.com', ['--friendly-name', 'Contoso Web 2026']);
  const listed = ghJson<Array<{ id: number; friendlyName: string | null }>>(s.data, ['request', 'list']);
  assert.deepEqual(listed.map((r) => r.friendlyName), ['Contoso Web 2026']);
  assert.match(gh(s.data, ['request', 'list']).stdout, /Contoso Web 2026/);
  assert.match(gh(s.data, ['request', 'show', String(s.id)]).stdout, /Friendly name:\s+Contoso Web 2026/);
  assert.equal(ghJson<Cert>(s.data, ['request', 'complete', '--file', s.leaf]).friendlyName, 'Contoso Web 2026');

  const o = signedRequest('shop.contoso.com', ['--friendly-name', 'Shop'], s.data);
  assert.equal(ghJson<Cert>(s.data, ['request', 'complete', '--file', o.leaf, '--friendly-name', 'Shop (renamed)']).friendlyName, 'Shop (renamed)');
  const before = storeSnapshot(s.data);
  ghFail(s.data, ['request', 'new', '--cn', 'x.contoso.com', '--friendly-name', 'bad\u0007name'], 'GH_FRIENDLY_NAME_INVALID');
  assert.deepEqual(storeSnapshot(s.data), before);
});

test('request ids are never reused after cancel or completion', () => {
  const data = dataDir();
  const ids: number[] = [];
  const a = signedRequest('a.contoso.com', [], data);
  ids.push(a.id);
  ghJson(data, ['request', 'complete', '--file', a.leaf]);
  const b = ghJson<{ id: number }>(data, ['request', 'new', '--cn', 'b.contoso.com']);
  ids.push(b.id);
  ghJson(data, ['request', 'cancel', String(b.id)]);
  const c = ghJson<{ id: number }>(data, ['request', 'new', '--cn', 'c.contoso.com']);
  ids.push(c.id);
  assert.equal(new Set(ids).size, 3, `ids ${ids.join(', ')}`);
  assert.ok(ids[0]! < ids[1]! && ids[1]! < ids[2]!);
  const targets = ghJson<Array<{ action: string; target: string }>>(data, ['audit']).filter((x) => x.action === 'request.new').map((x) => x.target);
  assert.equal(new Set(targets).size, targets.length, `the audit log names each request once: ${targets.join(', ')}`);
});

test('export of a non-exportable key names what can be done', () => {
  const s = signedRequest();
  const c = ghJson<Cert>(s.data, ['request', 'complete', '--file', s.leaf]);
  const pw = writeText(join(s.dir, 'pw.txt'), 'pässword-1\n');
  const r = ghFail(s.data, ['cert', 'export', c.thumbprint, '--out', join(s.dir, 'x.pfx'), '--password-file', pw], 'GH_KEY_NOT_EXPORTABLE');
  assert.match(r.stderr, /request new --exportable/);
  assert.match(r.stderr, /can still be bound/);
});

test('admin API: friendlyName on POST /requests, POST /certificates/{ref}/chain, the root store, a PFX without a password', async (t) => {
  const data = dataDir();
  addUser(data, 'olivia', 'organization-management');
  const token = createToken(data, 'olivia');
  const admin = await AdminServer.start(data);
  t.after(() => admin.stop());
  const api = async (method: string, path: string, body?: unknown) => admin.call(method, `/api/v1${path}`, body === undefined ? { token } : { token, body });
  const b64 = (file: string) => readFileSync(file).toString('base64');

  const req = await api('POST', '/requests', { cn: 'api.contoso.com', key: 'ecdsa-p256', friendlyName: 'API 2026' });
  assert.equal(req.status, 201, req.text);
  assert.equal(req.json.friendlyName, 'API 2026');
  assert.deepEqual(((await api('GET', '/requests')).json as Array<{ friendlyName: string }>).map((r) => r.friendlyName), ['API 2026']);
  const dir = tmpDir('gh-api-chain-');
  const csr = writeText(join(dir, 'r.csr'), req.json.csr);
  const leaf = pki.sign(csr, { out: join(dir, 'leaf.pem') });
  const done = await api('POST', '/requests/complete', { file: b64(leaf) });
  assert.equal(done.status, 201, done.text);
  assert.equal(done.json.friendlyName, 'API 2026');
  assert.equal(done.json.status, 'chain-incomplete');

  const unrelated = await api('POST', `/certificates/${done.json.thumbprint}/chain`, { file: b64(leaf) });
  assert.equal(unrelated.status, 400);
  assert.equal(unrelated.json.code, 'GH_CHAIN_UNRELATED');
  const rootIn = await api('POST', '/certificates/import', { file: b64(pki.rootCert), store: 'root' });
  assert.equal(rootIn.status, 201, rootIn.text);
  const chained = await api('POST', `/certificates/${done.json.thumbprint}/chain`, { file: b64(pki.intCert), fileName: 'int.cer' });
  assert.equal(chained.status, 200, chained.text);
  assert.equal(chained.json.status, 'valid');
  assert.deepEqual(((await api('GET', '/certificates?store=root')).json as Cert[]).map((c) => c.thumbprint), [rootThumb]);

  const key = join(dir, 'k.pem');
  const cert = join(dir, 'c.pem');
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=api-nopass.test', '-days', '90']);
  const pfx = join(dir, 'n.pfx');
  openssl(['pkcs12', '-export', '-in', cert, '-inkey', key, '-passout', 'pass:', '-out', pfx]);
  const imported = await api('POST', '/certificates/import', { file: b64(pfx), fileName: 'n.pfx' });
  assert.equal(imported.status, 201, imported.text);
  const nullPfx = await api('POST', '/certificates/import', { file: b64(forgeNullPasswordPfx(dir)), fileName: 'forge.pfx', password: '' });
  assert.equal(nullPfx.status, 201, nullPfx.text);
});
