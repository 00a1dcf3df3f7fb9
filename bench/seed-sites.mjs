#!/usr/bin/env node
// Gives every certificate in a store its own site and SNI binding, in one transaction, through the
// compiled core (10,000 `binding add` calls would each re-plan against every binding). Usage:
//
//   node bench/seed-sites.mjs DATA_DIR PORT ROOT_DIR [NAMES]
//
// Site N serves ROOT_DIR; its binding is https *:PORT, host = the certificate's first name, SNI on.
// The first certificate also gets the non-SNI binding of *:PORT (the certificate for clients without SNI).
// NAMES (default: one per certificate) above the number of certificates adds sites extraN with host
// extraN.test, each bound to certificate N modulo the count (host names the certificate does not
// cover: for tests of scale, where the name a client asks for matters, not the match). A certificate
// whose first name is a wildcard (*.x.test) gets a binding for that wildcard host.
const dist = new URL('../dist/src/', import.meta.url);
const { openGatehouse } = await import(new URL('lifecycle/gatehouse.js', dist).href);
const { openStore } = await import(new URL('lifecycle/open-store.js', dist).href);

const [dataDir, portArg, root, namesArg] = process.argv.slice(2);
if (!dataDir || !portArg || !root) {
  console.error('usage: node bench/seed-sites.mjs DATA_DIR PORT ROOT_DIR [NAMES]');
  process.exit(2);
}
const port = Number(portArg);
const options = { dataDir, store: process.env.GATEHOUSE_STORE, actor: { name: 'bench', origin: 'system' } }; // $GATEHOUSE_STORE: a PostgreSQL store
const g = openGatehouse(options);
const store = openStore(options); // the store itself, for one transaction (the Gatehouse object does not expose it)
const certs = g.certificates.list();
const names = Math.max(certs.length, Number(namesArg ?? certs.length));
const started = Date.now();
store.change(
  () => ({ action: 'bench.seed-sites', target: `${names} sites`, after: { port } }),
  () => {
    const bindings = [];
    for (let i = 0; i < names; i++) {
      const c = certs[i % certs.length];
      const host = i < certs.length ? (c.sans[0] ?? c.issuedTo) : `extra${i}.test`;
      // The site is named after its host: siteN.test → siteN, *.wildN.test → wild-wildN.
      const name = host.replace(/^\*\./, 'wild-').replace(/\.test$/, '').replace(/[^A-Za-z0-9-]/g, '-');
      store.sites.insert({ name, state: 'started', content: { kind: 'static', root }, httpsRedirect: false, hsts: false, logFormat: 'w3c', created: new Date().toISOString() });
      bindings.push({ site: name, protocol: 'https', ip: '*', port, host, sni: true, certificate: c.thumbprint });
      if (i === 0) bindings.push({ site: name, protocol: 'https', ip: '*', port, host: '', sni: false, certificate: c.thumbprint });
    }
    store.sites.replaceBindings([...store.sites.bindings(), ...bindings]);
  },
);
console.log(`seed-sites: ${names} sites with SNI bindings on *:${port} (${certs.length} certificates) in ${Date.now() - started} ms`);
store.close();
g.close();
