#!/usr/bin/env node
// Fills a Gatehouse data directory with N distinct certificates, fast, through the compiled core
// (never one CLI process per certificate). Usage:
//
//   node bench/seed-store.mjs DATA_DIR [COUNT=10000]      (SEED_WILDCARDS=N: N wildcard certificates *.wildK.test besides, default 5)
//
// What the rows are
// - An internal CA (ECDSA P-256) is created with the core's `ca.init`.
// - COUNT server certificates site0.test … site<COUNT-1>.test are issued by that CA. Each one is a
//   distinct, validly signed X.509 certificate: own serial (128 random bits, `newSerial`), own CN and
//   SAN, own validity (90…389 days), hence own DER and thumbprint.
// - Each row is built the way `CertificateManager.prepare` builds it (describeCertificate, default
//   friendly name "siteN.test-Gatehouse Bench CA-(date)", chain = the internal CA, complete)
//   and inserted with the store's `keys.insert` + `certificates.insert` inside `change` (the store
//   opened with lifecycle/open-store.js beside the core: the Gatehouse object no longer exposes it),
//   so every certificate has its own sealed private key (AES-256-GCM under master.key) and the
//   audit log and revision move as for any change.
// - Every 10th certificate goes to the `personal` store, the rest to `webhosting`.
//
// Shortcuts taken for speed (none changes what `cert list` reads)
// - One ECDSA P-256 leaf key pair is shared by all certificates (each row still seals its own copy).
// - Issuance mirrors `issueServerCertificate` (same extensions: basicConstraints, keyUsage,
//   serverAuth EKU, SKI, AKI, SAN; same signature algorithm) with the CA's WebCrypto keys and the
//   constant extensions prepared once instead of per certificate; certificate 0 is issued by the core
//   function itself and its extensions are compared with the fast path's, and its row is compared with
//   what `CertificateManager.prepare` produces (prepare re-parses the ~140 system roots per call, too
//   slow to run 10,000 times).
// - Issuing runs on worker threads (one per CPU, at most 4); the main thread inserts rows in batches
//   of 500 per transaction (one audit record per batch) instead of one fsync per certificate.
import { createPrivateKey, generateKeyPairSync, webcrypto } from 'node:crypto';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const dist = new URL('../dist/src/', import.meta.url);
if (!existsSync(fileURLToPath(dist))) {
  process.stderr.write('seed-store: dist/ is missing; run "npm run build" first\n');
  process.exit(1);
}
const core = async (path) => import(new URL(path, dist).href);
const x509Module = await core('pki/x509.js');
// pki/x509.js either re-exports @peculiar/x509 or loads it lazily through loadX509().
const x509 = typeof x509Module.loadX509 === 'function' ? x509Module.loadX509() : x509Module;
const { describeCertificate } = await core('pki/certificate-info.js');
const { defaultFriendlyName } = await core('pki/friendly-name.js');
const { keyPairOf, spkiDer, toCryptoKeyPair } = await core('pki/key-pair.js');
const { issueServerCertificate } = await core('pki/certificate-issuer.js');
const { newSerial } = await core('lifecycle/certificate-manager.js');

const DAY_MS = 86_400_000;
const BATCH = 500;
const hostOf = (i) => `site${i}.test`;
const daysOf = (i) => 90 + (i % 300);
const storeOf = (i) => (i % 10 === 0 ? 'personal' : 'webhosting');

/** A fast issuer with the same profile as the core's issueServerCertificate, for one CA and one leaf key. */
async function makeIssuer({ caDer, caPkcs8, leafSpki }) {
  const crypto = webcrypto;
  const caKeys = await toCryptoKeyPair(keyPairOf(createPrivateKey({ key: Buffer.from(caPkcs8), format: 'der', type: 'pkcs8' })));
  const caCert = new x509.X509Certificate(new Uint8Array(caDer));
  const publicKey = await x509.PublicKey.create(new Uint8Array(leafSpki), crypto);
  const constant = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    await x509.SubjectKeyIdentifierExtension.create(publicKey, false, crypto),
    await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey, false, crypto),
  ];
  return async (host, now, days) => {
    const cert = await x509.X509CertificateGenerator.create(
      {
        serialNumber: newSerial(),
        subject: [{ CN: [host] }],
        issuer: caCert.subject,
        notBefore: new Date(now.getTime() - 5 * 60_000),
        notAfter: new Date(now.getTime() + days * DAY_MS),
        signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
        publicKey,
        signingKey: caKeys.privateKey,
        extensions: [...constant, new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: host }])],
      },
      crypto,
    );
    return Buffer.from(cert.rawData);
  };
}

/** The chain entry of the internal CA, as CertificateManager.prepare records it (a trust anchor: the chain ends there). */
function caEntryOf(caDer) {
  const ca = describeCertificate(Buffer.from(caDer));
  return { thumbprint: ca.thumbprint, subject: ca.subject, issuer: ca.issuer, notAfter: ca.notAfter.toISOString() };
}

/** The row CertificateManager.prepare builds for a certificate issued directly by the internal CA. */
function rowOf(der, i, now, caEntry) {
  const leaf = describeCertificate(der);
  return {
    thumbprint: leaf.thumbprint, friendlyName: defaultFriendlyName(leaf.issuedTo, leaf.issuedBy, leaf.notAfter), store: storeOf(i),
    subject: leaf.subject, issuer: leaf.issuer, issuedTo: leaf.issuedTo, issuedBy: leaf.issuedBy, sans: leaf.sans,
    notBefore: leaf.notBefore.toISOString(), notAfter: leaf.notAfter.toISOString(), serialNumber: leaf.serialNumber,
    keyType: leaf.keyType, spkiSha256: leaf.spkiSha256, keyId: null, chain: [caEntry], chainComplete: true, created: now.toISOString(),
  };
}

