// axe-core (WCAG 2.0/2.1 A and AA and best practice) on a console page in Chromium: the regression
// gate of issue #14 (zero violations), shared by the console's browser tests.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core on the page (or within `scope`) and fails with the violations it finds. */
export async function axe(page: Page, what: string, scope?: string): Promise<void> {
  // The console's Content-Security-Policy (script-src 'self') refuses an injected <script>; an
  // evaluation from the test's side is not a script of the page.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async (context) => {
    const w = window as unknown as { axe: { run(c: unknown, o: unknown): Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[]; failureSummary?: string }> }> }> } };
    const result = await w.axe.run(context ?? document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] });
    return result.violations.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 4).join('; ')}: ${(v.nodes[0]?.failureSummary ?? '').replace(/\s+/g, ' ')})`);
  }, scope ?? null);
  assert.deepEqual(violations, [], `axe-core found violations on ${what}`);
}
