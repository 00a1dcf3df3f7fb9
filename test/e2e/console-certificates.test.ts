// The Server Certificates page as a Windows administrator found it wanting, in a real browser:
// the list readable at 1024×768 and 1366×768 (no horizontal scrolling, a short hash with the full
// one on hover and a copy button, the selected certificate's details in view), View… with its
// General, Details and Certification Path tabs for a certificate of the internal CA, the
// Country/region field ("Germany" becomes DE, never GE, Georgia) and radio buttons on the line of
// their labels. Screenshots go to test-results/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { dataDir, gh, ghJson, issueCert, join, openssl, selfSignedCert, subjectFields, tmpDir, writeText } from '../support/cli.js';
import { addUser } from '../support/admin.js';
import { action, actionsPane, assertClean, certificateRow, consoleTests, dialog, logIn, openServerCertificates, screenshot } from '../support/browser.js';

const openConsole = consoleTests();

/** Whether the element is wholly inside the window (not below the fold, not cut at the side). */
async function inView(page: Page, el: Locator): Promise<boolean> {
  const box = await el.boundingBox();
  const size = page.viewportSize()!;
  return box !== null && box.x >= 0 && box.y >= 0 && box.x + box.width <= size.width + 0.5 && box.y + box.height <= size.height + 0.5;
}

/** A data directory with the internal CA and certificates with long names, as a real server has. */
function serverWithCertificates(): { data: string; thumbprints: Record<string, string> } {
  const data = dataDir();
  addUser(data, 'admin', 'organization-management');
  assert.equal(gh(data, ['ca', 'init', '--cn', 'Gatehouse Internal CA']).code, 0);
  const thumbprints: Record<string, string> = {
    'www.contoso.com-Gatehouse Internal CA-2027': issueCert(data, 'www.contoso.com', 'www.contoso.com-Gatehouse Internal CA-2027', ['contoso.com', 'owa.contoso.com']),
    'autodiscover.fabrikam-international.example-Exchange-2027': issueCert(data, 'autodiscover.fabrikam-international.example', 'autodiscover.fabrikam-international.example-Exchange-2027'),
    'intranet-self-signed': selfSignedCert(data, 'intranet.contoso.test', 'intranet-self-signed'),
  };
  return { data, thumbprints };
}

