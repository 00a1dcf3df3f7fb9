#!/usr/bin/env node
// The reference for `gatehouse cert list --json`: the least a Node process can do to print the same
// listing — start node, open gatehouse.db with node:sqlite (read-only), run one SELECT with the
// same join and order, shape each row the way the CLI does (same fields, same status rule) and print
// JSON.stringify(rows, null, 2). No Gatehouse module is loaded: no @peculiar/x509, no node-forge, no
// reflect-metadata, no migrations check, no master key. The benchmark checks that its output is
// byte-for-byte the CLI's, so the two do the same work as far as the user can see.
//
//   node bench/reference-list.mjs DATA_DIR
import { join } from 'node:path';
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
const rows = db
  .prepare(`SELECT c.thumbprint, c.friendly_name, c.store, c.subject, c.issuer, c.issued_to, c.issued_by, c.sans, c.not_before,
    c.not_after, c.serial_number, c.key_type, c.key_id, c.chain, c.chain_complete, c.created, k.exportable
    FROM certificates c LEFT JOIN private_keys k ON k.id = c.key_id ORDER BY c.friendly_name, c.thumbprint`)
  .all();
db.close();
const out = rows.map((r) => ({
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
  chainComplete: r.chain_complete === 1,
  status: status(r.not_after, r.chain_complete === 1),
  chain: JSON.parse(r.chain),
  created: r.created,
}));
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
