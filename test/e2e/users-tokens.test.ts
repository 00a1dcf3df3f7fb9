// End-to-end: users, roles and API tokens through the CLI (how the first administrator is made on
// the server), their refusals (one clean stderr line, nothing changed), --json outputs, and the
// audit log's --since and --last.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { ROLE_PERMISSIONS, ROLES } from '../../src/model/role.js';
import { gh, ghJson, ghFail, dataDir, tmpDir, join, describeRun, assertCleanError } from '../support/cli.js';
import { adminSnapshot, passwordFileFor } from '../support/admin.js';

const PW = 'correct horse battery staple';

interface User { name: string; role: string; created: string; updated: string }
interface Token { id: string; user: string; description: string; created: string; expires: string | null; lastUsed: string | null; token?: string }
interface Audit { id: number; at: string; actor: string; origin: string; source: string; action: string; target: string; before: unknown; after: unknown }

function addUser(data: string, name: string, role: string, password = PW): User {
  return ghJson<User>(data, ['user', 'add', name, '--role', role, '--password-file', passwordFileFor(password)]);
}

test('user roles: what each role may do (text and --json), without a data directory', { timeout: 120_000 }, () => {
  const data = join(tmpDir('gh-roles-'), 'never-created');
  const json = ghJson<Array<{ role: string; permissions: string[] }>>(data, ['user', 'roles']);
  assert.deepEqual(json, ROLES.map((r) => ({ role: r, permissions: [...ROLE_PERMISSIONS[r]] })));
  const text = gh(data, ['user', 'roles']);
  assert.equal(text.code, 0, describeRun(text));
  for (const r of ROLES) assert.ok(text.stdout.includes(r), text.stdout);
  assert.match(text.stdout, /keys\.manage\s+import and export private keys/);
});

test('user add, list, set, remove: the first administrator and the others', { timeout: 120_000 }, () => {
  const data = dataDir();
  const none = gh(data, ['user', 'list']);
  assert.equal(none.code, 0, describeRun(none));
  assert.match(none.stdout, /No users yet.*gatehouse user add NAME --role organization-management/);
  assert.deepEqual(ghJson(data, ['user', 'list']), []);

  const alice = addUser(data, 'alice', 'organization-management');
  assert.equal(alice.name, 'alice');
  assert.equal(alice.role, 'organization-management');
  assert.equal(alice.created, alice.updated);
  assert.deepEqual(Object.keys(alice).sort(), ['created', 'name', 'role', 'updated'], 'no password hash in the answer');
  const text = gh(data, ['user', 'add', 'bob.smith@contoso', '--role', 'Server-Management', '--password-file', passwordFileFor('bobs long password')]);
  assert.equal(text.code, 0, describeRun(text));
  assert.equal(text.stdout.trim(), 'Added bob.smith@contoso (server-management).');
  addUser(data, 'v_1', 'view-only');

  const list = ghJson<User[]>(data, ['user', 'list']);
  assert.deepEqual(list.map((u) => [u.name, u.role]), [['alice', 'organization-management'], ['bob.smith@contoso', 'server-management'], ['v_1', 'view-only']]);
  const table = gh(data, ['user', 'list']);
  assert.match(table.stdout, /Name\s+Role\s+Created/);
  assert.match(table.stdout, /bob\.smith@contoso\s+server-management/);

  const promoted = ghJson<User>(data, ['user', 'set', 'v_1', '--role', 'server-management']);
  assert.equal(promoted.role, 'server-management');
  assert.ok(promoted.updated >= promoted.created);
  const pw = gh(data, ['user', 'set', 'v_1', '--password-file', passwordFileFor('a new password for v1')]);
  assert.equal(pw.code, 0, describeRun(pw));
  assert.equal(pw.stdout.trim(), 'v_1 is server-management; the password was changed.');

  const tok = ghJson<Token>(data, ['token', 'create', '--user', 'v_1']);
  const removed = ghJson(data, ['user', 'remove', 'v_1']);
  assert.deepEqual(removed, { name: 'v_1', removed: true, tokensRevoked: 1 });
  assert.deepEqual(ghJson<Token[]>(data, ['token', 'list']).filter((t) => t.id === tok.id), [], 'its tokens went with it');
  const again = gh(data, ['user', 'remove', 'bob.smith@contoso']);
  assert.equal(again.code, 0, describeRun(again));
  assert.equal(again.stdout.trim(), 'Removed bob.smith@contoso.');
  assert.deepEqual(ghJson<User[]>(data, ['user', 'list']).map((u) => u.name), ['alice']);

  // Every change is in the audit log, with the CLI as its origin — and no password.
  const audit = ghJson<Audit[]>(data, ['audit']);
  assert.deepEqual(audit.map((a) => `${a.action} ${a.target}`), [
    'user.add alice', 'user.add bob.smith@contoso', 'user.add v_1', 'user.set v_1', 'user.set v_1', `token.create ${tok.id}`, 'user.remove v_1', 'user.remove bob.smith@contoso',
  ]);
  for (const a of audit) assert.equal(a.origin, 'cli');
  const auditText = JSON.stringify(audit);
  for (const secret of [PW, 'bobs long password', 'a new password for v1', tok.token!]) assert.ok(!auditText.includes(secret), `the audit log holds "${secret}"`);
});

