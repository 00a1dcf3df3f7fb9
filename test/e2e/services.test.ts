// Exchange's "Assign Services to Certificate" end to end: the guide with the CLI (request with a
// wildcard and per-service names, the CA's answer, assign SMTP and IIS, "Overwrite the existing
// default SMTP certificate?"), the https assignment as the server's default web certificate, the
// warnings that do not stop an assignment and the refusals that do, a certificate in use that
// cannot be removed without --force, and the same overwrite question through the admin API.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { withStoreDb } from '../support/postgres.js';
import {
  assertCleanError, curl, dataDir, describeRun, eventually, freePorts, gh, ghFail, ghJson, join, openssl, opensslNotAfter, opensslThumbprint, readText, sClient,
  selfSignedCert, startServe, storeSnapshot, tmpDir, writeText, isoDate, TestPki, type Snapshot,
} from '../support/cli.js';
import { AdminServer, addUser, adminSnapshot, assertProblem, createToken } from '../support/admin.js';

/** Every test is bounded as a whole, beyond the bounds on each wait inside it. */
const LIMIT = { timeout: 180_000 };

interface ServiceView {
  service: string;
  certificate: { thumbprint: string; friendlyName: string; notAfter: string; status: string } | null;
  listeners: Array<{ service: string; ip: string; port: number; hostName: string }>;
}
interface AssignResult { certificate: { thumbprint: string; friendlyName: string }; services: string[]; replaced: Array<{ service: string; thumbprint: string; friendlyName: string }>; warnings: string[] }
interface Cert { thumbprint: string; friendlyName: string; notAfter: string; sans: string[]; hasPrivateKey: boolean }
interface Audit { action: string; target: string; before: any; after: any }

let pki: TestPki;
before(() => {
  pki = TestPki.create({ intCn: 'Contoso CA' });
});

/** Which certificate each service has, as `service list --json` shows it. */
function assignments(data: string): Record<string, string | null> {
  return Object.fromEntries(ghJson<ServiceView[]>(data, ['service', 'list']).map((v) => [v.service, v.certificate?.thumbprint ?? null]));
}

/** The store's state and the service list: a refused assignment leaves both as they were. */
function snapshot(data: string): Snapshot & { services: string } {
  return { ...storeSnapshot(data), services: gh(data, ['service', 'list', '--json']).stdout };
}

/** A certificate from the test CA, imported with its key; answers its thumbprint and the PEM file. */
function importLeaf(data: string, cn: string, friendlyName: string, opts: { days?: number; enddate?: string } = {}): { thumbprint: string; cert: string } {
  const { key, cert } = pki.leaf(cn, opts);
  const imported = ghJson<Cert>(data, ['cert', 'import', '--file', cert, '--key-file', key, '--friendly-name', friendlyName]);
  assert.equal(imported.thumbprint, opensslThumbprint(cert));
  return { thumbprint: imported.thumbprint, cert };
}

const warnings = (stderr: string) => stderr.split('\n').filter((l) => l !== '');

