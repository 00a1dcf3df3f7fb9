#!/usr/bin/env node
// Issue #13: the cost of the store's engines, in process — one statement, one writing transaction,
// typical admin operations (a site list, a binding added and removed) — on SQLite and on PostgreSQL
// (the synchronous facade: a worker thread owns the connection, the caller blocks on Atomics.wait).
// Usage: node bench/store-engines.mjs postgres://USER:PASSWORD@127.0.0.1:PORT/DB  (a schema of its own is made)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openGatehouse } from '../dist/src/lifecycle/gatehouse.js';
import { openDatabase } from '../dist/src/store/database.js';

const url = process.argv[2];
if (!url) throw new Error('usage: node bench/store-engines.mjs postgres://…');
const actor = { name: 'bench', origin: 'cli' };

function time(n, fn) {
  for (let i = 0; i < Math.min(50, n); i++) fn(i); // warm-up
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    fn(i);
    samples.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(n / 2)], p90: samples[Math.floor(n * 0.9)] };
}

const rows = [];
for (const engine of ['sqlite', 'postgres']) {
  const data = mkdtempSync(join(tmpdir(), 'gh-engines-'));
  const store = engine === 'postgres' ? `${url}?schema=bench_${process.pid}` : undefined;
  const db = openDatabase(data, { store });
  rows.push([engine, 'one SELECT (meta by name)', time(2000, () => db.get("SELECT value FROM meta WHERE name = ?", 'revision'))]);
  rows.push([engine, 'one writing transaction (BEGIN, 1 UPDATE, COMMIT)', time(500, () => db.transaction('immediate', () => db.run("UPDATE meta SET value = value WHERE name = ?", 'revision')))]);
  db.close();
  const g = openGatehouse({ dataDir: data, store, actor });
  for (let i = 0; i < 20; i++) g.sites.add({ name: `site${i}`, root: data });
  rows.push([engine, 'site list (20 sites)', time(300, () => g.sites.list())]);
  rows.push([engine, 'binding add + binding remove (one change each)', time(100, (i) => {
    g.bindings.add({ site: 'site1', protocol: 'http', port: 20000 + i });
    g.bindings.remove({ site: 'site1', protocol: 'http', port: 20000 + i });
  })]);
  g.close();
}
console.log('| engine | operation | median µs | p90 µs |\n|---|---|---:|---:|');
for (const [e, op, t] of rows) console.log(`| ${e} | ${op} | ${t.median.toFixed(0)} | ${t.p90.toFixed(0)} |`);
