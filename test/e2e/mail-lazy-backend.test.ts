// An SMTP STARTTLS listener with a host name of its own reaches the backend only when the session
// needs it (issue #12, nginx's design): after the first session has taught it the backend's EHLO
// answer, it answers EHLO after TLS from that list and connects at the first command that needs
// the backend (MAIL, AUTH, anything but EHLO/HELO/NOOP/RSET/QUIT), replaying XCLIENT and the
// client's EHLO first. What is checked here, with real peers (swaks, openssl s_client) and a
// backend that counts its connections: a handshake-only session never connects; a delivery still
// reaches the backend with XCLIENT and the client's EHLO; a backend that is down at MAIL gets the
// client 421 and the listener keeps serving; a change of the backend's extensions is learned; and
// misbehaving clients never leave a backend connection open.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataDir, freePorts } from '../support/cli.js';
import { SMTP_BACKEND_EXTENSIONS, SmtpBackend } from '../support/mail-backend.js';
import { describePeer, MailClient, sClientMail, swaks } from '../support/mail-client.js';
import { assignedCert, configureListener, startMailServe } from '../support/mail-serve.js';

const LIMIT = { timeout: 180_000 };
const HOST = 'mail.contoso.com';

async function lazyFront(t: TestContext, backend: SmtpBackend, idleTimeout?: number) {
  const data = dataDir();
  const [port] = (await freePorts(1)) as [number];
  assignedCert(data, HOST, 'mail', ['smtp']);
  configureListener(data, 'smtp', port, backend.address, { host: HOST, clientAddress: 'xclient', idleTimeout });
  const serve = await startMailServe(data, [port]);
  t.after(() => serve.stop());
  return { port, serve };
}

/** connect, EHLO, STARTTLS, TLS, EHLO: the client, and the extensions of the EHLO answer over TLS. */
async function upToSecureEhlo(t: TestContext, port: number): Promise<{ c: MailClient; extensions: string[] }> {
  const c = await MailClient.connect(port);
  t.after(() => c.destroy());
  assert.equal((await c.smtp()).code, 220);
  assert.equal((await c.smtpCommand('EHLO client.fabrikam.com')).code, 250);
  assert.equal((await c.smtpCommand('STARTTLS')).code, 220);
  await c.upgrade(HOST);
  const ehlo = await c.smtpCommand('EHLO client.fabrikam.com');
  assert.equal(ehlo.code, 250, ehlo.text);
  return { c, extensions: ehlo.lines.slice(1) };
}

/** The first session (its EHLO over TLS relayed) and the listener's probe (EHLO, QUIT) are done: answers how many connections the backend had. */
async function learned(backend: SmtpBackend): Promise<number> {
  await backend.waitUntil('the first session and the capability probe done', () => backend.sessions.length >= 2 && backend.open === 0);
  return backend.sessions.length;
}

/** A handshake-only session (…, EHLO over TLS, QUIT): the extensions it was offered over TLS. */
async function handshakeOnly(t: TestContext, port: number): Promise<string[]> {
  const { c, extensions } = await upToSecureEhlo(t, port);
  assert.equal((await c.smtpCommand('QUIT')).code, 221);
  await c.waitClosed();
  return extensions;
}

function messageFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gh-lazy-')), 'message.eml');
  writeFileSync(file, 'From: sender@fabrikam.com\r\nTo: alice@contoso.com\r\nSubject: lazy\r\n\r\nHello.\r\n');
  return file;
}

const deliver = (port: number) => swaks(port, ['--tls', '--tls-sni', HOST, '--helo', 'client.fabrikam.com', '--from', 'sender@fabrikam.com', '--to', 'alice@contoso.com', '--data', messageFile()]);

