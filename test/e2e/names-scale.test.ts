// 20,000 host names on one IP:port (issue #13): a store seeded with bench/seed-store.mjs (a few
// certificates and a wildcard) and bench/seed-sites.mjs (20,000 sites with SNI bindings); serve reads
// it in full at start and then only the rows a change names (its log says how many), its TLS
// context cache is bounded (--tls-cache) and a name whose context was evicted still handshakes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { addUser, AdminServer, assertProblem, createToken } from '../support/admin.js';
import { dataDir, eventually, freePorts, ghJson, join, ROOT, sClient, startServe, storeFor, tmpDir, writeText, type ServeProcess } from '../support/cli.js';

const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const [PORT] = (await freePorts(1)) as [number];
const CERTS = 12;
const NAMES = 20_000;

function bench(script: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  // The seed scripts write to the store the test runs on (its own schema on PostgreSQL).
  const store = storeFor(args[0]!);
  const r = spawnSync(NODE, [join(ROOT, 'bench', script), ...args], { encoding: 'utf8', env: { ...process.env, ...(store ? { GATEHOUSE_STORE: store } : {}), ...env }, timeout: 300_000 });
  assert.equal(r.status, 0, `${script} failed:\n${r.stdout}\n${r.stderr}`);
  return `${r.stdout}${r.stderr}`;
}

/** The end of the "change applied: …; read …" lines of serve's log after start: how each revision was read. */
function applied(server: ServeProcess): string[] {
  return [...server.out.matchAll(/change applied: .*; (read [^;\n]*)$/gm)].map((m) => m[1]!);
}

test('20,000 names on one port: a fresh name and a changed one are served, each change reads only its rows; an evicted context is built again', { timeout: 600_000 }, async () => {
  const data = dataDir();
  const root = tmpDir('gh-www-');
  writeText(join(root, 'index.html'), 'scale\n');
  bench('seed-store.mjs', [data, String(CERTS)], { SEED_WILDCARDS: '1' });
  bench('seed-sites.mjs', [data, String(PORT), root, String(NAMES)]);
  const certs = ghJson<Array<{ thumbprint: string; sans: string[] }>>(data, ['cert', 'list', '--json', '--all']);
  assert.equal(certs.length, CERTS + 1);
  const bySan = new Map(certs.map((c) => [c.sans[0]!, c.thumbprint]));
  const wildcard = bySan.get('*.wild0.test')!;
  let server: ServeProcess | undefined;
  try {
    server = await startServe(data, [`https *:${PORT}`], ['--workers', '1', '--tls-cache', '4']);
    // Every certificate's own name, then the wildcard, then the first again: 14 distinct contexts
    // through a cache of 4 — each handshake gets its own certificate, evicted ones are built again.
    for (let i = 0; i < CERTS; i++) assert.equal(sClient(PORT, `site${i}.test`).thumbprint, bySan.get(`site${i}.test`), `site${i}.test`);
    assert.equal(sClient(PORT, 'anything.wild0.test').thumbprint, wildcard);
    assert.equal(sClient(PORT, 'site0.test').thumbprint, bySan.get('site0.test'), 'site0.test after its context was evicted');
    // One of the 20,000 extra names (extra19999.test: certificate 19999 mod 13 of the listing).
    assert.ok(sClient(PORT, `extra${NAMES - 1}.test`).thumbprint !== null);

    // A fresh name: a new site and binding; served within the poll, reading only the new rows.
    ghJson(data, ['site', 'add', 'fresh', '--root', root]);
    ghJson(data, ['binding', 'add', 'fresh', '--protocol', 'https', '--port', String(PORT), '--host', 'fresh.scale.test', '--sni', '--cert', wildcard]);
    await eventually(`fresh.scale.test is served\n${server.log()}`, () => sClient(PORT, 'fresh.scale.test').thumbprint === wildcard, 30_000);

    // A change to one of the 20,000: extra12345.test moves to the wildcard certificate.
    ghJson(data, ['binding', 'edit', 'extra12345', '--protocol', 'https', '--port', String(PORT), '--host', 'extra12345.test', '--cert', wildcard]);
    await eventually(`extra12345.test gets the new certificate\n${server.log()}`, () => sClient(PORT, 'extra12345.test').thumbprint === wildcard, 30_000);
    await eventually('serve logged the change applied', () => applied(server!).length >= 2);
    // The same edit again (nothing differs): its revision is read by the change log too, not in full.
    ghJson(data, ['binding', 'edit', 'extra12345', '--protocol', 'https', '--port', String(PORT), '--host', 'extra12345.test', '--cert', wildcard]);
    await eventually(`serve logged the unchanged edit applied\n${server.log()}`, () => applied(server!).length >= 3, 30_000);
    const reads = applied(server);
    for (const read of reads) {
      const m = /^read (\d+) changed rows?$/.exec(read);
      assert.ok(m, `a change was read in full, not by the change log: "${read}"\n${server.log()}`);
      assert.ok(Number(m[1]) <= 3, `a change read ${m[1]} rows\n${server.log()}`);
    }
    // The other names are still served as before.
    assert.equal(sClient(PORT, 'site7.test').thumbprint, bySan.get('site7.test'));
  } finally {
    await server?.stop();
  }
});

