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

/**
 * The modules a program loads, following the compiled JavaScript (type-only imports are gone there):
 * every file of ours it reaches, and every package it names.
 */
function importGraph(entry: string): { files: string[]; packages: string[] } {
  const dist = new URL('../../dist/src/', import.meta.url).pathname;
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)'([^']+)'/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(join(file, '..', spec));
      else if (!spec.startsWith('node:')) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  };
  visit(join(dist, entry));
  return { files: [...files].map((f) => relative(dist, f)).sort(), packages: [...packages].sort() };
}

test('a serve worker loads the serving plane only: no CLI, no admin endpoint, no Fastify, none of the control plane\'s libraries', () => {
  const { files, packages } = importGraph('serve/worker-entry.js');
  // The walk works: the worker reaches the serving plane it runs.
  for (const f of ['serve/serve.js', 'serve/front-server.js', 'lifecycle/serving-plane.js', 'mail/mail-front.js']) assert.ok(files.includes(f), `${f} is reached`);
  assert.deepEqual(files.filter((f) => /^(cli|admin|acme|renewal|notify|console)\//.test(f) || f === 'lifecycle/gatehouse.js'), []);
  // The control plane's libraries: the admin server, ACME, X.509 building, PKCS#12, OCSP requests, mail notifications.
  const controlPlane = /^(fastify|@fastify\/.*|typebox|acme-client|@peculiar\/.*|node-forge|nodemailer|dns-packet)$/;
  assert.deepEqual(packages.filter((p) => controlPlane.test(p)), []);
});

test('the import walk sees what the CLI loads (it would notice Fastify in a worker)', () => {
  const { files, packages } = importGraph('cli/entry.js');
  assert.ok(files.includes('cli/main.js'));
  assert.ok(files.includes('admin/admin-endpoint.js'), 'dynamic imports are followed');
  assert.ok(packages.includes('fastify'));
});
