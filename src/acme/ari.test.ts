// ACME Renewal Information (RFC 9773): the certificate identifier (checked against the RFC's own
// example, with a certificate made by openssl), reading a CA's window from a real HTTP server, and
// when to renew inside a window or, without one, by the lifetime rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ariCertId, fetchRenewalInfo, renewalTimeByLifetime, renewalTimeInWindow } from './ari.js';

test('the ARI identifier of RFC 9773 §4.1\'s example certificate (AKI 69:88:5B…, serial 00:87:65:43:21)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-ari-'));
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  writeFileSync(join(dir, 'ca.ext'), 'basicConstraints=critical,CA:TRUE\nsubjectKeyIdentifier=69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4\n');
  writeFileSync(join(dir, 'leaf.ext'), 'authorityKeyIdentifier=keyid:always\nsubjectAltName=DNS:ari.test\n');
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.csr', '-subj', '/CN=ARI CA']);
  openssl(['x509', '-req', '-in', 'ca.csr', '-key', 'ca.key', '-days', '10', '-extfile', 'ca.ext', '-out', 'ca.pem']);
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=ari.test']);
  openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '0x87654321', '-days', '5', '-extfile', 'leaf.ext', '-outform', 'DER', '-out', 'leaf.der']);
  assert.equal(ariCertId(readFileSync(join(dir, 'leaf.der'))), 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE');
});

test('a renewal window read from a CA: the window, Retry-After bounded; a broken answer is an error, not a window', async (t) => {
  const answers: Array<{ status: number; body: string; headers?: Record<string, string> }> = [];
  const asked: string[] = [];
  const server = createServer((req, res) => {
    asked.push(req.url ?? '');
    const a = answers.shift() ?? { status: 500, body: '' };
    res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers }).end(a.body);
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/renewal-info`;
  const now = new Date('2026-11-28T12:00:00Z');
  answers.push({ status: 200, body: JSON.stringify({ suggestedWindow: { start: '2026-12-01T00:00:00Z', end: '2026-12-02T00:00:00Z' }, explanationURL: 'https://ca.test/why' }), headers: { 'retry-after': '21600' } });
  const info = await fetchRenewalInfo(base, 'abc.def', { now });
  assert.equal(asked[0], '/renewal-info/abc.def');
  assert.equal(info.start.toISOString(), '2026-12-01T00:00:00.000Z');
  assert.equal(info.end.toISOString(), '2026-12-02T00:00:00.000Z');
  assert.equal(info.explanationUrl, 'https://ca.test/why');
  assert.equal(info.retryAfter.getTime() - now.getTime(), 21_600_000);
  answers.push({ status: 200, body: JSON.stringify({ suggestedWindow: { start: '2026-12-01T00:00:00Z', end: '2026-12-02T00:00:00Z' } }), headers: { 'retry-after': '99999999' } });
  assert.equal((await fetchRenewalInfo(base, 'x.y', { now })).retryAfter.getTime() - now.getTime(), 86_400_000, 'Retry-After capped at a day');
  answers.push({ status: 200, body: JSON.stringify({ suggestedWindow: { start: '2026-12-02T00:00:00Z', end: '2026-12-01T00:00:00Z' } }) });
  await assert.rejects(fetchRenewalInfo(base, 'x.y', { now }), /start before its end/);
  answers.push({ status: 200, body: 'not json' });
  await assert.rejects(fetchRenewalInfo(base, 'x.y', { now }), /did not answer JSON/);
  answers.push({ status: 404, body: '' });
  await assert.rejects(fetchRenewalInfo(base, 'x.y', { now }), /HTTP 404/);
});

test('when to renew: random inside the window, now when it is over; a third (or half under 10 days) of the lifetime left otherwise', () => {
  const now = new Date('2026-11-28T12:00:00Z');
  const window = { start: new Date('2026-12-01T00:00:00Z'), end: new Date('2026-12-02T00:00:00Z') };
  assert.equal(renewalTimeInWindow(window, now, () => 0).toISOString(), '2026-12-01T00:00:00.000Z');
  assert.equal(renewalTimeInWindow(window, now, () => 0.5).toISOString(), '2026-12-01T12:00:00.000Z');
  assert.equal(renewalTimeInWindow({ start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-11-02T00:00:00Z') }, now).getTime(), now.getTime());
  const inside = renewalTimeInWindow({ start: new Date('2026-11-28T00:00:00Z'), end: new Date('2026-11-29T12:00:00Z') }, now, () => 0);
  assert.equal(inside.getTime(), now.getTime(), 'a window that has started: from now on');
  assert.equal(renewalTimeByLifetime(new Date('2026-01-01T00:00:00Z'), new Date('2026-04-01T00:00:00Z')).toISOString(), '2026-03-02T00:00:00.000Z');
  assert.equal(renewalTimeByLifetime(new Date('2026-01-01T00:00:00Z'), new Date('2026-01-07T00:00:00Z')).toISOString(), '2026-01-04T00:00:00.000Z');
});
