// What a mail listener does at its limits: a backend that is down (the protocol's temporary-failure
// greeting, and a log line that says why), command lines over the limit (SMTP: 500 5.5.2; the
// other sessions carry on), more sessions than --max-connections (the busy answer for the extra one
// while the others work), and --idle-timeout (an idle session is closed, a busy one is not).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { dataDir, eventually, freePorts } from '../support/cli.js';
import { downBackendPort, ImapBackend, MAIL_PASSWORD, MAIL_USER, PopBackend, SMTP_BACKEND_NAME, SmtpBackend } from '../support/mail-backend.js';
import { MailClient } from '../support/mail-client.js';
import { assignedCert, configureListener, startMailServe, type MailServiceName, smtpFront, threeBackends } from '../support/mail-serve.js';

/** Every test is bounded as a whole, beyond the bounds on each wait inside it. */
const LIMIT = { timeout: 180_000 };

/** Reads the first answer of a fresh session: an SMTP reply, an IMAP untagged line, a POP status line. */
async function greeting(service: MailServiceName, c: MailClient): Promise<string> {
  if (service === 'smtp') return (await c.smtp()).text;
  return c.line();
}

test('backend down: SMTP greets 421, IMAP * BYE, POP -ERR (STARTTLS and implicit TLS), closes, and serve logs why', LIMIT, async (t) => {
  const data = dataDir();
  const down = await downBackendPort();
  const ports = (await freePorts(6)) as number[];
  assignedCert(data, 'mail.contoso.com', 'mail', ['smtp', 'imap', 'pop']);
  const listeners = (['smtp', 'imap', 'pop'] as const).flatMap((service, i) => [
    { service, port: ports[2 * i]!, mode: 'starttls' as const },
    { service, port: ports[2 * i + 1]!, mode: 'tls' as const },
  ]);
  for (const l of listeners) configureListener(data, l.service, l.port, `127.0.0.1:${down}`, { mode: l.mode, host: 'mail.contoso.com' });
  const serve = await startMailServe(data, ports);
  t.after(() => serve.stop());

  for (const l of listeners) {
    const c = await MailClient.connect(l.port, { tls: l.mode === 'tls' });
    t.after(() => c.destroy());
    const first = await greeting(l.service, c);
    const expected = { smtp: /^421[ -]/, imap: /^\* BYE\b/, pop: /^-ERR\b/ }[l.service];
    assert.match(first, expected, `${l.service} ${l.mode} with the backend down greets: ${first}`);
    await c.waitClosed();
  }
  // One log line per session says why it ended: the backend's address and what went wrong.
  const why = () => serve.out.split('\n').filter((l) => /session/.test(l) && l.includes(`127.0.0.1:${down}`) && /refused|unavailable|unreachable|cannot connect/i.test(l));
  await eventually(`serve's log says, for each of the ${listeners.length} sessions, that the backend 127.0.0.1:${down} is unreachable:\n${serve.log()}`, () => why().length === listeners.length);
});

test('a backend that stops while serve runs: the next SMTP session gets 421, the session opened before it ends, and it works again once the backend is back', LIMIT, async (t) => {
  const { backend, data, port, serve } = await smtpFront(t);
  const ok = await MailClient.connect(port);
  t.after(() => ok.destroy());
  assert.equal((await ok.smtp()).code, 220);

  const backendPort = backend.port;
  await backend.stop();
  const c = await MailClient.connect(port);
  t.after(() => c.destroy());
  const reply = await c.smtp();
  assert.equal(reply.code, 421, reply.text);
  await c.waitClosed();
  // The proxied session lost its backend: the client is told or disconnected, never left hanging.
  const rest = await ok.waitClosed();
  assert.ok(rest === '' || /^421[ -]/m.test(rest), `the session whose backend went away got: ${JSON.stringify(rest)}`);

  // The same backend address comes back.
  const again = await new SmtpBackend().listen(backendPort);
  t.after(() => again.stop());
  await eventually('SMTP greets 220 again once the backend is back', async () => {
    const p = await MailClient.connect(port, { timeoutMs: 3000 });
    try {
      return (await p.smtp(3000)).code === 220;
    } finally {
      p.destroy();
    }
  });
});

