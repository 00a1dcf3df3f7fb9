// Renewal in a farm (issue #13): three `gatehouse serve` nodes on one PostgreSQL store (node N on
// 127.0.0.N, serve --listen-ip), an ACME certificate from pebble bound on all three, its ARI window
// (through the test's ARI proxy, which also counts pebble's orders and can hold one request at a
// known point) in the past. (1) One node — the lease holder — renews it: pebble sees one order,
// validated by a node that is NOT the holder (pebble's DNS points at another node's address), the
// renewal's probe reaches every node, every node presents the new certificate. (2) The holder
// SIGKILLed after it moved the binding (another node held back from applying it, SIGSTOP) → once
// the lease (serve --renew-lease 4) runs out another node rolls the open renewal back and renews;
// every live node serves a valid certificate. (3) The holder SIGSTOPped at the same point → another
// node takes the lease over and renews; SIGCONT → the old holder's late commit is refused
// (GH_LEASE_LOST in its log) and nothing it does reaches the store. A farm needs PostgreSQL: on the
// SQLite pass this file starts a cluster of its own.
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dataDir, describeRun, eventually, freePorts, ghAsync, ghJson, join, readText, sClient, ServeProcess, startServe, tmpDir } from '../support/cli.js';
import { startCluster, testingPostgres, withStoreDb, type Cluster } from '../support/postgres.js';
import { Pebble } from '../support/pebble.js';
import { AriProxy } from '../support/ari-proxy.js';
import { ariCertId } from '../../src/acme/ari.js';

const WWW = 'www.farm.test';
const ips = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];
/** The renewal lease of the test's nodes, in seconds (the default is 300). */
const LEASE = 4;

let cluster: Cluster | undefined;
let pebble: Pebble;
let proxy: AriProxy;
let HTTP: number;
let rootFile: string;

before(async () => {
  if (!testingPostgres()) {
    cluster = await startCluster();
    process.env.GATEHOUSE_TEST_STORE = 'postgres';
    process.env.GATEHOUSE_TEST_PG_URL = cluster.url;
  }
  const [http, tls] = (await freePorts(2)) as [number, number];
  HTTP = http;
  pebble = await Pebble.start({ httpPort: http, tlsPort: tls });
  proxy = await AriProxy.start(pebble.directory, pebble.caFile);
  rootFile = await pebble.rootFile();
});
after(async () => {
  await proxy?.stop();
  await pebble?.stop();
  cluster?.stop();
});

interface Farm {
  data: string;
  old: string;
  port: number;
  nodes: ServeProcess[];
}

interface RenewalRow { id: number; old: string; new: string | null; outcome: string | null; finished: string | null; detail: string; probes: string | null }

/**
 * A store on PostgreSQL with the proxy's pebble account, pebble's root trusted, site www answering
 * HTTP-01 on pebble's http port, and a certificate for www issued through ACME (one serve, no
 * scheduler), bound with SNI on a port of its own; its ARI window is in the past (it is due).
 */
async function setup(): Promise<Omit<Farm, 'nodes'>> {
  const data = dataDir();
  await pebble.setDefaultIPv4('127.0.0.1');
  const account = await ghAsync(data, ['acme', 'account', 'add', 'pebble', '--directory', proxy.directory, '--email', 'admin@example.com', '--agree-tos', '--directory-ca', proxy.caBundle]);
  assert.equal(account.code, 0, describeRun(account));
  ghJson(data, ['cert', 'import', '--store', 'root', '--file', rootFile]);
  const root = tmpDir('gh-farm-renewal-');
  mkdirSync(join(root, 'www'));
  writeFileSync(join(root, 'www', 'index.html'), 'www home\n');
  ghJson(data, ['site', 'add', 'www', '--root', join(root, 'www')]);
  ghJson(data, ['binding', 'add', 'www', '--protocol', 'http', '--port', String(HTTP)]);
  const issuing = await startServe(data, [`http *:${HTTP}`], ['--workers', '1', '--renew-every', '0']);
  let old: string;
  try {
    const r = await ghAsync(data, ['request', 'new', '--cn', WWW, '--key', 'ecdsa-p256', '--ca', 'acme:pebble', '--challenge', 'http-01', '--friendly-name', 'farm acme', '--json']);
    assert.equal(r.code, 0, `${describeRun(r)}\n${pebble.log.slice(-3000)}`);
    old = r.json<{ thumbprint: string }>().thumbprint;
  } finally {
    await issuing.stop();
  }
  const [port] = (await freePorts(1)) as [number];
  ghJson(data, ['binding', 'add', 'www', '--protocol', 'https', '--port', String(port), '--host', WWW, '--sni', '--cert', old]);
  const pem = join(root, 'old.pem');
  ghJson(data, ['cert', 'export', old, '--format', 'pem', '--no-key', '--out', pem]);
  proxy.windows.set(ariCertId(new X509Certificate(readText(pem)).raw), { start: new Date(Date.now() - 2 * 86_400_000), end: new Date(Date.now() - 86_400_000) });
  return { data, old, port };
}