test('Exchange guide with the CLI: request with wildcard and per-service names, the CA\'s answer, assign SMTP and IIS — the overwrite question first, then --overwrite', LIMIT, () => {
  const data = dataDir();
  const dir = tmpDir('gh-services-');
  // The server already has a default SMTP certificate (Exchange's self-signed one).
  const old = selfSignedCert(data, 'EXCH01', 'Microsoft Exchange');
  const oldCert = ghJson<Cert>(data, ['cert', 'show', old]);
  ghJson(data, ['service', 'assign', old, '--services', 'smtp']);

  // New Exchange Certificate: domain scope (wildcard), the names of each service, organization and location.
  const csr = join(dir, 'mail.contoso.com.req');
  ghJson(data, [
    'request', 'new', '--cn', 'mail.contoso.com', '--wildcard', 'contoso.com', '--san', 'owa.contoso.com', '--san', 'autodiscover.contoso.com',
    '--org', 'Contoso', '--ou', 'Messaging', '--city', 'Seattle', '--state', 'WA', '--country', 'US', '--key', 'rsa-2048', '--out', csr,
  ]);
  // The CA answers; Complete Pending Request.
  const leaf = pki.sign(csr, { days: 365 });
  const answer = writeText(join(dir, 'certnew.cer'), readText(leaf) + pki.chainPem());
  const cert = ghJson<Cert>(data, ['request', 'complete', '--file', answer]);
  assert.equal(cert.thumbprint, opensslThumbprint(leaf));
  assert.equal(cert.friendlyName, `mail.contoso.com-Contoso CA-(${isoDate(opensslNotAfter(leaf))})`);

  // Assign Services to Certificate: SMTP and IIS. SMTP has another default: Exchange asks first.
  const before = snapshot(data);
  const asked = ghFail(data, ['service', 'assign', cert.friendlyName, '--services', 'smtp,https'], 'GH_SERVICE_OVERWRITE_REQUIRED');
  assert.match(asked.stderr, /Overwrite the existing default SMTP certificate\?/);
  assert.ok(asked.stderr.includes('"Microsoft Exchange"'), `the question names the current certificate's friendly name: ${asked.stderr}`);
  assert.ok(asked.stderr.includes(old), `the question names the current certificate's thumbprint: ${asked.stderr}`);
  assert.ok(asked.stderr.includes(oldCert.notAfter.slice(0, 10)), `the question names the current certificate's expiry: ${asked.stderr}`);
  assert.equal(asked.stdout, '');
  assert.deepEqual(snapshot(data), before, 'a refused assignment changed the store');
  assert.deepEqual(assignments(data), { smtp: old, imap: null, pop: null, https: null });
  // The same question in --json mode: still exit 1 and nothing on stdout.
  const askedJson = gh(data, ['service', 'assign', cert.thumbprint, '--services', 'smtp', '--json']);
  assertCleanError(askedJson, 'GH_SERVICE_OVERWRITE_REQUIRED');

  // Yes.
  const yes = gh(data, ['service', 'assign', cert.friendlyName, '--services', 'smtp,https', '--overwrite', '--json']);
  assert.equal(yes.code, 0, describeRun(yes));
  assert.equal(yes.stderr, '', `no warning expected for a certificate that covers everything for a year: ${yes.stderr}`);
  const r = yes.json<AssignResult>();
  assert.equal(r.certificate.thumbprint, cert.thumbprint);
  assert.deepEqual(r.services, ['smtp', 'https']);
  assert.deepEqual(r.replaced, [{ service: 'smtp', thumbprint: old, friendlyName: 'Microsoft Exchange' }]);
  assert.deepEqual(assignments(data), { smtp: cert.thumbprint, imap: null, pop: null, https: cert.thumbprint });
  const view = ghJson<ServiceView[]>(data, ['service', 'list']).find((v) => v.service === 'smtp')!;
  assert.equal(view.certificate?.friendlyName, cert.friendlyName);
  assert.equal(view.certificate?.notAfter, cert.notAfter);
  const text = gh(data, ['service', 'list']);
  assert.equal(text.code, 0);
  assert.ok(text.stdout.includes(cert.friendlyName) && text.stdout.includes(cert.thumbprint), text.stdout);

  // The audit log has the change with what it replaced.
  const audit = ghJson<Audit[]>(data, ['audit']);
  const entry = audit.filter((a) => a.action === 'service.assign').at(-1)!;
  assert.deepEqual(entry.before, { smtp: old, https: null });
  assert.equal(entry.after.certificate.thumbprint, cert.thumbprint);
  assert.deepEqual(entry.after.services, ['smtp', 'https']);

  // Assigning it again is not an overwrite; IMAP and POP take no question.
  const again = gh(data, ['service', 'assign', cert.thumbprint, '--services', 'smtp,imap,pop', '--json']);
  assert.equal(again.code, 0, describeRun(again));
  assert.deepEqual(again.json<AssignResult>().replaced, []);
  assert.deepEqual(assignments(data), { smtp: cert.thumbprint, imap: cert.thumbprint, pop: cert.thumbprint, https: cert.thumbprint });
});

