// Sites and bindings through the CLI: CRUD, http.sys's binding rules as refusals that leave the
// store untouched, warnings, `binding explain`, and certificates in use by bindings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertCleanError, dataDir, describeRun, freePorts, gh, ghFail, storeRevision, ghJson, join, selfSignedCert, snapshotWithBindings, tmpDir, writeText,
} from '../support/cli.js';

interface BindingJson {
  site: string;
  protocol: 'http' | 'https';
  ip: string;
  port: number;
  host: string;
  sni: boolean;
  certificate: string | null;
}

interface SiteJson {
  name: string;
  state: 'started' | 'stopped';
  content: { kind: string; root?: string };
  httpsRedirect: boolean;
  hsts: boolean;
  bindings: BindingJson[];
}

function webRoot(text: string): string {
  const dir = tmpDir('gh-www-');
  writeText(join(dir, 'index.html'), `<h1>${text}</h1>\n`);
  return dir;
}

const ports = await freePorts(8);
const [P1, P2, P3, P4, P5, P6, P7, P8] = ports as [number, number, number, number, number, number, number, number];

test('site add, list, show, set, stop, start and remove, with --json', () => {
  const data = dataDir();
  const root = webRoot('contoso');
  const added = ghJson<SiteJson>(data, ['site', 'add', 'contoso', '--root', root]);
  assert.equal(added.name, 'contoso');
  assert.equal(added.state, 'started', 'a new site starts at once');
  assert.deepEqual(added.content, { kind: 'static', root });
  assert.equal(added.httpsRedirect, false);
  assert.equal(added.hsts, false);
  assert.deepEqual(added.bindings, []);

  ghJson(data, ['site', 'add', 'fabrikam', '--root', webRoot('fabrikam'), '--https-redirect', 'on', '--hsts', 'on']);
  const list = ghJson<SiteJson[]>(data, ['site', 'list']);
  assert.deepEqual(list.map((s) => s.name).sort(), ['contoso', 'fabrikam']);
  const fab = list.find((s) => s.name === 'fabrikam')!;
  assert.equal(fab.httpsRedirect, true);
  assert.equal(fab.hsts, true);

  // A second site of the same name, a missing folder, and both --root and --proxy are refused.
  ghFail(data, ['site', 'add', 'contoso', '--root', root], 'GH_SITE_EXISTS');
  assertCleanError(gh(data, ['site', 'add', 'nofolder', '--root', join(root, 'does-not-exist')]), 'GH_SITE_CONTENT_INVALID');

  const other = webRoot('contoso v2');
  const set = ghJson<SiteJson>(data, ['site', 'set', 'contoso', '--root', other, '--hsts', 'on']);
  assert.deepEqual(set.content, { kind: 'static', root: other });
  assert.equal(set.hsts, true);
  assert.equal(set.httpsRedirect, false, 'what is not given stays');

  assert.equal(ghJson<SiteJson>(data, ['site', 'stop', 'contoso']).state, 'stopped');
  assert.equal(ghJson<SiteJson>(data, ['site', 'show', 'contoso']).state, 'stopped');
  assert.equal(ghJson<SiteJson>(data, ['site', 'start', 'contoso']).state, 'started');
  assert.equal(ghJson<SiteJson>(data, ['site', 'show', 'contoso']).state, 'started');

  // Removing a site removes its bindings; its certificates stay.
  const cert = selfSignedCert(data, 'www.contoso.test', 'contoso-cert');
  ghJson(data, ['binding', 'add', 'contoso', '--protocol', 'https', '--port', String(P1), '--cert', cert]);
  ghJson(data, ['binding', 'add', 'contoso', '--protocol', 'http', '--port', String(P2)]);
  assert.equal(ghJson<BindingJson[]>(data, ['binding', 'list', 'contoso']).length, 2);
  const removed = ghJson<{ name: string; removed: boolean; bindings: number }>(data, ['site', 'remove', 'contoso']);
  assert.equal(removed.removed, true);
  assert.equal(removed.bindings, 2);
  assert.deepEqual(ghJson<SiteJson[]>(data, ['site', 'list']).map((s) => s.name), ['fabrikam']);
  assert.deepEqual(ghJson<BindingJson[]>(data, ['binding', 'list']), []);
  assert.equal(ghJson<unknown[]>(data, ['cert', 'list']).length, 1, 'the certificate stays in the store');

  for (const verb of ['show', 'remove', 'stop', 'start']) ghFail(data, ['site', verb, 'contoso'], 'GH_SITE_NOT_FOUND');
  ghFail(data, ['site', 'set', 'contoso', '--hsts', 'on'], 'GH_SITE_NOT_FOUND');
});

