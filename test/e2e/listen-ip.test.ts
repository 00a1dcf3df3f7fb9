// `serve --listen-ip`: two nodes of one store on one host, each on its own loopback address, both
// serve the same All Unassigned (`*`) binding — the way docs/farm.md and the README run a farm on
// one machine. Without the option the second node could not listen (EADDRINUSE). A bad address is
// refused before anything starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { assertCleanError, dataDir, freePorts, gh, selfSignedCert, startServe, type ServeProcess } from '../support/cli.js';

function presented(ip: string, port: number): string {
  const r = spawnSync('openssl', ['s_client', '-connect', `${ip}:${port}`, '-servername', 'farm.test'], { input: '', encoding: 'utf8', timeout: 15_000 });
  return /subject=.*CN\s*=\s*(\S+)/.exec(r.stdout ?? '')?.[1] ?? `no certificate (exit ${r.status})`;
}

test('two serve nodes on one store, on 127.0.0.2 and 127.0.0.3, both serve a * binding; 127.0.0.1 is left alone', async (t) => {
  const data = dataDir();
  const [port] = await freePorts(1);
  selfSignedCert(data, 'farm.test', 'farm');
  assert.equal(gh(data, ['site', 'add', 'Farm', '--root', data]).code, 0);
  assert.equal(gh(data, ['binding', 'add', 'Farm', '--protocol', 'https', '--ip', '*', '--port', String(port), '--cert', 'farm']).code, 0);
  const nodes: ServeProcess[] = [];
  t.after(() => Promise.all(nodes.map((n) => n.stop())));
  for (const ip of ['127.0.0.2', '127.0.0.3']) nodes.push(await startServe(data, [`https *:${port} on ${ip} only`], ['--workers', '1', '--listen-ip', ip]));
  assert.equal(presented('127.0.0.2', port!), 'farm.test');
  assert.equal(presented('127.0.0.3', port!), 'farm.test');
  assert.match(presented('127.0.0.1', port!), /^no certificate/, 'nothing listens on the addresses the nodes were not given');
  for (const n of nodes) assert.doesNotMatch(n.out + n.err, /EADDRINUSE|cannot listen/);
});

test('serve --listen-ip refuses what is not one address of the host, before serving', () => {
  const data = dataDir();
  for (const bad of ['*', 'localhost', '127.0.0.300']) {
    const r = gh(data, ['serve', '--listen-ip', bad, '--admin', 'off']);
    assertCleanError(r, 'GH_USAGE', 2);
    assert.match(r.stderr, /--listen-ip takes one IPv4 or IPv6 address/);
  }
});
