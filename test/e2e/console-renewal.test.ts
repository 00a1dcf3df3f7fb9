// Issue #11 in the console, in Debian's Chromium: the Server Certificates page's Renewal column,
// Renew… → Renew now on a certificate of the internal CA bound to a site (serve running, one
// worker: the renewal moves the binding, probes it with a real handshake and commits), Renewal
// History…, Renew… on a manual certificate (a renewal request whose CSR openssl verifies); the ACME
// Accounts page adding an account with pebble, and the wizard's Submit to offering it with the
// challenges the API accepts; the Notifications page adding a webhook whose Send Test reaches a
// receiver here. axe-core finds nothing on each new page and dialog.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { assertCsrVerifies, dataDir, freePorts, gh, ghJson, issueCert, join, openssl, selfSignedCert, tmpDir, writeText } from '../support/cli.js';
import { addUser } from '../support/admin.js';
import { axe } from '../support/axe.js';
import { action, assertClean, certificateRow, consoleTests, dialog, dialogLayoutProblems, logIn, openServerCertificates, screenshot, settled } from '../support/browser.js';
import { Pebble } from '../support/pebble.js';
import { payloads, WebhookReceiver } from '../support/webhook-receiver.js';

const openConsole = consoleTests();
const OLD = 'www.contoso.com old';
const MANUAL = 'intranet-self-signed';

async function go(page: Page, hash: string, heading: RegExp): Promise<void> {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  await settled(page);
}

function renewalCell(page: Page, friendlyName: string): Locator {
  return certificateRow(page, friendlyName).locator('td.renewal-cell');
}

