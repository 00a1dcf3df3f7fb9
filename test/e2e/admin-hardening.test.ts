// The admin endpoint as a scanner sees it: HSTS and the security headers on every answer (curl -I),
// and its own certificate valid for at most 397 days (openssl x509 -enddate on what it serves).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { curlAsync, dataDir, join, openssl, sClient, tmpDir, writeText } from '../support/cli.js';
import { AdminServer } from '../support/admin.js';

const DAY = 86_400_000;

test('the admin endpoint sends HSTS (not to localhost) and the security headers; its certificate is valid for at most 397 days', async () => {
  const admin = await AdminServer.start(dataDir());
  try {
    for (const path of ['/', '/api/v1/openapi.json', '/api/v1/certificates', '/api/v1/nope', '/console/nope', '/api/v1/%zz']) {
      const r = await curlAsync(['-k', '-I', '--resolve', `gatehouse.test:${admin.port}:127.0.0.1`, `https://gatehouse.test:${admin.port}${path}`]);
      assert.ok(r.status > 0, `${path}: ${r.stderr}`);
      assert.equal(r.headers['strict-transport-security'], 'max-age=63072000', path);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
      assert.equal(r.headers['referrer-policy'], 'no-referrer', path);
      assert.equal(r.headers['x-frame-options'], 'DENY', path);
      if (path === '/') assert.match(r.headers['content-security-policy'] ?? '', /frame-ancestors 'none'/);
    }
    const ip = await curlAsync(['-k', '-I', `https://127.0.0.1:${admin.port}/`]);
    assert.equal(ip.headers['strict-transport-security'], 'max-age=63072000', 'by address too (browsers ignore it there; scanners look for it)');
    const local = await curlAsync(['-k', '-I', '--resolve', `localhost:${admin.port}:127.0.0.1`, `https://localhost:${admin.port}/`]);
    assert.equal(local.status, 200);
    assert.equal(local.headers['strict-transport-security'], undefined, 'not for localhost: it would force HTTPS on every local port');
    assert.equal(local.headers['x-frame-options'], 'DENY');

    // The certificate the endpoint serves, as openssl reads it.
    const served = sClient(admin.port, 'localhost');
    const pem = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(served.out)?.[0];
    assert.ok(pem, served.err);
    const file = writeText(join(tmpDir('gh-admin-cert-'), 'served.pem'), `${pem}\n`);
    const dates = openssl(['x509', '-in', file, '-noout', '-startdate', '-enddate', '-dateopt', 'iso_8601']);
    const start = Date.parse(/notBefore=(\S+ \S+)/.exec(dates)![1]!.replace(' ', 'T'));
    const end = Date.parse(/notAfter=(\S+ \S+)/.exec(dates)![1]!.replace(' ', 'T'));
    assert.ok(end - start <= 397 * DAY, `valid for ${(end - start) / DAY} days: ${dates}`);
    assert.ok(end - Date.now() > 390 * DAY, `a new one: ${dates}`);
  } finally {
    await admin.stop();
  }
});
