import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

test('docs/cli.md matches the command table (run "npm run docs:cli" after changing a command)', async () => {
  const root = new URL('../../../', import.meta.url);
  const { renderCliDoc } = (await import(new URL('scripts/cli-doc.mjs', root).href)) as { renderCliDoc: () => string };
  assert.equal(readFileSync(new URL('docs/cli.md', root), 'utf8'), renderCliDoc());
});