/** Node N on 127.0.0.N, one process each, the scheduler looking every second, a short lease. */
async function startNodes(t: TestContext, s: Omit<Farm, 'nodes'>): Promise<Farm> {
  const nodes = ips.map((ip) => new ServeProcess(s.data, ['--workers', '1', '--listen-ip', ip, '--renew-every', '1', '--renew-lease', String(LEASE)]));
  t.after(() => Promise.all(nodes.map((n) => {
    if (n.exited) return undefined;
    process.kill(n.child.pid!, 'SIGCONT');
    return n.stop();
  })));
  for (const [i, n] of nodes.entries()) await n.waitFor(new RegExp(`listening on https \\*:${s.port} on ${ips[i]!.replace(/\./g, '\\.')} only`), `node ${i + 1} listening`, 30_000);
  return { ...s, nodes };
}

/** The index of the node holding the renewal lease. */
function holder(f: Farm): number {
  const row = withStoreDb(f.data, (db) => db.get<{ holder: string }>("SELECT holder FROM leases WHERE name = 'renewal-scheduler'"));
  const i = f.nodes.findIndex((n) => row?.holder.endsWith(`:${n.child.pid}`));
  assert.ok(i >= 0, `a node holds the lease (${row?.holder})`);
  return i;
}

function renewals(data: string): RenewalRow[] {
  return withStoreDb(data, (db) => db.all<RenewalRow>('SELECT id, old, new, outcome, finished, detail, probes FROM renewals ORDER BY id'));
}

/** The certificate the https binding has in the store. */
function bound(f: Farm): string[] {
  return ghJson<Array<{ protocol: string; certificate: string | null }>>(f.data, ['binding', 'list'])
    .filter((b) => b.protocol === 'https').map((b) => b.certificate ?? '');
}

/** What node i presents for www (openssl s_client). */
function presented(f: Farm, i: number): string | null {
  return sClient(f.port, WWW, [], ips[i]!).thumbprint;
}

async function everyNodePresents(f: Farm, thumbprint: string, which: number[]): Promise<void> {
  for (const i of which) {
    let last: string | null = null;
    await eventually(`node ${i + 1} presents ${thumbprint} (last: ${last})`, () => (last = presented(f, i)) === thumbprint, 30_000, 250);
  }
}

/**
 * Holds the holder at a known point after it moved the binding: the certificate download is held
 * at the proxy, node `stalled` is SIGSTOPped (so the holder's wait for every node to apply the move
 * lasts until it goes stale, 15 s), the download goes on; answers once the renewal is open (moved,
 * neither committed nor rolled back) in the store.
 */
