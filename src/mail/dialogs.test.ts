import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DialogAction, DialogSettings } from './mail-dialog.js';
import { SMTP_LINE_LIMIT, SmtpDialog } from './smtp-dialog.js';
import { IMAP_LINE_LIMIT, ImapDialog } from './imap-dialog.js';
import { POP_LINE_LIMIT, PopDialog } from './pop-dialog.js';
import { PreTlsSession } from './pre-tls-session.js';

const settings = (requireTls: boolean, backendGreeting = ['+OK ready']): DialogSettings => ({ name: 'mail.contoso.com', requireTls, backendGreeting });
const text = (a: DialogAction) => ('text' in a ? a.text : '');

test('SMTP: greeting, EHLO offers STARTTLS last, STARTTLS upgrades, QUIT closes', () => {
  const d = new SmtpDialog(settings(false));
  assert.equal(d.greeting(), '220 mail.contoso.com ESMTP ready\r\n');
  assert.equal(text(d.line('EHLO client.fabrikam.com')), '250-mail.contoso.com\r\n250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n');
  assert.equal(text(d.line('HELO client')), '250 mail.contoso.com\r\n');
  assert.match(text(d.line('EHLO')), /^501 /);
  assert.match(text(d.line('STARTTLS now')), /^501 /, 'STARTTLS takes no parameters');
  assert.deepEqual(d.line('starttls'), { kind: 'starttls', text: '220 2.0.0 Ready to start TLS\r\n' });
  assert.equal(d.line('QUIT').kind, 'close');
  assert.match(text(d.line('NOOP')), /^250 /);
});

test('SMTP --require-tls: everything but EHLO/HELO/STARTTLS/NOOP/RSET/QUIT gets 530 5.7.0', () => {
  const d = new SmtpDialog(settings(true));
  for (const l of ['MAIL FROM:<a@b>', 'AUTH PLAIN AGEAYg==', 'RCPT TO:<a@b>', 'VRFY x', 'XCLIENT ADDR=1.2.3.4']) {
    assert.deepEqual(d.line(l), { kind: 'reply', text: '530 5.7.0 Must issue a STARTTLS command first\r\n' }, l);
  }
});

test('SMTP without --require-tls: the first other command turns into a plaintext relay that replays the EHLO', () => {
  const d = new SmtpDialog(settings(false));
  d.line('EHLO client.fabrikam.com');
  assert.deepEqual(d.line('MAIL FROM:<a@b>'), { kind: 'relay', replay: ['EHLO client.fabrikam.com'], line: 'MAIL FROM:<a@b>' });
  assert.deepEqual(new SmtpDialog(settings(false)).line('MAIL FROM:<a@b>'), { kind: 'relay', replay: [], line: 'MAIL FROM:<a@b>' });
});

test('over-long lines: an error the first time, the session ends when it repeats', () => {
  for (const d of [new SmtpDialog(settings(false)), new ImapDialog(settings(false)), new PopDialog(settings(false))]) {
    assert.equal(d.tooLong().kind, 'reply');
    assert.equal(d.tooLong().kind, 'close');
  }
  assert.equal(text(new SmtpDialog(settings(false)).tooLong()), '500 5.5.2 Line too long\r\n');
});

test('IMAP: capabilities with STARTTLS (LOGINDISABLED when TLS is required), tagged answers, PRIVACYREQUIRED', () => {
  const open = new ImapDialog(settings(false));
  assert.equal(open.greeting(), '* OK [CAPABILITY IMAP4rev1 ID STARTTLS] mail.contoso.com ready.\r\n');
  const strict = new ImapDialog(settings(true));
  assert.equal(text(strict.line('a1 CAPABILITY')), '* CAPABILITY IMAP4rev1 ID STARTTLS LOGINDISABLED\r\na1 OK CAPABILITY completed\r\n');
  assert.match(text(strict.line('a2 LOGIN alice secret')), /^a2 NO \[PRIVACYREQUIRED\] /);
  assert.match(text(strict.line('a3 AUTHENTICATE PLAIN')), /^a3 NO \[PRIVACYREQUIRED\] /);
  assert.equal(text(strict.line('a4 NOOP')), 'a4 OK NOOP completed\r\n');
  assert.deepEqual(strict.line('a5 STARTTLS'), { kind: 'starttls', text: 'a5 OK Begin TLS negotiation now\r\n' });
  assert.match(text(strict.line('')), /^\* BAD/);
  assert.equal(strict.line('a6 LOGOUT').kind, 'close');
  assert.deepEqual(open.line('a7 LOGIN alice secret'), { kind: 'relay', replay: [], line: 'a7 LOGIN alice secret' });
});

