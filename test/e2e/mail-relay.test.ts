// Mail sessions relayed through `gatehouse serve` to a plain-text backend: swaks sends messages
// through SMTP STARTTLS, implicit TLS and AUTH after TLS; IMAP and POP clients log in, read and
// fetch through both modes; the client's address reaches the backend by XCLIENT (or ID) only when
// the listener says so, and a client can never pass an address of its own choosing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataDir, eventually, freePorts, join, tmpDir, writeText } from '../support/cli.js';
import { downBackendPort, ImapBackend, MAIL_PASSWORD, MAIL_USER, PopBackend, SmtpBackend, STORED_MESSAGE } from '../support/mail-backend.js';
import { describePeer, MailClient, swaks } from '../support/mail-client.js';
import { assignedCert, configureListener, startMailServe, threeBackends } from '../support/mail-serve.js';

/** Every test is bounded as a whole, beyond the bounds on each wait inside it. */
const LIMIT = { timeout: 180_000 };

/** A message with what breaks naive relays: a line starting with a dot, a lone dot, two dots, 8-bit text. */
function messageText(subject: string): string {
  return [
    'From: Sender <sender@fabrikam.com>',
    'To: Alice <alice@contoso.com>',
    `Subject: ${subject}`,
    `Message-ID: <${subject.replace(/\W+/g, '-')}@fabrikam.com>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    'Hello Alice,',
    '.a line that starts with a dot (dot-stuffed on the wire)',
    '..two dots',
    '.',
    'The line above is a lone dot; the message goes on after it.',
    'Grüße aus Köln — 8-bit text.',
    '',
    'Bob',
  ].join('\r\n');
}

test('SMTP: swaks sends through STARTTLS, implicit TLS, and with AUTH PLAIN after STARTTLS; each message reaches the backend intact', LIMIT, async (t) => {
  const backend = await SmtpBackend.start();
  t.after(() => backend.stop());
  const data = dataDir();
  const [pStart, pTls] = (await freePorts(2)) as [number, number];
  assignedCert(data, 'mail.contoso.com', 'mail.contoso.com (SMTP)', ['smtp']);
  configureListener(data, 'smtp', pStart, backend.address, { mode: 'starttls', host: 'mail.contoso.com' });
  configureListener(data, 'smtp', pTls, backend.address, { mode: 'tls', host: 'mail.contoso.com' });
  const serve = await startMailServe(data, [pStart, pTls]);
  t.after(() => serve.stop());
  const dir = tmpDir('gh-swaks-');

  const cases = [
    { name: 'STARTTLS', port: pStart, args: ['--tls'], user: null },
    { name: 'implicit TLS', port: pTls, args: ['--tlsc'], user: null },
    { name: 'STARTTLS with AUTH PLAIN', port: pStart, args: ['--tls', '--auth', 'PLAIN', '--auth-user', MAIL_USER, '--auth-password', MAIL_PASSWORD], user: MAIL_USER },
  ];
  for (const c of cases) {
    const text = messageText(`through Gatehouse, ${c.name}`);
    // No line end after the last line: swaks adds CRLF before the final dot.
    const file = writeText(join(dir, `${c.name.replace(/\W+/g, '-')}.eml`), Buffer.from(text, 'utf8'));
    const before = backend.messages.length;
    const r = await swaks(c.port, [...c.args, '--helo', 'client.fabrikam.com', '--from', 'sender@fabrikam.com', '--to', 'alice@contoso.com', '--data', file]);
    assert.equal(r.code, 0, `swaks (${c.name}) failed:\n${describePeer(r)}\nbackend:\n${backend.describe()}\n${serve.log()}`);
    assert.match(r.stdout, /=== TLS started with cipher/, `swaks did not start TLS (${c.name}):\n${r.stdout}`);
    if (!c.name.includes('implicit')) assert.match(r.stdout, / -> STARTTLS/, `swaks did not use STARTTLS (${c.name}):\n${r.stdout}`);
    assert.match(r.stdout, /~> DATA/, `DATA did not go over TLS (${c.name}):\n${r.stdout}`);
    assert.equal(backend.messages.length, before + 1, `the backend did not get the message (${c.name}):\n${backend.describe()}`);
    const got = backend.messages.at(-1)!;
    assert.equal(got.from, 'sender@fabrikam.com');
    assert.deepEqual(got.to, ['alice@contoso.com']);
    assert.equal(got.user, c.user, `AUTH (${c.name})`);
    assert.equal(got.data, Buffer.from(`${text}\r\n`, 'utf8').toString('latin1'), `the message changed on the way (${c.name})`);
  }
});

test('IMAP: LOGIN, SELECT INBOX, FETCH of a message (a literal) and LOGOUT through STARTTLS and implicit TLS', LIMIT, async (t) => {
  const backend = await ImapBackend.start();
  t.after(() => backend.stop());
  const data = dataDir();
  const [pStart, pTls] = (await freePorts(2)) as [number, number];
  assignedCert(data, 'mail.contoso.com', 'mail.contoso.com (IMAP)', ['imap']);
  configureListener(data, 'imap', pStart, backend.address, { mode: 'starttls' });
  configureListener(data, 'imap', pTls, backend.address, { mode: 'tls' });
  const serve = await startMailServe(data, [pStart, pTls]);
  t.after(() => serve.stop());

  for (const mode of ['starttls', 'tls'] as const) {
    const c = await MailClient.connect(mode === 'tls' ? pTls : pStart, { tls: mode === 'tls' });
    t.after(() => c.destroy());
    assert.match(await c.line(), /^\* OK\b/, `greeting (${mode})`);
    if (mode === 'starttls') {
      const ok = await c.imapCommand('s1', 'STARTTLS');
      assert.match(ok.at(-1)!, /^s1 OK\b/, ok.join('\n'));
      await c.upgrade('mail.contoso.com');
    }
    const login = await c.imapCommand('a1', `LOGIN "${MAIL_USER}" "${MAIL_PASSWORD}"`);
    assert.match(login.at(-1)!, /^a1 OK\b/, `LOGIN (${mode}): ${login.join('\n')}\nbackend:\n${backend.describe()}`);
    const select = await c.imapCommand('a2', 'SELECT INBOX');
    assert.match(select.at(-1)!, /^a2 OK \[READ-WRITE\]/, select.join('\n'));
    assert.ok(select.includes('* 1 EXISTS'), select.join('\n'));
    const fetch = await c.imapCommand('a3', 'FETCH 1 BODY[]');
    assert.match(fetch.at(-1)!, /^a3 OK\b/);
    const size = Buffer.byteLength(STORED_MESSAGE, 'latin1');
    assert.equal(fetch[0], `* 1 FETCH (BODY[] {${size}}\r\n${STORED_MESSAGE})`, `the literal changed on the way (${mode})`);
    const bye = await c.imapCommand('a4', 'LOGOUT');
    assert.deepEqual(bye, ['* BYE Logging out', 'a4 OK Logout completed.']);
    await c.waitClosed();
  }
  const logins = backend.sessions.filter((s) => s.user === MAIL_USER);
  assert.equal(logins.length, 2, `the backend saw two log-ins:\n${backend.describe()}`);
});

test('POP3: USER/PASS, STAT, RETR of a message (dot-stuffed) and QUIT through STLS and implicit TLS', LIMIT, async (t) => {
  const backend = await PopBackend.start();
  t.after(() => backend.stop());
  const data = dataDir();
  const [pStart, pTls] = (await freePorts(2)) as [number, number];
  assignedCert(data, 'mail.contoso.com', 'mail.contoso.com (POP)', ['pop']);
  configureListener(data, 'pop', pStart, backend.address, { mode: 'starttls' });
  configureListener(data, 'pop', pTls, backend.address, { mode: 'tls' });
  const serve = await startMailServe(data, [pStart, pTls]);
  t.after(() => serve.stop());

  for (const mode of ['starttls', 'tls'] as const) {
    const c = await MailClient.connect(mode === 'tls' ? pTls : pStart, { tls: mode === 'tls' });
    t.after(() => c.destroy());
    assert.equal((await c.pop()).ok, true, `greeting (${mode})`);
    if (mode === 'starttls') {
      const stls = await c.popCommand('STLS');
      assert.equal(stls.ok, true, stls.status);
      await c.upgrade('mail.contoso.com');
    }
    assert.equal((await c.popCommand(`USER ${MAIL_USER}`)).ok, true);
    const pass = await c.popCommand(`PASS ${MAIL_PASSWORD}`);
    assert.equal(pass.ok, true, `PASS (${mode}): ${pass.status}\nbackend:\n${backend.describe()}`);
    const size = Buffer.byteLength(STORED_MESSAGE, 'latin1');
    assert.equal((await c.popCommand('STAT')).status, `+OK 1 ${size}`);
    const retr = await c.popCommand('RETR 1', true);
    assert.equal(retr.ok, true, retr.status);
    assert.equal(`${retr.lines.join('\r\n')}\r\n`, STORED_MESSAGE, `the message changed on the way (${mode})`);
    assert.equal((await c.popCommand('QUIT')).status, '+OK Logging out.');
    await c.waitClosed();
  }
  assert.equal(backend.sessions.filter((s) => s.user === MAIL_USER).length, 2, backend.describe());
});

test('--client-address xclient: the SMTP backend gets XCLIENT ADDR=127.0.0.1 before the message; without it no XCLIENT is sent', LIMIT, async (t) => {
  const withX = await SmtpBackend.start();
  const without = await SmtpBackend.start();
  t.after(() => withX.stop());
  t.after(() => without.stop());
  const data = dataDir();
  const [pX, pOff, pXTls] = (await freePorts(3)) as [number, number, number];
  assignedCert(data, 'mail.contoso.com', 'mail (SMTP)', ['smtp']);
  configureListener(data, 'smtp', pX, withX.address, { clientAddress: 'xclient' });
  configureListener(data, 'smtp', pXTls, withX.address, { clientAddress: 'xclient', mode: 'tls' });
  configureListener(data, 'smtp', pOff, without.address);
  const serve = await startMailServe(data, [pX, pOff, pXTls]);
  t.after(() => serve.stop());
  const dir = tmpDir('gh-xclient-');
  const file = writeText(join(dir, 'm.eml'), messageText('client address'));

  for (const [port, args] of [[pX, ['--tls']], [pXTls, ['--tlsc']], [pOff, ['--tls']]] as const) {
    const r = await swaks(port, [...args, '--from', 'sender@fabrikam.com', '--to', 'alice@contoso.com', '--data', file]);
    assert.equal(r.code, 0, `${describePeer(r)}\nbackend:\n${(port === pOff ? without : withX).describe()}\n${serve.log()}`);
  }
  assert.equal(withX.messages.length, 2, withX.describe());
  for (const m of withX.messages) {
    assert.ok(m.xclient, `no XCLIENT before the message of session ${m.session}:\n${withX.describe()}`);
    assert.equal(m.xclient.ADDR, '127.0.0.1', `XCLIENT ADDR:\n${withX.describe()}`);
  }
  assert.equal(without.messages.length, 1, without.describe());
  assert.equal(without.received(/^XCLIENT\b/i), false, `XCLIENT sent although --client-address is off:\n${without.describe()}`);
});

test('--client-address xclient on IMAP and POP: the backend learns 127.0.0.1 (IMAP: ID x-originating-ip or XCLIENT; POP: XCLIENT); off sends neither', LIMIT, async (t) => {
  const imapX = await ImapBackend.start();
  const imapOff = await ImapBackend.start();
  const popX = await PopBackend.start();
  const popOff = await PopBackend.start();
  for (const b of [imapX, imapOff, popX, popOff]) t.after(() => b.stop());
  const data = dataDir();
  const [pImapX, pImapOff, pPopX, pPopOff] = (await freePorts(4)) as [number, number, number, number];
  assignedCert(data, 'mail.contoso.com', 'mail (IMAP, POP)', ['imap', 'pop']);
  configureListener(data, 'imap', pImapX, imapX.address, { clientAddress: 'xclient', mode: 'tls' });
  configureListener(data, 'imap', pImapOff, imapOff.address, { mode: 'tls' });
  configureListener(data, 'pop', pPopX, popX.address, { clientAddress: 'xclient', mode: 'tls' });
  configureListener(data, 'pop', pPopOff, popOff.address, { mode: 'tls' });
  const serve = await startMailServe(data, [pImapX, pImapOff, pPopX, pPopOff]);
  t.after(() => serve.stop());

  for (const [port, backend] of [[pImapX, imapX], [pImapOff, imapOff]] as const) {
    const c = await MailClient.connect(port, { tls: true });
    t.after(() => c.destroy());
    assert.match(await c.line(), /^\* OK\b/);
    const login = await c.imapCommand('a1', `LOGIN "${MAIL_USER}" "${MAIL_PASSWORD}"`);
    assert.match(login.at(-1)!, /^a1 OK\b/, `${login.join('\n')}\n${backend.describe()}`);
    await c.imapCommand('a2', 'LOGOUT');
  }
  const imapAddress = (b: ImapBackend) => [...b.sessions.flatMap((s) => s.imapId.map((i) => i['x-originating-ip'])), ...b.xclients.map((x) => x.ADDR)].filter((a) => a !== undefined);
  assert.ok(imapAddress(imapX).includes('127.0.0.1'), `the IMAP backend never learnt the client's address:\n${imapX.describe()}`);
  assert.deepEqual(imapAddress(imapOff), [], `the client's address was sent although --client-address is off:\n${imapOff.describe()}`);

  for (const [port, backend] of [[pPopX, popX], [pPopOff, popOff]] as const) {
    const c = await MailClient.connect(port, { tls: true });
    t.after(() => c.destroy());
    assert.equal((await c.pop()).ok, true);
    await c.popCommand(`USER ${MAIL_USER}`);
    assert.equal((await c.popCommand(`PASS ${MAIL_PASSWORD}`)).ok, true, backend.describe());
    await c.popCommand('QUIT');
  }
  assert.ok(popX.xclients.some((x) => x.ADDR === '127.0.0.1'), `the POP backend never got XCLIENT ADDR=127.0.0.1:\n${popX.describe()}`);
  assert.equal(popOff.received(/^XCLIENT\b/i), false, popOff.describe());
});