async function stopAfterMove(f: Farm, stalled: number): Promise<RenewalRow> {
  const download = proxy.hold(/^POST \/certZ\//);
  await download.arrived;
  process.kill(f.nodes[stalled]!.child.pid!, 'SIGSTOP');
  download.release();
  let open: RenewalRow | undefined;
  await eventually('the holder moved the binding (an open renewal)', () => (open = renewals(f.data).find((r) => r.finished === null)) !== undefined, 15_000, 50);
  return open!;
}

test('a certificate falls due in a farm of three: one order, validated through a node that does not hold the lease, probed on every node, served by all three', async (t) => {
  const s = await setup();
  const ordersBefore = proxy.orders.length;
  const order = proxy.hold(/^POST \/order-plz/);
  const f = await startNodes(t, s);
  await order.arrived;
  const h = holder(f);
  // pebble's VA resolves every name to another node's address: that node answers the HTTP-01 challenge.
  const validator = (h + 1) % 3;
  await pebble.setDefaultIPv4(ips[validator]!);
  const released = Date.now();
  order.release();
  let next = '';
  await eventually('the renewal commits', () => {
    next = renewals(f.data).find((r) => r.outcome === 'renewed')?.new ?? '';
    return next !== '';
  }, 90_000, 250);
  assert.equal(proxy.orders.length - ordersBefore, 1, 'pebble saw exactly one new order');
  for (const [i, n] of f.nodes.entries()) {
    if (i !== h) assert.doesNotMatch(n.out, /renewal \d+: "farm acme" renewed/, `node ${i + 1} did not renew (it does not hold the lease)`);
  }
  await f.nodes[h]!.waitFor(/renewal \d+: "farm acme" renewed → [0-9A-F]+/, 'the holder logging the renewal');
  await everyNodePresents(f, next, [0, 1, 2]);
  const servedMs = Date.now() - released;
  const timings = /renewal \d+: "farm acme" renewed → .*\((.+)\)$/m.exec(f.nodes[h]!.out)?.[1];
  assert.deepEqual(bound(f), [next], 'the binding has the new certificate, the old one is gone from it');
  const rows = renewals(f.data);
  assert.deepEqual(rows.map((r) => [r.old, r.new, r.outcome]), [[f.old, next, 'renewed']], 'one renewal');
  // The probe reached every node, each on its own address.
  const probes = JSON.parse(rows[0]!.probes ?? '[]') as Array<{ address: string; ok: boolean }>;
  assert.deepEqual([...new Set(probes.map((p) => p.address))].sort(), ips, `probed on every node: ${rows[0]!.probes}`);
  assert.ok(probes.every((p) => p.ok));
  const audit = ghJson<Array<{ action: string }>>(f.data, ['audit']).filter((a) => a.action === 'certificate.renew');
  assert.equal(audit.length, 1, 'the audit shows one renewal');
  t.diagnostic(`node ${h + 1} held the lease and renewed; node ${validator + 1} answered pebble's HTTP-01 validation; ` +
    `from the order to all three nodes presenting the new certificate ${servedMs} ms (the holder: ${timings})`);
});

test('the lease holder SIGKILLed after it moved the binding: once the lease runs out another node rolls the open renewal back and renews; every node serves a valid certificate', async (t) => {
  const s = await setup();
  const order = proxy.hold(/^POST \/order-plz/);
  const f = await startNodes(t, s);
  await order.arrived;
  const h = holder(f);
  const [stalled, other] = [(h + 1) % 3, (h + 2) % 3];
  await pebble.setDefaultIPv4(ips[other]!);
  order.release();
  const open = await stopAfterMove(f, stalled);
  f.nodes[h]!.child.kill('SIGKILL');
  const killed0 = Date.now();
  process.kill(f.nodes[stalled]!.child.pid!, 'SIGCONT');
  let renewed: RenewalRow | undefined;
  await eventually('another node renews', () => (renewed = renewals(f.data).find((r) => r.outcome === 'renewed')) !== undefined, 120_000, 250);
  t.diagnostic(`from the SIGKILL of node ${h + 1} to another node's renewal committed: ${Date.now() - killed0} ms (lease ${LEASE} s)`);
  const rows = renewals(f.data);
  const killed = rows.find((r) => r.id === open.id)!;
  assert.equal(killed.outcome, 'rolled-back', JSON.stringify(killed));
  assert.match(killed.detail, /stopped before it finished/);
  assert.equal(rows.filter((r) => r.finished === null).length, 0, 'no half-done renewal left');
  assert.notEqual(renewed!.new, open.new, 'a new certificate, not the one the killed node got');
  const live = [stalled, other];
  await everyNodePresents(f, renewed!.new!, live);
  assert.deepEqual(bound(f), [renewed!.new], 'one certificate per binding: the new one');
  // The killed node, started again, serves it too.
  const again = new ServeProcess(f.data, ['--workers', '1', '--listen-ip', ips[h]!, '--renew-every', '0']);
  t.after(() => again.stop());
  await again.waitFor(new RegExp(`listening on https \\*:${f.port} on ${ips[h]!.replace(/\./g, '\\.')} only`), 'the killed node started again', 30_000);
  await everyNodePresents(f, renewed!.new!, [h]);
});

test('the lease holder SIGSTOPped mid-renewal: another node takes the lease over and renews; SIGCONT — the old holder\'s late commit is refused (GH_LEASE_LOST) and nothing it does reaches the store', async (t) => {
  const s = await setup();
  const order = proxy.hold(/^POST \/order-plz/);
  const f = await startNodes(t, s);
  await order.arrived;
  const h = holder(f);
  const [stalled, other] = [(h + 1) % 3, (h + 2) % 3];
  await pebble.setDefaultIPv4(ips[other]!);
  order.release();
  const open = await stopAfterMove(f, stalled);
  process.kill(f.nodes[h]!.child.pid!, 'SIGSTOP');
  const stopped0 = Date.now();
  process.kill(f.nodes[stalled]!.child.pid!, 'SIGCONT');
  let renewed: RenewalRow | undefined;
  await eventually('another node takes the lease over and renews', () => (renewed = renewals(f.data).find((r) => r.outcome === 'renewed')) !== undefined, 120_000, 250);
  t.diagnostic(`from the SIGSTOP of node ${h + 1} to another node's renewal committed: ${Date.now() - stopped0} ms (lease ${LEASE} s; the new holder waits for the stopped node to go stale, 15 s)`);
  await everyNodePresents(f, renewed!.new!, [stalled, other]);
  const before = { renewals: renewals(f.data), bound: bound(f), audit: ghJson<unknown[]>(f.data, ['audit']).length };
  assert.equal(before.renewals.find((r) => r.id === open.id)!.outcome, 'rolled-back');
  process.kill(f.nodes[h]!.child.pid!, 'SIGCONT');
  await f.nodes[h]!.waitFor(/renewal: "farm acme" could not be renewed: GH_LEASE_LOST: /, 'the old holder refused', 60_000);
  // Its late work reached nothing: the same renewals, binding and audit; the new holder's result stands.
  assert.deepEqual({ renewals: renewals(f.data), bound: bound(f), audit: ghJson<unknown[]>(f.data, ['audit']).length }, before);
  assert.deepEqual(before.bound, [renewed!.new]);
  await everyNodePresents(f, renewed!.new!, [0, 1, 2]);
});