test('the https assignment is the default web certificate: served to a client whose SNI name no binding has and to one without SNI; an IP:port binding on that port wins over it', LIMIT, async (t) => {
  const data = dataDir();
  const [port] = (await freePorts(1)) as [number];
  const root = tmpDir('gh-www-');
  writeText(join(root, 'index.html'), '<h1>Contoso</h1>\n');
  const www = selfSignedCert(data, 'www.contoso.com', 'www.contoso.com');
  const def = selfSignedCert(data, 'mail.contoso.com', 'default web certificate');
  const endpoint = selfSignedCert(data, 'shop.fabrikam.com', 'endpoint certificate');
  ghJson(data, ['site', 'add', 'Contoso', '--root', root]);
  ghJson(data, ['binding', 'add', 'Contoso', '--protocol', 'https', '--port', String(port), '--host', 'www.contoso.com', '--sni', '--cert', www]);
  const none = ghJson<{ rule: string; certificate: unknown }>(data, ['binding', 'explain', '--port', String(port), '--sni', 'unknown.fabrikam.com']);
  assert.equal(none.rule, 'none', 'before the https assignment nothing answers an unknown name');
  assert.equal(none.certificate, null);
  ghJson(data, ['service', 'assign', def, '--services', 'https']);

  const explained = ghJson<{ rule: string; certificate: { thumbprint: string } | null }>(data, ['binding', 'explain', '--port', String(port), '--sni', 'unknown.fabrikam.com']);
  assert.equal(explained.rule, 'https-default');
  assert.equal(explained.certificate?.thumbprint, def);
  const server = await startServe(data, [`https *:${port}`]);
  t.after(() => server.stop());
  assert.equal(sClient(port, 'www.contoso.com').thumbprint, www, 'the SNI binding still decides for its own name');
  assert.equal(sClient(port, 'unknown.fabrikam.com').thumbprint, def, `an unknown name gets the https default\n${server.log()}`);
  assert.equal(sClient(port, null).thumbprint, def, 'a client without SNI gets the https default');

  // A site with an https binding on *:PORT without SNI: the explicit binding wins over the default.
  const shopRoot = tmpDir('gh-www-');
  writeText(join(shopRoot, 'index.html'), '<h1>Shop</h1>\n');
  ghJson(data, ['site', 'add', 'Shop', '--root', shopRoot]);
  const added = gh(data, ['binding', 'add', 'Shop', '--protocol', 'https', '--port', String(port), '--cert', endpoint, '--json']);
  assert.equal(added.code, 0, describeRun(added));
  const now = ghJson<{ rule: string; certificate: { thumbprint: string } | null }>(data, ['binding', 'explain', '--port', String(port), '--sni', 'unknown.fabrikam.com']);
  assert.equal(now.rule, 'all-unassigned');
  assert.equal(now.certificate?.thumbprint, endpoint);
  // Every serving process applies the change before any client is asked (with two workers, either may answer).
  await server.waitApplied(ghJson<{ revision: number }>(data, ['serve', '--once']).revision);
  assert.equal(sClient(port, 'unknown.fabrikam.com').thumbprint, endpoint, `the *:${port} binding's certificate replaces the https default\n${server.log()}`);
  assert.equal(sClient(port, null).thumbprint, endpoint);
  assert.equal(sClient(port, 'www.contoso.com').thumbprint, www);
  const page = curl(['-k', '--resolve', `unknown.fabrikam.com:${port}:127.0.0.1`, `https://unknown.fabrikam.com:${port}/`]);
  assert.match(page.body, /Shop/, 'the catch-all binding\'s site answers');
});

