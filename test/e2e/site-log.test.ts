// A site's access log switch (`site set NAME --log off|w3c|combined`, the API's "logFormat", the
// console's "Access log format"): every way in takes the three values, refuses anything else with
// the store unchanged, and `--log-format` (the earlier name) still works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataDir, ghFail, ghJson, tmpDir, writeText, join } from '../support/cli.js';
import { AdminServer, addUser, adminSnapshot, assertProblem, createToken } from '../support/admin.js';

test('site --log off|w3c|combined through the CLI and the API; other values refused with the store unchanged', { timeout: 120_000 }, async (t) => {
  const data = dataDir();
  const root = tmpDir('gh-www-');
  writeText(join(root, 'index.html'), '<h1>site</h1>\n');
  assert.equal(ghJson<{ logFormat: string }>(data, ['site', 'add', 'Web', '--root', root, '--log', 'off']).logFormat, 'off');
  assert.equal(ghJson<{ logFormat: string }>(data, ['site', 'set', 'Web', '--log-format', 'combined']).logFormat, 'combined');
  assert.equal(ghJson<{ logFormat: string }>(data, ['site', 'set', 'Web', '--log', 'W3C', '--log-format', 'w3c']).logFormat, 'w3c');
  const before = await adminSnapshot(data);
  ghFail(data, ['site', 'set', 'Web', '--log', 'none'], 'GH_USAGE', 2);
  ghFail(data, ['site', 'set', 'Web', '--log', 'off', '--log-format', 'combined'], 'GH_USAGE', 2);
  assert.deepEqual(await adminSnapshot(data), before, 'a refused --log changed the store');

  addUser(data, 'alice', 'server-management');
  const token = createToken(data, 'alice');
  const admin = await AdminServer.start(data);
  t.after(() => admin.stop());
  const off = await admin.call('PATCH', '/api/v1/sites/Web', { token, body: { logFormat: 'off' } });
  assert.equal(off.status, 200, off.text);
  assert.equal(off.json.logFormat, 'off');
  assert.equal((await admin.call('GET', '/api/v1/sites/Web', { token })).json.logFormat, 'off');
  const after = await adminSnapshot(data);
  const refused = await admin.call('PATCH', '/api/v1/sites/Web', { token, body: { logFormat: 'none' } });
  assert.equal(refused.status, 400, refused.text);
  assert.deepEqual(await adminSnapshot(data), after, 'a refused logFormat changed the store');
});
