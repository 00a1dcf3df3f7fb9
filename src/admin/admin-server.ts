import { INTERMEDIATE_PROFILE } from '../model/tls-profile.js';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { extname, join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import { fail } from '../model/gatehouse-error.js';
import { act } from '../model/wording.js';
import { withWordedWarnings } from '../model/wording.js';
import { PERMISSIONS, roleAllows, ROLE_PERMISSIONS, ROLES } from '../model/role.js';
import type { Gatehouse } from '../lifecycle/gatehouse.js';
import type { Principal } from '../lifecycle/user-manager.js';
import { Download, type AdminContext, type AdminRoute } from './admin-route.js';
import { SESSION_COOKIE } from './identity-routes.js';
import { faceOf, problem, problemFor } from './problem.js';
import { ProblemSchema } from './resource-schemas.js';
import { API_PREFIX, ROUTES } from './routes.js';
import { sameToken } from './session-store.js';
import type { Session } from '../lifecycle/console-sessions.js';
import { TicketKeyFollower, TicketKeys, type TicketKeyHolder } from '../lifecycle/ticket-keys.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

export interface AdminServerOptions {
  /** PEM key and certificate chain for the endpoint's TLS. */
  tls: { key: string; cert: string };
  version: string;
  log: (line: string) => void;
  /** Where the built console is (index.html, console.css and the compiled modules). */
  consoleDir?: string;
  clock?: () => number;
  /** `/metrics` in the Prometheus text format (for a caller with the `view` permission); none: no such path. */
  metrics?: (() => Promise<{ contentType: string; text: string }>) | undefined;
}

const PROBLEM_RESPONSE = { description: 'a problem document (RFC 9457) with a stable GH_ code', content: { 'application/problem+json': { schema: ProblemSchema } } };
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const BODY_LIMIT = 2 * 1024 * 1024;
/** Sent with every answer of the endpoint, with HSTS where it applies (`securityHeaders`). */
const SECURITY_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['x-content-type-options', 'nosniff'],
  ['referrer-policy', 'no-referrer'],
  ['x-frame-options', 'DENY'],
];
/**
 * HSTS: two years, this host only (no includeSubDomains: the machine's name may have subdomains
 * Gatehouse does not serve). Browsers heed it only once they trust the certificate (RFC 6797 §8.1),
 * so a self-signed one can still be accepted by hand, and ignore it for IP addresses. Not sent to
 * `localhost`: a browser that trusts the certificate would then force HTTPS on every other local
 * development server on any port of localhost.
 */
const HSTS = 'max-age=63072000';

function securityHeaders(host: string | undefined): ReadonlyArray<readonly [string, string]> {
  const name = (host ?? '').replace(/:\d+$/, '').toLowerCase();
  const local = name === 'localhost' || name.endsWith('.localhost');
  return local ? SECURITY_HEADERS : [['strict-transport-security', HSTS], ...SECURITY_HEADERS];
}

const CONSOLE_TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

/**
 * The admin endpoint: the admin API under /api/v1 (from the route table in routes.ts), its OpenAPI
 * document, and the web console — over HTTPS. Each call is authenticated (bearer token or console
 * session with CSRF token), checked against the route's permission, and run with the caller as the
 * actor of every change it makes, so the audit log says who, how and from where. Changes go through
 * the same core and store as the CLI's, and reach the serving plane the same way.
 */
