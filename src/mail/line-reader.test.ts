import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineReader } from './line-reader.js';

const b = (s: string) => Buffer.from(s, 'latin1');

test('lines end at CRLF or a bare LF, across chunks', () => {
  const r = new LineReader(512);
  assert.deepEqual(r.push(b('EHLO a')), []);
  assert.deepEqual(r.push(b('\r\nNOOP\nQU')), [{ kind: 'line', text: 'EHLO a' }, { kind: 'line', text: 'NOOP' }]);
  assert.equal(r.take().toString(), 'QU');
  assert.equal(r.buffered, 0);
});

test('the limit counts the CRLF: 512 octets pass, 513 do not, and the rest of a long line is dropped', () => {
  const r = new LineReader(512);
  assert.deepEqual(r.push(b(`${'a'.repeat(510)}\r\n`)), [{ kind: 'line', text: 'a'.repeat(510) }]);
  assert.deepEqual(r.push(b(`${'b'.repeat(511)}\r\nNOOP\r\n`)), [{ kind: 'too-long' }, { kind: 'line', text: 'NOOP' }]);
});

test('a line over the limit is reported before its end arrives, and nothing of it is kept', () => {
  const r = new LineReader(255);
  assert.deepEqual(r.push(b('x'.repeat(300))), [{ kind: 'too-long' }]);
  assert.equal(r.buffered, 0);
  assert.deepEqual(r.push(b('y'.repeat(100_000))), [], 'still the same line: dropped, not reported again');
  assert.equal(r.buffered, 0);
  assert.deepEqual(r.push(b('\r\nCAPA\r\n')), [{ kind: 'line', text: 'CAPA' }]);
});

test('next() reads one line at a time, leaving the rest unsplit for take()', () => {
  const r = new LineReader(512).append(b('STARTTLS\r\nMAIL FROM:<x>\r\n'));
  assert.deepEqual(r.next(), { kind: 'line', text: 'STARTTLS' });
  assert.equal(r.take().toString(), 'MAIL FROM:<x>\r\n');
  assert.equal(r.next(), undefined);
});