test('Server Certificates at 1024×768 and 1366×768: no horizontal scrolling, name, status and short hash visible, details of the selection in view, copy the thumbprint', { timeout: 180_000 }, async (t) => {
  const { data, thumbprints } = serverWithCertificates();
  const { c, page } = await openConsole(t, data);
  await c.context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await logIn(page, 'admin');
  await openServerCertificates(page);
  const name = 'autodiscover.fabrikam-international.example-Exchange-2027';
  const thumbprint = thumbprints[name]!;

  for (const [width, height] of [[1024, 768], [1366, 768]] as const) {
    await page.setViewportSize({ width, height });
    const row = certificateRow(page, name);
    await row.click();
    const wrap = page.locator('.master-detail .table-wrap');
    const { scrollWidth, clientWidth } = await wrap.evaluate((el) => ({ scrollWidth: el.scrollWidth, clientWidth: el.clientWidth }));
    assert.ok(scrollWidth <= clientWidth, `${width}×${height}: the list scrolls sideways (scrollWidth ${scrollWidth} > clientWidth ${clientWidth})`);
    const feature = page.locator('main.feature');
    const pane = await feature.evaluate((el) => ({ scrollWidth: el.scrollWidth, clientWidth: el.clientWidth }));
    assert.ok(pane.scrollWidth <= pane.clientWidth, `${width}×${height}: the feature page scrolls sideways`);

    // Name, status and the short hash are visible; the full hash is on hover (title).
    const hash = row.locator('td.hash .mono');
    assert.equal(await hash.innerText(), `${thumbprint.slice(0, 8)}…${thumbprint.slice(-4)}`);
    assert.equal(await hash.getAttribute('title'), thumbprint);
    const hashBox = (await hash.boundingBox())!;
    assert.ok(hashBox.height < 20, `${width}: the short hash is on one line (${hashBox.height}px high)`);
    for (const cell of [row.getByRole('rowheader'), row.locator('.status'), hash]) {
      assert.ok(await inView(page, cell), `${width}×${height}: ${await cell.innerText()} is in the window`);
    }
    // Status in words, with colour as well.
    assert.match(await row.locator('.status').innerText(), /Valid$/);

    // The selected certificate's details, in the window (not below the fold), with View… at hand.
    const details = page.getByRole('region', { name: 'Selected certificate' });
    await details.getByRole('heading', { name: `“${name}”` }).waitFor();
    assert.ok(await inView(page, details.getByRole('heading', { name: `“${name}”` })), `${width}×${height}: the details' heading is in the window`);
    assert.ok(await inView(page, details.getByRole('button', { name: 'View…' })), `${width}×${height}: View… is in the window`);
    assert.ok(await inView(page, details.getByText(thumbprint, { exact: true })), `${width}×${height}: the full thumbprint is in the window`);
    await screenshot(page, `30-server-certificates-${width}x${height}`);
  }

  // The copy button beside the hash puts the full thumbprint on the clipboard; the message is green.
  await certificateRow(page, name).getByRole('button', { name: `Copy the thumbprint of ${name}` }).click();
  const notice = page.getByRole('status').filter({ hasText: 'Copied the thumbprint' });
  await notice.waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), thumbprint);
  const colour = await notice.evaluate((el) => getComputedStyle(el).backgroundColor);
  const [r, g, b] = colour.match(/\d+/g)!.map(Number);
  assert.ok(g! > r! && g! > b!, `a success message is green (${colour})`);
  // The keyboard's way: the details pane's Copy thumbprint.
  await page.evaluate(() => navigator.clipboard.writeText(''));
  await page.getByRole('region', { name: 'Selected certificate' }).getByRole('button', { name: 'Copy thumbprint' }).press('Enter');
  await page.waitForFunction((tp) => navigator.clipboard.readText().then((x) => x === tp), thumbprint);
  assertClean(c);
});

