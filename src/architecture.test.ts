import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The import rules of ARCHITECTURE.md, checked: a part may import only the parts listed. */
const ALLOWED: Record<string, string[]> = {
  model: [],
  pki: ['model'],
  config: ['model'],
  store: ['model', 'pki', 'config'],
  lifecycle: ['model', 'pki', 'config', 'store', 'acme'],
  acme: ['model', 'pki'],
  serve: ['model', 'pki', 'config', 'lifecycle', 'mail', 'metrics', 'renewal', 'notify'],
  mail: ['model', 'config'],
  notify: ['model'],
  metrics: ['model', 'lifecycle'],
  admin: ['model', 'pki', 'lifecycle', 'notify', 'renewal'],
  cli: ['model', 'lifecycle', 'serve', 'admin', 'pki', 'notify', 'metrics', 'renewal'],
  renewal: ['model', 'pki', 'config', 'lifecycle', 'acme', 'notify'],
  console: [],
};

test('parts import only what ARCHITECTURE.md allows', () => {
  const src = new URL('../../src/', import.meta.url).pathname;
  const problems: string[] = [];
  const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
  for (const file of walk(src).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    const part = relative(src, file).split('/')[0]!;
    if (!(part in ALLOWED)) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(/from '\.\.\/([a-z-]+)\//g)) {
      const target = m[1]!;
      if (target !== part && !ALLOWED[part]!.includes(target)) problems.push(`${relative(src, file)} imports ${target}/`);
    }
  }
  assert.deepEqual(problems, []);
});

test('nothing outside lifecycle/ and store/ names the store: the serving plane reads through the serving read model', () => {
  const src = new URL('../../src/', import.meta.url).pathname;
  const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
  const problems: string[] = [];
  for (const file of walk(src).filter((f) => f.endsWith('.ts') && !f.endsWith('architecture.test.ts'))) {
    const part = relative(src, file).split('/')[0]!;
    if (part === 'lifecycle' || part === 'store' || part === 'console') continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/GatehouseStore|\bgatehouse(?:\(\))?\.store\b|\bg\.store\b|from '\.\.\/store\//g)) problems.push(`${relative(src, file)}: ${m[0]}`);
  }
  assert.deepEqual(problems, []);
});
