// End-to-end: the admin API's permission matrix, generated from the route table itself, so a new
// route cannot escape it. For every route and every kind of caller — nobody, a bad token, a token
// and a console session of each role, a session without its CSRF token — the answer is 401, 403 or
// "let through" exactly as the route's declared permission and src/model/role.ts say. Calls use
// harmless parameters (unknown names and ids, bodies that fail validation, which runs after the
// access check), and the store is compared before and after: the matrix changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ROUTES, API_PREFIX } from '../../src/admin/routes.js';
import type { AdminRoute } from '../../src/admin/admin-route.js';
import { PERMISSIONS, ROLE_PERMISSIONS, ROLES, roleAllows, type Permission, type Role } from '../../src/model/role.js';
import { dataDir } from '../support/cli.js';
import { AdminServer, addUser, adminSnapshot, assertProblem, createToken, type AdminSnapshot, type ApiResponse, type CallOptions, type Session } from '../support/admin.js';

/** A harmless value for each path parameter: nothing has that name or id. A new parameter must be added here. */
const PARAM_VALUES: Record<string, string> = {
  ref: 'no-such-certificate',
  name: 'no-such-name',
  id: '987654321',
  // A real mail service, so the call gets past the path and fails on its missing body or query.
  service: 'smtp',
};

/** A body no route accepts (every request body is a closed object): the route answers 400 after the access check. */
const PROBE_BODY = { permissionProbe: true };

const USERS: Record<Role, string> = {
  'organization-management': 'olivia',
  'server-management': 'sam',
  'view-only': 'victor',
};

let admin: AdminServer;
let data: string;
const tokens = {} as Record<Role, string>;
let before_: AdminSnapshot;
/** A console session of each role, logged in once and again only when a route ended it (log-out). */
const sessions = {} as Record<Role, Session>;

async function liveSession(role: Role): Promise<Session> {
  const s = sessions[role];
  if (s && (await admin.call('GET', `${API_PREFIX}/session`, { session: s })).status === 200) return s;
  sessions[role] = await admin.login(USERS[role]);
  return sessions[role];
}

before(async () => {
  data = dataDir();
  for (const role of ROLES) {
    addUser(data, USERS[role], role);
    tokens[role] = createToken(data, USERS[role]);
  }
  admin = await AdminServer.start(data);
  before_ = await adminSnapshot(data);
}, { timeout: 120_000 });

after(async () => {
  await admin?.stop();
});

function concretePath(r: AdminRoute): string {
  const path = r.path.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
    const v = PARAM_VALUES[name];
    assert.ok(v !== undefined, `${r.method} ${r.path}: no harmless value for the path parameter "${name}"; add one to PARAM_VALUES`);
    return encodeURIComponent(v);
  });
  return `${API_PREFIX}${path}`;
}

function isChange(r: AdminRoute): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(r.method);
}

/** Who may call the route, by role, according to role.ts. */
function allowed(r: AdminRoute, role: Role): boolean {
  if (r.access === 'public' || r.access === 'signed-in') return true;
  return roleAllows(role, r.access);
}

function call(r: AdminRoute, options: CallOptions): Promise<ApiResponse> {
  return admin.call(r.method, concretePath(r), { ...options, ...(r.body ? { body: PROBE_BODY } : {}) });
}

function describe(r: AdminRoute, who: string, res: ApiResponse): string {
  return `${r.method} ${r.path} (${r.access}) as ${who}: ${res.status} ${res.text.slice(0, 400)}`;
}

/** Let through: the access check passed, whatever the route then made of the harmless input. */
function assertLetThrough(r: AdminRoute, who: string, res: ApiResponse): void {
  assert.ok(res.status !== 401 && res.status !== 403, `expected to be let through: ${describe(r, who, res)}`);
  assert.ok(res.status < 500, `a server error: ${describe(r, who, res)}`);
  if (r.body) assertProblem(res, 400, 'GH_REQUEST_BODY_INVALID', describe(r, who, res));
}