test('POP: CAPA lists STLS (USER only when plain text is allowed), STLS upgrades, [AUTH] refusals, the APOP timestamp is kept', () => {
  const strict = new PopDialog(settings(true, ['+OK Dovecot ready. <1896.697170952@dbc.mtview.ca.us>']));
  assert.equal(strict.greeting(), '+OK mail.contoso.com ready. <1896.697170952@dbc.mtview.ca.us>\r\n');
  assert.equal(text(strict.line('CAPA')), '+OK Capability list follows\r\nSTLS\r\n.\r\n');
  assert.equal(text(new PopDialog(settings(false)).line('CAPA')), '+OK Capability list follows\r\nSTLS\r\nUSER\r\n.\r\n');
  for (const l of ['USER alice', 'PASS x', 'APOP alice 0123', 'AUTH PLAIN']) assert.match(text(strict.line(l)), /^-ERR \[AUTH\] /, l);
  assert.match(text(strict.line('STAT')), /^-ERR /);
  assert.deepEqual(strict.line('STLS'), { kind: 'starttls', text: '+OK Begin TLS negotiation\r\n' });
  assert.deepEqual(new PopDialog(settings(false)).line('USER alice'), { kind: 'relay', replay: [], line: 'USER alice' });
});

test('injection: whatever the client pipelined after STARTTLS/STLS is discarded, never read as a command', () => {
  const cases = [
    [new PreTlsSession(new SmtpDialog(settings(false)), SMTP_LINE_LIMIT), 'EHLO a\r\nSTARTTLS\r\nMAIL FROM:<evil@x>\r\nRCPT TO:<v@y>\r\n', 'MAIL FROM:<evil@x>\r\nRCPT TO:<v@y>\r\n'],
    [new PreTlsSession(new ImapDialog(settings(false)), IMAP_LINE_LIMIT), 'a STARTTLS\r\nb LOGIN alice secret\r\n', 'b LOGIN alice secret\r\n'],
    [new PreTlsSession(new PopDialog(settings(false)), POP_LINE_LIMIT), 'STLS\r\nUSER injected\r\nPASS x', 'USER injected\r\nPASS x'],
  ] as const;
  for (const [session, input, injected] of cases) {
    const step = session.feed(Buffer.from(input));
    assert.equal(step.actions.at(-1)!.kind, 'starttls', input);
    assert.equal(step.actions.filter((a) => a.kind !== 'reply').length, 1, 'nothing is acted on after the upgrade command');
    assert.equal(step.discarded, Buffer.byteLength(injected), input);
    assert.equal(session.ended, true);
    assert.deepEqual(session.feed(Buffer.from('QUIT\r\n')).actions, [], 'no more lines are read in plain text');
  }
});

test('a plaintext relay takes the bytes after its line along for the backend', () => {
  const session = new PreTlsSession(new SmtpDialog(settings(false)), SMTP_LINE_LIMIT);
  const step = session.feed(Buffer.from('EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDA'));
  assert.deepEqual(step.actions.map((a) => a.kind), ['reply', 'relay']);
  assert.equal(step.leftover?.toString(), 'RCPT TO:<c@d>\r\nDA');
});

test('pre-TLS line limits: SMTP 512, IMAP 8192, POP 255 octets with the CRLF', () => {
  const smtp = new PreTlsSession(new SmtpDialog(settings(false)), SMTP_LINE_LIMIT);
  assert.deepEqual(smtp.feed(Buffer.from(`NOOP ${'x'.repeat(505)}\r\n`)).actions.map(text), ['250 2.0.0 OK\r\n']);
  assert.deepEqual(smtp.feed(Buffer.from(`NOOP ${'x'.repeat(506)}\r\n`)).actions.map(text), ['500 5.5.2 Line too long\r\n']);
  const second = smtp.feed(Buffer.from(`NOOP ${'x'.repeat(2000)}\r\n`));
  assert.equal(second.actions[0]!.kind, 'close', 'a second over-long line ends the session');
  const pop = new PreTlsSession(new PopDialog(settings(false)), POP_LINE_LIMIT);
  assert.match(text(pop.feed(Buffer.from(`USER ${'u'.repeat(300)}\r\n`)).actions[0]!), /^-ERR Line too long/);
  const imap = new PreTlsSession(new ImapDialog(settings(true)), IMAP_LINE_LIMIT);
  assert.match(text(imap.feed(Buffer.from(`a LOGIN ${'u'.repeat(9000)}\r\n`)).actions[0]!), /^\* BAD Line too long/);
});
