// Support for the console tests: Debian's Chromium driven by playwright-core (never a downloaded
// browser), one browser context per user, screenshots, and a watch on everything the page reports
// (uncaught errors, Content-Security-Policy refusals) so a test fails on them.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, type TestContext } from 'node:test';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { ROOT } from './cli.js';
import { AdminServer, PASSWORD } from './admin.js';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots');

/** Upper bound for any single browser step (a click, a wait for an element). */
const STEP_TIMEOUT_MS = 20_000;

export interface ConsolePage {
  page: Page;
  context: BrowserContext;
  /** Uncaught page errors and CSP violations seen so far. */
  problems: string[];
}

export class ConsoleBrowser {
  private constructor(readonly browser: Browser) {}

  static async launch(): Promise<ConsoleBrowser> {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true, timeout: 60_000 });
    return new ConsoleBrowser(browser);
  }

  /** A fresh browser context (its own cookies: one user) on the console at `url`. */
  async open(url: string): Promise<ConsolePage> {
    const context = await this.browser.newContext({ ignoreHTTPSErrors: true, acceptDownloads: true, viewport: { width: 1400, height: 860 }, locale: 'en-US' });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      const text = m.text();
      if (/Content Security Policy|Refused to (apply|execute|load)/i.test(text)) problems.push(`CSP: ${text}`);
      // Chromium logs every 4xx answer; the console shows those to the user, as it should.
      else if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d /.test(text)) problems.push(`console error: ${text}`);
    });
    await page.goto(url);
    return { page, context, problems };
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}

/** Saves a screenshot of the page as test-results/screenshots/NAME.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

/** Logs in through the console's form and waits for the server's Home page. */
export async function logIn(page: Page, user: string, password = PASSWORD): Promise<void> {
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { level: 1, name: / Home$/ }).waitFor();
}

export function actionsPane(page: Page): Locator {
  return page.getByRole('complementary', { name: 'Actions' });
}

export function connections(page: Page): Locator {
  return page.getByRole('navigation', { name: 'Connections' });
}

/** Clicks an action in the Actions pane by its exact label. */
export async function action(page: Page, label: string): Promise<void> {
  await actionsPane(page).getByRole('button', { name: label, exact: true }).click();
}

/** From the server's Home, the Server Certificates page, drawn. */
export async function openServerCertificates(page: Page): Promise<void> {
  await connections(page).getByRole('link', { name: /^(?!Sites)/ }).first().click();
  await page.getByRole('link', { name: /Server Certificates/ }).click();
  await page.getByRole('heading', { level: 1, name: 'Server Certificates' }).waitFor();
  await settled(page);
}

/** The row of the Server Certificates list whose Name cell is `friendlyName`. */
export function certificateRow(page: Page, friendlyName: string): Locator {
  return page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: friendlyName, exact: true }) });
}

/** The open dialog with this title. */
export function dialog(page: Page, title: string): Locator {
  return page.getByRole('dialog', { name: title, exact: true });
}

/**
 * Every input, select and textarea in `scope` that has no accessible name from a <label>,
 * aria-label or aria-labelledby (answers their descriptions; empty when all are named).
 */
export async function unlabelledControls(scope: Locator): Promise<string[]> {
  return scope.locator('input, select, textarea').evaluateAll((controls) => controls
    .filter((c) => {
      const el = c as HTMLInputElement;
      if (el.type === 'hidden') return false;
      const labelled = (el.labels?.length ?? 0) > 0 && [...el.labels!].some((l) => (l.textContent ?? '').trim() !== '');
      return !labelled && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby');
    })
    .map((c) => c.outerHTML.slice(0, 120)));
}

export type OpenConsole = (t: TestContext, data: string) => Promise<{ server: AdminServer; c: ConsolePage; page: Page }>;

/**
 * For a test file: launches one browser before its tests and closes it after them, and answers
 * how a test opens the console — serve with the admin endpoint on `data`, a fresh browser context —
 * both ended with that test.
 */
