// A farm on PostgreSQL (issue #13): three `gatehouse serve` nodes on one PostgreSQL store, each on
// an address of its own (--listen-ip 127.0.0.N). A change committed through node 1 is pushed (NOTIFY) to nodes 2
// and 3, which serve it (openssl s_client checks the certificate presented); node 2's listening
// connection terminated (pg_terminate_backend) while a change is made → it reconnects and catches up
// by revision; a NOTIFY that is not a revision is ignored; PostgreSQL stopped → every node keeps
// serving what it had, started again → a new change reaches all three; a console session made through
// node 1 works on node 2. Always on a cluster of its own (it stops and starts it), in both suites.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import postgres from 'postgres';
import { dataDir, eventually, freePorts, gh, ghAsync, ghJson, issueCert, ServeProcess, describeRun } from '../support/cli.js';
import { AdminServer, addUser, createToken } from '../support/admin.js';
import { PG_PASSWORD, schemaFor, startCluster, type Cluster } from '../support/postgres.js';

let cluster: Cluster | undefined;
/** The binding's port; node N listens on 127.0.0.N (`serve --listen-ip`). */
let port = 0;
const ips = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];

before(async () => {
  // A cluster of this file's own even when the run has one: the test stops and starts it.
  cluster = await startCluster();
  process.env.GATEHOUSE_TEST_STORE = 'postgres';
  process.env.GATEHOUSE_TEST_PG_URL = cluster.url;
});
after(() => cluster?.stop());

