// The upgrade to TLS in the protocol (SMTP STARTTLS RFC 3207, IMAP STARTTLS and POP STLS RFC 2595):
// what the client is offered before and after it, the command injection of CVE-2011-0411 (commands
// pipelined after STARTTLS in the same packet must never be executed), and --require-tls (nothing
// that authenticates or sends mail before TLS, and nothing of it reaches the backend).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { dataDir, freePorts } from '../support/cli.js';
import { ImapBackend, MAIL_PASSWORD, MAIL_USER, PopBackend, SmtpBackend } from '../support/mail-backend.js';
import { MailClient } from '../support/mail-client.js';
import { assignedCert, configureListener, startMailServe, smtpFront, threeBackends } from '../support/mail-serve.js';

/** Every test is bounded as a whole, beyond the bounds on each wait inside it. */
const LIMIT = { timeout: 180_000 };

const capabilityWords = (lines: string[]) => lines.filter((l) => l.startsWith('* CAPABILITY ')).flatMap((l) => l.slice('* CAPABILITY '.length).split(/\s+/)).map((w) => w.toUpperCase());

test('the backend\'s STARTTLS offer is never shown once TLS is up: SMTP EHLO, IMAP CAPABILITY (nor LOGINDISABLED), POP CAPA (STLS) — STARTTLS and implicit TLS', LIMIT, async (t) => {
  const smtp = await SmtpBackend.start();
  const imap = await ImapBackend.start();
  const pop = await PopBackend.start();
  for (const b of [smtp, imap, pop]) t.after(() => b.stop());
  const data = dataDir();
  const [pSmtp, pSmtps, pImap, pImaps, pPop, pPops] = (await freePorts(6)) as [number, number, number, number, number, number];
  assignedCert(data, 'mail.contoso.com', 'mail', ['smtp', 'imap', 'pop']);
  configureListener(data, 'smtp', pSmtp, smtp.address, { mode: 'starttls', host: 'mail.contoso.com' });
  configureListener(data, 'smtp', pSmtps, smtp.address, { mode: 'tls', host: 'mail.contoso.com' });
  configureListener(data, 'imap', pImap, imap.address, { mode: 'starttls' });
  configureListener(data, 'imap', pImaps, imap.address, { mode: 'tls' });
  configureListener(data, 'pop', pPop, pop.address, { mode: 'starttls' });
  configureListener(data, 'pop', pPops, pop.address, { mode: 'tls' });
  const serve = await startMailServe(data, [pSmtp, pSmtps, pImap, pImaps, pPop, pPops]);
  t.after(() => serve.stop());

  // SMTP: STARTTLS offered once before TLS; after it, the backend's extensions (AUTH) without STARTTLS.
  {
    const c = await MailClient.connect(pSmtp);
    t.after(() => c.destroy());
    assert.equal((await c.smtp()).code, 220);
    const plain = await c.smtpCommand('EHLO client.fabrikam.com');
    assert.equal(plain.code, 250, plain.text);
    assert.equal(plain.lines.filter((l) => /^STARTTLS$/i.test(l)).length, 1, `STARTTLS offered once before TLS:\n${plain.text}`);
    assert.equal((await c.smtpCommand('STARTTLS')).code, 220);
    await c.upgrade('mail.contoso.com');
    const secure = await c.smtpCommand('EHLO client.fabrikam.com');
    assert.equal(secure.code, 250, secure.text);
    assert.ok(!secure.lines.some((l) => /^STARTTLS\b/i.test(l)), `STARTTLS offered after TLS:\n${secure.text}`);
    assert.ok(secure.lines.some((l) => /^AUTH PLAIN\b/i.test(l)), `the backend's AUTH is not offered after TLS:\n${secure.text}`);
    assert.equal((await c.smtpCommand('QUIT')).code, 221);
  }
  {
    const c = await MailClient.connect(pSmtps, { tls: true, servername: 'mail.contoso.com' });
    t.after(() => c.destroy());
    assert.equal((await c.smtp()).code, 220);
    const ehlo = await c.smtpCommand('EHLO client.fabrikam.com');
    assert.ok(!ehlo.lines.some((l) => /^STARTTLS\b/i.test(l)), `STARTTLS offered on implicit TLS:\n${ehlo.text}`);
    assert.ok(ehlo.lines.some((l) => /^AUTH PLAIN\b/i.test(l)), ehlo.text);
    assert.equal((await c.smtpCommand('QUIT')).code, 221);
  }

  // IMAP.
  {
    const c = await MailClient.connect(pImap);
    t.after(() => c.destroy());
    await c.line();
    const plain = capabilityWords(await c.imapCommand('a1', 'CAPABILITY'));
    assert.ok(plain.includes('STARTTLS'), `STARTTLS not offered before TLS: ${plain.join(' ')}`);
    assert.match((await c.imapCommand('a2', 'STARTTLS')).at(-1)!, /^a2 OK\b/);
    await c.upgrade('mail.contoso.com');
    const caps = await c.imapCommand('a3', 'CAPABILITY');
    const secure = capabilityWords(caps);
    assert.ok(secure.includes('IMAP4REV1'), caps.join('\n'));
    assert.ok(!secure.includes('STARTTLS'), `STARTTLS offered after TLS: ${caps.join('\n')}`);
    assert.ok(!secure.includes('LOGINDISABLED'), `LOGINDISABLED after TLS: ${caps.join('\n')}`);
    const login = await c.imapCommand('a4', `LOGIN "${MAIL_USER}" "${MAIL_PASSWORD}"`);
    assert.match(login.at(-1)!, /^a4 OK\b/, login.join('\n'));
    await c.imapCommand('a5', 'LOGOUT');
  }
  {
    const c = await MailClient.connect(pImaps, { tls: true });
    t.after(() => c.destroy());
    const greeting = await c.line();
    assert.match(greeting, /^\* OK\b/);
    assert.doesNotMatch(greeting, /\bSTARTTLS\b|\bLOGINDISABLED\b/i, `the implicit-TLS greeting offers STARTTLS or LOGINDISABLED: ${greeting}`);
    const caps = await c.imapCommand('a1', 'CAPABILITY');
    assert.ok(!capabilityWords(caps).some((w) => w === 'STARTTLS' || w === 'LOGINDISABLED'), caps.join('\n'));
    await c.imapCommand('a2', 'LOGOUT');
  }

  // POP.
  {
    const c = await MailClient.connect(pPop);
    t.after(() => c.destroy());
    await c.pop();
    const plain = await c.popCommand('CAPA', true);
    assert.ok(plain.lines.includes('STLS'), `STLS not offered before TLS: ${plain.lines.join(' ')}`);
    assert.equal((await c.popCommand('STLS')).ok, true);
    await c.upgrade('mail.contoso.com');
    const secure = await c.popCommand('CAPA', true);
    assert.equal(secure.ok, true, secure.status);
    assert.ok(!secure.lines.some((l) => /^STLS\b/i.test(l)), `STLS offered after TLS: ${secure.lines.join(' ')}`);
    assert.ok(secure.lines.includes('USER'), `USER not offered after TLS: ${secure.lines.join(' ')}`);
    await c.popCommand('QUIT');
  }
  {
    const c = await MailClient.connect(pPops, { tls: true });
    t.after(() => c.destroy());
    await c.pop();
    const capa = await c.popCommand('CAPA', true);
    assert.ok(!capa.lines.some((l) => /^STLS\b/i.test(l)), `STLS offered on implicit TLS: ${capa.lines.join(' ')}`);
    await c.popCommand('QUIT');
  }
});

