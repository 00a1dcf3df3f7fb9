// ACME accounts against pebble (Debian's test ACME CA): add, list, show, remove; External Account
// Binding required by pebble's config (no key refused, a wrong HMAC refused, the right key
// accepted); the clear refusals (no --agree-tos, unreachable, not ACME, untrusted HTTPS); the
// account key never printed, and sealed in the store.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { assertCleanError, dataDir, ghAsync, freePorts, gh, ghFail, ghJson, join, storeSnapshot, tmpDir, writeText } from '../support/cli.js';
import { eabKey, Pebble } from '../support/pebble.js';
import { storeBytes } from '../support/postgres.js';
import { addUser, AdminServer, assertProblem, createToken } from '../support/admin.js';

let pebble: Pebble;
let eabPebble: Pebble;
const EAB_KID = 'kid-gatehouse';
const EAB_HMAC = eabKey('gatehouse eab test');

before(async () => {
  const [h, t, h2, t2] = (await freePorts(4)) as [number, number, number, number];
  pebble = await Pebble.start({ httpPort: h, tlsPort: t });
  eabPebble = await Pebble.start({ httpPort: h2, tlsPort: t2, eab: { [EAB_KID]: EAB_HMAC } });
});
after(async () => {
  await pebble?.stop();
  await eabPebble?.stop();
});

interface Account { name: string; directory: string; email: string; accountUrl: string; directoryCa: boolean; eabKid: string | null; status: string }

test('acme account add, list, show, remove against pebble; the key is sealed and never printed', () => {
  const data = dataDir();
  const add = gh(data, ['acme', 'account', 'add', 'pebble', '--directory', pebble.directory, '--email', 'admin@example.com', '--agree-tos', '--directory-ca', pebble.caFile, '--json']);
  assert.equal(add.code, 0, add.stderr);
  const a = add.json<Account>();
  assert.equal(a.name, 'pebble');
  assert.equal(a.directory, pebble.directory);
  assert.equal(a.email, 'admin@example.com');
  assert.match(a.accountUrl, /^https:\/\/127\.0\.0\.1:\d+\/my-account\//);
  assert.equal(a.directoryCa, true);
  assert.equal(a.status, 'valid');
  assert.doesNotMatch(add.stdout + add.stderr, /PRIVATE KEY|"d":/);
  const list = ghJson<Account[]>(data, ['acme', 'account', 'list']);
  assert.deepEqual(list.map((x) => x.name), ['pebble']);
  const text = gh(data, ['acme', 'account', 'show', 'pebble']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /Account URL:\s+https:\/\/127\.0\.0\.1/);
  assert.doesNotMatch(text.stdout, /PRIVATE KEY/);
  // The key is in private_keys, sealed: no PKCS#8 header and no PEM anywhere in the database (file or schema).
  const db = storeBytes(data);
  assert.equal(db.includes(Buffer.from('PRIVATE KEY')), false);
  const audit = gh(data, ['audit', '--json']).stdout;
  assert.match(audit, /acme\.account\.add/);
  const dup = ghFail(data, ['acme', 'account', 'add', 'pebble', '--directory', pebble.directory, '--email', 'admin@example.com', '--agree-tos', '--directory-ca', pebble.caFile], 'GH_ACME_ACCOUNT_EXISTS');
  assertCleanError(dup, 'GH_ACME_ACCOUNT_EXISTS');
  const removed = ghJson<{ name: string; removed: boolean }>(data, ['acme', 'account', 'remove', 'pebble']);
  assert.deepEqual(removed, { name: 'pebble', removed: true, nowManual: [] });
  assert.deepEqual(ghJson(data, ['acme', 'account', 'list']), []);
  ghFail(data, ['acme', 'account', 'show', 'pebble'], 'GH_ACME_ACCOUNT_NOT_FOUND');
});

test('refusals: no --agree-tos, unreachable, not ACME, untrusted HTTPS (says --directory-ca); nothing is stored', async () => {
  const data = dataDir();
  ghJson(data, ['acme', 'account', 'list']);
  const before = storeSnapshot(data);
  const base = ['--email', 'admin@example.com'];
  const tos = ghFail(data, ['acme', 'account', 'add', 'x', '--directory', pebble.directory, ...base, '--directory-ca', pebble.caFile], 'GH_ACME_TOS_REQUIRED');
  assert.match(tos.stderr, /--agree-tos/);
  const [closed] = (await freePorts(1)) as [number];
  const unreachable = ghFail(data, ['acme', 'account', 'add', 'x', '--directory', `https://127.0.0.1:${closed}/dir`, ...base, '--agree-tos'], 'GH_ACME_DIRECTORY_UNREACHABLE');
  assert.match(unreachable.stderr, /cannot be reached/);
  const untrusted = ghFail(data, ['acme', 'account', 'add', 'x', '--directory', pebble.directory, ...base, '--agree-tos'], 'GH_ACME_TLS_UNTRUSTED');
  assert.match(untrusted.stderr, /--directory-ca/);
  const web = createServer((_req, res) => res.end('<html>hello</html>'));
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (web.address() as { port: number }).port;
    // Asynchronously: the web server answers from this process's event loop.
    const notAcme = await ghAsync(data, ['acme', 'account', 'add', 'x', '--directory', `http://127.0.0.1:${port}/`, ...base, '--agree-tos']);
    assertCleanError(notAcme, 'GH_ACME_NOT_ACME');
    assert.match(notAcme.stderr, /not an ACME directory/);
  } finally {
    web.close();
  }
  ghFail(data, ['acme', 'account', 'add', 'x', '--directory', 'not a url', ...base, '--agree-tos'], 'GH_ACME_DIRECTORY_INVALID');
  assert.deepEqual(storeSnapshot(data), before);
});