export function consoleTests(): OpenConsole {
  let browser: ConsoleBrowser | undefined;
  before(async () => {
    browser = await ConsoleBrowser.launch();
  });
  after(async () => {
    await browser?.close();
  });
  return async (t, data) => {
    const server = await AdminServer.start(data);
    t.after(() => server.stop());
    const c = await browser!.open(server.url);
    t.after(() => c.context.close());
    return { server, c, page: c.page };
  };
}

/** Asserts the page reported no uncaught error and no Content-Security-Policy refusal. */
export function assertClean(c: ConsolePage): void {
  assert.deepEqual(c.problems, [], 'the page reported errors');
}

/** Waits until the console has finished drawing the page it is on (the page's aria-busy is false). */
export async function settled(page: Page): Promise<void> {
  await page.locator('.page[aria-busy="false"]').waitFor();
}

/**
 * The dialog on top, at any size (a short window too): the dialog inside the window, nothing in it
 * wider than the window, its buttons in view, whatever else it holds in view or in a part of it that
 * scrolls (so it can be reached), and the focus inside it.
 */
export async function dialogLayoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const width = window.innerWidth;
    const height = window.innerHeight;
    const d = [...document.querySelectorAll('dialog[open]')].pop();
    if (!d) return ['no dialog is open'];
    const title = d.querySelector('.dialog-title')?.textContent ?? '?';
    if (document.documentElement.scrollWidth > width) problems.push(`the page is ${document.documentElement.scrollWidth} px wide`);
    const r = d.getBoundingClientRect();
    if (r.left < -0.5 || r.right > width + 0.5) problems.push(`the dialog is ${Math.round(r.width)} px wide in a ${width} px window`);
    if (r.top < -0.5 || r.bottom > height + 0.5) problems.push(`the dialog runs from ${Math.round(r.top)} to ${Math.round(r.bottom)} px in a ${height} px window`);
    if (!d.contains(document.activeElement)) problems.push(`the focus is not in “${title}” but on ${document.activeElement?.tagName.toLowerCase() ?? 'nothing'}`);
    for (const el of d.querySelectorAll<HTMLElement>('.dialog-body *')) {
      const b = el.getBoundingClientRect();
      if (el.checkVisibility() && b.width > 0 && (b.right > width + 0.5 || b.left < -0.5) && !el.closest('.table-wrap')) {
        problems.push(`${el.tagName.toLowerCase()}.${el.className} is cut off`);
        break;
      }
    }
    // The title and the buttons are always in view; the dialog itself never scrolls them away.
    if (d.scrollHeight > d.clientHeight + 1) problems.push(`“${title}” scrolls as a whole (${d.scrollHeight} px in ${d.clientHeight})`);
    for (const b of d.querySelectorAll<HTMLElement>('.dialog-title, .dialog-buttons button')) {
      if (!b.checkVisibility()) continue;
      const box = b.getBoundingClientRect();
      if (box.top < -0.5 || box.bottom > height + 0.5 || box.top < r.top - 0.5 || box.bottom > r.bottom + 0.5) problems.push(`${b.textContent} is out of view (${Math.round(box.top)}–${Math.round(box.bottom)} px)`);
    }
    // Anything else out of the window is in the part of the dialog that scrolls (it can be reached).
    const scrolls = (el: HTMLElement) => {
      for (let a = el.parentElement; a && a !== d; a = a.parentElement) {
        const s = getComputedStyle(a);
        if (/(auto|scroll)/.test(s.overflowY) && a.scrollHeight > a.clientHeight) return true;
      }
      return false;
    };
    for (const el of d.querySelectorAll<HTMLElement>('form *')) {
      const b = el.getBoundingClientRect();
      if (!el.checkVisibility() || b.height === 0) continue;
      if ((b.top < -0.5 || b.bottom > height + 0.5 || b.top < r.top - 0.5 || b.bottom > r.bottom + 0.5) && !scrolls(el)) {
        problems.push(`${el.tagName.toLowerCase()}.${el.className} “${(el.textContent ?? '').slice(0, 40)}” is out of reach`);
        break;
      }
    }
    return problems;
  });
}
