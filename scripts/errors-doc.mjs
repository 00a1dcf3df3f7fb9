#!/usr/bin/env node
// Generates docs/errors.md from the error catalogue (src/model/gatehouse-error.ts).
// `npm run docs:errors` rewrites it; a unit test fails when the file is stale.
import { writeFileSync } from 'node:fs';
import { ERRORS } from '../dist/src/model/gatehouse-error.js';
import { wordedForDocs } from '../dist/src/model/wording.js';

export function renderErrorsDoc() {
  const rows = Object.entries(ERRORS).map(([code, e]) => `| \`${code}\` | ${e.exit} | ${e.status} | ${wordedForDocs(e.summary)} |`);
  return [
    '# Error codes',
    '',
    'Generated from `src/model/gatehouse-error.ts` by `npm run docs:errors`; do not edit by hand.',
    '',
    'Every error a user can meet has a stable code. The CLI prints one line on stderr,',
    '`error: <what happened and what to do> (GH_CODE)`, and exits with the code below (1 refused, 2 usage).',
    'The admin API will answer with the HTTP status below and the code in its problem document.',
    'Match on the code, never on the message text. A refused change leaves the store as it was.',
    'Each face words the same message its way: the CLI names its flags (`--force`), the API its fields',
    '(`"force": true`) and the console its buttons and fields ("Apply anyway"); the console asks for its',
    'wording with the request header `X-Gatehouse-Wording: console`.',
    '',
    '| code | exit | HTTP | meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorsDoc());
}
