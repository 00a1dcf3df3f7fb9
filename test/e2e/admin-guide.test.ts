// End-to-end: the two guides Gatehouse is built from, through the admin API alone (a bearer token,
// as an automation client would), with an openssl CA as the third-party CA, until curl gets the
// page over TLS with the new certificate. Then the Exchange path with the internal CA, a PFX export
// and its import on another server — and the audit log: every change with its user, the origin (api
// for tokens, console for sessions) and the client's address.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  assertCsrVerifies, certPubkey, curl, dataDir, freePorts, ghJson, join, keyPubkey, openssl, opensslSans, opensslThumbprint, pemBlocks, readText,
  sClient, sorted, subjectFields, tmpDir, writeText, TestPki,
} from '../support/cli.js';
import { AdminServer, addUser, createToken, type ApiResponse } from '../support/admin.js';

interface Cert { thumbprint: string; friendlyName: string; store: string; issuedTo: string; issuedBy: string; sans: string[]; hasPrivateKey: boolean; exportable: boolean; chainComplete: boolean; requestId?: number; chain: Array<{ thumbprint: string }> }
interface Audit { id: number; at: string; actor: string; origin: string; source: string; action: string; target: string; before: unknown; after: unknown }

let pki: TestPki;
before(() => {
  pki = TestPki.create({ intCn: 'Contoso CA' });
}, { timeout: 120_000 });

/** The API as one user with a token sees it. */
function client(admin: AdminServer, token: string) {
  return async (method: string, path: string, body?: unknown, expect?: number): Promise<ApiResponse> => {
    const r = await admin.call(method, `/api/v1${path}`, body === undefined ? { token } : { token, body });
    if (expect !== undefined) assert.equal(r.status, expect, `${method} ${path}: ${r.status} ${r.text.slice(0, 1000)}`);
    return r;
  };
}

function b64(file: string): string {
  return readFileSync(file).toString('base64');
}

/** The audit entries made through the admin endpoint (not the set-up with the CLI, not serve's own certificate). */
function apiEntries(audit: Audit[]): Audit[] {
  return audit.filter((a) => a.origin === 'api' || a.origin === 'console');
}

