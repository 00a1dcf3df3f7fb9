import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { MAIL_SERVICES } from './model/service.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

test('the README promises nothing for a later issue: what it names is built', () => {
  const deferred = readme.split('\n').filter((line) => /\b(next|later|coming|future) (issue|release|version)\b|\barrives? with\b/i.test(line));
  assert.deepEqual(deferred, []);
});

test("the README's opening says Gatehouse presents certificates for each mail service", () => {
  const opening = readme.split('\n\n')[1]!;
  for (const s of MAIL_SERVICES) assert.match(opening, new RegExp(`\\b${s}\\b`, 'i'), s);
  assert.match(opening, /mail listeners/);
});