test('after the first session, a handshake-only session never connects to the backend; its EHLO over TLS is the backend\'s as learned; a delivery reaches the backend with XCLIENT and the client\'s EHLO', LIMIT, async (t) => {
  const backend = await SmtpBackend.start();
  t.after(() => backend.stop());
  const { port, serve } = await lazyFront(t, backend);

  // The first session connects as ever (openssl: EHLO and STARTTLS in plain text, nothing after TLS) and starts the probe.
  const first = await sClientMail(port, 'smtp', HOST);
  assert.ok(first.thumbprint, describePeer(first));
  const n = await learned(backend);
  assert.equal(n, 2, backend.describe());
  assert.ok(backend.sessions.some((x) => x.lines.join('|') === `EHLO ${HOST}|QUIT`), `no probe (EHLO, QUIT):\n${backend.describe()}`);

  const expected = SMTP_BACKEND_EXTENSIONS.filter((e) => e !== 'STARTTLS' && !e.startsWith('XCLIENT'));
  for (let i = 0; i < 2; i++) assert.deepEqual(await handshakeOnly(t, port), expected, 'the EHLO answer from the learned list is not the backend\'s');
  const peer = await sClientMail(port, 'smtp', HOST);
  assert.ok(peer.thumbprint, describePeer(peer));
  assert.equal(backend.sessions.length, n, `a handshake-only session connected to the backend:\n${backend.describe()}\n${serve.log()}`);
  await serve.waitFor(/client quit before it needed the backend/, 'the log of a session that never needed the backend');

  const r = await deliver(port);
  assert.equal(r.code, 0, `${describePeer(r)}\nbackend:\n${backend.describe()}\n${serve.log()}`);
  assert.match(r.stdout, /~> MAIL FROM/, r.stdout);
  assert.equal(backend.sessions.length, n + 1, backend.describe());
  assert.equal(backend.messages.length, 1, backend.describe());
  const s = backend.sessions[n]!;
  assert.equal(s.xclient[0]?.ADDR, '127.0.0.1', backend.describe());
  const xclientAt = s.lines.findIndex((l) => l.startsWith('XCLIENT '));
  assert.equal(s.lines[xclientAt + 1], 'EHLO client.fabrikam.com', `the client's EHLO is not replayed after XCLIENT:\n${backend.describe()}`);
  assert.match(s.lines[xclientAt + 2] ?? '', /^MAIL FROM:/i, backend.describe());
  assert.equal(backend.messages[0]!.xclient?.ADDR, '127.0.0.1');
  await serve.waitFor(/backend reached at the first command that needs it/, 'the log of a session that reached the backend late');
});

test('a backend that is down when MAIL comes gets the client 421 4.3.2 over TLS; the next session is greeted with the temporary failure, and once the backend is back, mail flows again', LIMIT, async (t) => {
  const backend = await SmtpBackend.start();
  t.after(() => backend.stop());
  const { port, serve } = await lazyFront(t, backend);
  await handshakeOnly(t, port);
  await learned(backend);
  await backend.stop();

  const { c } = await upToSecureEhlo(t, port);
  const mail = await c.smtpCommand('MAIL FROM:<sender@fabrikam.com>');
  assert.equal(mail.code, 421, mail.text);
  assert.match(mail.text, /^421 4\.3\.2 /, mail.text);
  await c.waitClosed();

  // The failure made the listener forget what it learned: the next session connects at once and is told in the greeting.
  const next = await MailClient.connect(port);
  t.after(() => next.destroy());
  assert.match((await next.smtp()).text, /^421 4\.3\.2 /);
  await next.waitClosed();

  const again = await new SmtpBackend().listen(backend.port);
  t.after(() => again.stop());
  const r = await deliver(port);
  assert.equal(r.code, 0, `${describePeer(r)}\n${serve.log()}`);
  assert.equal(again.messages.length, 1, again.describe());
  await serve.waitFor(/unavailable/, 'the log of the session that found the backend down');
});

