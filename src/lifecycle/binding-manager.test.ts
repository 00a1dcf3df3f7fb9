import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Gatehouse } from './gatehouse.js';
import type { Certificate } from '../model/certificate.js';
import { DAY, fixture, refused, refusedUnchanged, selfSigned } from './managers.test-support.js';

const PROXY = 'http://127.0.0.1:8080';

/** Sites A and B, and two certificates: "one" for a.contoso.com and b.contoso.com, "two" for *.contoso.com. */
async function twoSites(t: { after: (fn: () => void) => void }): Promise<{ g: Gatehouse; one: Certificate; two: Certificate; clock: ReturnType<typeof fixture>['clock'] }> {
  const { g, clock } = fixture(t);
  const one = await selfSigned(g, 'a.contoso.com', { sans: ['b.contoso.com'], friendlyName: 'one' });
  const two = await selfSigned(g, '*.contoso.com', { friendlyName: 'two' });
  g.sites.add({ name: 'A', proxy: PROXY });
  g.sites.add({ name: 'B', proxy: PROXY });
  return { g, one, two, clock };
}

test('add: http and https bindings, normalized (address, host name, certificate reference), in one audited change each', async (t) => {
  const { g, one } = await twoSites(t);
  const revision = g.serving.revision();
  const http = g.bindings.add({ site: 'A', protocol: ' HTTP ', port: 80 });
  assert.deepEqual(http, { binding: { site: 'A', protocol: 'http', ip: '*', port: 80, host: '', sni: false, certificate: null }, warnings: [], affected: [] });
  const https = g.bindings.add({ site: 'A', protocol: 'https', port: 443, ip: '::ffff:127.0.0.1', host: 'A.Contoso.com', cert: 'one' });
  assert.deepEqual(https.binding, { site: 'A', protocol: 'https', ip: '127.0.0.1', port: 443, host: 'a.contoso.com', sni: false, certificate: one.thumbprint });
  g.bindings.add({ site: 'B', protocol: 'https', port: 443, ip: '[::1]', cert: one.thumbprint.slice(0, 10) });
  assert.deepEqual(g.bindings.list('B').map((b) => b.ip), ['::1']);
  assert.equal(g.bindings.list().length, 3);
  assert.equal(g.serving.revision(), revision + 3);
  assert.deepEqual([g.audit().at(-1)!.action, g.audit().at(-1)!.target], ['binding.add', 'B: https [::1]:443:']);
});

test('add warns of a certificate that does not cover the host, or expires within 30 days', async (t) => {
  const { g, one } = await twoSites(t);
  const r = g.bindings.add({ site: 'A', protocol: 'https', port: 443, host: 'c.fabrikam.com', sni: true, cert: one.thumbprint });
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0]!, /does not cover c\.fabrikam\.com/);
  const soon = await selfSigned(g, 'soon.contoso.com', { days: 20 });
  assert.match(g.bindings.add({ site: 'B', protocol: 'https', port: 8443, cert: soon.thumbprint }).warnings.join('\n'), /within 30 days/);
});

test('add refuses what is not a binding: protocol, port, address, host name, missing certificate or site', async (t) => {
  const { g, one } = await twoSites(t);
  await refusedUnchanged(g, 'GH_BINDING_INVALID', () => g.bindings.add({ site: 'A', protocol: 'ftp', port: 21 }));
  await refusedUnchanged(g, 'GH_PORT_INVALID', () => g.bindings.add({ site: 'A', protocol: 'http', port: 0 }));
  await refusedUnchanged(g, 'GH_PORT_INVALID', () => g.bindings.add({ site: 'A', protocol: 'http', port: 65536 }));
  await refusedUnchanged(g, 'GH_PORT_INVALID', () => g.bindings.add({ site: 'A', protocol: 'http', port: undefined }));
  await refusedUnchanged(g, 'GH_IP_INVALID', () => g.bindings.add({ site: 'A', protocol: 'http', port: 80, ip: 'localhost' }));
  await refusedUnchanged(g, 'GH_NAME_INVALID', () => g.bindings.add({ site: 'A', protocol: 'http', port: 80, host: '10.0.0.1' }));
  await refusedUnchanged(g, 'GH_NAME_INVALID', () => g.bindings.add({ site: 'A', protocol: 'http', port: 80, host: 'bad host' }));
  await refusedUnchanged(g, 'GH_BINDING_CERT_REQUIRED', () => g.bindings.add({ site: 'A', protocol: 'https', port: 443 }));
  await refusedUnchanged(g, 'GH_BINDING_INVALID', () => g.bindings.add({ site: 'A', protocol: 'http', port: 80, cert: 'one' }));
  await refusedUnchanged(g, 'GH_CERT_NOT_FOUND', () => g.bindings.add({ site: 'A', protocol: 'https', port: 443, cert: 'nothing' }));
  await refusedUnchanged(g, 'GH_SITE_NOT_FOUND', () => g.bindings.add({ site: 'Z', protocol: 'https', port: 443, cert: one.thumbprint }));
  await refused('GH_SITE_NOT_FOUND', () => g.bindings.list('Z'));
});

