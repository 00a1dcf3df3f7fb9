// The console at any width and in any mode (issue #14), in Debian's Chromium through playwright-core:
// - axe-core (WCAG 2.0/2.1 A and AA and best practice) on every page and on the dialogs' states:
//   zero violations, a regression gate;
// - the layout at 320, 1024, 1366 and 1920 pixels and at 200 % and 400 % zoom: nothing wider than the
//   window, Log out in view, each list's Name and Status columns in view. Zoom is emulated by a
//   viewport of the zoomed CSS size (a device scale factor does not zoom CSS pixels): 1366×768 at
//   200 % is 683×384 CSS pixels, 1920×1080 at 200 % is 960×540, 1280×1024 at 400 % is 320×256;
// - certificate status in words wherever a certificate is named (site home, bindings, the binding
//   and service pickers: an expired certificate is not selectable);
// - focus after each confirmation on the next row, the message or the heading, never <body>;
// - forced colours (high contrast): the selected row and tree node stand apart;
// - a focus ring unlike any resting border, the wizard's labels valid after a redraw, Back with a
//   dialog open: closes it when nothing was typed, else asks before discarding.
// Screenshots go to test-results/screenshots/ (for people to look at; none is compared).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyStore } from '../support/postgres.js';
import type { Locator, Page } from 'playwright-core';
import { dataDir, eventually, freePorts, gh, ghJson, issueCert, join, opensslNotAfter, readText, TestPki, tmpDir, writeText } from '../support/cli.js';
import { addUser, adminSnapshot } from '../support/admin.js';
import { axe } from '../support/axe.js';
import { action, assertClean, certificateRow, connections, consoleTests, dialog, dialogLayoutProblems, logIn, screenshot, settled } from '../support/browser.js';

const openConsole = consoleTests();

const VALID = 'www.contoso.com-Gatehouse Internal CA-2027';
const EXPIRING = 'expiring.contoso.com-Contoso CA';
const EXPIRED = 'old.contoso.com-Contoso CA-expired';

let template: Promise<{ data: string; thumbprints: Record<string, string> }> | undefined;

/**
 * The server a user meets: certificates valid, expiring and expired; a site whose bindings use
 * them; pending requests. Made once (import refuses an expired certificate, so one is imported a
 * few seconds before it expires and the fixture waits for that), copied for each test.
 */
async function richServer(): Promise<{ data: string; thumbprints: Record<string, string> }> {
  template ??= makeRichServer();
  const { data: source, thumbprints } = await template;
  const data = dataDir();
  copyStore(source, data);
  return { data, thumbprints };
}

async function makeRichServer(): Promise<{ data: string; thumbprints: Record<string, string> }> {
  const data = dataDir();
  addUser(data, 'admin', 'organization-management');
  assert.equal(gh(data, ['ca', 'init', '--cn', 'Gatehouse Internal CA']).code, 0);
  const pki = TestPki.create({ intCn: 'Contoso CA' });
  ghJson(data, ['cert', 'import', '--store', 'root', '--file', pki.rootCert]);
  const dir = tmpDir('gh-responsive-');
  const imported = (cn: string, name: string, opts: { days?: number; enddate?: string }) => {
    const { key, cert } = pki.leaf(cn, opts);
    const bundle = writeText(join(dir, `${cn}.pem`), readText(cert) + pki.chainPem());
    return { cert, thumbprint: ghJson<{ thumbprint: string }>(data, ['cert', 'import', '--file', bundle, '--key-file', key, '--friendly-name', name]).thumbprint };
  };
  // Ten seconds: the import must finish before it expires, on a busy machine and on PostgreSQL too.
  const end = new Date(Date.now() + 10_000);
  const old = imported('old.contoso.com', EXPIRED, { enddate: end.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z' });
  const thumbprints: Record<string, string> = {
    [VALID]: issueCert(data, 'www.contoso.com', VALID, ['contoso.com']),
    [EXPIRING]: imported('expiring.contoso.com', EXPIRING, { days: 10 }).thumbprint,
    [EXPIRED]: old.thumbprint,
  };
  const root = tmpDir('gh-www-');
  writeText(join(root, 'index.html'), '<!doctype html><title>Contoso</title>\n');
  ghJson(data, ['site', 'add', 'contoso', '--root', root]);
  const port = 20000 + Math.floor(Math.random() * 20000);
  ghJson(data, ['binding', 'add', 'contoso', '--protocol', 'https', '--port', String(port), '--host', 'www.contoso.com', '--sni', '--cert', thumbprints[VALID]!]);
  ghJson(data, ['binding', 'add', 'contoso', '--protocol', 'https', '--port', String(port), '--host', 'expiring.contoso.com', '--sni', '--cert', thumbprints[EXPIRING]!]);
  ghJson(data, ['binding', 'add', 'contoso', '--protocol', 'http', '--port', String(port + 1)]);
  ghJson(data, ['request', 'new', '--cn', 'pending.contoso.com', '--key', 'ecdsa-p256', '--friendly-name', 'pending one']);
  ghJson(data, ['request', 'new', '--cn', 'pending2.contoso.com', '--key', 'ecdsa-p256', '--friendly-name', 'pending two']);
  await eventually('the short-lived certificate has expired', () => Date.now() > opensslNotAfter(old.cert).getTime() + 1000, 25_000, 250);
  const statuses = Object.fromEntries(ghJson<Array<{ friendlyName: string; status: string }>>(data, ['cert', 'list']).map((c) => [c.friendlyName, c.status]));
  assert.deepEqual(statuses, { [VALID]: 'valid', [EXPIRING]: 'expiring', [EXPIRED]: 'expired' });
  return { data, thumbprints };
}

const PAGES: Array<[hash: string, heading: RegExp]> = [
  ['#/', / Home$/],
  ['#/certificates', /^Server Certificates$/],
  ['#/requests', /^Pending Certificate Requests$/],
  ['#/acme', /^ACME Accounts$/],
  ['#/notifications', /^Notifications$/],
  ['#/services', /^Services$/],
  ['#/sites', /^Sites$/],
  ['#/sites/contoso', /^contoso Home$/],
  ['#/users', /^Users and API Tokens$/],
  ['#/audit', /^Audit Log$/],
];

async function go(page: Page, hash: string, heading: RegExp): Promise<void> {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  await settled(page);
}

/**
 * What is wrong with the layout, in words (empty when nothing): the page wider than the window, Log
 * out out of view, a list's Name or Status column (or its first column) cut off or scrolled away.
 */
async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const width = window.innerWidth;
    if (document.documentElement.scrollWidth > width) problems.push(`the page is ${document.documentElement.scrollWidth} px wide in a ${width} px window`);
    const wide = [...document.querySelectorAll<HTMLElement>('body *')].filter((el) => el.getBoundingClientRect().right > width + 0.5 && el.checkVisibility() && !el.closest('.table-wrap, dialog:not([open])'));
    if (wide.length > 0) problems.push(`wider than the window: ${wide.slice(0, 3).map((el) => `${el.tagName.toLowerCase()}.${el.className}`).join(', ')}`);
    const logout = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Log out');
    const box = logout?.getBoundingClientRect();
    if (!logout || !box || !logout.checkVisibility() || box.left < 0 || box.right > width || box.top < 0 || box.bottom > window.innerHeight) problems.push('Log out is not in view');
    for (const wrap of document.querySelectorAll<HTMLElement>('.table-wrap')) {
      if (!wrap.checkVisibility()) continue;
      const w = wrap.getBoundingClientRect();
      const caption = wrap.querySelector('caption')?.textContent ?? '?';
      const heads = [...wrap.querySelectorAll<HTMLElement>('thead th')];
      for (const th of heads.filter((x, i) => i === 0 || /^(Name|Status)$/.test(x.textContent ?? ''))) {
        const r = th.getBoundingClientRect();
        if (!th.checkVisibility() || r.left < w.left - 0.5 || r.right > w.right + 0.5 || r.right > width + 0.5) problems.push(`${caption}: the ${th.textContent} column is not in view`);
      }
    }
    return problems;
  });
}

