import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERRORS, fail, summaryOf, type ErrorCode } from './gatehouse-error.js';
import { ACTIONS, act, FACES, OPTIONS, opt, withWordedWarnings, worded, wordedForDocs, type ActionName, type OptionName } from './wording.js';

// What the API and the console must never say: a CLI flag, a CLI command ("gatehouse serve", the
// server's own name, is fine anywhere), or a reference left unrendered.
const CLI_WORDS = /(^|[\s("'])--[a-z]|"gatehouse (?!serve")[a-z]|\{(opt|act):/;
const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

test('every option and action has words for each face; only the CLI\'s name flags and commands', () => {
  for (const name of Object.keys(OPTIONS) as OptionName[]) {
    assert.match(worded(opt(name), 'cli'), /^--[a-z]/, `the CLI names the flag of ${name}`);
    for (const face of ['api', 'console'] as const) {
      const text = worded(opt(name), face);
      assert.ok(text.length > 0, `${name} for ${face}`);
      assert.doesNotMatch(text, CLI_WORDS, `${name} for ${face}: ${text}`);
    }
  }
  for (const name of Object.keys(ACTIONS) as ActionName[]) {
    assert.match(worded(act(name, 'smtp'), 'cli'), /^"gatehouse [a-z]/, `the CLI names the command of ${name}`);
    assert.match(worded(act(name, 'smtp'), 'api'), /^(GET|POST|PATCH|DELETE) \/api\/v1\//, `the API names the route of ${name}`);
    assert.doesNotMatch(worded(act(name, 'smtp'), 'console'), CLI_WORDS, `${name} for the console`);
    assert.doesNotMatch(worded(act(name, 'smtp'), 'console'), /\/api\//, `${name} for the console names no route`);
  }
});

test('one message, three wordings: flags for the CLI, fields for the API, buttons and fields for the console', () => {
  const text = `Repeat it: use ${opt('force')}, or give a host name with ${opt('host')} and ${opt('sni')}; ${act('service-assign', 'smtp,imap')} assigns.`;
  assert.equal(worded(text, 'cli'), 'Repeat it: use --force, or give a host name with --host and --sni; "gatehouse service assign REF --services smtp,imap" assigns.');
  assert.equal(worded(text, 'api'), 'Repeat it: use "force": true, or give a host name with "host" and "sni": true; POST /api/v1/services/assign with "services": ["smtp", "imap"] assigns.');
  assert.equal(worded(text, 'console'), 'Repeat it: use "Apply anyway", or give a host name with "Host name" and "Require Server Name Indication"; "Assign Services to Certificate…" on the Services page assigns.');
  // A user's own braces are not references.
  assert.equal(worded('The site "{opt:nothing}" and {x}.', 'api'), 'The site "{opt:nothing}" and {x}.');
});

test('a GatehouseError keeps the text as written; its message is the CLI\'s wording, wording(face) the others', () => {
  const e = fail('GH_BINDING_AFFECTS_OTHERS', `Use ${opt('force')} to apply it anyway.`);
  assert.equal(e.message, 'Use --force to apply it anyway.');
  assert.equal(e.wording('cli'), e.message);
  assert.equal(e.wording('api'), 'Use "force": true to apply it anyway.');
  assert.equal(e.wording('console'), 'Use "Apply anyway" to apply it anyway.');
  assert.equal(e.text, 'Use {opt:force} to apply it anyway.');
});

test('the catalogue\'s summaries say no CLI words to the API or the console; the docs give all three', () => {
  for (const code of Object.keys(ERRORS) as ErrorCode[]) {
    for (const face of ['api', 'console'] as const) assert.doesNotMatch(summaryOf(code, face), CLI_WORDS, `${code} for ${face}`);
    assert.doesNotMatch(summaryOf(code, 'cli'), /\{(opt|act):/, `${code} for the CLI`);
    assert.doesNotMatch(wordedForDocs(ERRORS[code].summary), /\{(opt|act):/, `${code} in the docs`);
  }
  assert.match(wordedForDocs(ERRORS.GH_BINDING_AFFECTS_OTHERS.summary), /--force \(API: "force": true; console: "Apply anyway"\)/);
});

test('warnings in an answer are worded for the face; other answers pass as they are', () => {
  const answer = { binding: { site: 'A' }, warnings: [`assign one with ${act('service-assign', 'smtp')}`] };
  assert.deepEqual(withWordedWarnings(answer, 'api').warnings, ['assign one with POST /api/v1/services/assign with "services": ["smtp"]']);
  assert.deepEqual(withWordedWarnings(answer, 'cli').warnings, ['assign one with "gatehouse service assign REF --services smtp"']);
  assert.deepEqual(answer.warnings, ['assign one with {act:service-assign:smtp}'], 'the answer itself is left as it was');
  const list = [{ warnings: ['x'] }];
  assert.equal(withWordedWarnings(list, 'api'), list);
  assert.equal(withWordedWarnings('text', 'console'), 'text');
});

/**
 * The catalogue walk over the sources: every message the core can raise (fail(), warnings, the
 * console's own texts) is a string in src/ outside src/cli/. None of them may write a CLI flag or
 * command itself — they name options and actions with opt()/act(), which the test above proves
 * each face renders without CLI words. A line that names the CLI on purpose (serve's log on the
 * operator's terminal, the OpenAPI document's pointer to the CLI) says so with a `// words: cli`
 * comment on the line before.
 */
test('no message outside src/cli/ writes a --flag or a "gatehouse …" command itself', () => {
  const offenders: string[] = [];
  const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(join(dir, d.name)) : [join(dir, d.name)]));
  const files = walk(SRC).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !relative(SRC, f).startsWith('cli/') && relative(SRC, f) !== 'model/wording.ts');
  assert.ok(files.length > 50, `the sources were found (${files.length} files in ${SRC})`);
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      const code = line.trim();
      if (code.startsWith('//') || code.startsWith('*') || code.startsWith('/*')) return;
      if (/\/\/ words: cli\b/.test(lines[i - 1] ?? '')) return;
      if (/(^|[\s("'`])--[a-z]/.test(code) || /"gatehouse (?!serve")[a-z]/.test(code) || /\{(opt|act):/.test(code)) offenders.push(`${relative(SRC, file)}:${i + 1}: ${code.slice(0, 140)}`);
    });
  }
  assert.deepEqual(offenders, [], 'write opt(\'flag\') or act(\'command\') from model/wording.ts instead');
});

test('FACES lists the three faces', () => {
  assert.deepEqual([...FACES].sort(), ['api', 'cli', 'console']);
});