if (!isMainThread) {
  // Worker: issue certificates i = from, from+step, … and send back DER + row in chunks.
  const { from, step, count, nowMs } = workerData;
  const now = new Date(nowMs);
  const issue = await makeIssuer(workerData);
  const caEntry = caEntryOf(workerData.caDer);
  let chunk = [];
  for (let i = from; i < count; i += step) {
    const der = await issue(hostOf(i), now, daysOf(i));
    chunk.push({ i, der, row: rowOf(der, i, now, caEntry) });
    if (chunk.length >= 100) {
      parentPort.postMessage(chunk);
      chunk = [];
    }
  }
  parentPort.postMessage(chunk);
} else {
  await seed();
}

async function seed() {
  const { openGatehouse } = await core('lifecycle/gatehouse.js');
  const { openStore } = await core('lifecycle/open-store.js');
  const [dataDir, countArg] = process.argv.slice(2);
  if (!dataDir) {
    process.stderr.write('usage: node bench/seed-store.mjs DATA_DIR [COUNT]\n');
    process.exit(2);
  }
  const count = Number(countArg ?? 10_000);
  if (!Number.isInteger(count) || count < 1) {
    process.stderr.write(`seed-store: COUNT must be a whole number of 1 or more, not ${countArg}\n`);
    process.exit(2);
  }
  const t0 = performance.now();
  const now = new Date();
  const options = { dataDir, store: process.env.GATEHOUSE_STORE, actor: { name: 'bench-seed', origin: 'system' }, clock: () => now };
  const gh = openGatehouse(options);
  // The core's managers for the CA and prepare; the store itself (a second connection) for the fast inserts.
  const store = openStore(options);
  try {
    if (!store.ca.get()) await gh.ca.init({ cn: 'Gatehouse Bench CA', keyType: 'ecdsa-p256', days: 3650 });
    const ca = store.ca.get();
    const caKey = store.keys.load(ca.keyId);
    const leaf = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const shared = { caDer: ca.der, caPkcs8: caKey.export({ type: 'pkcs8', format: 'der' }), leafSpki: spkiDer(leaf.publicKey), nowMs: now.getTime() };

    // Certificate 0 through the core itself: the fast path must issue the same profile, and the
    // row built here must be the one CertificateManager.prepare builds.
    const der0 = await issueServerCertificate(
      { subject: [{ CN: [hostOf(0)] }], names: [{ type: 'dns', value: hostOf(0) }], serialNumber: newSerial(), now, days: daysOf(0) },
      shared.leafSpki,
      { certificate: ca.der, keys: keyPairOf(caKey) },
    );
    const fast = await (await makeIssuer(shared))(hostOf(0), now, daysOf(0));
    const extensions = (der) => new x509.X509Certificate(new Uint8Array(der)).extensions.map((e) => `${e.type}:${e.critical}:${Buffer.from(e.value).toString('hex')}`);
    if (!isDeepStrictEqual(extensions(der0), extensions(fast))) throw new Error('seed-store: the fast issuer no longer matches issueServerCertificate; update bench/seed-store.mjs');
    const prepared = gh.certificates.prepare([der0], describeCertificate(der0), { store: storeOf(0) }, null).row;
    if (!isDeepStrictEqual(prepared, rowOf(der0, 0, now, caEntryOf(ca.der)))) throw new Error('seed-store: rows built here differ from CertificateManager.prepare; update bench/seed-store.mjs');

    let pending = [{ i: 0, der: der0, row: prepared }];
    let stored = 0;
    const flush = () => {
      const batch = pending;
      pending = [];
      if (batch.length === 0) return;
      store.change(
        () => ({ action: 'bench.seed', target: `${batch.length} certificates`, after: { first: batch[0].row.thumbprint, last: batch.at(-1).row.thumbprint } }),
        () => {
          for (const { der, row } of batch) {
            const keyId = store.keys.insert({ key: leaf.privateKey, keyType: 'ecdsa-p256', spkiSha256: row.spkiSha256, exportable: true });
            store.certificates.insert({ ...row, keyId }, Buffer.from(der), [ca.der]);
          }
        },
      );
      stored += batch.length;
    };

    const workers = Math.max(1, Math.min(Number(process.env.SEED_WORKERS ?? 4), availableParallelism(), count - 1));
    await Promise.all(
      Array.from({ length: count > 1 ? workers : 0 }, (_, w) => new Promise((resolve, reject) => {
        const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { ...shared, from: 1 + w, step: workers, count } });
        worker.on('message', (chunk) => {
          pending.push(...chunk);
          if (pending.length >= BATCH) flush();
        });
        worker.on('error', reject);
        worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`seed-store: a worker exited with ${code}`))));
      })),
    );
    // A few wildcard certificates (*.wild0.test …), issued here: SEED_WILDCARDS of them (default 5).
    const wildcards = Number(process.env.SEED_WILDCARDS ?? 5);
    const issue = await makeIssuer(shared);
    const caEntry = caEntryOf(ca.der);
    for (let w = 0; w < wildcards; w++) {
      const der = await issue(`*.wild${w}.test`, now, 397);
      pending.push({ i: count + w, der, row: { ...rowOf(der, count + w, now, caEntry), store: 'webhosting' } });
    }
    flush();
    const total = store.certificates.list().length;
    process.stderr.write(`seed-store: ${stored} certificates issued and stored in ${((performance.now() - t0) / 1000).toFixed(1)} s with ${workers} worker(s); the store holds ${total}\n`);
  } finally {
    store.close();
    gh.close();
  }
}
