// The serving processes' reports: whether `serve` runs on a store, and waiting until every serving
// process serves a revision (what issuance and renewals wait on before a CA or a probe looks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, refused } from './managers.test-support.js';
import { LIVE_MS } from './serving-processes.js';

test('no report: nothing runs, and waiting says so', async (t) => {
  const { g } = fixture(t);
  assert.deepEqual(g.processes.status().processes, []);
  const e = await refused('GH_SERVE_NOT_RUNNING', () => g.processes.waitFor(1, { timeoutMs: 50 }));
  assert.match(e.message, /gatehouse serve status/);
});

test('a process that reports is live until it leaves or stops reporting; reports do not move the revision', async (t) => {
  const { g, clock } = fixture(t);
  const before = g.serving.revision();
  const r = g.processes.reporter('worker');
  r.report(before, ['https *:443']);
  t.after(() => r.leave());
  const [p] = g.processes.status().processes;
  assert.equal(p?.pid, process.pid);
  assert.equal(p?.role, 'worker');
  assert.equal(p?.live, true);
  assert.deepEqual(p?.listeners, ['https *:443']);
  assert.equal(g.serving.revision(), before, 'a report is not a change');
  assert.equal(g.audit().length, 0, 'a report writes no audit record');
  clock.advance(LIVE_MS + 1000);
  assert.equal(g.processes.status().processes[0]?.live, false, 'silent for longer than LIVE_MS: gone');
  await refused('GH_SERVE_NOT_RUNNING', () => g.processes.waitFor(before, { timeoutMs: 50 }));
  r.report(before);
  assert.equal(g.processes.status().processes[0]?.live, true);
  r.leave();
  assert.deepEqual(g.processes.status().processes, []);
});

test('waitFor resolves once every live process serves the revision, and names the laggard otherwise', async (t) => {
  const { g } = fixture(t);
  const r = g.processes.reporter('single');
  t.after(() => r.leave());
  r.report(3);
  const e = await refused('GH_SERVE_BEHIND', () => g.processes.waitFor(4, { timeoutMs: 150, pollMs: 20 }));
  assert.match(e.message, new RegExp(`:${process.pid} serves 3`));
  const waiting = g.processes.waitFor(4, { timeoutMs: 5000, pollMs: 20 });
  setTimeout(() => r.report(4), 60);
  const live = await waiting;
  assert.deepEqual(live.map((p) => p.revision), [4]);
});

test('a reported pid that no longer runs on this host is not live, even within LIVE_MS', async (t) => {
  const { g } = fixture(t);
  const r = g.processes.reporter('worker');
  r.report(1);
  t.after(() => r.leave());
  // Another process's row, with a pid that cannot be running (beyond pid_max).
  (r as unknown as { me: { pid: number; id: string } }).me.pid = 2 ** 22 + 1;
  (r as unknown as { me: { pid: number; id: string } }).me.id = 'ghost';
  r.report(1);
  const ghost = g.processes.status().processes.find((p) => p.id === 'ghost');
  assert.equal(ghost?.live, false);
});

test('farm: a node (this process as a serve supervisor) with its serving process, its lag behind the store, stale when silent, stopped when it says so', async (t) => {
  const { g, clock } = fixture(t);
  assert.deepEqual(g.processes.farm().nodes, []);
  const node = g.processes.nodeReporter({ version: '9.9.9', admin: '127.0.0.1:8443' });
  const r = g.processes.reporter('single');
  t.after(() => {
    r.leave();
    node.leave();
  });
  r.report(g.serving.revision(), ['https *:443']);
  let [n] = g.processes.farm().nodes;
  assert.equal(n?.id.endsWith(`:${process.pid}`), true);
  assert.deepEqual([n?.state, n?.version, n?.admin, n?.processes, n?.listeners, n?.revision, n?.lag.revisions], ['live', '9.9.9', '127.0.0.1:8443', 1, ['https *:443'], g.serving.revision(), 0]);
  g.sites.add({ name: 'A', proxy: 'http://127.0.0.1:9' });
  n = g.processes.farm().nodes[0];
  assert.equal(n?.lag.revisions, 1, 'a change the node has not applied: one revision behind');
  assert.equal(g.audit().filter((a) => a.action.startsWith('node')).length, 0, 'node reports are not changes');
  clock.advance(LIVE_MS + 1000);
  n = g.processes.farm().nodes[0];
  assert.equal(n?.state, 'stale', 'silent for longer than LIVE_MS');
  assert.equal(n?.revision, null, 'no live serving process: no revision served');
  assert.equal(n?.lag.seconds, Math.round((LIVE_MS + 1000) / 1000));
  node.leave();
  n = g.processes.farm().nodes[0];
  assert.equal(n?.state, 'stopped');
  assert.ok(n?.stopped);
});

test('farm: a worker belongs to its supervisor\'s node', (t) => {
  const { g } = fixture(t);
  const r = g.processes.reporter('worker');
  t.after(() => r.leave());
  r.report(1);
  const [n] = g.processes.farm().nodes;
  assert.equal(n?.pid, process.ppid, 'the node is the parent process');
  assert.equal(n?.processes, 1);
});