test('IIS as Exchange assigns it: --services https sets the default web site\'s https *:443 binding (and the others of that endpoint, with --force when they are another site\'s), or --site\'s; audited in the same change; warnings only for the names it will serve', LIMIT, async () => {
  const data = dataDir();
  const [port] = (await freePorts(1)) as [number];
  const root = tmpDir('gh-www-');
  writeText(join(root, 'index.html'), '<h1>Default</h1>\n');
  const old = selfSignedCert(data, 'www.contoso.com', 'old');
  const shop = selfSignedCert(data, 'shop.contoso.com', 'shop');
  const exchange = selfSignedCert(data, 'mail.contoso.com', 'exchange', ['--san', 'owa.contoso.com', '--san', 'autodiscover.contoso.com']);
  for (const site of ['Default Web Site', 'Shop', 'Partner', 'Intranet']) ghJson(data, ['site', 'add', site, '--root', root]);
  const add = (...args: string[]) => ghJson(data, ['binding', 'add', ...args]);
  add('Default Web Site', '--protocol', 'https', '--port', '443', '--cert', old);
  add('Default Web Site', '--protocol', 'https', '--port', '443', '--host', 'owa.contoso.com', '--cert', old);
  add('Default Web Site', '--protocol', 'http', '--port', '80');
  // Shop's name has its own SNI certificate; Partner shares the *:443 endpoint (without SNI, so its certificate).
  add('Shop', '--protocol', 'https', '--port', '443', '--host', 'shop.contoso.com', '--sni', '--cert', shop);
  add('Partner', '--protocol', 'https', '--port', '443', '--host', 'partner.fabrikam.com', '--cert', old);
  add('Intranet', '--protocol', 'https', '--ip', '127.0.0.1', '--port', String(port), '--cert', old);
  const certOf = () => Object.fromEntries(ghJson<Array<{ site: string; protocol: string; ip: string; port: number; host: string; certificate: string | null }>>(data, ['binding', 'list'])
    .filter((b) => b.protocol === 'https').map((b) => [`${b.site} ${b.ip}:${b.port}:${b.host}`, b.certificate]));

  // Partner's clients would get the new certificate too: that needs --force, and nothing changes without it.
  const before = snapshot(data);
  const refused = ghFail(data, ['service', 'assign', 'exchange', '--services', 'https'], 'GH_BINDING_AFFECTS_OTHERS');
  assert.match(refused.stderr, /Partner/);
  assert.match(refused.stderr, /for partner\.fabrikam\.com \(https\) would get the certificate "exchange" instead of "old"/);
  assert.deepEqual(snapshot(data), before, 'the refused assignment changed the store');

  const r = gh(data, ['service', 'assign', 'exchange', '--services', 'https', '--force', '--json']);
  assert.equal(r.code, 0, describeRun(r));
  const result = r.json<AssignResult & { site: string | null; bindings: Array<{ site: string; host: string; certificate: string }>; affected: Array<{ site: string }> }>();
  assert.equal(result.site, 'Default Web Site');
  assert.deepEqual(result.bindings.map((b) => [b.site, b.host, b.certificate]), [['Default Web Site', '', exchange], ['Default Web Site', 'owa.contoso.com', exchange], ['Partner', 'partner.fabrikam.com', exchange]]);
  assert.deepEqual([...new Set(result.affected.map((a) => a.site))], ['Partner']);
  assert.deepEqual(certOf(), {
    'Default Web Site *:443:': exchange, 'Default Web Site *:443:owa.contoso.com': exchange, 'Shop *:443:shop.contoso.com': shop,
    'Partner *:443:partner.fabrikam.com': exchange, [`Intranet 127.0.0.1:${port}:`]: old,
  });
  assert.equal(assignments(data).https, exchange, 'the default web certificate too');
  // It serves owa (covered) and partner (not covered); shop.contoso.com has its own certificate: no warning for it.
  assert.deepEqual(result.warnings, ['"exchange" does not cover partner.fabrikam.com (it names mail.contoso.com, owa.contoso.com, autodiscover.contoso.com); clients that check names will refuse it there.']);
  const entry = ghJson<Audit[]>(data, ['audit']).filter((a) => a.action === 'service.assign').at(-1)!;
  assert.equal(entry.after.site, 'Default Web Site');
  assert.deepEqual(entry.after.bindings, ['https *:443:', 'https *:443:owa.contoso.com', 'https *:443:partner.fabrikam.com']);

  // --site: the site Exchange's virtual directories live in, when it is not the one on *:443.
  const intranet = gh(data, ['service', 'assign', 'exchange', '--services', 'iis', '--site', 'Intranet']);
  assert.equal(intranet.code, 0, describeRun(intranet));
  assert.match(intranet.stdout, new RegExp(`Set it on https 127\\.0\\.0\\.1:${port}: \\(site "Intranet"\\)\\.`));
  assert.equal(certOf()[`Intranet 127.0.0.1:${port}:`], exchange);
  const again = gh(data, ['service', 'assign', 'exchange', '--services', 'https']);
  assert.match(again.stdout, /The https bindings of site "Default Web Site" already had it\./);

  const unchanged = snapshot(data);
  ghFail(data, ['service', 'assign', 'exchange', '--services', 'https', '--site', 'Shop'], 'GH_SITE_NO_HTTPS_BINDING');
  ghFail(data, ['service', 'assign', 'exchange', '--services', 'https', '--site', 'Nowhere'], 'GH_SITE_NOT_FOUND');
  ghFail(data, ['service', 'assign', 'exchange', '--services', 'imap', '--site', 'Intranet'], 'GH_SERVICE_INVALID');
  assert.deepEqual(snapshot(data), unchanged, 'a refused assignment changed the store');

  // Without a site on *:443, only the default web certificate is set, and the answer says so.
  const bare = dataDir();
  selfSignedCert(bare, 'mail.contoso.com', 'exchange');
  const alone = gh(bare, ['service', 'assign', 'exchange', '--services', 'https']);
  assert.equal(alone.code, 0, describeRun(alone));
  assert.match(alone.stdout, /No site has an https binding on \*:443 without a host name: only the default web certificate was set/);
});