test('binding add, list, edit and remove (IIS Site Bindings: Add, Edit, Remove)', () => {
  const data = dataDir();
  const c1 = selfSignedCert(data, 'www.contoso.test', 'contoso-1');
  const c2 = selfSignedCert(data, 'www.contoso.test', 'contoso-2');
  const cShop = selfSignedCert(data, 'shop.test', 'shop');
  ghJson(data, ['site', 'add', 'contoso', '--root', webRoot('contoso')]);
  ghJson(data, ['site', 'add', 'shop', '--root', webRoot('shop')]);

  // The single-certificate guide: https, All Unassigned, the port, the certificate.
  const add = ghJson<{ binding: BindingJson; warnings: string[]; affected: unknown[] }>(data, ['binding', 'add', 'contoso', '--protocol', 'https', '--ip', '*', '--port', String(P1), '--cert', 'contoso-1']);
  assert.deepEqual(add.binding, { site: 'contoso', protocol: 'https', ip: '*', port: P1, host: '', sni: false, certificate: c1 });
  assert.deepEqual(add.warnings, []);
  assert.deepEqual(add.affected, []);
  // The many-certificates guide: another site on the same port with a host name and Require SNI.
  const sni = ghJson<{ binding: BindingJson }>(data, ['binding', 'add', 'shop', '--protocol', 'https', '--port', String(P1), '--host', 'Shop.Test', '--sni', '--cert', cShop.slice(0, 10).toLowerCase()]);
  assert.deepEqual(sni.binding, { site: 'shop', protocol: 'https', ip: '*', port: P1, host: 'shop.test', sni: true, certificate: cShop }, 'host lower-cased, certificate by a thumbprint prefix in any case');
  ghJson(data, ['binding', 'add', 'contoso', '--protocol', 'http', '--port', String(P2)]);
  ghJson(data, ['binding', 'add', 'contoso', '--protocol', 'https', '--ip', '127.0.0.1', '--port', String(P3), '--cert', c2]);

  const all = ghJson<BindingJson[]>(data, ['binding', 'list']);
  assert.equal(all.length, 4, JSON.stringify(all));
  const key = (b: BindingJson) => `${b.site} ${b.protocol} ${b.ip}:${b.port}:${b.host} sni=${b.sni} ${b.certificate ?? '-'}`;
  assert.deepEqual(all.map(key).sort(), [
    `contoso http *:${P2}: sni=false -`,
    `contoso https *:${P1}: sni=false ${c1}`,
    `contoso https 127.0.0.1:${P3}: sni=false ${c2}`,
    `shop https *:${P1}:shop.test sni=true ${cShop}`,
  ].sort());
  assert.deepEqual(ghJson<BindingJson[]>(data, ['binding', 'list', 'shop']).map(key), [`shop https *:${P1}:shop.test sni=true ${cShop}`]);
  ghFail(data, ['binding', 'list', 'nosuchsite'], 'GH_SITE_NOT_FOUND');
  // site show carries the same bindings.
  assert.equal(ghJson<SiteJson>(data, ['site', 'show', 'contoso']).bindings.length, 3);

  // Edit: another certificate for the binding; the SNI flag stays as it was.
  const edit = ghJson<{ binding: BindingJson; affected: unknown[] }>(data, ['binding', 'edit', 'contoso', '--protocol', 'https', '--port', String(P1), '--cert', 'contoso-2']);
  assert.equal(edit.binding.certificate, c2);
  assert.deepEqual(edit.affected, [], 'the shop SNI binding keeps its own certificate');
  ghJson(data, ['binding', 'edit', 'shop', '--protocol', 'https', '--port', String(P1), '--host', 'shop.test', '--cert', c1]);
  const afterEdit = ghJson<BindingJson[]>(data, ['binding', 'list']);
  assert.equal(afterEdit.find((b) => b.site === 'contoso' && b.port === P1)!.certificate, c2);
  const shopAfter = afterEdit.find((b) => b.site === 'shop')!;
  assert.equal(shopAfter.certificate, c1);
  assert.equal(shopAfter.sni, true, 'edit keeps Require SNI');

  // Remove, one at a time; removing what is not there is refused.
  ghJson(data, ['binding', 'remove', 'shop', '--protocol', 'https', '--port', String(P1), '--host', 'shop.test']);
  ghJson(data, ['binding', 'remove', 'contoso', '--protocol', 'http', '--port', String(P2)]);
  assert.deepEqual(ghJson<BindingJson[]>(data, ['binding', 'list']).map(key).sort(), [
    `contoso https *:${P1}: sni=false ${c2}`,
    `contoso https 127.0.0.1:${P3}: sni=false ${c2}`,
  ].sort());
  ghFail(data, ['binding', 'remove', 'shop', '--protocol', 'https', '--port', String(P1), '--host', 'shop.test'], 'GH_BINDING_NOT_FOUND');
  // A binding is removed from its own site only.
  ghFail(data, ['binding', 'remove', 'shop', '--protocol', 'https', '--port', String(P1)], 'GH_BINDING_NOT_FOUND');
  ghFail(data, ['binding', 'edit', 'shop', '--protocol', 'https', '--port', String(P1), '--cert', c1], 'GH_BINDING_NOT_FOUND');
});

