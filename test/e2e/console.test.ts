// The web console in a real browser (Debian's Chromium through playwright-core): the IIS guide end
// to end — request wizard, CSR checked by openssl, signed by an openssl CA, Complete Certificate
// Request, Add Site, Site Bindings with SNI, then the served certificate checked with curl and
// openssl s_client; a view-only user who sees no actions and whose POST is refused; the internal CA
// path; and the keyboard and labels of the main dialogs. Screenshots go to test-results/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  assertCsrVerifies, curl, dataDir, freePorts, gh, ghJson, join, openssl, opensslSans, opensslThumbprint, readText, sClient, selfSignedCert,
  subjectFields, TestPki, tmpDir, writeText,
} from '../support/cli.js';
import { addUser, adminSnapshot } from '../support/admin.js';
import {
  action, actionsPane, assertClean, certificateRow, connections, consoleTests, dialog, logIn, openServerCertificates, screenshot, settled, unlabelledControls,
} from '../support/browser.js';

interface CertJson {
  thumbprint: string;
  friendlyName: string;
  store: string;
  issuedBy: string;
  sans: string[];
}

const openConsole = consoleTests();

function webRoot(text: string): string {
  const dir = tmpDir('gh-www-');
  writeText(join(dir, 'index.html'), `<!doctype html><title>${text}</title><h1>${text}</h1>\n`);
  return dir;
}

