// The console's "Access log format" of a site (Basic Settings…): W3C, combined or off — the same
// switch as `site set NAME --log off|w3c|combined` and the API's "logFormat".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataDir, gh, ghJson, join, tmpDir, writeText } from '../support/cli.js';
import { addUser } from '../support/admin.js';
import { action, assertClean, connections, consoleTests, dialog, logIn } from '../support/browser.js';

const openConsole = consoleTests();

test('Basic Settings: the access log switched off and back to combined from the console', { timeout: 120_000 }, async (t) => {
  const data = dataDir();
  addUser(data, 'operator', 'server-management');
  const root = tmpDir('gh-www-');
  writeText(join(root, 'index.html'), '<h1>Contoso</h1>\n');
  assert.equal(gh(data, ['site', 'add', 'Contoso', '--root', root]).code, 0);
  const { c, page } = await openConsole(t, data);
  await logIn(page, 'operator');
  await connections(page).getByRole('link', { name: 'Contoso' }).click();
  await page.getByRole('heading', { level: 1, name: 'Contoso Home' }).waitFor();
  const logFormat = () => ghJson<Array<{ name: string; logFormat: string }>>(data, ['site', 'list']).find((s) => s.name === 'Contoso')!.logFormat;
  assert.equal(logFormat(), 'w3c');
  for (const [label, stored, shown] of [['Off (no access log)', 'off', 'off (none written)'], ['Combined (Apache, nginx)', 'combined', 'combined']] as const) {
    await action(page, 'Basic Settings…');
    const settings = dialog(page, 'Basic Settings of Contoso');
    await settings.getByLabel('Access log format').selectOption({ label });
    await settings.getByRole('button', { name: 'OK' }).click();
    await settings.waitFor({ state: 'detached' });
    assert.equal(logFormat(), stored);
    await page.getByText(shown, { exact: true }).waitFor();
  }
  assertClean(c);
});