test('IIS guide through the API: request → CSR → CA → complete → site → SNI binding → served over TLS; PFX export and import elsewhere', { timeout: 180_000 }, async (t) => {
  const data = dataDir();
  const dir = tmpDir('gh-api-iis-');
  addUser(data, 'alice', 'organization-management');
  const token = createToken(data, 'alice');
  const admin = await AdminServer.start(data);
  t.after(() => admin.stop());
  const api = client(admin, token);

  // 1. Create Certificate Request.
  const req = (await api('POST', '/requests', {
    cn: 'www.contoso.com', org: 'Contoso', ou: 'IT', city: 'Redmond', state: 'Washington', country: 'US', key: 'rsa-2048', exportable: true,
  }, 201)).json as { id: number; cn: string; sans: string[] };
  assert.equal(req.cn, 'www.contoso.com');
  assert.deepEqual(req.sans, ['www.contoso.com']);
  const listed = (await api('GET', '/requests', undefined, 200)).json as Array<{ id: number }>;
  assert.deepEqual(listed.map((r) => r.id), [req.id]);

  // 2. The CSR to send to the CA.
  const csrAnswer = await api('GET', `/requests/${req.id}/csr`, undefined, 200);
  assert.match(String(csrAnswer.headers['content-type']), /^application\/pkcs10/);
  assert.match(String(csrAnswer.headers['content-disposition']), new RegExp(`attachment; filename="request-${req.id}\\.csr"`));
  const csr = writeText(join(dir, 'www.contoso.com.csr'), csrAnswer.text);
  assertCsrVerifies(csr);
  assert.deepEqual(subjectFields(csr, 'req'), { CN: 'www.contoso.com', O: 'Contoso', OU: 'IT', L: 'Redmond', ST: 'Washington', C: 'US' });

  // 3. The CA signs; it answers with the certificate and its intermediate (a bundle, intermediate first).
  const leaf = pki.sign(csr, { days: 365 });
  const bundle = writeText(join(dir, 'www_contoso_com.crt'), readText(pki.intCert) + readText(leaf));
  const thumbprint = opensslThumbprint(leaf);

  // 4. Complete Certificate Request: the file, a friendly name, the Web Hosting store.
  const cert = (await api('POST', '/requests/complete', { file: b64(bundle), fileName: 'www_contoso_com.crt', friendlyName: 'www.contoso.com (API)', store: 'webhosting' }, 201)).json as Cert;
  assert.equal(cert.thumbprint, thumbprint);
  assert.equal(cert.friendlyName, 'www.contoso.com (API)');
  assert.equal(cert.store, 'webhosting');
  assert.equal(cert.issuedBy, 'Contoso CA');
  assert.equal(cert.hasPrivateKey, true);
  assert.deepEqual(cert.chain.map((c) => c.thumbprint), [opensslThumbprint(pki.intCert)], 'the chain is the intermediate the CA sent');
  assert.deepEqual((await api('GET', '/requests', undefined, 200)).json, []);
  const shown = (await api('GET', `/certificates/${thumbprint.slice(0, 10).toLowerCase()}`, undefined, 200)).json as Cert;
  assert.equal(shown.thumbprint, thumbprint);

  // 5. A site with a folder of static files.
  const root = tmpDir('gh-api-www-');
  writeText(join(root, 'index.html'), '<h1>Contoso through the admin API</h1>\n');
  const site = (await api('POST', '/sites', { name: 'Contoso Web', root }, 201)).json as { name: string; state: string };
  assert.equal(site.state, 'started');

  // 6. Site Bindings → Add: https, All Unassigned, a free port, the host name, Require SNI, the certificate.
  const [port] = await freePorts(1);
  const added = (await api('POST', '/sites/Contoso%20Web/bindings', { protocol: 'https', ip: '*', port, host: 'www.contoso.com', sni: true, cert: thumbprint }, 201)).json as {
    binding: { site: string; certificate: string; sni: boolean; host: string; port: number };
  };
  assert.deepEqual({ ...added.binding }, { site: 'Contoso Web', protocol: 'https', ip: '*', port, host: 'www.contoso.com', sni: true, certificate: thumbprint });

  // 7. serve applies it without a restart; a client gets the page and the new certificate.
  await admin.serve.settle();
  const page = curl(['--cacert', pki.rootCert, '--resolve', `www.contoso.com:${port}:127.0.0.1`, `https://www.contoso.com:${port}/`]);
  assert.equal(page.code, 0, page.stderr);
  assert.equal(page.status, 200, page.body);
  assert.equal(page.body, '<h1>Contoso through the admin API</h1>\n');
  const hello = sClient(port!, 'www.contoso.com', ['-CAfile', pki.rootCert]);
  assert.equal(hello.thumbprint, thumbprint);
  assert.match(hello.out, /Verify return code: 0 \(ok\)/, 'the chain is served: a client trusting only the root verifies it');
  const explained = (await api('GET', `/bindings/explain?port=${port}&sni=www.contoso.com&host=www.contoso.com`, undefined, 200)).json;
  assert.ok(JSON.stringify(explained).includes(thumbprint), JSON.stringify(explained));

  // 8. Export with the private key as a PFX; openssl opens it with the password.
  const pfxAnswer = await api('POST', `/certificates/${thumbprint}/export`, { password: 'Export-Pa55-w0rd' }, 200);
  assert.match(String(pfxAnswer.headers['content-type']), /^application\/x-pkcs12/);
  assert.match(String(pfxAnswer.headers['content-disposition']), new RegExp(`filename="${thumbprint}\\.pfx"`));
  const pfx = join(dir, 'www.contoso.com.pfx');
  writeText(pfx, pfxAnswer.body);
  const dump = openssl(['pkcs12', '-in', pfx, '-passin', 'pass:Export-Pa55-w0rd', '-nodes']);
  const blocks = pemBlocks(dump);
  const key = writeText(join(dir, 'k.pem'), blocks.find((b) => /PRIVATE KEY/.test(b.label))!.pem);
  assert.equal(keyPubkey(key), certPubkey(leaf));
  const certsInPfx = blocks.filter((b) => b.label === 'CERTIFICATE').map((b) => opensslThumbprint(writeText(join(dir, `c${Math.random()}.pem`), b.pem)));
  assert.ok(certsInPfx.includes(thumbprint) && certsInPfx.includes(opensslThumbprint(pki.intCert)), 'the PFX holds the certificate and its chain');
  // The public part alone, as PEM.
  const pem = await api('GET', `/certificates/${thumbprint}/pem`, undefined, 200);
  assert.match(String(pem.headers['content-type']), /^application\/x-pem-file/);
  assert.equal(pemBlocks(pem.text).filter((b) => b.label === 'CERTIFICATE').length, 2);
  assert.doesNotMatch(pem.text, /PRIVATE KEY/);

  // 9. Import it on another server, through that server's API.
  const other = dataDir();
  addUser(other, 'bob', 'organization-management');
  const otherToken = createToken(other, 'bob');
  const second = await AdminServer.start(other);
  t.after(() => second.stop());
  const api2 = client(second, otherToken);
  const imported = (await api2('POST', '/certificates/import', { file: pfxAnswer.body.toString('base64'), fileName: 'www.contoso.com.pfx', password: 'Export-Pa55-w0rd', exportable: false }, 201)).json as Cert;
  assert.equal(imported.thumbprint, thumbprint);
  assert.equal(imported.friendlyName, 'www.contoso.com (API)', 'the friendly name travels in the PFX');
  assert.equal(imported.hasPrivateKey, true);
  assert.equal(imported.exportable, false);
  const wrong = await api2('POST', '/certificates/import', { file: pfxAnswer.body.toString('base64'), fileName: 'again.pfx', password: 'Export-Pa55-w0rd' });
  assert.ok(wrong.status === 409 || wrong.status === 400, `importing it twice is refused: ${wrong.status} ${wrong.text}`);

  // 10. The audit log: each change by alice through the API from 127.0.0.1; the CLI and the API show the same log.
  const audit = (await api('GET', '/audit', undefined, 200)).json as Audit[];
  assert.deepEqual(audit, ghJson<Audit[]>(data, ['audit']), 'GET /audit and "gatehouse audit --json" agree');
  const changes = apiEntries(audit);
  assert.deepEqual(changes.map((a) => a.action), ['request.new', 'request.complete', 'site.add', 'binding.add', 'cert.export']);
  for (const a of changes) {
    assert.equal(a.actor, 'alice', JSON.stringify(a));
    assert.equal(a.origin, 'api', JSON.stringify(a));
    assert.equal(a.source, '127.0.0.1', JSON.stringify(a));
  }
  assert.equal(changes[1]!.target, thumbprint);
  assert.equal(changes[2]!.target, 'Contoso Web');
  // The set-up: the CLI's own entries, and serve making its certificate.
  assert.deepEqual(audit.filter((a) => a.origin === 'cli').map((a) => a.action), ['user.add', 'token.create']);
  assert.deepEqual(audit.filter((a) => a.origin === 'system').map((a) => [a.action, a.actor]), [['cert.self-signed', 'gatehouse serve']]);
  const audit2 = ghJson<Audit[]>(other, ['audit']);
  assert.deepEqual(apiEntries(audit2).map((a) => [a.action, a.actor, a.origin, a.source, a.target]), [['cert.import', 'bob', 'api', '127.0.0.1', thumbprint]]);
  assert.ok(!JSON.stringify([audit, audit2]).includes('Export-Pa55-w0rd'), 'the PFX password is in no audit record');
});