test("add refuses what http.sys refuses: a binding twice, http and https on one port, SNI without a host — and writes nothing", async (t) => {
  const { g } = await twoSites(t);
  g.bindings.add({ site: 'A', protocol: 'https', port: 443, host: 'a.contoso.com', cert: 'one' });
  g.bindings.add({ site: 'A', protocol: 'http', port: 80 });
  await refusedUnchanged(g, 'GH_BINDING_EXISTS', () => g.bindings.add({ site: 'A', protocol: 'https', port: 443, host: 'A.contoso.com', cert: 'one' }));
  await refusedUnchanged(g, 'GH_BINDING_EXISTS', () => g.bindings.add({ site: 'B', protocol: 'http', port: 80 }));
  await refusedUnchanged(g, 'GH_PORT_PROTOCOL_CONFLICT', () => g.bindings.add({ site: 'B', protocol: 'http', port: 443 }));
  await refusedUnchanged(g, 'GH_PORT_PROTOCOL_CONFLICT', () => g.bindings.add({ site: 'B', protocol: 'https', port: 80, ip: '10.0.0.1', cert: 'one' }));
  await refusedUnchanged(g, 'GH_BINDING_SNI_NEEDS_HOST', () => g.bindings.add({ site: 'B', protocol: 'https', port: 443, sni: true, cert: 'two' }));
  await refusedUnchanged(g, 'GH_BINDING_SNI_NEEDS_HOST', () => g.bindings.add({ site: 'B', protocol: 'https', port: 443, host: ' ', sni: true, cert: 'two' }));
});

test('add refuses a second certificate on an IP:port without SNI; the same certificate, or SNI, is fine', async (t) => {
  const { g, two } = await twoSites(t);
  g.bindings.add({ site: 'A', protocol: 'https', port: 443, host: 'a.contoso.com', cert: 'one' });
  const e = await refusedUnchanged(g, 'GH_ENDPOINT_CERT_CONFLICT', () => g.bindings.add({ site: 'B', protocol: 'https', port: 443, host: 'b.contoso.com', cert: 'two' }));
  assert.match(e.message, /"one" from site "A"/);
  assert.equal(g.bindings.add({ site: 'B', protocol: 'https', port: 443, host: 'b.contoso.com', cert: 'one' }).affected.length, 0);
  assert.equal(g.bindings.add({ site: 'B', protocol: 'https', port: 443, host: 'c.contoso.com', sni: true, cert: 'two' }).binding.certificate, two.thumbprint);
  // Another address is another endpoint — but it takes that address's clients from A: refused, then forced.
  const spill = await refusedUnchanged(g, 'GH_BINDING_AFFECTS_OTHERS', () => g.bindings.add({ site: 'B', protocol: 'https', port: 443, ip: '127.0.0.2', cert: 'two' }));
  assert.match(spill.message, /clients of site "A" that connect to 127\.0\.0\.2:443 .* would get the certificate "two" instead of "one"/);
  assert.deepEqual(g.bindings.add({ site: 'B', protocol: 'https', port: 443, ip: '127.0.0.2', cert: 'two', force: true }).affected.map((a) => a.site), ['A']);
});

test("edit swaps a binding's certificate; it needs --cert and an existing https binding of this site", async (t) => {
  const { g, one, two } = await twoSites(t);
  g.bindings.add({ site: 'A', protocol: 'https', port: 443, host: 'a.contoso.com', sni: true, cert: 'one' });
  g.bindings.add({ site: 'A', protocol: 'http', port: 80 });
  const r = g.bindings.edit({ site: 'A', protocol: 'https', port: 443, host: 'a.contoso.com', cert: 'two' });
  assert.deepEqual([r.binding.certificate, r.binding.sni], [two.thumbprint, true], 'SNI stays as it was');
  assert.equal(g.bindings.list('A').find((b) => b.protocol === 'https')!.certificate, two.thumbprint);
  assert.equal(g.audit().at(-1)!.action, 'binding.edit');
  await refusedUnchanged(g, 'GH_BINDING_CERT_REQUIRED', () => g.bindings.edit({ site: 'A', protocol: 'https', port: 443, host: 'a.contoso.com' }));
  await refusedUnchanged(g, 'GH_BINDING_NOT_FOUND', () => g.bindings.edit({ site: 'B', protocol: 'https', port: 443, host: 'a.contoso.com', cert: one.thumbprint }));
  await refusedUnchanged(g, 'GH_BINDING_NOT_FOUND', () => g.bindings.edit({ site: 'A', protocol: 'https', port: 8443, host: 'a.contoso.com', cert: one.thumbprint }));
  await refusedUnchanged(g, 'GH_BINDING_INVALID', () => g.bindings.edit({ site: 'A', protocol: 'http', port: 80, cert: one.thumbprint }));
});

