// End-to-end: notifications. A webhook receiver (node's http server on 127.0.0.1, in this process)
// gets the JSON and a signature it can verify, and a receiver that fails first is tried again; the
// test SMTP backend (test/support/mail-backend.ts) takes the e-mail through nodemailer with AUTH;
// `serve` sends the expiry notice of a certificate within 14 days of its end by itself; a target
// that cannot be reached fails `notify test` with a clean GH_ error; secrets appear in no listing,
// no audit record and not in the clear in the database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertCleanError, BIN, dataDir, eventually, freePorts, gh, ghFail, ghJson, passwordFile, type RunResult, selfSignedCert, ServeProcess, storeArgs, storeSnapshot, tmpDir } from '../support/cli.js';
import { MAIL_PASSWORD, MAIL_USER, SmtpBackend } from '../support/mail-backend.js';
import { type Received, WebhookReceiver } from '../support/webhook-receiver.js';

const SECRET = 'webhook-signing-secret-7f3a';

/** The CLI, run asynchronously: the receivers answer from this process, so it must not block (spawnSync would). */
function ghAsync(data: string, args: string[]): Promise<RunResult> {
  const full = [...args, '--data', data, ...storeArgs(data)];
  return new Promise((resolve) => {
    execFile(BIN, full, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      const res: RunResult = {
        code, signal: (error as { signal?: NodeJS.Signals } | null)?.signal ?? null, stdout, stderr, args: full,
        json: <T>() => JSON.parse(stdout) as T,
      };
      resolve(res);
    });
  });
}

/** The Subject (RFC 2047 Q-words decoded) and the body (quoted-printable decoded) of a message as the SMTP backend got it. */
function readMail(data: string): { subject: string; body: string } {
  const [head = '', ...rest] = data.split('\r\n\r\n');
  const unfolded = head.replace(/\r\n[ \t]+/g, ' ');
  const raw = /^Subject: (.*)$/m.exec(unfolded)?.[1] ?? '';
  const subject = raw.replace(/=\?UTF-8\?Q\?([^?]*)\?=\s*/gi, (_m, q: string) =>
    Buffer.from(q.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'));
  const body = rest.join('\r\n\r\n').replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16)));
  return { subject, body };
}

function verify(r: Received, secret: string): void {
  const expected = `sha256=${createHmac('sha256', secret).update(r.body).digest('hex')}`;
  assert.equal(r.headers['x-gatehouse-signature'], expected, 'the signature is the HMAC-SHA256 of the body with the shared secret');
  assert.equal(r.headers['content-type'], 'application/json');
}

