// CPU profiles (`node --cpu-prof`) read back: where a server's main thread spent its time
// (serve-bench.mjs --profile, request-bench.mjs --profile).
import { readFileSync } from 'node:fs';

/** The main thread's busy share, the share per part (Gatehouse, npm packages, Node internals, native) and the top `n` functions by self time. */
export function topFunctions(file, n) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const self = new Map();
  const groups = new Map();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const node = byId.get(p.samples[i]);
    const d = p.timeDeltas[i] ?? 0;
    total += d;
    const cf = node.callFrame;
    if (cf.functionName === '(idle)') {
      idle += d;
      continue;
    }
    const where = cf.url.includes('/node_modules/') ? cf.url.replace(/.*\/node_modules\//, '').replace(/\/.*/, '') : cf.url.includes('/dist/src/') ? cf.url.replace(/.*\/dist\//, '') : cf.url.startsWith('node:') ? cf.url : cf.url === '' ? '(native)' : cf.url;
    const key = `${cf.functionName || '(anonymous)'} ${where}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + d);
    const group = cf.url.includes('/node_modules/') ? `npm ${where}` : cf.url.includes('/dist/src/') ? 'Gatehouse (dist/src)' : cf.url.startsWith('node:') ? 'Node.js internals (JS)' : ['(garbage collector)', '(program)'].includes(cf.functionName) ? cf.functionName : 'native (C++ bindings: TLS, sockets, fs)';
    groups.set(group, (groups.get(group) ?? 0) + d);
  }
  const busy = total - idle;
  const pct = (v) => `${((100 * v) / busy).toFixed(1)}%`;
  let out = `main thread busy ${((100 * busy) / total).toFixed(0)}% of ${(total / 1e6).toFixed(1)} s; shares of busy time:\n`;
  out += [...groups].sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${pct(v).padStart(6)}  ${k}`).join('\n');
  out += '\n  top functions (self time):\n';
  out += [...self].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `  ${pct(v).padStart(6)}  ${k}`).join('\n');
  return out;
}