test('edit of a shared endpoint is refused while it reaches other sites, and names them; --force moves them all', async (t) => {
  const { g, one, two } = await twoSites(t);
  g.bindings.add({ site: 'A', protocol: 'https', port: 443, host: 'a.contoso.com', cert: 'one' });
  g.bindings.add({ site: 'B', protocol: 'https', port: 443, host: 'b.contoso.com', cert: 'one' });
  const edit = { site: 'A', protocol: 'https', port: 443, host: 'a.contoso.com', cert: 'two' };
  const e = await refusedUnchanged(g, 'GH_BINDING_AFFECTS_OTHERS', () => g.bindings.edit(edit));
  assert.match(e.message, /clients of site "B" on port 443 for b\.contoso\.com \(https\) would get the certificate "two" instead of "one"/);
  const r = g.bindings.edit({ ...edit, force: true });
  assert.deepEqual(r.affected.map((a) => [a.site, a.before, a.after]), [['B', one.thumbprint, two.thumbprint]]);
  assert.deepEqual(g.bindings.list().map((b) => b.certificate), [two.thumbprint, two.thumbprint]);
});

test('remove takes one binding; one the site does not have is refused', async (t) => {
  const { g, one } = await twoSites(t);
  g.bindings.add({ site: 'A', protocol: 'https', port: 443, cert: 'one' });
  g.bindings.add({ site: 'A', protocol: 'http', port: 80 });
  await refusedUnchanged(g, 'GH_BINDING_NOT_FOUND', () => g.bindings.remove({ site: 'B', protocol: 'https', port: 443 }));
  await refusedUnchanged(g, 'GH_BINDING_NOT_FOUND', () => g.bindings.remove({ site: 'A', protocol: 'https', port: 443, host: 'a.contoso.com' }));
  const r = g.bindings.remove({ site: 'A', protocol: 'https', port: 443 });
  assert.deepEqual(r.binding, { site: 'A', protocol: 'https', ip: '*', port: 443, host: '', sni: false, certificate: one.thumbprint }, 'the stored binding, with its certificate');
  assert.deepEqual(g.bindings.list().map((b) => b.protocol), ['http']);
  assert.equal(g.audit().at(-1)!.action, 'binding.remove');
});

test('add refuses a port a mail listener holds', async (t) => {
  const { g } = await twoSites(t);
  g.services.configure({ service: 'smtp', listen: '*:2525', backend: '127.0.0.1:10025' });
  await refusedUnchanged(g, 'GH_LISTENER_CONFLICT', () => g.bindings.add({ site: 'A', protocol: 'http', port: 2525, ip: '127.0.0.1' }));
});

test('explain: which certificate a client gets and by which rule, and which site answers', async (t) => {
  const { g, one, two } = await twoSites(t);
  g.bindings.add({ site: 'A', protocol: 'https', port: 443, cert: 'one' });
  g.bindings.add({ site: 'B', protocol: 'https', port: 443, host: 'b.contoso.com', sni: true, cert: 'two' });
  g.bindings.add({ site: 'B', protocol: 'https', port: 443, host: '*.fabrikam.com', sni: true, cert: 'two' });
  g.bindings.add({ site: 'B', protocol: 'https', port: 8443, ip: '127.0.0.1', cert: 'two' });
  g.bindings.add({ site: 'A', protocol: 'http', port: 80 });
  const sni = g.bindings.explain({ port: 443, sni: 'B.contoso.com' });
  assert.deepEqual(sni, {
    listening: true,
    certificate: { thumbprint: two.thumbprint, friendlyName: 'two' }, rule: 'sni-exact', ruleText: sni.ruleText, tlsBinding: 'https *:443:b.contoso.com (site "B")',
    site: 'B', routeRule: 'host-exact', routeBinding: 'https *:443:b.contoso.com',
  });
  assert.equal(g.bindings.explain({ port: 443, sni: 'www.fabrikam.com' }).rule, 'sni-wildcard');
  const noSni = g.bindings.explain({ port: 443 });
  assert.deepEqual([noSni.rule, noSni.certificate?.friendlyName, noSni.site], ['all-unassigned', 'one', 'A']);
  assert.deepEqual([g.bindings.explain({ port: 443, sni: 'unknown.test' }).rule, g.bindings.explain({ port: 443, sni: 'unknown.test' }).certificate?.thumbprint], ['all-unassigned', one.thumbprint]);
  assert.equal(g.bindings.explain({ port: 8443, ip: '127.0.0.1' }).rule, 'ip-port');
  assert.deepEqual(g.bindings.explain({ port: 8443, ip: '127.0.0.2' }).rule, 'none');
  assert.equal(g.bindings.explain({ port: 8443, ip: '127.0.0.2' }).certificate, null);
  const http = g.bindings.explain({ port: 80, protocol: 'http', host: 'anything.test' });
  assert.deepEqual([http.certificate, http.ruleText, http.site], [null, 'plain http: no certificate', 'A']);
  await refused('GH_PORT_INVALID', () => g.bindings.explain({ port: undefined }));
  await refused('GH_IP_INVALID', () => g.bindings.explain({ port: 443, ip: 'nope' }));
});