test('the IIS guide in the browser: request wizard, CSR, Complete Certificate Request, Add Site, Bindings with SNI, served over TLS', { timeout: 240_000 }, async (t) => {
  const data = dataDir();
  addUser(data, 'admin', 'organization-management');
  const { server, c, page } = await openConsole(t, data);

  await page.getByRole('heading', { name: 'Gatehouse Manager' }).waitFor();
  await screenshot(page, '01-login');
  await logIn(page, 'admin');

  // Server Certificates (the server node → the feature), then Create Certificate Request…
  await openServerCertificates(page);
  await screenshot(page, '02-server-certificates-empty');
  await action(page, 'Create Certificate Request…');
  const wizard = dialog(page, 'Create Certificate Request');
  await wizard.waitFor();
  const next = wizard.getByRole('button', { name: /^(Next >|Create|Finish)$/ });

  await wizard.getByLabel('Friendly name for the request').fill('www.contoso.com request');
  await screenshot(page, '03-wizard-1-name');
  await next.click();

  await wizard.getByLabel('Root domain').fill('contoso.com');
  assert.equal(await wizard.getByLabel('Enable wildcard certificate').isChecked(), false);
  await screenshot(page, '04-wizard-2-domain-scope');
  await next.click();

  // The domains: the root domain is proposed; www.contoso.com is added.
  const domains = wizard.getByRole('list', { name: 'Domains in the certificate' });
  await domains.getByText('contoso.com', { exact: true }).waitFor();
  await wizard.getByLabel('Add a domain').fill('www.contoso.com');
  await wizard.getByRole('button', { name: 'Add', exact: true }).click();
  await domains.getByText('www.contoso.com', { exact: true }).waitFor();
  await screenshot(page, '05-wizard-3-domains');
  await next.click();

  await wizard.getByRole('radio', { name: 'www.contoso.com' }).check();
  await screenshot(page, '06-wizard-4-common-name');
  await next.click();

  await wizard.getByLabel('Organization', { exact: true }).fill('Contoso Ltd');
  await wizard.getByLabel('Organizational unit').fill('IT');
  await wizard.getByLabel('City/locality').fill('Redmond');
  await wizard.getByLabel('State/province').fill('Washington');
  await wizard.getByLabel(/^Country\/region/).fill('us');
  assert.equal(await wizard.getByLabel('Key type').inputValue(), 'rsa-2048', 'the key type defaults to rsa-2048');
  await screenshot(page, '07-wizard-5-organization');
  await next.click();

  await wizard.getByRole('heading', { name: 'Summary' }).waitFor();
  await screenshot(page, '08-wizard-6-summary');
  await wizard.getByRole('button', { name: 'Create' }).click();
  const csrBox = wizard.getByLabel('Certificate signing request (CSR)');
  await csrBox.waitFor();
  await screenshot(page, '09-wizard-completion');
  assert.equal(await wizard.getByRole('button', { name: 'Submit to the internal CA' }).count(), 0, 'no internal CA: no submit button');

  // Download CSR: a real download, checked by openssl.
  const [download] = await Promise.all([page.waitForEvent('download'), wizard.getByRole('button', { name: 'Download CSR' }).click()]);
  const requests = ghJson<Array<{ id: number; cn: string; friendlyName: string | null }>>(data, ['request', 'list']);
  assert.equal(requests.length, 1);
  assert.equal(requests[0]!.friendlyName, 'www.contoso.com request', 'the wizard\'s friendly name is kept on the request, on the server');
  assert.equal(download.suggestedFilename(), `request-${requests[0]!.id}.csr`);
  const work = tmpDir('gh-console-');
  const csrFile = join(work, download.suggestedFilename());
  await download.saveAs(csrFile);
  assertCsrVerifies(csrFile);
  assert.equal(readText(csrFile).trim(), (await csrBox.inputValue()).trim(), 'the download is the CSR shown');
  const subject = subjectFields(csrFile, 'req');
  assert.equal(subject.CN, 'www.contoso.com');
  assert.equal(subject.O, 'Contoso Ltd');
  assert.equal(subject.OU, 'IT');
  assert.equal(subject.L, 'Redmond');
  assert.equal(subject.ST, 'Washington');
  assert.equal(subject.C, 'US');
  assert.deepEqual(opensslSans(csrFile, 'req').sort(), ['DNS:contoso.com', 'DNS:www.contoso.com']);
  await wizard.getByRole('button', { name: 'Finish' }).click();
  await wizard.waitFor({ state: 'detached' });

  // The CA (openssl, an enterprise CA) signs it; the response is the certificate with the intermediate
  // and the root, which the administrator trusts (Trusted Root Certification Authorities).
  const pki = TestPki.create({ intCn: 'Contoso Test CA' });
  ghJson(data, ['cert', 'import', '--store', 'root', '--file', pki.rootCert]);
  const leaf = pki.sign(csrFile);
  const response = writeText(join(work, 'www_contoso_com.cer'), readText(leaf) + pki.chainPem());
  const thumbprint = opensslThumbprint(leaf);

  // Complete Certificate Request…: the response, the friendly name, Web Hosting.
  await action(page, 'Complete Certificate Request…');
  const complete = dialog(page, 'Complete Certificate Request');
  await complete.getByLabel('File name containing the certification authority\'s response').setInputFiles(response);
  await complete.getByLabel('Friendly name').fill('www.contoso.com-Contoso Test CA');
  const store = complete.getByLabel('Select a certificate store for the new certificate');
  assert.equal(await store.inputValue(), 'webhosting', 'Web Hosting is the default store');
  assert.deepEqual(await store.locator('option').allTextContents(), ['Web Hosting', 'Personal']);
  await screenshot(page, '10-complete-certificate-request');
  await complete.getByRole('button', { name: 'OK' }).click();
  await complete.waitFor({ state: 'detached' });

  const row = certificateRow(page, 'www.contoso.com-Contoso Test CA');
  await row.waitFor();
  assert.equal(await row.locator('td.hash .mono').getAttribute('title'), thumbprint, 'the full hash is on hover');
  assert.match(await row.innerText(), /Contoso Test CA/);
  assert.match(await row.innerText(), /Web Hosting/);
  assert.match(await row.innerText(), /\bValid$/, 'the chain is complete (the CA sent its intermediate, and its root is trusted)');
  await page.getByRole('status').filter({ hasText: 'Installed' }).waitFor();
  await screenshot(page, '11-server-certificates');
  const stored = ghJson<CertJson[]>(data, ['cert', 'list']).find((x) => x.thumbprint === thumbprint);
  assert.equal(stored?.friendlyName, 'www.contoso.com-Contoso Test CA');
  assert.equal(stored?.store, 'webhosting');
  assert.deepEqual(ghJson<unknown[]>(data, ['request', 'list']), [], 'the request is retired');

  // Add Site… with a static folder.
  const root = webRoot('Contoso via the console');
  await connections(page).getByRole('link', { name: 'Sites', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Sites' }).waitFor();
  await action(page, 'Add Site…');
  const addSite = dialog(page, 'Add Site');
  await addSite.getByLabel('Site name').fill('Contoso');
  await addSite.getByLabel('Physical path').fill(root);
  await addSite.getByRole('button', { name: 'OK' }).click();
  await page.getByRole('heading', { level: 1, name: 'Contoso Home' }).waitFor();
  await connections(page).getByRole('link', { name: 'Contoso' }).waitFor();
  assert.equal(await connections(page).getByRole('link', { name: 'Contoso' }).getAttribute('aria-current'), 'page');

  // Bindings… → Add…: https, All Unassigned, a free port, www.contoso.com, Require SNI, the new certificate.
  const [port] = await freePorts(1);
  await action(page, 'Bindings…');
  const bindings = dialog(page, 'Site Bindings');
  await bindings.getByRole('button', { name: 'Add…' }).click();
  const add = dialog(page, 'Add Site Binding');
  await add.getByLabel('Type').selectOption('https');
  assert.equal(await add.getByLabel('Port').inputValue(), '443', 'https proposes port 443');
  await add.getByLabel('IP address').selectOption({ label: 'All Unassigned' });
  await add.getByLabel('Port').fill(String(port));
  const sni = add.getByLabel('Require Server Name Indication');
  assert.equal(await sni.isDisabled(), true, 'SNI needs a host name');
  await add.getByLabel('Host name').fill('www.contoso.com');
  assert.equal(await sni.isDisabled(), false);
  await sni.check();
  await add.getByLabel('SSL certificate').selectOption({ label: 'www.contoso.com-Contoso Test CA' });
  await screenshot(page, '12-add-site-binding');
  await add.getByRole('button', { name: 'OK' }).click();
  await add.waitFor({ state: 'detached' });
  const bindingRow = bindings.getByRole('row').filter({ hasText: 'www.contoso.com' });
  await bindingRow.waitFor();
  assert.match(await bindingRow.innerText(), new RegExp(`https\\s+www\\.contoso\\.com\\s+${port}\\s+\\*\\s+Required\\s+www\\.contoso\\.com-Contoso Test CA`));
  await bindings.getByRole('status').filter({ hasText: `Added the binding “https *:${port}:www.contoso.com”.` }).waitFor();
  await screenshot(page, '13-site-bindings');
  await bindings.getByRole('button', { name: 'Close' }).click();

  // The store has it; serve applies it; curl gets the page over TLS with the new certificate.
  const listed = ghJson<Array<{ site: string; protocol: string; ip: string; port: number; host: string; sni: boolean; certificate: string }>>(data, ['binding', 'list']);
  assert.deepEqual(listed, [{ site: 'Contoso', protocol: 'https', ip: '*', port, host: 'www.contoso.com', sni: true, certificate: thumbprint }]);
  await server.serve.settle();
  const r = curl(['--resolve', `www.contoso.com:${port}:127.0.0.1`, '--cacert', pki.rootCert, `https://www.contoso.com:${port}/`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.status, 200);
  assert.match(r.body, /Contoso via the console/);
  assert.equal(sClient(port!, 'www.contoso.com').thumbprint, thumbprint, 'the served certificate is the one completed in the console');

  // The audit log shows who did it, from the console.
  await connections(page).getByRole('link').first().click();
  await page.getByRole('link', { name: /Audit Log/ }).click();
  const audit = page.getByRole('table', { name: /changes, newest first/ });
  await audit.getByRole('row').filter({ hasText: 'binding.add' }).filter({ hasText: 'admin' }).filter({ hasText: 'Console' }).waitFor();
  await screenshot(page, '14-audit-log');
  assertClean(c);
});

test('a view-only user sees the lists and no actions; their POST is refused', { timeout: 120_000 }, async (t) => {
  const data = dataDir();
  addUser(data, 'viewer', 'view-only');
  const valid = selfSignedCert(data, 'www.fabrikam.test', 'fabrikam-valid');
  const soon = selfSignedCert(data, 'soon.fabrikam.test', 'fabrikam-expiring', ['--days', '10']);
  assert.equal(gh(data, ['site', 'add', 'Fabrikam', '--root', webRoot('fabrikam')]).code, 0);
  const { c, page } = await openConsole(t, data);
  await logIn(page, 'viewer');
  await openServerCertificates(page);

  await certificateRow(page, 'fabrikam-valid').waitFor();
  const expiring = certificateRow(page, 'fabrikam-expiring');
  assert.equal(await expiring.locator('td.hash .mono').getAttribute('title'), soon, 'the full hash is on hover');
  assert.match(await expiring.innerText(), /Expiring in (9|10) days/, 'the status says it in words');
  const background = (name: string) => certificateRow(page, name).evaluate((tr) => getComputedStyle(tr).backgroundColor);
  assert.notEqual(await background('fabrikam-expiring'), await background('fabrikam-valid'), 'an expiring certificate stands out');
  assert.equal(await certificateRow(page, 'fabrikam-valid').locator('td.hash .mono').getAttribute('title'), valid);
  await certificateRow(page, 'fabrikam-valid').click();
  await screenshot(page, '15-view-only-server-certificates');

  // No action that changes anything: View… is the only action, and the page's other buttons copy a thumbprint.
  assert.deepEqual(await actionsPane(page).getByRole('button').allInnerTexts(), ['View…']);
  // Reading only: View…, the thumbprint and the selected certificate's Renewal History….
  assert.deepEqual([...new Set(await page.getByRole('button').allInnerTexts())].sort(), ['Copy', 'Copy thumbprint', 'Log out', 'Renewal History…', 'View…']);
  await actionsPane(page).getByText('can look but not change').waitFor();

  await connections(page).getByRole('link', { name: 'Sites', exact: true }).click();
  await page.getByRole('rowheader', { name: 'Fabrikam', exact: true }).waitFor();
  assert.equal(await actionsPane(page).getByRole('button').count(), 0);
  await connections(page).getByRole('link', { name: 'Fabrikam' }).click();
  await page.getByRole('heading', { level: 1, name: 'Fabrikam Home' }).waitFor();
  assert.equal(await actionsPane(page).getByRole('button').count(), 0);
  assert.deepEqual(await page.getByRole('button').allInnerTexts(), ['Log out']);

  // The API refuses a change made with their session, CSRF token and all.
  const refused = await page.evaluate(async () => {
    const s = await (await fetch('/api/v1/session')).json() as { csrfToken: string };
    const r = await fetch('/api/v1/certificates/self-signed', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrfToken }, body: JSON.stringify({ cn: 'evil.test' }) });
    return { status: r.status, body: await r.json() as { code: string } };
  });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.code, 'GH_FORBIDDEN');
  assert.equal(ghJson<unknown[]>(data, ['cert', 'list']).length, 3, 'nothing was created (two certificates and the admin endpoint\'s)');
  assertClean(c);
});