/** A STARTTLS SMTP listener with its own host name (so it greets without the backend's) in front of a backend that holds its greeting. */
async function slowBackendFront(t: TestContext, clientAddress: 'off' | 'xclient') {
  const backend = await SmtpBackend.start();
  backend.holdGreetings = true;
  t.after(() => backend.stop());
  const data = dataDir();
  const [port] = (await freePorts(1)) as [number];
  assignedCert(data, 'mail.contoso.com', 'mail', ['smtp']);
  configureListener(data, 'smtp', port, backend.address, { host: 'mail.contoso.com', clientAddress });
  const serve = await startMailServe(data, [port]);
  t.after(() => serve.stop());
  return { backend, port, serve };
}

test('a slow backend greeting: the client is greeted and does EHLO and STARTTLS meanwhile; once the backend greets (and takes XCLIENT), its session is relayed as usual', LIMIT, async (t) => {
  const { backend, port } = await slowBackendFront(t, 'xclient');
  const c = await MailClient.connect(port);
  t.after(() => c.destroy());
  // The backend has not greeted yet (it has the connection): the proxy greets on its own.
  const hello = await c.smtp();
  assert.equal(hello.code, 220, hello.text);
  assert.match(hello.text, /mail\.contoso\.com/);
  // It has two: the session's, and the listener's capability probe (docs/mail.md, "The backend only when needed").
  await backend.waitUntil('the session\'s connection and the capability probe', () => backend.sessions.length === 2);
  assert.equal((await c.smtpCommand('EHLO client.fabrikam.com')).code, 250);
  assert.equal((await c.smtpCommand('STARTTLS')).code, 220);
  await c.upgrade('mail.contoso.com');
  // The first command over TLS waits for the backend, which greets only now.
  c.send('EHLO client.fabrikam.com\r\n');
  assert.deepEqual(backend.lines, [], `nothing reached the backend before its greeting:\n${backend.describe()}`);
  backend.releaseGreetings();
  const ehlo = await c.smtp();
  assert.equal(ehlo.code, 250, ehlo.text);
  assert.ok(ehlo.lines[0]?.startsWith(SMTP_BACKEND_NAME), `the backend's own EHLO answer reaches the client:\n${ehlo.text}`);
  assert.ok(!ehlo.lines.some((l) => /^(STARTTLS|XCLIENT)\b/i.test(l)), ehlo.text);
  assert.equal((await c.smtpCommand('MAIL FROM:<alice@contoso.com>')).code, 250);
  assert.equal((await c.smtpCommand('RCPT TO:<bob@fabrikam.com>')).code, 250);
  assert.equal((await c.smtpCommand('DATA')).code, 354);
  assert.equal((await c.smtpCommand('Subject: slow\r\n\r\nbody\r\n.')).code, 250);
  assert.equal((await c.smtpCommand('QUIT')).code, 221);
  assert.equal(backend.messages.length, 1, backend.describe());
  assert.equal(backend.xclients.at(-1)?.ADDR, '127.0.0.1', `XCLIENT was sent during the client's dialog:\n${backend.describe()}`);
});