test('token create, list, revoke', { timeout: 120_000 }, () => {
  const data = dataDir();
  addUser(data, 'alice', 'organization-management');
  addUser(data, 'deployer', 'server-management');
  const t1 = ghJson<Token>(data, ['token', 'create', '--user', 'deployer', '--description', 'CI deploy job', '--days', '30']);
  assert.match(t1.token!, /^gh_[0-9a-f]{12}_[0-9a-f]{64}$/);
  assert.ok(t1.token!.startsWith(`gh_${t1.id}_`));
  assert.equal(t1.user, 'deployer');
  assert.equal(t1.description, 'CI deploy job');
  assert.equal(t1.lastUsed, null);
  assert.equal(Date.parse(t1.expires!) - Date.parse(t1.created), 30 * 86_400_000);
  // Text: the token on its own first line, then the warning that it is shown once.
  const t2 = gh(data, ['token', 'create', '--user', 'alice']);
  assert.equal(t2.code, 0, describeRun(t2));
  const [first, blank, note] = t2.stdout.split('\n');
  assert.match(first!, /^gh_[0-9a-f]{12}_[0-9a-f]{64}$/);
  assert.equal(blank, '');
  assert.match(note!, /API token for alice \(id [0-9a-f]{12}\)\. It is shown only now/);
  const t2id = /id ([0-9a-f]{12})/.exec(note!)![1]!;

  const list = ghJson<Token[]>(data, ['token', 'list']);
  assert.deepEqual(list.map((t) => t.id).sort(), [t1.id, t2id].sort());
  for (const t of list) {
    assert.deepEqual(Object.keys(t).sort(), ['created', 'description', 'expires', 'id', 'lastUsed', 'user'], 'never the token or its hash');
  }
  const listText = gh(data, ['token', 'list']);
  assert.ok(!listText.stdout.includes(t1.token!) && !listText.stdout.includes(first!), listText.stdout);
  assert.match(listText.stdout, /Id\s+User\s+Description\s+Created\s+Expires\s+Last used/);
  assert.match(listText.stdout, new RegExp(`${t2id}\\s+alice\\s+.*never\\s+never`));
  assert.deepEqual(ghJson<Token[]>(data, ['token', 'list', '--user', 'deployer']).map((t) => t.id), [t1.id]);

  assert.deepEqual(ghJson(data, ['token', 'revoke', t1.id]), { id: t1.id, revoked: true });
  assert.deepEqual(ghJson<Token[]>(data, ['token', 'list']).map((t) => t.id), [t2id]);
  const revokeText = gh(data, ['token', 'revoke', t2id]);
  assert.equal(revokeText.stdout.trim(), `Revoked API token ${t2id}.`);
  const empty = gh(data, ['token', 'list']);
  assert.equal(empty.stdout.trim(), 'No API tokens.');
});

