// End-to-end: one error code, worded for each face. The CLI names its flags and commands, the
// admin API its fields and routes, the console (X-Gatehouse-Wording: console) its buttons and
// fields — for refusals and for the warnings of a change that was made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataDir, freePorts, gh, ghFail, ghJson, selfSignedCert, tmpDir } from '../support/cli.js';
import { AdminServer, addUser, adminSnapshot, assertProblem, assertWarningsWorded, createToken } from '../support/admin.js';

const LIMIT = { timeout: 180_000 };
const CONSOLE = { 'x-gatehouse-wording': 'console' };

test('a refused binding change: the same code, with --force/--host/--sni on the CLI, "force"/"host"/"sni" in the API, "Apply anyway"/"Host name"/"Require Server Name Indication" for the console', LIMIT, async (t) => {
  const data = dataDir();
  addUser(data, 'alice', 'organization-management');
  const token = createToken(data, 'alice');
  const first = selfSignedCert(data, 'www.contoso.test', 'first');
  selfSignedCert(data, 'new.contoso.test', 'second');
  const [port] = await freePorts(1);
  for (const [site, host] of [['Contoso', ''], ['Fabrikam', 'www.fabrikam.test']] as const) {
    ghJson(data, ['site', 'add', site, '--root', tmpDir('gh-www-')]);
    ghJson(data, ['binding', 'add', site, '--protocol', 'https', '--port', String(port), '--cert', first, ...(host ? ['--host', host] : [])]);
  }
  const admin = await AdminServer.start(data);
  t.after(() => admin.stop());
  const before = await adminSnapshot(data);

  const cli = ghFail(data, ['binding', 'edit', 'Contoso', '--protocol', 'https', '--port', String(port), '--cert', 'second'], 'GH_BINDING_AFFECTS_OTHERS');
  assert.match(cli.stderr, /use --force; or give this site a host name with --host and require SNI with --sni, or another address or port\. \(GH_BINDING_AFFECTS_OTHERS\)/, cli.stderr);

  const body = { protocol: 'https', port, cert: 'second' };
  const api = await admin.call('PATCH', '/api/v1/sites/Contoso/bindings', { token, body });
  assertProblem(api, 409, 'GH_BINDING_AFFECTS_OTHERS');
  assert.match(api.json.detail, /use "force": true; or give this site a host name with "host" and require SNI with "sni": true, or another address or port\./, api.json.detail);
  assert.match(api.json.title, /use "force": true to apply it anyway/);

  const forConsole = await admin.call('PATCH', '/api/v1/sites/Contoso/bindings', { token, body, headers: CONSOLE });
  assertProblem(forConsole, 409, 'GH_BINDING_AFFECTS_OTHERS');
  assert.match(forConsole.json.detail, /use "Apply anyway"; or give this site a host name with "Host name" and require SNI with "Require Server Name Indication", or another address or port\./, forConsole.json.detail);
  assert.doesNotMatch(forConsole.json.detail, /"force"|"sni"/, 'no API field for the console');

  // The rest of the message is the same in all three: the sites it reaches.
  for (const text of [cli.stderr, api.json.detail, forConsole.json.detail]) assert.match(text, /clients of site "Fabrikam" on port \d+ for www\.fabrikam\.test \(https\) would get the certificate "second" instead of "first"/);
  assert.deepEqual(await adminSnapshot(data), before, 'nothing changed');

  // And the change each face's words describe is the one that applies it.
  const applied = await admin.call('PATCH', '/api/v1/sites/Contoso/bindings', { token, body: { ...body, force: true } });
  assert.equal(applied.status, 200, applied.text);
  assertWarningsWorded(applied, 'the forced edit');
});

test('warnings are worded per face too: a mail listener without an assigned certificate', LIMIT, async (t) => {
  const data = dataDir();
  addUser(data, 'alice', 'organization-management');
  const token = createToken(data, 'alice');
  const [p1, p2, p3] = await freePorts(3);
  const admin = await AdminServer.start(data);
  t.after(() => admin.stop());

  const cli = gh(data, ['service', 'configure', 'smtp', '--listen', `127.0.0.1:${p1}`, '--backend', '127.0.0.1:10025', '--json']);
  assert.equal(cli.code, 0, cli.stderr);
  const cliWarning = 'No certificate is assigned to SMTP yet, so clients without a matching SNI name cannot start TLS: "gatehouse service assign REF --services smtp".';
  assert.equal(cli.stderr, `warning: ${cliWarning}\n`);
  assert.deepEqual((JSON.parse(cli.stdout) as { warnings: string[] }).warnings, [cliWarning], '--json carries the CLI\'s words, no markup');

  const api = await admin.call('POST', '/api/v1/services/smtp/listeners', { token, body: { listen: `127.0.0.1:${p2}`, backend: '127.0.0.1:10025' } });
  assert.equal(api.status, 201, api.text);
  assertWarningsWorded(api, 'the API');
  assert.deepEqual(api.json.warnings, ['No certificate is assigned to SMTP yet, so clients without a matching SNI name cannot start TLS: POST /api/v1/services/assign with "services": ["smtp"].']);

  const forConsole = await admin.call('POST', '/api/v1/services/smtp/listeners', { token, headers: CONSOLE, body: { listen: `127.0.0.1:${p3}`, backend: '127.0.0.1:10025' } });
  assert.equal(forConsole.status, 201, forConsole.text);
  assertWarningsWorded(forConsole, 'the console');
  assert.deepEqual(forConsole.json.warnings, ['No certificate is assigned to SMTP yet, so clients without a matching SNI name cannot start TLS: "Assign Services to Certificate…" on the Services page.']);
});