const SIZES: Array<[width: number, height: number, what: string]> = [
  [320, 640, '320 px (reflow)'],
  [1024, 768, '1024×768'],
  [1366, 768, '1366×768'],
  [1920, 1080, '1920×1080'],
  [683, 384, '1366×768 at 200 %'],
  [960, 540, '1920×1080 at 200 %'],
  [512, 384, '1024×768 at 200 %'],
  [320, 256, '1280×1024 at 400 %'],
];

test('every page at 320 to 1920 pixels and at 200 and 400 % zoom: nothing wider than the window, Log out, Name and Status in view; axe-core finds nothing', { timeout: 300_000 }, async (t) => {
  const { data } = await richServer();
  const { c, page } = await openConsole(t, data);
  await logIn(page, 'admin');
  const problems: string[] = [];
  for (const [width, height, what] of SIZES) {
    await page.setViewportSize({ width, height });
    for (const [hash, heading] of PAGES) {
      await go(page, hash, heading);
      await page.evaluate(() => window.scrollTo(0, 0));
      problems.push(...(await layoutProblems(page)).map((p) => `${what}, ${hash}: ${p}`));
      if (hash === '#/certificates') await screenshot(page, `60-responsive-certificates-${width}x${height}`);
      if (hash === '#/sites/contoso') await screenshot(page, `61-responsive-site-${width}x${height}`);
      if (width === 1366 || width === 320 && height === 640) await axe(page, `${hash} at ${what}`);
    }
  }
  assert.deepEqual(problems, []);
  assertClean(c);
});

test('Server Certificates at every width: each certificate\'s name and status in words in view, the status never by colour alone; the hash shortened with the full one on demand', { timeout: 180_000 }, async (t) => {
  const { data, thumbprints } = await richServer();
  const { c, page } = await openConsole(t, data);
  await logIn(page, 'admin');
  for (const [width, height, what] of SIZES) {
    await page.setViewportSize({ width, height });
    await go(page, '#/certificates', /^Server Certificates$/);
    for (const [name, words] of [[VALID, /^Valid$/], [EXPIRING, /^Expiring in \d+ days?$/], [EXPIRED, /^Expired on \d{4}-\d\d-\d\d$/]] as const) {
      const row = certificateRow(page, name);
      const status = row.locator('.status');
      assert.match((await status.innerText()).replace(/^[✔✖⚠]\s*/, ''), words, `${what}: the status of ${name} in words`);
      for (const cell of [row.getByRole('rowheader'), status]) {
        const inside = await cell.evaluate((el) => {
          const r = el.getBoundingClientRect();
          const w = el.closest('.table-wrap')!.getBoundingClientRect();
          return el.checkVisibility() && r.left >= w.left - 0.5 && r.right <= w.right + 0.5 && r.right <= window.innerWidth + 0.5;
        });
        assert.ok(inside, `${what}: ${name}: ${await cell.innerText()} is in view`);
      }
    }
    // The full thumbprint is on demand: on the short one's title and in the selection's details.
    const row = certificateRow(page, VALID);
    await row.click();
    const details = page.getByRole('region', { name: 'Selected certificate' });
    await details.getByText(thumbprints[VALID]!, { exact: true }).waitFor();
  }
  assertClean(c);
});

test('certificate status wherever a certificate is named: the site home and its bindings, the binding picker (an expired certificate not selectable), Assign Services', { timeout: 180_000 }, async (t) => {
  const { data, thumbprints } = await richServer();
  const { c, page } = await openConsole(t, data);
  await logIn(page, 'admin');

  // The site home: each https binding's certificate with its status in words.
  await go(page, '#/sites/contoso', /^contoso Home$/);
  const bindings = page.getByRole('table', { name: 'Bindings of contoso' });
  const certCell = async (host: string) => (await bindings.getByRole('row').filter({ has: page.getByRole('cell', { name: host, exact: true }) }).getByRole('cell').last().innerText()).replace(/\s+/g, ' ').trim();
  assert.match(await certCell('www.contoso.com'), new RegExp(`^${VALID} ✔? ?Valid$`));
  assert.match(await certCell('expiring.contoso.com'), new RegExp(`^${EXPIRING} ⚠? ?Expiring in \\d+ days$`));

  // Site Bindings…: the same in the dialog's list; Add…: the picker.
  await action(page, 'Bindings…');
  const site = dialog(page, 'Site Bindings');
  await site.waitFor();
  assert.match(await site.getByRole('row').filter({ hasText: 'expiring.contoso.com' }).innerText(), /Expiring in \d+ days/);
  await axe(page, 'Site Bindings');
  await site.getByRole('button', { name: 'Add…' }).click();
  const editor = dialog(page, 'Add Site Binding');
  await editor.waitFor();
  const options = await editor.getByLabel('SSL certificate').locator('option').evaluateAll((os) => os.map((o) => ({ value: (o as HTMLOptionElement).value, label: o.textContent ?? '', disabled: (o as HTMLOptionElement).disabled })));
  const selectable = options.filter((o) => !o.disabled).map((o) => o.value);
  assert.ok(!selectable.includes(thumbprints[EXPIRED]!), `the expired certificate is not selectable: ${JSON.stringify(options)}`);
  const expired = options.find((o) => o.value === thumbprints[EXPIRED]);
  if (expired) assert.match(expired.label, /Expired on \d{4}-\d\d-\d\d/, 'an expired certificate listed says so');
  assert.match(options.find((o) => o.value === thumbprints[EXPIRING])!.label, /Expiring in \d+ days/);
  assert.ok(selectable.includes(thumbprints[VALID]!) && selectable.includes(thumbprints[EXPIRING]!));
  await editor.getByLabel('SSL certificate').selectOption(thumbprints[EXPIRING]!);
  await editor.getByText(/Expiring in \d+ days/).last().waitFor();
  await axe(page, 'Add Site Binding');
  await screenshot(page, '62-binding-picker');
  await editor.getByRole('button', { name: 'Cancel' }).click();
  await site.getByRole('button', { name: 'Close' }).click();

  // Assign Services to Certificate (from the Services page): the expired one is not offered, the expiring one is marked.
  await go(page, '#/services', /^Services$/);
  await action(page, 'Assign Services to Certificate…');
  const assign = dialog(page, 'Assign Services to Certificate');
  await assign.waitFor();
  const offered = await assign.getByLabel('Certificate', { exact: true }).locator('option:not([disabled])').allInnerTexts();
  assert.ok(!offered.some((o) => o.startsWith(EXPIRED)), `the expired certificate is not offered: ${offered.join(' | ')}`);
  assert.ok(offered.some((o) => o.startsWith(EXPIRING) && /Expiring in \d+ days/.test(o)), `the expiring certificate is marked: ${offered.join(' | ')}`);
  await axe(page, 'Assign Services to Certificate');
  await assign.getByRole('button', { name: 'Cancel' }).click();
  assertClean(c);
});

