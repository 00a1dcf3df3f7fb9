#!/usr/bin/env node
// Issue #13 item 5: the console at 100,000 names. Copies a seeded data directory (never writes the
// original), adds a user, starts `serve` with the admin console (one worker), logs in with Chromium
// (playwright-core, /usr/bin/chromium) and times, RUNS times each, from the click on a page's link
// to the page drawn (its heading shown and the page's aria-busy false): Home, Server Certificates,
// Sites. Also sums the bytes of the API answers each page load received. Prints one JSON line.
//
//   node bench/console-bench.mjs SEEDED_DATA_DIR [RUNS=3]      (GATEHOUSE_BIN: the gatehouse to run, default this checkout's bin/gatehouse;
//                                                               CONSOLE_BENCH_PAGE_TIMEOUT_MS: a page not drawn by then is reported as null, default 300000)
//
// Run it once with this checkout and once with an older build (GATEHOUSE_BIN=/path/to/old/bin/gatehouse)
// for a before → after comparison on the same store.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const [source, runsArg] = process.argv.slice(2);
if (!source) {
  console.error('usage: node bench/console-bench.mjs SEEDED_DATA_DIR [RUNS=3]');
  process.exit(2);
}
const RUNS = Number(runsArg ?? 3);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = process.env.GATEHOUSE_BIN ?? join(ROOT, 'bin', 'gatehouse');
const PASSWORD = 'correct horse battery staple';
const TIMEOUT_MS = 600_000;
/** How long one page may take before it is reported as not drawn (null); CONSOLE_BENCH_PAGE_TIMEOUT_MS. */
const PAGE_TIMEOUT_MS = Number(process.env.CONSOLE_BENCH_PAGE_TIMEOUT_MS ?? 300_000);

const work = mkdtempSync(join(tmpdir(), 'gh-console-bench-'));
const data = join(work, 'data');
cpSync(source, data, { recursive: true });
const gh = (args) => {
  const r = spawnSync(BIN, ['--data', data, ...args], { encoding: 'utf8', timeout: TIMEOUT_MS });
  if (r.status !== 0) throw new Error(`gatehouse ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const pw = join(work, 'pw.txt');
writeFileSync(pw, `${PASSWORD}\n`, { mode: 0o600 });
gh(['user', 'add', 'bench', '--role', 'view-only', '--password-file', pw]);

const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const serve = spawn(BIN, ['--data', data, 'serve', '--workers', '1', '--admin', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
let log = '';
await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`serve did not start the admin endpoint:\n${log}`)), TIMEOUT_MS);
  const seen = (b) => {
    log += b;
    if (/admin: console and API on https:\/\//.test(log)) {
      clearTimeout(timer);
      resolve();
    }
  };
  serve.stdout.on('data', seen);
  serve.stderr.on('data', seen);
  serve.on('exit', (code) => reject(new Error(`serve exited (${code}):\n${log}`)));
});

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'], headless: true });
const results = {};
try {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1366, height: 768 }, locale: 'en-US' });
  context.setDefaultTimeout(TIMEOUT_MS);
  const page = await context.newPage();
  let bytes = 0;
  page.on('response', (r) => {
    if (r.url().includes('/api/v1/')) void r.body().then((b) => { bytes += b.length; }, () => undefined);
  });
  await page.goto(`https://127.0.0.1:${port}/`);
  await page.getByLabel('User name').fill('bench');
  await page.getByLabel('Password').fill(PASSWORD);
  const t0 = performance.now();
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { level: 1, name: / Home$/ }).waitFor();
  await page.locator('.page[aria-busy="false"]').waitFor();
  results.logInToHomeMs = Math.round(performance.now() - t0);

  const pages = [
    ['home', '#/', / Home$/],
    ['certificates', '#/certificates', 'Server Certificates'],
    ['sites', '#/sites', 'Sites'],
  ];
  for (const [key, hash, heading] of pages) {
    const times = [];
    const sizes = [];
    for (let i = 0; i < RUNS; i++) {
      // From another page, as a user clicking a link.
      await page.evaluate((h) => { location.hash = h; }, key === 'home' ? '#/audit' : '#/');
      await page.locator('.page[aria-busy="false"]').waitFor();
      await page.waitForTimeout(200);
      bytes = 0;
      const start = performance.now();
      await page.evaluate((h) => { location.hash = h; }, hash);
      try {
        await page.getByRole('heading', { level: 1, name: heading }).waitFor({ timeout: PAGE_TIMEOUT_MS });
        await page.locator('.page[aria-busy="false"]').waitFor({ timeout: PAGE_TIMEOUT_MS });
      } catch {
        // Not drawn in time: reported as null, and the rest of this page's runs skipped.
        times.push(null);
        sizes.push(bytes);
        break;
      }
      times.push(Math.round(performance.now() - start));
      await page.waitForTimeout(200);
      sizes.push(bytes);
    }
    const drawn = times.filter((x) => x !== null).sort((a, b) => a - b);
    results[`${key}Ms`] = times.includes(null) ? [...drawn, null] : drawn;
    results[`${key}MedianMs`] = times.includes(null) ? null : drawn[Math.floor(drawn.length / 2)];
    results[`${key}ApiBytes`] = Math.max(...sizes);
  }
} finally {
  await browser.close();
  serve.kill('SIGTERM');
  await new Promise((resolve) => serve.once('exit', resolve));
  rmSync(work, { recursive: true, force: true });
}
console.log(JSON.stringify({ date: new Date().toISOString(), bin: BIN, cpus: cpus().length, cpu: cpus()[0]?.model, load: loadavg().map((x) => Math.round(x * 100) / 100), runs: RUNS, ...results }));
