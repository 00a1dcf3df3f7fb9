#!/usr/bin/env node
// Generates docs/cli.md from the CLI's command table (src/cli/*-commands.ts).
// `npm run docs:cli` rewrites it; a unit test fails when the file is stale.
import { writeFileSync } from 'node:fs';
import { COMMANDS } from '../dist/src/cli/main.js';

export function renderCliDoc() {
  const out = [
    '# CLI reference',
    '',
    'Generated from the command table in `src/cli/` by `npm run docs:cli`; do not edit by hand.',
    '',
    'Every command also takes `--json` (machine output on stdout) and `--data DIR` (else `$GATEHOUSE_DATA`,',
    'else `./gatehouse-data`). Errors: one line on stderr, `error: ... (GH_CODE)`, exit 1; usage errors exit 2.',
    'See [errors.md](errors.md) for the codes. `REF` names a certificate: its thumbprint (any case), 8 or more',
    'leading hex digits of it, or its exact friendly name.',
    '',
  ];
  let noun = '';
  for (const c of COMMANDS) {
    if (c.noun !== noun) {
      noun = c.noun;
      out.push(`## ${noun}`, '');
    }
    out.push(`### \`${`${c.noun} ${c.verb}`.trim()}\``, '', c.summary, '', '```', c.usage, '```', '');
    if (c.flags?.length) out.push('| flag | meaning |', '|---|---|', ...c.flags.map(([f, d]) => `| \`${f}\` | ${d.replace(/\|/g, '\\|')} |`), '');
  }
  return out.join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  writeFileSync(new URL('../docs/cli.md', import.meta.url), renderCliDoc());
}