/** What has focus, in words: `body`, or the element's tag, role and text. */
async function focused(page: Page): Promise<{ tag: string; text: string; inDialog: boolean }> {
  return page.evaluate(() => {
    const el = document.activeElement;
    return { tag: el?.tagName.toLowerCase() ?? 'none', text: (el?.textContent ?? '').trim().slice(0, 120), inDialog: el?.closest('dialog[open]') !== null && el?.closest('dialog[open]') !== undefined };
  });
}

test('focus after each confirmation: Remove certificate → the next row; Cancel Request → the next request; Submit to the internal CA → the message; Remove binding → a row; never <body>', { timeout: 240_000 }, async (t) => {
  const { data } = await richServer();
  const { c, page } = await openConsole(t, data);
  await logIn(page, 'admin');

  // Remove certificate: the row after it takes the focus (and the selection).
  await go(page, '#/certificates', /^Server Certificates$/);
  const names = await page.locator('.master-detail tbody th').allInnerTexts();
  const victim = names[0]!;
  const nextName = names[1]!;
  await certificateRow(page, victim).click();
  await action(page, 'Remove');
  await dialog(page, 'Remove Certificate').getByRole('button', { name: 'Remove' }).click();
  const inUse = dialog(page, 'Certificate in use');
  await Promise.race([inUse.waitFor(), page.getByRole('status').filter({ hasText: 'Removed' }).waitFor()]);
  if (await inUse.isVisible()) await inUse.getByRole('button', { name: 'Remove it and those bindings' }).click();
  await page.getByRole('status').filter({ hasText: `Removed “${victim}”` }).waitFor();
  await settled(page);
  let f = await focused(page);
  assert.equal(f.tag, 'tr', `after Remove, focus is on a row, not ${f.tag}`);
  assert.ok(f.text.startsWith(nextName), `after Remove, focus is on the next certificate (${nextName}), not “${f.text}”`);

  // Cancel Request: the next request.
  await go(page, '#/requests', /^Pending Certificate Requests$/);
  await page.getByRole('row').filter({ hasText: 'pending.contoso.com' }).first().click();
  await action(page, 'Cancel Request');
  await dialog(page, 'Cancel Request').getByRole('button', { name: 'Cancel the request' }).click();
  await page.getByRole('status').filter({ hasText: 'Cancelled request' }).waitFor();
  await settled(page);
  f = await focused(page);
  assert.equal(f.tag, 'tr', `after Cancel Request, focus is on a row, not ${f.tag}`);
  assert.match(f.text, /pending2\.contoso\.com/);
  // The last one: the heading or the message.
  await action(page, 'Cancel Request');
  await dialog(page, 'Cancel Request').getByRole('button', { name: 'Cancel the request' }).click();
  await page.getByRole('status').filter({ hasText: /Cancelled request \d+\./ }).filter({ hasNotText: 'pending.contoso' }).last().waitFor();
  await settled(page);
  f = await focused(page);
  assert.notEqual(f.tag, 'body', 'after the last Cancel Request, focus is not on <body>');

  // The wizard's Submit to the internal CA: the message that says what was issued.
  await go(page, '#/certificates', /^Server Certificates$/);
  await action(page, 'Create Certificate Request…');
  const wizard = dialog(page, 'Create Certificate Request');
  await wizard.waitFor();
  const next = wizard.getByRole('button', { name: /^(Next >|Create)$/ });
  await wizard.getByLabel('Friendly name for the request').fill('focus test');
  await next.click();
  await wizard.getByLabel('Root domain').fill('focus.contoso.com');
  await next.click();
  await wizard.getByRole('list', { name: 'Domains in the certificate' }).getByText('focus.contoso.com', { exact: true }).waitFor();
  for (let i = 0; i < 3; i++) await next.click();
  await wizard.getByRole('heading', { name: 'Summary' }).waitFor();
  // While Create's call runs (held here until checked), the button pressed keeps the focus, held.
  let release!: () => void;
  const held = new Promise<void>((resolve) => { release = resolve; });
  await page.route('**/api/v1/requests', async (route) => {
    if (route.request().method() === 'POST') await held;
    await route.continue();
  });
  const createdResponse = page.waitForResponse((r) => r.url().endsWith('/api/v1/requests') && r.request().method() === 'POST');
  await next.click();
  await page.waitForSelector('dialog[aria-busy="true"]');
  f = await focused(page);
  const heldState = await page.evaluate(() => document.activeElement?.getAttribute('aria-disabled'));
  release();
  await createdResponse;
  await page.unroute('**/api/v1/requests');
  assert.ok(f.inDialog && f.text === 'Create' && heldState === 'true', `while Create runs, the focus stays on it, held (${f.tag} “${f.text}”, aria-disabled ${heldState})`);
  // The Completion section is labelled by its (redrawn) heading.
  await wizard.getByRole('region', { name: 'Completion' }).waitFor();
  await wizard.getByRole('button', { name: 'Submit to the internal CA' }).focus();
  await page.keyboard.press('Enter');
  await wizard.getByRole('status').filter({ hasText: 'The internal CA issued' }).waitFor();
  f = await focused(page);
  assert.ok(f.inDialog && f.tag !== 'body', `after Submit to the internal CA, focus stays in the wizard (${f.tag})`);
  assert.match(f.text, /The internal CA issued/, 'focus is on the message');
  await axe(page, 'the wizard\'s Completion after Submit to the internal CA');
  await wizard.getByRole('button', { name: 'Finish' }).click();
  await wizard.waitFor({ state: 'detached' });

  // Site Bindings: Remove → a row of the list (or Add…), never <body>.
  await go(page, '#/sites/contoso', /^contoso Home$/);
  await action(page, 'Bindings…');
  const site = dialog(page, 'Site Bindings');
  await site.waitFor();
  await site.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'http', exact: true }) }).click();
  await site.getByRole('button', { name: 'Remove', exact: true }).click();
  await dialog(page, 'Remove Binding').getByRole('button', { name: 'Remove' }).click();
  await site.getByRole('status').filter({ hasText: 'Removed the binding' }).waitFor();
  f = await focused(page);
  assert.ok(f.inDialog && f.tag !== 'body', `after Remove binding, focus stays in the dialog (${f.tag})`);
  await site.getByRole('button', { name: 'Close' }).click();
  assertClean(c);
});