test('warnings that do not stop an assignment: expiring within 30 days, and not covering a listener\'s host name — each a warning: line', LIMIT, () => {
  const data = dataDir();
  // The SMTP listener clients reach as mail.contoso.com.
  const configured = gh(data, ['service', 'configure', 'smtp', '--listen', '127.0.0.1:2525', '--backend', '127.0.0.1:10025', '--host', 'mail.contoso.com']);
  assert.equal(configured.code, 0, describeRun(configured));

  const soon = importLeaf(data, 'mail.contoso.com', 'expires soon', { days: 10 });
  const r1 = gh(data, ['service', 'assign', soon.thumbprint, '--services', 'smtp']);
  assert.equal(r1.code, 0, describeRun(r1));
  assert.deepEqual(warnings(r1.stderr).map((l) => l.startsWith('warning: ')), [true], `one warning line: ${r1.stderr}`);
  assert.match(r1.stderr, /expires in (9|10) day\(s\)/, r1.stderr);
  assert.ok(r1.stderr.includes(isoDate(opensslNotAfter(soon.cert))), r1.stderr);
  assert.equal(assignments(data).smtp, soon.thumbprint);

  const other = importLeaf(data, 'www.fabrikam.com', 'fabrikam', { days: 365 });
  const r2 = gh(data, ['service', 'assign', other.thumbprint, '--services', 'smtp', '--overwrite']);
  assert.equal(r2.code, 0, describeRun(r2));
  assert.deepEqual(warnings(r2.stderr).map((l) => l.startsWith('warning: ')), [true], `one warning line: ${r2.stderr}`);
  assert.match(r2.stderr, /does not cover mail\.contoso\.com/, r2.stderr);
  assert.equal(assignments(data).smtp, other.thumbprint);

  const both = importLeaf(data, 'www.fabrikam.com', 'fabrikam, soon', { days: 5 });
  const r3 = gh(data, ['service', 'assign', both.thumbprint, '--services', 'smtp', '--overwrite', '--json']);
  assert.equal(r3.code, 0, describeRun(r3));
  assert.equal(warnings(r3.stderr).length, 2, r3.stderr);
  assert.ok(warnings(r3.stderr).every((l) => l.startsWith('warning: ')), r3.stderr);
  assert.equal(r3.json<AssignResult>().warnings.length, 2, 'the JSON answer carries the warnings too');
  assert.equal(assignments(data).smtp, both.thumbprint);
});

