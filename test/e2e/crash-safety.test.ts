// End-to-end: SIGKILL the CLI in the middle of writes, many times; the store must stay whole.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import {
  gh, ghJson, ghSpawn, dataDir, tmpDir, join, openssl, assertCsrVerifies, passwordFile, pemBlocks, readText, writeText,
  certPubkey, keyPubkey, describeRun, TestPki,
} from '../support/cli.js';
import { testingPostgres, withStoreDb } from '../support/postgres.js';

interface Cert { thumbprint: string; hasPrivateKey: boolean; exportable: boolean }
interface Req { id: number }

let pki: TestPki;
let fx: string;
let pw: string;
const pfxs: string[] = [];

before(() => {
  pki = TestPki.create();
  fx = tmpDir('gh-crash-');
  pw = passwordFile(fx, 'crash-test');
  for (let i = 0; i < 12; i++) {
    const leaf = pki.leaf(`crash${i}.contoso.com`, { ec: i % 2 === 0 });
    const out = join(fx, `p${i}.pfx`);
    openssl(['pkcs12', '-export', '-in', leaf.cert, '-inkey', leaf.key, '-certfile', pki.intCert, '-name', `crash ${i}`,
      '-passout', `file:${pw}`, '-out', out]);
    pfxs.push(out);
  }
});

function writeOp(i: number, data?: string): string[] {
  if (i % 4 === 3 && data) {
    // sign-and-complete a pending request with the internal CA (request row out, certificate row in, key moves)
    const pending = ghJson<Req[]>(data, ['request', 'list']);
    if (pending.length) return ['request', 'submit', String(pending[0]!.id), '--ca', 'internal'];
  }
  switch (i % 3) {
    case 0:
      return ['cert', 'import', '--file', pfxs[i % pfxs.length]!, '--password-file', pw, '--exportable'];
    case 1:
      return ['request', 'new', '--cn', `req${i}.contoso.com`, '--key', i % 2 ? 'rsa-2048' : 'ecdsa-p256', '--exportable',
        '--out', join(tmpDir(), 'r.csr')];
    default:
      return ['cert', 'self-signed', '--cn', `self${i}.contoso.com`, '--key', i % 2 ? 'rsa-2048' : 'ecdsa-p256', '--exportable'];
  }
}

/** Start a write and SIGKILL it after `delayMs`. Resolves once the process is gone. */
function killAfter(data: string, args: string[], delayMs: number): Promise<{ killed: boolean; code: number | null }> {
  return new Promise((resolve) => {
    const child = ghSpawn(data, args);
    child.stdout?.resume();
    child.stderr?.resume();
    let killed = false;
    const t = setTimeout(() => {
      killed = child.kill('SIGKILL');
    }, delayMs);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve({ killed: killed && code === null, code });
    });
  });
}

function timeOf(data: string, args: string[]): number {
  const t0 = Date.now();
  const r = gh(data, args);
  assert.equal(r.code, 0, describeRun(r));
  return Date.now() - t0;
}

