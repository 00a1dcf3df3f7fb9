#!/usr/bin/env node
// Puts `bench/run.mjs` runs of two builds side by side (issue #9: Node 20 + better-sqlite3 against
// Node 24 + node:sqlite). Each run writes its figures with BENCH_JSON=FILE; run the two builds
// alternately (A B A B …) so a noisy stretch of a shared machine hits both. Usage:
//
//   node bench/compare-runs.mjs "LABEL A" a-1.json,a-2.json "LABEL B" b-1.json,b-2.json
//
// Prints a markdown table: for every benchmark, each build's Gatehouse median wall time and CPU
// (user + system, from hyperfine) per run, the ratio to the reference of the same run, and B / A
// (the mean over runs of each build's medians). Nothing is asserted.
import { readFileSync } from 'node:fs';

const [labelA, filesA, labelB, filesB] = process.argv.slice(2);
if (!filesB) {
  process.stderr.write('usage: node bench/compare-runs.mjs "LABEL A" a-1.json[,a-2.json…] "LABEL B" b-1.json[,b-2.json…]\n');
  process.exit(2);
}
const load = (list) => list.split(',').map((f) => JSON.parse(readFileSync(f, 'utf8')));
const A = load(filesA);
const B = load(filesB);
const f = (ms) => (ms === undefined ? 'n/a' : ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
// The same benchmark in both builds: rows are matched by their label, with the store engine's name left out.
const key = (r) => r.what;
const cells = (runs, what) => {
  const rows = runs.map((run) => run.rows.find((r) => key(r) === what));
  return {
    wall: rows.map((r) => f(r.gatehouse.median)).join(' · '),
    cpu: rows.map((r) => f(r.gatehouse.cpu)).join(' · '),
    ratio: rows.map((r) => `${(r.gatehouse.median / r.reference.median).toFixed(2)}×`).join(' · '),
    meanWall: mean(rows.map((r) => r.gatehouse.median)),
    meanCpu: rows.every((r) => r.gatehouse.cpu !== undefined) ? mean(rows.map((r) => r.gatehouse.cpu)) : undefined,
    ref: rows[0].refName,
  };
};
const lines = [
  `| benchmark (Gatehouse median wall time, ms, per run) | ${labelA} | CPU | ÷ reference | ${labelB} | CPU | ÷ reference | ${labelB} / ${labelA}: wall (CPU) |`,
  '|---|---:|---:|---:|---:|---:|---:|---:|',
];
for (const row of A[0].rows) {
  const a = cells(A, key(row));
  const b = cells(B, key(row));
  const cpuRatio = a.meanCpu && b.meanCpu ? ` (${(b.meanCpu / a.meanCpu).toFixed(2)}×)` : '';
  lines.push(`| ${row.what} | ${a.wall} | ${a.cpu} | ${a.ratio} | ${b.wall} | ${b.cpu} | ${b.ratio} | **${(b.meanWall / a.meanWall).toFixed(2)}×**${cpuRatio} |`);
}
const phaseNames = [
  ['nodeStart', 'node start (until the first line of the script)'],
  ['engine', 'load the SQLite engine (better-sqlite3 / node:sqlite)'],
  ['loadGatehouseModules', "load Gatehouse's modules"],
  ['openStore', 'open the store'],
  ['list', 'certificates.list() (SELECT + mapping)'],
  ['stringify', 'JSON.stringify'],
  ['total', 'total'],
];
const phase = (run, k) => (k === 'engine' ? run.notes.phases.loadBetterSqlite3 ?? run.notes.phases.loadSqlite : run.notes.phases[k]);
lines.push('', `| inside one \`cert list --json\` (median of 5 per run, ms) | ${labelA} | ${labelB} |`, '|---|---:|---:|');
for (const [k, name] of phaseNames) lines.push(`| ${name} | ${A.map((r) => f(phase(r, k))).join(' · ')} | ${B.map((r) => f(phase(r, k))).join(' · ')} |`);
lines.push('', `- ${labelA}: ${A.map((r) => `${r.machine.node} at ${r.machine.commit}, load ${r.machine.load}, ${r.elapsed} s, listing output ${r.notes.listSameOutput ? 'identical to the reference' : 'NOT identical'}`).join('; ')}`);
lines.push(`- ${labelB}: ${B.map((r) => `${r.machine.node} at ${r.machine.commit}, load ${r.machine.load}, ${r.elapsed} s, listing output ${r.notes.listSameOutput ? 'identical to the reference' : 'NOT identical'}`).join('; ')}`);
process.stdout.write(`${lines.join('\n')}\n`);