test('refusals: a certificate expired since it was imported (GH_CERT_EXPIRED) and one without a private key (GH_CERT_NO_KEY) are not assigned; the store is unchanged', LIMIT, async () => {
  const data = dataDir();
  const current = selfSignedCert(data, 'mail.contoso.com', 'current');
  ghJson(data, ['service', 'assign', current, '--services', 'smtp,imap']);

  // Valid for a few seconds when imported, expired when assigned.
  const end = new Date(Date.now() + 4000);
  const stamp = end.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  const expiring = importLeaf(data, 'mail.contoso.com', 'expires in seconds', { enddate: stamp });
  await eventually('the certificate has expired', () => Date.now() > opensslNotAfter(expiring.cert).getTime() + 1000, 15_000, 250);
  let before = snapshot(data);
  const expired = ghFail(data, ['service', 'assign', expiring.thumbprint, '--services', 'imap', '--overwrite'], 'GH_CERT_EXPIRED');
  assert.match(expired.stderr, /"expires in seconds" expired on \d{4}-\d{2}-\d{2}/, expired.stderr);
  assert.deepEqual(snapshot(data), before);

  // No command stores a certificate without its key: cert import refuses one (a PEM certificate alone, a PFX without key).
  const dir = tmpDir('gh-nokey-');
  const { cert } = pki.leaf('mail.contoso.com');
  ghFail(data, ['cert', 'import', '--file', cert], 'GH_KEY_MISSING');
  const leafKey = pki.leaf('mail.contoso.com');
  const pw = writeText(join(dir, 'pw.txt'), 'Pa55-word\n');
  const noKeyPfx = join(dir, 'nokey.pfx');
  openssl(['pkcs12', '-export', '-nokeys', '-in', leafKey.cert, '-out', noKeyPfx, '-passout', `file:${pw}`]);
  ghFail(data, ['cert', 'import', '--file', noKeyPfx, '--password-file', pw], 'GH_PFX_NO_KEY');
  // A store may still hold one (restored from elsewhere, or its key lost): made here by clearing the key reference.
  const keyless = importLeaf(data, 'mail.contoso.com', 'key lost');
  withStoreDb(data, (db) => db.run('UPDATE certificates SET key_id = NULL WHERE thumbprint = ?', keyless.thumbprint));
  assert.equal(ghJson<Cert>(data, ['cert', 'show', keyless.thumbprint]).hasPrivateKey, false);
  before = snapshot(data);
  const noKey = ghFail(data, ['service', 'assign', keyless.thumbprint, '--services', 'pop'], 'GH_CERT_NO_KEY');
  assert.match(noKey.stderr, /"key lost" has no private key/, noKey.stderr);
  assert.deepEqual(snapshot(data), before);
  assert.deepEqual(assignments(data), { smtp: current, imap: current, pop: null, https: null });
});

test('cert remove of an assigned certificate: GH_CERT_IN_USE naming its services; --force removes it and leaves the services unassigned', LIMIT, () => {
  const data = dataDir();
  const cert = selfSignedCert(data, 'mail.contoso.com', 'mail.contoso.com');
  const other = selfSignedCert(data, 'owa.contoso.com', 'owa');
  ghJson(data, ['service', 'assign', cert, '--services', 'smtp,https']);
  ghJson(data, ['service', 'assign', other, '--services', 'imap']);
  const before = snapshot(data);
  const refused = ghFail(data, ['cert', 'remove', cert], 'GH_CERT_IN_USE');
  assert.match(refused.stderr, /SMTP/);
  assert.match(refused.stderr, /HTTPS/);
  assert.ok(refused.stderr.includes('"mail.contoso.com"'), refused.stderr);
  assert.deepEqual(snapshot(data), before);

  const forced = gh(data, ['cert', 'remove', cert, '--force', '--json']);
  assert.equal(forced.code, 0, describeRun(forced));
  assert.deepEqual([...forced.json<{ servicesUnassigned: string[] }>().servicesUnassigned].sort(), ['https', 'smtp']);
  assert.deepEqual(assignments(data), { smtp: null, imap: other, pop: null, https: null });
  assert.equal(ghJson<Cert[]>(data, ['cert', 'list']).some((c) => c.thumbprint === cert), false);
  // The next SMTP assignment asks nothing: there is no default SMTP certificate to overwrite.
  ghJson(data, ['service', 'assign', other, '--services', 'smtp']);
  assert.equal(assignments(data).smtp, other);
});