export async function buildAdminServer(g: Gatehouse, options: AdminServerOptions): Promise<FastifyInstance> {
  const clock = options.clock ?? (() => Date.now());
  const admin: AdminContext = { gatehouse: g, sessions: g.sessions(clock), throttle: g.loginThrottle(clock), localAddresses };
  // Session tickets on the keys every process of this `serve` run derives from its seed (lifecycle/serving.ts).
  const tickets = new TicketKeyFollower(new TicketKeys((window) => g.serving.ticketKeys(window), () => g.clock().getTime()));
  const app = Fastify({
    // The web and mail listeners' profile (model/tls-profile.ts): Mozilla intermediate ciphers (no CBC),
    // X25519MLKEM768 first then X25519, P-256, P-384, no TLS 1.2 renegotiation.
    https: { ...INTERMEDIATE_PROFILE, key: options.tls.key, cert: options.tls.cert, ticketKeys: tickets.keys.current() },
    bodyLimit: BODY_LIMIT,
    logger: false,
    return503OnClosing: true,
    // Errors Fastify meets before routing (a malformed percent-escape in the path) answer a problem document too.
    frameworkErrors: (error, request, reply) => {
      const { problem: p } = problemFor(error, faceOf(request.headers));
      // Answered before the hooks run, so the headers every API answer carries are set here.
      const raw = reply as unknown as { code(n: number): void; header(k: string, v: string): void; send(b: string): void };
      raw.code(p.status);
      raw.header('content-type', 'application/problem+json');
      raw.header('cache-control', 'no-store');
      for (const [k, v] of securityHeaders(request.headers.host)) raw.header(k, v);
      raw.send(JSON.stringify(p));
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: true } },
  });
  // Each new connection (before its ClientHello is read) finds the keys of the current window.
  app.server.on('connection', () => tickets.freshen(app.server as unknown as TicketKeyHolder));
  app.decorateRequest('principal', undefined);
  // Bodies are JSON only: Fastify's built-in text/plain parser would let a plain-text body through to validation (400) instead of 415.
  app.removeContentTypeParser('text/plain');
  await app.register(cookie);
  await app.register(swagger, {
    // HEAD is answered wherever GET is (Fastify's exposeHeadRoutes): the document says so too.
    exposeHeadRoutes: true,
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Gatehouse admin API', version: options.version, description: `Every route needs one permission; roles grant them:\n\n${ROLES.map((r) => `- ${r}: ${ROLE_PERMISSIONS[r].join(', ')}`).join('\n')}` },
      components: {
        securitySchemes: {
          // words: cli (the reference document points to both ways of making a token)
          bearer: { type: 'http', scheme: 'bearer', description: 'an API token from "gatehouse token create" or POST /api/v1/tokens' },
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'a console session from POST /api/v1/session; changes also need the X-CSRF-Token header' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
  });

  app.setErrorHandler((error, request, reply) => {
    const { problem: p, internal } = problemFor(error, faceOf(request.headers));
    if (internal) options.log(`admin: ${request.method} ${request.url} failed: ${(error as Error).stack ?? String(error)}`);
    if (p.status === 401) void reply.header('www-authenticate', 'Bearer realm="gatehouse"');
    void reply.code(p.status).header('content-type', 'application/problem+json').send(p);
  });
  const routeMethods = new RouteMethods();
  app.addHook('onRoute', (r) => routeMethods.add(r.url ?? r.path, r.method));
  // A known path with a method it does not take is 405 with Allow (RFC 9110 §15.5.6), not 404 — and
  // answered on arrival, before the body is read: the method is wrong whatever the body is (malformed
  // JSON, a media type no route takes), so that cannot turn it into a 400 or a 415.
  app.addHook('onRequest', async (request, reply) => {
    if (!request.is404) return;
    const path = request.url.split('?')[0]!;
    const allowed = routeMethods.allowed(path);
    if (allowed.length === 0) return;
    const p = problem('GH_METHOD_NOT_ALLOWED', `${path} does not take ${request.method}; it takes ${allowed.join(', ')}. ${API_PREFIX}/openapi.json lists the routes.`);
    return reply.code(405).header('allow', allowed.join(', ')).header('content-type', 'application/problem+json').send(p);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const p = problem('GH_ROUTE_NOT_FOUND', `There is no ${request.method} ${path}; ${API_PREFIX}/openapi.json lists the routes.`);
    void reply.code(404).header('content-type', 'application/problem+json').send(p);
  });
  // Warnings in an answer are worded like its errors: for the API, or for the console when it asks.
  app.addHook('preSerialization', async (request, _reply, payload) => withWordedWarnings(payload, faceOf(request.headers)));
  app.addHook('onSend', async (request, reply, payload) => {
    for (const [k, v] of securityHeaders(request.headers.host)) reply.header(k, v);
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    else reply.header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    options.log(`admin: ${request.ip} ${request.principal?.user ?? '-'} ${request.method} ${request.url.split('?')[0]} ${reply.statusCode} ${Math.round(reply.elapsedTime)}ms`);
  });

  for (const r of ROUTES) addRoute(app, admin, r);
  app.get(`${API_PREFIX}/openapi.json`, { schema: { hide: true } }, async () => openApiDocument(app));
  const metrics = options.metrics;
  if (metrics) {
    // Prometheus scrapes with a bearer token of a view-only user; outside /api: it is not JSON.
    const access = { access: 'view' } as AdminRoute;
    app.get('/metrics', {
      schema: { hide: true },
      onRequest: async (request) => {
        request.principal = authorize(admin, access, request);
      },
    }, async (_request, reply) => {
      const m = await metrics();
      return reply.header('cache-control', 'no-store').type(m.contentType).send(m.text);
    });
  }
  serveConsole(app, options.consoleDir);
  await app.ready();
  return app;
}

function addRoute(app: FastifyInstance, admin: AdminContext, r: AdminRoute): void {
  const permission = r.access === 'public' ? 'none: anyone may call it' : r.access === 'signed-in' ? 'any signed-in user' : `${r.access} (${PERMISSIONS[r.access]}); roles: ${ROLES.filter((role) => roleAllows(role, r.access as keyof typeof PERMISSIONS)).join(', ')}`;
  const status = r.status ?? 200;
  // The OpenAPI document is the server's truth: every success answer has a declared shape.
  if (!r.response && !r.produces) throw new Error(`${r.method} ${r.path}: a route needs a response schema or the media type of its file`);
  app.route({
    method: r.method,
    url: `${API_PREFIX}${r.path}`,
    schema: {
      summary: r.summary,
      description: `Permission: ${permission}.`,
      tags: [r.tag],
      ...(r.access === 'public' ? { security: [] } : {}),
      ...(r.body ? { body: r.body } : {}),
      ...(r.query ? { querystring: r.query } : {}),
      ...(r.params ? { params: r.params } : {}),
      // Every error is a problem document (RFC 9457): declared so, for the serializer and the OpenAPI document.
      response: { ...(r.response ? { [status]: r.response } : {}), '4xx': PROBLEM_RESPONSE, '5xx': PROBLEM_RESPONSE },
    },
    onRequest: async (request) => {
      request.principal = authorize(admin, r, request);
    },
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const p = request.principal;
      const actor = { name: p?.user ?? 'anonymous', origin: p?.via.kind === 'token' ? 'api' as const : 'console' as const, source: request.ip };
      const out = await admin.gatehouse.runAs(actor, () =>
        r.handler({ admin, principal: p, body: request.body, query: request.query, params: request.params, request, reply }));
      reply.code(status);
      if (out instanceof Download) {
        return reply.header('content-type', out.mediaType).header('content-disposition', `attachment; filename="${out.fileName}"`).send(out.data);
      }
      return out;
    },
  });
}