test('bad input: one clean stderr line each, and the store unchanged', { timeout: 120_000 }, async () => {
  const data = dataDir();
  addUser(data, 'alice', 'organization-management');
  addUser(data, 'bob', 'view-only');
  const tok = ghJson<Token>(data, ['token', 'create', '--user', 'bob']);
  const dir = tmpDir('gh-users-bad-');
  const emptyPw = join(dir, 'empty.txt');
  writeFileSync(emptyPw, '');
  const cases: Array<{ name: string; args: string[]; code: string; exit?: number; message?: RegExp }> = [
    { name: 'a weak password', args: ['user', 'add', 'carol', '--role', 'view-only', '--password-file', passwordFileFor('short')], code: 'GH_PASSWORD_WEAK', message: /at least 12 characters/ },
    { name: 'an empty password file', args: ['user', 'add', 'carol', '--role', 'view-only', '--password-file', emptyPw], code: 'GH_PASSWORD_WEAK' },
    { name: 'the user name as password', args: ['user', 'add', 'carol-the-admin', '--role', 'view-only', '--password-file', passwordFileFor('Carol-The-Admin')], code: 'GH_PASSWORD_WEAK' },
    { name: 'a weak new password', args: ['user', 'set', 'bob', '--password-file', passwordFileFor('12345')], code: 'GH_PASSWORD_WEAK' },
    { name: 'an unknown role', args: ['user', 'add', 'carol', '--role', 'admin', '--password-file', passwordFileFor(PW)], code: 'GH_ROLE_INVALID', message: /organization-management, server-management, view-only/ },
    { name: 'an unknown role on set', args: ['user', 'set', 'bob', '--role', 'superuser'], code: 'GH_ROLE_INVALID' },
    { name: 'a duplicate user', args: ['user', 'add', 'alice', '--role', 'view-only', '--password-file', passwordFileFor(PW)], code: 'GH_USER_EXISTS' },
    { name: 'a name with a space', args: ['user', 'add', 'carol smith', '--role', 'view-only', '--password-file', passwordFileFor(PW)], code: 'GH_USER_NAME_INVALID' },
    { name: 'a name with a slash', args: ['user', 'add', 'contoso/carol', '--role', 'view-only', '--password-file', passwordFileFor(PW)], code: 'GH_USER_NAME_INVALID' },
    { name: 'a name too long', args: ['user', 'add', 'c'.repeat(65), '--role', 'view-only', '--password-file', passwordFileFor(PW)], code: 'GH_USER_NAME_INVALID' },
    { name: 'a name starting with a dot', args: ['user', 'add', '.carol', '--role', 'view-only', '--password-file', passwordFileFor(PW)], code: 'GH_USER_NAME_INVALID' },
    { name: 'no terminal and no --password-file', args: ['user', 'add', 'carol', '--role', 'view-only'], code: 'GH_USAGE', exit: 2, message: /--password-file/ },
    { name: 'set --password without a terminal', args: ['user', 'set', 'bob', '--password'], code: 'GH_USAGE', exit: 2 },
    { name: 'add without --role', args: ['user', 'add', 'carol', '--password-file', passwordFileFor(PW)], code: 'GH_USAGE', exit: 2, message: /--role is required/ },
    { name: 'add without a name', args: ['user', 'add', '--role', 'view-only', '--password-file', passwordFileFor(PW)], code: 'GH_USAGE', exit: 2 },
    { name: 'set with nothing to change', args: ['user', 'set', 'bob'], code: 'GH_USAGE', exit: 2, message: /Nothing to change/ },
    { name: 'an unknown flag', args: ['user', 'add', 'carol', '--role', 'view-only', '--password', PW], code: 'GH_USAGE', exit: 2 },
    { name: 'a missing password file', args: ['user', 'add', 'carol', '--role', 'view-only', '--password-file', join(dir, 'nope.txt')], code: 'GH_FILE_NOT_FOUND' },
    { name: 'set an unknown user', args: ['user', 'set', 'carol', '--role', 'view-only'], code: 'GH_USER_NOT_FOUND' },
    { name: 'remove an unknown user', args: ['user', 'remove', 'carol'], code: 'GH_USER_NOT_FOUND' },
    { name: 'remove the last administrator', args: ['user', 'remove', 'alice'], code: 'GH_LAST_ADMINISTRATOR' },
    { name: 'demote the last administrator', args: ['user', 'set', 'alice', '--role', 'server-management'], code: 'GH_LAST_ADMINISTRATOR' },
    { name: 'a token for an unknown user', args: ['token', 'create', '--user', 'carol'], code: 'GH_USER_NOT_FOUND' },
    { name: 'a token without --user', args: ['token', 'create'], code: 'GH_USAGE', exit: 2 },
    { name: 'a token for 0 days', args: ['token', 'create', '--user', 'bob', '--days', '0'], code: 'GH_DAYS_INVALID' },
    { name: 'a token for 3651 days', args: ['token', 'create', '--user', 'bob', '--days', '3651'], code: 'GH_DAYS_INVALID' },
    { name: 'a token for "ten" days', args: ['token', 'create', '--user', 'bob', '--days', 'ten'], code: 'GH_USAGE', exit: 2 },
    { name: 'a token description with a line break', args: ['token', 'create', '--user', 'bob', '--description', 'two\nlines'], code: 'GH_USAGE', exit: 2 },
    { name: 'tokens of an unknown user', args: ['token', 'list', '--user', 'carol'], code: 'GH_USER_NOT_FOUND' },
    { name: 'revoke an unknown token', args: ['token', 'revoke', 'abcdef012345'], code: 'GH_TOKEN_NOT_FOUND' },
    { name: 'revoke by the token instead of its id', args: ['token', 'revoke', tok.token!], code: 'GH_TOKEN_NOT_FOUND' },
    { name: 'revoke without an id', args: ['token', 'revoke'], code: 'GH_USAGE', exit: 2 },
    { name: 'audit --since not a date', args: ['audit', '--since', 'yesterday'], code: 'GH_USAGE', exit: 2 },
    { name: 'audit --last not a number', args: ['audit', '--last', 'ten'], code: 'GH_USAGE', exit: 2 },
  ];
  const before = await adminSnapshot(data);
  for (const c of cases) {
    const r = ghFail(data, c.args, c.code, c.exit ?? 1);
    if (c.message) assert.match(r.stderr, c.message, `${c.name}: ${describeRun(r)}`);
    assert.equal(r.stdout, '', `${c.name}: nothing on stdout: ${describeRun(r)}`);
  }
  // --json too: the error stays one line on stderr, stdout empty.
  for (const c of cases.filter((_, i) => i % 6 === 0)) {
    const j = gh(data, [...c.args, '--json']);
    assertCleanError(j, c.code, c.exit ?? 1);
    assert.equal(j.stdout, '', `${c.name} --json: ${describeRun(j)}`);
  }
  assert.deepEqual(await adminSnapshot(data), before, 'a refused command changes nothing');
  // The token still works for what it is: it was not revoked by a failed revoke.
  assert.ok(ghJson<Token[]>(data, ['token', 'list']).some((t) => t.id === tok.id));
});