test('a backend that goes away after the client\'s STARTTLS: the client gets 421 4.3.2 over TLS (not a silent close), and serve logs why', LIMIT, async (t) => {
  const { backend, port, serve } = await slowBackendFront(t, 'off');
  const c = await MailClient.connect(port);
  t.after(() => c.destroy());
  assert.equal((await c.smtp()).code, 220);
  assert.equal((await c.smtpCommand('EHLO client.fabrikam.com')).code, 250);
  assert.equal((await c.smtpCommand('STARTTLS')).code, 220);
  await c.upgrade('mail.contoso.com');
  await backend.stop();
  const reply = await c.smtp();
  assert.equal(reply.code, 421, reply.text);
  assert.match(reply.text, /^421 4\.3\.2 mail\.contoso\.com /);
  assert.ok(c.secure, 'the answer came over TLS');
  await c.waitClosed();
  await eventually(`serve logs the session's end with the backend's address and why:\n${serve.log()}`, () => serve.out.split('\n').some((l) => /session from/.test(l) && l.includes(`${backend.address} unavailable`) && /TLSv1\.3/.test(l)));
});

test('SMTP command line over 512 octets: 500 5.5.2 (before and after STARTTLS), the line never reaches the backend, and other sessions are unaffected', LIMIT, async (t) => {
  const { backend, data, port, serve } = await smtpFront(t);

  const other = await MailClient.connect(port);
  t.after(() => other.destroy());
  assert.equal((await other.smtp()).code, 220);
  assert.equal((await other.smtpCommand('EHLO other.fabrikam.com')).code, 250);

  const c = await MailClient.connect(port);
  t.after(() => c.destroy());
  assert.equal((await c.smtp()).code, 220);
  // 513 octets with the CRLF: one over RFC 5321's 512.
  const long = `NOOP ${'x'.repeat(513 - 'NOOP '.length - 2)}`;
  const before = await c.smtpCommand(long);
  assert.equal(before.code, 500, before.text);
  assert.match(before.lines[0]!, /^5\.5\.2\b/, before.text);
  // A line of exactly 512 octets is fine.
  const fits = await c.smtpCommand(`NOOP ${'y'.repeat(512 - 'NOOP '.length - 2)}`);
  assert.equal(fits.code, 250, fits.text);
  assert.equal((await c.smtpCommand('EHLO client.fabrikam.com')).code, 250);
  assert.equal((await c.smtpCommand('STARTTLS')).code, 220);
  await c.upgrade('mail.contoso.com');
  assert.equal((await c.smtpCommand('EHLO client.fabrikam.com')).code, 250);
  const after = await c.smtpCommand(`MAIL FROM:<${'z'.repeat(600)}@fabrikam.com>`);
  assert.equal(after.code, 500, `an over-long line after STARTTLS: ${after.text}`);
  assert.match(after.lines[0]!, /^5\.5\.2\b/, after.text);
  // Message text is not a command line: lines up to RFC 5321's 1000 octets pass intact.
  const textLine = 'w'.repeat(998);
  assert.equal((await c.smtpCommand('MAIL FROM:<long@fabrikam.com>')).code, 250);
  assert.equal((await c.smtpCommand('RCPT TO:<alice@contoso.com>')).code, 250);
  assert.equal((await c.smtpCommand('DATA')).code, 354);
  assert.equal((await c.smtpCommand(`Subject: long lines\r\n\r\n${textLine}\r\n.`)).code, 250);
  assert.equal(backend.messages.at(-1)?.data, `Subject: long lines\r\n\r\n${textLine}\r\n`);
  assert.equal((await c.smtpCommand('QUIT')).code, 221);

  assert.ok(!backend.lines.some((l) => Buffer.byteLength(l, 'latin1') + 2 > 512), `a line over 512 octets reached the backend:\n${backend.describe()}`);
  // The other session, open all along, still works.
  assert.equal(other.closed, false);
  assert.equal((await other.smtpCommand('NOOP')).code, 250);
  assert.equal((await other.smtpCommand('QUIT')).code, 221);
});

