// End-to-end: /metrics. Scraped from the admin endpoint with a view-only token (401 without) and
// from `serve --metrics` without one, parsed with a Prometheus text-format parser
// (parse-prometheus-text-format): each certificate's end and days left match `cert show`, the
// handshakes and requests curl makes are counted by the two worker processes and summed by the
// supervisor, and the revision each serving process serves follows a change. The notification
// targets' routes sit on the same endpoint: view lists, certificates.manage changes, no secret is answered.
// With --workers 1 the process answers from its own registry, mail sessions per listener included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { curl, dataDir, ROOT, eventually, freePorts, ghAsync, ghJson, join, selfSignedCert, startServe, tmpDir, writeText } from '../support/cli.js';
import { SmtpBackend } from '../support/mail-backend.js';
import { accepts, assignedCert, configureListener } from '../support/mail-serve.js';
import { AdminServer, addUser, createToken, type ApiResponse } from '../support/admin.js';

interface Sample { value: string; labels?: Record<string, string> }
interface Family { name: string; help: string; type: string; metrics: Sample[] }
const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

const [HTTPS, HTTP, PLAIN] = (await freePorts(3)) as [number, number, number];

function family(families: Family[], name: string): Sample[] {
  return families.find((f) => f.name === name)?.metrics ?? [];
}

