#!/usr/bin/env node
// Where the time of one `gatehouse cert list --json` goes, measured inside one process: node's own
// start (until this script runs), loading node:sqlite, loading the CLI's modules (cli/main.js and
// everything it imports at start), opening the store, listing (SELECT + row mapping + status),
// JSON.stringify and writing to stdout (here /dev/null, as the CLI's stdout is in the benchmark).
// Then, outside the listing: whether the listing loaded @peculiar/x509 or node-forge, and what loading
// them costs (what a command that parses certificates pays on top). Prints one JSON line (ms).
//
//   node bench/list-phases.mjs DATA_DIR
import { closeSync, openSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';

const dataDir = process.argv[2];
if (!dataDir) {
  process.stderr.write('usage: node bench/list-phases.mjs DATA_DIR\n');
  process.exit(2);
}
const dist = new URL('../dist/src/', import.meta.url);
const require = createRequire(new URL('pki/x509.js', dist));
const loaded = (name) => Object.keys(require.cache).some((k) => k.includes(`/node_modules/${name}/`));
const phases = {};
let last = performance.now();
phases.nodeStart = last; // performance.now() counts from the process's time origin
const mark = (name) => {
  const t = performance.now();
  phases[name] = t - last;
  last = t;
};

await import('node:sqlite');
mark('loadSqlite');
await import(new URL('cli/main.js', dist).href);
const { openGatehouse } = await import(new URL('lifecycle/gatehouse.js', dist).href);
mark('loadGatehouseModules');
const gh = openGatehouse({ dataDir, actor: { name: 'bench', origin: 'cli' } });
mark('openStore');
const certs = gh.certificates.list({});
mark('list');
const text = `${JSON.stringify(certs, null, 2)}\n`;
mark('stringify');
const fd = openSync('/dev/null', 'w');
writeSync(fd, text);
closeSync(fd);
gh.close();
mark('writeAndClose');
phases.total = performance.now();
phases.count = certs.length;
phases.x509LoadedByList = loaded('@peculiar/x509') ? 1 : 0;
phases.forgeLoadedByList = loaded('node-forge') ? 1 : 0;
// What the parsing libraries cost to load (only meaningful when the listing did not load them).
last = performance.now();
require('reflect-metadata');
require('@peculiar/x509');
mark('loadPeculiarX509');
require('node-forge');
mark('loadNodeForge');
process.stdout.write(`${JSON.stringify(phases)}\n`);