test('refused binding changes: exit 1, one stderr line with the code, the store unchanged', () => {
  const data = dataDir();
  selfSignedCert(data, 'a.test', 'C1');
  selfSignedCert(data, 'b.test', 'C2');
  ghJson(data, ['site', 'add', 'A', '--root', webRoot('A')]);
  ghJson(data, ['site', 'add', 'B', '--root', webRoot('B')]);
  ghJson(data, ['binding', 'add', 'A', '--protocol', 'https', '--port', String(P1), '--cert', 'C1']);
  ghJson(data, ['binding', 'add', 'A', '--protocol', 'https', '--port', String(P1), '--host', 'a.test', '--sni', '--cert', 'C1']);
  ghJson(data, ['binding', 'add', 'A', '--protocol', 'http', '--port', String(P2)]);
  ghJson(data, ['binding', 'add', 'A', '--protocol', 'https', '--ip', '127.0.0.1', '--port', String(P4), '--cert', 'C1']);

  const https = (site: string, port: number, ...rest: string[]) => ['binding', 'add', site, '--protocol', 'https', '--port', String(port), ...rest];
  const cases: Array<{ name: string; args: string[]; code: string; message?: RegExp }> = [
    { name: 'the same (protocol, ip, port, host) on another site', args: https('B', P1, '--cert', 'C1'), code: 'GH_BINDING_EXISTS', message: /"A"/ },
    { name: 'the same SNI host on another site', args: https('B', P1, '--host', 'a.test', '--sni', '--cert', 'C2'), code: 'GH_BINDING_EXISTS' },
    { name: 'the same binding on the same site', args: https('A', P1, '--host', 'A.TEST', '--sni', '--cert', 'C1'), code: 'GH_BINDING_EXISTS' },
    { name: 'an http duplicate', args: ['binding', 'add', 'B', '--protocol', 'http', '--port', String(P2)], code: 'GH_BINDING_EXISTS' },
    { name: '--sni without --host', args: https('B', P3, '--sni', '--cert', 'C2'), code: 'GH_BINDING_SNI_NEEDS_HOST' },
    {
      name: 'a second non-SNI binding on *:port with another certificate',
      args: https('B', P1, '--host', 'b.test', '--cert', 'C2'),
      code: 'GH_ENDPOINT_CERT_CONFLICT',
      message: /site "A".*--host.*--sni|--sni.*--host.*site "A"/,
    },
    {
      name: 'a second non-SNI binding on IP:port with another certificate',
      args: https('B', P4, '--ip', '127.0.0.1', '--host', 'b.test', '--cert', 'C2'),
      code: 'GH_ENDPOINT_CERT_CONFLICT',
      message: /site "A"/,
    },
    { name: 'an unknown certificate', args: https('B', P3, '--cert', 'no-such-certificate'), code: 'GH_CERT_NOT_FOUND' },
    { name: 'an unknown thumbprint', args: https('B', P3, '--cert', '0123456789ABCDEF0123456789ABCDEF01234567'), code: 'GH_CERT_NOT_FOUND' },
    { name: 'a host name with bad characters', args: https('B', P3, '--host', 'bad_host!', '--sni', '--cert', 'C2'), code: 'GH_NAME_INVALID' },
    { name: 'a host name with an empty label', args: https('B', P3, '--host', 'a..test', '--sni', '--cert', 'C2'), code: 'GH_NAME_INVALID' },
    { name: 'a wildcard that is not the leftmost label', args: https('B', P3, '--host', 'a.*.test', '--sni', '--cert', 'C2'), code: 'GH_NAME_INVALID' },
    { name: 'port 0', args: https('B', 0, '--cert', 'C2'), code: 'GH_PORT_INVALID' },
    { name: 'port 70000', args: https('B', 70000, '--cert', 'C2'), code: 'GH_PORT_INVALID' },
    { name: 'an IPv4 address out of range', args: https('B', P3, '--ip', '999.1.1.1', '--cert', 'C2'), code: 'GH_IP_INVALID' },
    { name: 'an IP that is a name', args: https('B', P3, '--ip', 'localhost', '--cert', 'C2'), code: 'GH_IP_INVALID' },
    { name: 'http on a port that speaks https', args: ['binding', 'add', 'B', '--protocol', 'http', '--port', String(P1)], code: 'GH_PORT_PROTOCOL_CONFLICT' },
    { name: 'https on a port that speaks http', args: https('B', P2, '--host', 'b.test', '--sni', '--cert', 'C2'), code: 'GH_PORT_PROTOCOL_CONFLICT' },
    { name: 'http on a specific address of a port that speaks https on *', args: ['binding', 'add', 'B', '--protocol', 'http', '--ip', '127.0.0.1', '--port', String(P1)], code: 'GH_PORT_PROTOCOL_CONFLICT' },
    { name: 'a site that does not exist', args: https('nosuchsite', P3, '--cert', 'C2'), code: 'GH_SITE_NOT_FOUND' },
    { name: 'https without a certificate', args: https('B', P3), code: 'GH_BINDING_CERT_REQUIRED' },
    { name: 'edit without a certificate', args: ['binding', 'edit', 'A', '--protocol', 'https', '--port', String(P1)], code: 'GH_BINDING_CERT_REQUIRED' },
    { name: 'edit to an unknown certificate', args: ['binding', 'edit', 'A', '--protocol', 'https', '--port', String(P1), '--cert', 'nope'], code: 'GH_CERT_NOT_FOUND' },
    { name: 'edit a binding of a site that does not exist', args: ['binding', 'edit', 'nosuchsite', '--protocol', 'https', '--port', String(P1), '--cert', 'C2'], code: 'GH_SITE_NOT_FOUND' },
    { name: 'remove from a site that does not exist', args: ['binding', 'remove', 'nosuchsite', '--protocol', 'https', '--port', String(P1)], code: 'GH_SITE_NOT_FOUND' },
  ];

  // The full snapshot (certificates, requests, CA, audit log, revision, sites, bindings) is taken
  // before and after the whole table; after each case the revision, which every change bumps in
  // the same transaction as its audit record, and the bindings are compared (each CLI call costs
  // a Node start-up, so eight per case would make this file slow).
  const before = snapshotWithBindings(data);
  assert.equal(before.bindings.code, 0);
  assert.equal(JSON.parse(before.bindings.stdout).length, 4);
  assert.ok(before.revision > 0, 'serve --once reports the revision');
  const failures: string[] = [];
  for (const c of cases) {
    const r = gh(data, c.args);
    try {
      assertCleanError(r, c.code);
      if (c.message) assert.match(r.stderr, c.message, `message of ${c.code}`);
    } catch (e) {
      failures.push(`${c.name}: ${(e as Error).message.split('\n')[0]}\n${describeRun(r)}`);
      continue;
    }
    const revision = storeRevision(data);
    if (revision !== before.revision) failures.push(`${c.name}: the revision moved from ${before.revision} to ${revision} although the change was refused\n${describeRun(r)}`);
  }
  assert.deepEqual(snapshotWithBindings(data), before, 'a refused change left a trace in the store');
  assert.deepEqual(failures, [], failures.join('\n\n'));
});

