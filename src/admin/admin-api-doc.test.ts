import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ROUTES } from './routes.js';

const root = new URL('../../../', import.meta.url);

test('docs/admin-api.md lists every route of the route table (run "npm run docs:api" after changing a route)', async () => {
  const { renderAdminApiDoc } = (await import(new URL('scripts/admin-api-doc.mjs', root).href)) as { renderAdminApiDoc: (page?: string) => string };
  const page = readFileSync(new URL('docs/admin-api.md', root), 'utf8');
  assert.equal(page, renderAdminApiDoc(page));
  for (const r of ROUTES) assert.match(page, new RegExp(`\\| ${r.method} \\| \`${r.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[?\`]`), `${r.method} ${r.path}`);
});

test('the generated region replaces only what is between its markers', async () => {
  const { renderAdminApiDoc, BEGIN, END } = (await import(new URL('scripts/admin-api-doc.mjs', root).href)) as {
    renderAdminApiDoc: (page?: string) => string; BEGIN: string; END: string;
  };
  const out = renderAdminApiDoc(`# hand-written\n\n${BEGIN}\nold generated text\n${END}\n\nmore by hand\n`);
  assert.ok(out.startsWith(`# hand-written\n\n${BEGIN}\n`));
  assert.ok(out.endsWith(`${END}\n\nmore by hand\n`));
  assert.ok(!out.includes('old generated text'));
  assert.throws(() => renderAdminApiDoc('# no markers\n'), /markers/);
});
