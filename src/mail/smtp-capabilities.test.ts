import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CAPABILITY_REFRESH_MS, ehloAnswer, secureLine, SmtpCapabilities } from './smtp-capabilities.js';
import { mailProtocol } from './mail-protocol.js';
import { SmtpCommandGuard } from './smtp-relay.js';

const EHLO = ['250-backend.test Hello client', '250-PIPELINING', '250-STARTTLS', '250-XCLIENT ADDR PORT', '250 SIZE 1000'];

test('nothing learned: the session connects at once and a probe starts; learned: the list answers EHLO, and a refresh is probed in the background', async () => {
  let now = 1_000;
  const answers: Array<Promise<string[]>> = [];
  let probes = 0;
  const caps = new SmtpCapabilities(() => {
    probes++;
    return answers.shift() ?? Promise.reject(new Error('down'));
  }, () => now);
  answers.push(Promise.resolve(EHLO));
  assert.equal(caps.take(), undefined);
  await Promise.resolve();
  assert.deepEqual(caps.take(), ['PIPELINING', 'STARTTLS', 'XCLIENT ADDR PORT', 'SIZE 1000']);
  assert.equal(probes, 1, 'one probe while the list is fresh');
  now += CAPABILITY_REFRESH_MS;
  let answer!: (r: string[]) => void;
  answers.push(new Promise((r) => (answer = r)));
  assert.ok(caps.take(), 'due: the old list answers while the probe runs');
  assert.ok(caps.take());
  assert.equal(probes, 2, 'one probe at a time');
  answer(['250-backend.test', '250 SIZE 2000']);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(caps.take(), ['SIZE 2000']);
  assert.equal(caps.learn(['550 no']), false, 'only 250 answers are learned');
  assert.equal(caps.learn(['250 backend.test']), true, 'a backend with no extensions');
  assert.deepEqual(caps.take(), []);
  caps.forget();
  assert.equal(caps.take(), undefined, 'after a failure the next session connects at once (and a probe starts)');
  await new Promise((r) => setImmediate(r));
  assert.equal(probes, 3);
  assert.equal(caps.take(), undefined, 'the probe failed: nothing learned');
  assert.equal(probes, 3, 'and no new probe at once after a failed one');
  now += 60_000;
  caps.take();
  assert.equal(probes, 4, 'a while later, another');
});

test('the EHLO answer from the list: the listener\'s name, no STARTTLS, XCLIENT or XFORWARD', () => {
  assert.equal(ehloAnswer('mail.contoso.com', ['PIPELINING', 'STARTTLS', 'XCLIENT ADDR PORT', 'SIZE 1000']), '250-mail.contoso.com\r\n250-PIPELINING\r\n250 SIZE 1000\r\n');
  assert.equal(ehloAnswer('mail.contoso.com', []), '250 mail.contoso.com\r\n');
});

test('over TLS before the backend: EHLO/HELO/NOOP/RSET/QUIT answered, everything else needs the backend', () => {
  const ext = ['AUTH PLAIN'];
  assert.deepEqual(secureLine('ehlo client.test', 'mx', ext), { kind: 'reply', text: '250-mx\r\n250 AUTH PLAIN\r\n', helo: true });
  assert.deepEqual(secureLine('HELO client.test', 'mx', ext), { kind: 'reply', text: '250 mx\r\n', helo: true });
  assert.equal(secureLine('EHLO', 'mx', ext).kind, 'reply');
  assert.equal((secureLine('EHLO', 'mx', ext) as { helo?: boolean }).helo, undefined, 'a refused EHLO is not replayed');
  assert.equal(secureLine('NOOP', 'mx', ext).kind, 'reply');
  assert.equal(secureLine('RSET', 'mx', ext).kind, 'reply');
  assert.equal(secureLine('QUIT', 'mx', ext).kind, 'close');
  for (const l of ['MAIL FROM:<a@b>', 'AUTH PLAIN x', 'VRFY a', 'EXPN a', 'ETRN a', 'HELP', 'STARTTLS', '', 'garbage']) assert.deepEqual(secureLine(l, 'mx', ext), { kind: 'backend' }, l);
});

test('the relay reports the backend\'s EHLO answers (for learning) and takes CHUNKING from a replayed one', () => {
  const seen: string[][] = [];
  const f = mailProtocol('smtp').relay(true, { ehlo: ['250-b', '250 CHUNKING'], onEhlo: (r) => seen.push([...r]) });
  assert.equal((f.toBackend as SmtpCommandGuard).chunking, true);
  f.toBackend.push(Buffer.from('NOOP\r\nEHLO c\r\n'));
  f.toClient.push(Buffer.from('250 ok\r\n250-b\r\n250 SIZE 5\r\n'));
  assert.deepEqual(seen, [['250-b', '250 SIZE 5']]);
});
