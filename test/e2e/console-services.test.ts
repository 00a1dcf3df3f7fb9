// The console's Services page and Exchange's Assign Services to Certificate in a real browser
// (Debian's Chromium through playwright-core): two certificates with keys, the first already the
// default SMTP certificate; assigning the second to SMTP and IIS asks "Overwrite the existing
// default SMTP certificate?" naming the first — No changes nothing, Yes assigns (audited as the
// console's), and the API's warnings are shown in the dialog; a mail listener added in the dialog,
// one removed; a view-only user sees the page and no action. Screenshots go to test-results/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { dataDir, freePorts, gh, ghJson, selfSignedCert } from '../support/cli.js';
import { addUser } from '../support/admin.js';
import { action, actionsPane, assertClean, connections, consoleTests, dialog, logIn, screenshot, unlabelledControls } from '../support/browser.js';

interface ServiceView {
  service: string;
  certificate: { thumbprint: string; friendlyName: string; notAfter: string; status: string } | null;
  listeners: Array<{ service: string; ip: string; port: number; mode: string; requireTls: boolean; backendHost: string; backendPort: number; hostName: string }>;
}
interface AuditEntry { id: number; actor: string; origin: string; action: string; target: string; before: any; after: any }

const OVERWRITE = 'Overwrite the existing default SMTP certificate?';

const openConsole = consoleTests();