test('Renewal column, Renew now on a certificate of the internal CA bound to a site (moved, probed, renewed), Renewal History, and Renew… on a manual certificate gives a CSR openssl verifies', { timeout: 240_000 }, async (t) => {
  const data = dataDir();
  addUser(data, 'admin', 'organization-management');
  assert.equal(gh(data, ['ca', 'init', '--cn', 'Gatehouse Internal CA']).code, 0);
  const old = issueCert(data, 'www.contoso.com', OLD);
  selfSignedCert(data, 'intranet.contoso.test', MANUAL);
  const [port] = (await freePorts(1)) as [number];
  ghJson(data, ['site', 'add', 'contoso', '--root', tmpDir('gh-www-')]);
  ghJson(data, ['binding', 'add', 'contoso', '--protocol', 'https', '--ip', '127.0.0.1', '--port', String(port), '--cert', old]);
  const { c, page, server } = await openConsole(t, data);
  await server.serve.waitFor(new RegExp(`listening on https 127\\.0\\.0\\.1:${port}(\\s|$)`, 'm'), 'the site\'s https listener');
  await logIn(page, 'admin');
  await openServerCertificates(page);

  // The Renewal column says where each certificate comes from, in words.
  assert.match(await renewalCell(page, OLD).innerText(), /^Internal CA; renews on \d{4}-\d\d-\d\d/);
  assert.match(await renewalCell(page, MANUAL).innerText(), /^Manual; renew by hand/);

  // Renew… → Renew now: the report in the dialog — outcome, the move, the probe.
  await certificateRow(page, OLD).click();
  await action(page, 'Renew…');
  const renew = dialog(page, 'Renew Certificate');
  await renew.waitFor();
  await axe(page, 'Renew Certificate (internal CA)');
  await renew.getByRole('button', { name: 'Renew now' }).click();
  const outcome = renew.getByRole('heading', { name: /^Renewed: / });
  await outcome.waitFor({ timeout: 90_000 });
  const heading = await outcome.innerText();
  const fresh = /\(([0-9A-F]{40,})\)/i.exec(heading)?.[1];
  assert.ok(fresh && fresh.toUpperCase() !== old.toUpperCase(), `the report names the new certificate: ${heading}`);
  assert.match(heading, /every endpoint served it/);
  assert.match(await renew.innerText(), new RegExp(`127\\.0\\.0\\.1:${port}`));
  assert.match(await renew.getByRole('table').innerText(), /New certificate served/);
  await axe(page, 'Renew Certificate, the report');
  await screenshot(page, '80-renew-now-report');
  await renew.getByRole('button', { name: 'Close' }).click();
  await renew.waitFor({ state: 'detached' });
  await settled(page);

  // The new certificate is in the list (and selected); the old one says it was replaced.
  const freshRow = page.locator(`tr[data-key="${fresh}"]`);
  await freshRow.waitFor();
  assert.equal(await freshRow.getAttribute('aria-selected'), 'true');
  assert.match(await renewalCell(page, OLD).innerText(), /replaced by “/);
  const bindings = ghJson<Array<{ certificate: string }>>(data, ['binding', 'list']);
  assert.deepEqual(bindings.map((b) => b.certificate.toUpperCase()), [fresh.toUpperCase()]);

  // Renewal History… on the old certificate lists the renewal, its move and its probe.
  await certificateRow(page, OLD).click();
  await action(page, 'Renewal History…');
  const history = dialog(page, 'Renewal History');
  await history.waitFor();
  const rows = history.locator('tbody tr');
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().innerText(), /Renewed/);
  assert.match(await rows.first().innerText(), /Internal CA: renewed into “/);
  await rows.first().locator('summary').click();
  assert.match(await rows.first().innerText(), /1 move, 1 of 1 probes passed/);
  assert.match(await rows.first().innerText(), /✔ passed: .*127\.0\.0\.1/);
  await axe(page, 'Renewal History');
  await history.getByRole('button', { name: 'Close' }).click();
  await history.waitFor({ state: 'detached' });

  // Renew… on a manual certificate: a renewal request whose CSR openssl verifies, for the same name.
  await certificateRow(page, MANUAL).click();
  await action(page, 'Renew…');
  const manual = dialog(page, 'Renew Certificate');
  await manual.waitFor();
  assert.equal(await manual.getByRole('button', { name: 'Renew now' }).count(), 0, 'a manual certificate is not renewed now');
  await manual.getByRole('button', { name: 'Create Renewal Request' }).click();
  const csrBox = manual.getByLabel('Certificate signing request (CSR)');
  await csrBox.waitFor();
  const csr = await csrBox.inputValue();
  assert.match(csr, /^-----BEGIN CERTIFICATE REQUEST-----/);
  assert.match(await manual.innerText(), /Complete Certificate Request…/);
  const file = writeText(join(tmpDir('gh-renew-csr-'), 'renew.csr'), csr);
  assertCsrVerifies(file);
  assert.match(openssl(['req', '-in', file, '-noout', '-subject']), /CN\s*=\s*intranet\.contoso\.test/);
  const pending = ghJson<Array<{ renews: string | null }>>(data, ['request', 'list']);
  assert.equal(pending.length, 1);
  await axe(page, 'Renew Certificate (manual), the CSR');
  await manual.getByRole('button', { name: 'Close' }).click();
  await manual.waitFor({ state: 'detached' });
  assertClean(c);
});