/**
 * A raw connection: reads the greeting, sends `prelude` (if any) and reads its answer, then sends
 * `injection` (the upgrade command and more) in ONE write, reads the go-ahead and starts TLS on the
 * same socket. Answers the TLS socket, a reader of what comes over it, and `leftover`: plain text
 * that followed the go-ahead (there must be none).
 */
async function injectAndUpgrade(port: number, greeting: RegExp, prelude: [string, RegExp] | null, injection: string, goAhead: RegExp): Promise<{ secure: TLSSocket; received: () => string; leftover: string }> {
  const raw: Socket = netConnect(port, '127.0.0.1');
  let plain = '';
  raw.on('data', (d: Buffer) => (plain += d.toString('latin1')));
  raw.on('error', () => undefined);
  const wait = (pattern: RegExp, what: string) => new Promise<void>((resolve, reject) => {
    const check = () => {
      if (!pattern.test(plain)) return;
      cleanup();
      resolve();
    };
    const fail = () => {
      cleanup();
      reject(new Error(`closed while waiting for ${what}; received: ${JSON.stringify(plain)}`));
    };
    const limit = setTimeout(() => {
      cleanup();
      reject(new Error(`no ${what} within 10 s; received: ${JSON.stringify(plain)}`));
    }, 10_000);
    const cleanup = () => {
      clearTimeout(limit);
      raw.off('data', check);
      raw.off('close', fail);
    };
    raw.on('data', check);
    raw.on('close', fail);
    check();
  });
  await wait(greeting, 'the greeting');
  if (prelude) {
    plain = '';
    raw.write(prelude[0]);
    await wait(prelude[1], 'the answer to the prelude');
  }
  plain = '';
  raw.write(injection);
  await wait(goAhead, 'the go-ahead for TLS');
  raw.removeAllListeners('data');
  const m = goAhead.exec(plain)!;
  const leftover = plain.slice(m.index + m[0].length);
  const secure = tlsConnect({ socket: raw, servername: 'mail.contoso.com', rejectUnauthorized: false });
  let text = '';
  secure.on('data', (d: Buffer) => (text += d.toString('latin1')));
  await new Promise<void>((resolve, reject) => {
    const limit = setTimeout(() => reject(new Error('TLS handshake took over 10 s')), 10_000);
    secure.once('secureConnect', () => {
      clearTimeout(limit);
      resolve();
    });
    secure.once('error', (e) => {
      clearTimeout(limit);
      reject(new Error(`TLS handshake failed after the injection (plain text after the go-ahead: ${JSON.stringify(plain.slice(m.index + m[0].length))}): ${e.message}`));
    });
  });
  secure.on('error', () => undefined);
  return { secure, received: () => text, leftover };
}

