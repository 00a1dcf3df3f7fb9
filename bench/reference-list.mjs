#!/usr/bin/env node
// The reference for `gatehouse cert list --json`: the least a Node process can do to print the same
// listing — start node, open gatehouse.db with node:sqlite (read-only), run one SELECT with the
// same join and order, shape each row the way the CLI does (same fields, same status rule, the chain
// judged against the same trust anchors: internal CA, Trusted Root store, system roots) and print
// JSON.stringify(rows, null, 2). No Gatehouse module is loaded: no @peculiar/x509, no node-forge, no
// reflect-metadata, no migrations check, no master key. The benchmark checks that its output is
// byte-for-byte the CLI's, so the two do the same work as far as the user can see.
//
//   node bench/reference-list.mjs DATA_DIR
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { DatabaseSync } from 'node:sqlite';

const dataDir = process.argv[2];
if (!dataDir) {
  process.stderr.write('usage: node bench/reference-list.mjs DATA_DIR\n');
  process.exit(2);
}
const DAY_MS = 86_400_000;
const EXPIRING_DAYS = 30;
const now = Date.now();
const status = (notAfter, chainComplete) => {
  const end = Date.parse(notAfter);
  if (end <= now) return 'expired';
  if (!chainComplete) return 'chain-incomplete';
  if (end - now <= EXPIRING_DAYS * DAY_MS) return 'expiring';
  return 'valid';
};

const db = new DatabaseSync(join(dataDir, 'gatehouse.db'), { readOnly: true });
// Whether a chain's root is trusted: the internal CA and the Trusted Root store first (cheap), then
// the system's roots (hashed once, only when a chain ends at some other root) — what TrustAnchors answers.
const sha1 = (der) => createHash('sha1').update(der).digest('hex').toUpperCase();
let local;
let system;
const trusted = (thumbprint) => {
  local ??= new Set([
    ...db.prepare("SELECT der FROM certificates WHERE store = 'root'").all().map((r) => sha1(r.der)),
    ...db.prepare('SELECT der FROM internal_ca').all().map((r) => sha1(r.der)),
  ]);
  if (local.has(thumbprint)) return true;
  system ??= new Set(tls.getCACertificates('system').map((pem) => sha1(Buffer.from(pem.replace(/-----(BEGIN|END) CERTIFICATE-----|[^A-Za-z0-9+/=]/g, ''), 'base64'))));
  return system.has(thumbprint);
};
const missing = (r, chain) => {
  const top = chain.at(-1);
  if (r.chain_complete !== 1) return { kind: 'issuer', name: top?.issuer ?? r.issuer };
  if (!top || top.subject !== top.issuer) return null;
  return trusted(top.thumbprint) ? null : { kind: 'untrusted-root', name: top.subject };
};
const rows = db
  .prepare(`SELECT c.thumbprint, c.friendly_name, c.store, c.subject, c.issuer, c.issued_to, c.issued_by, c.sans, c.not_before,
    c.not_after, c.serial_number, c.key_type, c.key_id, c.chain, c.chain_complete, c.created, k.exportable
    FROM certificates c LEFT JOIN private_keys k ON k.id = c.key_id ORDER BY c.friendly_name, c.thumbprint`)
  .all();
const out = rows.map((r) => {
  const chain = JSON.parse(r.chain);
  const chainMissing = missing(r, chain);
  return {
    thumbprint: r.thumbprint,
    friendlyName: r.friendly_name,
    store: r.store,
    subject: r.subject,
    issuer: r.issuer,
    issuedTo: r.issued_to,
    issuedBy: r.issued_by,
    sans: JSON.parse(r.sans),
    notBefore: r.not_before,
    notAfter: r.not_after,
    keyType: r.key_type,
    hasPrivateKey: r.key_id !== null,
    exportable: r.key_id !== null && r.exportable === 1,
    serialNumber: r.serial_number,
    chainComplete: chainMissing === null,
    chainMissing,
    status: status(r.not_after, chainMissing === null),
    chain,
    created: r.created,
  };
});
db.close();
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