test('an edit that changes another site\'s certificate on a shared endpoint needs --force', () => {
  const data = dataDir();
  const c1 = selfSignedCert(data, 'a.test', 'C1', ['--san', 'b.test']);
  const c2 = selfSignedCert(data, 'a.test', 'C2', ['--san', 'b.test']);
  ghJson(data, ['site', 'add', 'A', '--root', webRoot('A')]);
  ghJson(data, ['site', 'add', 'B', '--root', webRoot('B')]);
  ghJson(data, ['binding', 'add', 'A', '--protocol', 'https', '--port', String(P5), '--host', 'a.test', '--cert', 'C1']);
  // The same certificate as A on the same endpoint without SNI is allowed: one certificate per IP:port.
  ghJson(data, ['binding', 'add', 'B', '--protocol', 'https', '--port', String(P5), '--host', 'b.test', '--cert', 'C1']);

  const before = snapshotWithBindings(data);
  const edit = ['binding', 'edit', 'A', '--protocol', 'https', '--port', String(P5), '--host', 'a.test', '--cert', 'C2'];
  const r = ghFail(data, edit, 'GH_BINDING_AFFECTS_OTHERS');
  assert.match(r.stderr, /"B"/, 'the refusal names the other site');
  assert.deepEqual(snapshotWithBindings(data), before, 'the refused edit changed the store');
  const explainB = () => ghJson<{ certificate: { thumbprint: string } | null }>(data, ['binding', 'explain', '--port', String(P5), '--sni', 'b.test']);
  assert.equal(explainB().certificate?.thumbprint, c1);

  const forced = ghJson<{ binding: BindingJson; affected: Array<{ site: string; before: string | null; after: string | null }> }>(data, [...edit, '--force']);
  assert.equal(forced.binding.certificate, c2);
  assert.deepEqual(forced.affected.map((a) => [a.site, a.before, a.after]), [['B', c1, c2]]);
  const list = ghJson<BindingJson[]>(data, ['binding', 'list']);
  assert.deepEqual(list.map((b) => [b.site, b.certificate]).sort(), [['A', c2], ['B', c2]], 'the endpoint has one certificate: B follows');
  assert.equal(explainB().certificate?.thumbprint, c2, "B's clients get C2");
});

