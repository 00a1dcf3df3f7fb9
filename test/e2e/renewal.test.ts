// Renewal as one verified transaction, end to end with real peers: a certificate bound to three
// sites (two SNI names and an IP:port binding without SNI) and assigned to SMTP and IMAP; renewed
// by hand (`cert renew` → CSR → an openssl CA signs → `request complete`) and from the internal CA
// (`renewal run`); afterwards curl, openssl s_client with and without SNI, -starttls smtp and
// -starttls imap see the new certificate — or, when the probe fails (a name missing, a listener that
// cannot serve), every endpoint still serves the old one.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import {
  curl, dataDir, freePorts, gh, ghAsync, ghJson, join, openssl, readText, ServeProcess, sClient, TestPki, tmpDir, type RunResult,
  storeFor,
} from '../support/cli.js';
import { ImapBackend, PopBackend, SmtpBackend } from '../support/mail-backend.js';
import { configureListener } from '../support/mail-serve.js';
import { sClientMail } from '../support/mail-client.js';
import { openGatehouse } from '../../src/lifecycle/gatehouse.js';
import { RenewalScheduler } from '../../src/renewal/renewal-scheduler.js';
import { notifyRenewalOutcomes } from '../../src/renewal/renewal-notifications.js';
import { payloads, WebhookReceiver } from '../support/webhook-receiver.js';

const WWW = 'www.contoso.com';
const SHOP = 'shop.contoso.com';
const MAIL = 'mail.contoso.com';

interface Setup {
  data: string;
  pki: TestPki;
  old: string;
  ports: { sni: number; ip: number; smtp: number; imap: number };
  serve: ServeProcess;
  dir: string;
  /** The root clients trust: the openssl CA's, or the internal CA's. */
  caFile: string;
}

interface Report {
  outcome: string;
  probed: boolean;
  detail: string;
  moves: { text: string }[];
  probes: { endpoint: string; ok: boolean; served: string | null; detail: string }[];
  timings: { appliedMs: number | null; probeMs: number | null };
  new: { thumbprint: string };
}

/** A leaf for `csr` from the openssl CA's intermediate with exactly `names` (not the CSR's), as a bundle with the intermediate. */
function signWith(pki: TestPki, csr: string, names: string[] | null, dir: string): string {
  const leaf = names === null ? pki.sign(csr) : (() => {
    const ext = join(dir, `ext-${names.length}-${Date.now()}.cnf`);
    writeFileSync(ext, `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\n`);
    const out = join(dir, `leaf-${Date.now()}.pem`);
    openssl(['x509', '-req', '-in', csr, '-CA', pki.intCert, '-CAkey', pki.intKey, '-CAcreateserial', '-days', '90', '-extfile', ext, '-out', out]);
    return out;
  })();
  const bundle = join(dir, `bundle-${Date.now()}.pem`);
  writeFileSync(bundle, readText(leaf) + readText(pki.intCert));
  return bundle;
}

/**
 * The openssl CA's root trusted here; `old` issued by it for www, shop and mail; sites www and shop
 * (SNI on one port) and ip (127.0.0.1:PORT without SNI) bound to it; SMTP and IMAP listeners in front
 * of recording backends, assigned it; serve running. `source`: where `old` comes from.
 */