test('View…: General, Details and Certification Path for a certificate of the internal CA (leaf → Gatehouse Internal CA, a trusted root); keyboard only', { timeout: 180_000 }, async (t) => {
  const { data, thumbprints } = serverWithCertificates();
  const name = 'www.contoso.com-Gatehouse Internal CA-2027';
  const thumbprint = thumbprints[name]!;
  // openssl's view of the same certificate: SHA-256 fingerprint, serial.
  const exported = join(tmpDir('gh-view-'), 'cert.pem');
  assert.equal(gh(data, ['cert', 'export', thumbprint, '--format', 'pem', '--no-key', '--out', exported]).code, 0);
  const sha256 = openssl(['x509', '-in', exported, '-noout', '-fingerprint', '-sha256']).trim().replace(/^.*=/, '').replaceAll(':', '');
  const serial = openssl(['x509', '-in', exported, '-noout', '-serial']).trim().replace(/^serial=/, '');
  const signedWith = /Signature Algorithm: ecdsa-with-SHA(\d+)/.exec(openssl(['x509', '-in', exported, '-noout', '-text']))?.[1];
  assert.ok(signedWith, 'the internal CA signs with ECDSA');

  const { c, page } = await openConsole(t, data);
  await page.setViewportSize({ width: 1024, height: 768 });
  await logIn(page, 'admin');
  await openServerCertificates(page);

  // Enter on the row opens View… (IIS: double-click); focus moves to the first tab.
  const row = certificateRow(page, name);
  await row.click();
  await row.press('Enter');
  const view = dialog(page, 'Certificate');
  await view.waitFor();
  const tabs = view.getByRole('tab');
  assert.deepEqual(await tabs.allInnerTexts(), ['General', 'Details', 'Certification Path']);
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'General', 'focus is on the first tab');

  // General.
  const general = view.getByRole('tabpanel', { name: 'General' });
  const text = await general.innerText();
  assert.match(text, /Issued to\s+www\.contoso\.com/);
  assert.match(text, /Issued by\s+Gatehouse Internal CA/);
  assert.match(text, /Valid from\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
  assert.match(text, /Valid to\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
  assert.match(text, new RegExp(`Friendly name\\s+${name}`));
  assert.match(text, /Key\s+ecdsa-p256 \(ECC \(256 bits, P-256\)\)/);
  assert.match(text, /You have a private key that corresponds to this certificate/);
  assert.match(text, /intended for: Server Authentication/);
  await screenshot(page, '31-view-general');

  // Details: arrows move between the tabs.
  await page.keyboard.press('ArrowRight');
  const details = view.getByRole('tabpanel', { name: 'Details' });
  await details.waitFor();
  assert.equal(await general.isHidden(), true);
  const field = async (label: string) => (await details.getByRole('row').filter({ has: page.getByRole('rowheader', { name: label, exact: true }) }).getByRole('cell').innerText()).trim();
  assert.equal(await field('Thumbprint (SHA-1)'), thumbprint);
  assert.equal(await field('Thumbprint (SHA-256)'), sha256);
  assert.equal(await field('Serial number'), serial);
  assert.equal(await field('Signature algorithm'), `sha${signedWith}ECDSA`, 'as Windows names ecdsa-with-SHAnnn');
  assert.equal(await field('Subject'), 'CN=www.contoso.com');
  assert.equal(await field('Issuer'), 'CN=Gatehouse Internal CA');
  assert.deepEqual((await field('Subject Alternative Name')).split(', ').sort(), ['contoso.com', 'owa.contoso.com', 'www.contoso.com']);
  assert.match(await field('Enhanced Key Usage'), /Server Authentication \(1\.3\.6\.1\.5\.5\.7\.3\.1\)/);
  assert.match(await field('Key Usage'), /Digital Signature/);
  assert.equal(await field('Basic Constraints'), 'End entity');
  await screenshot(page, '32-view-details');

  // Certification Path: Gatehouse Internal CA (trusted root) → the certificate.
  await page.keyboard.press('ArrowRight');
  const path = view.getByRole('tabpanel', { name: 'Certification Path' });
  await path.waitFor();
  const tree = path.getByRole('list', { name: 'Certification path' });
  const links = tree.locator('li.path-link');
  assert.equal(await links.count(), 2);
  const root = links.nth(0);
  assert.equal(await root.getAttribute('data-role'), 'root');
  assert.equal((await root.locator('> .path-name').innerText()).trim(), 'Gatehouse Internal CA');
  assert.match(await root.locator('> .path-status').innerText(), /Trusted root: the Gatehouse internal CA/);
  const leaf = root.locator('li.path-link');
  assert.equal(await leaf.getAttribute('data-role'), 'leaf', 'the certificate is nested under its root');
  assert.equal((await leaf.locator('> .path-name').innerText()).trim(), 'www.contoso.com');
  assert.match(await leaf.locator('> .path-status').innerText(), /This certificate is OK/);
  assert.match(await path.innerText(), /Certificate status\s+This certificate is OK: its chain ends at a trusted root\./);
  assert.ok(await inView(page, view), 'the dialog fits the window at 1024×768');
  await screenshot(page, '33-view-certification-path');

  // Home goes back to General; Escape closes and focus returns to the row.
  await page.keyboard.press('Home');
  assert.equal(await general.isVisible(), true);
  await page.keyboard.press('Escape');
  await view.waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement?.closest('tr')?.getAttribute('data-key')), thumbprint);

  // A self-signed certificate: its own root, which nobody trusts — said in words.
  await certificateRow(page, 'intranet-self-signed').click();
  await action(page, 'View…');
  await view.waitFor();
  await view.getByRole('tab', { name: 'Certification Path' }).click();
  const own = view.getByRole('tabpanel', { name: 'Certification Path' });
  assert.match(await own.innerText(), /Root not trusted/);
  assert.match(await own.innerText(), /Clients may not trust this certificate/);
  await view.getByRole('button', { name: 'OK' }).click();
  await view.waitFor({ state: 'detached' });
  assert.ok(await actionsPane(page).getByRole('button', { name: 'View…' }).isEnabled());
  assertClean(c);
});