test('a binding on an address of its own takes the clients of that address from another site\'s * bindings: refused naming them, the store unchanged; --force applies; stopping, removing and starting its site are checked the same way', () => {
  const data = dataDir();
  const cContoso = selfSignedCert(data, 'www.contoso.test', 'contoso');
  const cFourth = selfSignedCert(data, 'fourth.test', 'fourth');
  ghJson(data, ['site', 'add', 'contoso', '--root', webRoot('contoso')]);
  ghJson(data, ['site', 'add', 'Fourth', '--root', webRoot('Fourth')]);
  ghJson(data, ['binding', 'add', 'contoso', '--protocol', 'https', '--port', String(P6), '--cert', 'contoso']);
  ghJson(data, ['binding', 'add', 'contoso', '--protocol', 'https', '--port', String(P6), '--host', 'www.contoso.test', '--cert', 'contoso']);
  interface Explain { certificate: { thumbprint: string } | null; site: string | null }
  const onLoopback = () => ghJson<Explain>(data, ['binding', 'explain', '--port', String(P6), '--ip', '127.0.0.1']);
  const named = () => ghJson<Explain>(data, ['binding', 'explain', '--port', String(P6), '--ip', '127.0.0.1', '--sni', 'www.contoso.test']);

  const add = ['binding', 'add', 'Fourth', '--protocol', 'https', '--ip', '127.0.0.1', '--port', String(P6), '--cert', 'fourth'];
  let before = snapshotWithBindings(data);
  const refused = ghFail(data, add, 'GH_BINDING_AFFECTS_OTHERS');
  assert.match(refused.stderr, new RegExp(`clients of site "contoso" that connect to 127\\.0\\.0\\.1:${P6} without a host name \\(https\\) would get the content of site "Fourth" and the certificate "fourth" instead of "contoso"`));
  assert.match(refused.stderr, /for www\.contoso\.test \(https\) would get the certificate "fourth" instead of "contoso"/, 'the host-named binding without SNI keeps its content but loses its certificate');
  assert.match(refused.stderr, /--force/);
  assert.deepEqual(snapshotWithBindings(data), before, 'the refused add changed the store');
  assert.deepEqual([onLoopback().certificate?.thumbprint, onLoopback().site], [cContoso, 'contoso']);

  const forced = ghJson<{ affected: Array<{ site: string; address: string; hosts: string[]; beforeSite: string; afterSite: string; text: string }> }>(data, [...add, '--force']);
  assert.deepEqual(forced.affected.map((a) => [a.site, a.address, a.hosts, a.beforeSite, a.afterSite]), [['contoso', '127.0.0.1', [''], 'contoso', 'Fourth'], ['contoso', '127.0.0.1', ['www.contoso.test'], 'contoso', 'contoso']]);
  assert.deepEqual([onLoopback().certificate?.thumbprint, onLoopback().site], [cFourth, 'Fourth']);
  assert.deepEqual([named().certificate?.thumbprint, named().site], [cFourth, 'contoso']);

  // Stopping Fourth hands those clients back to contoso: that reaches contoso too.
  before = snapshotWithBindings(data);
  const stop = ghFail(data, ['site', 'stop', 'Fourth'], 'GH_BINDING_AFFECTS_OTHERS');
  assert.match(stop.stderr, /Stopping site "Fourth" reaches other sites \("contoso"\): clients of site "Fourth" that connect to 127\.0\.0\.1:\d+ without a host name \(https\) would get the content of site "contoso"/);
  ghFail(data, ['site', 'remove', 'Fourth'], 'GH_BINDING_AFFECTS_OTHERS');
  ghFail(data, ['binding', 'remove', 'Fourth', '--protocol', 'https', '--ip', '127.0.0.1', '--port', String(P6)], 'GH_BINDING_AFFECTS_OTHERS');
  assert.deepEqual(snapshotWithBindings(data), before, 'a refused stop, remove or binding removal changed the store');
  assert.equal(onLoopback().site, 'Fourth');

  const stopped = gh(data, ['site', 'stop', 'Fourth', '--force']);
  assert.equal(stopped.code, 0, describeRun(stopped));
  assert.match(stopped.stdout, /Site "Fourth" is stopped\.\nAlso changed: clients of site "Fourth" that connect to 127\.0\.0\.1:\d+ without a host name \(https\) now get the content of site "contoso" and the certificate "contoso" instead of "fourth"\./);
  assert.deepEqual([onLoopback().certificate?.thumbprint, onLoopback().site], [cContoso, 'contoso']);

  // Starting it takes them again; its own binding on a port of its own reaches no one.
  ghFail(data, ['site', 'start', 'Fourth'], 'GH_BINDING_AFFECTS_OTHERS');
  ghJson(data, ['site', 'start', 'Fourth', '--force']);
  assert.equal(onLoopback().site, 'Fourth');
  ghJson(data, ['binding', 'add', 'Fourth', '--protocol', 'https', '--port', String(P8), '--cert', 'fourth']);
  ghJson(data, ['binding', 'remove', 'Fourth', '--protocol', 'https', '--port', String(P8)]);
  const removed = ghJson<{ affected: Array<{ site: string }> }>(data, ['site', 'remove', 'Fourth', '--force']);
  assert.deepEqual([...new Set(removed.affected.map((a) => a.site))], ['contoso']);
  assert.equal(onLoopback().site, 'contoso');
});