test('a webhook gets the test event as signed JSON; secrets are in no listing, audit record or database page', { timeout: 60_000 }, async (t) => {
  const data = dataDir();
  const hook = await WebhookReceiver.start();
  t.after(() => hook.stop());
  const dir = tmpDir();
  const added = ghJson(data, ['notify', 'add', 'ops-hook', '--webhook', hook.url, '--secret-file', passwordFile(dir, SECRET, 'secret.txt')]);
  assert.equal(added.hasSecret, true);
  const r = await ghAsync(data, ['notify', 'test', 'ops-hook', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json<{ ok: boolean }>().ok, true);
  assert.equal(hook.received.length, 1);
  const got = hook.received[0]!;
  verify(got, SECRET);
  const event = JSON.parse(got.body);
  assert.equal(event.kind, 'test');
  assert.equal(got.headers['x-gatehouse-event'], 'test');
  assert.ok(!Number.isNaN(Date.parse(event.at)));
  assert.match(event.detail, /ops-hook/);

  const listed = ghJson<Array<{ name: string; lastSent: string | null; hasSecret: boolean }>>(data, ['notify', 'list']);
  assert.equal(listed.length, 1);
  assert.ok(listed[0]!.lastSent, 'the delivery is recorded');
  const shown = [gh(data, ['notify', 'list', '--json']).stdout, gh(data, ['notify', 'list']).stdout, gh(data, ['audit', '--json']).stdout];
  for (const text of shown) assert.ok(!text.includes(SECRET), `the secret leaked: ${text}`);
  assert.match(shown[2]!, /notify\.add/);
  // Sealed at rest: not in the clear in any file of the data directory (database, WAL).
  for (const f of readdirSync(data)) {
    if (f.startsWith('gatehouse')) assert.ok(!readFileSync(join(data, f)).includes(SECRET), `${f} holds the secret in the clear`);
  }
});

test('a webhook that answers 500 is tried again and takes the notification the second time', { timeout: 60_000 }, async (t) => {
  const data = dataDir();
  const hook = await WebhookReceiver.start([500]);
  t.after(() => hook.stop());
  ghJson(data, ['notify', 'add', 'flaky', '--webhook', hook.url, '--secret-file', passwordFile(tmpDir(), SECRET, 's.txt')]);
  const r = await ghAsync(data, ['notify', 'test', 'flaky']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(hook.received.map((x) => x.status), [500, 200]);
  assert.equal(hook.received[0]!.body, hook.received[1]!.body, 'the same event, again');
  for (const x of hook.received) verify(x, SECRET);
});

test('notify test on a target that cannot be reached says so with GH_NOTIFY_FAILED, without a stack; bad targets are refused and change nothing', { timeout: 90_000 }, async () => {
  const data = dataDir();
  const [closed] = await freePorts(1);
  ghJson(data, ['notify', 'add', 'down-hook', '--webhook', `http://127.0.0.1:${closed}/hook`]);
  ghJson(data, ['notify', 'add', 'down-mail', '--email', 'ops@contoso.test', '--smtp', `127.0.0.1:${closed}`, '--smtp-tls', 'none']);
  const hook = await ghAsync(data, ['notify', 'test', 'down-hook']);
  assertCleanError(hook, 'GH_NOTIFY_FAILED');
  assert.match(hook.stderr, /down-hook.*refused.*after 3 attempts/);
  const mail = await ghAsync(data, ['notify', 'test', 'down-mail']);
  assertCleanError(mail, 'GH_NOTIFY_FAILED');
  assert.match(mail.stderr, /down-mail.*127\.0\.0\.1:\d+/);
  const listed = ghJson<Array<{ name: string; lastError: string | null }>>(data, ['notify', 'list']);
  assert.ok(listed.every((t) => t.lastError !== null), 'each failure is recorded on its target');

  const before = storeSnapshot(data);
  const audit = gh(data, ['audit', '--json']).stdout;
  ghFail(data, ['notify', 'add', 'ftp', '--webhook', 'ftp://files.contoso.test/'], 'GH_NOTIFY_TARGET_INVALID');
  ghFail(data, ['notify', 'add', 'down-hook', '--webhook', 'https://elsewhere.contoso.test/'], 'GH_NOTIFY_TARGET_EXISTS');
  ghFail(data, ['notify', 'add', 'm', '--email', 'ops@contoso.test', '--smtp', 'mail.contoso.test:25', '--smtp-tls', 'sometimes'], 'GH_NOTIFY_TARGET_INVALID');
  ghFail(data, ['notify', 'test', 'nobody'], 'GH_NOTIFY_TARGET_NOT_FOUND');
  ghFail(data, ['notify', 'add', 'both', '--webhook', 'https://a.test/', '--email', 'a@b.test'], 'GH_USAGE', 2);
  assert.deepEqual(storeSnapshot(data), before);
  assert.equal(gh(data, ['audit', '--json']).stdout, audit);
  assert.equal(ghJson<unknown[]>(data, ['notify', 'list']).length, 2);
  gh(data, ['notify', 'remove', 'down-mail']);
  assert.deepEqual(ghJson<Array<{ name: string }>>(data, ['notify', 'list']).map((t) => t.name), ['down-hook']);
});

test('serve sends the expiry notice of a certificate within 14 days of its end: signed JSON to the webhook, an e-mail naming it through SMTP with AUTH', { timeout: 90_000 }, async (t) => {
  const data = dataDir();
  const hook = await WebhookReceiver.start();
  const smtp = await SmtpBackend.start();
  t.after(async () => {
    await hook.stop();
    await smtp.stop();
  });
  const dir = tmpDir();
  const soon = selfSignedCert(data, 'soon.contoso.test', 'Soon www', ['--days', '10']);
  selfSignedCert(data, 'later.contoso.test', 'Later www', ['--days', '90']);
  ghJson(data, ['notify', 'add', 'ops-hook', '--webhook', hook.url, '--secret-file', passwordFile(dir, SECRET, 'secret.txt')]);
  ghJson(data, ['notify', 'add', 'ops-mail', '--email', 'ops@contoso.test,pki@contoso.test', '--smtp', smtp.address, '--smtp-tls', 'none',
    '--from', 'gatehouse@contoso.test', '--smtp-user', MAIL_USER, '--smtp-password-file', passwordFile(dir, MAIL_PASSWORD, 'smtp.txt')]);
  const serve = new ServeProcess(data, ['--workers', '1']);
  t.after(() => serve.stop());
  await serve.waitFor(/notify: sent the expiry notice of 1 certificate/, 'the expiry notice', 30_000);
  await eventually('the webhook and the mail', () => hook.received.length >= 1 && smtp.messages.length >= 1);
  assert.equal(hook.received.length, 1, 'one notice: the certificate with 90 days left gets none');
  verify(hook.received[0]!, SECRET);
  const event = JSON.parse(hook.received[0]!.body);
  assert.equal(event.kind, 'certificate-expiring');
  assert.equal(event.certificate.thumbprint, soon);
  assert.equal(event.certificate.friendlyName, 'Soon www');

  assert.equal(smtp.messages.length, 1);
  const m = smtp.messages[0]!;
  assert.equal(m.user, MAIL_USER, 'authenticated with the sealed password');
  assert.deepEqual(m.to.map((a) => a.replace(/[<>]/g, '').replace(/^TO:/i, '')).sort(), ['ops@contoso.test', 'pki@contoso.test'].sort());
  const { subject, body } = readMail(m.data);
  assert.match(subject, /Certificate "Soon www" expires on \d{4}-\d{2}-\d{2}/);
  assert.ok(body.includes(soon), `the body names the thumbprint: ${body}`);
  assert.match(body, /Soon www/);
  await serve.stop();
  const shown = gh(data, ['notify', 'list', '--json']).stdout + gh(data, ['audit', '--json']).stdout;
  assert.ok(!shown.includes(MAIL_PASSWORD) && !shown.includes(SECRET), 'no secret is shown');
});