/** The one sample of `name` whose labels include `labels`; its value as a number (0 when there is none: a counter not yet counted). */
function value(families: Family[], name: string, labels: Record<string, string> = {}): number {
  const found = family(families, name).filter((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)}: ${found.length} samples`);
  return found.length === 0 ? 0 : Number(found[0]!.value);
}

test('/metrics: token required, certificates as cert show says, handshakes and requests summed over 2 workers, process revisions follow a change', { timeout: 120_000 }, async (t) => {
  const data = dataDir();
  const root = tmpDir('gh-www-');
  writeText(join(root, 'index.html'), 'hello\n');
  const www = selfSignedCert(data, 'www.contoso.test', 'Contoso www', ['--days', '30']);
  ghJson(data, ['site', 'add', 'Contoso', '--root', root]);
  ghJson(data, ['binding', 'add', 'Contoso', '--protocol', 'https', '--port', String(HTTPS), '--cert', 'Contoso www']);
  ghJson(data, ['binding', 'add', 'Contoso', '--protocol', 'http', '--port', String(HTTP)]);
  addUser(data, 'victor', 'view-only');
  addUser(data, 'olivia', 'organization-management');
  const view = createToken(data, 'victor');
  const manage = createToken(data, 'olivia');
  const admin = await AdminServer.start(data, ['--workers', '2', '--metrics', `127.0.0.1:${PLAIN}`]);
  t.after(() => admin.stop());
  const get = (path: string, token?: string): Promise<ApiResponse> => admin.call('GET', path, token === undefined ? {} : { token });
  const scrape = async (): Promise<Family[]> => {
    const r = await get('/metrics', view);
    assert.equal(r.status, 200, r.text);
    assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    return parse(r.text);
  };

  // Without a token (or with a bad one): 401, and nothing of the metrics.
  const anonymous = await get('/metrics');
  assert.equal(anonymous.status, 401);
  assert.ok(!anonymous.text.includes('gatehouse_'), anonymous.text);
  assert.equal((await get('/metrics', 'not-a-token')).status, 401);

  await eventually('both workers serve', async () => {
    const s = ghJson<{ processes: Array<{ live: boolean; listeners: string[] }> }>(data, ['serve', 'status']);
    return s.processes.filter((p) => p.live && p.listeners.includes(`https *:${HTTPS}`)).length === 2;
  }, 30_000);

  // Certificates: the end `cert show` gives, and the days left until it.
  const shown = ghJson<{ notAfter: string; friendlyName: string; store: string }>(data, ['cert', 'show', www]);
  const before = Date.now();
  let m = await scrape();
  const labels = { thumbprint: www, friendly_name: 'Contoso www', store: shown.store };
  assert.equal(value(m, 'gatehouse_certificate_not_after_seconds', labels), Date.parse(shown.notAfter) / 1000);
  const days = value(m, 'gatehouse_certificate_days_left', labels);
  const expected = (Date.parse(shown.notAfter) - before) / 86_400_000;
  assert.ok(days <= expected && days > expected - 0.01, `days left ${days}, expected about ${expected}`);
  assert.ok(days > 29 && days < 30.01, `a 30-day certificate: ${days}`);

  // Revisions: the store's, and each of the two workers' at it.
  const revision = value(m, 'gatehouse_store_revision');
  let processes = family(m, 'gatehouse_serving_process_revision');
  assert.equal(processes.length, 2, JSON.stringify(processes));
  for (const p of processes) {
    assert.equal(Number(p.value), revision);
    assert.equal(p.labels?.role, 'worker');
  }

  // Handshakes and requests: counted in whichever worker took the connection, summed by the supervisor.
  const binding = { site: 'Contoso', binding: `*:${HTTPS}:` };
  const handshakes0 = value(m, 'gatehouse_tls_handshakes_total', binding);
  const https0 = value(m, 'gatehouse_http_requests_total', { site: 'Contoso', code: '200' });
  const missing0 = value(m, 'gatehouse_http_requests_total', { site: 'Contoso', code: '404' });
  const N = 6;
  for (let i = 0; i < N; i++) {
    const r = curl(['-k', `https://127.0.0.1:${HTTPS}/`]);
    assert.equal(r.status, 200, r.stderr);
  }
  assert.equal(curl([`http://127.0.0.1:${HTTP}/nothing-here`]).status, 404);
  m = await scrape();
  assert.equal(value(m, 'gatehouse_tls_handshakes_total', binding), handshakes0 + N);
  assert.equal(value(m, 'gatehouse_http_requests_total', { site: 'Contoso', code: '200' }), https0 + N);
  assert.equal(value(m, 'gatehouse_http_requests_total', { site: 'Contoso', code: '404' }), missing0 + 1);

  // A change: every process's revision follows it.
  ghJson(data, ['site', 'add', 'Second', '--root', root]);
  await eventually('both workers serve the new revision', async () => {
    m = await scrape();
    processes = family(m, 'gatehouse_serving_process_revision');
    const now = value(m, 'gatehouse_store_revision');
    return now > revision && processes.length === 2 && processes.every((p) => Number(p.value) === now);
  }, 20_000);

  // serve --metrics: the same, over plain HTTP without a token.
  const plain = curl([`http://127.0.0.1:${PLAIN}/metrics`]);
  assert.equal(plain.status, 200);
  const pm = parse(plain.body);
  assert.equal(value(pm, 'gatehouse_certificate_not_after_seconds', labels), Date.parse(shown.notAfter) / 1000);
  assert.ok(value(pm, 'gatehouse_tls_handshakes_total', binding) >= handshakes0 + N);
  assert.equal(curl([`http://127.0.0.1:${PLAIN}/other`]).status, 404);

  // The Grafana dashboard asks only for metrics Gatehouse answers.
  const dashboard = readFileSync(join(ROOT, 'docs', 'grafana-dashboard.json'), 'utf8');
  assert.ok(JSON.parse(dashboard).panels.length > 0);
  const names = new Set(m.map((f) => f.name));
  for (const [name] of dashboard.matchAll(/gatehouse_[a-z_]+/g)) assert.ok(names.has(name), `the dashboard asks for ${name}, which /metrics does not answer`);

  // Notification targets on the same endpoint: view lists, certificates.manage adds; the secret is never answered.
  const secret = 'api-webhook-secret-91b2';
  const body = { name: 'ops-hook', webhook: { url: 'https://hooks.contoso.test/gh', secret } };
  assert.equal((await admin.call('POST', '/api/v1/notifications', { token: view, body })).status, 403);
  const added = await admin.call('POST', '/api/v1/notifications', { token: manage, body });
  assert.equal(added.status, 201, added.text);
  assert.equal(added.json.hasSecret, true);
  const listed = await get('/api/v1/notifications', view);
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.json.map((x: { name: string }) => x.name), ['ops-hook']);
  const audit = await get('/api/v1/audit', view);
  for (const text of [added.text, listed.text, audit.text]) assert.ok(!text.includes(secret), `the secret leaked: ${text}`);
  assert.equal((await admin.call('DELETE', '/api/v1/notifications/ops-hook', { token: manage })).status, 200);
});

