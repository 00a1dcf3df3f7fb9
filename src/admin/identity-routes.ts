import { Type } from 'typebox';
import { fail } from '../model/gatehouse-error.js';
import { PERMISSIONS, ROLE_PERMISSIONS, ROLES, type Role } from '../model/role.js';
import { closed, route, type AdminContext } from './admin-route.js';
import { LoggedOutSchema, RolesSchema, SessionSchema, TokenRevokedSchema, TokenSchema, UserRemovedSchema, UserSchema } from './resource-schemas.js';

export const SESSION_COOKIE = 'gh_session';
const USER = closed({ name: Type.String({ minLength: 1, maxLength: 64 }) });
const ROLE = Type.Union(ROLES.map((r) => Type.Literal(r)));
const PASSWORD = Type.String({ minLength: 1, maxLength: 1024 });

function sessionView(admin: AdminContext, user: string, role: Role, csrfToken?: string) {
  return { user, role, permissions: ROLE_PERMISSIONS[role], ...(csrfToken === undefined ? {} : { csrfToken }), idleTimeoutSeconds: admin.sessions.limits.idleMs / 1000 };
}

/** Log-in sessions for the console, users (the role groups' members) and API tokens. */
export const identityRoutes = [
  route({
    method: 'POST', path: '/session', access: 'public', tag: 'session', status: 201,
    summary: 'Log in: sets the HttpOnly session cookie and answers the CSRF token to send as X-CSRF-Token',
    body: closed({ user: Type.String({ minLength: 1, maxLength: 64 }), password: PASSWORD }),
    response: SessionSchema,
    handler: async ({ admin, body, request, reply }) => {
      // Counted as failed until the password proves right: concurrent guesses, on any node, see each other at once.
      const wait = admin.throttle.begin(request.ip, body.user);
      if (wait > 0) {
        reply.header('retry-after', String(Math.ceil(wait / 1000)));
        throw fail('GH_LOGIN_THROTTLED', `Too many failed log-ins; try again in ${Math.ceil(wait / 1000)} seconds.`);
      }
      const user = await admin.gatehouse.users.verify(body.user, body.password);
      if (!user) throw fail('GH_LOGIN_FAILED', 'The user name or password is wrong.');
      admin.throttle.succeeded(body.user, request.ip);
      const { id, session } = admin.sessions.create(user.name, user.updated);
      reply.setCookie(SESSION_COOKIE, id, { httpOnly: true, secure: true, sameSite: 'strict', path: '/' });
      return sessionView(admin, user.name, user.role, session.csrfToken);
    },
  }),
  route({
    method: 'GET', path: '/session', access: 'signed-in', tag: 'session', summary: 'Who is signed in, their role and permissions (and the CSRF token of a console session)',
    response: SessionSchema,
    handler: ({ admin, principal, request }) => {
      const id = request.cookies[SESSION_COOKIE];
      const session = principal!.via.kind === 'session' && id !== undefined ? admin.sessions.touch(id) : undefined;
      return sessionView(admin, principal!.user, principal!.role, session?.csrfToken);
    },
  }),
  route({
    method: 'DELETE', path: '/session', access: 'signed-in', tag: 'session', summary: 'Log out: ends the console session', response: LoggedOutSchema,
    handler: ({ admin, request, reply }) => {
      const id = request.cookies[SESSION_COOKIE];
      if (id !== undefined) admin.sessions.end(id);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { loggedOut: true };
    },
  }),
  route({
    method: 'GET', path: '/roles', access: 'signed-in', tag: 'users', summary: 'The roles and what each may do', response: RolesSchema,
    handler: () => ({ roles: ROLES.map((r) => ({ role: r, permissions: ROLE_PERMISSIONS[r] })), permissions: PERMISSIONS }),
  }),
  route({
    method: 'GET', path: '/users', access: 'view', tag: 'users', summary: 'List users and their roles', response: Type.Array(UserSchema),
    handler: ({ admin }) => admin.gatehouse.users.list(),
  }),
  route({
    method: 'POST', path: '/users', access: 'users.manage', tag: 'users', status: 201, summary: 'Add a user',
    body: closed({ name: Type.String({ minLength: 1, maxLength: 64 }), role: ROLE, password: PASSWORD }), response: UserSchema,
    handler: ({ admin, body }) => admin.gatehouse.users.add(body),
  }),
  route({
    method: 'PATCH', path: '/users/:name', access: 'users.manage', tag: 'users', summary: "Change a user's role or password (their console sessions end)",
    params: USER, body: closed({ role: Type.Optional(ROLE), password: Type.Optional(PASSWORD) }), response: UserSchema,
    handler: async ({ admin, params, body }) => {
      const before = admin.gatehouse.users.show(params.name);
      const u = await admin.gatehouse.users.set(params.name, body);
      if (u.updated !== before.updated) admin.sessions.endAllOf(u.name);
      return u;
    },
  }),
  route({
    method: 'DELETE', path: '/users/:name', access: 'users.manage', tag: 'users', summary: 'Remove a user and revoke their API tokens', params: USER, response: UserRemovedSchema,
    handler: ({ admin, params }) => {
      const r = admin.gatehouse.users.remove(params.name);
      admin.sessions.endAllOf(r.name);
      return r;
    },
  }),
  route({
    method: 'GET', path: '/tokens', access: 'users.manage', tag: 'users', summary: 'List API tokens (never the tokens themselves)',
    query: closed({ user: Type.Optional(Type.String({ maxLength: 64 })) }), response: Type.Array(TokenSchema),
    handler: ({ admin, query }) => admin.gatehouse.users.listTokens(query.user),
  }),
  route({
    method: 'POST', path: '/tokens', access: 'users.manage', tag: 'users', status: 201, summary: 'Create an API token; the token is in this answer only',
    body: closed({ user: Type.String({ minLength: 1, maxLength: 64 }), description: Type.Optional(Type.String({ maxLength: 200 })), days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })) }),
    response: Type.Intersect([TokenSchema, Type.Object({ token: Type.String() })]),
    handler: ({ admin, body }) => admin.gatehouse.users.createToken(body),
  }),
  route({
    method: 'DELETE', path: '/tokens/:id', access: 'users.manage', tag: 'users', summary: 'Revoke an API token', params: closed({ id: Type.String({ minLength: 1, maxLength: 64 }) }), response: TokenRevokedSchema,
    handler: ({ admin, params }) => admin.gatehouse.users.revokeToken(params.id),
  }),
];
