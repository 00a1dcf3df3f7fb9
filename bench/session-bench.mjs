// Issue #13: the cost of a console-session check now that sessions live in the store. Opens a
// Gatehouse on a fresh data directory (SQLite, WAL, synchronous=FULL — what serve uses), makes
// 1,000 sessions, then times: the check of a session (ConsoleSessions.touch: one look-up by primary
// key; the last use is written at most every 15 seconds), the same check when every call writes the
// last use (the clock moved 15 seconds each call), the user look-up every session check is followed
// by (UserManager.find, as before), and a log-in throttle check. Prints one JSON line.
// Run: npm run build && node bench/session-bench.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openGatehouse } from '../dist/src/lifecycle/gatehouse.js';

const dir = mkdtempSync(join(tmpdir(), 'gh-session-bench-'));
const g = openGatehouse({ dataDir: dir, actor: { name: 'bench', origin: 'cli' } });
await g.users.add({ name: 'alice', role: 'view-only', password: 'a long enough password' });
let now = Date.now();
const sessions = g.sessions(() => now);
const ids = Array.from({ length: 1000 }, () => sessions.create('alice', 'u').id);

function time(label, n, fn) {
  for (let i = 0; i < Math.min(n, 500); i++) fn(i); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  const us = Number(process.hrtime.bigint() - t0) / 1000 / n;
  return [label, Math.round(us * 100) / 100];
}

const results = Object.fromEntries([
  time('touchReadOnlyUs', 50_000, (i) => { if (!sessions.touch(ids[i % ids.length])) throw new Error('lost'); }),
  time('touchWithWriteUs', 2_000, (i) => { now += 15_000; if (!sessions.touch(ids[0])) throw new Error('lost'); }),
  time('userFindUs', 50_000, () => g.users.find('alice')),
  time('throttleRetryAfterUs', 50_000, (i) => g.loginThrottle(() => now).retryAfter(`10.0.${i % 250}.1`, 'alice')),
]);
console.log(JSON.stringify({ node: process.version, sessions: ids.length, ...results }));
g.close();
rmSync(dir, { recursive: true, force: true });