test('ACME Accounts: Add… with pebble (custom directory, its CA pasted, the terms linked) lists the account; the wizard\'s Submit to offers it with the challenges the API accepts', { timeout: 240_000 }, async (t) => {
  const [httpPort, tlsPort] = (await freePorts(2)) as [number, number];
  const pebble = await Pebble.start({ httpPort, tlsPort });
  t.after(() => pebble.stop());
  const data = dataDir();
  addUser(data, 'admin', 'organization-management');
  const { c, page, server } = await openConsole(t, data);
  await logIn(page, 'admin');
  await go(page, '#/acme', /^ACME Accounts$/);
  await axe(page, 'ACME Accounts (empty)');
  await action(page, 'Add…');
  const add = dialog(page, 'Add ACME Account');
  await add.waitFor();
  await add.getByLabel('Account name').fill('pebble');
  await add.getByLabel('Certification authority').selectOption('custom');
  await add.getByLabel('Directory URL').fill(pebble.directory);
  await add.getByLabel('Or paste the CA certificate (PEM)').fill(readFileSync(pebble.caFile, 'utf8'));
  await add.getByLabel('E-mail address').fill('admin@example.com');
  // The directory's terms of service, linked once the directory (trusted through the pasted CA) answers.
  await add.getByRole('link').first().waitFor({ timeout: 30_000 });
  assert.match(await add.innerText(), /The CA's terms of service: /);
  await add.getByLabel('I agree to the CA\'s terms of service').check();
  await axe(page, 'Add ACME Account, filled in');
  await add.getByRole('button', { name: 'Add', exact: true }).click();
  await add.waitFor({ state: 'detached', timeout: 60_000 });
  await settled(page);
  const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'pebble', exact: true }) });
  await row.waitFor();
  assert.match(await row.innerText(), new RegExp(pebble.directory.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
  assert.match(await page.getByRole('status').innerText(), /Added the ACME account “pebble”/);
  const listed = ghJson<Array<{ name: string; directory: string }>>(data, ['acme', 'account', 'list']);
  assert.deepEqual(listed.map((a) => [a.name, a.directory]), [['pebble', pebble.directory]]);
  await axe(page, 'ACME Accounts with an account');
  // Remove asks first: axe-core and the layout on the question at 1366×768 and at 320×256 (1280×1024
  // at 400 %); No (Escape) keeps the account.
  await row.click();
  const viewport = page.viewportSize()!;
  for (const size of [{ width: 1366, height: 768 }, { width: 320, height: 256 }]) {
    await page.setViewportSize(size);
    await action(page, 'Remove');
    const ask = dialog(page, 'Remove ACME Account');
    await ask.waitFor();
    await axe(page, `Remove ACME Account at ${size.width}×${size.height}`);
    assert.deepEqual(await dialogLayoutProblems(page), [], `Remove ACME Account at ${size.width}×${size.height}`);
    await page.keyboard.press('Escape');
    await ask.waitFor({ state: 'detached' });
  }
  await page.setViewportSize(viewport);
  assert.deepEqual(ghJson<Array<{ name: string }>>(data, ['acme', 'account', 'list']).map((a) => a.name), ['pebble'], 'No keeps the account');

  // The wizard's Submit to: the ACME account, with the challenges the API says it accepts now.
  const session = await server.login('admin');
  const choices = (await server.call('GET', '/api/v1/acme/challenges?account=pebble', { session })).json as { default: string | null; challenges: Array<{ type: string; available: boolean; detail: string }> };
  // serve runs: a default is chosen, and HTTP-01 and TLS-ALPN-01 are answered by serve itself;
  // dns-01 needs a DNS provider, which this account has not.
  assert.ok(choices.default === 'http-01' || choices.default === 'tls-alpn-01', JSON.stringify(choices));
  assert.deepEqual(choices.challenges.map((x) => [x.type, x.available]), [['http-01', true], ['tls-alpn-01', true], ['dns-01', false]]);
  assert.match(choices.challenges[2]!.detail, /DNS provider/);
  // A directory that cannot be read (pebble without its CA: its HTTPS is not trusted) is an answer that says why, not a failed call.
  const untrusted = await server.call('POST', '/api/v1/acme/directory', { session, body: { directory: pebble.directory } });
  assert.equal(untrusted.status, 200, untrusted.text);
  assert.match(untrusted.json.problem, /not trusted/);
  assert.equal(untrusted.json.termsOfService, null);
  await openServerCertificates(page);
  await action(page, 'Create Certificate Request…');
  const wizard = dialog(page, 'Create Certificate Request');
  await wizard.waitFor();
  const next = () => wizard.getByRole('button', { name: /^(Next >|Create)$/ }).click();
  await wizard.getByLabel('Friendly name for the request').fill('acme one');
  await next();
  await wizard.getByLabel('Root domain').fill('acme.contoso.test');
  await next();
  await next();
  await next();
  await next();
  await wizard.getByRole('heading', { name: 'Summary' }).waitFor();
  await wizard.getByRole('button', { name: 'Create' }).click();
  const submitTo = wizard.getByLabel('Submit to', { exact: true });
  await submitTo.waitFor();
  const targets = await submitTo.locator('option').allInnerTexts();
  assert.deepEqual(targets, [`ACME: pebble (${new URL(pebble.directory).host})`], 'no internal CA here: only the account');
  const challenge = wizard.getByLabel('Challenge', { exact: true });
  assert.ok(await challenge.isVisible(), 'an ACME account shows the challenge choice');
  const offered = (await challenge.locator('option').allInnerTexts()).slice(1);
  assert.deepEqual(offered, choices.challenges.filter((x) => x.available).map((x) => x.type));
  assert.ok(!offered.includes('dns-01'), 'dns-01 only when the API accepts it');
  assert.equal(await wizard.getByRole('button', { name: 'Submit to pebble' }).count(), 1);
  await axe(page, 'the wizard\'s Completion with Submit to an ACME account');
  await screenshot(page, '81-wizard-submit-to-acme');
  await wizard.getByRole('button', { name: 'Finish' }).click();
  await wizard.waitFor({ state: 'detached' });

  // Remove.
  await go(page, '#/acme', /^ACME Accounts$/);
  await row.click();
  await action(page, 'Remove');
  const confirm = dialog(page, 'Remove ACME Account');
  await confirm.getByRole('button', { name: 'Remove' }).click();
  await page.getByRole('status').filter({ hasText: 'Removed the ACME account “pebble”' }).waitFor();
  assert.deepEqual(ghJson(data, ['acme', 'account', 'list']), []);
  assertClean(c);
});

