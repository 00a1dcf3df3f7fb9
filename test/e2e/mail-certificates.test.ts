// Which certificate the SMTP, IMAP and POP listeners present, and how changes reach them while
// `gatehouse serve` runs: the assigned certificate to openssl s_client (-starttls and implicit TLS),
// a new assignment for new connections within a second while a session opened before finishes its
// work, a certificate chosen by SNI, and listeners added, changed and removed live.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataDir, eventually, freePorts, ghAsync, ghJson, describeRun, selfSignedCert } from '../support/cli.js';
import { FakeBackend, ImapBackend, MAIL_PASSWORD, MAIL_USER, PopBackend, SmtpBackend, STORED_MESSAGE } from '../support/mail-backend.js';
import { describePeer, MailClient, sClientMail } from '../support/mail-client.js';
import { accepts, assignedCert, configureListener, startMailServe, type MailServiceName } from '../support/mail-serve.js';

/** Every test is bounded as a whole, beyond the bounds on each wait inside it. */
const LIMIT = { timeout: 180_000 };

const STARTTLS_NAME = { smtp: 'smtp', imap: 'imap', pop: 'pop3' } as const;

/** A session of `service` opened through STARTTLS and brought to the middle of its work (logged in, a transaction begun). */
async function openSession(service: MailServiceName, port: number): Promise<MailClient> {
  const c = await MailClient.connect(port);
  if (service === 'smtp') {
    assert.equal((await c.smtp()).code, 220);
    assert.equal((await c.smtpCommand('EHLO client.fabrikam.com')).code, 250);
    assert.equal((await c.smtpCommand('STARTTLS')).code, 220);
    await c.upgrade('mail.contoso.com');
    assert.equal((await c.smtpCommand('EHLO client.fabrikam.com')).code, 250);
    assert.equal((await c.smtpCommand('MAIL FROM:<early@fabrikam.com>')).code, 250);
    assert.equal((await c.smtpCommand('RCPT TO:<alice@contoso.com>')).code, 250);
  } else if (service === 'imap') {
    assert.match(await c.line(), /^\* OK\b/);
    assert.match((await c.imapCommand('s', 'STARTTLS')).at(-1)!, /^s OK\b/);
    await c.upgrade('mail.contoso.com');
    assert.match((await c.imapCommand('a1', `LOGIN "${MAIL_USER}" "${MAIL_PASSWORD}"`)).at(-1)!, /^a1 OK\b/);
    assert.match((await c.imapCommand('a2', 'SELECT INBOX')).at(-1)!, /^a2 OK\b/);
  } else {
    assert.equal((await c.pop()).ok, true);
    assert.equal((await c.popCommand('STLS')).ok, true);
    await c.upgrade('mail.contoso.com');
    assert.equal((await c.popCommand(`USER ${MAIL_USER}`)).ok, true);
    assert.equal((await c.popCommand(`PASS ${MAIL_PASSWORD}`)).ok, true);
  }
  return c;
}

/** Finishes the work `openSession` began (a message sent, a message fetched) and ends the session. */
async function finishSession(service: MailServiceName, c: MailClient, backend: FakeBackend): Promise<void> {
  if (service === 'smtp') {
    assert.equal((await c.smtpCommand('DATA')).code, 354);
    const reply = await c.smtpCommand('Subject: opened before the change\r\n\r\nStill here.\r\n.');
    assert.equal(reply.code, 250, reply.text);
    const messages = (backend as SmtpBackend).messages;
    assert.equal(messages.at(-1)?.from, 'early@fabrikam.com', `the message of the open session did not arrive:\n${backend.describe()}`);
    assert.equal(messages.at(-1)?.data, 'Subject: opened before the change\r\n\r\nStill here.\r\n');
    assert.equal((await c.smtpCommand('QUIT')).code, 221);
  } else if (service === 'imap') {
    const fetch = await c.imapCommand('a3', 'FETCH 1 BODY[]');
    assert.match(fetch.at(-1)!, /^a3 OK\b/, fetch.join('\n'));
    assert.ok(fetch[0]!.includes(STORED_MESSAGE), fetch.join('\n'));
    assert.match((await c.imapCommand('a4', 'LOGOUT')).at(-1)!, /^a4 OK\b/);
  } else {
    const retr = await c.popCommand('RETR 1', true);
    assert.equal(`${retr.lines.join('\r\n')}\r\n`, STORED_MESSAGE);
    assert.equal((await c.popCommand('QUIT')).ok, true);
  }
  await c.waitClosed();
}