test('warnings: a certificate that does not cover the host, or expires within 30 days (exit 0)', () => {
  const data = dataDir();
  selfSignedCert(data, 'www.contoso.test', 'contoso');
  const wild = selfSignedCert(data, '*.contoso.test', 'wild-contoso');
  selfSignedCert(data, 'soon.test', 'soon', ['--days', '10']);
  ghJson(data, ['site', 'add', 'A', '--root', webRoot('A')]);

  const mismatch = gh(data, ['binding', 'add', 'A', '--protocol', 'https', '--port', String(P6), '--host', 'shop.test', '--sni', '--cert', 'contoso']);
  assert.equal(mismatch.code, 0, describeRun(mismatch));
  const lines = mismatch.stderr.trim().split('\n');
  assert.equal(lines.length, 1, describeRun(mismatch));
  assert.match(lines[0]!, /^warning: .*shop\.test/, describeRun(mismatch));
  assert.doesNotMatch(mismatch.stderr, /error:/);
  assert.equal(ghJson<BindingJson[]>(data, ['binding', 'list']).length, 1, 'a warning does not stop the change');

  // The JSON result carries the warnings too.
  const json = gh(data, ['binding', 'add', 'A', '--protocol', 'https', '--port', String(P6), '--host', 'other.test', '--sni', '--cert', 'contoso', '--json']);
  assert.equal(json.code, 0, describeRun(json));
  assert.equal(json.json<{ warnings: string[] }>().warnings.length, 1);
  assert.match(json.json<{ warnings: string[] }>().warnings[0]!, /other\.test/);

  // A one-label wildcard covers a.contoso.test but not a.b.contoso.test.
  const covered = gh(data, ['binding', 'add', 'A', '--protocol', 'https', '--port', String(P6), '--host', 'a.contoso.test', '--sni', '--cert', wild]);
  assert.equal(covered.code, 0, describeRun(covered));
  assert.equal(covered.stderr, '', `no warning for a name the wildcard covers:\n${describeRun(covered)}`);
  const deep = gh(data, ['binding', 'add', 'A', '--protocol', 'https', '--port', String(P6), '--host', 'a.b.contoso.test', '--sni', '--cert', wild]);
  assert.equal(deep.code, 0, describeRun(deep));
  assert.match(deep.stderr, /^warning: .*a\.b\.contoso\.test/m, describeRun(deep));

  const soon = gh(data, ['binding', 'add', 'A', '--protocol', 'https', '--port', String(P6), '--host', 'soon.test', '--sni', '--cert', 'soon']);
  assert.equal(soon.code, 0, describeRun(soon));
  assert.match(soon.stderr.trim(), /^warning: .*(30 days|expires)/, describeRun(soon));
  assert.equal(soon.stderr.trim().split('\n').length, 1, describeRun(soon));

  const ok = gh(data, ['binding', 'add', 'A', '--protocol', 'https', '--port', String(P6), '--host', 'www.contoso.test', '--sni', '--cert', 'contoso']);
  assert.equal(ok.code, 0, describeRun(ok));
  assert.equal(ok.stderr, '', `a matching, long-lived certificate gives no warning:\n${describeRun(ok)}`);
});