test('the internal CA: the wizard proposes the bindings\' host names, then Submit to the internal CA installs the certificate', { timeout: 180_000 }, async (t) => {
  const data = dataDir();
  addUser(data, 'admin', 'organization-management');
  assert.equal(gh(data, ['ca', 'init', '--cn', 'Contoso Internal CA']).code, 0);
  // A binding with a host name: the wizard proposes it (GET /api/v1/server's hostNames).
  const [port] = await freePorts(1);
  assert.equal(gh(data, ['site', 'add', 'Intranet', '--root', webRoot('intranet')]).code, 0);
  assert.equal(gh(data, ['binding', 'add', 'Intranet', '--protocol', 'http', '--port', String(port), '--host', 'intranet.contoso.com']).code, 0);
  const { c, page } = await openConsole(t, data);
  await logIn(page, 'admin');
  await openServerCertificates(page);

  await action(page, 'Create Certificate Request…');
  const wizard = dialog(page, 'Create Certificate Request');
  const next = wizard.getByRole('button', { name: /^(Next >|Create)$/ });
  await wizard.getByLabel('Friendly name for the request').fill('intranet.contoso.com-Contoso Internal CA');
  await next.click();
  await wizard.getByLabel('Root domain').fill('contoso.com');
  await wizard.getByLabel('Enable wildcard certificate').check();
  await next.click();
  const domains = wizard.getByRole('list', { name: 'Domains in the certificate' });
  await domains.getByText('intranet.contoso.com', { exact: true }).waitFor();
  assert.deepEqual(await domains.locator('.mono').allInnerTexts(), ['*.contoso.com', 'contoso.com', 'intranet.contoso.com']);
  await wizard.getByRole('button', { name: 'Remove contoso.com' }).click();
  await next.click();
  await wizard.getByRole('radio', { name: 'intranet.contoso.com' }).check();
  await next.click();
  await wizard.getByLabel('Key type').selectOption('ecdsa-p256');
  await next.click();
  await wizard.getByRole('button', { name: 'Create' }).click();
  await wizard.getByLabel('Certificate signing request (CSR)').waitFor();
  await wizard.getByRole('button', { name: 'Submit to the internal CA' }).click();
  await wizard.getByRole('status').filter({ hasText: 'The internal CA issued' }).waitFor();
  await screenshot(page, '16-wizard-submitted-to-internal-ca');
  await wizard.getByRole('button', { name: 'Finish' }).click();

  const row = certificateRow(page, 'intranet.contoso.com-Contoso Internal CA');
  await row.waitFor();
  assert.match(await row.innerText(), /intranet\.contoso\.com\s+Contoso Internal CA/);
  const cert = ghJson<CertJson[]>(data, ['cert', 'list']).find((x) => x.friendlyName === 'intranet.contoso.com-Contoso Internal CA');
  assert.ok(cert, 'the certificate is in the store');
  assert.equal(cert.store, 'webhosting');
  assert.equal(cert.issuedBy, 'Contoso Internal CA');
  assert.deepEqual([...cert.sans].sort(), ['*.contoso.com', 'intranet.contoso.com']);
  assert.deepEqual(ghJson<unknown[]>(data, ['request', 'list']), [], 'submitting completes the request');
  assertClean(c);
});