test('the admin API asks the same question: POST /api/v1/services/assign → 409 GH_SERVICE_OVERWRITE_REQUIRED naming the current certificate, then "overwrite": true → 200', LIMIT, async (t) => {
  const data = dataDir();
  addUser(data, 'alice', 'organization-management');
  const token = createToken(data, 'alice');
  const old = selfSignedCert(data, 'mail.contoso.com', 'Old SMTP certificate');
  const oldCert = ghJson<Cert>(data, ['cert', 'show', old]);
  ghJson(data, ['service', 'assign', old, '--services', 'smtp']);
  const next = importLeaf(data, 'mail.contoso.com', 'New SMTP certificate');
  const admin = await AdminServer.start(data);
  t.after(() => admin.stop());

  const before = await adminSnapshot(data);
  const asked = await admin.call('POST', '/api/v1/services/assign', { token, body: { certificate: next.thumbprint, services: ['smtp', 'imap'] } });
  assertProblem(asked, 409, 'GH_SERVICE_OVERWRITE_REQUIRED');
  assert.ok(asked.json.detail.includes('Old SMTP certificate'), asked.json.detail);
  assert.ok(asked.json.detail.includes(old), asked.json.detail);
  assert.ok(asked.json.detail.includes(oldCert.notAfter.slice(0, 10)), asked.json.detail);
  assert.deepEqual(await adminSnapshot(data), before, 'a refused assignment changed the store');

  const yes = await admin.call('POST', '/api/v1/services/assign', { token, body: { certificate: 'New SMTP certificate', services: ['smtp', 'imap'], overwrite: true } });
  assert.equal(yes.status, 200, yes.text);
  assert.equal(yes.json.certificate.thumbprint, next.thumbprint);
  assert.deepEqual(yes.json.services, ['smtp', 'imap']);
  assert.deepEqual(yes.json.replaced, [{ service: 'smtp', thumbprint: old, friendlyName: 'Old SMTP certificate' }]);
  const listed = await admin.call('GET', '/api/v1/services', { token });
  assert.equal(listed.status, 200, listed.text);
  const byService = Object.fromEntries((listed.json as ServiceView[]).map((v) => [v.service, v.certificate?.thumbprint ?? null]));
  assert.deepEqual(byService, { smtp: next.thumbprint, imap: next.thumbprint, pop: null, https: null });
  const audit = ghJson<Array<Audit & { actor: string; origin: string }>>(data, ['audit']);
  const entry = audit.filter((a) => a.action === 'service.assign').at(-1)!;
  assert.equal(entry.actor, 'alice');
  assert.equal(entry.origin, 'api');

  // The refusals keep their codes through the API.
  const missing = await admin.call('POST', '/api/v1/services/assign', { token, body: { certificate: 'no such certificate', services: ['pop'] } });
  assertProblem(missing, 404, 'GH_CERT_NOT_FOUND');
});