test('Exchange guide through the API with the internal CA and Assign Services; changes made in a console session are audited as console', { timeout: 180_000 }, async (t) => {
  const data = dataDir();
  const dir = tmpDir('gh-api-exch-');
  addUser(data, 'alice', 'organization-management');
  const token = createToken(data, 'alice');
  const admin = await AdminServer.start(data);
  t.after(() => admin.stop());
  const api = client(admin, token);

  // The internal CA.
  const ca = (await api('POST', '/ca', { cn: 'Contoso Internal CA', key: 'ecdsa-p256' }, 201)).json as { subject: string; thumbprint: string };
  assert.match(ca.subject, /Contoso Internal CA/);
  const caPem = writeText(join(dir, 'ca.pem'), (await api('GET', '/ca/certificate', undefined, 200)).text);
  assert.equal(opensslThumbprint(caPem), ca.thumbprint);

  // New Exchange Certificate: wildcard root domain, the services' names, organization and location.
  const req = (await api('POST', '/requests', {
    cn: 'mail.contoso.com', wildcard: 'contoso.com', san: ['owa.contoso.com', 'autodiscover.contoso.com', 'owa.contoso.com'],
    org: 'Contoso', ou: 'Messaging', city: 'Seattle', state: 'WA', country: 'US', key: 'ecdsa-p256',
  }, 201)).json as { id: number; sans: string[] };
  const expected = ['mail.contoso.com', '*.contoso.com', 'contoso.com', 'owa.contoso.com', 'autodiscover.contoso.com'];
  assert.deepEqual(sorted(req.sans), sorted(expected));
  const csr = writeText(join(dir, 'exchange.req'), (await api('GET', `/requests/${req.id}/csr`, undefined, 200)).text);
  assertCsrVerifies(csr);
  assert.deepEqual(sorted(opensslSans(csr, 'req')), sorted(expected.map((s) => `DNS:${s}`)));

  // Submit to the internal CA: signed and completed in one step.
  const cert = (await api('POST', `/requests/${req.id}/submit`, { ca: 'internal', friendlyName: 'Exchange (internal CA)' }, 201)).json as Cert;
  assert.equal(cert.friendlyName, 'Exchange (internal CA)');
  assert.equal(cert.issuedBy, 'Contoso Internal CA');
  assert.deepEqual(sorted(cert.sans), sorted(expected));
  assert.equal(cert.requestId, req.id);
  assert.deepEqual((await api('GET', '/requests', undefined, 200)).json, []);
  const leaf = writeText(join(dir, 'exchange.pem'), pemBlocks((await api('GET', `/certificates/${cert.thumbprint}/pem`, undefined, 200)).text)[0]!.pem);
  assert.match(openssl(['verify', '-CAfile', caPem, leaf]), /: OK/);

  // A CSR made elsewhere, signed by the internal CA.
  const foreign = pki.opensslCsr('smtp.contoso.com');
  const signed = await api('POST', '/ca/sign', { csr: b64(foreign.csr), days: 30 }, 200);
  const signedLeaf = writeText(join(dir, 'smtp.pem'), pemBlocks(signed.text)[0]!.pem);
  assert.match(openssl(['verify', '-CAfile', caPem, signedLeaf]), /: OK/);

  // Assign Services to Certificate: SMTP, IIS (https), IMAP, POP. A second certificate for SMTP asks first.
  const assigned = await api('POST', '/services/assign', { certificate: cert.thumbprint, services: ['smtp', 'https', 'imap', 'pop'] }, 200);
  assert.deepEqual(sorted(assigned.json.services), ['https', 'imap', 'pop', 'smtp']);
  const other = (await api('POST', '/certificates/self-signed', { cn: 'smtp2.contoso.com', key: 'ecdsa-p256', friendlyName: 'SMTP 2' }, 201)).json as Cert;
  const ask = await api('POST', '/services/assign', { certificate: other.thumbprint, services: ['smtp'] });
  assert.equal(ask.status, 409, ask.text);
  assert.equal(ask.json.code, 'GH_SERVICE_OVERWRITE_REQUIRED');
  assert.ok(ask.json.detail.includes(cert.thumbprint), 'the question names the current SMTP certificate');
  await api('POST', '/services/assign', { certificate: other.thumbprint, services: ['smtp'], overwrite: true }, 200);
  const services = JSON.stringify((await api('GET', '/services', undefined, 200)).json);
  assert.ok(services.includes(other.thumbprint) && services.includes(cert.thumbprint), services);

  // The same user in the console: a session, changes with its CSRF token.
  const session = await admin.login('alice');
  const renamed = await admin.call('PATCH', `/api/v1/certificates/${cert.thumbprint}`, { session, body: { friendlyName: 'Exchange 2026' } });
  assert.equal(renamed.status, 200, renamed.text);
  const root = tmpDir('gh-api-owa-');
  writeText(join(root, 'index.html'), 'owa\n');
  const site = await admin.call('POST', '/api/v1/sites', { session, body: { name: 'OWA', root } });
  assert.equal(site.status, 201, site.text);

  const audit = ghJson<Audit[]>(data, ['audit']);
  assert.deepEqual((await api('GET', '/audit', undefined, 200)).json, audit);
  const changes = apiEntries(audit).map((a) => [a.action, a.actor, a.origin, a.source]);
  assert.deepEqual(changes, [
    ['ca.init', 'alice', 'api', '127.0.0.1'],
    ['request.new', 'alice', 'api', '127.0.0.1'],
    ['ca.sign', 'alice', 'api', '127.0.0.1'],
    ['request.complete', 'alice', 'api', '127.0.0.1'],
    ['ca.sign', 'alice', 'api', '127.0.0.1'],
    ['service.assign', 'alice', 'api', '127.0.0.1'],
    ['cert.self-signed', 'alice', 'api', '127.0.0.1'],
    ['service.assign', 'alice', 'api', '127.0.0.1'],
    ['cert.rename', 'alice', 'console', '127.0.0.1'],
    ['site.add', 'alice', 'console', '127.0.0.1'],
  ]);
  const rename = audit.find((a) => a.action === 'cert.rename')!;
  assert.deepEqual([rename.before, rename.after], [{ friendlyName: 'Exchange (internal CA)' }, { friendlyName: 'Exchange 2026' }]);
  // --last and ?last= agree too.
  assert.deepEqual((await api('GET', '/audit?last=2', undefined, 200)).json, ghJson<Audit[]>(data, ['audit', '--last', '2']));
  const since = audit.at(-2)!.at;
  assert.deepEqual((await api('GET', `/audit?since=${encodeURIComponent(since)}`, undefined, 200)).json, ghJson<Audit[]>(data, ['audit', '--since', since]));
});