test('a client cannot give the backend an address of its own: its XCLIENT (SMTP, POP) and ID x-originating-ip (IMAP) never reach the backend', LIMIT, async (t) => {
  const { smtp, imap, pop, data, ports: [pSmtp, pImap, pPop] } = await threeBackends(t);
  // xclient: the backend trusts Gatehouse's address to name the client's, so Gatehouse must not relay a client's claim.
  configureListener(data, 'smtp', pSmtp, smtp.address, { clientAddress: 'xclient' });
  configureListener(data, 'imap', pImap, imap.address, { clientAddress: 'xclient' });
  configureListener(data, 'pop', pPop, pop.address, { clientAddress: 'xclient' });
  const serve = await startMailServe(data, [pSmtp, pImap, pPop]);
  t.after(() => serve.stop());
  const forged = '203.0.113.66';

  const s = await MailClient.connect(pSmtp);
  t.after(() => s.destroy());
  assert.equal((await s.smtp()).code, 220);
  await s.smtpCommand('EHLO client.fabrikam.com');
  assert.equal((await s.smtpCommand('STARTTLS')).code, 220);
  await s.upgrade('mail.contoso.com');
  const ehlo = await s.smtpCommand('EHLO client.fabrikam.com');
  assert.equal(ehlo.code, 250, ehlo.text);
  assert.ok(!ehlo.lines.some((l) => /^XCLIENT\b/i.test(l)), `XCLIENT is offered to clients:\n${ehlo.text}`);
  const x = await s.smtpCommand(`XCLIENT ADDR=${forged}`);
  assert.ok(x.code >= 500, `a client's XCLIENT was accepted: ${x.text}`);
  assert.equal((await s.smtpCommand('QUIT')).code, 221);

  const i = await MailClient.connect(pImap);
  t.after(() => i.destroy());
  await i.line();
  await i.imapCommand('s', 'STARTTLS');
  await i.upgrade('mail.contoso.com');
  await i.imapCommand('a1', `ID ("name" "forger" "x-originating-ip" "${forged}")`);
  const ix = await i.imapCommand('a2', `XCLIENT ADDR=${forged}`);
  assert.doesNotMatch(ix.at(-1)!, /^a2 OK/, `a client's XCLIENT was accepted: ${ix.join('\n')}`);
  await i.imapCommand('a3', 'LOGOUT');

  const p = await MailClient.connect(pPop);
  t.after(() => p.destroy());
  await p.pop();
  assert.equal((await p.popCommand('STLS')).ok, true);
  await p.upgrade('mail.contoso.com');
  const px = await p.popCommand(`XCLIENT ADDR=${forged}`);
  assert.equal(px.ok, false, `a client's XCLIENT was accepted: ${px.status}`);
  await p.popCommand('QUIT');

  for (const [name, b] of [['SMTP', smtp], ['IMAP', imap], ['POP', pop]] as const) {
    assert.ok(!b.lines.some((l) => l.includes(forged)), `the ${name} backend received the client's own address:\n${b.describe()}`);
  }
});

