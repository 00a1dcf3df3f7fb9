#!/usr/bin/env node
// Where a .cpuprofile (node --cpu-prof) spends its time: self time by function and by source file,
// and inclusive time of the functions that match a filter. Usage:
//
//   node bench/profile-summary.mjs FILE.cpuprofile [--top N] [--match REGEX]
//
// Self time is the time a function's own code ran (V8 samples whose top frame is that function);
// "(program)" and "(garbage collector)" are V8's own; native TLS/crypto work shows up in the JS
// function that called into it (e.g. TLSWrap's `onhandshakedone` callers, `_handle.receive`).
import { readFileSync } from 'node:fs';

// Piped into head: stop quietly when the reader has gone.
process.stdout.on('error', () => process.exit(0));
const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
if (!file) {
  process.stderr.write('usage: node bench/profile-summary.mjs FILE.cpuprofile [--top N] [--match REGEX]\n');
  process.exit(2);
}
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const top = Number(opt('--top', '30'));
const match = opt('--match', undefined);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
// Sample durations: timeDeltas[i] is the time before samples[i].
const self = new Map();
const total = profile.timeDeltas.reduce((a, b) => a + b, 0);
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const short = (url) => url.replace(/^file:\/\/.*?\/(dist|src|node_modules)\//, '$1/').replace(/^node:/, 'node:');
const label = (n) => `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
const byFn = new Map();
const byFile = new Map();
for (const [id, us] of self) {
  const n = nodes.get(id);
  byFn.set(label(n), (byFn.get(label(n)) ?? 0) + us);
  const f = short(n.callFrame.url) || n.callFrame.functionName;
  byFile.set(f, (byFile.get(f) ?? 0) + us);
}
const pct = (us) => `${((us / total) * 100).toFixed(1).padStart(5)} %`;
const print = (title, m) => {
  process.stdout.write(`\n${title}\n`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}\n`);
};
process.stdout.write(`${file}: ${(total / 1e6).toFixed(2)} s sampled\n`);
print('self time by function', byFn);
print('self time by file', byFile);
if (match) {
  // Inclusive time: every sample whose stack holds a matching frame counts once for the outermost match.
  const re = new RegExp(match);
  const incl = new Map();
  profile.samples.forEach((id, i) => {
    let hit;
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) if (re.test(label(nodes.get(cur)))) hit = label(nodes.get(cur));
    if (hit) incl.set(hit, (incl.get(hit) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  print(`inclusive time of frames matching /${match}/ (outermost)`, incl);
}
