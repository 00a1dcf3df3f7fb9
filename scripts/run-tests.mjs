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
