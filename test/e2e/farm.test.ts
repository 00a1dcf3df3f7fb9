// A farm on one store: two `gatehouse serve` nodes on the same data directory (other ports). A
// console session made through one works on the other and survives a restart; logging out on one
// logs out on both; the log-in throttle counts failures made on either node; `gatehouse farm status`
// and GET /api/v1/farm list both nodes, the revision each serves and its lag, and mark a stopped
// and a killed one. Three nodes started at once on an empty store make one admin certificate between
// them; a node whose start fails (an admin certificate that does not exist) is not listed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertCleanError, dataDir, eventually, freePorts, gh, ghJson, ServeProcess } from '../support/cli.js';
import { ADMIN_CERT_NAME, AdminServer, addUser, assertProblem, createToken, PASSWORD } from '../support/admin.js';

interface FarmNode { id: string; pid: number; version: string; admin: string | null; state: string; revision: number | null; processes: number; lag: { revisions: number | null; seconds: number }; stopped: string | null }
interface Farm { revision: number; nodes: FarmNode[] }

test('two serve nodes on one store share console sessions and the log-in throttle; farm status lists them, marks the stopped and the killed', async (t) => {
  const data = dataDir();
  addUser(data, 'root', 'organization-management');
  addUser(data, 'guessed', 'view-only');
  const token = createToken(data, 'root');
  const servers: AdminServer[] = [];
  t.after(() => Promise.all(servers.map((s) => s.stop())));
  const one = await AdminServer.start(data);
  servers.push(one);
  const two = await AdminServer.start(data);
  servers.push(two);

  // A session made through node one works on node two.
  const session = await one.login('root');
  const onTwo = await two.call('GET', '/api/v1/session', { session });
  assert.equal(onTwo.status, 200, onTwo.text);
  assert.equal(onTwo.json.user, 'root');
  assert.equal(onTwo.json.csrfToken, session.csrfToken, 'the same session, with its CSRF token');
  // A change through node two with the session made on one.
  const added = await two.call('POST', '/api/v1/sites', { session, body: { name: 'farm', proxy: 'http://127.0.0.1:9' } });
  assert.equal(added.status, 201, added.text);

  // Node one restarted: the session still works.
  await one.stop();
  const again = await AdminServer.start(data);
  servers.push(again);
  const afterRestart = await again.call('GET', '/api/v1/session', { session });
  assert.equal(afterRestart.status, 200, afterRestart.text);

  // Logged out on two: logged out on the restarted one too.
  const out = await two.call('DELETE', '/api/v1/session', { session });
  assert.equal(out.status, 200, out.text);
  assertProblem(await again.call('GET', '/api/v1/session', { session }), 401, 'GH_SESSION_EXPIRED', 'after logging out on the other node');

  // The throttle: three failures on one node and two on the other throttle the name on both.
  for (let i = 0; i < 3; i++) assert.equal((await again.call('POST', '/api/v1/session', { body: { user: 'guessed', password: 'wrong' } })).status, 401);
  for (let i = 0; i < 2; i++) assert.equal((await two.call('POST', '/api/v1/session', { body: { user: 'guessed', password: 'wrong' } })).status, 401);
  assertProblem(await again.call('POST', '/api/v1/session', { body: { user: 'guessed', password: PASSWORD } }), 429, 'GH_LOGIN_THROTTLED', 'node one');
  assertProblem(await two.call('POST', '/api/v1/session', { body: { user: 'guessed', password: PASSWORD } }), 429, 'GH_LOGIN_THROTTLED', 'node two');

  // farm status: both nodes live, at the store's revision, with their version and admin address.
  let farm = ghJson<Farm>(data, ['farm', 'status']);
  await eventually('both nodes serve the store\'s revision', () => {
    farm = ghJson<Farm>(data, ['farm', 'status']);
    const live = farm.nodes.filter((n) => n.state === 'live');
    return live.length === 2 && live.every((n) => n.revision === farm.revision && n.lag.revisions === 0);
  });
  const byPid = (pid: number | undefined) => farm.nodes.find((n) => n.pid === pid);
  for (const [server, node] of [[again, byPid(again.serve.child.pid)], [two, byPid(two.serve.child.pid)]] as const) {
    assert.ok(node, JSON.stringify(farm));
    assert.equal(node.admin, `127.0.0.1:${server.port}`);
    assert.match(node.version, /^\d+\.\d+\.\d+/);
    assert.equal(node.processes, 1);
  }
  assert.equal(byPid(one.serve.child.pid)?.state, 'stopped', 'the node stopped for the restart is shown stopped');
  assert.match(gh(data, ['farm', 'status']).stdout, /2 of 3 node\(s\) live on this store at revision \d+, all up to date/);
  const api = await again.call('GET', '/api/v1/farm', { token });
  assert.equal(api.status, 200, api.text);
  assert.equal((api.json as Farm).nodes.filter((n) => n.state === 'live').length, 2);

  // Node two killed: stale at once (its pid is gone on this host), not stopped.
  two.serve.child.kill('SIGKILL');
  await eventually('the killed node is stale', () => ghJson<Farm>(data, ['farm', 'status']).nodes.find((n) => n.pid === two.serve.child.pid)?.state === 'stale');
  assert.match(gh(data, ['farm', 'status']).stdout, /STALE/);
});

test('three serve nodes started at once on an empty store make one admin certificate between them, and all use it', async (t) => {
  const data = dataDir();
  const ports = await freePorts(3);
  const nodes = ports.map((port) => new ServeProcess(data, ['--workers', '1', '--admin', `127.0.0.1:${port}`, '--renew-every', '0']));
  t.after(() => Promise.all(nodes.map((n) => n.stop())));
  for (const [i, n] of nodes.entries()) await n.waitFor(/admin: console and API on https:\/\//, `node ${i + 1}'s admin endpoint`, 30_000);
  const own = ghJson<Array<{ friendlyName: string; thumbprint: string }>>(data, ['cert', 'list', '--store', 'personal']).filter((c) => c.friendlyName === ADMIN_CERT_NAME);
  assert.equal(own.length, 1, `one admin certificate: ${JSON.stringify(own)}`);
  assert.equal(nodes.filter((n) => /admin: created the self-signed certificate/.test(n.out)).length, 1, 'one node made it');
  assert.equal(ghJson<Array<{ action: string }>>(data, ['audit']).filter((a) => a.action === 'cert.self-signed').length, 1, 'one audit record');
});

test('a serve whose start fails (an admin certificate that does not exist) is not listed by farm status', async () => {
  const data = dataDir();
  const [port] = await freePorts(1);
  const r = gh(data, ['serve', '--workers', '1', '--admin', `127.0.0.1:${port}`, '--admin-cert', 'no such certificate', '--renew-every', '0']);
  assertCleanError(r, 'GH_CERT_NOT_FOUND');
  assert.deepEqual(ghJson<Farm>(data, ['farm', 'status']).nodes, [], 'no node: it never served');
});
