// Gatehouse's own admin certificate: 397 days at most, reused while it has more than 30 days left,
// replaced (and the old one removed) when it has fewer, and one made for 825 days by an older
// Gatehouse replaced at once; a running endpoint renews its own. A Gatehouse whose clock the test moves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openGatehouse } from '../lifecycle/gatehouse.js';
import { ADMIN_CERTIFICATE_NAME, adminCertificate } from './admin-certificate.js';
import { keepRenewed } from './admin-endpoint.js';
import { buildAdminServer } from './admin-server.js';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:tls';

const DAY = 86_400_000;

function fixture(t: { after: (fn: () => void | Promise<unknown>) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'gh-admin-cert-'));
  let now = Date.now();
  const g = openGatehouse({ dataDir: dir, actor: { name: 'tester', origin: 'cli' }, clock: () => new Date(now) });
  t.after(() => {
    g.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const own = () => g.certificates.list({ store: 'personal' }).filter((c) => c.friendlyName === ADMIN_CERTIFICATE_NAME).map((c) => c.thumbprint);
  return { g, own, advance: (days: number) => void (now += days * DAY) };
}

function days(pem: string): number {
  const x = new X509Certificate(pem);
  return (Date.parse(x.validTo) - Date.parse(x.validFrom)) / DAY;
}

test('the admin certificate is made for 397 days, kept while more than 30 days are left, then replaced and the old one removed', async (t) => {
  const { g, own, advance } = fixture(t);
  const first = await adminCertificate(g, undefined);
  assert.equal(first.created, true);
  assert.ok(days(first.cert) <= 397, `valid for ${days(first.cert)} days`);
  advance(397 - 31);
  const again = await adminCertificate(g, undefined);
  assert.equal(again.created, false, '31 days left: kept');
  assert.equal(again.thumbprint, first.thumbprint);
  advance(2);
  const renewed = await adminCertificate(g, undefined);
  assert.equal(renewed.created, true, '29 days left: replaced');
  assert.notEqual(renewed.thumbprint, first.thumbprint);
  assert.ok(days(renewed.cert) <= 397);
  assert.deepEqual(own(), [renewed.thumbprint], 'the replaced certificate is removed');
});

test('an admin certificate made for 825 days (by an older Gatehouse) is replaced at once', async (t) => {
  const { g, own } = fixture(t);
  const old = await g.certificates.selfSigned({ cn: 'localhost', sans: ['127.0.0.1'], days: 825, keyType: 'ecdsa-p256', exportable: false, friendlyName: ADMIN_CERTIFICATE_NAME, store: 'personal' });
  const tls = await adminCertificate(g, undefined);
  assert.equal(tls.created, true);
  assert.notEqual(tls.thumbprint, old.thumbprint);
  assert.ok(days(tls.cert) <= 397);
  assert.deepEqual(own(), [tls.thumbprint]);
});

test('a running endpoint renews its own certificate when 30 days are left: new connections get the new one', async (t) => {
  const { g, advance } = fixture(t);
  const tls = await adminCertificate(g, undefined);
  const log: string[] = [];
  const app = await buildAdminServer(g, { tls, version: 'test', log: (l) => log.push(l) });
  t.after(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  const served = () => new Promise<string>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate().fingerprint256.replace(/:/g, ''));
      s.destroy();
    });
    s.on('error', reject);
  });
  const sha = (pem: string) => new X509Certificate(pem).fingerprint256.replace(/:/g, '');
  assert.equal(await served(), sha(tls.cert));
  keepRenewed(g, app, tls, (l) => log.push(l), 20);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(await served(), sha(tls.cert), 'kept while more than 30 days are left');
  advance(397 - 29);
  let now = '';
  for (let i = 0; i < 100 && (now = await served()) === sha(tls.cert); i++) await new Promise((r) => setTimeout(r, 50));
  assert.notEqual(now, sha(tls.cert), 'renewed');
  const renewed = g.certificates.list({ store: 'personal' }).filter((c) => c.friendlyName === ADMIN_CERTIFICATE_NAME);
  assert.equal(renewed.length, 1, 'the old one is removed, and one new one made');
  assert.notEqual(renewed[0]!.thumbprint, tls.thumbprint);
  // The new context keeps the listeners' profile: no CBC suite in TLS 1.2.
  const cbc = await new Promise<string>((resolve) => {
    const s = connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA' }, () => {
      resolve('handshake');
      s.destroy();
    });
    s.on('error', () => resolve('refused'));
  });
  assert.equal(cbc, 'refused');
  assert.ok(log.some((l) => l.startsWith('admin: renewed the self-signed certificate')), log.join('\n'));
});
