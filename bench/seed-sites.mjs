#!/usr/bin/env node
// Gives every certificate in a store its own site and SNI binding, in one transaction, through the
// compiled core (10,000 `binding add` calls would each re-plan against every binding). Usage:
//
//   node bench/seed-sites.mjs DATA_DIR PORT ROOT_DIR
//
// Site N serves ROOT_DIR; its binding is https *:PORT, host = the certificate's first name, SNI on.
// The first certificate also gets the non-SNI binding of *:PORT (the certificate for clients without SNI).
const dist = new URL('../dist/src/', import.meta.url);
const { openGatehouse } = await import(new URL('lifecycle/gatehouse.js', dist).href);
const { openStore } = await import(new URL('lifecycle/open-store.js', dist).href);

const [dataDir, portArg, root] = process.argv.slice(2);
if (!dataDir || !portArg || !root) {
  console.error('usage: node bench/seed-sites.mjs DATA_DIR PORT ROOT_DIR');
  process.exit(2);
}
const port = Number(portArg);
const options = { dataDir, actor: { name: 'bench', origin: 'system' } };
const g = openGatehouse(options);
const store = openStore(options); // the store itself, for one transaction (the Gatehouse object does not expose it)
const certs = g.certificates.list();
const started = Date.now();
store.change(
  () => ({ action: 'bench.seed-sites', target: `${certs.length} sites`, after: { port } }),
  () => {
    const bindings = [];
    for (const [i, c] of certs.entries()) {
      const name = `site${i}`;
      store.sites.insert({ name, state: 'started', content: { kind: 'static', root }, httpsRedirect: false, hsts: false, logFormat: 'w3c', created: new Date().toISOString() });
      bindings.push({ site: name, protocol: 'https', ip: '*', port, host: c.sans[0] ?? c.issuedTo, sni: true, certificate: c.thumbprint });
      if (i === 0) bindings.push({ site: name, protocol: 'https', ip: '*', port, host: '', sni: false, certificate: c.thumbprint });
    }
    store.sites.replaceBindings([...store.sites.bindings(), ...bindings]);
  },
);
console.log(`seed-sites: ${certs.length} sites with SNI bindings on *:${port} in ${Date.now() - started} ms`);
store.close();
g.close();