test('Notifications: Add… a signed webhook, Send Test reaches the receiver, the list shows when it was sent and never the secret', { timeout: 180_000 }, async (t) => {
  const receiver = await WebhookReceiver.start();
  t.after(() => receiver.stop());
  const hook = receiver.url;
  const secret = 'console-webhook-secret-91c2';
  const data = dataDir();
  addUser(data, 'admin', 'organization-management');
  const { c, page } = await openConsole(t, data);
  await logIn(page, 'admin');
  await go(page, '#/notifications', /^Notifications$/);
  await axe(page, 'Notifications (empty)');
  await action(page, 'Add…');
  const add = dialog(page, 'Add Notification Target');
  await add.waitFor();
  await add.getByLabel('Name', { exact: true }).fill('ops');
  await add.getByLabel('URL', { exact: true }).fill(hook);
  await add.getByLabel('Signing secret (optional)').fill(secret);
  await axe(page, 'Add Notification Target (webhook)');
  await add.getByRole('button', { name: 'Add', exact: true }).click();
  await add.waitFor({ state: 'detached' });
  await settled(page);
  const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'ops', exact: true }) });
  await row.waitFor();
  assert.match(await row.innerText(), /Webhook \(signed\)/);
  assert.match(await row.innerText(), /never/);
  await row.click();
  await action(page, 'Send Test');
  await page.getByRole('status').filter({ hasText: 'Sent a test notification to “ops”' }).waitFor({ timeout: 30_000 });
  assert.deepEqual(payloads(receiver).map((p) => p.kind), ['test']);
  assert.match(String(receiver.received[0]!.headers['x-gatehouse-signature']), /^sha256=[0-9a-f]{64}$/);
  await settled(page);
  const after = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'ops', exact: true }) });
  assert.match(await after.innerText(), /\d{4}-\d\d-\d\d \d\d:\d\d/, 'Last sent shows when');
  assert.ok(!(await page.content()).includes(secret), 'the secret is nowhere on the page');
  await axe(page, 'Notifications with a target');
  await screenshot(page, '82-notifications');
  assertClean(c);
});
