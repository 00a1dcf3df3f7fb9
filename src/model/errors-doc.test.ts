import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

test('docs/errors.md lists every error code (run "npm run docs:errors" after changing the catalogue)', async () => {
  const root = new URL('../../../', import.meta.url);
  const { renderErrorsDoc } = (await import(new URL('scripts/errors-doc.mjs', root).href)) as { renderErrorsDoc: () => string };
  assert.equal(readFileSync(new URL('docs/errors.md', root), 'utf8'), renderErrorsDoc());
});