test('the route table is well-formed: unique routes, a known access for each', { timeout: 60_000 }, () => {
  const seen = new Set<string>();
  const known = new Set<string>([...Object.keys(PERMISSIONS), 'signed-in', 'public']);
  for (const r of ROUTES) {
    const key = `${r.method} ${r.path}`;
    assert.ok(!seen.has(key), `duplicate route ${key}`);
    seen.add(key);
    assert.ok(known.has(r.access), `${key}: unknown access "${r.access}"`);
    assert.match(r.path, /^\//, key);
  }
  assert.ok(ROUTES.length >= 30, `only ${ROUTES.length} routes?`);
});

test('the roles grant what DESIGN.md says: organization-management all, server-management sites, view-only reading', { timeout: 60_000 }, () => {
  assert.deepEqual([...ROLES].sort(), ['organization-management', 'server-management', 'view-only']);
  assert.deepEqual([...ROLE_PERMISSIONS['organization-management']].sort(), Object.keys(PERMISSIONS).sort());
  assert.deepEqual([...ROLE_PERMISSIONS['server-management']].sort(), ['sites.manage', 'view']);
  assert.deepEqual([...ROLE_PERMISSIONS['view-only']], ['view']);
  for (const role of ROLES) for (const p of ROLE_PERMISSIONS[role]) assert.ok(p in PERMISSIONS, `${role} grants an unknown permission ${p}`);
});

test('each route declares the permission its kind of work needs', { timeout: 60_000 }, () => {
  const publicRoutes = ROUTES.filter((r) => r.access === 'public').map((r) => `${r.method} ${r.path}`);
  assert.deepEqual(publicRoutes, ['POST /session'], 'only logging in may be done without credentials');
  for (const r of ROUTES) {
    const key = `${r.method} ${r.path} (${r.access})`;
    // Reading never needs more than view, except the API tokens' list, which belongs to user management.
    if (!isChange(r) && r.access !== 'signed-in') assert.ok(r.access === 'view' || (r.path === '/tokens' && r.access === 'users.manage'), `a read needs more than view: ${key}`);
    // A change is never granted by view alone.
    if (isChange(r) && !r.path.startsWith('/session')) assert.notEqual(r.access, 'view', `a change needs only view: ${key}`);
    if (isChange(r) && r.access === 'signed-in') assert.ok(r.path === '/session', `a change any signed-in user may make: ${key}`);
    // DESIGN.md: private keys (import, export) and the CA are organization-management's alone.
    if (/\/(import|export)$/.test(r.path)) assert.equal(r.access, 'keys.manage', key);
    if (isChange(r) && (r.path.startsWith('/ca') || r.path.endsWith('/submit'))) assert.equal(r.access, 'ca.manage', key);
    if (isChange(r) && (r.path.startsWith('/users') || r.path.startsWith('/tokens'))) assert.equal(r.access, 'users.manage', key);
    // DESIGN.md: server-management looks after sites, bindings and service assignments.
    if (isChange(r) && (r.path.startsWith('/sites') || r.path.startsWith('/bindings') || r.path.startsWith('/services'))) assert.equal(r.access, 'sites.manage', key);
    if (isChange(r) && (r.path.startsWith('/requests') && !r.path.endsWith('/submit'))) assert.equal(r.access, 'certificates.manage', key);
  }
  for (const p of ['keys.manage', 'ca.manage', 'users.manage', 'certificates.manage'] as Permission[]) {
    assert.ok(!roleAllows('server-management', p) && !roleAllows('view-only', p), `${p} is organization-management's alone`);
  }
});

test('the OpenAPI document lists every route, with its permission, and nothing else', { timeout: 60_000 }, async () => {
  const r = await admin.call('GET', `${API_PREFIX}/openapi.json`);
  assert.equal(r.status, 200, r.text.slice(0, 500));
  const doc = r.json as { openapi: string; paths: Record<string, Record<string, Record<string, unknown>>> };
  assert.match(doc.openapi, /^3\./);
  const documented = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const method of Object.keys(ops)) if (['get', 'post', 'put', 'patch', 'delete'].includes(method)) documented.add(`${method.toUpperCase()} ${path}`);
  }
  const expected = new Set<string>();
  for (const route of ROUTES) {
    const path = `${API_PREFIX}${route.path}`.replace(/:([A-Za-z]+)/g, '{$1}');
    const key = `${route.method} ${path}`;
    expected.add(key);
    const op = doc.paths[path]?.[route.method.toLowerCase()];
    assert.ok(op, `${key} is not in the OpenAPI document`);
    assert.equal(op['x-gatehouse-permission'], route.access, `${key}: x-gatehouse-permission`);
    const description = String(op.description ?? '');
    if (route.access !== 'public' && route.access !== 'signed-in') {
      const roles = ROLES.filter((role) => roleAllows(role, route.access as Permission));
      for (const role of ROLES) {
        assert.equal(description.includes(role), roles.includes(role), `${key}: the description should name exactly the roles ${roles.join(', ')}: ${description}`);
      }
    }
    if (route.access === 'public') assert.deepEqual(op.security, [], `${key} needs no credentials, and says so`);
    else assert.equal(op.security, undefined, `${key} must not waive the document's security`);
  }
  assert.deepEqual([...documented].sort(), [...expected].sort(), 'the documented operations are exactly the routes');
});

