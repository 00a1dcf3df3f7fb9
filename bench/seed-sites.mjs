#!/usr/bin/env node
// Gives every certificate in a store its own site and SNI binding, in one transaction, through the
// compiled core (10,000 `binding add` calls would each re-plan against every binding). Usage:
//
//   node bench/seed-sites.mjs DATA_DIR PORT ROOT_DIR
//
// Site N serves ROOT_DIR; its binding is https *:PORT, host = the certificate's first name, SNI on.
// The first certificate also gets the non-SNI binding of *:PORT (the certificate for clients without SNI).
import { addSitesInOneChange } from './lib/serving.mjs';

const repo = new URL('..', import.meta.url).pathname;
const { openGatehouse } = await import(new URL('dist/src/lifecycle/gatehouse.js', new URL('..', import.meta.url)).href);

const [dataDir, portArg, root] = process.argv.slice(2);
if (!dataDir || !portArg || !root) {
  console.error('usage: node bench/seed-sites.mjs DATA_DIR PORT ROOT_DIR');
  process.exit(2);
}
const port = Number(portArg);
const g = openGatehouse({ dataDir, actor: { name: 'bench', origin: 'system' } });
const certs = g.certificates.list();
g.close();
const started = Date.now();
await addSitesInOneChange(repo, dataDir, certs.map((c, i) => ({ site: `site${i}`, host: c.sans[0] ?? c.issuedTo, thumbprint: c.thumbprint })), root, port);
console.log(`seed-sites: ${certs.length} sites with SNI bindings on *:${port} in ${Date.now() - started} ms`);
