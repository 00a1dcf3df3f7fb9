import { test } from 'node:test';
import assert from 'node:assert/strict';
import { finishReply, SmtpCommandGuard, SmtpReplyFilter } from './smtp-relay.js';

const b = (s: string) => Buffer.from(s, 'latin1');
const s = (x: Buffer) => x.toString('latin1');

test('EHLO answers lose STARTTLS, XCLIENT and XFORWARD, and the new last line gets "250 "', () => {
  assert.equal(finishReply(['250-backend.test', '250-PIPELINING', '250-STARTTLS', '250 8BITMIME']), '250-backend.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n');
  assert.equal(finishReply(['250-backend.test', '250-AUTH PLAIN', '250-XCLIENT ADDR PORT', '250 starttls']), '250-backend.test\r\n250 AUTH PLAIN\r\n');
  assert.equal(finishReply(['250 STARTTLS']), '250 STARTTLS\r\n', 'the first line is the domain, never an extension');
  assert.equal(finishReply(['554-STARTTLS', '554 no']), '554-STARTTLS\r\n554 no\r\n', 'only 250 replies are EHLO answers');
});

test('the reply filter holds a multi-line reply until its last line, across chunks', () => {
  const f = new SmtpReplyFilter();
  assert.equal(s(f.push(b('250-backend.test\r\n250-STAR'))), '');
  assert.equal(s(f.push(b('TTLS\r\n250 SIZE 1000\r\n221 bye\r\n'))), '250-backend.test\r\n250 SIZE 1000\r\n221 bye\r\n');
});

test("a client's XCLIENT and XFORWARD never reach the backend; the client gets 502 in its place, in order", () => {
  const g = new SmtpCommandGuard();
  const f = new SmtpReplyFilter(g);
  assert.equal(s(g.push(b('MAIL FROM:<a@b>\r\nXCLIENT LOGIN=admin ADDR=10.0.0.1\r\nxforward addr=1.2.3.4\r\nRCPT TO:<c@d>\r\n'))), 'MAIL FROM:<a@b>\r\nNOOP\r\nNOOP\r\nRCPT TO:<c@d>\r\n');
  assert.equal(g.refused, 2);
  assert.equal(s(f.push(b('250 ok\r\n250 ok\r\n250 ok\r\n250 ok rcpt\r\n'))), '250 ok\r\n502 5.5.1 Error: command not recognized\r\n502 5.5.1 Error: command not recognized\r\n250 ok rcpt\r\n');
});

test('message text is not commands: after DATA the guard waits for 354, then passes the message to its "." line', () => {
  const g = new SmtpCommandGuard();
  const f = new SmtpReplyFilter(g);
  assert.equal(s(g.push(b('DATA\r\n'))), 'DATA\r\n');
  assert.equal(g.holding, true);
  assert.equal(s(g.push(b('XCLIENT ADDR=1.2.3.4\r\n'))), '', 'held until the backend answers DATA');
  f.push(b('354 go ahead\r\n'));
  assert.equal(g.holding, false);
  assert.equal(s(g.push(b(''))), 'XCLIENT ADDR=1.2.3.4\r\n', 'inside a message it is text');
  assert.equal(s(g.push(b(`${'w'.repeat(998)}\r\n.\r\nXCLIENT ADDR=5.6.7.8\r\n`))), `${'w'.repeat(998)}\r\n.\r\nNOOP\r\n`);
});

test('a DATA the backend refuses leaves the guard reading commands (no hiding an XCLIENT behind a failed DATA)', () => {
  const g = new SmtpCommandGuard();
  const f = new SmtpReplyFilter(g);
  g.push(b('DATA\r\n'));
  assert.equal(s(g.push(b('XCLIENT LOGIN=admin\r\n'))), '');
  f.push(b('554 5.5.1 Error: no valid recipients\r\n'));
  assert.equal(s(g.push(b(''))), 'NOOP\r\n');
});

test('a bare LF ends the message too, as lenient backends read it (SMTP smuggling)', () => {
  const g = new SmtpCommandGuard();
  const f = new SmtpReplyFilter(g);
  g.push(b('DATA\r\n'));
  f.push(b('354 go\r\n'));
  assert.equal(s(g.push(b('text\n.\nXCLIENT ADDR=1.2.3.4\r\n'))), 'text\n.\nNOOP\r\n');
});

test('BDAT chunks are passed by their size, whatever they contain, when the backend offers CHUNKING', () => {
  const g = new SmtpCommandGuard();
  new SmtpReplyFilter(g).push(b('250-backend\r\n250-CHUNKING\r\n250 8BITMIME\r\n'));
  assert.equal(s(g.push(b('BDAT 22 LAST\r\nXCLIENT ADDR=1.2.3.4\r\nXCLIENT ADDR=5.6.7.8\r\n'))), 'BDAT 22 LAST\r\nXCLIENT ADDR=1.2.3.4\r\nNOOP\r\n');
  // A backend without CHUNKING reads a "chunk" as commands: so does the guard.
  const plain = new SmtpCommandGuard();
  assert.equal(s(plain.push(b('BDAT 22 LAST\r\nXCLIENT ADDR=1.2.3.4\r\n'))), 'BDAT 22 LAST\r\nNOOP\r\n');
});

test('command lines over 512 octets get 500 5.5.2 and never reach the backend; SASL responses may be longer', () => {
  const g = new SmtpCommandGuard();
  const f = new SmtpReplyFilter(g);
  assert.equal(s(g.push(b(`MAIL FROM:<${'z'.repeat(600)}`))), '');
  assert.equal(s(g.push(b('@x>\r\nNOOP\r\n'))), 'NOOP\r\nNOOP\r\n');
  assert.equal(s(f.push(b('250 ok\r\n250 ok\r\n'))), '500 5.5.2 Line too long\r\n250 ok\r\n');
  g.push(b('AUTH GSSAPI\r\n'));
  f.push(b('334 \r\n'));
  const token = 'Q'.repeat(4000);
  assert.equal(s(g.push(b(`${token}\r\n`))), `${token}\r\n`);
});