/** `service list --json` as it is printed (compared whole: a refused change leaves it as it was). */
function serviceList(data: string): string {
  const r = gh(data, ['service', 'list', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

function assignments(data: string): Record<string, string | null> {
  return Object.fromEntries((JSON.parse(serviceList(data)) as ServiceView[]).map((v) => [v.service, v.certificate?.thumbprint ?? null]));
}

/** The server node's Home page, then a feature's tile. */
async function openFeature(page: Page, name: string): Promise<void> {
  await connections(page).getByRole('link', { name: /^(?!Sites)/ }).first().click();
  await page.getByRole('heading', { level: 1, name: / Home$/ }).waitFor();
  await page.getByRole('link', { name: new RegExp(`^${name}`) }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

/** A row of a table whose row header (first cell) is `name`. */
function row(page: Page, table: string, name: string) {
  return page.getByRole('table', { name: table }).getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });
}

test('Assign Services to Certificate in the console: the overwrite question names the current SMTP certificate — No changes nothing, Yes assigns (audited); warnings; mail listeners added and removed', { timeout: 240_000 }, async (t) => {
  const data = dataDir();
  addUser(data, 'admin', 'organization-management');
  const first = selfSignedCert(data, 'mail.contoso.com', 'Exchange self-signed');
  const second = selfSignedCert(data, 'mail.contoso.com', 'mail.contoso.com-Contoso');
  const firstCert = ghJson<{ notAfter: string }>(data, ['cert', 'show', first]);
  ghJson(data, ['service', 'assign', first, '--services', 'smtp']);
  // An SMTP listener whose host name the new certificate does not cover: the assignment warns about it.
  const [smtpPort, imapPort] = await freePorts(2);
  assert.equal(gh(data, ['service', 'configure', 'smtp', '--listen', `127.0.0.1:${smtpPort}`, '--backend', '127.0.0.1:10025', '--host', 'smtp.fabrikam.test']).code, 0);
  const { c, page } = await openConsole(t, data);
  await logIn(page, 'admin');

  // The Services page from the server's Home: the four services, SMTP with the first certificate.
  await openFeature(page, 'Services');
  const services = 'Certificates assigned to services';
  assert.match(await row(page, services, 'SMTP').innerText(), new RegExp(`Exchange self-signed\\s+${first}\\s+${firstCert.notAfter.slice(0, 10)}\\s+(✔ )?Valid`));
  assert.match(await row(page, services, 'IIS (HTTPS default)').innerText(), /None assigned/);
  for (const s of ['IMAP', 'POP']) await row(page, services, s).waitFor();
  assert.match(await row(page, 'Mail listeners', 'SMTP').innerText(), new RegExp(`127\\.0\\.0\\.1:${smtpPort}\\s+STARTTLS\\s+No\\s+127\\.0\\.0\\.1:10025\\s+smtp\\.fabrikam\\.test`));
  assert.equal(await connections(page).getByRole('link').first().getAttribute('aria-current'), 'page', 'the server node is selected');
  await screenshot(page, 'services-01-page');

  // Server Certificates: the second certificate → Assign Services to Certificate…
  await openFeature(page, 'Server Certificates');
  await page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'mail.contoso.com-Contoso', exact: true }) }).click();
  await action(page, 'Assign Services to Certificate…');
  const assign = dialog(page, 'Assign Services to Certificate');
  await assign.waitFor();
  assert.equal(await assign.evaluate((d) => d.contains(document.activeElement)), true, 'focus moved into the dialog');
  assert.deepEqual(await unlabelledControls(assign), []);
  assert.match(await assign.innerText(), /“mail\.contoso\.com-Contoso”/);
  assert.ok((await assign.innerText()).includes(second), 'the dialog names the certificate\'s thumbprint');
  for (const label of ['SMTP', 'IIS', 'IMAP', 'POP']) assert.equal(await assign.getByLabel(label, { exact: true }).isChecked(), false, label);
  assert.match(await assign.getByLabel('SMTP', { exact: true }).getAttribute('aria-describedby').then((id) => page.locator(`#${id}`).innerText()), /Now: “Exchange self-signed”/);
  await assign.getByLabel('SMTP', { exact: true }).check();
  await assign.getByLabel('IIS', { exact: true }).check();
  await screenshot(page, 'services-02-assign-dialog');
  const before = serviceList(data);
  await assign.getByRole('button', { name: 'Assign' }).click();

  // Exchange's question, naming the current default SMTP certificate: friendly name, thumbprint, expiry.
  const question = dialog(page, OVERWRITE);
  await question.waitFor();
  const asked = await question.innerText();
  assert.ok(asked.includes('Exchange self-signed'), asked);
  assert.ok(asked.includes(first), asked);
  assert.ok(asked.includes(firstCert.notAfter.slice(0, 10)), asked);
  assert.doesNotMatch(asked, /--overwrite|GH_[A-Z_]+/, 'no CLI flag or error code in the question');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Yes');
  await screenshot(page, 'services-03-overwrite-question');

  // No: nothing changes, the dialog stays for another choice.
  await question.getByRole('button', { name: 'No' }).click();
  await question.waitFor({ state: 'detached' });
  await assign.getByRole('status').filter({ hasText: 'Nothing was changed' }).waitFor();
  assert.equal(serviceList(data), before, 'No leaves the assignments as they were');
  assert.equal(ghJson<AuditEntry[]>(data, ['audit']).filter((e) => e.action === 'service.assign').length, 1, 'and writes no audit record');

  // Assign again, Yes: SMTP and IIS are the second certificate's; the warning about the listener's name is shown.
  await assign.getByRole('button', { name: 'Assign' }).click();
  await question.waitFor();
  await question.getByRole('button', { name: 'Yes' }).click();
  await question.waitFor({ state: 'detached' });
  const done = assign.getByRole('alert');
  await done.waitFor();
  const doneText = await done.innerText();
  assert.match(doneText, /Assigned SMTP and IIS to “mail\.contoso\.com-Contoso”\. It replaces “Exchange self-signed” for SMTP\./);
  assert.match(doneText, /does not cover smtp\.fabrikam\.test/, 'the API\'s warning');
  await screenshot(page, 'services-04-assigned-with-warning');
  assert.deepEqual(assignments(data), { smtp: second, imap: null, pop: null, https: second });
  const audited = ghJson<AuditEntry[]>(data, ['audit']).filter((e) => e.action === 'service.assign').at(-1)!;
  assert.equal(audited.origin, 'console');
  assert.equal(audited.actor, 'admin');
  assert.equal(audited.target, 'smtp,https');
  assert.deepEqual(audited.before, { smtp: first, https: null });
  await assign.getByRole('button', { name: 'Finish' }).click();
  await assign.waitFor({ state: 'detached' });
  // Focus returns to the action (the page was redrawn meanwhile: the same action on the new page).
  await page.waitForFunction(() => document.activeElement?.textContent === 'Assign Services to Certificate…', undefined, { timeout: 5_000 });

  // The Services page shows it; Add Mail Listener… for IMAP.
  await openFeature(page, 'Services');
  assert.match(await row(page, services, 'SMTP').innerText(), new RegExp(`mail\\.contoso\\.com-Contoso\\s+${second}`));
  assert.match(await row(page, services, 'IIS (HTTPS default)').innerText(), new RegExp(`mail\\.contoso\\.com-Contoso\\s+${second}`));
  await action(page, 'Add Mail Listener…');
  const add = dialog(page, 'Add Mail Listener');
  await add.waitFor();
  assert.deepEqual(await unlabelledControls(add), []);
  for (const label of ['Service', 'Listen address', 'Port', 'Backend (host:port)', 'TLS mode', 'Require TLS', 'Host name']) {
    assert.equal(await add.getByLabel(label, { exact: true }).count(), 1, label);
  }
  assert.equal(await add.getByLabel('Port', { exact: true }).inputValue(), '25', 'SMTP proposes port 25');
  await add.getByLabel('Service', { exact: true }).selectOption('imap');
  assert.equal(await add.getByLabel('Port', { exact: true }).inputValue(), '143', 'IMAP proposes port 143');
  await add.getByLabel('TLS mode', { exact: true }).selectOption('tls');
  assert.equal(await add.getByLabel('Port', { exact: true }).inputValue(), '993', 'implicit TLS proposes 993');
  assert.equal(await add.getByLabel('Require TLS', { exact: true }).isDisabled(), true, 'implicit TLS has no plaintext to refuse');
  await add.getByLabel('TLS mode', { exact: true }).selectOption('starttls');
  await add.getByLabel('Listen address', { exact: true }).selectOption({ label: 'All Unassigned' });
  await add.getByLabel('Port', { exact: true }).fill(String(imapPort));
  await add.getByLabel('Require TLS', { exact: true }).check();
  await add.getByLabel('Host name', { exact: true }).fill('mail.contoso.com');
  // A backend that is not HOST:PORT is caught before anything is sent.
  await add.getByLabel('Backend (host:port)', { exact: true }).fill('127.0.0.1');
  await add.getByRole('button', { name: 'OK' }).click();
  await add.getByRole('alert').filter({ hasText: 'HOST:PORT' }).waitFor();
  await add.getByLabel('Backend (host:port)', { exact: true }).fill('127.0.0.1:10143');
  await screenshot(page, 'services-05-add-mail-listener');
  await add.getByRole('button', { name: 'OK' }).click();
  await add.waitFor({ state: 'detached' });
  // IMAP has no certificate yet: the API's warning is shown with the result.
  const added = page.getByRole('alert').filter({ hasText: `Added the IMAP listener on *:${imapPort}` });
  await added.waitFor();
  assert.match(await added.innerText(), /No certificate is assigned to IMAP/);
  const imapRow = row(page, 'Mail listeners', 'IMAP');
  assert.match(await imapRow.innerText(), new RegExp(`\\*:${imapPort}\\s+STARTTLS\\s+Yes\\s+127\\.0\\.0\\.1:10143\\s+mail\\.contoso\\.com`));
  assert.equal(await imapRow.getAttribute('aria-selected'), 'true', 'the new listener is selected');
  await screenshot(page, 'services-06-listener-added');
  const imap = (JSON.parse(serviceList(data)) as ServiceView[]).find((v) => v.service === 'imap')!.listeners;
  assert.deepEqual(imap.map((l) => ({ ip: l.ip, port: l.port, mode: l.mode, requireTls: l.requireTls, backend: `${l.backendHost}:${l.backendPort}`, hostName: l.hostName })),
    [{ ip: '*', port: imapPort, mode: 'starttls', requireTls: true, backend: '127.0.0.1:10143', hostName: 'mail.contoso.com' }]);

  // Remove Listener (the SMTP one made with the CLI) asks first.
  await row(page, 'Mail listeners', 'SMTP').click();
  await action(page, 'Remove Listener');
  await dialog(page, 'Remove Mail Listener').getByRole('button', { name: 'Remove' }).click();
  await page.getByRole('status').filter({ hasText: `Removed the SMTP listener on 127.0.0.1:${smtpPort}.` }).waitFor();
  await row(page, 'Mail listeners', 'SMTP').waitFor({ state: 'detached' });
  assert.deepEqual((JSON.parse(serviceList(data)) as ServiceView[]).flatMap((v) => v.listeners).map((l) => `${l.service} ${l.port}`), [`imap ${imapPort}`]);

  // Unassign the selected service (IIS), asked first.
  await row(page, services, 'IIS (HTTPS default)').click();
  await action(page, 'Unassign');
  await dialog(page, 'Unassign Certificate').getByRole('button', { name: 'Unassign' }).click();
  await page.getByRole('status').filter({ hasText: 'IIS (HTTPS default) has no certificate assigned now' }).waitFor();
  assert.deepEqual(assignments(data), { smtp: second, imap: null, pop: null, https: null });

  // From the Services page the dialog offers the certificates; IMAP is checked for the selected row.
  await row(page, services, 'IMAP').click();
  await action(page, 'Assign Services to Certificate…');
  await assign.waitFor();
  assert.deepEqual(await unlabelledControls(assign), []);
  assert.equal(await assign.getByLabel('IMAP', { exact: true }).isChecked(), true);
  await assign.getByLabel('Certificate', { exact: true }).selectOption({ label: 'Exchange self-signed' });
  await assign.getByRole('button', { name: 'Assign' }).click();
  await assign.getByRole('status').filter({ hasText: 'Assigned IMAP to “Exchange self-signed”.' }).waitFor();
  await assign.getByRole('button', { name: 'Finish' }).click();
  assert.match(await row(page, services, 'IMAP').innerText(), /Exchange self-signed/);
  assert.deepEqual(assignments(data), { smtp: second, imap: first, pop: null, https: null });
  assertClean(c);
});