test('the request wizard: Country/region "Germany" becomes DE (never GE), "Deutschland" is refused in words; radio buttons sit beside their labels (Common Name, Export\'s format)', { timeout: 180_000 }, async (t) => {
  const data = dataDir();
  addUser(data, 'admin', 'organization-management');
  selfSignedCert(data, 'app.contoso.test', 'app-cert', ['--exportable']);
  const { c, page } = await openConsole(t, data);
  await logIn(page, 'admin');
  await openServerCertificates(page);

  await action(page, 'Create Certificate Request…');
  const wizard = dialog(page, 'Create Certificate Request');
  const next = wizard.getByRole('button', { name: /^(Next >|Create)$/ });
  await wizard.getByLabel('Friendly name for the request').fill('www.contoso.de');
  await next.click();
  await wizard.getByLabel('Root domain').fill('contoso.de');
  await next.click();
  await wizard.getByLabel('Add a domain').fill('www.contoso.de');
  await wizard.getByRole('button', { name: 'Add', exact: true }).click();
  await next.click();

  // Common Name: each radio button on the line of its label, before it.
  const radios = wizard.getByRole('radio');
  assert.equal(await radios.count(), 2);
  for (let i = 0; i < 2; i++) await assertBeside(radios.nth(i));
  await screenshot(page, '34-wizard-common-name-radios');
  await wizard.getByRole('radio', { name: 'www.contoso.de' }).check();
  await next.click();

  const country = wizard.getByLabel('Country/region');
  // A name the list does not have: refused, said in words, the field marked; nothing is created.
  await country.fill('Deutschland');
  await next.click();
  const alert = wizard.getByRole('alert');
  await alert.filter({ hasText: '"Deutschland" is not a country' }).waitFor();
  assert.equal(await country.getAttribute('aria-invalid'), 'true');
  await screenshot(page, '35-wizard-country-refused');
  // The name as the list has it: DE.
  await country.fill('Germany');
  await next.click();
  await wizard.getByRole('heading', { name: 'Summary' }).waitFor();
  assert.match(await wizard.locator('.summary-list').innerText(), /Country\/region\s+DE \(Germany\)/);
  await wizard.getByRole('button', { name: 'Create' }).click();
  const csrBox = wizard.getByLabel('Certificate signing request (CSR)');
  await csrBox.waitFor();
  const csr = writeText(join(tmpDir('gh-country-'), 'req.csr'), await csrBox.inputValue());
  const subject = subjectFields(csr, 'req');
  assert.equal(subject.C, 'DE', 'Germany is DE in the CSR');
  assert.equal(subject.CN, 'www.contoso.de');
  await wizard.getByRole('button', { name: 'Finish' }).click();
  await wizard.waitFor({ state: 'detached' });
  assert.equal(ghJson<unknown[]>(data, ['request', 'list']).length, 1, 'one request: the refused attempt created nothing');

  // Export…: PFX and PEM beside their labels.
  await certificateRow(page, 'app-cert').click();
  await action(page, 'Export…');
  const exp = dialog(page, 'Export Certificate');
  await exp.waitFor();
  for (const label of ['PFX (PKCS#12): certificate, chain and private key', 'PEM: certificate and chain, and the key if included']) {
    await assertBeside(exp.getByRole('radio', { name: label }));
  }
  await screenshot(page, '36-export-format-radios');
  await page.keyboard.press('Escape');
  assertClean(c);

  /** The radio button and its label share a line: the label starts right of the button, and the button's middle is within the label's height. */
  async function assertBeside(radio: Locator): Promise<void> {
    const id = await radio.getAttribute('id');
    const label = page.locator(`label[for="${id}"]`);
    const r = (await radio.boundingBox())!;
    const l = (await label.boundingBox())!;
    const middle = r.y + r.height / 2;
    assert.ok(l.x >= r.x + r.width, `the label "${await label.innerText()}" starts right of its radio button`);
    assert.ok(middle >= l.y && middle <= l.y + l.height, `the radio button of "${await label.innerText()}" is on its label's line (button middle ${middle}, label ${l.y}–${l.y + l.height})`);
  }
});
