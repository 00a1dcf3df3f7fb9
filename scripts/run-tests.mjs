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
// Arguments filter the files by substring (any of them matches); a filter matching nothing is an
// error, not the whole suite.
const filters = process.argv.slice(2);
const files = [...collect('dist/src', []), ...collect('dist/test', [])]
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no compiled test file matches ${filters.join(', ')} (npm run build first?)`);
  process.exit(1);
}
// GATEHOUSE_TEST_STORE=postgres (npm run test:postgres): the same tests on PostgreSQL, one cluster
// of the run's own (test/support/postgres.ts), each test data directory its own schema in it.
let cluster;
if (process.env.GATEHOUSE_TEST_STORE === 'postgres' && !process.env.GATEHOUSE_TEST_PG_URL) {
  const { startCluster } = await import('../dist/test/support/postgres.js');
  cluster = await startCluster();
  process.env.GATEHOUSE_TEST_PG_URL = cluster.url;
  console.log(`# PostgreSQL cluster for this run: 127.0.0.1:${cluster.port}`);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
cluster?.stop();
process.exit(r.status ?? 1);