test('a change of the backend\'s extensions is learned at the next session that reaches it; the backend\'s own answer reaches a client that used what it no longer offers', LIMIT, async (t) => {
  const backend = await SmtpBackend.start();
  t.after(() => backend.stop());
  const { port, serve } = await lazyFront(t, backend);
  assert.ok((await handshakeOnly(t, port)).includes('AUTH PLAIN'));
  const n = await learned(backend);
  backend.extensions = backend.extensions.filter((e) => e !== 'AUTH PLAIN').concat('CHUNKING');

  // Still the learned list; the AUTH it offered goes to the backend, whose answer the client gets.
  const { c, extensions } = await upToSecureEhlo(t, port);
  assert.ok(extensions.includes('AUTH PLAIN'), extensions.join('\n'));
  assert.equal((await c.smtpCommand('AUTH PLAIN AGFsaWNlQGNvbnRvc28uY29tAENvcnJlY3QtSG9yc2UtNw==')).code, 235);
  assert.equal((await c.smtpCommand('QUIT')).code, 221);
  assert.equal(backend.sessions.length, n + 1, backend.describe());
  await serve.waitFor(/the backend's extensions changed \(learned\)/, 'the log of the session that learned the change');

  const now = await handshakeOnly(t, port);
  assert.ok(now.includes('CHUNKING') && !now.includes('AUTH PLAIN'), `the changed extensions were not learned:\n${now.join('\n')}`);
  assert.equal(backend.sessions.length, n + 1, backend.describe());
});

test('misbehaving clients: commands pipelined after STARTTLS are dropped, garbage over TLS goes to the backend, and a client that leaves while the backend is being reached releases the backend connection', LIMIT, async (t) => {
  const backend = await SmtpBackend.start();
  t.after(() => backend.stop());
  const { port, serve } = await lazyFront(t, backend);
  await handshakeOnly(t, port);
  const n = await learned(backend);

  // The CVE-2011-0411 injection: dropped before TLS, so nothing reaches the backend.
  {
    const c = await MailClient.connect(port);
    t.after(() => c.destroy());
    await c.smtp();
    await c.smtpCommand('EHLO client.fabrikam.com');
    c.send('STARTTLS\r\nMAIL FROM:<evil@fabrikam.com>\r\n');
    assert.equal((await c.smtp()).code, 220);
    await c.upgrade(HOST);
    assert.equal((await c.smtpCommand('EHLO client.fabrikam.com')).code, 250);
    assert.equal((await c.smtpCommand('QUIT')).code, 221);
    assert.equal(backend.sessions.length, n, backend.describe());
  }

  // Garbage over TLS needs the backend: its answer reaches the client; a client that then goes leaves no backend connection open.
  {
    const { c } = await upToSecureEhlo(t, port);
    assert.equal((await c.smtpCommand('XYZZY plugh')).code, 502);
    assert.ok(backend.received(/^XYZZY plugh$/), backend.describe());
    c.destroy();
    await backend.waitUntil('every backend connection closed after the client left', () => backend.open === 0);
  }

  // The client leaves while the backend has not greeted yet.
  {
    backend.holdGreetings = true;
    t.after(() => backend.releaseGreetings());
    const before = backend.sessions.length;
    const { c } = await upToSecureEhlo(t, port);
    c.send('MAIL FROM:<sender@fabrikam.com>\r\n');
    await backend.waitUntil('the backend reached at MAIL', () => backend.sessions.length === before + 1);
    c.destroy();
    await backend.waitUntil('the backend connection closed after the client left mid-connect', () => backend.open === 0);
    backend.releaseGreetings();
  }

  // And the listener serves the next client.
  const r = await deliver(port);
  assert.equal(r.code, 0, `${describePeer(r)}\n${serve.log()}`);
  assert.equal(backend.messages.length, 1, backend.describe());
});

test('with a learned list: a client that stays in plain text reaches the backend at MAIL (its EHLO replayed first), and one idle over TLS gets 421 4.4.2 over TLS without a backend connection', LIMIT, async (t) => {
  const backend = await SmtpBackend.start();
  t.after(() => backend.stop());
  const { port } = await lazyFront(t, backend, 5);
  await handshakeOnly(t, port);
  const n = await learned(backend);

  const c = await MailClient.connect(port);
  t.after(() => c.destroy());
  assert.equal((await c.smtp()).code, 220);
  assert.equal((await c.smtpCommand('EHLO plain.fabrikam.com')).code, 250);
  assert.equal((await c.smtpCommand('MAIL FROM:<sender@fabrikam.com>')).code, 250);
  assert.equal((await c.smtpCommand('RCPT TO:<alice@contoso.com>')).code, 250);
  assert.equal((await c.smtpCommand('DATA')).code, 354);
  assert.equal((await c.smtpCommand('Subject: plain\r\n\r\nbody\r\n.')).code, 250);
  assert.equal((await c.smtpCommand('QUIT')).code, 221);
  assert.equal(backend.messages.length, 1, backend.describe());
  const lines = backend.sessions[n]!.lines;
  assert.equal(lines[lines.findIndex((l) => l.startsWith('XCLIENT ')) + 1], 'EHLO plain.fabrikam.com', backend.describe());

  const before = backend.sessions.length;
  const { c: idle } = await upToSecureEhlo(t, port);
  const rest = await idle.waitClosed(20_000);
  assert.match(rest, /^421 4\.4\.2 mail\.contoso\.com /, `the idle answer over TLS: ${JSON.stringify(rest)}`);
  assert.equal(backend.sessions.length, before, backend.describe());
});
