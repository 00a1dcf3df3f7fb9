import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { type FilterCore, joined, RelayRefusal, relayThrough } from './relay-stream.js';
import { ImapResponseFilter } from './imap-relay.js';
import { PopCommandGuard, PopResponseFilter } from './pop-relay.js';
import { SmtpCommandGuard, SmtpReplyFilter } from './smtp-relay.js';

const b = (s: string) => Buffer.from(s, 'latin1');
/** Whether `out` is `chunk`'s own memory (passed on without a copy). */
const sameMemory = (out: Buffer, chunk: Buffer) => out.buffer === chunk.buffer && out.byteOffset === chunk.byteOffset && out.length === chunk.length;

test('joined: pieces back to back in one chunk come out as that memory; others are copied in order; empty pieces do not count', () => {
  const chunk = b('MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n');
  const pieces = [chunk.subarray(0, 17), Buffer.alloc(0), chunk.subarray(17, 32), chunk.subarray(32)];
  assert.ok(sameMemory(joined(pieces), chunk));
  const apart = joined([chunk.subarray(0, 17), b('NOOP\r\n'), chunk.subarray(32)]);
  assert.equal(apart.toString('latin1'), 'MAIL FROM:<a@b>\r\nNOOP\r\nDATA\r\n');
  assert.equal(joined([]).length, 0);
});

test('filters pass unchanged chunks without a copy: SMTP commands, message data and replies; IMAP responses with a literal; POP commands and answers', () => {
  const g = new SmtpCommandGuard();
  const f = new SmtpReplyFilter(g);
  const commands = b('MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n');
  assert.ok(sameMemory(g.push(commands), commands));
  const replies = b('250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n');
  assert.ok(sameMemory(f.push(replies), replies));
  const body = b('Subject: x\r\n\r\n'.padEnd(60_000, 'y'));
  assert.ok(sameMemory(g.push(body), body));
  const multi = b('451-4.3.0 try\r\n451 4.3.0 later\r\n');
  assert.ok(sameMemory(f.push(multi), multi));
  // What does change is still rewritten: the EHLO answer loses STARTTLS, a bare LF gets its CR.
  assert.equal(f.push(b('250-backend\r\n250 STARTTLS\r\n')).toString('latin1'), '250 backend\r\n');
  assert.equal(f.push(b('250 ok\n')).toString('latin1'), '250 ok\r\n');

  const imap = new ImapResponseFilter(new Set(['STARTTLS']));
  const fetch = b('* 1 FETCH (BODY[] {20}\r\n0123456789abcdefghij)\r\na1 OK done\r\n');
  assert.ok(sameMemory(imap.push(fetch), fetch));

  const pg = new PopCommandGuard();
  const pf = new PopResponseFilter(pg);
  const retr = b('RETR 1\r\n');
  assert.ok(sameMemory(pg.push(retr), retr));
  const answer = b('+OK 20 octets\r\nSubject: x\r\n\r\nbody\r\n.\r\n');
  assert.ok(sameMemory(pf.push(answer), answer));
});

/** A core that upper-cases and can hold its input, as the SMTP guard does after DATA. */
class HoldingCore implements FilterCore {
  holding = false;
  held: Buffer[] = [];
  wake?: () => void;
  push(chunk: Buffer): Buffer {
    if (chunk.length > 0) this.held.push(chunk);
    if (this.holding) return Buffer.alloc(0);
    const out = Buffer.from(Buffer.concat(this.held).toString('latin1').toUpperCase(), 'latin1');
    this.held = [];
    if (out.includes('REFUSE')) throw new RelayRefusal('500 no\r\n', 'refused line');
    return out;
  }
}

function collect(dest: PassThrough): () => string {
  let text = '';
  dest.on('data', (c: Buffer) => (text += c.toString('latin1')));
  return () => text;
}

test('relayThrough: fed bytes first, then the source through the core; the end reaches the destination; counts what it read', async () => {
  const src = new PassThrough();
  const dest = new PassThrough();
  const got = collect(dest);
  let counted = 0;
  const r = relayThrough(src, new HoldingCore(), dest, (e) => assert.fail(e), (n) => (counted += n));
  r.feed(b('first '));
  src.end('second');
  await new Promise((resolve) => dest.on('end', resolve));
  assert.equal(got(), 'FIRST SECOND');
  assert.equal(counted, 6, 'fed bytes are not counted again');
});

test('relayThrough: while the core holds, the source is paused and the end waits; wake lets the held bytes and the end through', async () => {
  const src = new PassThrough();
  const dest = new PassThrough();
  const got = collect(dest);
  const core = new HoldingCore();
  let ended = false;
  dest.on('end', () => (ended = true));
  relayThrough(src, core, dest, (e) => assert.fail(e));
  core.holding = true;
  src.write('data\r\n');
  src.end();
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(src.isPaused(), 'the source is paused while the core holds');
  assert.equal(got(), '');
  assert.equal(ended, false, 'the destination is not ended while bytes are held');
  core.holding = false;
  core.wake!();
  await new Promise((resolve) => dest.on('end', resolve));
  assert.equal(got(), 'DATA\r\n');
});

test('relayThrough: a destination that needs to drain pauses the source until it drains', async () => {
  const src = new PassThrough();
  let release: (() => void) | undefined;
  const written: string[] = [];
  const dest = new Writable({
    highWaterMark: 4,
    write(chunk: Buffer, _e, callback) {
      written.push(chunk.toString('latin1'));
      release = callback;
    },
  });
  relayThrough(src, new HoldingCore(), dest, (e) => assert.fail(e));
  src.write('abcdefgh');
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(src.isPaused(), 'paused while the destination is over its mark');
  release!();
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(!src.isPaused(), 'reading again once it drained');
  assert.deepEqual(written, ['ABCDEFGH']);
});

test('relayThrough: a core that refuses stops the direction (nothing more is read or written) and reports the refusal', async () => {
  const src = new PassThrough();
  const dest = new PassThrough();
  const got = collect(dest);
  const errors: Error[] = [];
  const r = relayThrough(src, new HoldingCore(), dest, (e) => errors.push(e));
  src.write('ok ');
  await new Promise((resolve) => setImmediate(resolve));
  src.write('refuse ');
  src.write('more');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(got(), 'OK ');
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof RelayRefusal && errors[0].reply === '500 no\r\n');
  r.feed(b('after'));
  assert.equal(got(), 'OK ');
});