for (const r of ROUTES) {
  test(`permissions: ${r.method} ${r.path} (${r.access})`, { timeout: 60_000 }, async () => {
    // Nobody.
    const anonymous = await call(r, {});
    if (r.access === 'public') assertLetThrough(r, 'nobody', anonymous);
    else assertProblem(anonymous, 401, 'GH_UNAUTHENTICATED', describe(r, 'nobody', anonymous));

    // A token that does not exist, and a malformed Authorization header.
    if (r.access !== 'public') {
      const bogus = await call(r, { token: 'gh_000000000000_notarealtokennotarealtokennotarealtoken0000' });
      assertProblem(bogus, 401, 'GH_UNAUTHENTICATED', describe(r, 'an unknown token', bogus));
      const basic = await call(r, { headers: { authorization: 'Basic b2xpdmlhOnBhc3N3b3Jk' } });
      assertProblem(basic, 401, 'GH_UNAUTHENTICATED', describe(r, 'Basic credentials', basic));
    }

    // A token of each role.
    for (const role of ROLES) {
      const res = await call(r, { token: tokens[role] });
      const who = `a ${role} token`;
      if (allowed(r, role)) assertLetThrough(r, who, res);
      else {
        assertProblem(res, 403, 'GH_FORBIDDEN', describe(r, who, res));
        assert.ok(res.json.detail.includes(r.access), `the refusal names the permission: ${describe(r, who, res)}`);
      }
    }

    // A console session of each role, with its CSRF token.
    for (const role of ROLES) {
      const session = await liveSession(role);
      const res = await call(r, { session });
      const who = `a ${role} console session`;
      if (allowed(r, role)) assertLetThrough(r, who, res);
      else assertProblem(res, 403, 'GH_FORBIDDEN', describe(r, who, res));
    }

    // A change with the session cookie but without (or with a wrong) CSRF token: refused before anything else.
    if (isChange(r) && r.access !== 'public') {
      const session = await liveSession('organization-management');
      const without = await call(r, { session, omitCsrf: true });
      assertProblem(without, 403, 'GH_CSRF_TOKEN_INVALID', describe(r, 'a session without X-CSRF-Token', without));
      const wrong = await call(r, { session, omitCsrf: true, headers: { 'x-csrf-token': `${session.csrfToken.slice(0, -2)}xx` } });
      assertProblem(wrong, 403, 'GH_CSRF_TOKEN_INVALID', describe(r, 'a session with a wrong X-CSRF-Token', wrong));
    }
    // A cookie that is no session.
    if (r.access !== 'public') {
      const stale = await call(r, { headers: { cookie: 'gh_session=bm90LWEtc2Vzc2lvbg' } });
      assertProblem(stale, 401, 'GH_SESSION_EXPIRED', describe(r, 'an unknown session cookie', stale));
    }
  });
}

test('the whole matrix changed nothing in the store', { timeout: 60_000 }, async () => {
  assert.deepEqual(await adminSnapshot(data), before_);
});