/** The methods each registered path takes, for 405 answers: paths in Fastify's syntax (`:param`, `*`) matched against request paths. */
class RouteMethods {
  private readonly routes: Array<{ pattern: RegExp; methods: Set<string> }> = [];

  add(url: string, method: string | string[]): void {
    const escaped = url.replace(/[.+?^$(){}|[\]\\]/g, '\\$&');
    const source = `^${escaped.replace(/:[A-Za-z0-9_]+/g, '[^/]+').replace(/\*/g, '.*')}$`;
    let entry = this.routes.find((r) => r.pattern.source === source);
    if (!entry) this.routes.push(entry = { pattern: new RegExp(source), methods: new Set() });
    for (const m of [method].flat()) entry.methods.add(m.toUpperCase());
    // Fastify answers HEAD wherever GET is answered.
    if (entry.methods.has('GET')) entry.methods.add('HEAD');
  }

  /** The methods a request path takes, sorted; empty when no route has the path. */
  allowed(path: string): string[] {
    const methods = new Set(this.routes.filter((r) => r.pattern.test(path)).flatMap((r) => [...r.methods]));
    return [...methods].sort();
  }
}

/** Who is calling, and may they? Throws the 401/403 problem otherwise. */
function authorize(admin: AdminContext, r: AdminRoute, request: FastifyRequest): Principal | undefined {
  if (r.access === 'public') return undefined;
  const { principal, session } = authenticate(admin, request);
  if (session && !SAFE_METHODS.has(request.method)) {
    const sent = request.headers['x-csrf-token'];
    if (typeof sent !== 'string' || !sameToken(sent, session.csrfToken)) {
      throw fail('GH_CSRF_TOKEN_INVALID', 'This change came with the session cookie but without the session\'s CSRF token (X-CSRF-Token header); reload the console and try again.');
    }
  }
  if (r.access !== 'signed-in' && !roleAllows(principal.role, r.access)) {
    const roles = ROLES.filter((role) => roleAllows(role, r.access as keyof typeof PERMISSIONS));
    throw fail('GH_FORBIDDEN', `${principal.user} (${principal.role}) may not do this: it needs the permission "${r.access}", which ${roles.join(' and ')} ${roles.length > 1 ? 'have' : 'has'}.`);
  }
  return principal;
}