test('keyboard only: log in and open Complete Certificate Request with Tab and Enter, Escape closes it; every field of the main dialogs is labelled', { timeout: 180_000 }, async (t) => {
  const data = dataDir();
  addUser(data, 'admin', 'organization-management');
  selfSignedCert(data, 'www.contoso.test', 'contoso-self');
  assert.equal(gh(data, ['site', 'add', 'Contoso', '--root', webRoot('contoso')]).code, 0);
  const { c, page } = await openConsole(t, data);
  const focused = () => page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    return { tag: el?.tagName ?? '', text: (el?.textContent ?? '').trim(), label: el?.getAttribute('aria-label') ?? '', inDialog: !!el?.closest('dialog[open]') };
  });
  /** Presses Tab until the focused element's text is `text` (bounded). */
  const tabTo = async (text: string | RegExp) => {
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      const f = await focused();
      if (typeof text === 'string' ? f.text === text : text.test(f.text)) return;
    }
    assert.fail(`Tab never reached "${text}"`);
  };

  // The log-in form has focus on its first field.
  await page.getByLabel('User name').waitFor();
  assert.equal((await focused()).tag, 'INPUT');
  await page.keyboard.type('admin');
  await page.keyboard.press('Tab');
  await page.keyboard.type('correct horse battery staple');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: / Home$/ }).waitFor();
  await settled(page);

  // The Connections tree: arrows move between nodes.
  await tabTo(/^Sites$/);
  await page.keyboard.press('ArrowDown');
  assert.equal((await focused()).text, 'Contoso');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Enter');
  // Home is drawn again: tabbing through the old page while the new one replaces it would lose the focus.
  await page.waitForLoadState('networkidle');
  await settled(page);
  await page.getByRole('heading', { level: 1, name: / Home$/ }).waitFor();

  await tabTo(/^Server Certificates/);
  const onLink = await focused();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Server Certificates' }).waitFor().catch(async (e: Error) => {
    const h1 = await page.locator('h1').allInnerTexts();
    assert.fail(`Enter on ${JSON.stringify(onLink)} did not open Server Certificates (page headings ${JSON.stringify(h1)}, hash ${await page.evaluate(() => location.hash)}): ${e.message}`);
  });
  await tabTo('Complete Certificate Request…');
  await page.keyboard.press('Enter');
  const complete = dialog(page, 'Complete Certificate Request');
  await complete.waitFor();
  assert.equal((await focused()).inDialog, true, 'focus moved into the dialog');
  assert.deepEqual(await unlabelledControls(complete), []);
  for (const label of ['File name containing the certification authority\'s response', 'Friendly name', 'Select a certificate store for the new certificate']) {
    assert.equal(await complete.getByLabel(label, { exact: true }).count(), 1, label);
  }
  assert.match(await complete.getByLabel('Friendly name', { exact: true }).getAttribute('aria-describedby') ?? '', /\S/, 'the friendly name has the guide\'s advice as its description');
  await page.keyboard.press('Escape');
  await complete.waitFor({ state: 'detached' });
  assert.equal((await focused()).text, 'Complete Certificate Request…', 'focus returns to the action');

  // A refusal is shown in the dialog in the API's words (role="alert").
  await page.keyboard.press('Enter');
  await complete.waitFor();
  await complete.getByLabel('File name containing the certification authority\'s response').setInputFiles({ name: 'not-a-cert.cer', mimeType: 'application/octet-stream', buffer: Buffer.from('this is not a certificate') });
  await complete.getByRole('button', { name: 'OK' }).click();
  const alert = complete.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /\S{10,}/);
  assert.doesNotMatch(await alert.innerText(), /GH_[A-Z_]+|Error:|undefined/);
  await page.keyboard.press('Escape');
  await complete.waitFor({ state: 'detached' });

  // Every input of the main dialogs has an accessible name.
  const dialogs: Array<[string, string, string[]]> = [
    ['Create Certificate Request…', 'Create Certificate Request', ['Friendly name for the request']],
    ['Import…', 'Import Certificate', ['Certificate file (.pfx, or a .cer/.crt/.pem certificate)', 'Private key file (for a PEM or DER certificate)', 'Password', 'Friendly name', 'Select certificate store', 'Allow this certificate to be exported']],
    ['Create Self-Signed Certificate…', 'Create Self-Signed Certificate', ['Common name', 'Other names', 'Valid for (days)', 'Friendly name', 'Select a certificate store for the new certificate', 'Key type']],
  ];
  for (const [act, title, labels] of dialogs) {
    await action(page, act);
    const d = dialog(page, title);
    await d.waitFor();
    assert.deepEqual(await unlabelledControls(d), [], title);
    for (const label of labels) assert.equal(await d.getByLabel(label, { exact: true }).count(), 1, `${title}: ${label}`);
    await page.keyboard.press('Escape');
    await d.waitFor({ state: 'detached' });
  }
  // The wizard's later pages.
  await action(page, 'Create Certificate Request…');
  const wizard = dialog(page, 'Create Certificate Request');
  await wizard.getByLabel('Friendly name for the request').fill('x');
  await page.keyboard.press('Enter');
  for (const label of ['Root domain', 'Enable wildcard certificate']) assert.equal(await wizard.getByLabel(label, { exact: true }).count(), 1, label);
  await wizard.getByLabel('Root domain').fill('contoso.test');
  await page.keyboard.press('Enter');
  assert.equal(await wizard.getByLabel('Add a domain').count(), 1);
  assert.deepEqual(await unlabelledControls(wizard), []);
  await page.keyboard.press('Escape');
  await wizard.waitFor({ state: 'detached' });

  await certificateRow(page, 'contoso-self').click();
  await action(page, 'Export…');
  const exp = dialog(page, 'Export Certificate');
  assert.deepEqual(await unlabelledControls(exp), []);
  await page.keyboard.press('Escape');

  // Site Bindings and Add Site Binding.
  await connections(page).getByRole('link', { name: 'Contoso' }).click();
  await page.getByRole('heading', { level: 1, name: 'Contoso Home' }).waitFor();
  await action(page, 'Bindings…');
  const bindings = dialog(page, 'Site Bindings');
  await bindings.waitFor();
  assert.equal((await focused()).text, 'Add…', 'focus starts on Add…');
  await page.keyboard.press('Enter');
  const add = dialog(page, 'Add Site Binding');
  await add.waitFor();
  assert.deepEqual(await unlabelledControls(add), []);
  for (const label of ['Type', 'IP address', 'Port', 'Host name', 'Require Server Name Indication', 'SSL certificate']) {
    assert.equal(await add.getByLabel(label, { exact: true }).count(), 1, label);
  }
  // A refusal from the API, in plain words: port 0 is caught here, a bad address by the API.
  await add.getByLabel('Type').selectOption('http');
  assert.equal(await add.getByLabel('Port').inputValue(), '80', 'http proposes port 80');
  assert.equal(await add.getByLabel('SSL certificate').isDisabled(), true);
  await add.getByLabel('Host name').fill('bad host');
  await add.getByRole('button', { name: 'OK' }).click();
  await add.getByRole('alert').filter({ hasText: 'one DNS name' }).waitFor();
  await page.keyboard.press('Escape');
  await add.waitFor({ state: 'detached' });
  await page.keyboard.press('Escape');
  await bindings.waitFor({ state: 'detached' });
  assertClean(c);
});

