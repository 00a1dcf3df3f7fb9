// The console at many names (issue #13 item 5): a store seeded with bench/seed-store.mjs (250
// certificates) and bench/seed-sites.mjs (3,000 sites with SNI bindings, most sharing those
// certificates). The Server Certificates and Sites pages show one page of rows asked of the API;
// no answer the console gets carries more rows than a page; search by name finds a name far down
// the list; Next and Previous (and the browser's Back) give each row once; the binding dialog's
// certificate list finds a certificate by search; the new controls pass axe-core at 1366×768 and
// 320×256.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { Page, Response } from 'playwright-core';
import { addUser } from '../support/admin.js';
import { axe } from '../support/axe.js';
import { action, assertClean, connections, consoleTests, dialog, logIn, openServerCertificates, settled } from '../support/browser.js';
import { dataDir, freePorts, ghJson, join, ROOT, storeFor, tmpDir, writeText } from '../support/cli.js';

const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const CERTS = 250;
const NAMES = 3000;
/** The console's page size (paged-list.ts PAGE_SIZE). */
const PAGE = 100;
const [PORT] = (await freePorts(1)) as [number];

const openConsole = consoleTests();

function seed(script: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  // The seed scripts write to the store the test runs on (its own schema on PostgreSQL).
  const store = storeFor(args[0]!);
  const r = spawnSync(NODE, [join(ROOT, 'bench', script), ...args], { encoding: 'utf8', env: { ...process.env, ...(store ? { GATEHOUSE_STORE: store } : {}), ...env }, timeout: 300_000 });
  assert.equal(r.status, 0, `${script} failed:\n${r.stdout}\n${r.stderr}`);
}

/** Every JSON array the console receives from the API, with its length (to check none is longer than a page). */
function watchLists(page: Page): Array<{ url: string; rows: number }> {
  const seen: Array<{ url: string; rows: number }> = [];
  page.on('response', (r: Response) => {
    if (!r.url().includes('/api/v1/') || !(r.headers()['content-type'] ?? '').includes('json')) return;
    void r.json().then((body: unknown) => {
      if (Array.isArray(body)) seen.push({ url: r.url(), rows: body.length });
    }, () => undefined);
  });
  return seen;
}

/** The keys (thumbprints, site names) of the rows the list shows now. */
async function rowKeys(page: Page): Promise<string[]> {
  await page.locator('.paged-rows[aria-busy="false"]').waitFor();
  return page.locator('.paged-rows tbody tr[data-key]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')!));
}

async function countText(page: Page): Promise<string> {
  return (await page.locator('.page-count').textContent()) ?? '';
}

/** Pages through the list with Next to its end, then back with Previous; answers the pages seen going forward. */
async function pageThrough(page: Page, noun: string, maxPages: number): Promise<string[][]> {
  const forward: string[][] = [await rowKeys(page)];
  const next = page.getByRole('button', { name: `Next page of ${noun}` });
  const prev = page.getByRole('button', { name: `Previous page of ${noun}` });
  assert.ok(await prev.isDisabled(), 'Previous is greyed out on the first page');
  while (forward.length < maxPages && await next.isEnabled()) {
    const before = await countText(page);
    await next.click();
    await page.waitForFunction((b) => document.querySelector('.page-count')?.textContent !== b, before);
    forward.push(await rowKeys(page));
    // The keyboard stays on the pager.
    assert.ok(await page.evaluate(() => document.activeElement?.closest('.pager') !== null), 'focus stays on the pager after Next');
  }
  for (let i = forward.length - 2; i >= 0; i--) {
    const before = await countText(page);
    await prev.click();
    await page.waitForFunction((b) => document.querySelector('.page-count')?.textContent !== b, before);
    assert.deepEqual(await rowKeys(page), forward[i], `Previous shows page ${i + 1} as it was`);
  }
  return forward;
}