test('IMAP and POP: a command line far over any limit (200 KB) is refused without being relayed, and the listener keeps serving', LIMIT, async (t) => {
  const imap = await ImapBackend.start();
  const pop = await PopBackend.start();
  t.after(() => imap.stop());
  t.after(() => pop.stop());
  const data = dataDir();
  const [pImap, pPop] = (await freePorts(2)) as [number, number];
  assignedCert(data, 'mail.contoso.com', 'mail', ['imap', 'pop']);
  configureListener(data, 'imap', pImap, imap.address, { mode: 'tls' });
  configureListener(data, 'pop', pPop, pop.address, { mode: 'tls' });
  const serve = await startMailServe(data, [pImap, pPop]);
  t.after(() => serve.stop());
  const huge = 'q'.repeat(200_000);

  const i = await MailClient.connect(pImap, { tls: true });
  t.after(() => i.destroy());
  await i.line();
  i.send(`a1 LOGIN ${huge} x\r\n`);
  const answer = await i.line();
  assert.match(answer, /^(\* BYE|a1 BAD|\* BAD|a1 NO)\b/, `answer to a 200 KB IMAP line: ${answer.slice(0, 200)}`);
  const p = await MailClient.connect(pPop, { tls: true });
  t.after(() => p.destroy());
  await p.pop();
  p.send(`USER ${huge}\r\n`);
  const popAnswer = await p.pop();
  assert.equal(popAnswer.ok, false, `answer to a 200 KB POP line: ${popAnswer.status.slice(0, 200)}`);

  assert.ok(!imap.lines.some((l) => l.length > 100_000), 'the huge IMAP line reached the backend');
  assert.ok(!pop.lines.some((l) => l.length > 100_000), 'the huge POP line reached the backend');
  // New sessions are served as before.
  for (const [port, isImap] of [[pImap, true], [pPop, false]] as const) {
    const c = await MailClient.connect(port, { tls: true });
    t.after(() => c.destroy());
    if (isImap) {
      await c.line();
      assert.match((await c.imapCommand('b1', `LOGIN "${MAIL_USER}" "${MAIL_PASSWORD}"`)).at(-1)!, /^b1 OK\b/);
    } else {
      await c.pop();
      await c.popCommand(`USER ${MAIL_USER}`);
      assert.equal((await c.popCommand(`PASS ${MAIL_PASSWORD}`)).ok, true);
    }
  }
});

const BUSY = { smtp: /^421[ -]4\.7\.0\b/, imap: /^\* BYE\b/, pop: /^-ERR \[SYS\/TEMP\]/ } as const;

for (const service of ['smtp', 'imap', 'pop'] as const) {
  test(`${service.toUpperCase()} --max-connections 2: a third session gets the busy answer and is closed while the first two work; a place that frees up is taken again`, LIMIT, async (t) => {
    const backend = service === 'smtp' ? await SmtpBackend.start() : service === 'imap' ? await ImapBackend.start() : await PopBackend.start();
    t.after(() => backend.stop());
    const data = dataDir();
    const [port] = (await freePorts(1)) as [number];
    assignedCert(data, 'mail.contoso.com', 'mail', [service]);
    configureListener(data, service, port, backend.address, { maxConnections: 2 });
    const serve = await startMailServe(data, [port]);
    t.after(() => serve.stop());

    const first = await MailClient.connect(port);
    const second = await MailClient.connect(port);
    t.after(() => first.destroy());
    t.after(() => second.destroy());
    assert.doesNotMatch(await greeting(service, first), BUSY[service]);
    assert.doesNotMatch(await greeting(service, second), BUSY[service]);
    const third = await MailClient.connect(port);
    t.after(() => third.destroy());
    const busy = await greeting(service, third);
    assert.match(busy, BUSY[service], `the third session got: ${busy}`);
    await third.waitClosed();

    for (const c of [first, second]) {
      if (service === 'smtp') {
        assert.equal((await c.smtpCommand('EHLO client.fabrikam.com')).code, 250);
        assert.equal((await c.smtpCommand('NOOP')).code, 250);
      } else if (service === 'imap') {
        assert.match((await c.imapCommand('a1', 'CAPABILITY')).at(-1)!, /^a1 OK\b/);
        assert.match((await c.imapCommand('a2', 'NOOP')).at(-1)!, /^a2 OK\b/);
      } else {
        assert.equal((await c.popCommand('CAPA', true)).ok, true);
      }
    }
    // The first one leaves; a new session gets its place.
    if (service === 'smtp') await first.smtpCommand('QUIT');
    else if (service === 'imap') await first.imapCommand('z', 'LOGOUT');
    else await first.popCommand('QUIT');
    await first.waitClosed();
    await eventually(`a new ${service} session is served once a place is free\n${serve.log()}`, async () => {
      const c = await MailClient.connect(port, { timeoutMs: 3000 });
      try {
        return !BUSY[service].test(await greeting(service, c));
      } finally {
        c.destroy();
      }
    });
    assert.equal(second.closed, false);
  });
}