test('a view-only user sees the Services page and no action', { timeout: 120_000 }, async (t) => {
  const data = dataDir();
  addUser(data, 'viewer', 'view-only');
  const cert = selfSignedCert(data, 'mail.contoso.com', 'mail.contoso.com-Contoso');
  ghJson(data, ['service', 'assign', cert, '--services', 'smtp,https']);
  const [port] = await freePorts(1);
  assert.equal(gh(data, ['service', 'configure', 'pop', '--listen', `127.0.0.1:${port}`, '--backend', '127.0.0.1:10110']).code, 0);
  const { c, page } = await openConsole(t, data);
  await logIn(page, 'viewer');
  await openFeature(page, 'Services');
  assert.match(await row(page, 'Certificates assigned to services', 'SMTP').innerText(), new RegExp(`mail\\.contoso\\.com-Contoso\\s+${cert}`));
  assert.match(await row(page, 'Certificates assigned to services', 'IIS (HTTPS default)').innerText(), new RegExp(cert));
  assert.match(await row(page, 'Mail listeners', 'POP').innerText(), new RegExp(`127\\.0\\.0\\.1:${port}\\s+STARTTLS\\s+No\\s+127\\.0\\.0\\.1:10110`));
  await row(page, 'Certificates assigned to services', 'SMTP').click();
  await row(page, 'Mail listeners', 'POP').click();
  await screenshot(page, 'services-07-view-only');
  assert.equal(await actionsPane(page).getByRole('button').count(), 0);
  assert.deepEqual(await page.getByRole('button').allInnerTexts(), ['Log out']);
  await actionsPane(page).getByText('can look but not change').waitFor();
  // Enter on a row opens nothing for them either.
  await page.keyboard.press('Enter');
  assert.equal(await page.getByRole('dialog').count(), 0);

  // Server Certificates offers them no Assign Services to Certificate… either: View… only reads.
  await openFeature(page, 'Server Certificates');
  await page.getByRole('rowheader', { name: 'mail.contoso.com-Contoso', exact: true }).click();
  assert.deepEqual(await actionsPane(page).getByRole('button').allInnerTexts(), ['View…']);
  assertClean(c);
});