test('Site Bindings: a change that reaches another site is refused with the reason, "Apply anyway" applies it, warnings are shown; Remove', { timeout: 120_000 }, async (t) => {
  const data = dataDir();
  addUser(data, 'operator', 'server-management');
  const first = selfSignedCert(data, 'www.contoso.test', 'contoso-self');
  const soon = selfSignedCert(data, 'new.contoso.test', 'contoso-soon', ['--days', '10']);
  const [port] = await freePorts(1);
  for (const [site, host] of [['Contoso', ''], ['Fabrikam', 'www.fabrikam.test']] as const) {
    assert.equal(gh(data, ['site', 'add', site, '--root', webRoot(site)]).code, 0);
    const args = ['binding', 'add', site, '--protocol', 'https', '--port', String(port), '--cert', first];
    assert.equal(gh(data, host ? [...args, '--host', host] : args).code, 0);
  }
  const { c, page } = await openConsole(t, data);
  await logIn(page, 'operator');
  // server-management: sites, bindings and service assignment, but no other certificate action.
  await openServerCertificates(page);
  assert.deepEqual(await actionsPane(page).getByRole('button').allInnerTexts(), ['View…', 'Assign Services to Certificate…'], 'server-management has no certificate actions but View… (reading) and Assign Services (sites.manage)');

  await connections(page).getByRole('link', { name: 'Contoso' }).click();
  await page.getByRole('heading', { level: 1, name: 'Contoso Home' }).waitFor();
  await action(page, 'Bindings…');
  const bindings = dialog(page, 'Site Bindings');
  await bindings.getByRole('row').filter({ hasText: String(port) }).click();
  await bindings.getByRole('button', { name: 'Edit…' }).click();
  const edit = dialog(page, 'Edit Site Binding');
  assert.equal(await edit.getByLabel('SSL certificate').inputValue(), first);
  // Its option is marked "— Expiring in N days" (issue #14): chosen by its thumbprint.
  await edit.getByLabel('SSL certificate').selectOption(soon);
  await edit.getByRole('button', { name: 'OK' }).click();

  // Refused: Fabrikam shares the endpoint without SNI. The reason, and "Apply anyway".
  const refusal = edit.getByRole('alert');
  await refusal.waitFor();
  assert.match(await refusal.innerText(), /Fabrikam/);
  // In the console's words: its button and fields, not the CLI's flags or the API's fields.
  assert.match(await refusal.innerText(), /use "Apply anyway"; or give this site a host name with "Host name" and require SNI with "Require Server Name Indication"/);
  assert.doesNotMatch(await refusal.innerText(), /--[a-z]|"force"|"sni"|gatehouse /);
  await screenshot(page, '17-binding-affects-others');
  assert.equal(ghJson<Array<{ certificate: string }>>(data, ['binding', 'list']).every((b) => b.certificate === first), true, 'nothing changed yet');
  await refusal.getByRole('button', { name: 'Apply anyway' }).click();
  await edit.waitFor({ state: 'detached' });

  // Done, with the API's warning (the certificate expires within 30 days) in plain words.
  const warning = bindings.getByRole('alert');
  await warning.waitFor();
  assert.match(await warning.innerText(), /Changed the binding “https \*:\d+:”\./);
  assert.match(await warning.innerText(), /within 30 days/);
  await screenshot(page, '18-binding-warnings');
  assert.deepEqual(ghJson<Array<{ certificate: string }>>(data, ['binding', 'list']).map((b) => b.certificate), [soon, soon]);

  // Remove asks first, then removes.
  await bindings.getByRole('row').filter({ hasText: String(port) }).click();
  await bindings.getByRole('button', { name: 'Remove' }).click();
  const confirm = dialog(page, 'Remove Binding');
  await confirm.getByRole('button', { name: 'Remove' }).click();
  await bindings.getByRole('status').filter({ hasText: 'Removed' }).waitFor();
  assert.deepEqual(ghJson<Array<{ site: string }>>(data, ['binding', 'list']).map((b) => b.site), ['Fabrikam']);
  await bindings.getByRole('button', { name: 'Close' }).click();
  assertClean(c);
});