async function setup(t: TestContext, source: 'openssl' | 'internal', extra: (data: string) => Promise<void> | void = () => undefined): Promise<Setup> {
  const dir = tmpDir('gh-renewal-');
  const pki = TestPki.create();
  const data = dataDir();
  ghJson(data, ['cert', 'import', '--store', 'root', '--file', pki.rootCert]);
  let old: string;
  let caFile = pki.rootCert;
  if (source === 'openssl') {
    const csr = join(dir, 'www.csr');
    ghJson(data, ['request', 'new', '--cn', WWW, '--san', SHOP, '--san', MAIL, '--key', 'ecdsa-p256', '--friendly-name', 'www old', '--out', csr]);
    old = ghJson<{ thumbprint: string }>(data, ['request', 'complete', '--file', signWith(pki, csr, null, dir)]).thumbprint;
  } else {
    ghJson(data, ['ca', 'init']);
    caFile = join(dir, 'internal-ca.pem');
    ghJson(data, ['ca', 'export', '--out', caFile]);
    const req = ghJson<{ id: number }>(data, ['request', 'new', '--cn', WWW, '--san', SHOP, '--san', MAIL, '--key', 'ecdsa-p256']);
    old = ghJson<{ thumbprint: string }>(data, ['request', 'submit', String(req.id), '--ca', 'internal', '--friendly-name', 'www old', '--days', '30']).thumbprint;
  }
  const smtp = await SmtpBackend.start();
  const imap = await ImapBackend.start();
  t.after(() => smtp.stop());
  t.after(() => imap.stop());
  const [sni, ip, smtpPort, imapPort] = (await freePorts(4)) as [number, number, number, number];
  for (const name of ['www', 'shop', 'ip']) {
    const root = join(dir, name);
    mkdirSync(root);
    writeFileSync(join(root, 'index.html'), `${name} home\n`);
    ghJson(data, ['site', 'add', name, '--root', root]);
  }
  ghJson(data, ['binding', 'add', 'www', '--protocol', 'https', '--port', String(sni), '--host', WWW, '--sni', '--cert', old]);
  ghJson(data, ['binding', 'add', 'shop', '--protocol', 'https', '--port', String(sni), '--host', SHOP, '--sni', '--cert', old]);
  ghJson(data, ['binding', 'add', 'ip', '--protocol', 'https', '--port', String(ip), '--ip', '127.0.0.1', '--cert', old]);
  configureListener(data, 'smtp', smtpPort, smtp.address, { host: MAIL });
  configureListener(data, 'imap', imapPort, imap.address, { host: MAIL });
  ghJson(data, ['service', 'assign', old, '--services', 'smtp,imap', '--overwrite']);
  await extra(data);
  const serve = new ServeProcess(data, ['--workers', '1']);
  t.after(() => serve.stop());
  for (const l of [`https \\*:${sni}`, `https 127\\.0\\.0\\.1:${ip}`, `smtp 127\\.0\\.0\\.1:${smtpPort}`, `imap 127\\.0\\.0\\.1:${imapPort}`]) {
    await serve.waitFor(new RegExp(`listening on ${l}(\\s|$)`, 'm'), l);
  }
  return { data, pki, old, ports: { sni, ip, smtp: smtpPort, imap: imapPort }, serve, dir, caFile };
}

/** What every endpoint serves now, asked by independent peers: curl, openssl s_client with and without SNI, -starttls smtp and imap. */
async function servedEverywhere(s: Setup): Promise<Record<string, string | null>> {
  const caFile = s.caFile;
  const viaCurl = (host: string) => {
    const r = curl(['--cacert', caFile, '--resolve', `${host}:${s.ports.sni}:127.0.0.1`, `https://${host}:${s.ports.sni}/`]);
    assert.equal(r.status, 200, `curl https://${host}: ${r.stderr}`);
  };
  viaCurl(WWW);
  viaCurl(SHOP);
  return {
    www: sClient(s.ports.sni, WWW).thumbprint,
    shop: sClient(s.ports.sni, SHOP).thumbprint,
    ip: sClient(s.ports.ip, null).thumbprint,
    smtp: (await sClientMail(s.ports.smtp, 'smtp', null)).thumbprint,
    smtpSni: (await sClientMail(s.ports.smtp, 'smtp', MAIL)).thumbprint,
    imap: (await sClientMail(s.ports.imap, 'imap', null)).thumbprint,
  };
}

function every(thumbprint: string): Record<string, string> {
  return { www: thumbprint, shop: thumbprint, ip: thumbprint, smtp: thumbprint, smtpSni: thumbprint, imap: thumbprint };
}

function audit(data: string): { action: string; before: unknown; after: unknown }[] {
  return ghJson(data, ['audit']);
}

function parse(r: RunResult): { thumbprint: string; renewal: Report } {
  assert.ok(r.stdout.trim().startsWith('{'), `JSON expected:\n${r.stdout}\n${r.stderr}`);
  return r.json();
}

const MOVES = (ports: Setup['ports']) => [
  `binding https *:${ports.sni}:${SHOP} (site "shop")`,
  `binding https *:${ports.sni}:${WWW} (site "www")`,
  `binding https 127.0.0.1:${ports.ip}: (site "ip")`,
  'service smtp',
  'service imap',
].sort();