test('--client-address off logs the client\'s address instead: every session\'s log line names it — one that completes, one that leaves at once, one that leaves while the backend is down', LIMIT, async (t) => {
  const backend = await SmtpBackend.start();
  t.after(() => backend.stop());
  const data = dataDir();
  const [port, pDown] = (await freePorts(2)) as [number, number];
  assignedCert(data, 'mail.contoso.com', 'mail', ['smtp']);
  configureListener(data, 'smtp', port, backend.address);
  configureListener(data, 'smtp', pDown, `127.0.0.1:${await downBackendPort()}`);
  const serve = await startMailServe(data, [port, pDown]);
  t.after(() => serve.stop());

  const c = await MailClient.connect(port);
  t.after(() => c.destroy());
  const clientPorts = [c.localPort];
  assert.equal((await c.smtp()).code, 220);
  assert.equal((await c.smtpCommand('QUIT')).code, 221);
  await c.waitClosed();
  // Clients that connect and leave before they are even greeted.
  for (const p of [port, pDown]) {
    const quick = await MailClient.connect(p);
    clientPorts.push(quick.localPort);
    quick.destroy();
  }

  const sessionLine = (p: number) => serve.out.split('\n').find((l) => /session/.test(l) && l.includes(`127.0.0.1:${p}`));
  await eventually(`serve logs three sessions\n${serve.log()}`, () => serve.out.split('\n').filter((l) => /session from/.test(l)).length >= 3);
  for (const p of clientPorts) assert.ok(sessionLine(p), `no log line names the client 127.0.0.1:${p}:\n${serve.log()}`);
});