test('a binding on an address of its own and the site Stop action reach another site: the console shows the refusal, the store is unchanged; "Apply anyway" applies it', { timeout: 120_000 }, async (t) => {
  const data = dataDir();
  addUser(data, 'operator', 'server-management');
  selfSignedCert(data, 'www.contoso.test', 'contoso');
  const fourth = selfSignedCert(data, 'fourth.test', 'fourth');
  const [port] = (await freePorts(1)) as [number];
  for (const site of ['contoso', 'Fourth']) assert.equal(gh(data, ['site', 'add', site, '--root', webRoot(site)]).code, 0);
  assert.equal(gh(data, ['binding', 'add', 'contoso', '--protocol', 'https', '--port', String(port), '--cert', 'contoso']).code, 0);
  const { c, page } = await openConsole(t, data);
  await logIn(page, 'operator');
  await connections(page).getByRole('link', { name: 'Fourth' }).click();
  await page.getByRole('heading', { level: 1, name: 'Fourth Home' }).waitFor();
  await action(page, 'Bindings…');
  const bindings = dialog(page, 'Site Bindings');
  await bindings.getByRole('button', { name: 'Add…' }).click();
  const add = dialog(page, 'Add Site Binding');
  await add.getByLabel('IP address').selectOption('127.0.0.1');
  await add.getByLabel('Port').fill(String(port));
  await add.getByLabel('SSL certificate').selectOption({ label: 'fourth' });
  let before = await adminSnapshot(data);
  await add.getByRole('button', { name: 'OK' }).click();
  const refusal = add.getByRole('alert');
  await refusal.waitFor();
  assert.match(await refusal.innerText(), new RegExp(`clients of site "contoso" that connect to 127\\.0\\.0\\.1:${port} without a host name \\(https\\) would get the content of site "Fourth"`));
  await screenshot(page, '19-binding-reaches-address');
  assert.deepEqual(await adminSnapshot(data), before, 'the refused binding changed the store');
  await refusal.getByRole('button', { name: 'Apply anyway' }).click();
  await add.waitFor({ state: 'detached' });
  const done = bindings.getByRole('alert');
  await done.waitFor();
  assert.match(await done.innerText(), /Also changed: clients of site "contoso" .* now get the content of site "Fourth"/);
  assert.deepEqual(ghJson<Array<{ site: string; ip: string; certificate: string }>>(data, ['binding', 'list', 'Fourth']).map((b) => [b.ip, b.certificate]), [['127.0.0.1', fourth]]);
  await bindings.getByRole('button', { name: 'Close' }).click();

  // Stop hands 127.0.0.1's clients back to contoso: refused with the reason first.
  await settled(page);
  before = await adminSnapshot(data);
  await action(page, 'Stop');
  const ask = dialog(page, 'Stop “Fourth”');
  await ask.waitFor();
  assert.match(await ask.innerText(), /Stopping site "Fourth" reaches other sites \("contoso"\)/);
  assert.deepEqual(await adminSnapshot(data), before, 'the refused stop changed the store');
  await ask.getByRole('button', { name: 'Apply anyway' }).click();
  await page.getByRole('alert').filter({ hasText: 'Stopped “Fourth”.' }).waitFor();
  assert.match(await page.getByRole('alert').filter({ hasText: 'Stopped “Fourth”.' }).innerText(), /Also changed: clients of site "Fourth" .* now get the content of site "contoso"/);
  assert.equal(ghJson<{ state: string }>(data, ['site', 'show', 'Fourth']).state, 'stopped');
  assertClean(c);
});

test('log-in: a wrong password shows the API\'s message; a session that ends sends the console back to the log-in form with a message', { timeout: 120_000 }, async (t) => {
  const data = dataDir();
  addUser(data, 'admin', 'organization-management');
  const { c, page } = await openConsole(t, data);
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password').fill('not the password at all');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').filter({ hasText: 'The user name or password is wrong.' }).waitFor();
  await logIn(page, 'admin');

  // A reload keeps the session (GET /api/v1/session answers it, with the CSRF token for changes).
  await page.reload();
  await page.getByRole('heading', { level: 1, name: / Home$/ }).waitFor();

  // The session ends on the server (the user's password is changed with the CLI): the next call answers 401.
  const pw = join(tmpDir('gh-pw-'), 'pw.txt');
  writeText(pw, 'another long password here\n');
  assert.equal(gh(data, ['user', 'set', 'admin', '--password-file', pw]).code, 0, 'user set');
  await page.getByRole('link', { name: /Server Certificates/ }).click();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  await page.getByRole('status').filter({ hasText: /session has ended/ }).waitFor();
  await screenshot(page, '19-session-ended');
  // Logging in again returns to the page that was asked for.
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password').fill('another long password here');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Server Certificates' }).waitFor();

  // Log out, then guess a password too often: the console says how long to wait.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('status').filter({ hasText: 'You have logged out.' }).waitFor();
  for (let i = 0; i < 5; i++) {
    await page.getByLabel('User name').fill('mallory');
    await page.getByLabel('Password').fill(`guess ${i}`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'The user name or password is wrong.' }).waitFor();
    await page.getByRole('button', { name: 'Log in' }).and(page.locator(':enabled')).waitFor();
  }
  await page.getByLabel('User name').fill('mallory');
  await page.getByLabel('Password').fill('guess 5');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').filter({ hasText: /Too many failed log-ins\. Try again in \d+ seconds\./ }).waitFor();
  assert.equal(await page.getByRole('button', { name: /^Log in/ }).isDisabled(), true, 'the button waits');
  await screenshot(page, '20-login-throttled');
  assertClean(c);
});