/** The SHA-1 thumbprint of the certificate openssl s_client gets from ip:port for `name` ('' for none). */
function presented(ip: string, port: number, name: string): string {
  const r = spawnSync('openssl', ['s_client', '-connect', `${ip}:${port}`, '-servername', name], { input: '', encoding: 'utf8', timeout: 15_000 });
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(r.stdout ?? '');
  if (!pem) return '';
  return createHash('sha1').update(Buffer.from(pem[0].replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64')).digest('hex').toUpperCase();
}

/** Waits until the node on `ip` presents `thumbprint` for `name`; returns the milliseconds since `since`. */
async function served(ip: string, name: string, thumbprint: string, since: number, what: string): Promise<number> {
  let last = '';
  await eventually(`${what}: ${ip}:${port} presents ${thumbprint} for ${name} (last: ${last})`, () => {
    last = presented(ip, port, name) || 'no certificate';
    return last === thumbprint;
  }, 10_000, 20);
  return Date.now() - since;
}

test('three serve nodes on one PostgreSQL store: a change made on one is pushed to all, survives a dropped LISTEN and a stopped server', async (t) => {
  const data = dataDir();
  assert.equal(gh(data, ['ca', 'init']).code, 0);
  addUser(data, 'root', 'organization-management');
  const token = createToken(data, 'root');
  const a = issueCert(data, 'a.farm.test', 'A');
  const b = issueCert(data, 'b.farm.test', 'B');
  const c = issueCert(data, 'c.farm.test', 'C');
  const d = issueCert(data, 'd.farm.test', 'D');
  // Node 1 and 2 with the admin endpoint (one worker each), node 3 without; node N on 127.0.0.N.
  const one = await AdminServer.start(data, ['--listen-ip', ips[0]!]);
  const two = await AdminServer.start(data, ['--listen-ip', ips[1]!]).catch(async (e) => {
    await one.stop();
    throw e;
  });
  const three = new ServeProcess(data, ['--workers', '1', '--listen-ip', ips[2]!]);
  const nodes = [one.serve, two.serve, three];
  t.after(() => Promise.all(nodes.map((n) => n.stop())));
  for (const [i, n] of nodes.entries()) await n.waitFor(/listening for changes \(PostgreSQL NOTIFY\)/, `node ${i + 1} listening for changes`);
  // The first binding, on a port chosen now (the admin endpoints took theirs).
  [port] = (await freePorts(1)) as [number];
  for (const args of [['site', 'add', 'farm', '--proxy', 'http://127.0.0.1:9'], ['binding', 'add', 'farm', '--protocol', 'https', '--port', String(port), '--host', 'a.farm.test', '--sni', '--cert', 'A']]) {
    const r = gh(data, args);
    assert.equal(r.code, 0, describeRun(r));
  }
  for (const [i, n] of nodes.entries()) await n.waitFor(new RegExp(`listening on https \\*:${port}\\b`), `node ${i + 1} listening`);
  for (const ip of ips) assert.equal(presented(ip, port, 'a.farm.test'), a);

  // 1. A binding added through node 1's admin API is served by every node (pushed, not polled).
  const since = Date.now();
  const added = await one.call('POST', '/api/v1/sites/farm/bindings', { token, body: { protocol: 'https', port, host: 'b.farm.test', sni: true, cert: 'B' } });
  assert.equal(added.status, 201, added.text);
  const delays = await Promise.all(ips.map((ip, i) => served(ip, 'b.farm.test', b, since, `node ${i + 1}`)));
  t.diagnostic(`a binding added through node 1's API served by all three nodes within ${Math.max(...delays)} ms of the call (the call included)`);

  // 2. A console session made through node 1 works on node 2.
  const session = await one.login('root');
  const onTwo = await two.call('GET', '/api/v1/session', { session });
  assert.equal(onTwo.status, 200, onTwo.text);
  assert.equal(onTwo.json.user, 'root');

  // 3. Node 2's listening connection terminated, again and again, while a change is made: the
  // NOTIFY is lost; node 2 reconnects and catches up by revision.
  const admin = postgres(cluster!.url, { max: 1, onnotice: () => {} });
  t.after(() => admin.end({ timeout: 1 }));
  const listenName = `gatehouse-listen pid ${two.serve.child.pid}`;
  const before = await admin<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE application_name = ${listenName}`;
  assert.equal(before.length, 1, `node 2 has one listening connection named "${listenName}"`);
  let killing = true;
  const killer = (async () => {
    while (killing) {
      await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ${listenName}`;
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  await two.serve.waitFor(/the connection listening for changes was lost/, 'node 2 losing its listening connection');
  const changed = await ghAsync(data, ['binding', 'edit', 'farm', '--protocol', 'https', '--port', String(port), '--host', 'b.farm.test', '--sni', '--cert', 'C']);
  killing = false;
  await killer;
  assert.equal(changed.code, 0, describeRun(changed));
  const lostAt = Date.now();
  for (const [i, ip] of ips.entries()) await served(ip, 'b.farm.test', c, lostAt, `node ${i + 1} after node 2's listening connection was terminated`);
  await two.serve.waitFor(/listening for changes again; catching up on the revision/, 'node 2 listening again');
  let afterKill: { pid: number }[] = [];
  await eventually('node 2 listens again, on one connection', async () => {
    afterKill = await admin<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE application_name = ${listenName}`;
    return afterKill.length === 1;
  });
  assert.notEqual(afterKill[0]!.pid, before[0]!.pid, 'a new backend');

  // 4. A misbehaving peer: a NOTIFY that is not a revision is ignored; every node keeps serving and following.
  const channel = `gatehouse_${schemaFor(data)}`.slice(0, 63);
  // A NOTIFY reaches only the connections listening when it is sent (a node that is just making its
  // listening connection again misses it, by design): sent again until every node has said so.
  const oddSaid = /ignored a notification on the store's channel that is not a revision/;
  await eventually(`every node ignored the odd notification\n${nodes.map((n) => n.log()).join('\n')}`, async () => {
    await admin`SELECT pg_notify(${channel}, 'not a revision; DROP TABLE sites')`;
    return nodes.every((n) => oddSaid.test(n.out));
  }, 30_000, 500);
  for (const ip of ips) assert.equal(presented(ip, port, 'b.farm.test'), c);

  // 5. PostgreSQL stopped: every node keeps serving what it had (no crash), and says so once.
  const mark = nodes.map((n) => n.out.length);
  cluster!.halt();
  try {
    await new Promise((r) => setTimeout(r, 6_000)); // past a safety-net poll (5 s) and several reconnect attempts
    for (const [i, ip] of ips.entries()) {
      assert.ok(!nodes[i]!.exited, `node ${i + 1} still runs:\n${nodes[i]!.log()}`);
      assert.equal(presented(ip, port, 'b.farm.test'), c, `node ${i + 1} serves what it had`);
      assert.equal(presented(ip, port, 'a.farm.test'), a, `node ${i + 1} serves what it had`);
    }
  } finally {
    cluster!.resume();
  }
  for (const [i, n] of nodes.entries()) {
    const since = n.out.slice(mark[i]);
    assert.equal(since.match(/the connection listening for changes was lost/g)?.length ?? 0, 1, `node ${i + 1} said once that its listening connection was lost, not per reconnect attempt:\n${n.log()}`);
    assert.ok((since.match(/the store could not be read/g)?.length ?? 0) <= 1, `node ${i + 1} logs the unreadable store once, not per poll:\n${n.log()}`);
  }

  // ... started again: a new change reaches all three.
  const back = Date.now();
  const r = gh(data, ['binding', 'add', 'farm', '--protocol', 'https', '--port', String(port), '--host', 'd.farm.test', '--sni', '--cert', 'D']);
  assert.equal(r.code, 0, describeRun(r));
  const after = await Promise.all(ips.map((ip, i) => served(ip, 'd.farm.test', d, back, `node ${i + 1} after PostgreSQL came back`)))
    .catch((e: Error) => {
      throw new Error(`${e.message}\n${nodes.map((n, i) => `node ${i + 1} since PostgreSQL was stopped:\n${n.out.slice(mark[i])}`).join('\n')}`);
    });
  t.diagnostic(`after PostgreSQL was stopped and started again, a new binding served by all three nodes within ${Math.max(...after)} ms of the command's start`);
  for (const [i, n] of nodes.entries()) await n.waitFor(/listening for changes again/, `node ${i + 1} listening again`);

  // The store's password is in no node's output.
  for (const n of nodes) assert.ok(!n.out.includes(PG_PASSWORD) && !n.err.includes(PG_PASSWORD), `no password in:\n${n.log()}`);
  // Every node serves the store's revision.
  const status = ghJson<{ revision: number; processes: Array<{ revision: number; live: boolean }> }>(data, ['serve', 'status']);
  await eventually('every serving process reports the store\'s revision', () => {
    const s = ghJson<{ revision: number; processes: Array<{ revision: number; live: boolean }> }>(data, ['serve', 'status']);
    return s.processes.filter((p) => p.live).length === 3 && s.processes.every((p) => !p.live || p.revision === s.revision);
  });
  assert.ok(status.revision > 0);
});