/** Look at the SQLite file directly (read-only). */
function checkDb(data: string, empty: boolean): void {
  if (testingPostgres()) return checkPostgres(data);
  const file = join(data, 'gatehouse.db');
  if (empty && !existsSync(file)) return; // killed before the store was ever created: nothing to look at
  assert.ok(existsSync(file), `${file} must exist`);
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    assert.equal((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
    const cols = db.prepare('PRAGMA table_info(private_keys)').all() as { name: string; pk: number }[];
    assert.ok(cols.length > 0, 'table private_keys exists');
    const pk = cols.find((c) => c.pk === 1)?.name ?? 'rowid';
    // the internal CA's own key, if it lives in private_keys too, is referenced from internal_ca.key_id
    const caCols = db.prepare('PRAGMA table_info(internal_ca)').all() as { name: string }[];
    const caRef = caCols.some((c) => c.name === 'key_id')
      ? `AND NOT EXISTS (SELECT 1 FROM internal_ca a WHERE a.key_id = k.${pk})`
      : '';
    const orphans = db.prepare(
      `SELECT ${pk} AS id FROM private_keys k
        WHERE NOT EXISTS (SELECT 1 FROM certificates c WHERE c.key_id = k.${pk})
          AND NOT EXISTS (SELECT 1 FROM requests r WHERE r.key_id = k.${pk}) ${caRef}`,
    ).all();
    assert.deepEqual(orphans, [], 'private_keys rows referenced by no certificate and no request');
    const dangling = db.prepare(
      `SELECT key_id FROM certificates WHERE key_id IS NOT NULL AND key_id NOT IN (SELECT ${pk} FROM private_keys)
       UNION ALL
       SELECT key_id FROM requests WHERE key_id IS NOT NULL AND key_id NOT IN (SELECT ${pk} FROM private_keys)`,
    ).all();
    assert.deepEqual(dangling, [], 'certificates/requests pointing at missing private keys');
  } finally {
    db.close();
  }
}

/** The same on PostgreSQL: no key without a holder, no holder without its key (PostgreSQL checks its own pages). */
function checkPostgres(data: string): void {
  withStoreDb(data, (db) => {
    const orphans = db.all(`SELECT id FROM private_keys k
        WHERE NOT EXISTS (SELECT 1 FROM certificates c WHERE c.key_id = k.id)
          AND NOT EXISTS (SELECT 1 FROM requests r WHERE r.key_id = k.id)
          AND NOT EXISTS (SELECT 1 FROM internal_ca a WHERE a.key_id = k.id)`);
    assert.deepEqual(orphans, [], 'private_keys rows referenced by no certificate and no request');
    const dangling = db.all(`SELECT key_id FROM certificates WHERE key_id IS NOT NULL AND key_id NOT IN (SELECT id FROM private_keys)
       UNION ALL
       SELECT key_id FROM requests WHERE key_id IS NOT NULL AND key_id NOT IN (SELECT id FROM private_keys)`);
    assert.deepEqual(dangling, [], 'certificates/requests pointing at missing private keys');
  });
}

/** Everything visible through the CLI is whole; with `deep`, every key is exported and checked. */
function checkStore(data: string, deep: boolean): { certs: Cert[]; reqs: Req[] } {
  const cl = gh(data, ['cert', 'list', '--json']);
  assert.equal(cl.code, 0, describeRun(cl));
  const certs = cl.json<Cert[]>();
  const rl = gh(data, ['request', 'list', '--json']);
  assert.equal(rl.code, 0, describeRun(rl));
  const reqs = rl.json<Req[]>();
  assert.ok(Array.isArray(certs) && Array.isArray(reqs));
  for (const c of certs) assert.equal(c.hasPrivateKey, true, `half record: certificate ${c.thumbprint} without its key`);
  checkDb(data, certs.length === 0 && reqs.length === 0);
  if (deep) {
    const dir = tmpDir('gh-crash-exp-');
    for (const c of certs) {
      const out = join(dir, `${c.thumbprint}.pem`);
      const r = gh(data, ['cert', 'export', c.thumbprint, '--out', out, '--format', 'pem']);
      assert.equal(r.code, 0, describeRun(r));
      const blocks = pemBlocks(readText(out));
      const key = blocks.find((b) => b.label === 'PRIVATE KEY');
      const cert = blocks.find((b) => b.label === 'CERTIFICATE');
      assert.ok(key && cert, `export of ${c.thumbprint} lacks key or certificate`);
      assert.equal(keyPubkey(writeText(join(dir, 'k.pem'), key.pem)), certPubkey(writeText(join(dir, 'c.pem'), cert.pem)));
    }
    for (const q of reqs) {
      const r = gh(data, ['request', 'show', String(q.id), '--csr', '--json']);
      assert.equal(r.code, 0, describeRun(r));
      const csr = writeText(join(dir, `${q.id}.csr`), r.json<{ csr: string }>().csr);
      assertCsrVerifies(csr);
    }
  }
  return { certs, reqs };
}

test('SIGKILL at random points during imports, requests, submits and self-signed writes', async (t) => {
  const data = dataDir();
  // one uninterrupted write of each kind: the store exists, and we learn how long a write takes
  const durations = [0, 1, 2].map((k) => timeOf(data, writeOp(k + 30)));
  ghJson(data, ['ca', 'init', '--cn', 'Crash CA', '--key', 'ecdsa-p256']);
  let killed = 0;
  for (let i = 0; i < 25; i++) {
    // a write spends most of its time starting up and making keys; the store transaction is near
    // the end. Every other kill is aimed at the last part of the run (60%-110% of a measured write).
    const d = Math.max(300, durations[i % 3]!);
    const delay = i % 2 ? Math.random() * d : d * (0.6 + 0.5 * Math.random());
    const res = await killAfter(data, writeOp(i, data), Math.floor(delay));
    if (res.killed) killed++;
    else assert.ok(res.code === 0 || res.code === 1, `write ${i} ended with ${res.code}`);
    if (i % 5 === 4) checkStore(data, false);
  }
  assert.ok(killed > 0, 'at least one write must actually have been killed');
  t.diagnostic(`killed ${killed} of 25 writes; write durations ${durations.join('/')} ms`);
  const { certs, reqs } = checkStore(data, true);
  t.diagnostic(`after the kills: ${certs.length} certificates, ${reqs.length} requests`);
  // the store still takes writes after all that
  const fresh = pki.leaf('after-crash.contoso.com');
  const after = join(fx, 'after.pfx');
  openssl(['pkcs12', '-export', '-in', fresh.cert, '-inkey', fresh.key, '-passout', `file:${pw}`, '-out', after]);
  ghJson(data, ['cert', 'import', '--file', after, '--password-file', pw, '--exportable']);
  ghJson(data, ['request', 'new', '--cn', 'after.contoso.com', '--key', 'ecdsa-p256', '--out', join(tmpDir(), 'a.csr')]);
  ghJson(data, ['cert', 'self-signed', '--cn', 'after-self.contoso.com', '--key', 'ecdsa-p256', '--exportable']);
  const final = checkStore(data, true);
  assert.equal(final.certs.length, certs.length + 2);
});

test('SIGKILL of the very first write into a fresh data directory', async () => {
  for (let i = 0; i < 4; i++) {
    const data = dataDir();
    await killAfter(data, writeOp(i), Math.floor(Math.random() * 300));
    // whatever state it left, the store opens and works
    checkStore(data, false);
    const c = ghJson<Cert>(data, ['cert', 'self-signed', '--cn', `first${i}.contoso.com`, '--key', 'ecdsa-p256', '--exportable']);
    const { certs } = checkStore(data, true);
    assert.ok(certs.some((x) => x.thumbprint === c.thumbprint));
  }
});

/** Run the CLI asynchronously to completion. */
function runAsync(data: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = ghSpawn(data, args);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('concurrent writers: parallel requests, imports and self-signed certificates all succeed', async () => {
  const data = dataDir();
  ghJson(data, ['request', 'new', '--cn', 'seed.contoso.com', '--key', 'ecdsa-p256', '--out', join(tmpDir(), 's.csr')]);
  const jobs: string[][] = [];
  for (let i = 0; i < 4; i++) {
    jobs.push(['request', 'new', '--cn', `par${i}.contoso.com`, '--key', 'ecdsa-p256', '--out', join(tmpDir(), 'p.csr'), '--json']);
    jobs.push(['cert', 'self-signed', '--cn', `parself${i}.contoso.com`, '--key', 'ecdsa-p256', '--exportable', '--json']);
    jobs.push(['cert', 'import', '--file', pfxs[i]!, '--password-file', pw, '--exportable', '--json']);
  }
  const results = await Promise.all(jobs.map((a) => runAsync(data, a)));
  results.forEach((r, i) => assert.equal(r.code, 0, `gatehouse ${jobs[i]!.join(' ')} failed: ${r.stderr}`));
  const ids = results.filter((_, i) => jobs[i]![0] === 'request').map((r) => (JSON.parse(r.stdout) as Req).id);
  assert.equal(new Set(ids).size, 4, `request ids must be distinct: ${ids.join(', ')}`);
  const { certs, reqs } = checkStore(data, true);
  assert.equal(reqs.length, 5);
  assert.equal(certs.length, 8);
});