test('audit --since and --last', { timeout: 120_000 }, async () => {
  const data = dataDir();
  addUser(data, 'alice', 'organization-management');
  addUser(data, 'bob', 'view-only');
  await new Promise((r) => setTimeout(r, 20));
  const all1 = ghJson<Audit[]>(data, ['audit']);
  const middle = new Date(Date.parse(all1.at(-1)!.at) + 1).toISOString();
  await new Promise((r) => setTimeout(r, 20));
  ghJson(data, ['user', 'set', 'bob', '--role', 'server-management']);
  ghJson(data, ['token', 'create', '--user', 'bob', '--description', 'ci']);
  ghJson(data, ['site', 'add', 'Contoso', '--root', tmpDir('gh-site-')]);
  const all = ghJson<Audit[]>(data, ['audit']);
  assert.deepEqual(all.map((a) => a.action), ['user.add', 'user.add', 'user.set', 'token.create', 'site.add']);
  // Oldest first, ids increasing, times not decreasing.
  for (let i = 1; i < all.length; i++) {
    assert.ok(all[i]!.id > all[i - 1]!.id);
    assert.ok(all[i]!.at >= all[i - 1]!.at);
  }
  for (const a of all) {
    assert.equal(a.origin, 'cli');
    assert.equal(a.source, '');
    assert.ok(a.actor.length > 0);
    assert.match(a.at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  }
  assert.deepEqual(ghJson<Audit[]>(data, ['audit', '--last', '2']), all.slice(-2));
  assert.deepEqual(ghJson<Audit[]>(data, ['audit', '--last', '1']), all.slice(-1));
  assert.deepEqual(ghJson<Audit[]>(data, ['audit', '--last', '100']), all);
  assert.deepEqual(ghJson<Audit[]>(data, ['audit', '--since', middle]), all.slice(2));
  assert.deepEqual(ghJson<Audit[]>(data, ['audit', '--since', middle, '--last', '1']), all.slice(-1));
  assert.deepEqual(ghJson<Audit[]>(data, ['audit', '--since', all[0]!.at]), all, '--since is inclusive');
  assert.deepEqual(ghJson<Audit[]>(data, ['audit', '--since', '2000-01-01']), all);
  assert.deepEqual(ghJson<Audit[]>(data, ['audit', '--since', '2999-01-01']), []);
  // A date alone, and a time with an offset, are understood.
  const day = all[0]!.at.slice(0, 10);
  assert.deepEqual(ghJson<Audit[]>(data, ['audit', '--since', day]), all);
  const offset = new Date(Date.parse(middle));
  const plusTwo = new Date(offset.getTime() + 2 * 3600_000).toISOString().replace('Z', '+02:00');
  assert.deepEqual(ghJson<Audit[]>(data, ['audit', '--since', plusTwo]), all.slice(2));
  // Text: one line per change with who, the origin and what.
  const text = gh(data, ['audit', '--last', '2']);
  const lines = text.stdout.trim().split('\n');
  assert.equal(lines.length, 2, text.stdout);
  assert.match(lines[0]!, /\(cli\)\s+token\.create\s+[0-9a-f]{12}$/);
  assert.match(lines[1]!, /\(cli\)\s+site\.add\s+Contoso$/);
  const none = gh(data, ['audit', '--since', '2999-01-01']);
  assert.equal(none.stdout.trim(), 'No changes in the audit log.');
});