test('EAB required: no key refused, a wrong HMAC refused, the right key accepted; the HMAC key is never stored or printed', () => {
  const data = dataDir();
  const dir = tmpDir('gh-eab-');
  const args = ['acme', 'account', 'add', 'zs', '--directory', eabPebble.directory, '--email', 'admin@example.com', '--agree-tos', '--directory-ca', eabPebble.caFile];
  ghJson(data, ['acme', 'account', 'list']);
  const before = storeSnapshot(data);
  const none = ghFail(data, args, 'GH_ACME_EAB_REQUIRED');
  assert.match(none.stderr, /--eab-kid/);
  const wrong = ghFail(data, [...args, '--eab-kid', EAB_KID, '--eab-hmac-key-file', writeText(join(dir, 'wrong'), `${eabKey('not the key')}\n`)], 'GH_ACME_EAB_REFUSED');
  assert.match(wrong.stderr, new RegExp(EAB_KID));
  assert.deepEqual(storeSnapshot(data), before);
  const ok = gh(data, [...args, '--eab-kid', EAB_KID, '--eab-hmac-key-file', writeText(join(dir, 'right'), `${EAB_HMAC}\n`), '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.json<Account>().eabKid, EAB_KID);
  assert.equal(ok.stdout.includes(EAB_HMAC), false);
  assert.equal(storeBytes(data).includes(Buffer.from(EAB_HMAC)), false);
  assert.equal(gh(data, ['audit', '--json']).stdout.includes(EAB_HMAC), false);
});

test('admin API: POST/GET/DELETE /api/v1/acme/accounts; a viewer may list but not add; a problem document without CLI words', async () => {
  const data = dataDir();
  addUser(data, 'admin', 'organization-management');
  addUser(data, 'viewer', 'view-only');
  const admin = createToken(data, 'admin');
  const viewer = createToken(data, 'viewer');
  const server = await AdminServer.start(data);
  try {
    const body = { name: 'pebble', directory: pebble.directory, email: 'admin@example.com', agreeTos: true, directoryCa: readFileSync(pebble.caFile, 'utf8') };
    assertProblem(await server.call('POST', '/api/v1/acme/accounts', { token: viewer, body }), 403, 'GH_FORBIDDEN');
    const noTos = await server.call('POST', '/api/v1/acme/accounts', { token: admin, body: { ...body, agreeTos: false } });
    assertProblem(noTos, 400, 'GH_ACME_TOS_REQUIRED');
    assert.match(noTos.json.detail, /"agreeTos": true/);
    const created = await server.call('POST', '/api/v1/acme/accounts', { token: admin, body });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.name, 'pebble');
    const list = await server.call('GET', '/api/v1/acme/accounts', { token: viewer });
    assert.deepEqual(list.json.map((a: Account) => a.name), ['pebble']);
    assert.equal((await server.call('GET', '/api/v1/acme/accounts/pebble', { token: viewer })).json.accountUrl, created.json.accountUrl);
    assert.equal((await server.call('DELETE', '/api/v1/acme/accounts/pebble', { token: admin })).status, 200);
    assertProblem(await server.call('GET', '/api/v1/acme/accounts/pebble', { token: admin }), 404, 'GH_ACME_ACCOUNT_NOT_FOUND');
  } finally {
    await server.stop();
  }
});