test('--idle-timeout 5: idle sessions are closed (SMTP before and after STARTTLS, IMAP, POP); a session that keeps talking is not', LIMIT, async (t) => {
  const { smtp, imap, pop, data, ports: [pSmtp, pImap, pPop] } = await threeBackends(t);
  configureListener(data, 'smtp', pSmtp, smtp.address, { idleTimeout: 5 });
  configureListener(data, 'imap', pImap, imap.address, { idleTimeout: 5 });
  configureListener(data, 'pop', pPop, pop.address, { idleTimeout: 5 });
  const serve = await startMailServe(data, [pSmtp, pImap, pPop]);
  t.after(() => serve.stop());

  const idleSmtp = await MailClient.connect(pSmtp);
  const idleImap = await MailClient.connect(pImap);
  const idlePop = await MailClient.connect(pPop);
  const idleAfterTls = await MailClient.connect(pSmtp);
  const busy = await MailClient.connect(pSmtp);
  for (const c of [idleSmtp, idleImap, idlePop, idleAfterTls, busy]) t.after(() => c.destroy());
  assert.equal((await idleSmtp.smtp()).code, 220);
  assert.match(await idleImap.line(), /^\* OK\b/);
  assert.equal((await idlePop.pop()).ok, true);
  assert.equal((await idleAfterTls.smtp()).code, 220);
  assert.equal((await idleAfterTls.smtpCommand('EHLO client.fabrikam.com')).code, 250);
  assert.equal((await idleAfterTls.smtpCommand('STARTTLS')).code, 220);
  await idleAfterTls.upgrade('mail.contoso.com');
  assert.equal((await idleAfterTls.smtpCommand('EHLO client.fabrikam.com')).code, 250);
  assert.equal((await busy.smtp()).code, 220);

  // The busy session sends a NOOP every second while the idle ones wait to be closed.
  let talking = true;
  const chatter = (async () => {
    while (talking) {
      const r = await busy.smtpCommand('NOOP');
      assert.equal(r.code, 250, r.text);
      await new Promise((res) => setTimeout(res, 1000));
    }
  })();
  try {
    const said = await Promise.all([idleSmtp, idleImap, idlePop, idleAfterTls].map((c) => c.waitClosed(30_000)));
    // What an idle session is told before it is closed, if anything, is the protocol's goodbye.
    assert.ok(said[0] === '' || /^421[ -]4\.4\.2\b/m.test(said[0]!), `SMTP idle goodbye: ${JSON.stringify(said[0])}`);
    assert.ok(said[1] === '' || /^\* BYE\b/m.test(said[1]!), `IMAP idle goodbye: ${JSON.stringify(said[1])}`);
    assert.ok(said[2] === '' || /^-ERR\b/m.test(said[2]!), `POP idle goodbye: ${JSON.stringify(said[2])}`);
  } finally {
    talking = false;
    await chatter;
  }
  assert.equal(busy.closed, false, `the session that kept talking was closed:\n${busy.transcript}`);
  assert.equal((await busy.smtpCommand('QUIT')).code, 221);
});
