#!/usr/bin/env node
// Writes every certificate of a Gatehouse store as PEM files for another server (nginx in
// bench/names-bench.mjs): OUT_DIR/<first name>.pem (the certificate and its intermediates, never a
// root: what Gatehouse's handshake sends) and OUT_DIR/<first name>.key (its private key, PKCS#8,
// unsealed with the data directory's master key). Bench-only: `gatehouse cert export` is one process
// per certificate, far too slow 100,000 times. Usage:
//
//   node bench/export-pem.mjs DATA_DIR OUT_DIR [NAME_REGEX]      ($GATEHOUSE_STORE: a PostgreSQL store)
//
// Only certificates whose first name matches NAME_REGEX (default ^site\d+\.test$) are written; a
// certificate without a key is skipped. Prints one JSON line: { written, skipped, ms }.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dist = new URL('../dist/src/', import.meta.url);
const { openStore } = await import(new URL('lifecycle/open-store.js', dist).href);
const { isRootDer } = await import(new URL('pki/certificate-chain.js', dist).href);

const [dataDir, outDir, pattern] = process.argv.slice(2);
if (!dataDir || !outDir) {
  console.error('usage: node bench/export-pem.mjs DATA_DIR OUT_DIR [NAME_REGEX]');
  process.exit(2);
}
const wanted = new RegExp(pattern ?? '^site\\d+\\.test$');
const pem = (label, der) => `-----BEGIN ${label}-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END ${label}-----\n`;

const started = performance.now();
mkdirSync(outDir, { recursive: true });
const store = openStore({ dataDir, store: process.env.GATEHOUSE_STORE, actor: { name: 'bench-export', origin: 'system' } });
const roots = new Map();
let written = 0;
let skipped = 0;
try {
  for (const row of store.certificates.list()) {
    const name = row.sans[0] ?? row.issuedTo;
    if (!wanted.test(name)) continue;
    const served = store.certificates.served(row.thumbprint);
    if (!served || served.keyId === null) {
      skipped++;
      continue;
    }
    const intermediates = served.chain.filter((b64) => {
      if (!roots.has(b64)) roots.set(b64, isRootDer(Buffer.from(b64, 'base64')));
      return !roots.get(b64);
    });
    writeFileSync(join(outDir, `${name}.pem`), [served.der, ...intermediates.map((b64) => Buffer.from(b64, 'base64'))].map((d) => pem('CERTIFICATE', d)).join(''));
    writeFileSync(join(outDir, `${name}.key`), pem('PRIVATE KEY', store.keys.pkcs8(served.keyId)), { mode: 0o600 });
    written++;
  }
} finally {
  store.close();
}
console.log(JSON.stringify({ written, skipped, ms: Math.round(performance.now() - started) }));