test('forced colours (high contrast): the selected row and the selected tree node stand apart from the others', { timeout: 120_000 }, async (t) => {
  const { data } = await richServer();
  const { c, page } = await openConsole(t, data);
  await logIn(page, 'admin');
  await page.emulateMedia({ forcedColors: 'active' });
  await go(page, '#/certificates', /^Server Certificates$/);
  await certificateRow(page, VALID).click();
  const look = (el: Locator) => el.evaluate((e) => {
    const s = getComputedStyle(e);
    return { background: s.backgroundColor, color: s.color, outline: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`, border: `${s.borderTopStyle} ${s.borderTopColor}` };
  });
  const selected = await look(certificateRow(page, VALID));
  const other = await look(certificateRow(page, EXPIRING));
  assert.notDeepEqual(selected, other, 'the selected row looks different');
  assert.notEqual(selected.background, other.background, `the selected row has its own (system) background: ${JSON.stringify({ selected, other })}`);
  // Moving the focus away does not take the selection's look with it.
  await page.getByRole('heading', { level: 1 }).focus();
  assert.notEqual((await look(certificateRow(page, VALID))).background, (await look(certificateRow(page, EXPIRING))).background);
  const tree = page.getByRole('navigation', { name: 'Connections' });
  const here = await look(tree.locator('a[aria-current="page"]'));
  const elsewhere = await look(tree.getByRole('link', { name: 'Sites', exact: true }));
  assert.notEqual(here.background, elsewhere.background, 'the selected tree node has its own background');
  await screenshot(page, '63-forced-colors-certificates');
  await axe(page, 'Server Certificates in forced colours');
  assertClean(c);
});

/** WCAG's contrast ratio of two CSS colours (rgb()/rgba()). */
function contrast(a: string, b: string): number {
  const lum = (css: string) => {
    const [r, g, bl] = css.match(/[\d.]+/g)!.slice(0, 3).map(Number).map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x! + 0.05) / (y! + 0.05);
}

test('the focus ring stands apart from every resting border; Back with a dialog holding typed data asks (Keep editing, Discard), Back with nothing typed closes it; focus lands on the page', { timeout: 120_000 }, async (t) => {
  const { data } = await richServer();
  const { c, page } = await openConsole(t, data);
  await logIn(page, 'admin');
  await page.getByRole('link', { name: /^Server Certificates/ }).click();
  await page.getByRole('heading', { level: 1, name: 'Server Certificates' }).waitFor();
  await settled(page);

  await action(page, 'Create Certificate Request…');
  const wizard = dialog(page, 'Create Certificate Request');
  await wizard.waitFor();
  await wizard.getByLabel('Friendly name for the request').fill('typed before Back');
  // Keyboard focus on the primary button (Next >): its ring against its own resting border and the other buttons'.
  await wizard.getByLabel('Friendly name for the request').press('Tab');
  const rings = await page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    const s = getComputedStyle(el);
    // Every other visible button's resting border (a transparent one draws nothing).
    const rest = [...document.querySelectorAll('button')].filter((b) => b !== el && b.checkVisibility()).map((b) => getComputedStyle(b).borderTopColor).filter((c) => !/rgba\(.*, 0\)$/.test(c));
    return { text: el.textContent, outline: s.outlineColor, style: s.outlineStyle, width: parseFloat(s.outlineWidth), border: s.borderTopColor, rest: [...new Set(rest)] };
  });
  assert.equal(rings.text, 'Next >');
  assert.equal(rings.style, 'solid');
  assert.ok(rings.width >= 2, `the ring is at least 2 px (${rings.width})`);
  for (const border of [rings.border, ...rings.rest]) {
    assert.ok(contrast(rings.outline, border) >= 3, `the focus ring ${rings.outline} stands apart from the resting border ${border} (${contrast(rings.outline, border).toFixed(2)}:1)`);
  }
  assert.ok(contrast(rings.outline, 'rgb(255, 255, 255)') >= 3, 'the ring stands out on white');
  await axe(page, 'the wizard\'s first page');

  // Back with something typed in the dialog: the console asks first, and the address goes back to
  // the page under the dialog. Keep editing: the wizard as it was, what was typed kept.
  const friendlyName = wizard.getByLabel('Friendly name for the request');
  await page.goBack();
  const ask = dialog(page, 'Discard Changes');
  await ask.waitFor();
  await ask.getByText('Discard the changes in “Create Certificate Request”?').waitFor();
  assert.equal(new URL(page.url()).hash, '#/certificates', 'the address is the page under the dialog again');
  let f = await focused(page);
  assert.ok(f.inDialog, `the question has the focus (${f.tag} “${f.text}”)`);
  await axe(page, 'Discard Changes');
  await ask.getByRole('button', { name: 'Keep editing' }).click();
  await ask.waitFor({ state: 'detached' });
  assert.equal(await friendlyName.inputValue(), 'typed before Back', 'what was typed is kept');
  f = await focused(page);
  assert.ok(f.inDialog, `focus is back in the wizard (${f.tag})`);
  assert.ok(await page.getByRole('heading', { level: 1, name: 'Server Certificates' }).isVisible(), 'the page under the dialog was not redrawn as another');
  // Escape on the question is Keep editing too; a second Back while it is open asks nothing more.
  await page.goBack();
  await ask.waitFor();
  await page.goBack();
  await page.waitForFunction(() => location.hash === '#/certificates');
  assert.equal(await page.getByRole('dialog', { name: 'Discard Changes' }).count(), 1, 'one question at a time');
  await page.keyboard.press('Escape');
  await ask.waitFor({ state: 'detached' });
  assert.ok(await wizard.isVisible(), 'Escape keeps the wizard');

  // Back again, Discard: the page Back leads to, no dialog left, the focus on that page.
  await page.goBack();
  await ask.waitFor();
  await ask.getByRole('button', { name: 'Discard' }).click();
  await page.getByRole('heading', { level: 1, name: / Home$/ }).waitFor();
  await settled(page);
  await page.waitForFunction(() => document.querySelectorAll('dialog[open]').length === 0);
  assert.equal(await page.locator('dialog').count(), 0, 'no dialog is left on the page');
  f = await focused(page);
  assert.notEqual(f.tag, 'body', 'focus is on the page, not <body>');
  // Forward returns to Server Certificates, as after a plain Back.
  await page.goForward();
  await page.getByRole('heading', { level: 1, name: 'Server Certificates' }).waitFor();
  await settled(page);

  // Nothing typed: Back closes the dialog without asking — the wizard, and a confirmation.
  for (const [label, title] of [['Create Certificate Request…', 'Create Certificate Request'], ['Remove', 'Remove Certificate']] as const) {
    if (label === 'Remove') await certificateRow(page, VALID).click();
    await action(page, label);
    await dialog(page, title).waitFor();
    await page.goBack();
    await page.getByRole('heading', { level: 1, name: / Home$/ }).waitFor();
    await settled(page);
    await page.waitForFunction(() => document.querySelectorAll('dialog[open]').length === 0);
    assert.equal(await page.locator('dialog').count(), 0, `${title}: closed without a question`);
    f = await focused(page);
    assert.notEqual(f.tag, 'body', `${title}: focus is on the page, not <body>`);
    await page.goForward();
    await page.getByRole('heading', { level: 1, name: 'Server Certificates' }).waitFor();
    await settled(page);
  }

  // What was typed is saved once the wizard has created the request: Back from its Completion page closes it.
  await action(page, 'Create Certificate Request…');
  await friendlyName.fill('saved before Back');
  const next = wizard.getByRole('button', { name: /^(Next >|Create)$/ });
  await next.click();
  await wizard.getByLabel('Root domain').fill('saved.contoso.com');
  await next.click();
  await wizard.getByRole('list', { name: 'Domains in the certificate' }).getByText('saved.contoso.com', { exact: true }).waitFor();
  for (let i = 0; i < 3; i++) await next.click();
  await wizard.getByRole('heading', { name: 'Summary' }).waitFor();
  await next.click();
  await wizard.getByRole('region', { name: 'Completion' }).waitFor();
  await page.goBack();
  await page.getByRole('heading', { level: 1, name: / Home$/ }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('dialog[open]').length === 0);
  assert.equal(await page.locator('dialog').count(), 0, 'the wizard closed without a question once its request was created');
  assert.ok(ghJson<Array<{ friendlyName: string | null }>>(data, ['request', 'list']).some((r) => r.friendlyName === 'saved before Back'), 'the request is kept');
  assertClean(c);
});

test('axe-core on the dialogs: the wizard page by page, Import, Export, Self-Signed, Install Chain, Rename, Remove, Renew (and what would move), Renewal History, View (three tabs), Complete, Add ACME Account, Add Notification Target, Add Site, Basic Settings, Add Mail Listener, users and tokens — at 1366×768 and at 320×256 (short: each usable, its buttons in view, the rest scrolls)', { timeout: 300_000 }, async (t) => {
  const { data } = await richServer();
  const { c, page } = await openConsole(t, data);
  await logIn(page, 'admin');
  const opened = async (title: string, open: () => Promise<void>, states: Array<(d: Locator) => Promise<void>> = []) => {
    await open();
    const d = dialog(page, title);
    await d.waitFor();
    const size = `${page.viewportSize()!.width}×${page.viewportSize()!.height}`;
    await axe(page, `${title} (${size})`);
    assert.deepEqual(await dialogLayoutProblems(page), [], `${title} at ${size}`);
    for (const [i, state] of states.entries()) {
      await state(d);
      await axe(page, `${title}, state ${i + 1} (${size})`);
      assert.deepEqual(await dialogLayoutProblems(page), [], `${title}, state ${i + 1} at ${size}`);
    }
    await page.keyboard.press('Escape');
    await d.waitFor({ state: 'detached' });
  };
  for (const [width, height] of [[1366, 768], [320, 256]] as const) {
    await page.setViewportSize({ width, height });
    await go(page, '#/certificates', /^Server Certificates$/);
    await certificateRow(page, VALID).click();
    const next = (d: Locator) => d.getByRole('button', { name: /^(Next >|Create)$/ }).click();
    await opened('Create Certificate Request', () => action(page, 'Create Certificate Request…'), [
      async (d) => { await d.getByLabel('Friendly name for the request').fill('axe'); await next(d); },
      async (d) => { await d.getByLabel('Root domain').fill('axe.contoso.com'); await next(d); },
      async (d) => {
        await d.getByLabel('Add a domain').fill('www.axe.contoso.com');
        await d.getByRole('button', { name: 'Add', exact: true }).click();
        await screenshot(page, `65-wizard-domains-${width}`);
        await next(d);
      },
      next,
      async (d) => { await next(d); await d.getByRole('heading', { name: 'Summary' }).waitFor(); },
      async (d) => { await d.getByRole('button', { name: 'Create' }).click(); await d.getByLabel('Certificate signing request (CSR)').waitFor(); },
    ]);
    if (width === 320) await screenshot(page, '64-wizard-320x256');
    await opened('Complete Certificate Request', () => action(page, 'Complete Certificate Request…'));
    await opened('Import Certificate', () => action(page, 'Import…'));
    await opened('Create Self-Signed Certificate', () => action(page, 'Create Self-Signed Certificate…'));
    await opened('Certificate', () => action(page, 'View…'), [
      async (d) => { await d.getByRole('tab', { name: 'Details' }).click(); },
      async (d) => { await d.getByRole('tab', { name: 'Certification Path' }).click(); },
    ]);
    await opened('Export Certificate', () => action(page, 'Export…'));
    await opened('Install Certificate Chain', () => action(page, 'Install Chain…'));
    await opened('Assign Services to Certificate', () => action(page, 'Assign Services to Certificate…'));
    await opened('Rename Certificate', () => action(page, 'Rename…'));
    await opened('Remove Certificate', () => action(page, 'Remove'));
    await opened('Renew Certificate', () => action(page, 'Renew…'), [
      async (d) => { await d.getByRole('button', { name: 'What would move?' }).click(); await d.getByRole('heading', { name: 'What Renew now would do' }).waitFor(); },
    ]);
    await opened('Renewal History', () => action(page, 'Renewal History…'));
    await go(page, '#/requests', /^Pending Certificate Requests$/);
    await page.locator('tbody tr').first().click();
    await opened('Submit to the Internal CA', () => action(page, 'Submit to internal CA…'));
    await go(page, '#/acme', /^ACME Accounts$/);
    await opened('Add ACME Account', () => action(page, 'Add…'), [async (d) => { await d.getByLabel('Certification authority').selectOption('custom'); }]);
    await go(page, '#/notifications', /^Notifications$/);
    await opened('Add Notification Target', () => action(page, 'Add…'), [async (d) => { await d.getByLabel('Kind').selectOption('email'); }]);
    await go(page, '#/sites', /^Sites$/);
    await opened('Add Site', () => action(page, 'Add Site…'));
    await go(page, '#/sites/contoso', /^contoso Home$/);
    await opened('Basic Settings of contoso', () => action(page, 'Basic Settings…'));
    await opened('Site Bindings', () => action(page, 'Bindings…'));
    await go(page, '#/services', /^Services$/);
    await opened('Add Mail Listener', () => action(page, 'Add Mail Listener…'));
    await go(page, '#/users', /^Users and API Tokens$/);
    const userActions = await page.getByRole('complementary', { name: 'Actions' }).getByRole('button').allInnerTexts();
    for (const label of userActions.filter((l) => l.endsWith('…'))) {
      const button = page.getByRole('complementary', { name: 'Actions' }).getByRole('button', { name: label, exact: true });
      if (await button.isDisabled()) continue;
      await button.click();
      const d = page.locator('dialog[open]');
      await d.waitFor();
      await axe(page, `${label} (${width} px)`);
      assert.deepEqual(await dialogLayoutProblems(page), [], `${label} at ${width} px`);
      await page.keyboard.press('Escape');
      await d.waitFor({ state: 'detached' });
    }
  }
  assertClean(c);
});

test('axe-core on every question and refusal: each confirmation, Certificate in use, Apply anyway, Overwrite, Replace, refused saves, Discard Changes — at 1366×768 and at 320×256: zero violations, each usable at the short height; answering No changes nothing', { timeout: 300_000 }, async (t) => {
  const { data, thumbprints } = await richServer();
  // More to confirm: a mail listener and an SMTP certificate, a notification target, a user with a
  // token, and two sites that share an endpoint (stopping one reaches the other: "Apply anyway").
  const [smtpPort, sharedPort] = (await freePorts(2)) as [number, number];
  for (const args of [
    ['service', 'configure', 'smtp', '--listen', `127.0.0.1:${smtpPort}`, '--backend', '127.0.0.1:10025'],
    ['service', 'assign', thumbprints[VALID]!, '--services', 'smtp'],
    ['notify', 'add', 'ops', '--webhook', 'http://127.0.0.1:9/hook'],
    ['token', 'create', '--user', 'admin', '--description', 'backup script'],
  ]) assert.equal(gh(data, args).code, 0, args.join(' '));
  addUser(data, 'operator', 'view-only');
  for (const site of ['fabrikam', 'fourth']) {
    const root = tmpDir('gh-www-');
    writeText(join(root, 'index.html'), `<!doctype html><title>${site}</title>\n`);
    assert.equal(gh(data, ['site', 'add', site, '--root', root]).code, 0);
  }
  assert.equal(gh(data, ['binding', 'add', 'fabrikam', '--protocol', 'https', '--port', String(sharedPort), '--cert', thumbprints[VALID]!]).code, 0);
  assert.equal(gh(data, ['binding', 'add', 'fourth', '--protocol', 'https', '--ip', '127.0.0.1', '--port', String(sharedPort), '--cert', thumbprints[VALID]!, '--force']).code, 0);
  const { c, page } = await openConsole(t, data);
  await logIn(page, 'admin');
  const before = await adminSnapshot(data);

  let size = '';
  /** The dialog `title` on top: axe-core, and usable at this size. */
  const check = async (title: string, what = title) => {
    const d = dialog(page, title);
    await d.waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll('dialog[open]')].pop()?.getAttribute('aria-busy') !== 'true');
    await axe(page, `${what} at ${size}`);
    assert.deepEqual(await dialogLayoutProblems(page), [], `${what} at ${size}`);
    return d;
  };
  /** Escape: the answer No (or Cancel); the dialog goes. */
  const no = async (title: string) => {
    await page.keyboard.press('Escape');
    await dialog(page, title).waitFor({ state: 'detached' });
  };
  const refused = async (d: Locator, title: string, ok = 'OK') => {
    await d.getByRole('button', { name: ok, exact: true }).click();
    await d.getByRole('alert').waitFor();
    await check(title, `${title}, refused`);
    assert.ok(await d.evaluate((el) => el.contains(document.activeElement)), `${title}, refused: the focus stays in the dialog`);
  };
  const row = (table: string, text: string | RegExp) => page.getByRole('table', { name: table }).getByRole('row').filter({ hasText: text }).first();

  for (const [width, height] of [[1366, 768], [320, 256]] as const) {
    await page.setViewportSize({ width, height });
    size = `${width}×${height}`;

    // Server Certificates: Remove → the question → Certificate in use (a binding uses it); Rename refused.
    await go(page, '#/certificates', /^Server Certificates$/);
    await certificateRow(page, VALID).click();
    await action(page, 'Remove');
    const remove = await check('Remove Certificate');
    await remove.getByRole('button', { name: 'Remove', exact: true }).click();
    await check('Certificate in use');
    if (width === 320) await screenshot(page, '66-certificate-in-use-320x256');
    await no('Certificate in use');
    await action(page, 'Rename…');
    const rename = await check('Rename Certificate');
    await rename.getByLabel('Friendly name').fill('');
    await refused(rename, 'Rename Certificate');
    await no('Rename Certificate');

    // Discard Changes (Back with something typed in the wizard); Keep editing, then Cancel.
    await action(page, 'Create Certificate Request…');
    const wizard = dialog(page, 'Create Certificate Request');
    await wizard.getByLabel('Friendly name for the request').fill('typed');
    await page.goBack();
    await check('Discard Changes');
    await no('Discard Changes');
    await wizard.getByRole('button', { name: 'Cancel' }).click();
    await wizard.waitFor({ state: 'detached' });

    // Pending Certificate Requests: Cancel Request.
    await go(page, '#/requests', /^Pending Certificate Requests$/);
    await page.getByRole('row').filter({ hasText: 'pending.contoso.com' }).first().click();
    await action(page, 'Cancel Request');
    await check('Cancel Request');
    await no('Cancel Request');

    // A site: Remove; Site Bindings → Remove Binding, Add… refused; Stop (reaches another site: Apply anyway).
    await go(page, '#/sites/contoso', /^contoso Home$/);
    await action(page, 'Remove');
    await check('Remove Site');
    await no('Remove Site');
    await action(page, 'Bindings…');
    const bindings = await check('Site Bindings');
    await bindings.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'http', exact: true }) }).click();
    await bindings.getByRole('button', { name: 'Remove', exact: true }).click();
    await check('Remove Binding');
    await no('Remove Binding');
    await bindings.getByRole('button', { name: 'Add…' }).click();
    const add = await check('Add Site Binding');
    await add.getByLabel('Port').fill('70000');
    await refused(add, 'Add Site Binding');
    await no('Add Site Binding');
    await no('Site Bindings');
    await go(page, '#/sites/fourth', /^fourth Home$/);
    await action(page, 'Stop');
    await check('Stop “fourth”', 'Stop (Apply anyway)');
    await no('Stop “fourth”');

    // Sites: Add Site refused (the name is taken).
    await go(page, '#/sites', /^Sites$/);
    await action(page, 'Add Site…');
    const addSite = dialog(page, 'Add Site');
    await addSite.getByLabel('Site name').fill('contoso');
    await addSite.getByLabel('Physical path').fill(tmpDir('gh-www-'));
    await refused(addSite, 'Add Site');
    await no('Add Site');

    // Services: Unassign; Assign → Overwrite the existing default SMTP certificate? (No); Remove
    // Listener; Add Mail Listener on the same address → Replace Mail Listener, then refused.
    await go(page, '#/services', /^Services$/);
    await row('Certificates assigned to services', 'SMTP').click();
    await action(page, 'Unassign');
    await check('Unassign Certificate');
    await no('Unassign Certificate');
    await action(page, 'Assign Services to Certificate…');
    const assign = await check('Assign Services to Certificate');
    await assign.getByLabel('Certificate', { exact: true }).selectOption(thumbprints[EXPIRING]!);
    await assign.getByLabel('SMTP', { exact: true }).check();
    await assign.getByRole('button', { name: 'Assign', exact: true }).click();
    await check('Overwrite the existing default SMTP certificate?');
    await no('Overwrite the existing default SMTP certificate?');
    await assign.getByRole('status').filter({ hasText: 'Nothing was changed' }).waitFor();
    await check('Assign Services to Certificate', 'Assign Services, after No');
    await no('Assign Services to Certificate');
    await row('Mail listeners', `127.0.0.1:${smtpPort}`).click();
    await action(page, 'Remove Listener');
    await check('Remove Mail Listener');
    await no('Remove Mail Listener');
    await action(page, 'Add Mail Listener…');
    const listener = await check('Add Mail Listener');
    await listener.getByLabel('Listen address', { exact: true }).selectOption('127.0.0.1');
    await listener.getByLabel('Port', { exact: true }).fill(String(smtpPort));
    await listener.getByLabel('Backend (host:port)', { exact: true }).fill('127.0.0.1:10026');
    await listener.getByRole('button', { name: 'OK', exact: true }).click();
    await check('Replace Mail Listener');
    await no('Replace Mail Listener');
    await listener.getByLabel('Port', { exact: true }).fill('0');
    await refused(listener, 'Add Mail Listener');
    await no('Add Mail Listener');

    // Notifications: Remove.
    await go(page, '#/notifications', /^Notifications$/);
    await page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'ops', exact: true }) }).click();
    await action(page, 'Remove');
    await check('Remove Notification Target');
    await no('Remove Notification Target');

    // Users and API Tokens: Remove User, Revoke Token, Add User refused.
    await go(page, '#/users', /^Users and API Tokens$/);
    await row('Users', 'operator').click();
    await action(page, 'Remove User');
    await check('Remove User');
    await no('Remove User');
    await row('API tokens', 'backup script').click();
    await action(page, 'Revoke Token');
    await check('Revoke Token');
    await no('Revoke Token');
    await action(page, 'Add User…');
    const addUserDialog = dialog(page, 'Add User');
    await addUserDialog.getByLabel('User name').fill('someone');
    await addUserDialog.getByLabel('Password', { exact: true }).fill('a long password 1');
    await addUserDialog.getByLabel('Confirm password').fill('a long password 2');
    await refused(addUserDialog, 'Add User');
    if (width === 320) await screenshot(page, '67-add-user-refused-320x256');
    await no('Add User');
  }
  assert.deepEqual(await adminSnapshot(data), before, 'No, Cancel and the refusals changed nothing');
  assertClean(c);
});

test('the guides at 1024×768, at 200 % zoom (683×384) and in forced colours: IIS (request, complete, bind with SNI) and Exchange (request, complete, assign to SMTP, IMAP and POP) with no sideways scrolling of the page, the focus never on <body>, each certificate\'s status in words', { timeout: 300_000 }, async (t) => {
  const problems: string[] = [];
  for (const [width, height, forced] of [[1024, 768, false], [683, 384, false], [1024, 768, true]] as const) {
    const what = `${width}×${height}${forced ? ' in forced colours' : ''}`;
    const data = dataDir();
    addUser(data, 'admin', 'organization-management');
    const pki = TestPki.create({ intCn: 'Contoso Test CA' });
    ghJson(data, ['cert', 'import', '--store', 'root', '--file', pki.rootCert]);
    const work = tmpDir('gh-guides-');
    const [port] = (await freePorts(1)) as [number];
    const { c, page } = await openConsole(t, data);
    await page.setViewportSize({ width, height });
    if (forced) await page.emulateMedia({ forcedColors: 'active' });
    /** After each step: the page no wider than the window, the focus somewhere (a dialog's, if one is open). */
    const after = async (step: string) => {
      const p = await page.evaluate(() => {
        const el = document.activeElement;
        const top = [...document.querySelectorAll('dialog[open]')].pop();
        return { wide: document.documentElement.scrollWidth, width: window.innerWidth, body: !el || el === document.body || !el.isConnected, outside: top !== undefined && !top.contains(el) };
      });
      if (p.wide > p.width) problems.push(`${what}, ${step}: the page is ${p.wide} px wide in a ${p.width} px window`);
      if (p.body) problems.push(`${what}, ${step}: the focus is on <body>`);
      else if (p.outside) problems.push(`${what}, ${step}: a dialog is open and the focus is outside it`);
    };
    /** A node of Connections (folded under its title in a narrow window: opened first). */
    const node = async (name: string | RegExp) => {
      const toggle = connections(page).getByRole('button', { name: 'Connections' });
      if (await toggle.isVisible() && (await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
      await connections(page).getByRole('link', { name }).first().click();
    };
    const certificates = async () => {
      await node(/./);
      await page.getByRole('heading', { level: 1, name: / Home$/ }).waitFor();
      await settled(page);
      await after('the server\'s Home');
      await page.getByRole('link', { name: /^Server Certificates/ }).click();
      await page.getByRole('heading', { level: 1, name: 'Server Certificates' }).waitFor();
      await settled(page);
      await after('Server Certificates');
    };
    /** Create Certificate Request… page by page, then Complete Certificate Request… with the CA's answer. */
    const requestAndComplete = async (friendlyName: string, root: string, more: string[]) => {
      await action(page, 'Create Certificate Request…');
      const wizard = dialog(page, 'Create Certificate Request');
      await wizard.waitFor();
      await after('the wizard opened');
      const next = async (step: string) => {
        await wizard.getByRole('button', { name: /^(Next >|Create)$/ }).click();
        await after(`the wizard, ${step}`);
      };
      await wizard.getByLabel('Friendly name for the request').fill(`${friendlyName} request`);
      await next('name');
      await wizard.getByLabel('Root domain').fill(root);
      await next('domain scope');
      for (const name of more) {
        await wizard.getByLabel('Add a domain').fill(name);
        await wizard.getByRole('button', { name: 'Add', exact: true }).click();
        await wizard.getByRole('list', { name: 'Domains in the certificate' }).getByText(name, { exact: true }).waitFor();
        await after(`the wizard, ${name} added`);
      }
      await next('domains');
      await next('common name');
      await wizard.getByLabel('Organization', { exact: true }).fill('Contoso Ltd');
      await wizard.getByLabel(/^Country\/region/).fill('US');
      await next('organization');
      await wizard.getByRole('heading', { name: 'Summary' }).waitFor();
      await next('summary');
      const csr = wizard.getByLabel('Certificate signing request (CSR)');
      await csr.waitFor();
      await after('the request created');
      const csrFile = writeText(join(work, `${root}.csr`), await csr.inputValue());
      await wizard.getByRole('button', { name: 'Finish' }).click();
      await wizard.waitFor({ state: 'detached' });
      await after('the wizard finished');
      const response = writeText(join(work, `${root}.cer`), readText(pki.sign(csrFile)) + pki.chainPem());
      await action(page, 'Complete Certificate Request…');
      const complete = dialog(page, 'Complete Certificate Request');
      await complete.getByLabel('File name containing the certification authority\'s response').setInputFiles(response);
      await complete.getByLabel('Friendly name').fill(friendlyName);
      await after('Complete Certificate Request filled in');
      await complete.getByRole('button', { name: 'OK' }).click();
      await complete.waitFor({ state: 'detached' });
      await certificateRow(page, friendlyName).waitFor();
      await settled(page);
      await after(`${friendlyName} completed`);
      assert.match(await certificateRow(page, friendlyName).locator('.status').innerText(), /Valid$/, `${what}: ${friendlyName}'s status in words`);
    };

    await logIn(page, 'admin');
    await after('log-in');

    // The IIS guide: request and complete, Add Site, Bindings… → Add… https with SNI.
    await certificates();
    await requestAndComplete('www.contoso.com-Contoso Test CA', 'contoso.com', ['www.contoso.com']);
    const www = ghJson<Array<{ friendlyName: string; thumbprint: string }>>(data, ['cert', 'list']).find((x) => x.friendlyName === 'www.contoso.com-Contoso Test CA')!.thumbprint;
    await node('Sites');
    await page.getByRole('heading', { level: 1, name: 'Sites' }).waitFor();
    await settled(page);
    await after('Sites');
    await action(page, 'Add Site…');
    const addSite = dialog(page, 'Add Site');
    await addSite.getByLabel('Site name').fill('Contoso');
    const siteRoot = tmpDir('gh-www-');
    writeText(join(siteRoot, 'index.html'), '<!doctype html><title>Contoso</title>\n');
    await addSite.getByLabel('Physical path').fill(siteRoot);
    await addSite.getByRole('button', { name: 'OK' }).click();
    await page.getByRole('heading', { level: 1, name: 'Contoso Home' }).waitFor();
    await settled(page);
    await after('Add Site');
    await action(page, 'Bindings…');
    const bindings = dialog(page, 'Site Bindings');
    await bindings.waitFor();
    await after('Site Bindings');
    await bindings.getByRole('button', { name: 'Add…' }).click();
    const add = dialog(page, 'Add Site Binding');
    await add.getByLabel('Type').selectOption('https');
    await add.getByLabel('Port').fill(String(port));
    await add.getByLabel('Host name').fill('www.contoso.com');
    await add.getByLabel('Require Server Name Indication').check();
    await add.getByLabel('SSL certificate').selectOption(www);
    await after('Add Site Binding filled in');
    await add.getByRole('button', { name: 'OK' }).click();
    await add.waitFor({ state: 'detached' });
    await bindings.getByRole('status').filter({ hasText: 'Added the binding' }).waitFor();
    await after('the binding added');
    assert.match(await bindings.getByRole('row').filter({ hasText: 'www.contoso.com' }).innerText(), /Valid/, `${what}: the binding's certificate status in words`);
    await bindings.getByRole('button', { name: 'Close' }).click();
    await bindings.waitFor({ state: 'detached' });
    await settled(page);
    await after('Site Bindings closed');
    const home = page.getByRole('table', { name: 'Bindings of Contoso' });
    assert.match(await home.getByRole('row').filter({ hasText: 'www.contoso.com' }).innerText(), /www\.contoso\.com-Contoso Test CA\s*✔?\s*Valid/, `${what}: the site home says the certificate's status`);

    // The Exchange guide (docs/mail.md): request and complete, Assign Services to Certificate… SMTP, IMAP and POP.
    await certificates();
    await requestAndComplete('mail.contoso.com-Contoso Test CA', 'mail.contoso.com', ['autodiscover.contoso.com']);
    await certificateRow(page, 'mail.contoso.com-Contoso Test CA').click();
    await after('the mail certificate selected');
    await action(page, 'Assign Services to Certificate…');
    const assign = dialog(page, 'Assign Services to Certificate');
    await assign.waitFor();
    for (const service of ['SMTP', 'IMAP', 'POP']) await assign.getByLabel(service, { exact: true }).check();
    await after('Assign Services filled in');
    await assign.getByRole('button', { name: 'Assign', exact: true }).click();
    await assign.getByText(/Assigned SMTP, IMAP and POP/).waitFor();
    await after('services assigned');
    await assign.getByRole('button', { name: 'Finish' }).click();
    await assign.waitFor({ state: 'detached' });
    await settled(page);
    await after('Assign Services finished');
    await node(/./);
    await page.getByRole('heading', { level: 1, name: / Home$/ }).waitFor();
    await page.getByRole('link', { name: /^Services/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Services' }).waitFor();
    await settled(page);
    await after('Services');
    for (const service of ['SMTP', 'IMAP', 'POP']) {
      const text = await page.getByRole('table', { name: 'Certificates assigned to services' }).getByRole('row').filter({ has: page.getByRole('rowheader', { name: service, exact: true }) }).innerText();
      assert.match(text, /mail\.contoso\.com-Contoso Test CA[\s\S]*Valid/, `${what}: ${service}'s certificate and its status in words`);
    }
    await screenshot(page, `68-guides-services-${width}x${height}${forced ? '-forced' : ''}`);
    assertClean(c);
  }
  assert.deepEqual(problems, []);
});