test('manual renewal (the IIS guide\'s CA): cert renew → CSR → openssl ca → request complete moves every use, probes each endpoint, and every peer gets the new certificate; one audit record lists every move', async (t) => {
  const s = await setup(t, 'openssl');
  assert.deepEqual(await servedEverywhere(s), every(s.old));
  const csr = join(s.dir, 'renew.csr');
  const req = ghJson<{ id: number; renews: string; sans: string[] }>(s.data, ['cert', 'renew', 'www old', '--out', csr]);
  assert.equal(req.renews, s.old);
  assert.deepEqual(req.sans, [WWW, SHOP, MAIL]);
  const auditsBefore = audit(s.data).length;
  const r = await ghAsync(s.data, ['request', 'complete', '--file', signWith(s.pki, csr, null, s.dir), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const { thumbprint: next, renewal } = parse(r);
  assert.notEqual(next, s.old);
  assert.equal(renewal.outcome, 'renewed', renewal.detail);
  assert.equal(renewal.probed, true);
  assert.deepEqual(renewal.moves.map((m) => m.text).sort(), MOVES(s.ports));
  assert.deepEqual(renewal.probes.filter((p) => !p.ok), []);
  assert.deepEqual(renewal.probes.map((p) => p.endpoint).filter((e) => e.startsWith('https 127.0.0.1')).sort(), [
    `https 127.0.0.1:${s.ports.ip} without SNI`, `https 127.0.0.1:${s.ports.sni} SNI ${SHOP}`, `https 127.0.0.1:${s.ports.sni} SNI ${WWW}`,
  ].sort());
  for (const e of [`smtp 127.0.0.1:${s.ports.smtp} STARTTLS without SNI`, `smtp 127.0.0.1:${s.ports.smtp} STARTTLS SNI ${MAIL}`, `imap 127.0.0.1:${s.ports.imap} STARTTLS without SNI`]) {
    assert.ok(renewal.probes.some((p) => p.endpoint === e && p.ok), `probed ${e}`);
  }
  assert.deepEqual(await servedEverywhere(s), every(next));

  const records = audit(s.data).slice(auditsBefore);
  const moves = records.filter((a) => a.action === 'certificate.renew');
  assert.equal(moves.length, 1, 'one audit record for the moves');
  assert.deepEqual([...(moves[0]!.after as { uses: string[] }).uses].sort(), MOVES(s.ports));
  const history = ghJson<{ outcome: string; new: string }[]>(s.data, ['renewal', 'history', s.old]);
  assert.deepEqual(history.map((h) => [h.outcome, h.new]), [['renewed', next]]);
  const list = ghJson<{ thumbprint: string; source: string; replacedBy: string | null; nextRenewal: string | null }[]>(s.data, ['renewal', 'list']);
  assert.deepEqual(list.find((x) => x.thumbprint === s.old), { ...list.find((x) => x.thumbprint === s.old)!, source: 'manual', replacedBy: next, nextRenewal: null });
  assert.ok(ghJson<{ thumbprint: string }[]>(s.data, ['cert', 'list']).some((c) => c.thumbprint === s.old), 'the old certificate stays in the store');
});

test('rollback: a renewed certificate that lacks a name one binding needs fails that probe, every use moves back, every peer gets the old certificate, the new one is kept marked failed; a webhook gets renewal-rolled-back', async (t) => {
  const hook = await WebhookReceiver.start();
  t.after(() => hook.stop());
  const s = await setup(t, 'openssl', (data) => void ghJson(data, ['notify', 'add', 'ops', '--webhook', hook.url]));
  const csr = join(s.dir, 'renew.csr');
  ghJson(s.data, ['cert', 'renew', s.old, '--out', csr]);
  const r = await ghAsync(s.data, ['request', 'complete', '--file', signWith(s.pki, csr, [WWW, MAIL], s.dir), '--json']);
  assert.equal(r.code, 1, `a rolled-back renewal exits 1\n${r.stderr}`);
  const { thumbprint: next, renewal } = parse(r);
  assert.equal(renewal.outcome, 'rolled-back');
  const failed = renewal.probes.filter((p) => !p.ok);
  assert.ok(failed.length > 0 && failed.every((p) => p.endpoint.includes(`SNI ${SHOP}`) && p.detail.includes(`does not cover ${SHOP}`)), JSON.stringify(failed));
  assert.match(renewal.detail, /^failed probe: /);
  assert.deepEqual(await servedEverywhere(s), every(s.old));
  assert.deepEqual(audit(s.data).filter((a) => a.action.startsWith('certificate.renew')).map((a) => a.action), ['certificate.renew', 'certificate.renew-rollback']);
  const list = ghJson<{ thumbprint: string; failedProbe: string | null }[]>(s.data, ['renewal', 'list']);
  assert.match(list.find((x) => x.thumbprint === next)?.failedProbe ?? '', /failed probe: .*shop\.contoso\.com/);
  assert.deepEqual(ghJson<{ outcome: string }[]>(s.data, ['renewal', 'history', next]).map((h) => h.outcome), ['rolled-back']);
  // The command's process sent the notification before it ended: the certificate, and the failing probe's detail.
  const sent = payloads(hook);
  assert.deepEqual(sent.map((p) => p.kind), ['renewal-rolled-back'], JSON.stringify(sent));
  assert.equal(sent[0]!.certificate?.thumbprint, s.old);
  assert.equal(sent[0]!.certificate?.friendlyName, 'www old');
  assert.ok(sent[0]!.detail.includes(failed[0]!.detail), sent[0]!.detail);
  assert.match(sent[0]!.detail, new RegExp(`SNI ${SHOP.replace(/\./g, '\\.')}`));
});

test('renewal-failed: a source that cannot issue (the scheduler, with notifications wired as every process wires them) sends it, nothing moved', async (t) => {
  const hook = await WebhookReceiver.start();
  t.after(() => hook.stop());
  const data = dataDir();
  ghJson(data, ['ca', 'init']);
  const req = ghJson<{ id: number }>(data, ['request', 'new', '--cn', WWW, '--key', 'ecdsa-p256']);
  const old = ghJson<{ thumbprint: string }>(data, ['request', 'submit', String(req.id), '--ca', 'internal', '--friendly-name', 'www old', '--days', '30']).thumbprint;
  ghJson(data, ['site', 'add', 'www', '--root', tmpDir()]);
  ghJson(data, ['binding', 'add', 'www', '--protocol', 'https', '--port', '8443', '--cert', old]);
  ghJson(data, ['notify', 'add', 'ops', '--webhook', hook.url]);
  const g = openGatehouse({ dataDir: data, store: storeFor(data), actor: { name: 'renewal scheduler', origin: 'system' } });
  t.after(() => g.close());
  const logged: string[] = [];
  const stop = notifyRenewalOutcomes(g, (line) => logged.push(line));
  t.after(stop);
  const broken = { renew: () => Promise.reject(new Error('the CA is down for maintenance')) };
  const scheduler = new RenewalScheduler(g, { now: () => new Date(Date.now() + 21 * 86_400_000), sources: { renewers: { internal: broken } } });
  const reports = await scheduler.tick();
  await scheduler.stop();
  assert.deepEqual(reports.map((r) => r.outcome), ['failed']);
  const sent = payloads(hook);
  assert.deepEqual(sent.map((p) => p.kind), ['renewal-failed'], `${JSON.stringify(sent)} ${logged.join('; ')}`);
  assert.equal(sent[0]!.certificate?.thumbprint, old);
  assert.match(sent[0]!.detail, /the internal source could not issue: the CA is down for maintenance/);
  assert.match(sent[0]!.detail, /Nothing was moved/);
  assert.deepEqual(ghJson<{ certificate: string }[]>(data, ['binding', 'list']).map((b) => b.certificate), [old]);
});

test('rollback: a mail listener that cannot serve (its port is taken by another process) fails the probe; renewal run from the internal CA rolls every use back', async (t) => {
  let squatter: Server | undefined;
  let popPort = 0;
  const s = await setup(t, 'internal', async (data) => {
    const pop = await PopBackend.start();
    t.after(() => pop.stop());
    [popPort] = (await freePorts(1)) as [number];
    squatter = createServer((c) => c.destroy());
    await new Promise<void>((resolve) => squatter!.listen(popPort, '127.0.0.1', resolve));
    t.after(() => squatter?.close());
    configureListener(data, 'pop', popPort, pop.address, { host: MAIL });
    ghJson(data, ['service', 'assign', 'www old', '--services', 'pop', '--overwrite']);
  });
  const dry = ghJson<{ dryRun: boolean; source: string; moves: unknown[]; probes: unknown[] }>(s.data, ['renewal', 'run', s.old, '--dry-run']);
  assert.deepEqual([dry.dryRun, dry.source, dry.moves.length], [true, 'internal', 6]);
  const r = await ghAsync(s.data, ['renewal', 'run', s.old, '--json']);
  assert.equal(r.code, 1, r.stderr);
  const report = r.json<Report>();
  assert.equal(report.outcome, 'rolled-back');
  // The steps after the move are timed: serve applied it (a number of ms), the handshakes ran.
  assert.deepEqual([typeof report.timings.appliedMs, typeof report.timings.probeMs], ['number', 'number'], JSON.stringify(report.timings));
  const failed = report.probes.filter((p) => !p.ok);
  assert.ok(failed.length > 0 && failed.every((p) => p.endpoint.startsWith(`pop 127.0.0.1:${popPort}`) && p.served === null), JSON.stringify(failed));
  assert.deepEqual(await servedEverywhere(s), every(s.old));
  assert.ok(ghJson<{ thumbprint: string }[]>(s.data, ['cert', 'list']).some((c) => c.thumbprint === report.new.thumbprint), 'the new certificate is kept');
});

test('renewal run from the internal CA without serve: the moves are made in one change, and the renewal says it was not probed', async () => {
  const data = dataDir();
  ghJson(data, ['ca', 'init']);
  const req = ghJson<{ id: number }>(data, ['request', 'new', '--cn', WWW, '--key', 'ecdsa-p256']);
  const old = ghJson<{ thumbprint: string }>(data, ['request', 'submit', String(req.id), '--ca', 'internal', '--friendly-name', 'www old']).thumbprint;
  ghJson(data, ['site', 'add', 'www', '--root', tmpDir()]);
  ghJson(data, ['binding', 'add', 'www', '--protocol', 'https', '--port', '8443', '--cert', old]);
  const r = gh(data, ['renewal', 'run', 'www old', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const report = r.json<Report>();
  assert.deepEqual([report.outcome, report.probed], ['renewed', false]);
  assert.deepEqual(report.timings, { appliedMs: null, probeMs: null }, 'no serving process applied it, nothing was probed');
  assert.match(r.stderr, /not probed/);
  assert.deepEqual(ghJson<{ certificate: string }[]>(data, ['binding', 'list']).map((b) => b.certificate), [report.new.thumbprint]);
  ghJson(data, ['cert', 'self-signed', '--cn', WWW, '--key', 'ecdsa-p256', '--friendly-name', 'self']);
  const manual = gh(data, ['renewal', 'run', 'self']);
  assert.equal(manual.code, 1);
  assert.match(manual.stderr, /GH_RENEWAL_MANUAL/);
  const history = ghJson<{ outcome: string; detail: string; probes: unknown }[]>(data, ['renewal', 'history', old]);
  assert.deepEqual(history.map((h) => [h.outcome, h.probes]), [['renewed', null]]);
  assert.match(history[0]!.detail, /^not probed/);
});

test('the renewal scheduler: serve runs one; a certificate from the internal CA that is due is renewed, probed against the running serve, and every peer gets the new certificate', async (t) => {
  const s = await setup(t, 'internal');
  assert.match(s.serve.out, /renewal scheduler: looking for certificates due every 60 s/);
  // The scheduler as serve runs it, in this process on the same store, judging "due" 21 days ahead
  // (the 30-day certificate is due with a third of its lifetime left); issuing and probing happen now.
  const g = openGatehouse({ dataDir: s.data, store: storeFor(s.data), actor: { name: 'renewal scheduler', origin: 'system' } });
  t.after(() => g.close());
  const scheduler = new RenewalScheduler(g, { now: () => new Date(Date.now() + 21 * 86_400_000) });
  const reports = await scheduler.tick();
  await scheduler.stop();
  assert.deepEqual(reports.map((r) => [r.outcome, r.probed, r.probes.every((p) => p.ok)]), [['renewed', true, true]], JSON.stringify(reports.map((r) => r.detail)));
  assert.deepEqual(await servedEverywhere(s), every(reports[0]!.new.thumbprint));
  assert.equal(audit(s.data).filter((a) => a.action === 'certificate.renew').length, 1);
});