test('binding explain: the certificate and the rule for each kind of client', () => {
  const data = dataDir();
  const c1 = selfSignedCert(data, 'www.contoso.test', 'C1');
  const cShop = selfSignedCert(data, 'shop.test', 'shop');
  const cWild = selfSignedCert(data, '*.x.test', 'wild');
  const cLocal = selfSignedCert(data, 'local.test', 'local');
  ghJson(data, ['site', 'add', 'contoso', '--root', webRoot('contoso')]);
  ghJson(data, ['site', 'add', 'shop', '--root', webRoot('shop')]);
  ghJson(data, ['site', 'add', 'wild', '--root', webRoot('wild')]);
  ghJson(data, ['site', 'add', 'local', '--root', webRoot('local')]);
  ghJson(data, ['binding', 'add', 'contoso', '--protocol', 'https', '--port', String(P7), '--cert', 'C1']);
  ghJson(data, ['binding', 'add', 'shop', '--protocol', 'https', '--port', String(P7), '--host', 'shop.test', '--sni', '--cert', 'shop']);
  ghJson(data, ['binding', 'add', 'wild', '--protocol', 'https', '--port', String(P7), '--host', '*.x.test', '--sni', '--cert', 'wild']);
  // An address of its own takes that address's clients from contoso's * binding: it needs --force.
  ghFail(data, ['binding', 'add', 'local', '--protocol', 'https', '--ip', '127.0.0.1', '--port', String(P7), '--cert', 'local'], 'GH_BINDING_AFFECTS_OTHERS');
  ghJson(data, ['binding', 'add', 'local', '--protocol', 'https', '--ip', '127.0.0.1', '--port', String(P7), '--cert', 'local', '--force']);

  interface Explain { certificate: { thumbprint: string; friendlyName: string } | null; rule: string; site: string | null; routeRule: string | null; listening: boolean }
  const explain = (...args: string[]) => ghJson<Explain>(data, ['binding', 'explain', '--port', String(P7), ...args]);
  const rows: Array<{ args: string[]; cert: string | null; rule: string; site: string | null; routeRule?: string | null }> = [
    { args: ['--sni', 'shop.test'], cert: cShop, rule: 'sni-exact', site: 'shop', routeRule: 'host-exact' },
    { args: ['--sni', 'SHOP.test'], cert: cShop, rule: 'sni-exact', site: 'shop' },
    { args: ['--sni', 'a.x.test'], cert: cWild, rule: 'sni-wildcard', site: 'wild', routeRule: 'host-wildcard' },
    { args: ['--sni', 'x.test'], cert: c1, rule: 'all-unassigned', site: 'contoso', routeRule: 'catch-all' },
    { args: ['--sni', 'a.b.x.test'], cert: c1, rule: 'all-unassigned', site: 'contoso' },
    { args: [], cert: c1, rule: 'all-unassigned', site: 'contoso', routeRule: 'catch-all' },
    { args: ['--sni', 'unknown.test'], cert: c1, rule: 'all-unassigned', site: 'contoso' },
    // A client without SNI on an address with its own binding gets that one; with SNI the SNI binding still wins.
    { args: ['--ip', '127.0.0.1'], cert: cLocal, rule: 'ip-port', site: 'local' },
    { args: ['--ip', '127.0.0.1', '--sni', 'shop.test'], cert: cShop, rule: 'sni-exact', site: 'shop' },
    { args: ['--ip', '127.0.0.1', '--sni', 'unknown.test'], cert: cLocal, rule: 'ip-port', site: 'local' },
    // Host header different from SNI: the certificate follows SNI, the site follows Host.
    { args: ['--sni', 'shop.test', '--host', 'www.contoso.test'], cert: cShop, rule: 'sni-exact', site: 'contoso' },
  ];
  const failures: string[] = [];
  for (const row of rows) {
    const e = explain(...row.args);
    const got = { cert: e.certificate?.thumbprint ?? null, rule: e.rule, site: e.site, ...(row.routeRule !== undefined ? { routeRule: e.routeRule } : {}) };
    const want = { cert: row.cert, rule: row.rule, site: row.site, ...(row.routeRule !== undefined ? { routeRule: row.routeRule } : {}) };
    try {
      assert.deepEqual(got, want);
    } catch {
      failures.push(`explain ${row.args.join(' ') || '(no SNI)'}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
    }
  }
  assert.deepEqual(failures, [], failures.join('\n'));
  assert.equal(explain('--sni', 'shop.test').certificate?.friendlyName, 'shop');

  // A port with no bindings at all: nothing listens there, and explain says so (not "decided by nothing matches").
  const none = ghJson<Explain & { listening: boolean; ruleText: string }>(data, ['binding', 'explain', '--port', String(P8), '--sni', 'shop.test']);
  assert.equal(none.listening, false);
  assert.equal(none.certificate, null);
  assert.equal(none.rule, 'none');
  assert.equal(none.site, null);
  const noneText = gh(data, ['binding', 'explain', '--port', String(P8)]);
  assert.equal(noneText.code, 0, describeRun(noneText));
  assert.equal(noneText.stdout.trim(), `Nothing listens on port ${P8}: no binding of any started site uses it.`);
  assert.doesNotMatch(noneText.stdout, /decided by/);
  assert.equal(explain().listening, true);

  // A stopped site's bindings take no part.
  ghJson(data, ['site', 'stop', 'shop']);
  const stopped = explain('--sni', 'shop.test');
  assert.equal(stopped.certificate?.thumbprint, c1);
  assert.equal(stopped.rule, 'all-unassigned');
  assert.equal(stopped.site, 'contoso');
  ghJson(data, ['site', 'start', 'shop']);
  assert.equal(explain('--sni', 'shop.test').rule, 'sni-exact');
  ghFail(data, ['binding', 'explain', '--port', '0'], 'GH_PORT_INVALID');
});

test('cert remove is refused while bindings use the certificate; --force removes those bindings too', () => {
  const data = dataDir();
  const used = selfSignedCert(data, 'www.contoso.test', 'used');
  const other = selfSignedCert(data, 'shop.test', 'other');
  ghJson(data, ['site', 'add', 'contoso', '--root', webRoot('contoso')]);
  ghJson(data, ['site', 'add', 'shop', '--root', webRoot('shop')]);
  ghJson(data, ['binding', 'add', 'contoso', '--protocol', 'https', '--port', String(P8), '--cert', 'used']);
  ghJson(data, ['binding', 'add', 'contoso', '--protocol', 'https', '--port', String(P8), '--host', 'www.contoso.test', '--sni', '--cert', 'used']);
  ghJson(data, ['binding', 'add', 'shop', '--protocol', 'https', '--port', String(P8), '--host', 'shop.test', '--sni', '--cert', 'other']);

  const before = snapshotWithBindings(data);
  const refused = ghFail(data, ['cert', 'remove', 'used'], 'GH_CERT_IN_USE');
  assert.match(refused.stderr, /contoso/, 'the refusal says which bindings use it');
  assert.deepEqual(snapshotWithBindings(data), before, 'a refused cert remove changed the store');

  const forced = ghJson<{ thumbprint: string; removed: boolean; bindingsRemoved: string[] }>(data, ['cert', 'remove', 'used', '--force']);
  assert.equal(forced.thumbprint, used);
  assert.equal(forced.bindingsRemoved.length, 2, JSON.stringify(forced));
  const certs = ghJson<Array<{ thumbprint: string }>>(data, ['cert', 'list']).map((c) => c.thumbprint);
  assert.deepEqual(certs, [other]);
  const bindings = ghJson<BindingJson[]>(data, ['binding', 'list']);
  assert.deepEqual(bindings.map((b) => [b.site, b.host, b.certificate]), [['shop', 'shop.test', other]], 'only the bindings of the removed certificate went');
  // With no binding left that uses it, the other certificate can go without --force after its binding goes.
  ghJson(data, ['binding', 'remove', 'shop', '--protocol', 'https', '--port', String(P8), '--host', 'shop.test']);
  ghJson(data, ['cert', 'remove', 'other']);
  assert.deepEqual(ghJson<unknown[]>(data, ['cert', 'list']), []);
});