const BACKENDS: Record<MailServiceName, () => Promise<FakeBackend>> = { smtp: () => SmtpBackend.start(), imap: () => ImapBackend.start(), pop: () => PopBackend.start() };

for (const service of ['smtp', 'imap', 'pop'] as const) {
  test(`${service.toUpperCase()}: s_client gets the assigned certificate (STARTTLS and implicit TLS); after "service assign --overwrite" of another, new connections get it while a session opened before finishes its work`, LIMIT, async (t) => {
    const backend = await BACKENDS[service]();
    t.after(() => backend.stop());
    const data = dataDir();
    const [pStart, pTls] = (await freePorts(2)) as [number, number];
    const first = assignedCert(data, 'mail.contoso.com', `mail ${service} 1`, [service], ['smtp.contoso.com']);
    const second = selfSignedCert(data, 'mail.contoso.com', `mail ${service} 2`);
    configureListener(data, service, pStart, backend.address, { mode: 'starttls', host: 'mail.contoso.com' });
    configureListener(data, service, pTls, backend.address, { mode: 'tls', host: 'mail.contoso.com' });
    const serve = await startMailServe(data, [pStart, pTls]);
    t.after(() => serve.stop());

    for (const servername of ['mail.contoso.com', null]) {
      const st = await sClientMail(pStart, STARTTLS_NAME[service], servername);
      assert.equal(st.thumbprint, first, `-starttls ${STARTTLS_NAME[service]} (SNI ${servername}):\n${describePeer(st)}\n${serve.log()}`);
      const im = await sClientMail(pTls, null, servername);
      assert.equal(im.thumbprint, first, `implicit TLS (SNI ${servername}):\n${describePeer(im)}\n${serve.log()}`);
    }

    const open = await openSession(service, pStart);
    t.after(() => open.destroy());
    assert.equal(open.thumbprint, first);
    const openTls = await MailClient.connect(pTls, { tls: true, servername: 'mail.contoso.com' });
    t.after(() => openTls.destroy());
    assert.equal(openTls.thumbprint, first);

    const assign = await ghAsync(data, ['service', 'assign', second, '--services', service, '--overwrite', '--json']);
    assert.equal(assign.code, 0, describeRun(assign));
    await eventually(`new STARTTLS connections get the new ${service} certificate\n${serve.log()}`, async () => (await sClientMail(pStart, STARTTLS_NAME[service], 'mail.contoso.com')).thumbprint === second);
    await eventually(`new implicit-TLS connections get the new ${service} certificate\n${serve.log()}`, async () => (await sClientMail(pTls, null, null)).thumbprint === second);

    // The sessions opened before the change are still there, on the certificate of their handshake.
    assert.equal(open.closed, false, `the open ${service} session was closed by the change:\n${open.transcript}`);
    assert.equal(open.thumbprint, first);
    await finishSession(service, open, backend);
    assert.equal(openTls.closed, false, `the open implicit-TLS ${service} session was closed by the change`);
    if (service === 'smtp') assert.equal((await openTls.smtp()).code, 220);
    else if (service === 'imap') assert.match(await openTls.line(), /^\* OK\b/);
    else assert.equal((await openTls.pop()).ok, true);
  });
}

test('SNI: a name another certificate in the store covers gets that one (STARTTLS and implicit TLS); no SNI or an unknown name gets the assigned certificate', LIMIT, async (t) => {
  const imap = await ImapBackend.start();
  const smtp = await SmtpBackend.start();
  t.after(() => imap.stop());
  t.after(() => smtp.stop());
  const data = dataDir();
  const [pImap, pImaps, pSmtps] = (await freePorts(3)) as [number, number, number];
  const contoso = assignedCert(data, 'mail.contoso.com', 'mail.contoso.com', ['imap', 'smtp']);
  // In the store with its key, assigned to nothing.
  const fabrikam = selfSignedCert(data, 'imap.fabrikam.com', 'imap.fabrikam.com', ['--san', 'smtp.fabrikam.com']);
  configureListener(data, 'imap', pImap, imap.address, { mode: 'starttls', host: 'mail.contoso.com' });
  configureListener(data, 'imap', pImaps, imap.address, { mode: 'tls', host: 'mail.contoso.com' });
  configureListener(data, 'smtp', pSmtps, smtp.address, { mode: 'tls', host: 'mail.contoso.com' });
  const serve = await startMailServe(data, [pImap, pImaps, pSmtps]);
  t.after(() => serve.stop());

  const cases: Array<[number, 'imap' | null, string | null, string]> = [
    [pImap, 'imap', 'imap.fabrikam.com', fabrikam],
    [pImaps, null, 'imap.fabrikam.com', fabrikam],
    [pSmtps, null, 'smtp.fabrikam.com', fabrikam],
    [pImap, 'imap', null, contoso],
    [pImaps, null, null, contoso],
    [pImap, 'imap', 'mail.contoso.com', contoso],
    [pImaps, null, 'unknown.example.net', contoso],
    [pSmtps, null, null, contoso],
  ];
  for (const [port, starttls, servername, expected] of cases) {
    const r = await sClientMail(port, starttls, servername);
    assert.equal(r.thumbprint, expected, `port ${port} ${starttls ? 'STARTTLS' : 'implicit TLS'}, SNI ${servername}: expected ${expected === fabrikam ? 'imap.fabrikam.com' : 'mail.contoso.com'}\n${describePeer(r)}\n${serve.log()}`);
  }
  // And a client of our own on the same connection: the session goes on after the handshake.
  const c = await MailClient.connect(pImaps, { tls: true, servername: 'imap.fabrikam.com' });
  t.after(() => c.destroy());
  assert.equal(c.thumbprint, fabrikam);
  assert.match(await c.line(), /^\* OK\b/);
  assert.match((await c.imapCommand('a1', 'LOGOUT')).at(-1)!, /^a1 OK\b/);
});