test('Pending Certificate Requests: the wizard\'s name is kept, the CSR downloads again, Complete from the list uses that name; Cancel Request', { timeout: 120_000 }, async (t) => {
  const data = dataDir();
  addUser(data, 'admin', 'organization-management');
  const { c, page } = await openConsole(t, data);
  await logIn(page, 'admin');
  await openServerCertificates(page);

  // Two requests from the wizard: one to complete, one to cancel.
  for (const [name, host] of [['mail.contoso.com-Contoso Test CA', 'mail.contoso.com'], ['to-cancel', 'old.contoso.com']] as const) {
    await action(page, 'Create Certificate Request…');
    const wizard = dialog(page, 'Create Certificate Request');
    const next = wizard.getByRole('button', { name: /^(Next >|Create|Finish)$/ });
    await wizard.getByLabel('Friendly name for the request').fill(name);
    await next.click();
    await next.click();
    await wizard.getByLabel('Add a domain').fill(host);
    await page.keyboard.press('Enter');
    await wizard.getByRole('list', { name: 'Domains in the certificate' }).getByText(host, { exact: true }).waitFor();
    for (let i = 0; i < 4; i++) await next.click();
    await wizard.getByLabel('Certificate signing request (CSR)').waitFor();
    await next.click();
    await wizard.waitFor({ state: 'detached' });
  }
  await page.getByRole('link', { name: 'Pending Certificate Requests' }).click();
  await page.getByRole('heading', { level: 1, name: 'Pending Certificate Requests' }).waitFor();
  const row = page.getByRole('row').filter({ hasText: 'mail.contoso.com-Contoso Test CA' });
  await row.click();
  await screenshot(page, '21-pending-requests');
  const [download] = await Promise.all([page.waitForEvent('download'), action(page, 'Download CSR')]);
  const work = tmpDir('gh-console-');
  const csrFile = join(work, download.suggestedFilename());
  await download.saveAs(csrFile);
  assertCsrVerifies(csrFile);
  assert.equal(subjectFields(csrFile, 'req').CN, 'mail.contoso.com');

  // Complete from the list: the dialog proposes the wizard's name; left empty, the name still applies.
  const pki = TestPki.create({ intCn: 'Contoso Test CA' });
  const leaf = pki.sign(csrFile);
  await action(page, 'Complete Certificate Request…');
  const complete = dialog(page, 'Complete Certificate Request');
  assert.equal(await complete.getByLabel('Friendly name').inputValue(), 'mail.contoso.com-Contoso Test CA');
  await complete.getByLabel('Friendly name').fill('');
  await complete.getByLabel('File name containing the certification authority\'s response').setInputFiles(writeText(join(work, 'mail.cer'), readText(leaf) + pki.chainPem()));
  await complete.getByRole('button', { name: 'OK' }).click();
  await complete.waitFor({ state: 'detached' });
  const cert = ghJson<CertJson[]>(data, ['cert', 'list']).find((x) => x.thumbprint === opensslThumbprint(leaf));
  assert.equal(cert?.friendlyName, 'mail.contoso.com-Contoso Test CA', 'the name given in the wizard');

  // Cancel Request asks first.
  await page.getByRole('row').filter({ hasText: 'to-cancel' }).click();
  await action(page, 'Cancel Request');
  await dialog(page, 'Cancel Request').getByRole('button', { name: 'Cancel the request' }).click();
  await page.getByRole('status').filter({ hasText: /Cancelled request \d+\./ }).waitFor();
  assert.deepEqual(ghJson<unknown[]>(data, ['request', 'list']), []);
  await page.getByText('No requests are pending.').waitFor();
  assertClean(c);
});