test('API paging: every certificate exactly once across pages while certificates are added; name and status filters; a bad cursor is refused', { timeout: 600_000 }, async () => {
  const data = dataDir();
  bench('seed-store.mjs', [data, '150'], { SEED_WILDCARDS: '0' });
  addUser(data, 'pager', 'view-only');
  const token = createToken(data, 'pager');
  const admin = await AdminServer.start(data);
  try {
    const before = ghJson<Array<{ thumbprint: string }>>(data, ['cert', 'list', '--json']).map((c) => c.thumbprint);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for (;;) {
      const r = await admin.call('GET', `/api/v1/certificates?limit=40${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
      assert.equal(r.status, 200, r.text);
      assert.ok(Number(r.headers['x-total-count']) >= before.length, `X-Total-Count ${r.headers['x-total-count']}`);
      seen.push(...(r.json as Array<{ thumbprint: string }>).map((c) => c.thumbprint));
      // Between pages, certificates are added whose names sort first ("A …") and last ("z …").
      pages++;
      ghJson(data, ['cert', 'self-signed', '--cn', `early${pages}.page.test`, '--friendly-name', `A early ${pages}`, '--key', 'ecdsa-p256']);
      ghJson(data, ['cert', 'self-signed', '--cn', `late${pages}.page.test`, '--friendly-name', `z late ${pages}`, '--key', 'ecdsa-p256']);
      const next = r.headers['x-next-cursor'];
      if (next === undefined) break;
      cursor = String(next);
    }
    assert.equal(new Set(seen).size, seen.length, 'a certificate was listed twice');
    for (const t of before) assert.ok(seen.includes(t), `${t} was never listed`);
    // Those added after the cursor passed their place are not listed; those added ahead of it are, once.
    assert.ok(seen.length >= before.length && seen.length <= before.length + pages, `${seen.length} listed`);

    const named = await admin.call('GET', '/api/v1/certificates?name=SITE14', { token });
    assert.equal(named.status, 200);
    const names = (named.json as Array<{ issuedTo: string }>).map((c) => c.issuedTo).sort();
    assert.deepEqual(names, ['site14.test', ...Array.from({ length: 10 }, (_, i) => `site14${i}.test`)].sort());
    assert.equal(named.headers['x-total-count'], String(names.length));
    const expired = await admin.call('GET', '/api/v1/certificates?status=expired', { token });
    assert.deepEqual(expired.json, []);
    assertProblem(await admin.call('GET', '/api/v1/certificates?cursor=bm90LWEtY3Vyc29y', { token }), 400, 'GH_PAGE_INVALID');
    assertProblem(await admin.call('GET', '/api/v1/certificates?status=shiny', { token }), 400, 'GH_PAGE_INVALID');
  } finally {
    await admin.stop();
  }
});
