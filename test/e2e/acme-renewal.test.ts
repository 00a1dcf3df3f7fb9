// ACME certificates renew themselves: pebble (Debian's, no ARI, long fixed validity) behind a
// test proxy that adds ACME Renewal Information (RFC 9773) and records newOrder payloads. A
// certificate from pebble, bound to two SNI sites and an IP:port binding without SNI and assigned
// to SMTP: an ARI window in the past makes `serve` renew it with no command, the order carries
// `replaces`, and every peer gets the new certificate; a window in the future does not renew and
// `renewal list` shows a time inside it; ARI down falls back to the lifetime rule; `renewal run`
// renews at once. Commands that reach the CA run asynchronously (ghAsync): the proxy is this process.
import { test, after, before, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import {
  curl, dataDir, eventually, freePorts, ghAsync, ghFail, ghJson, join, readText, sClient, startServe, tmpDir, assertCleanError, type ServeProcess,
} from '../support/cli.js';
import { SmtpBackend } from '../support/mail-backend.js';
import { configureListener } from '../support/mail-serve.js';
import { sClientMail } from '../support/mail-client.js';
import { Pebble } from '../support/pebble.js';
import { AriProxy } from '../support/ari-proxy.js';
import { ariCertId, renewalTimeByLifetime } from '../../src/acme/ari.js';

const WWW = 'www.contoso.com';
const SHOP = 'shop.contoso.com';
const MAIL = 'mail.contoso.com';

let pebble: Pebble;
let proxy: AriProxy;
let HTTP: number;
let HTTPS: number;
let rootFile: string;

before(async () => {
  [HTTP, HTTPS] = (await freePorts(2)) as [number, number];
  pebble = await Pebble.start({ httpPort: HTTP, tlsPort: HTTPS });
  proxy = await AriProxy.start(pebble.directory, pebble.caFile);
  rootFile = await pebble.rootFile();
});
after(async () => {
  await proxy?.stop();
  await pebble?.stop();
});

interface Setup {
  data: string;
  old: string;
  oldAriId: string;
  ports: { sni: number; ip: number; smtp: number };
  listening: string[];
}

interface Status {
  thumbprint: string;
  source: string;
  nextRenewal: string | null;
  nextRenewalWhy: string | null;
  ariWindow: { start: string; end: string } | null;
  ariError: string | null;
  replacedBy: string | null;
  lastAttempt: { outcome: string | null; detail: string } | null;
}

/** The leaf's DER, from the store's PEM export. */
function leafDer(data: string, ref: string): Buffer {
  const out = join(tmpDir('gh-acme-renewal-out-'), 'cert.pem');
  ghJson(data, ['cert', 'export', ref, '--format', 'pem', '--no-key', '--out', out]);
  return new X509Certificate(readText(out)).raw;
}

/**
 * A store with the proxy's pebble account and pebble's root trusted; sites www and shop (SNI on one
 * port) and ip (127.0.0.1:PORT without SNI), with www answering HTTP-01 on pebble's http port; a
 * certificate issued through ACME (serve running without the scheduler), bound to the three https
 * bindings and assigned to SMTP in front of a recording backend. serve is stopped afterwards.
 */
async function setup(t: TestContext): Promise<Setup> {
  const data = dataDir();
  const dir = tmpDir('gh-acme-renewal-');
  // Asynchronously: the proxy answers from this process.
  const account = await ghAsync(data, ['acme', 'account', 'add', 'pebble', '--directory', proxy.directory, '--email', 'admin@example.com', '--agree-tos', '--directory-ca', proxy.caBundle]);
  assert.equal(account.code, 0, account.stderr);
  ghJson(data, ['cert', 'import', '--store', 'root', '--file', rootFile]);
  for (const name of ['www', 'shop', 'ip']) {
    const root = join(dir, name);
    mkdirSync(root);
    writeFileSync(join(root, 'index.html'), `${name} home\n`);
    ghJson(data, ['site', 'add', name, '--root', root]);
  }
  ghJson(data, ['binding', 'add', 'www', '--protocol', 'http', '--port', String(HTTP)]);
  const issuing = await startServe(data, [`http *:${HTTP}`], ['--workers', '1', '--renew-every', '0']);
  let old: string;
  try {
    const r = await ghAsync(data, ['request', 'new', '--cn', WWW, '--san', SHOP, '--san', MAIL, '--key', 'ecdsa-p256', '--ca', 'acme:pebble', '--challenge', 'http-01', '--friendly-name', 'www acme', '--json']);
    assert.equal(r.code, 0, `${r.stderr}\n${pebble.log.slice(-3000)}`);
    old = r.json<{ thumbprint: string }>().thumbprint;
  } finally {
    await issuing.stop();
  }
  const smtp = await SmtpBackend.start();
  t.after(() => smtp.stop());
  const [sni, ip, smtpPort] = (await freePorts(3)) as [number, number, number];
  ghJson(data, ['binding', 'add', 'www', '--protocol', 'https', '--port', String(sni), '--host', WWW, '--sni', '--cert', old]);
  ghJson(data, ['binding', 'add', 'shop', '--protocol', 'https', '--port', String(sni), '--host', SHOP, '--sni', '--cert', old]);
  ghJson(data, ['binding', 'add', 'ip', '--protocol', 'https', '--port', String(ip), '--ip', '127.0.0.1', '--cert', old]);
  configureListener(data, 'smtp', smtpPort, smtp.address, { host: MAIL });
  ghJson(data, ['service', 'assign', old, '--services', 'smtp', '--overwrite']);
  return {
    data, old, oldAriId: ariCertId(leafDer(data, old)), ports: { sni, ip, smtp: smtpPort },
    listening: [`http *:${HTTP}`, `https *:${sni}`, `https 127.0.0.1:${ip}`, `smtp 127.0.0.1:${smtpPort}`],
  };
}

async function serve(t: TestContext, s: Setup, renewEvery: number): Promise<ServeProcess> {
  const server = await startServe(s.data, s.listening, ['--workers', '1', '--renew-every', String(renewEvery)]);
  t.after(() => server.stop());
  return server;
}

/** What every endpoint serves, asked by curl (trusting pebble's root), openssl s_client with and without SNI, and -starttls smtp. */
async function servedEverywhere(s: Setup): Promise<Record<string, string | null>> {
  for (const host of [WWW, SHOP]) {
    const r = curl(['--cacert', rootFile, '--resolve', `${host}:${s.ports.sni}:127.0.0.1`, `https://${host}:${s.ports.sni}/`]);
    assert.equal(r.status, 200, `curl https://${host}: ${r.stderr}`);
  }
  return {
    www: sClient(s.ports.sni, WWW).thumbprint,
    shop: sClient(s.ports.sni, SHOP).thumbprint,
    ip: sClient(s.ports.ip, null).thumbprint,
    smtp: (await sClientMail(s.ports.smtp, 'smtp', null)).thumbprint,
    smtpSni: (await sClientMail(s.ports.smtp, 'smtp', MAIL)).thumbprint,
  };
}

function every(thumbprint: string): Record<string, string> {
  return { www: thumbprint, shop: thumbprint, ip: thumbprint, smtp: thumbprint, smtpSni: thumbprint };
}

function status(data: string, thumbprint: string): Status {
  const row = ghJson<Status[]>(data, ['renewal', 'list']).find((r) => r.thumbprint === thumbprint);
  assert.ok(row, `renewal list has ${thumbprint}`);
  return row;
}

const MOVES = (ports: Setup['ports']) => [
  `binding https *:${ports.sni}:${SHOP} (site "shop")`,
  `binding https *:${ports.sni}:${WWW} (site "www")`,
  `binding https 127.0.0.1:${ports.ip}: (site "ip")`,
  'service smtp',
].sort();

test('an ARI window in the past: serve renews the certificate with no command, the order carries replaces, every peer gets the new certificate, one audit record lists every move', async (t) => {
  const s = await setup(t);
  assert.equal(status(s.data, s.old).source, 'acme:pebble');
  const past = { start: new Date(Date.now() - 2 * 86_400_000), end: new Date(Date.now() - 86_400_000) };
  proxy.windows.set(s.oldAriId, past);
  const ordersBefore = proxy.orders.length;
  const server = await serve(t, s, 1);
  let next = '';
  await eventually('the scheduler renews the certificate', () => {
    const row = status(s.data, s.old);
    next = row.replacedBy ?? '';
    return next !== '';
  }, 90_000, 500);
  // The log line comes after the commit (and the notifications): waited for, not raced. It ends with the timings.
  await server.waitFor(/renewal \d+: "www acme" renewed → [0-9A-F]+: .* \(applied by every serving process in \d+ ms, probed in \d+ ms\)$/m, 'the renewal logged with its timings', 15_000);
  const orders = proxy.orders.slice(ordersBefore);
  assert.deepEqual(orders.map((o) => o.replaces), [s.oldAriId], 'one order, carrying replaces = the old certificate\'s ARI identifier');
  assert.deepEqual(orders[0]!.identifiers.map((i) => i.value).sort(), [MAIL, SHOP, WWW].sort());
  const served = await servedEverywhere(s);
  assert.deepEqual(served, every(next));
  assert.ok(!Object.values(served).includes(s.old));
  const moves = ghJson<{ action: string; after: { uses: string[]; source: string } }[]>(s.data, ['audit']).filter((a) => a.action === 'certificate.renew');
  assert.equal(moves.length, 1, 'one audit record for the moves');
  assert.deepEqual([...moves[0]!.after.uses].sort(), MOVES(s.ports));
  assert.equal(moves[0]!.after.source, 'acme:pebble');
  // The new certificate came from the same account and is scheduled by its own ARI window (the proxy's default, a month away).
  await eventually('the new certificate gets its ARI window', () => status(s.data, next).nextRenewalWhy === 'ari window', 15_000, 250);
  const renewed = status(s.data, next);
  assert.equal(renewed.source, 'acme:pebble');
  assert.ok(Date.parse(renewed.nextRenewal!) > Date.now() + 29 * 86_400_000, renewed.nextRenewal!);
  // The account is not removed while a certificate in use came from it; nothing changes.
  const refused = ghFail(s.data, ['acme', 'account', 'remove', 'pebble'], 'GH_ACME_ACCOUNT_IN_USE');
  assertCleanError(refused, 'GH_ACME_ACCOUNT_IN_USE');
  assert.equal(ghJson<unknown[]>(s.data, ['acme', 'account', 'list']).length, 1);
  assert.equal(status(s.data, next).source, 'acme:pebble');
});

test('an ARI window in the future: no renewal over several scheduler ticks; renewal list shows the next renewal inside the window, and it stays put across a restart', async (t) => {
  const s = await setup(t);
  const window = { start: new Date(Date.now() + 10 * 86_400_000), end: new Date(Date.now() + 12 * 86_400_000) };
  proxy.windows.set(s.oldAriId, window);
  const asked = proxy.asked.length;
  const server = await serve(t, s, 1);
  await eventually('the window is read', () => status(s.data, s.old).nextRenewalWhy === 'ari window', 15_000, 250);
  const first = status(s.data, s.old);
  assert.deepEqual(first.ariWindow, { start: window.start.toISOString(), end: window.end.toISOString() });
  const at = Date.parse(first.nextRenewal!);
  assert.ok(at >= window.start.getTime() && at <= window.end.getTime(), `${first.nextRenewal} inside the window`);
  await new Promise((r) => setTimeout(r, 4000));
  assert.deepEqual(ghJson<unknown[]>(s.data, ['renewal', 'history', s.old]), [], 'no renewal');
  assert.deepEqual(await servedEverywhere(s), every(s.old));
  assert.equal(proxy.asked.slice(asked).filter((id) => id === s.oldAriId).length, 1, 'read once: the CA\'s Retry-After (6 hours) is honoured');
  await server.stop();
  await serve(t, s, 1);
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(status(s.data, s.old).nextRenewal, first.nextRenewal, 'the chosen instant is stored, not drawn again');
});

test('ARI unreachable (500, or a connection closed without an answer): the lifetime rule decides, serve logs why and keeps running', async (t) => {
  t.after(() => { proxy.mode = 'ok'; });
  for (const mode of ['error', 'close'] as const) {
    const s = await setup(t);
    proxy.mode = mode;
    const server = await serve(t, s, 1);
    await eventually(`the ARI failure (${mode}) is logged`, () => /renewal information \(ARI\) for "www acme" could not be read \(.+\); it renews by the lifetime rule/.test(server.out), 15_000, 250);
    const row = status(s.data, s.old);
    const cert = ghJson<{ notBefore: string; notAfter: string }>(s.data, ['cert', 'show', s.old]);
    assert.equal(row.nextRenewal, renewalTimeByLifetime(new Date(cert.notBefore), new Date(cert.notAfter)).toISOString());
    assert.equal(row.nextRenewalWhy, 'lifetime rule');
    if (mode === 'error') assert.match(row.ariError ?? '', /HTTP 500/);
    else assert.ok(row.ariError, 'the failure is kept');
    assert.ok(Date.parse(row.nextRenewal!) > Date.now(), 'pebble\'s long-lived certificate is not due');
    await new Promise((r) => setTimeout(r, 2000));
    assert.ok(!server.exited, 'serve keeps running');
    assert.deepEqual(ghJson<unknown[]>(s.data, ['renewal', 'history', s.old]), []);
    assert.deepEqual(await servedEverywhere(s), every(s.old));
    await server.stop();
  }
});

test('renewal run REF renews an ACME certificate now, through its account, with replaces', async (t) => {
  const s = await setup(t);
  await serve(t, s, 0);
  const ordersBefore = proxy.orders.length;
  const r = await ghAsync(s.data, ['renewal', 'run', s.old, '--json']);
  assert.equal(r.code, 0, `${r.stderr}\n${pebble.log.slice(-2000)}`);
  const report = r.json<{ outcome: string; source: string; probed: boolean; new: { thumbprint: string }; moves: { text: string }[] }>();
  assert.deepEqual([report.outcome, report.source, report.probed], ['renewed', 'acme:pebble', true]);
  assert.deepEqual(report.moves.map((m) => m.text).sort(), MOVES(s.ports));
  assert.deepEqual(proxy.orders.slice(ordersBefore).map((o) => o.replaces), [s.oldAriId]);
  assert.deepEqual(await servedEverywhere(s), every(report.new.thumbprint));
  assert.equal(status(s.data, report.new.thumbprint).source, 'acme:pebble');
  // Removing the account: refused while certificates in use came from it; --force makes them manual.
  assertCleanError(ghFail(s.data, ['acme', 'account', 'remove', 'pebble'], 'GH_ACME_ACCOUNT_IN_USE'), 'GH_ACME_ACCOUNT_IN_USE');
  const removed = ghJson<{ removed: boolean; nowManual: string[] }>(s.data, ['acme', 'account', 'remove', 'pebble', '--force']);
  assert.deepEqual([removed.removed, [...removed.nowManual].sort()], [true, [s.old, report.new.thumbprint].sort()]);
  assert.deepEqual([status(s.data, report.new.thumbprint).source, status(s.data, report.new.thumbprint).nextRenewal], ['manual', null]);
});

test('a renewal whose challenge fails: the old certificate keeps serving everywhere, the failure is recorded, and the scheduler backs off (one order over many ticks)', async (t) => {
  const s = await setup(t);
  // Nothing answers HTTP-01 any more: pebble's validation of the renewal fails.
  ghJson(s.data, ['binding', 'remove', 'www', '--protocol', 'http', '--port', String(HTTP)]);
  s.listening = s.listening.filter((l) => !l.startsWith('http '));
  proxy.windows.set(s.oldAriId, { start: new Date(Date.now() - 2 * 86_400_000), end: new Date(Date.now() - 86_400_000) });
  const ordersBefore = proxy.orders.length;
  const server = await serve(t, s, 1);
  await eventually('the renewal fails', () => status(s.data, s.old).lastAttempt?.outcome === 'failed', 90_000, 500);
  await new Promise((r) => setTimeout(r, 4000));
  assert.equal(proxy.orders.length - ordersBefore, 1, 'one order: the next try waits (an hour, doubling)');
  const row = status(s.data, s.old);
  assert.match(row.lastAttempt!.detail, /http-01/);
  assert.equal(row.replacedBy, null);
  assert.match(server.out, /renewal \d+: "www acme" failed/);
  assert.deepEqual(await servedEverywhere(s), every(s.old));
  assert.deepEqual(ghJson<unknown[]>(s.data, ['request', 'list']), [], 'the renewal\'s request was cancelled');
});
