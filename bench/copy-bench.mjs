#!/usr/bin/env node
// Issue #13, "Moving": `gatehouse store copy` of a seeded store into PostgreSQL and back, through
// the real CLI (a process each), timed with its RSS. The seeded data directory is copied first (the
// original is never written); PostgreSQL is the URL given, else a cluster of the bench's own
// (test/support/postgres.ts: a temporary directory, a free loopback port, stopped at exit).
// Usage: node bench/copy-bench.mjs DATA_DIR [postgres://USER:PASSWORD@127.0.0.1:PORT/DB] [--rounds N]
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const rounds = args.includes('--rounds') ? Number(args[args.indexOf('--rounds') + 1]) : 1;
const [seed, given] = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--rounds');
if (!seed) throw new Error('usage: node bench/copy-bench.mjs DATA_DIR [postgres://…] [--rounds N]');
const url = given ?? (await (await import('../dist/test/support/postgres.js')).startCluster()).url;
const work = mkdtempSync(join(tmpdir(), 'gh-copy-bench-'));
const source = join(work, 'source');
cpSync(seed, source, { recursive: true });
const BIN = new URL('../bin/gatehouse', import.meta.url).pathname;

/** One `store copy` under /usr/bin/time: the summary (--json), wall seconds and max RSS. */
function copy(args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', BIN, 'store', 'copy', ...args, '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, GATEHOUSE_STORE: '' } });
  if (r.status !== 0) throw new Error(`store copy ${args.join(' ')} failed: ${r.stderr}`);
  const [wall, rss] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  const s = JSON.parse(r.stdout);
  return { rows: s.rows, seconds: s.seconds, wall, rssMiB: Math.round(rss / 1024), verified: s.verified };
}

const out = [];
for (let i = 1; i <= rounds; i++) {
  const schema = `copybench_${process.pid}_${i}`;
  const pg = `${url}?schema=${schema}`;
  const load = loadavg()[0].toFixed(1);
  const there = copy(['--data', source, '--to', pg]);
  out.push({ round: i, direction: 'SQLite → PostgreSQL', load, ...there });
  const back = join(work, `back${i}`);
  const load2 = loadavg()[0].toFixed(1);
  const home = copy(['--data', source, '--store-url', pg, '--to', back]);
  out.push({ round: i, direction: 'PostgreSQL → SQLite', load: load2, ...home });
  rmSync(back, { recursive: true, force: true });
}
console.log(`${cpus().length} × ${cpus()[0].model}; ${new Date().toISOString()}; source ${seed} (${readFileSync('/proc/loadavg', 'utf8').trim()})`);
console.log('| round | direction | rows | seconds (copy) | rows/s | wall s (process) | max RSS MiB | load (1 min) | verified |');
console.log('|---:|---|---:|---:|---:|---:|---:|---:|---|');
for (const r of out) console.log(`| ${r.round} | ${r.direction} | ${r.rows} | ${r.seconds.toFixed(1)} | ${Math.round(r.rows / r.seconds)} | ${r.wall} | ${r.rssMiB} | ${r.load} | ${r.verified} |`);
rmSync(work, { recursive: true, force: true });
process.exit(0);