test('the console pages certificates and sites on the server: one page per answer, search, Next/Previous/Back, the certificate picker searches, axe clean', { timeout: 600_000 }, async (t) => {
  const data = dataDir();
  const root = tmpDir('gh-www-');
  writeText(join(root, 'index.html'), 'paging\n');
  seed('seed-store.mjs', [data, String(CERTS)], { SEED_WILDCARDS: '0' });
  seed('seed-sites.mjs', [data, String(PORT), root, String(NAMES)]);
  addUser(data, 'operator', 'server-management');
  const { server, c, page } = await openConsole(t, data);
  const lists = watchLists(page);
  await logIn(page, 'operator');

  // The tree lists the first sites only and links to the rest.
  await connections(page).getByRole('link', { name: `All ${NAMES.toLocaleString('en-US')} sites…` }).waitFor();

  // Server Certificates: one page, a count, each certificate once going forward, the same pages coming back.
  const all = ghJson<Array<{ thumbprint: string; friendlyName: string; sans: string[] }>>(data, ['cert', 'list', '--json']);
  assert.ok(all.length > 2 * PAGE, `the store holds ${all.length} certificates`);
  await openServerCertificates(page);
  assert.equal((await rowKeys(page)).length, PAGE);
  assert.equal(await countText(page), `1–${PAGE} of ${all.length} certificates.`);
  const certPages = await pageThrough(page, 'certificates', 10);
  const listed = certPages.flat();
  assert.equal(new Set(listed).size, listed.length, 'no certificate is listed twice');
  assert.deepEqual([...listed].sort(), all.map((x) => x.thumbprint).sort(), 'every certificate is listed once across the pages');

  // Next, then the browser's Back: the first page again (the location keeps the page).
  await page.getByRole('button', { name: 'Next page of certificates' }).click();
  await page.waitForFunction(() => document.querySelector('.page-count')?.textContent?.startsWith('101–'));
  assert.match(page.url(), /#\/certificates\?page=2&after=/);
  await page.goBack();
  await page.waitForFunction(() => document.querySelector('.page-count')?.textContent?.startsWith('1–'));
  assert.deepEqual(await rowKeys(page), certPages[0]);

  // Search by name (on the server): the last certificate seeded, far down the list; the status filter.
  const far = all.find((x) => x.sans[0] === `site${CERTS - 1}.test`)!;
  await page.getByRole('searchbox', { name: 'Search by name' }).fill(`site${CERTS - 1}.test`);
  await page.waitForFunction(() => document.querySelector('.page-count')?.textContent?.includes('matching'));
  assert.equal(await countText(page), `1–1 of 1 certificate matching “site${CERTS - 1}.test”.`);
  assert.deepEqual(await rowKeys(page), [far.thumbprint]);
  assert.match(page.url(), new RegExp(`q=site${CERTS - 1}\\.test`));
  await page.getByRole('searchbox', { name: 'Search by name' }).fill('no-such-name.example');
  await page.waitForFunction(() => document.querySelector('.page-count')?.textContent?.startsWith('No certificates'));
  await page.getByRole('searchbox', { name: 'Search by name' }).fill('');
  await page.getByLabel('Status').selectOption('expired');
  await page.waitForFunction(() => document.querySelector('.page-count')?.textContent?.startsWith('No certificates expired'));
  await page.getByLabel('Status').selectOption('');
  await page.waitForFunction(() => document.querySelector('.page-count')?.textContent?.startsWith('1–100 of'));

  // Sites: one page of 100, search finds a site far down, a few pages forward and back.
  await connections(page).getByRole('link', { name: 'Sites', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Sites' }).waitFor();
  await settled(page);
  const sites = ghJson<Array<{ name: string }>>(data, ['site', 'list', '--json']);
  assert.equal(await countText(page), `1–${PAGE} of ${sites.length.toLocaleString('en-US')} sites.`);
  const sitePages = await pageThrough(page, 'sites', 4);
  const byName = sites.map((s) => s.name).sort();
  assert.deepEqual(sitePages.flat(), byName.slice(0, sitePages.flat().length), 'the first pages of sites, each site once, by name');
  const farSite = `extra${NAMES - 1}`;
  await page.getByRole('searchbox', { name: 'Search by name' }).fill(farSite);
  await page.waitForFunction(() => document.querySelector('.page-count')?.textContent?.includes('matching'));
  assert.deepEqual(await rowKeys(page), [farSite]);

  // The new controls pass axe-core, wide and narrow.
  for (const [width, height] of [[1366, 768], [320, 256]] as const) {
    await page.setViewportSize({ width, height });
    await axe(page, `the Sites page with a search at ${width}×${height}`);
  }
  await page.setViewportSize({ width: 1400, height: 860 });

  // The site's Bindings…: Add… finds a certificate by searching for it (it is not among the first listed).
  await page.getByRole('link', { name: farSite, exact: true }).first().click();
  await page.getByRole('heading', { level: 1, name: `${farSite} Home` }).waitFor();
  await settled(page);
  await action(page, 'Bindings…');
  const bindings = dialog(page, 'Site Bindings');
  await bindings.getByRole('button', { name: 'Add…' }).click();
  const add = dialog(page, 'Add Site Binding');
  const picker = add.getByLabel('SSL certificate');
  const wanted = all.find((x) => x.sans[0] === `site${CERTS - 2}.test`)!;
  assert.equal(await picker.locator(`option[value="${wanted.thumbprint}"]`).count(), 0, 'the certificate is not in the first list');
  await add.getByRole('searchbox', { name: 'Search certificates by name' }).fill(`site${CERTS - 2}.test`);
  await picker.locator(`option[value="${wanted.thumbprint}"]`).waitFor({ state: 'attached' });
  await picker.selectOption(wanted.thumbprint);
  await add.getByLabel('Port').fill(String(PORT));
  await add.getByLabel('Host name').fill('found.paging.test');
  await add.getByLabel('Require Server Name Indication').check();
  await axe(page, 'the Add Site Binding dialog with a certificate search', '[role="dialog"], dialog[open]');
  await add.getByRole('button', { name: 'OK' }).click();
  await add.waitFor({ state: 'detached' });
  const added = ghJson<Array<{ host: string; certificate: string | null }>>(data, ['binding', 'list', farSite, '--json']).find((b) => b.host === 'found.paging.test');
  assert.equal(added?.certificate, wanted.thumbprint, 'the binding has the certificate found by search');
  await bindings.getByRole('button', { name: 'Close' }).click();

  // The API's parts the console pages with: one page's renewal state, the https bindings without
  // SNI (Assign Services' web sites), the server without (or with a few of) the bindings' host names.
  const session = await server.login('operator');
  const two = all.slice(0, 2).map((x) => x.thumbprint);
  const renewals = await server.call('GET', `/api/v1/renewals?certificates=${two.join(',')}`, { session });
  assert.equal(renewals.status, 200, renewals.text);
  assert.deepEqual((renewals.json as Array<{ thumbprint: string }>).map((r) => r.thumbprint).sort(), [...two].sort());
  assert.equal((await server.call('GET', '/api/v1/renewals?certificates=not-a-thumbprint', { session })).status, 400);
  const plain = await server.call('GET', '/api/v1/bindings?protocol=https&sni=false&limit=1000', { session });
  assert.equal(plain.status, 200, plain.text);
  assert.deepEqual((plain.json as Array<{ host: string; sni: boolean }>).map((b) => [b.host, b.sni]), [['', false]], 'only the one https binding without SNI');
  assert.equal(plain.headers['x-total-count'], '1');
  const hosts = new Set(ghJson<Array<{ host: string }>>(data, ['binding', 'list', '--json']).map((b) => b.host).filter((x) => x !== ''));
  const few = (await server.call('GET', '/api/v1/server?hostNames=5', { session })).json as { hostNames: string[]; hostNameCount: number };
  assert.deepEqual(few.hostNames, [...hosts].sort().slice(0, 5));
  assert.equal(few.hostNameCount, hosts.size);
  const none = (await server.call('GET', '/api/v1/server?hostNames=0', { session })).json as { hostNames: string[]; hostNameCount?: number };
  assert.deepEqual([none.hostNames, none.hostNameCount], [[], undefined]);

  // Nothing the console asked for came back with more than a page of rows.
  const longest = lists.reduce((m, l) => (l.rows > m.rows ? l : m), { url: '', rows: 0 });
  assert.ok(lists.length > 10, `the console's list answers were seen (${lists.length})`);
  assert.ok(longest.rows <= PAGE, `an answer carried ${longest.rows} rows: ${longest.url}`);
  assertClean(c);
});
