// `gatehouse serve status` and GET /api/v1/server/processes: every serving process reports the
// revision it serves — what ACME issuance and renewals wait on before a CA or a probe looks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataDir, eventually, freePorts, gh, ghJson, join, selfSignedCert, startServe, tmpDir, writeText, type ServeProcess } from '../support/cli.js';

interface Status { revision: number; processes: Array<{ id: string; pid: number; role: string; revision: number; live: boolean; listeners: string[] }> }

const [PORT, ADMIN] = (await freePorts(2)) as [number, number];

test('serve status: nothing serving, then two workers at the current revision, following a change, gone after stop', async () => {
  const data = dataDir();
  const idle = gh(data, ['serve', 'status']);
  assert.equal(idle.code, 0, idle.stderr);
  assert.match(idle.stdout, /No process is serving this store/);
  const root = tmpDir('gh-www-');
  writeText(join(root, 'index.html'), 'hi\n');
  selfSignedCert(data, 'status.test', 'status');
  ghJson(data, ['site', 'add', 'status', '--root', root]);
  ghJson(data, ['binding', 'add', 'status', '--protocol', 'https', '--port', String(PORT), '--cert', 'status']);
  let server: ServeProcess | undefined = await startServe(data, [`https *:${PORT}`], ['--workers', '2', '--admin', `127.0.0.1:${ADMIN}`]);
  try {
    let status = ghJson<Status>(data, ['serve', 'status']);
    await eventually('both workers report', () => {
      status = ghJson<Status>(data, ['serve', 'status']);
      return status.processes.filter((p) => p.live).length === 2;
    });
    for (const p of status.processes) {
      assert.equal(p.role, 'worker');
      assert.equal(p.revision, status.revision);
      assert.ok(p.listeners.includes(`https *:${PORT}`), JSON.stringify(p.listeners));
    }
    ghJson(data, ['site', 'add', 'second', '--root', root]);
    await eventually('both workers report the new revision', () => {
      const s = ghJson<Status>(data, ['serve', 'status']);
      return s.processes.length === 2 && s.processes.every((p) => p.live && p.revision === s.revision) && s.revision > status.revision;
    });
    const text = gh(data, ['serve', 'status']).stdout;
    assert.match(text, /2 process\(es\) serving this store at revision \d+, all up to date/);
    await server.stop();
    server = undefined;
    const after = ghJson<Status>(data, ['serve', 'status']);
    assert.deepEqual(after.processes, [], 'a process that ends removes its report');
  } finally {
    await server?.stop();
  }
});

test('a serving process killed with SIGKILL is shown as gone, not live', async () => {
  const data = dataDir();
  const server = await startServe(data, [], ['--workers', '1', '--admin', 'off']);
  try {
    await eventually('the process reports', () => ghJson<Status>(data, ['serve', 'status']).processes.some((p) => p.live));
    server.child.kill('SIGKILL');
    await eventually('the killed process is gone', () => {
      const s = ghJson<Status>(data, ['serve', 'status']);
      return s.processes.length === 1 && s.processes[0]?.live === false;
    });
    assert.match(gh(data, ['serve', 'status']).stdout, /No process is serving this store[\s\S]*gone \(last seen/);
  } finally {
    await server.stop();
  }
});

test('serve without --workers runs the documented default: one fewer than the cores, at least one (a single process on 2 cores)', async () => {
  const { defaultWorkerCount } = await import('../../src/serve/worker-pool.js');
  const { availableParallelism } = await import('node:os');
  const data = dataDir();
  const server = await startServe(data, [], ['--admin', 'off']);
  try {
    const n = Math.max(1, availableParallelism() - 1);
    assert.equal(defaultWorkerCount(), n);
    await eventually(`${n} serving process(es) report`, () => ghJson<Status>(data, ['serve', 'status']).processes.filter((p) => p.live).length === n);
    const roles = ghJson<Status>(data, ['serve', 'status']).processes.map((p) => p.role);
    assert.deepEqual(roles, n === 1 ? ['single'] : Array.from({ length: n }, () => 'worker'));
    if (n > 1) assert.match(server.out, new RegExp(`serving with ${n} worker processes`));
  } finally {
    await server.stop();
  }
});
