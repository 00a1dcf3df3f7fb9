#!/usr/bin/env node
// Fills a Gatehouse data directory with N distinct certificates, fast, through the compiled core
// (no CLI process per certificate). Usage:
//
//   node bench/seed-store.mjs DATA_DIR [COUNT=10000]
//
// What the rows are: an internal CA (ECDSA P-256) is created with `ca.init`, then COUNT server
// certificates site0.test … site<COUNT-1>.test are issued by it with the core's own issuer
// (`issueServerCertificate`, the code `ca sign` uses). Each certificate is distinct (own serial,
// own name, own validity, so own DER and thumbprint) and goes through `CertificateManager.prepare`
// (chain building, default friendly name, the checks `request complete` makes) before it is
// inserted with `GatehouseStore.insertKey` + `insertCertificate` inside `GatehouseStore.change`,
// so each row has its own sealed private key (AES-256-GCM under master.key) and audit records exist.
// For speed one ECDSA P-256 leaf key pair is reused for every certificate (each row still seals its
// own copy), the trust anchors are parsed once instead of per certificate, and rows are committed
// in batches of 500 per transaction (one audit record per batch) instead of one fsync per row.
// Every 10th certificate goes to the `personal` store, the rest to `webhosting`.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/src/', import.meta.url);
if (!existsSync(fileURLToPath(dist))) {
  process.stderr.write('seed-store: dist/ is missing; run "npm run build" first\n');
  process.exit(1);
}
const { openGatehouse } = await import(new URL('lifecycle/gatehouse.js', dist).href);
const { issueServerCertificate } = await import(new URL('pki/certificate-issuer.js', dist).href);
const { describeCertificate } = await import(new URL('pki/certificate-info.js', dist).href);
const { keyPairOf, spkiDer } = await import(new URL('pki/key-pair.js', dist).href);
const { newSerial } = await import(new URL('lifecycle/certificate-manager.js', dist).href);

const [dataDir, countArg] = process.argv.slice(2);
if (!dataDir) {
  process.stderr.write('usage: node bench/seed-store.mjs DATA_DIR [COUNT]\n');
  process.exit(2);
}
const count = Number(countArg ?? 10_000);
if (!Number.isInteger(count) || count < 0) {
  process.stderr.write(`seed-store: COUNT must be a whole number, not ${countArg}\n`);
  process.exit(2);
}
const BATCH = 500;
const t0 = performance.now();

const now = new Date();
const gh = openGatehouse({ dataDir, actor: { name: 'bench-seed', origin: 'system' }, clock: () => now });
try {
  if (!gh.store.getCa()) await gh.ca.init({ cn: 'Gatehouse Bench CA', keyType: 'ecdsa-p256', days: 3650 });
  const ca = gh.store.getCa();
  const caKeys = keyPairOf(gh.store.loadKey(ca.keyId));

  // Chain building checks the top of the chain against the system roots and the internal CA; the
  // manager re-parses ~140 roots per call, which is right for one CLI call and wasteful for 10,000.
  const anchors = gh.certificates.trustAnchors();
  gh.certificates.trustAnchors = () => anchors;

  const leaf = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const leafSpki = spkiDer(leaf.publicKey);

  let pending = [];
  const flush = () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    gh.store.change(
      () => ({ action: 'bench.seed', target: `${batch.length} certificates`, after: { first: batch[0].row.thumbprint, last: batch.at(-1).row.thumbprint } }),
      () => {
        for (const { row, der, chainDer } of batch) {
          const keyId = gh.store.insertKey({ key: leaf.privateKey, keyType: 'ecdsa-p256', spkiSha256: row.spkiSha256, exportable: true });
          gh.store.insertCertificate({ ...row, keyId }, der, chainDer);
        }
      },
    );
  };

  for (let i = 0; i < count; i++) {
    const host = `site${i}.test`;
    const der = await issueServerCertificate(
      { subject: [{ CN: [host] }], names: [{ type: 'dns', value: host }], serialNumber: newSerial(), now, days: 90 + (i % 300) },
      leafSpki,
      { certificate: ca.der, keys: caKeys },
    );
    const info = describeCertificate(der);
    const { row, chainDer } = gh.certificates.prepare([der], info, { store: i % 10 === 0 ? 'personal' : 'webhosting' }, null);
    pending.push({ row, der, chainDer });
    if (pending.length >= BATCH) flush();
  }
  flush();
  const total = gh.store.listCertificates().length;
  process.stderr.write(`seed-store: ${count} certificates issued and stored in ${((performance.now() - t0) / 1000).toFixed(1)} s; the store holds ${total}\n`);
} finally {
  gh.store.close();
}
