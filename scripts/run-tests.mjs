#!/usr/bin/env node
// Runs every compiled test file (unit tests beside the code, end-to-end flows in test/e2e)
// with node's own test runner. Node 20 has no glob support in --test, so the files are listed here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}
const filter = process.argv[2];
const files = [...collect('dist/src', []), ...collect('dist/test', [])]
  .filter((f) => !filter || f.includes(filter))
  .sort();
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