test('mail listener settings are checked before anything is stored: one clean error line each, and the store, bindings and listeners unchanged', LIMIT, () => {
  const data = dataDir();
  const root = tmpDir('gh-www-');
  writeText(join(root, 'index.html'), 'x\n');
  ghJson(data, ['site', 'add', 'Web', '--root', root]);
  ghJson(data, ['binding', 'add', 'Web', '--protocol', 'http', '--port', '8025']);
  ghJson(data, ['service', 'configure', 'smtp', '--listen', '127.0.0.1:2525', '--backend', '127.0.0.1:10025']);
  const base = ['--listen', '127.0.0.1:2526', '--backend', '127.0.0.1:10025'];
  const cases: Array<[string, string[], string]> = [
    ['--require-tls on an implicit-TLS listener', ['service', 'configure', 'smtp', ...base, '--mode', 'tls', '--require-tls'], 'GH_LISTENER_INVALID'],
    ['an unknown mode', ['service', 'configure', 'smtp', ...base, '--mode', 'ssl'], 'GH_LISTENER_INVALID'],
    ['an idle timeout under 5 s', ['service', 'configure', 'smtp', ...base, '--idle-timeout', '4'], 'GH_LISTENER_INVALID'],
    ['no connection allowed', ['service', 'configure', 'smtp', ...base, '--max-connections', '0'], 'GH_LISTENER_INVALID'],
    ['an unknown client-address mode', ['service', 'configure', 'smtp', ...base, '--client-address', 'proxy-protocol'], 'GH_LISTENER_INVALID'],
    ['a listen address without a port', ['service', 'configure', 'smtp', '--listen', '127.0.0.1', '--backend', '127.0.0.1:10025'], 'GH_LISTENER_INVALID'],
    ['a port over 65535', ['service', 'configure', 'smtp', '--listen', '127.0.0.1:99999', '--backend', '127.0.0.1:10025'], 'GH_PORT_INVALID'],
    ['a backend without a port', ['service', 'configure', 'smtp', '--listen', '127.0.0.1:2526', '--backend', 'mailhost'], 'GH_BACKEND_INVALID'],
    ['the listener as its own backend', ['service', 'configure', 'smtp', '--listen', '127.0.0.1:2526', '--backend', '127.0.0.1:2526'], 'GH_BACKEND_INVALID'],
    ['an address as the host name', ['service', 'configure', 'smtp', ...base, '--host', '192.0.2.10'], 'GH_NAME_INVALID'],
    ['https is not a mail service', ['service', 'configure', 'https', ...base], 'GH_SERVICE_INVALID'],
    ['the port of a web binding', ['service', 'configure', 'smtp', '--listen', '127.0.0.1:8025', '--backend', '127.0.0.1:10025'], 'GH_LISTENER_CONFLICT'],
    ['the SMTP listener\'s endpoint for IMAP', ['service', 'configure', 'imap', '--listen', '127.0.0.1:2525', '--backend', '127.0.0.1:10143'], 'GH_LISTENER_CONFLICT'],
    ['all addresses on a port a listener uses', ['service', 'configure', 'smtp', '--listen', '*:2525', '--backend', '127.0.0.1:10025'], 'GH_LISTENER_CONFLICT'],
    ['a web binding on a mail listener\'s port', ['binding', 'add', 'Web', '--protocol', 'http', '--port', '2525'], 'GH_LISTENER_CONFLICT'],
    ['unconfigure a listener that is not there', ['service', 'unconfigure', 'pop', '--listen', '127.0.0.1:2525'], 'GH_LISTENER_NOT_FOUND'],
    ['assign an unknown service', ['service', 'assign', 'anything', '--services', 'smtp,ftp'], 'GH_SERVICE_INVALID'],
  ];
  const before = { ...snapshot(data), bindings: gh(data, ['binding', 'list', '--json']).stdout };
  for (const [what, args, code] of cases) {
    const r = gh(data, args);
    try {
      assertCleanError(r, code);
    } catch (e) {
      throw new Error(`${what}: ${(e as Error).message}`);
    }
  }
  assert.deepEqual({ ...snapshot(data), bindings: gh(data, ['binding', 'list', '--json']).stdout }, before, 'a refused change altered the store');

  // Defaults: implicit TLS on 465, 993 and 995, STARTTLS elsewhere; 1000 sessions, 300 s idle, the address logged only.
  ghJson(data, ['service', 'configure', 'smtp', '--listen', '127.0.0.1:465', '--backend', '127.0.0.1:10025']);
  ghJson(data, ['service', 'configure', 'imap', '--listen', '[::1]:993', '--backend', '[::1]:10143']);
  const listeners = ghJson<ServiceView[]>(data, ['service', 'list']).flatMap((v) => v.listeners) as Array<ServiceView['listeners'][number] & Record<string, unknown>>;
  const byPort = Object.fromEntries(listeners.map((l) => [l.port, l]));
  assert.equal(byPort[465]?.mode, 'tls');
  assert.equal(byPort[993]?.mode, 'tls');
  assert.equal(byPort[993]?.ip, '::1');
  assert.equal(byPort[2525]?.mode, 'starttls');
  assert.equal(byPort[2525]?.maxConnections, 1000);
  assert.equal(byPort[2525]?.idleTimeoutSeconds, 300);
  assert.equal(byPort[2525]?.clientAddress, 'off');
  // Removing one leaves the others.
  ghJson(data, ['service', 'unconfigure', 'smtp', '--listen', '127.0.0.1:465']);
  assert.deepEqual(ghJson<ServiceView[]>(data, ['service', 'list']).flatMap((v) => v.listeners.map((l) => l.port)).sort(), [2525, 993].sort());
});
