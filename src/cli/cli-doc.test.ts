import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

test('docs/cli.md matches the command table (run "npm run docs:cli" after changing a command)', async () => {
  const root = new URL('../../../', import.meta.url);
  const { renderCliDoc } = (await import(new URL('scripts/cli-doc.mjs', root).href)) as { renderCliDoc: () => string };
  assert.equal(readFileSync(new URL('docs/cli.md', root), 'utf8'), renderCliDoc());
});

test('every flag a command accepts is explained in its help', async () => {
  const { COMMANDS } = await import('./main.js');
  const missing: string[] = [];
  for (const c of COMMANDS) {
    const described = (c.flags ?? []).map(([f]) => f).join(' ');
    for (const name of Object.keys(c.options)) {
      if (!new RegExp(`--${name}\\b`).test(described)) missing.push(`${c.noun} ${c.verb} --${name}`);
    }
  }
  assert.deepEqual(missing, []);
});