test('Export… a PFX (openssl reads it), Remove, Import… it back; users: Add User…, Change Role…, an API token shown once and revoked', { timeout: 120_000 }, async (t) => {
  const data = dataDir();
  addUser(data, 'admin', 'organization-management');
  const thumbprint = selfSignedCert(data, 'app.contoso.test', 'app-cert', ['--exportable']);
  const { server, c, page } = await openConsole(t, data);
  await logIn(page, 'admin');
  await openServerCertificates(page);

  // Export… as PFX with a password.
  await certificateRow(page, 'app-cert').click();
  await action(page, 'Export…');
  const exp = dialog(page, 'Export Certificate');
  await exp.getByLabel('Password', { exact: true }).fill('pfx password 1');
  await exp.getByLabel('Confirm password').fill('pfx password 2');
  await exp.getByRole('button', { name: 'Export' }).click();
  await exp.getByRole('alert').filter({ hasText: 'The two passwords differ' }).waitFor();
  await exp.getByLabel('Confirm password').fill('pfx password 1');
  const [download] = await Promise.all([page.waitForEvent('download'), exp.getByRole('button', { name: 'Export' }).click()]);
  assert.equal(download.suggestedFilename(), `${thumbprint}.pfx`);
  const work = tmpDir('gh-console-');
  const pfx = join(work, 'app.pfx');
  await download.saveAs(pfx);
  const pem = join(work, 'app.pem');
  openssl(['pkcs12', '-in', pfx, '-passin', 'pass:pfx password 1', '-nokeys', '-clcerts', '-out', pem]);
  assert.equal(opensslThumbprint(pem), thumbprint);

  // Remove (asks first), then Import… the PFX back, exportable.
  await action(page, 'Remove');
  await dialog(page, 'Remove Certificate').getByRole('button', { name: 'Remove' }).click();
  await certificateRow(page, 'app-cert').waitFor({ state: 'detached' });
  await action(page, 'Import…');
  const imp = dialog(page, 'Import Certificate');
  await imp.getByLabel('Certificate file (.pfx, or a .cer/.crt/.pem certificate)').setInputFiles(pfx);
  await imp.getByLabel('Password').fill('wrong password');
  await imp.getByRole('button', { name: 'OK' }).click();
  await imp.getByRole('alert').waitFor();
  assert.match(await imp.getByRole('alert').innerText(), /password/i);
  await imp.getByLabel('Password').fill('pfx password 1');
  await imp.getByLabel('Friendly name').fill('app-cert (imported)');
  await imp.getByLabel('Allow this certificate to be exported').check();
  await imp.getByRole('button', { name: 'OK' }).click();
  await imp.waitFor({ state: 'detached' });
  await certificateRow(page, 'app-cert (imported)').waitFor();
  const back = ghJson<Array<CertJson & { exportable: boolean }>>(data, ['cert', 'list']).find((x) => x.thumbprint === thumbprint);
  assert.equal(back?.friendlyName, 'app-cert (imported)');
  assert.equal(back?.exportable, true);

  // Users: add one, change their role.
  await connections(page).getByRole('link').first().click();
  await page.getByRole('link', { name: /Users and API Tokens/ }).click();
  await page.getByRole('heading', { level: 1, name: 'Users and API Tokens' }).waitFor();
  await action(page, 'Add User…');
  const addUserDialog = dialog(page, 'Add User');
  await addUserDialog.getByLabel('User name').fill('robot');
  await addUserDialog.getByLabel('Role').selectOption('view-only');
  await addUserDialog.getByLabel('Password', { exact: true }).fill('a robot password');
  await addUserDialog.getByLabel('Confirm password').fill('a robot password');
  await addUserDialog.getByRole('button', { name: 'OK' }).click();
  await page.getByRole('status').filter({ hasText: 'Added robot (view-only).' }).waitFor();
  await page.getByRole('table', { name: 'Users' }).getByRole('row').filter({ hasText: 'robot' }).click();
  await action(page, 'Change Role…');
  const role = dialog(page, 'Change Role of robot');
  await role.getByLabel('Role').selectOption('server-management');
  await role.getByRole('button', { name: 'OK' }).click();
  await page.getByRole('status').filter({ hasText: 'robot is now server-management.' }).waitFor();
  assert.equal(ghJson<Array<{ name: string; role: string }>>(data, ['user', 'list']).find((u) => u.name === 'robot')?.role, 'server-management');

  // An API token: shown once, works as robot, then revoked.
  await action(page, 'Create API Token…');
  const tokenDialog = dialog(page, 'Create API Token');
  await tokenDialog.getByLabel('User').selectOption('robot');
  await tokenDialog.getByLabel('Description').fill('deploy script');
  await tokenDialog.getByRole('button', { name: 'Create' }).click();
  const tokenBox = tokenDialog.getByLabel('API token');
  await tokenBox.waitFor();
  const token = await tokenBox.inputValue();
  assert.match(token, /^gh_/);
  await screenshot(page, '22-api-token-created');
  const asRobot = await server.call('GET', '/api/v1/session', { token });
  assert.equal(asRobot.status, 200);
  assert.equal(asRobot.json.user, 'robot');
  await tokenDialog.getByRole('button', { name: 'Close' }).click();
  const tokens = page.getByRole('table', { name: 'API tokens' });
  await tokens.getByRole('row').filter({ hasText: 'deploy script' }).click();
  await action(page, 'Revoke Token');
  await dialog(page, 'Revoke Token').getByRole('button', { name: 'Revoke' }).click();
  await page.getByRole('status').filter({ hasText: /Revoked the token/ }).waitFor();
  assert.equal((await server.call('GET', '/api/v1/session', { token })).status, 401, 'a revoked token is refused');
  assertClean(c);
});

test('Install Chain…: a certificate completed from the leaf alone gets its intermediate and is valid; a wrong bundle is refused with the reason', { timeout: 120_000 }, async (t) => {
  const data = dataDir();
  addUser(data, 'admin', 'organization-management');
  const pki = TestPki.create({ intCn: 'Contoso Issuing CA' });
  ghJson(data, ['cert', 'import', '--store', 'root', '--file', pki.rootCert]);
  const work = tmpDir('gh-console-chain-');
  const csr = join(work, 'r.csr');
  ghJson(data, ['request', 'new', '--cn', 'chain.contoso.com', '--key', 'ecdsa-p256', '--friendly-name', 'Chain test', '--out', csr]);
  const leaf = pki.sign(csr);
  ghJson(data, ['request', 'complete', '--file', leaf]);
  const { c, page } = await openConsole(t, data);
  await logIn(page, 'admin');
  await openServerCertificates(page);
  const row = certificateRow(page, 'Chain test');
  assert.match(await row.innerText(), /Chain incomplete \(the certificate of .*CN=Contoso Issuing CA.* is missing\)/);
  // On its name: the middle of this tall row is the hash column's Copy button.
  await row.getByRole('rowheader').click();

  await action(page, 'Install Chain…');
  let chain = dialog(page, 'Install Certificate Chain');
  await chain.getByLabel('File with the CA\'s intermediate certificates').setInputFiles(leaf);
  await chain.getByRole('button', { name: 'OK' }).click();
  await chain.getByText(/Nothing in mail|Nothing in .* issued/).waitFor();
  await chain.getByRole('button', { name: 'Cancel' }).click();
  await chain.waitFor({ state: 'detached' });

  await action(page, 'Install Chain…');
  chain = dialog(page, 'Install Certificate Chain');
  await chain.getByLabel('Or paste them (PEM)').fill(readText(pki.intCert));
  await chain.getByRole('button', { name: 'OK' }).click();
  await chain.waitFor({ state: 'detached' });
  await page.getByRole('status').filter({ hasText: 'Installed the chain' }).waitFor();
  await settled(page);
  assert.match(await certificateRow(page, 'Chain test').innerText(), /\bValid$/);
  assert.equal(ghJson<Array<{ status: string }>>(data, ['cert', 'list'])[0]!.status, 'valid');
  assertClean(c);
});
