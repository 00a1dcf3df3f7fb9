import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dropCapabilities, ImapClientGuard, ImapResponseFilter } from './imap-relay.js';
import { RelayRefusal } from './relay-stream.js';

const b = (s: string) => Buffer.from(s, 'latin1');
const s = (x: Buffer) => x.toString('latin1');
const AFTER_TLS = new Set(['STARTTLS', 'LOGINDISABLED', 'XCLIENT']);

test('STARTTLS and LOGINDISABLED leave CAPABILITY lines and [CAPABILITY] codes; other lines are untouched', () => {
  assert.equal(dropCapabilities('* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED IDLE', AFTER_TLS), '* CAPABILITY IMAP4rev1 IDLE');
  assert.equal(dropCapabilities('* OK [CAPABILITY IMAP4rev1 starttls ID] ready', AFTER_TLS), '* OK [CAPABILITY IMAP4rev1 ID] ready');
  assert.equal(dropCapabilities('a1 OK [CAPABILITY IMAP4rev1 XCLIENT] Logged in', AFTER_TLS), 'a1 OK [CAPABILITY IMAP4rev1] Logged in');
  assert.equal(dropCapabilities('* 1 FETCH (FLAGS (STARTTLS))', AFTER_TLS), '* 1 FETCH (FLAGS (STARTTLS))');
  assert.equal(dropCapabilities('* OK STARTTLS is here', AFTER_TLS), '* OK STARTTLS is here');
});

test('message literals pass untouched, even when they hold a CAPABILITY line', () => {
  const f = new ImapResponseFilter(AFTER_TLS);
  const body = '* CAPABILITY STARTTLS IMAP4rev1\r\n';
  const input = `* 1 FETCH (BODY[] {${body.length}}\r\n${body})\r\n* CAPABILITY IMAP4rev1 STARTTLS\r\na OK done\r\n`;
  // Fed one byte at a time: framing must not depend on chunk boundaries.
  let out = '';
  for (const ch of input) out += s(f.push(b(ch)));
  assert.equal(out, `* 1 FETCH (BODY[] {${body.length}}\r\n${body})\r\n* CAPABILITY IMAP4rev1\r\na OK done\r\n`);
});

test('a long response line is passed on in pieces, and a literal at its end is still found', () => {
  const f = new ImapResponseFilter(AFTER_TLS);
  const long = `* SEARCH ${'1 '.repeat(50_000)}`;
  const literal = '* CAPABILITY STARTTLS\r\n';
  const out = s(f.push(b(`${long}{${literal.length}}\r\n${literal}\r\n* CAPABILITY STARTTLS X\r\n`)));
  assert.equal(out, `${long}{${literal.length}}\r\n${literal}\r\n* CAPABILITY X\r\n`);
});

test("a client's ID with x- fields and its XCLIENT never reach the backend before login", () => {
  const g = new ImapClientGuard();
  assert.equal(s(g.push(b('a1 ID ("name" "x" "x-originating-ip" "203.0.113.66")\r\na2 XCLIENT ADDR=203.0.113.66\r\na3 ID ("name" "Thunderbird")\r\n'))),
    'a1 ID NIL\r\na2 XCLIENT-REFUSED-BY-PROXY\r\na3 ID ("name" "Thunderbird")\r\n');
  assert.equal(g.refused, 2);
});

test('after a synchronizing literal the guard waits for "+" (the literal comes) or the tagged answer (it does not)', () => {
  const g = new ImapClientGuard();
  const f = new ImapResponseFilter(AFTER_TLS, g);
  assert.equal(s(g.push(b('a1 LOGIN {5}\r\n'))), 'a1 LOGIN {5}\r\n');
  assert.equal(g.holding, true);
  assert.equal(s(g.push(b('alice "secret"\r\n'))), '');
  f.push(b('+ go ahead\r\n'));
  assert.equal(s(g.push(b(''))), 'alice "secret"\r\n');
  // Refused literal: what follows is a new command, and an ID there is caught.
  g.push(b('a2 LOGIN {5}\r\n'));
  g.push(b('a3 ID ("x-originating-ip" "1.2.3.4")\r\n'));
  f.push(b('a2 BAD no literal for you\r\n'));
  assert.equal(s(g.push(b(''))), 'a3 ID NIL\r\n');
});

test('once a LOGIN succeeds everything passes untouched', () => {
  const g = new ImapClientGuard();
  const f = new ImapResponseFilter(AFTER_TLS, g);
  g.push(b('a1 LOGIN alice secret\r\n'));
  f.push(b('a1 OK [CAPABILITY IMAP4rev1] Logged in\r\n'));
  const big = `a2 APPEND INBOX {3}\r\nabc\r\na3 ID ("x-originating-ip" "1.2.3.4")\r\n${'z'.repeat(20_000)}`;
  assert.equal(s(g.push(b(big))), big);
});

test('a command line over 8 KiB before login ends the session with * BYE', () => {
  const g = new ImapClientGuard();
  assert.throws(() => g.push(b(`a1 LOGIN ${'q'.repeat(200_000)} x\r\n`)), (e: unknown) => e instanceof RelayRefusal && e.reply === '* BYE Line too long\r\n');
});