test('listeners follow the store live: one added starts listening, one changed sends new sessions to its new backend, one removed stops accepting — open sessions carry on', LIMIT, async (t) => {
  const oldBackend = await SmtpBackend.start();
  const newBackend = await SmtpBackend.start();
  const imap = await ImapBackend.start();
  for (const b of [oldBackend, newBackend, imap]) t.after(() => b.stop());
  const data = dataDir();
  const [pSmtp, pImap] = (await freePorts(2)) as [number, number];
  assignedCert(data, 'mail.contoso.com', 'mail', ['smtp', 'imap']);
  configureListener(data, 'smtp', pSmtp, oldBackend.address);
  const serve = await startMailServe(data, [pSmtp]);
  t.after(() => serve.stop());
  assert.equal(await accepts(pImap), false, `something already listens on ${pImap}`);

  const before = await openSession('smtp', pSmtp);
  t.after(() => before.destroy());

  // Added.
  const added = await ghAsync(data, ['service', 'configure', 'imap', '--listen', `127.0.0.1:${pImap}`, '--backend', imap.address, '--json']);
  assert.equal(added.code, 0, describeRun(added));
  await eventually(`the new IMAP listener on ${pImap} greets\n${serve.log()}`, async () => {
    const c = await MailClient.connect(pImap, { timeoutMs: 2000 });
    try {
      return /^\* OK\b/.test(await c.line(2000));
    } finally {
      c.destroy();
    }
  });

  // Changed: the same listener, another backend.
  const changed = await ghAsync(data, ['service', 'configure', 'smtp', '--listen', `127.0.0.1:${pSmtp}`, '--backend', newBackend.address, '--json']);
  assert.equal(changed.code, 0, describeRun(changed));
  await eventually(`new SMTP sessions reach the new backend\n${serve.log()}`, async () => {
    const c = await MailClient.connect(pSmtp, { timeoutMs: 2000 });
    try {
      await c.smtp(2000);
      await c.smtpCommand('EHLO probe.fabrikam.com', 2000);
      await c.smtpCommand('STARTTLS', 2000);
      await c.upgrade();
      await c.smtpCommand('EHLO probe.fabrikam.com', 2000);
      await c.smtpCommand('QUIT', 2000);
      return newBackend.received(/^EHLO probe\.fabrikam\.com/);
    } finally {
      c.destroy();
    }
  });

  // Removed.
  const removed = await ghAsync(data, ['service', 'unconfigure', 'smtp', '--listen', `127.0.0.1:${pSmtp}`, '--json']);
  assert.equal(removed.code, 0, describeRun(removed));
  await eventually(`port ${pSmtp} stops accepting after unconfigure\n${serve.log()}`, async () => !(await accepts(pSmtp)));

  // The session opened at the start went through all three changes and still sends its message to the old backend.
  assert.equal(before.closed, false, `the open session was dropped:\n${before.transcript}\n${serve.log()}`);
  await finishSession('smtp', before, oldBackend);
  assert.equal(newBackend.received(/^MAIL FROM:<early@/i), false, 'the open session moved to the new backend');
  assert.deepEqual(ghJson<Array<{ service: string; listeners: unknown[] }>>(data, ['service', 'list']).flatMap((v) => v.listeners.map(() => v.service)), ['imap']);
});
