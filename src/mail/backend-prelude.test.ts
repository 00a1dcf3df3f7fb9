import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backendPrelude, type BackendLines, replay } from './backend-prelude.js';

/** A scripted backend: answers each line sent with the next canned answer. */
function scripted(greeting: string[], answers: Record<string, string[]>): BackendLines & { sent: string[] } {
  const queue = [...greeting];
  const sent: string[] = [];
  return {
    sent,
    send(line) {
      sent.push(line);
      const key = Object.keys(answers).find((k) => line.startsWith(k));
      queue.push(...(key ? answers[key]! : ['500 what?']));
    },
    line: () => (queue.length > 0 ? Promise.resolve(queue.shift()!) : Promise.reject(new Error('the backend closed the connection'))),
  };
}

const client = { address: '198.51.100.7', port: 50123 };

test('SMTP: EHLO, then XCLIENT ADDR PORT, and the new 220 greeting is the session\'s', async () => {
  const io = scripted(['220 backend ESMTP'], { EHLO: ['250-backend', '250-XCLIENT ADDR PORT NAME', '250 8BITMIME'], XCLIENT: ['220 backend ESMTP again'] });
  const r = await backendPrelude('smtp', io, client, 'mail.contoso.com');
  assert.deepEqual(io.sent, ['EHLO mail.contoso.com', 'XCLIENT ADDR=198.51.100.7 PORT=50123']);
  assert.deepEqual(r, { greeting: ['220 backend ESMTP again'], accepted: true, forwarding: 'XCLIENT' });
});

test('SMTP: IPv6 clients are IPV6:-prefixed; a backend without XCLIENT is not asked', async () => {
  const io = scripted(['220 backend'], { EHLO: ['250-backend', '250-XCLIENT ADDR', '250 OK'], XCLIENT: ['220 again'] });
  await backendPrelude('smtp', io, { address: '2001:db8::7', port: 1 }, 'gh');
  assert.equal(io.sent[1], 'XCLIENT ADDR=IPV6:2001:db8::7 PORT=1');
  const plain = scripted(['220 backend'], { EHLO: ['250-backend', '250 8BITMIME'] });
  const r = await backendPrelude('smtp', plain, client, 'gh');
  assert.deepEqual(plain.sent, ['EHLO gh']);
  assert.match(r.forwarding, /not offered/);
});

test('a refusing greeting is not accepted, and nothing is sent', async () => {
  for (const [service, greeting] of [['smtp', '554 5.7.1 go away'], ['imap', '* BYE overloaded'], ['pop', '-ERR [SYS/TEMP] busy']] as const) {
    const io = scripted([greeting], {});
    const r = await backendPrelude(service, io, client, 'gh');
    assert.equal(r.accepted, false, service);
    assert.deepEqual(io.sent, []);
  }
});

test('IMAP: ID with x-originating-ip and -port, answered by a tagged OK; POP: XCLIENT', async () => {
  const imap = scripted(['* OK ready'], { 'gh1 ID': ['* ID NIL', 'gh1 OK ID completed'] });
  const r = await backendPrelude('imap', imap, client, 'gh');
  assert.deepEqual(imap.sent, ['gh1 ID ("x-originating-ip" "198.51.100.7" "x-originating-port" "50123")']);
  assert.equal(r.forwarding, 'ID');
  const pop = scripted(['+OK ready <1.2@x>'], { XCLIENT: ['+OK'] });
  const p = await backendPrelude('pop', pop, client, 'gh');
  assert.deepEqual(pop.sent, ['XCLIENT ADDR=198.51.100.7 PORT=50123']);
  assert.deepEqual(p.greeting, ['+OK ready <1.2@x>']);
});

test('without forwarding only the greeting is read; a multi-line SMTP greeting is read whole', async () => {
  const io = scripted(['220-backend ESMTP', '220 welcome'], {});
  const r = await backendPrelude('smtp', io, undefined, 'gh');
  assert.deepEqual(r, { greeting: ['220-backend ESMTP', '220 welcome'], accepted: true, forwarding: 'logged only' });
  assert.deepEqual(io.sent, []);
});

test('replay sends the client\'s EHLO and swallows the whole answer', async () => {
  const io = scripted([], { EHLO: ['250-backend', '250 8BITMIME'] });
  await replay('smtp', io, ['EHLO client.fabrikam.com']);
  assert.deepEqual(io.sent, ['EHLO client.fabrikam.com']);
  await assert.rejects(io.line(), /closed/, 'nothing of the answer is left over');
});
