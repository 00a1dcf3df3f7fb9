// Sites and bindings through the admin API: a change that reaches other sites' clients (a binding
// on an address of its own, stopping or removing its site) is a 409 GH_BINDING_AFFECTS_OTHERS that
// names them and changes nothing; "force": true (force=true in the query of stop, start and
// DELETE) applies it and says whom it reached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataDir, freePorts, ghJson, join, selfSignedCert, tmpDir, writeText } from '../support/cli.js';
import { AdminServer, addUser, adminSnapshot, assertProblem, createToken } from '../support/admin.js';

test('the API refuses a specific-address binding and a site stop that reach another site\'s clients, with the store unchanged; force applies them', { timeout: 180_000 }, async (t) => {
  const data = dataDir();
  const [port] = (await freePorts(1)) as [number];
  const root = tmpDir('gh-www-');
  writeText(join(root, 'index.html'), '<h1>site</h1>\n');
  selfSignedCert(data, 'www.contoso.test', 'contoso');
  const fourth = selfSignedCert(data, 'fourth.test', 'fourth');
  ghJson(data, ['site', 'add', 'contoso', '--root', root]);
  ghJson(data, ['site', 'add', 'Fourth', '--root', root]);
  ghJson(data, ['binding', 'add', 'contoso', '--protocol', 'https', '--port', String(port), '--cert', 'contoso']);
  addUser(data, 'alice', 'server-management');
  const token = createToken(data, 'alice');
  const admin = await AdminServer.start(data);
  t.after(() => admin.stop());
  const call = (method: string, path: string, body?: unknown) => admin.call(method, `/api/v1${path}`, body === undefined ? { token } : { token, body });
  const binding = { protocol: 'https', ip: '127.0.0.1', port, cert: fourth };

  let before = await adminSnapshot(data);
  const refused = await call('POST', '/sites/Fourth/bindings', binding);
  assertProblem(refused, 409, 'GH_BINDING_AFFECTS_OTHERS', 'a binding on 127.0.0.1 beside contoso\'s *');
  assert.match(refused.json.detail, new RegExp(`clients of site "contoso" that connect to 127\\.0\\.0\\.1:${port} without a host name \\(https\\) would get the content of site "Fourth" and the certificate "fourth" instead of "contoso"`));
  assert.deepEqual(await adminSnapshot(data), before, 'the refused binding changed the store');

  const added = await call('POST', '/sites/Fourth/bindings', { ...binding, force: true });
  assert.equal(added.status, 201, added.text);
  assert.deepEqual(added.json.affected.map((a: { site: string; afterSite: string }) => [a.site, a.afterSite]), [['contoso', 'Fourth']]);
  assert.match(added.json.affected[0].text, /would get the content of site "Fourth"/);

  before = await adminSnapshot(data);
  const stop = await call('POST', '/sites/Fourth/stop');
  assertProblem(stop, 409, 'GH_BINDING_AFFECTS_OTHERS', 'stopping Fourth hands its clients to contoso');
  assert.match(stop.json.detail, /Stopping site "Fourth" reaches other sites \("contoso"\)/);
  assertProblem(await call('DELETE', '/sites/Fourth'), 409, 'GH_BINDING_AFFECTS_OTHERS', 'removing Fourth');
  assertProblem(await call('DELETE', `/sites/Fourth/bindings?protocol=https&ip=127.0.0.1&port=${port}`), 409, 'GH_BINDING_AFFECTS_OTHERS', 'removing its binding');
  assert.deepEqual(await adminSnapshot(data), before, 'a refused stop or removal changed the store');

  const stopped = await call('POST', '/sites/Fourth/stop?force=true');
  assert.equal(stopped.status, 200, stopped.text);
  assert.equal(stopped.json.state, 'stopped');
  assert.deepEqual(stopped.json.affected.map((a: { site: string; beforeSite: string; afterSite: string }) => [a.site, a.beforeSite, a.afterSite]), [['contoso', 'Fourth', 'contoso']]);
  const explained = await call('GET', `/bindings/explain?port=${port}&ip=127.0.0.1`);
  assert.equal(explained.json.site, 'contoso');
  const unused = await call('GET', `/bindings/explain?port=${port === 65535 ? 1 : port + 1}`);
  assert.equal(unused.json.listening, false);
  assert.match(unused.json.ruleText, /^nothing listens on port \d+: no binding of any started site uses it$/);
});