test('serve --workers 1 --metrics: the process counts on its own registry — handshakes, requests, and mail sessions per listener', { timeout: 90_000 }, async (t) => {
  const data = dataDir();
  const [web, smtpPort, plain] = (await freePorts(3)) as [number, number, number];
  const root = tmpDir('gh-www-');
  writeText(join(root, 'index.html'), 'hello\n');
  selfSignedCert(data, 'www.fabrikam.test', 'Fabrikam www');
  ghJson(data, ['site', 'add', 'Fabrikam', '--root', root]);
  ghJson(data, ['binding', 'add', 'Fabrikam', '--protocol', 'https', '--port', String(web), '--host', 'www.fabrikam.test', '--sni', '--cert', 'Fabrikam www']);
  const backend = await SmtpBackend.start();
  t.after(() => backend.stop());
  assignedCert(data, 'mail.fabrikam.test', 'Fabrikam mail', ['smtp']);
  configureListener(data, 'smtp', smtpPort, backend.address);
  const serve = await startServe(data, [], ['--workers', '1', '--metrics', `127.0.0.1:${plain}`]);
  t.after(() => serve.stop());
  await eventually('the web and mail listeners accept', async () => (await accepts(web)) && (await accepts(smtpPort)), 20_000);
  const scrape = () => parse(curl([`http://127.0.0.1:${plain}/metrics`]).body);
  const binding = { site: 'Fabrikam', binding: `*:${web}:www.fabrikam.test` };
  const listener = { listener: `127.0.0.1:${smtpPort}`, service: 'smtp' };
  let m = scrape();
  const h0 = value(m, 'gatehouse_tls_handshakes_total', binding);
  const s0 = value(m, 'gatehouse_mail_sessions_total', listener);
  for (let i = 0; i < 3; i++) {
    const r = curl(['-k', '--resolve', `www.fabrikam.test:${web}:127.0.0.1`, `https://www.fabrikam.test:${web}/`]);
    assert.equal(r.status, 200, r.stderr);
  }
  const greeting = await smtpSession(smtpPort);
  assert.match(greeting, /^220 /, 'the listener greets');
  await eventually('the mail session is counted', () => value(scrape(), 'gatehouse_mail_sessions_total', listener) === s0 + 1);
  m = scrape();
  assert.equal(value(m, 'gatehouse_tls_handshakes_total', binding), h0 + 3);
  assert.equal(value(m, 'gatehouse_http_requests_total', { site: 'Fabrikam', code: '200' }), 3);
  const processes = family(m, 'gatehouse_serving_process_revision');
  assert.equal(processes.length, 1);
  assert.equal(processes[0]!.labels?.role, 'single');
});

test('renewal metrics follow a renewal: after renewal run of an internal-CA certificate its last success is set, its status is renewed, the new one is scheduled', { timeout: 90_000 }, async (t) => {
  const data = dataDir();
  const [web, plain] = (await freePorts(2)) as [number, number];
  ghJson(data, ['ca', 'init']);
  const req = ghJson<{ id: number }>(data, ['request', 'new', '--cn', 'www.northwind.test', '--key', 'ecdsa-p256']);
  const old = ghJson<{ thumbprint: string; notBefore: string; notAfter: string }>(data, ['request', 'submit', String(req.id), '--ca', 'internal', '--friendly-name', 'northwind', '--days', '30']);
  ghJson(data, ['site', 'add', 'Northwind', '--root', tmpDir('gh-www-')]);
  ghJson(data, ['binding', 'add', 'Northwind', '--protocol', 'https', '--port', String(web), '--cert', old.thumbprint]);
  const serve = await startServe(data, [`https *:${web}`], ['--workers', '1', '--metrics', `127.0.0.1:${plain}`, '--renew-every', '0']);
  t.after(() => serve.stop());
  const scrape = () => parse(curl([`http://127.0.0.1:${plain}/metrics`]).body);
  const of = (thumbprint: string) => ({ thumbprint, friendly_name: 'northwind' });

  let m = scrape();
  assert.equal(value(m, 'gatehouse_certificate_renewal_status', { ...of(old.thumbprint), source: 'internal', status: 'scheduled' }), 1);
  const due = Date.parse(old.notBefore) + (Date.parse(old.notAfter) - Date.parse(old.notBefore)) * 2 / 3;
  assert.equal(value(m, 'gatehouse_certificate_renewal_next_seconds', of(old.thumbprint)), due / 1000);
  assert.equal(family(m, 'gatehouse_certificate_renewal_last_success_seconds').length, 0, 'no renewal yet');

  const r = await ghAsync(data, ['renewal', 'run', old.thumbprint, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const report = r.json<{ outcome: string; new: { thumbprint: string } }>();
  assert.equal(report.outcome, 'renewed');
  const finished = ghJson<{ finished: string }[]>(data, ['renewal', 'history', old.thumbprint])[0]!.finished;
  m = scrape();
  assert.equal(value(m, 'gatehouse_certificate_renewal_last_success_seconds', of(old.thumbprint)), Date.parse(finished) / 1000);
  assert.equal(value(m, 'gatehouse_certificate_renewal_last_success_seconds', { thumbprint: report.new.thumbprint }), Date.parse(finished) / 1000);
  assert.equal(value(m, 'gatehouse_certificate_renewal_status', { ...of(old.thumbprint), source: 'internal', status: 'renewed' }), 1);
  assert.equal(value(m, 'gatehouse_certificate_renewal_status', { thumbprint: report.new.thumbprint, source: 'internal', status: 'scheduled' }), 1);
  assert.equal(family(m, 'gatehouse_certificate_renewal_status').filter((x) => x.labels?.thumbprint === old.thumbprint).length, 1, 'one status series per certificate');
  assert.equal(family(m, 'gatehouse_certificate_renewal_last_failure_seconds').length, 0);
});

/** Opens an SMTP session, reads the greeting, says QUIT; answers what the listener said first. */
function smtpSession(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    let text = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error('no greeting within 10 s')));
    socket.on('data', (d: Buffer) => {
      if (text === '') socket.end('QUIT\r\n');
      text += d.toString('latin1');
    });
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}
