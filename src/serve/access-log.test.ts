import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Site } from '../model/site.js';
import { AccessLogs, formatAccessLine, type AccessRecord } from './access-log.js';

const AT = Date.UTC(2026, 10, 28, 9, 5, 7, 450);
const record = (over: Partial<AccessRecord> = {}): AccessRecord => ({
  at: AT, serverAddress: '::ffff:127.0.0.1', serverPort: 8443, method: 'GET', url: '/a b/index.html?q=1&r=a b',
  clientAddress: '::1', userAgent: 'Test Agent/1.0', referer: '', status: 200, bytes: 11, httpVersion: '1.1', millis: 3, tlsGroup: 'X25519', ...over,
});
const site = (name: string, logFormat: Site['logFormat']): Site => ({ name, state: 'started', content: { kind: 'static', root: '/nowhere' }, httpsRedirect: false, hsts: false, logFormat, created: '' });

test('formatAccessLine: W3C extended as IIS writes it, combined as Apache and nginx do, nothing when off', () => {
  assert.equal(formatAccessLine('w3c', record()),
    '2026-11-28 09:05:07 127.0.0.1 GET /a+b/index.html q=1&r=a+b 8443 - ::1 HTTP/1.1 Test+Agent/1.0 - 200 11 3 X25519');
  assert.equal(formatAccessLine('w3c', record({ url: '/', tlsGroup: '', httpVersion: '2.0', at: AT + 1000 })),
    '2026-11-28 09:05:08 127.0.0.1 GET / - 8443 - ::1 HTTP/2.0 Test+Agent/1.0 - 200 11 3 -');
  assert.equal(formatAccessLine('combined', record({ url: '/x?"y"\\', referer: 'https://ref.test/', userAgent: 'say "hi"' })),
    '::1 - - [28/Nov/2026:09:05:07 +0000] "GET /x?\\"y\\"\\\\ HTTP/1.1" 200 11 "https://ref.test/" "say \\"hi\\"" X25519');
  assert.equal(formatAccessLine('combined', record({ userAgent: '', tlsGroup: '' })),
    '::1 - - [28/Nov/2026:09:05:07 +0000] "GET /a b/index.html?q=1&r=a b HTTP/1.1" 200 11 "-" "-" -');
  // The date part is cached per second: going back to an earlier second is still right.
  assert.match(formatAccessLine('w3c', record({ at: AT - 86_400_000 })), /^2026-11-27 09:05:07 /);
  assert.equal(formatAccessLine('off', record()), '');
});

test('AccessLogs: lines are batched and every one is in the file after close; off writes no file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-access-'));
  // A flush interval far longer than the test: only close() (shutdown) can have written the lines.
  const logs = new AccessLogs(dir, { flushMs: 3_600_000 });
  for (let i = 0; i < 100; i++) {
    logs.write(site('W3C', 'w3c'), record({ url: `/${i}` }));
    logs.write(site('Quiet', 'off'), record({ url: `/${i}` }));
  }
  logs.write(site('Combined', 'combined'), record());
  await logs.close();
  const w3c = readFileSync(join(dir, 'W3C.log'), 'utf8').split('\n');
  assert.deepEqual(w3c.slice(0, 4), ['#Software: Gatehouse', '#Version: 1.0', '#Date: 2026-11-28 09:05:07', `#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs-version cs(User-Agent) cs(Referer) sc-status sc-bytes time-taken x-tls-group`]);
  assert.deepEqual(w3c.slice(4, -1).map((l) => l.split(' ')[4]), Array.from({ length: 100 }, (_, i) => `/${i}`));
  assert.equal(w3c.at(-1), '');
  assert.equal(readFileSync(join(dir, 'Combined.log'), 'utf8'), `${formatAccessLine('combined', record())}\n`);
  assert.equal(existsSync(join(dir, 'Quiet.log')), false);
});

test('AccessLogs: a batch that reaches the buffer bound is written at once, in whole lines', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-access-'));
  const logs = new AccessLogs(dir, { flushMs: 3_600_000, maxBufferChars: 1000 });
  const line = formatAccessLine('combined', record());
  for (let i = 0; i < 30; i++) logs.write(site('Combined', 'combined'), record());
  // Written before any flush or close: the buffer is bounded.
  const before = readFileSync(join(dir, 'Combined.log'), 'utf8');
  assert.ok(before.length > 0 && before.length < 30 * (line.length + 1), `${before.length} characters written before close`);
  assert.ok(before.endsWith('\n'));
  await logs.close();
  assert.equal(readFileSync(join(dir, 'Combined.log'), 'utf8'), `${line}\n`.repeat(30));
});
