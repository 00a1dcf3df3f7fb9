import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatehouseError } from '../model/gatehouse-error.js';
import { openGatehouse, type Gatehouse } from './gatehouse.js';

const PASSWORD = 'correct horse battery staple';

/** A Gatehouse on a fresh data directory, with a clock the test moves. */
function fixture(t: { after: (fn: () => void) => void }): { g: Gatehouse; clock: { advance: (ms: number) => void; now: () => Date }; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gh-users-'));
  let now = Date.parse('2026-11-20T10:00:00.000Z');
  const clock = { now: () => new Date(now), advance: (ms: number) => void (now += ms) };
  const g = openGatehouse({ dataDir: dir, actor: { name: 'tester', origin: 'cli' }, clock: clock.now });
  t.after(() => {
    g.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { g, clock, dir };
}

async function refused(code: string, fn: () => unknown): Promise<void> {
  await assert.rejects(async () => fn(), (e: unknown) => e instanceof GatehouseError && e.code === code, code);
}

test('add, show, list: users with roles; the password hash is never in what the manager answers', async (t) => {
  const { g } = fixture(t);
  const u = await g.users.add({ name: 'alice', role: 'organization-management', password: PASSWORD });
  assert.deepEqual(u, { name: 'alice', role: 'organization-management', created: '2026-11-20T10:00:00.000Z', updated: '2026-11-20T10:00:00.000Z' });
  await g.users.add({ name: 'bob', role: ' Server-Management ', password: 'another long passphrase' });
  assert.deepEqual(g.users.list().map((x) => [x.name, x.role]), [['alice', 'organization-management'], ['bob', 'server-management']]);
  assert.deepEqual(Object.keys(g.users.show('bob')).sort(), ['created', 'name', 'role', 'updated']);
  assert.ok(!JSON.stringify(g.users.list()).includes('scrypt'));
  await refused('GH_USER_NOT_FOUND', () => g.users.show('carol'));
});

test('add refuses a bad name, an unknown role, a weak password, a duplicate — and writes nothing', async (t) => {
  const { g } = fixture(t);
  await g.users.add({ name: 'alice', role: 'organization-management', password: PASSWORD });
  const revision = g.serving.revision();
  await refused('GH_USER_NAME_INVALID', () => g.users.add({ name: 'bad name', role: 'view-only', password: PASSWORD }));
  await refused('GH_USER_NAME_INVALID', () => g.users.add({ name: '', role: 'view-only', password: PASSWORD }));
  await refused('GH_USER_NAME_INVALID', () => g.users.add({ name: '-alice', role: 'view-only', password: PASSWORD }));
  await refused('GH_USER_NAME_INVALID', () => g.users.add({ name: 'a'.repeat(65), role: 'view-only', password: PASSWORD }));
  await refused('GH_ROLE_INVALID', () => g.users.add({ name: 'bob', role: 'administrator', password: PASSWORD }));
  await refused('GH_PASSWORD_WEAK', () => g.users.add({ name: 'bob', role: 'view-only', password: 'short' }));
  await refused('GH_PASSWORD_WEAK', () => g.users.add({ name: 'bob', role: 'view-only', password: '' }));
  await refused('GH_PASSWORD_WEAK', () => g.users.add({ name: 'bob-the-builder', role: 'view-only', password: 'BOB-THE-BUILDER' }));
  await refused('GH_PASSWORD_WEAK', () => g.users.add({ name: 'bob', role: 'view-only', password: 'x'.repeat(1025) }));
  await refused('GH_USER_EXISTS', () => g.users.add({ name: 'alice', role: 'view-only', password: PASSWORD }));
  assert.equal(g.serving.revision(), revision);
  assert.deepEqual(g.users.list().map((x) => x.name), ['alice']);
  // Twelve characters (counted as characters, not UTF-16 units) are enough.
  await g.users.add({ name: 'bob', role: 'view-only', password: '123456789012' });
  await g.users.add({ name: 'emoji', role: 'view-only', password: '🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑' });
});

test('verify: the right password answers the user; a wrong password and an unknown user answer nothing', async (t) => {
  const { g } = fixture(t);
  await g.users.add({ name: 'alice', role: 'organization-management', password: PASSWORD });
  assert.equal((await g.users.verify('alice', PASSWORD))?.name, 'alice');
  assert.equal(await g.users.verify('alice', 'wrong password here'), undefined);
  assert.equal(await g.users.verify('Alice', PASSWORD), undefined, 'user names are exact');
  assert.equal(await g.users.verify('nobody', PASSWORD), undefined);
  assert.equal(await g.users.verify('', ''), undefined);
});

test('set: a new role or password changes `updated`; the audit says the password changed, never to what', async (t) => {
  const { g, clock } = fixture(t);
  await g.users.add({ name: 'alice', role: 'organization-management', password: PASSWORD });
  await g.users.add({ name: 'bob', role: 'view-only', password: PASSWORD });
  clock.advance(1000);
  const b = await g.users.set('bob', { role: 'server-management' });
  assert.equal(b.role, 'server-management');
  assert.equal(b.updated, '2026-11-20T10:00:01.000Z');
  clock.advance(1000);
  await g.users.set('bob', { password: 'a brand new passphrase' });
  assert.equal(g.users.show('bob').updated, '2026-11-20T10:00:02.000Z');
  assert.equal(await g.users.verify('bob', PASSWORD), undefined);
  assert.equal((await g.users.verify('bob', 'a brand new passphrase'))?.role, 'server-management');
  const audit = g.audit().filter((a) => a.action === 'user.set');
  assert.deepEqual(audit.map((a) => [a.target, a.before, a.after]), [
    ['bob', { role: 'view-only' }, { role: 'server-management' }],
    ['bob', { role: 'server-management' }, { role: 'server-management', password: 'changed' }],
  ]);
  assert.ok(!JSON.stringify(g.audit()).includes('brand new'));
  await refused('GH_PASSWORD_WEAK', () => g.users.set('bob', { password: 'short' }));
  await refused('GH_ROLE_INVALID', () => g.users.set('bob', { role: 'root' }));
  await refused('GH_USER_NOT_FOUND', () => g.users.set('carol', { role: 'view-only' }));
});

test('the last organization-management user can be neither removed nor demoted', async (t) => {
  const { g } = fixture(t);
  await g.users.add({ name: 'alice', role: 'organization-management', password: PASSWORD });
  await g.users.add({ name: 'vera', role: 'view-only', password: PASSWORD });
  const revision = g.serving.revision();
  await refused('GH_LAST_ADMINISTRATOR', () => g.users.remove('alice'));
  await refused('GH_LAST_ADMINISTRATOR', () => g.users.set('alice', { role: 'view-only' }));
  await refused('GH_LAST_ADMINISTRATOR', () => g.users.set('alice', { role: 'server-management' }));
  assert.equal(g.serving.revision(), revision, 'nothing was written');
  assert.equal(g.users.show('alice').role, 'organization-management');
  // Keeping the role, or changing only the password, is fine.
  await g.users.set('alice', { role: 'organization-management' });
  await g.users.set('alice', { password: 'a new admin passphrase' });
  // With a second administrator, either may go.
  await g.users.set('vera', { role: 'organization-management' });
  await g.users.set('alice', { role: 'view-only' });
  await refused('GH_LAST_ADMINISTRATOR', () => g.users.remove('vera'));
  const r = g.users.remove('alice');
  assert.deepEqual(r, { name: 'alice', removed: true, tokensRevoked: 0 });
  // Users who are not administrators can always go.
  await g.users.add({ name: 'sam', role: 'server-management', password: PASSWORD });
  g.users.remove('sam');
  assert.deepEqual(g.users.list().map((x) => x.name), ['vera']);
});

test('tokens: created once, stored hashed, authenticate with the current role of their user', async (t) => {
  const { g, dir } = fixture(t);
  await g.users.add({ name: 'alice', role: 'organization-management', password: PASSWORD });
  await g.users.add({ name: 'bob', role: 'server-management', password: PASSWORD });
  const tok = g.users.createToken({ user: 'bob', description: 'deploy pipeline' });
  assert.match(tok.token, /^gh_[0-9a-f]{12}_[0-9a-f]{64}$/);
  assert.equal(tok.expires, null);
  assert.equal(tok.lastUsed, null);
  assert.equal(tok.description, 'deploy pipeline');
  const p = g.users.authenticateToken(tok.token);
  assert.deepEqual(p, { user: 'bob', role: 'server-management', via: { kind: 'token', tokenId: tok.id } });
  // Listing never shows the token; the audit never holds it; the database holds only its hash.
  assert.ok(!JSON.stringify(g.users.listTokens()).includes(tok.token.slice(-43)));
  assert.ok(!JSON.stringify(g.audit()).includes(tok.token.slice(-43)));
  for (const f of readdirSync(dir).filter((n) => n.startsWith('gatehouse.db'))) {
    assert.ok(!readFileSync(join(dir, f)).includes(tok.token.slice(-43)), `${f} holds the token`);
  }
  // The token follows its user's role at once.
  await g.users.set('bob', { role: 'view-only' });
  assert.equal(g.users.authenticateToken(tok.token)?.role, 'view-only');
  // Near misses are refused.
  for (const bad of ['', 'gh_', tok.token.slice(0, -1), `${tok.token}x`, tok.token.toUpperCase(), tok.token.replace(/^gh_/, 'GH_'), `gh_${'a'.repeat(300)}`]) {
    assert.equal(g.users.authenticateToken(bad), undefined, bad);
  }
});

test('tokens: lastUsed is written on first use and then at most once a minute, without an audit record', async (t) => {
  const { g, clock } = fixture(t);
  await g.users.add({ name: 'alice', role: 'organization-management', password: PASSWORD });
  const tok = g.users.createToken({ user: 'alice' });
  const revision = g.serving.revision();
  const audits = g.audit().length;
  g.users.authenticateToken(tok.token);
  assert.equal(g.users.listTokens()[0]!.lastUsed, '2026-11-20T10:00:00.000Z');
  clock.advance(30_000);
  g.users.authenticateToken(tok.token);
  assert.equal(g.users.listTokens()[0]!.lastUsed, '2026-11-20T10:00:00.000Z');
  clock.advance(31_000);
  g.users.authenticateToken(tok.token);
  assert.equal(g.users.listTokens()[0]!.lastUsed, '2026-11-20T10:01:01.000Z');
  assert.equal(g.serving.revision(), revision, 'using a token is not a change of configuration');
  assert.equal(g.audit().length, audits);
});

test('tokens: one that expires stops working at its expiry', async (t) => {
  const { g, clock } = fixture(t);
  await g.users.add({ name: 'alice', role: 'organization-management', password: PASSWORD });
  const tok = g.users.createToken({ user: 'alice', days: 2 });
  assert.equal(tok.expires, '2026-11-22T10:00:00.000Z');
  clock.advance(2 * 86_400_000 - 1);
  assert.ok(g.users.authenticateToken(tok.token));
  clock.advance(1);
  assert.equal(g.users.authenticateToken(tok.token), undefined);
});

test('tokens: bad input is refused; revoke and user removal end them at once', async (t) => {
  const { g } = fixture(t);
  await g.users.add({ name: 'alice', role: 'organization-management', password: PASSWORD });
  await g.users.add({ name: 'bob', role: 'view-only', password: PASSWORD });
  await refused('GH_USER_NOT_FOUND', () => g.users.createToken({ user: 'carol' }));
  await refused('GH_DAYS_INVALID', () => g.users.createToken({ user: 'bob', days: 0 }));
  await refused('GH_DAYS_INVALID', () => g.users.createToken({ user: 'bob', days: 3651 }));
  await refused('GH_DAYS_INVALID', () => g.users.createToken({ user: 'bob', days: 1.5 }));
  await refused('GH_USAGE', () => g.users.createToken({ user: 'bob', description: 'x'.repeat(201) }));
  await refused('GH_USAGE', () => g.users.createToken({ user: 'bob', description: 'line\nbreak' }));
  assert.deepEqual(g.users.listTokens(), []);
  const a = g.users.createToken({ user: 'bob' });
  const b = g.users.createToken({ user: 'bob' });
  const c = g.users.createToken({ user: 'alice' });
  assert.deepEqual(g.users.listTokens('bob').map((x) => x.id).sort(), [a.id, b.id].sort());
  await refused('GH_USER_NOT_FOUND', () => g.users.listTokens('carol'));
  assert.deepEqual(g.users.revokeToken(a.id), { id: a.id, revoked: true });
  assert.equal(g.users.authenticateToken(a.token), undefined);
  await refused('GH_TOKEN_NOT_FOUND', () => g.users.revokeToken(a.id));
  assert.ok(g.users.authenticateToken(b.token));
  assert.deepEqual(g.users.remove('bob'), { name: 'bob', removed: true, tokensRevoked: 1 });
  assert.equal(g.users.authenticateToken(b.token), undefined);
  assert.deepEqual(g.users.listTokens().map((x) => x.id), [c.id]);
  assert.ok(g.users.authenticateToken(c.token));
});

test('every user and token change is audited with its actor, and no audit record holds a secret', async (t) => {
  const { g } = fixture(t);
  await g.runAs({ name: 'alice', origin: 'api', source: '192.0.2.7' }, async () => {
    await g.users.add({ name: 'alice', role: 'organization-management', password: PASSWORD });
    await g.users.add({ name: 'bob', role: 'view-only', password: 'bob secret passphrase' });
  });
  const tok = g.users.createToken({ user: 'bob' });
  g.users.revokeToken(tok.id);
  await g.users.set('bob', { password: 'bob second passphrase' });
  g.users.remove('bob');
  const audit = g.audit();
  assert.deepEqual(audit.map((a) => [a.action, a.actor, a.origin, a.source]), [
    ['user.add', 'alice', 'api', '192.0.2.7'],
    ['user.add', 'alice', 'api', '192.0.2.7'],
    ['token.create', 'tester', 'cli', ''],
    ['token.revoke', 'tester', 'cli', ''],
    ['user.set', 'tester', 'cli', ''],
    ['user.remove', 'tester', 'cli', ''],
  ]);
  const text = JSON.stringify(audit);
  for (const secret of [PASSWORD, 'bob secret passphrase', 'bob second passphrase', tok.token, tok.token.slice(-43), 'scrypt$']) {
    assert.ok(!text.includes(secret), `the audit log holds ${secret}`);
  }
});