function authenticate(admin: AdminContext, request: FastifyRequest): { principal: Principal; session?: Session } {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer +(\S+)$/i.exec(header);
    const principal = m ? admin.gatehouse.users.authenticateToken(m[1]!) : undefined;
    if (!principal) throw fail('GH_UNAUTHENTICATED', `The API token is not valid: unknown, revoked or expired. Create one with ${act('token-create')}.`);
    return { principal };
  }
  const id = request.cookies[SESSION_COOKIE];
  if (id === undefined) throw fail('GH_UNAUTHENTICATED', `Log in first (POST ${API_PREFIX}/session), or send "Authorization: Bearer TOKEN".`);
  const session = admin.sessions.touch(id);
  const user = session && admin.gatehouse.users.find(session.user);
  if (!session || !user || user.updated !== session.userUpdated) {
    admin.sessions.end(id);
    throw fail('GH_SESSION_EXPIRED', 'Your console session has ended (logged out, idle too long, or your account was changed); log in again.');
  }
  return { principal: { user: user.name, role: user.role, via: { kind: 'session' } }, session };
}

/** The OpenAPI document, with each operation's permission as `x-gatehouse-permission` and file answers typed (a GET route's HEAD too). */
function openApiDocument(app: FastifyInstance): unknown {
  const doc = structuredClone(app.swagger()) as unknown as { paths: Record<string, Record<string, { responses?: Record<string, unknown> } & Record<string, unknown>>> };
  for (const r of ROUTES) {
    const path = `${API_PREFIX}${r.path}`.replace(/:([A-Za-z]+)/g, '{$1}');
    for (const method of r.method === 'GET' ? ['get', 'head'] : [r.method.toLowerCase()]) {
      const op = doc.paths[path]?.[method];
      if (!op) continue;
      op['x-gatehouse-permission'] = r.access;
      const status = String(r.status ?? 200);
      if (r.produces) op.responses = { ...op.responses, [status]: { description: 'the file', content: { [r.produces]: { schema: { type: 'string', format: 'binary' } } } } };
      if (method === 'head') op.description = `${String(op.description ?? '')} HEAD: the headers GET would answer, without the body.`.trim();
    }
  }
  return doc;
}

/** Serves the console's built files from memory: nothing outside the built folder can be named. */
function serveConsole(app: FastifyInstance, dir: string | undefined): void {
  const files = new Map<string, { data: Buffer; type: string }>();
  const load = (folder: string, prefix: string) => {
    if (!existsSync(folder)) return;
    for (const name of readdirSync(folder, { recursive: true }).map(String)) {
      const type = CONSOLE_TYPES[extname(name)];
      if (type) files.set(`${prefix}${name}`, { data: readFileSync(join(folder, name)), type });
    }
  };
  if (dir) load(dir, '/console/');
  const index = files.get('/console/index.html');
  const page = async (_request: FastifyRequest, reply: FastifyReply) => {
    if (!index) return reply.code(503).type('text/plain; charset=utf-8').send('The console is not built: run "npm run build" in the Gatehouse folder, then restart "gatehouse serve". The admin API works without it.');
    return reply.type(index.type).send(index.data);
  };
  app.get('/', { schema: { hide: true } }, page);
  app.get('/console/*', { schema: { hide: true } }, async (request, reply) => {
    const f = files.get(request.url.split('?')[0]!);
    if (!f) return reply.code(404).type('text/plain; charset=utf-8').send('Not found');
    return reply.type(f.type).send(f.data);
  });
}

/** The machine's own addresses, for the Bindings dialog's IP address list. */
function localAddresses(): string[] {
  // Link-local IPv6 addresses need a zone to be bound, which bindings do not carry: not offered.
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((a) => !(a.family === 'IPv6' && /^fe80:/i.test(a.address))).map((a) => a.address));
}
