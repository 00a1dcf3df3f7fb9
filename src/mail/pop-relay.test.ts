import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PopCommandGuard, PopResponseFilter } from './pop-relay.js';
import { DotEnd, RelayRefusal } from './relay-stream.js';

const b = (s: string) => Buffer.from(s, 'latin1');
const s = (x: Buffer) => x.toString('latin1');

function pair(): { g: PopCommandGuard; f: PopResponseFilter } {
  const g = new PopCommandGuard();
  return { g, f: new PopResponseFilter(g) };
}

test('CAPA answers lose STLS and XCLIENT; a message holding a line "STLS" is not touched', () => {
  const { g, f } = pair();
  g.push(b('CAPA\r\nRETR 1\r\nQUIT\r\n'));
  assert.equal(s(f.push(b('+OK\r\nTOP\r\nSTLS\r\nUSER\r\nXCLIENT\r\n.\r\n+OK 20 octets\r\nSTLS\r\n..\r\nCAPA\r\n.\r\n+OK bye\r\n'))),
    '+OK\r\nTOP\r\nUSER\r\n.\r\n+OK 20 octets\r\nSTLS\r\n..\r\nCAPA\r\n.\r\n+OK bye\r\n');
});

test('LIST and UIDL with an argument, and -ERR answers, are single lines', () => {
  const { g, f } = pair();
  g.push(b('LIST 1\r\nRETR 9\r\nCAPA\r\n'));
  assert.equal(s(f.push(b('+OK 1 120\r\n-ERR no such message\r\n+OK\r\nSTLS\r\n.\r\n'))), '+OK 1 120\r\n-ERR no such message\r\n+OK\r\n.\r\n');
});

test('a SASL exchange: the line after a "+ " continuation is data, even if it reads CAPA', () => {
  const { g, f } = pair();
  g.push(b('AUTH PLAIN\r\n'));
  f.push(b('+ \r\n'));
  g.push(b('CAPA\r\n'));
  assert.equal(s(f.push(b('+OK logged in\r\nSTLS\r\n'))), '+OK logged in\r\nSTLS\r\n');
});

test("a client's XCLIENT never reaches the backend", () => {
  const { g } = pair();
  assert.equal(s(g.push(b('XCLIENT ADDR=203.0.113.66\r\nUSER alice\r\n'))), 'XCLIENT-REFUSED-BY-PROXY\r\nUSER alice\r\n');
  assert.equal(g.refused, 1);
});

test('command lines over 255 octets end the session; a SASL response may be longer', () => {
  const { g, f } = pair();
  assert.throws(() => g.push(b(`USER ${'u'.repeat(300)}\r\n`)), (e: unknown) => e instanceof RelayRefusal && /^-ERR/.test(e.reply));
  const p = pair();
  p.g.push(b('AUTH PLAIN\r\n'));
  p.f.push(b('+ \r\n'));
  const token = 'A'.repeat(1000);
  assert.equal(s(p.g.push(b(`${token}\r\n`))), `${token}\r\n`);
  void f;
});

test('DotEnd finds the final "." line across chunks, and only at the start of a line', () => {
  const d = new DotEnd();
  assert.deepEqual(d.scan(b('a.\r\n..\r\n.')), { used: 9, ended: false });
  assert.deepEqual(d.scan(b('\r\nnext')), { used: 2, ended: true });
  assert.deepEqual(new DotEnd().scan(b('.\r\n')), { used: 3, ended: true }, 'an empty block');
});