test('server-management: no certificate action but Assign Services to Certificate…; the keyboard opens the dialog from a service row (Enter) and assigns (Enter); Escape returns to the row', { timeout: 120_000 }, async (t) => {
  const data = dataDir();
  addUser(data, 'operator', 'server-management');
  const cert = selfSignedCert(data, 'mail.contoso.com', 'mail.contoso.com-Contoso');
  const { c, page } = await openConsole(t, data);
  await logIn(page, 'operator');

  // Server Certificates: only View… and the service assignment (sites.manage), greyed out until a certificate is selected.
  await openFeature(page, 'Server Certificates');
  const assignAction = actionsPane(page).getByRole('button', { name: 'Assign Services to Certificate…' });
  assert.deepEqual(await actionsPane(page).getByRole('button').allInnerTexts(), ['View…', 'Assign Services to Certificate…']);
  assert.equal(await assignAction.isDisabled(), true);
  await page.getByRole('rowheader', { name: 'mail.contoso.com-Contoso', exact: true }).click();
  assert.equal(await assignAction.isDisabled(), false);

  // Services: Enter on the SMTP row opens the dialog with SMTP checked; Escape gives focus back to the row.
  await openFeature(page, 'Services');
  assert.deepEqual(await actionsPane(page).getByRole('button').allInnerTexts(), ['Assign Services to Certificate…', 'Unassign', 'Add Mail Listener…', 'Remove Listener']);
  const smtpRow = row(page, 'Certificates assigned to services', 'SMTP');
  await smtpRow.click();
  await page.keyboard.press('Enter');
  const assign = dialog(page, 'Assign Services to Certificate');
  await assign.waitFor();
  assert.equal(await assign.evaluate((d) => d.contains(document.activeElement)), true, 'focus moved into the dialog');
  assert.equal(await assign.getByLabel('SMTP', { exact: true }).isChecked(), true, 'the selected row\'s service is checked');
  await page.keyboard.press('Escape');
  await assign.waitFor({ state: 'detached' });
  await page.waitForFunction(() => document.activeElement?.getAttribute('data-key') === 'smtp', undefined, { timeout: 5_000 });

  // Again, and assign with the keyboard: the certificate, then Enter submits.
  await page.keyboard.press('Enter');
  await assign.waitFor();
  await assign.getByLabel('Certificate', { exact: true }).selectOption({ label: 'mail.contoso.com-Contoso' });
  await assign.getByLabel('SMTP', { exact: true }).focus();
  await page.keyboard.press('Enter');
  await assign.getByRole('status').filter({ hasText: 'Assigned SMTP to “mail.contoso.com-Contoso”.' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Finish');
  await page.keyboard.press('Enter');
  await assign.waitFor({ state: 'detached' });
  assert.deepEqual(assignments(data), { smtp: cert, imap: null, pop: null, https: null });
  assert.match(await smtpRow.innerText(), new RegExp(cert));
  assert.equal(ghJson<AuditEntry[]>(data, ['audit']).filter((e) => e.action === 'service.assign').at(-1)?.actor, 'operator');
  assertClean(c);
});