test('explain: a stopped site takes no part in the selection', async (t) => {
  const { g } = await twoSites(t);
  g.bindings.add({ site: 'A', protocol: 'https', port: 443, cert: 'one' });
  g.sites.setState('A', 'stopped');
  assert.equal(g.bindings.explain({ port: 443 }).rule, 'none');
});

test('add warns of an expired certificate by the injected clock', async (t) => {
  const { g, clock } = await twoSites(t);
  clock.advance(366 * DAY);
  assert.match(g.bindings.add({ site: 'A', protocol: 'https', port: 443, cert: 'one' }).warnings.join('\n'), /expired on/);
});

test('a change is planned against the bindings it can meet, however far away in the list: conflicts with the last of 200 bindings are refused, the store unchanged', async (t) => {
  const { g, one, two } = await twoSites(t);
  // 200 SNI bindings of 200 sites between A and the last site, Z, which holds the endpoint *:443 without SNI and port 8080 for http.
  for (let i = 0; i < 200; i++) {
    const name = `M${String(i).padStart(3, '0')}`;
    g.sites.add({ name, proxy: PROXY });
    g.bindings.add({ site: name, protocol: 'https', port: 443, host: `${name.toLowerCase()}.contoso.com`, sni: true, cert: two.thumbprint });
  }
  g.sites.add({ name: 'Z', proxy: PROXY });
  g.bindings.add({ site: 'Z', protocol: 'https', port: 443, cert: one.thumbprint });
  g.bindings.add({ site: 'Z', protocol: 'http', port: 8080 });
  g.bindings.add({ site: 'Z', protocol: 'https', port: 443, host: 'z.contoso.com', sni: true, cert: two.thumbprint });
  assert.equal(g.bindings.list()[0]!.site, 'M000', 'the store lists by site: Z comes last');
  // Another certificate on the endpoint Z holds without SNI.
  await refusedUnchanged(g, 'GH_ENDPOINT_CERT_CONFLICT', () => g.bindings.add({ site: 'A', protocol: 'https', port: 443, host: 'a.contoso.com', cert: two.thumbprint }));
  // https on the port Z speaks http on.
  await refusedUnchanged(g, 'GH_PORT_PROTOCOL_CONFLICT', () => g.bindings.add({ site: 'A', protocol: 'https', port: 8080, host: 'a.contoso.com', sni: true, cert: one.thumbprint }));
  // The (protocol, address, port, host) Z has.
  await refusedUnchanged(g, 'GH_BINDING_EXISTS', () => g.bindings.add({ site: 'A', protocol: 'https', port: 443, host: 'z.contoso.com', sni: true, cert: one.thumbprint }));
  // An address of its own takes that address's clients from Z's * binding.
  const reached = await refusedUnchanged(g, 'GH_BINDING_AFFECTS_OTHERS', () => g.bindings.add({ site: 'A', protocol: 'https', port: 443, ip: '127.0.0.1', cert: two.thumbprint }));
  assert.match(reached.message, /"Z"/);
  // Editing a binding among them writes that one row, not the 200.
  const revision = g.serving.revision();
  g.bindings.edit({ site: 'M150', protocol: 'https', port: 443, host: 'm150.contoso.com', sni: true, cert: one.thumbprint });
  assert.equal(g.serving.revision(), revision + 1);
  assert.deepEqual(g.bindings.list().filter((b) => b.certificate === one.thumbprint).map((b) => `${b.site} ${b.host}`), ['M150 m150.contoso.com', 'Z ']);
});
