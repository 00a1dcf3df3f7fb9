// The admin server in-process (Fastify's inject, no socket) with a clock the test moves: session
// time-outs and the log-in throttle's window end to end, and the headers every answer carries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { openGatehouse } from '../lifecycle/gatehouse.js';
import { adminCertificate } from './admin-certificate.js';
import { buildAdminServer } from './admin-server.js';
import { DEFAULT_SESSION_LIMITS } from '../lifecycle/console-sessions.js';
import { DEFAULT_THROTTLE_LIMITS } from '../lifecycle/console-sessions.js';

const PASSWORD = 'correct horse battery staple';

async function fixture(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'gh-admin-unit-'));
  const g = openGatehouse({ dataDir: dir, actor: { name: 'tester', origin: 'cli' } });
  await g.users.add({ name: 'alice', role: 'organization-management', password: PASSWORD });
  const tls = await adminCertificate(g, undefined);
  let now = Date.now();
  const log: string[] = [];
  const app = await buildAdminServer(g, { tls, version: 'test', log: (l) => log.push(l), clock: () => now });
  t.after(async () => {
    await app.close();
    g.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { g, app, log, advance: (ms: number) => void (now += ms) };
}

async function login(app: FastifyInstance, password = PASSWORD) {
  const r = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { user: 'alice', password } });
  const cookie = String(r.headers['set-cookie'] ?? '').split(';')[0]!;
  return { status: r.statusCode, cookie, csrf: (r.json() as { csrfToken?: string }).csrfToken ?? '', headers: r.headers };
}

function whoAmI(app: FastifyInstance, cookie: string) {
  return app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } });
}

test('a console session ends after 30 idle minutes; use keeps it alive', async (t) => {
  const { app, advance } = await fixture(t);
  const s = await login(app);
  assert.equal(s.status, 201);
  for (let i = 0; i < 4; i++) {
    advance(DEFAULT_SESSION_LIMITS.idleMs - 60_000);
    assert.equal((await whoAmI(app, s.cookie)).statusCode, 200, `used after ${i + 1} × 29 minutes`);
  }
  advance(DEFAULT_SESSION_LIMITS.idleMs + 1);
  const r = await whoAmI(app, s.cookie);
  assert.equal(r.statusCode, 401);
  assert.equal((r.json() as { code: string }).code, 'GH_SESSION_EXPIRED');
});

test('a console session ends 12 hours after log-in however busy', async (t) => {
  const { app, advance } = await fixture(t);
  const s = await login(app);
  let elapsed = 0;
  while (elapsed + 20 * 60_000 <= DEFAULT_SESSION_LIMITS.absoluteMs) {
    advance(20 * 60_000);
    elapsed += 20 * 60_000;
    assert.equal((await whoAmI(app, s.cookie)).statusCode, 200, `at ${elapsed / 60_000} minutes`);
  }
  advance(DEFAULT_SESSION_LIMITS.absoluteMs - elapsed + 1);
  const r = await whoAmI(app, s.cookie);
  assert.equal(r.statusCode, 401);
  assert.equal((r.json() as { code: string }).code, 'GH_SESSION_EXPIRED');
  // A new log-in works.
  assert.equal((await login(app)).status, 201);
});

test('after the throttle window the right password works again', async (t) => {
  const { app, advance } = await fixture(t);
  for (let i = 0; i < DEFAULT_THROTTLE_LIMITS.perUser; i++) assert.equal((await login(app, 'a wrong password')).status, 401);
  const throttled = await login(app);
  assert.equal(throttled.status, 429);
  const wait = Number(throttled.headers['retry-after']);
  assert.ok(wait > 0 && wait <= DEFAULT_THROTTLE_LIMITS.windowMs / 1000, `Retry-After ${wait}`);
  advance(wait * 1000 - 2000);
  assert.equal((await login(app)).status, 429, 'not yet');
  advance(2000);
  assert.equal((await login(app)).status, 201, 'the window has passed');
});

test('every answer carries the security headers; API answers are never cached; the console page has a CSP', async (t) => {
  const { app } = await fixture(t);
  for (const url of ['/api/v1/openapi.json', '/api/v1/certificates', '/api/v1/nope', '/']) {
    const r = await app.inject({ method: 'GET', url });
    assert.equal(r.headers['x-content-type-options'], 'nosniff', url);
    assert.equal(r.headers['x-frame-options'], 'DENY', url);
    assert.equal(r.headers['referrer-policy'], 'no-referrer', url);
    if (url.startsWith('/api/')) assert.equal(r.headers['cache-control'], 'no-store', url);
    else assert.match(String(r.headers['content-security-policy']), /default-src 'self'.*frame-ancestors 'none'/, url);
    assert.equal(r.headers['strict-transport-security'], undefined, `${url}: no HSTS for localhost`);
    const named = await app.inject({ method: 'GET', url, headers: { host: 'gatehouse.example:8443' } });
    assert.equal(named.headers['strict-transport-security'], 'max-age=63072000', url);
  }
});

test('each call is logged with the address, the user, the route and the status — never the query string', async (t) => {
  const { app, log } = await fixture(t);
  const s = await login(app);
  await app.inject({ method: 'GET', url: '/api/v1/certificates?store=personal', headers: { cookie: s.cookie } });
  await app.inject({ method: 'GET', url: '/api/v1/users?x=secret', headers: { authorization: 'Bearer gh_x' } });
  assert.ok(log.some((l) => /^admin: 127\.0\.0\.1 - POST \/api\/v1\/session 201 \d+ms$/.test(l)), log.join('\n'));
  assert.ok(log.some((l) => /^admin: 127\.0\.0\.1 alice GET \/api\/v1\/certificates 200 \d+ms$/.test(l)), log.join('\n'));
  assert.ok(log.some((l) => /^admin: 127\.0\.0\.1 - GET \/api\/v1\/users 401 \d+ms$/.test(l)), log.join('\n'));
  assert.ok(!log.join('\n').includes('secret') && !log.join('\n').includes('personal'), log.join('\n'));
});
