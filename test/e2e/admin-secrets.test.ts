// End-to-end: secrets never leak. Users with known passwords and API tokens go through a run of
// admin API calls — log-ins right and wrong (a password typed into the user name field too), a
// token created, used and revoked, passwords changed, a PFX imported with its password (and a
// wrong one), exports protected by a password — and then no password and no token may appear in
// any API answer (but the one that creates the token), in what serve printed, in the audit log,
// or in any file of the data directory: the SQLite database with its WAL included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dataDir, gh, ghJson, join, openssl, tmpDir, TestPki } from '../support/cli.js';
import { storeBytes } from '../support/postgres.js';
import { AdminServer, addUser, createToken, type ApiResponse, type CallOptions } from '../support/admin.js';

const PASSWORDS = {
  alice: 'Alice-kettle-passphrase-0413',
  bob: 'Bob-teapot-passphrase-1871',
  bobChanged: 'Bob-saucer-passphrase-5529',
  carol: 'Carol-spoon-passphrase-9046',
  wrong: 'Wrong-fork-passphrase-3318',
  weak: 'Weak-6628',
  exportPfx: 'Export-plate-passphrase-7702',
  exportPem: 'Export-jug-passphrase-2284',
  importPfx: 'Import-bowl-passphrase-4150',
  importWrong: 'Import-cup-passphrase-8837',
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

test('no password and no API token appears in API answers, serve\'s output, the audit log or the data directory', { timeout: 180_000 }, async (t) => {
  const data = dataDir();
  addUser(data, 'alice', 'organization-management', PASSWORDS.alice);
  addUser(data, 'bob', 'server-management', PASSWORDS.bob);
  const aliceToken = createToken(data, 'alice');
  const admin = await AdminServer.start(data);
  t.after(() => admin.stop());

  // Every answer is kept, but the one that hands out a new token.
  const answers: Array<{ what: string; r: ApiResponse }> = [];
  const call = async (method: string, path: string, options: CallOptions = {}, keep = true): Promise<ApiResponse> => {
    const r = await admin.call(method, `/api/v1${path}`, options);
    if (keep) answers.push({ what: `${method} ${path} → ${r.status}`, r });
    return r;
  };

  // Log-ins: right, wrong, an unknown user with a real password, and a password typed as the user name.
  const aliceSession = await admin.login('alice', PASSWORDS.alice);
  assert.equal((await call('POST', '/session', { body: { user: 'alice', password: PASSWORDS.wrong } })).status, 401);
  assert.equal((await call('POST', '/session', { body: { user: 'bob', password: PASSWORDS.alice } })).status, 401);
  assert.equal((await call('POST', '/session', { body: { user: 'nobody', password: PASSWORDS.bob } })).status, 401);
  assert.equal((await call('POST', '/session', { body: { user: PASSWORDS.alice, password: PASSWORDS.alice } })).status, 401);
  assert.equal((await call('POST', '/session', { body: { user: 'alice', password: PASSWORDS.alice, remember: PASSWORDS.alice } })).status, 400);
  assert.equal((await call('POST', '/session', { body: { user: 'alice', password: 'x'.repeat(1025) } })).status, 400);
  assert.equal((await call('GET', '/session', { session: aliceSession })).status, 200);

  // A token made through the API (its answer is the one not searched), used, then revoked with the CLI.
  const created = await call('POST', '/tokens', { token: aliceToken, body: { user: 'bob', description: 'deploy' } }, false);
  assert.equal(created.status, 201, created.text);
  const bobToken = created.json.token as string;
  assert.ok(created.body.includes(Buffer.from(bobToken)), 'the one answer that holds a token (and the search would find it)');
  assert.equal((await call('GET', '/session', { token: bobToken })).status, 200);
  assert.equal((await call('GET', '/tokens', { token: aliceToken })).status, 200);
  ghJson(data, ['token', 'revoke', created.json.id]);
  assert.equal((await call('GET', '/sites', { token: bobToken })).status, 401);
  assert.equal((await call('GET', '/sites', { token: `${aliceToken}x` })).status, 401);
  assert.equal((await call('GET', '/sites', { headers: { authorization: `Basic ${Buffer.from(`alice:${PASSWORDS.alice}`).toString('base64')}` } })).status, 401);
  assert.equal((await call('GET', '/sites', { headers: { authorization: `Bearer ${PASSWORDS.alice}` } })).status, 401);

  // Passwords changed and users added, through the API; weak ones refused.
  assert.equal((await call('PATCH', '/users/bob', { session: aliceSession, body: { password: PASSWORDS.bobChanged } })).status, 200);
  const bobSession = await admin.login('bob', PASSWORDS.bobChanged);
  assert.equal((await call('GET', '/session', { session: bobSession })).status, 200);
  assert.equal((await call('POST', '/users', { token: aliceToken, body: { name: 'carol', role: 'view-only', password: PASSWORDS.carol } })).status, 201);
  assert.equal((await call('POST', '/users', { token: aliceToken, body: { name: 'dave', role: 'view-only', password: PASSWORDS.weak } })).status, 400);
  assert.equal((await call('POST', '/users', { token: aliceToken, body: { name: PASSWORDS.carol.slice(0, 20), role: 'view-only', password: PASSWORDS.carol.slice(0, 20) } })).status, 400);
  assert.equal((await call('PATCH', '/users/carol', { token: aliceToken, body: { password: PASSWORDS.weak } })).status, 400);
  assert.equal((await call('PATCH', '/users/carol', { token: aliceToken, body: { password: PASSWORDS.carol, role: 'root' } })).status, 400);
  assert.equal((await call('GET', '/users', { token: aliceToken })).status, 200);

  // Keys: an exportable certificate exported with passwords; a PFX imported with a wrong password, then the right one.
  const self = await call('POST', '/certificates/self-signed', { token: aliceToken, body: { cn: 'secret.contoso.com', key: 'ecdsa-p256', exportable: true, friendlyName: 'Secret test' } });
  assert.equal(self.status, 201, self.text);
  const pfx = await call('POST', `/certificates/${self.json.thumbprint}/export`, { token: aliceToken, body: { password: PASSWORDS.exportPfx } });
  assert.equal(pfx.status, 200, pfx.text);
  const pem = await call('POST', `/certificates/${self.json.thumbprint}/export`, { token: aliceToken, body: { format: 'pem', password: PASSWORDS.exportPem } });
  assert.equal(pem.status, 200, pem.text);
  assert.match(pem.text, /ENCRYPTED PRIVATE KEY/);
  const pki = TestPki.create();
  const leaf = pki.leaf('imported.contoso.com');
  const pfxFile = join(tmpDir('gh-secret-'), 'leaf.pfx');
  openssl(['pkcs12', '-export', '-in', leaf.cert, '-inkey', leaf.key, '-passout', `pass:${PASSWORDS.importPfx}`, '-out', pfxFile]);
  const pfxBase64 = readFileSync(pfxFile).toString('base64');
  assert.equal((await call('POST', '/certificates/import', { token: aliceToken, body: { file: pfxBase64, fileName: 'leaf.pfx', password: PASSWORDS.importWrong } })).status, 400);
  assert.equal((await call('POST', '/certificates/import', { token: aliceToken, body: { file: pfxBase64, fileName: 'leaf.pfx', password: PASSWORDS.importPfx, exportable: true } })).status, 201);
  const again = await call('POST', '/certificates/import', { token: aliceToken, body: { file: pfxBase64, fileName: 'leaf.pfx', password: PASSWORDS.importPfx } });
  assert.ok(again.status === 409 || again.status === 400, `importing it twice is refused: ${again.status}`);
  // The exported PFX really is protected by its password (so the test searched the right bytes).
  const exported = join(tmpDir('gh-secret-'), 'exported.pfx');
  (await import('node:fs')).writeFileSync(exported, pfx.body);
  assert.match(openssl(['pkcs12', '-in', exported, '-passin', `pass:${PASSWORDS.exportPfx}`, '-nodes']), /PRIVATE KEY/);

  // Reads of everything.
  for (const path of ['/certificates', '/requests', '/sites', '/bindings', '/users', '/tokens', '/audit', '/server', '/roles', '/session']) {
    assert.equal((await call('GET', path, { token: aliceToken })).status, 200, path);
  }
  await call('GET', '/openapi.json');

  // Where to look, and what for.
  const secrets: Array<[string, string]> = [
    ...Object.entries(PASSWORDS).map(([k, v]) => [`password ${k}`, v] as [string, string]),
    ['alice\'s token', aliceToken], ['alice\'s token secret', aliceToken.split('_')[2]!],
    ['bob\'s token', bobToken], ['bob\'s token secret', bobToken.split('_')[2]!],
  ];
  const audit = gh(data, ['audit', '--json']);
  assert.equal(audit.code, 0, audit.stderr);
  await admin.stop();
  const places: Array<[string, Buffer]> = [
    ...answers.map(({ what, r }) => [`the answer to ${what}`, Buffer.concat([Buffer.from(JSON.stringify(r.headers)), r.body])] as [string, Buffer]),
    ['serve\'s stdout', Buffer.from(admin.serve.out)],
    ['serve\'s stderr', Buffer.from(admin.serve.err)],
    ['gatehouse audit --json', Buffer.from(audit.stdout)],
    ...filesUnder(data).map((f) => [`the file ${f}`, readFileSync(f)] as [string, Buffer]),
    // The database wherever it is: the SQLite file (again), or the PostgreSQL schema dumped.
    ['the store\'s database', storeBytes(data)],
  ];
  const leaks: string[] = [];
  for (const [where, bytes] of places) {
    for (const [what, secret] of secrets) {
      if (bytes.includes(Buffer.from(secret)) || bytes.includes(Buffer.from(secret, 'utf16le'))) leaks.push(`${what} in ${where}`);
    }
  }
  assert.deepEqual(leaks, []);

  // The search read the right things: the database holds the token's hash and scrypt password hashes,
  // the log the calls, the audit log the changes.
  const db = storeBytes(data);
  assert.ok(db.includes(Buffer.from(createHash('sha256').update(aliceToken).digest('hex'))), 'the database holds the token hashed');
  assert.ok(db.includes(Buffer.from('scrypt$15$8$1$')), 'the database holds scrypt password hashes');
  assert.match(admin.serve.out, /admin: 127\.0\.0\.1 alice PATCH \/api\/v1\/users\/bob 200/);
  assert.ok(answers.length > 30, `${answers.length} answers searched`);
  const actions = (JSON.parse(audit.stdout) as Array<{ action: string }>).map((a) => a.action);
  for (const a of ['user.add', 'user.set', 'token.create', 'token.revoke', 'cert.import', 'cert.export']) assert.ok(actions.includes(a), `${a} in ${actions.join(', ')}`);
});