/** Waits until `received()` matches (bounded). */
async function until(received: () => string, pattern: RegExp, what: string): Promise<string> {
  const end = Date.now() + 10_000;
  while (!pattern.test(received())) {
    if (Date.now() > end) throw new Error(`no ${what} within 10 s; received over TLS: ${JSON.stringify(received())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return received();
}

test('STARTTLS command injection: a command pipelined after STARTTLS/STLS in the same packet is never executed nor relayed (SMTP, IMAP, POP)', LIMIT, async (t) => {
  const { smtp, imap, pop, data, ports: [pSmtp, pImap, pPop] } = await threeBackends(t);
  configureListener(data, 'smtp', pSmtp, smtp.address);
  configureListener(data, 'imap', pImap, imap.address);
  configureListener(data, 'pop', pPop, pop.address);
  const serve = await startMailServe(data, [pSmtp, pImap, pPop]);
  t.after(() => serve.stop());

  // SMTP: "STARTTLS\r\nRSET\r\n" in one write. After the handshake: one answer to EHLO, one to QUIT, none to RSET.
  {
    const s = await injectAndUpgrade(pSmtp, /^220 .*\r\n/m, ['EHLO client.fabrikam.com\r\n', /^250 .*\r\n/m], 'STARTTLS\r\nRSET\r\n', /^220 .*\r\n/m);
    t.after(() => s.secure.destroy());
    assert.equal(s.leftover, '', `plain text after the go-ahead: ${JSON.stringify(s.leftover)}`);
    s.secure.write('EHLO after.fabrikam.com\r\n');
    const first = await until(s.received, /^\d{3} .*\r\n/m, 'an answer after TLS');
    assert.match(first, /^250-/, `the first answer after TLS is not the EHLO answer (the injected RSET was answered?): ${JSON.stringify(first)}`);
    s.secure.write('QUIT\r\n');
    const all = await until(s.received, /^221 .*\r\n/m, 'the answer to QUIT');
    const replies = all.split('\r\n').filter((l) => /^\d{3} /.test(l));
    assert.deepEqual(replies.map((l) => l.slice(0, 3)), ['250', '221'], `one answer for EHLO and one for QUIT, none for the injected RSET: ${JSON.stringify(all)}`);
    assert.equal(smtp.received(/^RSET\b/i), false, `the injected RSET reached the backend:\n${smtp.describe()}`);
  }

  // IMAP: "a STARTTLS\r\nb CAPABILITY\r\n" in one write.
  {
    const s = await injectAndUpgrade(pImap, /^\* OK.*\r\n/m, null, 'a STARTTLS\r\nb CAPABILITY\r\n', /^a OK.*\r\n/m);
    t.after(() => s.secure.destroy());
    assert.equal(s.leftover, '', `plain text after the go-ahead: ${JSON.stringify(s.leftover)}`);
    s.secure.write('c NOOP\r\n');
    await until(s.received, /^c OK.*\r\n/m, 'the answer to c NOOP');
    s.secure.write('d LOGOUT\r\n');
    const text = await until(s.received, /^d OK.*\r\n/m, 'the answer to d LOGOUT');
    assert.doesNotMatch(text, /^b /m, `the injected "b CAPABILITY" was answered after TLS: ${JSON.stringify(text)}`);
    assert.doesNotMatch(text, /^\* CAPABILITY/m, `the injected CAPABILITY was executed: ${JSON.stringify(text)}`);
    assert.equal(imap.received(/^b CAPABILITY/i), false, `the injected command reached the backend:\n${imap.describe()}`);
  }

  // POP: "STLS\r\nCAPA\r\nUSER injected\r\n" in one write. After the handshake: one answer to NOOP, one to QUIT, nothing else.
  {
    const s = await injectAndUpgrade(pPop, /^\+OK.*\r\n/m, null, 'STLS\r\nCAPA\r\nUSER injected\r\n', /^\+OK.*\r\n/m);
    t.after(() => s.secure.destroy());
    assert.equal(s.leftover, '', `plain text after the go-ahead: ${JSON.stringify(s.leftover)}`);
    s.secure.write('NOOP\r\n');
    await until(s.received, /^[+-].*\r\n/m, 'the answer to NOOP');
    s.secure.write('QUIT\r\n');
    const text = await until(s.received, /^(?:.*\r\n){2}/, 'the answer to QUIT');
    const lines = text.split('\r\n').filter((l) => l !== '');
    assert.equal(lines.length, 2, `one answer for NOOP and one for QUIT, none for the injected CAPA and USER: ${JSON.stringify(text)}`);
    assert.match(lines[1]!, /^\+OK/, `QUIT: ${JSON.stringify(text)}`);
    assert.equal(pop.received(/^USER injected/i), false, `the injected USER reached the backend:\n${pop.describe()}`);
    assert.equal(pop.received(/^CAPA\b/i), false, `the injected CAPA reached the backend:\n${pop.describe()}`);
  }
});

test('--require-tls: SMTP MAIL and AUTH, IMAP LOGIN and AUTHENTICATE, POP USER and AUTH before STARTTLS are refused and never reach the backend; after TLS they work', LIMIT, async (t) => {
  const { smtp, imap, pop, data, ports: [pSmtp, pImap, pPop] } = await threeBackends(t);
  configureListener(data, 'smtp', pSmtp, smtp.address, { requireTls: true });
  configureListener(data, 'imap', pImap, imap.address, { requireTls: true });
  configureListener(data, 'pop', pPop, pop.address, { requireTls: true });
  const serve = await startMailServe(data, [pSmtp, pImap, pPop]);
  t.after(() => serve.stop());
  const plainAuth = Buffer.from(`\0${MAIL_USER}\0${MAIL_PASSWORD}`).toString('base64');

  {
    const c = await MailClient.connect(pSmtp);
    t.after(() => c.destroy());
    assert.equal((await c.smtp()).code, 220);
    assert.equal((await c.smtpCommand('EHLO client.fabrikam.com')).code, 250);
    const mail = await c.smtpCommand('MAIL FROM:<before-tls@fabrikam.com>');
    assert.equal(mail.code, 530, `MAIL before STARTTLS: ${mail.text}`);
    const auth = await c.smtpCommand(`AUTH PLAIN ${plainAuth}`);
    assert.equal(auth.code, 530, `AUTH before STARTTLS: ${auth.text}`);
    assert.equal((await c.smtpCommand('STARTTLS')).code, 220);
    await c.upgrade('mail.contoso.com');
    assert.equal((await c.smtpCommand('EHLO client.fabrikam.com')).code, 250);
    assert.equal((await c.smtpCommand(`AUTH PLAIN ${plainAuth}`)).code, 235);
    assert.equal((await c.smtpCommand('MAIL FROM:<after-tls@fabrikam.com>')).code, 250);
    assert.equal((await c.smtpCommand('RCPT TO:<alice@contoso.com>')).code, 250);
    assert.equal((await c.smtpCommand('DATA')).code, 354);
    assert.equal((await c.smtpCommand('Subject: after TLS\r\n\r\nok\r\n.')).code, 250);
    assert.equal((await c.smtpCommand('QUIT')).code, 221);
    assert.equal(smtp.received(/before-tls@/i), false, `MAIL before TLS reached the backend:\n${smtp.describe()}`);
    assert.equal(smtp.lines.filter((l) => /^AUTH\b/i.test(l)).length, 1, `AUTH before TLS reached the backend:\n${smtp.describe()}`);
    assert.equal(smtp.messages.length, 1);
    assert.equal(smtp.messages[0]!.user, MAIL_USER);
  }

  {
    const c = await MailClient.connect(pImap);
    t.after(() => c.destroy());
    await c.line();
    const login = await c.imapCommand('a1', `LOGIN "${MAIL_USER}" "${MAIL_PASSWORD}"`);
    assert.match(login.at(-1)!, /^a1 NO\b/, `LOGIN before STARTTLS: ${login.join('\n')}`);
    const authenticate = await c.imapCommand('a2', `AUTHENTICATE PLAIN ${plainAuth}`);
    assert.match(authenticate.at(-1)!, /^a2 (NO|BAD)\b/, `AUTHENTICATE before STARTTLS: ${authenticate.join('\n')}`);
    assert.match((await c.imapCommand('a3', 'STARTTLS')).at(-1)!, /^a3 OK\b/);
    await c.upgrade('mail.contoso.com');
    assert.match((await c.imapCommand('a4', `LOGIN "${MAIL_USER}" "${MAIL_PASSWORD}"`)).at(-1)!, /^a4 OK\b/);
    await c.imapCommand('a5', 'LOGOUT');
    assert.deepEqual(imap.lines.filter((l) => /^\S+ (LOGIN|AUTHENTICATE)\b/i.test(l)).map((l) => l.split(' ')[0]), ['a4'], `a log-in before TLS reached the backend:\n${imap.describe()}`);
  }

  {
    const c = await MailClient.connect(pPop);
    t.after(() => c.destroy());
    await c.pop();
    const user = await c.popCommand(`USER ${MAIL_USER}`);
    assert.equal(user.ok, false, `USER before STLS: ${user.status}`);
    const pass = await c.popCommand(`PASS ${MAIL_PASSWORD}`);
    assert.equal(pass.ok, false, `PASS before STLS: ${pass.status}`);
    const auth = await c.popCommand(`AUTH PLAIN ${plainAuth}`);
    assert.equal(auth.ok, false, `AUTH before STLS: ${auth.status}`);
    assert.equal((await c.popCommand('STLS')).ok, true);
    await c.upgrade('mail.contoso.com');
    assert.equal((await c.popCommand(`USER ${MAIL_USER}`)).ok, true);
    assert.equal((await c.popCommand(`PASS ${MAIL_PASSWORD}`)).ok, true);
    await c.popCommand('QUIT');
    assert.equal(pop.lines.filter((l) => /^(USER|PASS|AUTH)\b/i.test(l)).length, 2, `a log-in before STLS reached the backend:\n${pop.describe()}`);
  }
});

test('without --require-tls a client may go on in plain text: the SMTP session is relayed as it is, and STARTTLS is still offered', LIMIT, async (t) => {
  const { backend: smtp, data, port, serve } = await smtpFront(t);
  const c = await MailClient.connect(port);
  t.after(() => c.destroy());
  assert.equal((await c.smtp()).code, 220);
  const ehlo = await c.smtpCommand('EHLO client.fabrikam.com');
  assert.ok(ehlo.lines.includes('STARTTLS'), ehlo.text);
  assert.equal((await c.smtpCommand('MAIL FROM:<plain@fabrikam.com>')).code, 250);
  assert.equal((await c.smtpCommand('RCPT TO:<alice@contoso.com>')).code, 250);
  assert.equal((await c.smtpCommand('DATA')).code, 354);
  assert.equal((await c.smtpCommand('Subject: plain\r\n\r\nno TLS\r\n.')).code, 250);
  assert.equal((await c.smtpCommand('QUIT')).code, 221);
  assert.equal(smtp.messages.length, 1, smtp.describe());
  assert.equal(smtp.messages[0]!.from, 'plain@fabrikam.com');
});
