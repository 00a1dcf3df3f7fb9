import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { BIN, curlAsync, dataDir, eventually, freePorts, gh, ghJson, join, ROOT, selfSignedCert, ServeProcess, tmpDir, writeText } from '../support/cli.js';

/**
 * Issue #10, capability 3: a worker that cannot accept is noticed and replaced, and killing the
 * supervisor does not take the listeners down with it. Each test runs `serve --workers 2` on one
 * static https site and checks from outside (curl, ps) what a client and an administrator see.
 */

/** A store with one static https site on `port` (s.test); answers the data directory. */
function staticSite(port: number): string {
  const data = dataDir();
  const root = tmpDir('gh-www-');
  mkdirSync(root, { recursive: true });
  writeText(join(root, 'index.html'), '<!DOCTYPE html><h1>still serving</h1>\n');
  const thumb = selfSignedCert(data, 's.test', 'health');
  ghJson(data, ['site', 'add', 'Static', '--root', root]);
  ghJson(data, ['binding', 'add', 'Static', '--protocol', 'https', '--port', String(port), '--host', 's.test', '--sni', '--cert', thumb]);
  return data;
}

const url = (port: number) => ['-k', '--max-time', '5', '--resolve', `s.test:${port}:127.0.0.1`, `https://s.test:${port}/`];

/** Starts serve and waits until `workers` worker processes listen on the port; answers their pids. */
async function startWorkers(t: TestContext, data: string, port: number, args: string[], wrapper: string[] = []): Promise<{ serve: ServeProcess; pids: number[] }> {
  const serve = new ServeProcess(data, ['--workers', '2', ...args], wrapper);
  t.after(() => serve.stop());
  await serve.waitFor(new RegExp(`(?:[\\s\\S]*?gatehouse\\[\\d+\\]: listening on https \\*:${port}\\s){2}`), 'both workers listening');
  return { serve, pids: workerPids(serve.out, port) };
}

function workerPids(out: string, port: number): number[] {
  return [...out.matchAll(new RegExp(`gatehouse\\[(\\d+)\\]: listening on https \\*:${port}\\s`, 'g'))].map((m) => Number(m[1]));
}

/** Which of `pids` still run (ps; a zombie counts as gone). */
function running(pids: number[]): number[] {
  try {
    const out = execFileSync('ps', ['-o', 'pid=,stat=', '-p', pids.join(',')], { encoding: 'utf8' });
    return out.trim().split('\n').map((l) => l.trim().split(/\s+/)).filter(([, stat]) => !stat?.startsWith('Z')).map(([pid]) => Number(pid));
  } catch {
    return []; // ps exits 1 when none of them exists
  }
}

/** Every one of `n` fresh clients in a row is served (a stalled or deaf worker would fail some). */
async function allServed(port: number, n: number): Promise<boolean> {
  for (let i = 0; i < n; i++) if ((await curlAsync(url(port))).status !== 200) return false;
  return true;
}

test('a worker out of file descriptors ends and is replaced, and fresh clients are served while the attacker still holds its connections', { timeout: 90_000 }, async (t) => {
  const [port] = await freePorts(1);
  const data = staticSite(port!);
  // 64 descriptors per process: a worker uses about 27 of them before the first client.
  // The handshake and header timeouts would close the held connections after 10 s and 20 s and the
  // workers would recover by themselves: long ones here, so that only being replaced can help.
  const { serve } = await startWorkers(t, data, port!, ['--handshake-timeout', '120', '--header-timeout', '120'], ['prlimit', '--nofile=64:64']);
  assert.equal((await curlAsync(url(port!))).status, 200);
  // The attacker opens far more connections than both workers can hold, and keeps them open.
  const held: Socket[] = [];
  t.after(() => held.forEach((s) => s.destroy()));
  for (let i = 0; i < 150; i++) {
    const s = connect(port!, '127.0.0.1');
    s.on('error', () => undefined);
    held.push(s);
  }
  await serve.waitFor(/out of file descriptors \(EMFILE\): new connections are turned away/, 'that a worker ran out of descriptors', 20_000);
  await serve.waitFor(/worker \d+ exited \(75\)/, 'a worker ending because it could not accept', 20_000);
  await serve.waitFor(/worker \d+ exited \(75\); starting another/, 'the supervisor starting another');
  // The connections held on the ended workers are gone with them; the attacker still holds the rest.
  await eventually('fresh clients served again (3 in a row)', () => allServed(port!, 3), 30_000, 500);
  assert.ok(!serve.exited, serve.log());
});

test('a worker whose event loop is stalled (SIGSTOP) is killed and replaced within --worker-timeout', { timeout: 60_000 }, async (t) => {
  const [port] = await freePorts(1);
  const data = staticSite(port!);
  const { serve, pids } = await startWorkers(t, data, port!, ['--worker-timeout', '2']);
  const stalled = pids[0]!;
  // Let it answer the supervisor's pings first (they start with the worker; one listens for them before it serves).
  await new Promise((r) => setTimeout(r, 1500));
  process.kill(stalled, 'SIGSTOP');
  t.after(() => {
    try {
      process.kill(stalled, 'SIGKILL');
    } catch {
      /* already gone */
    }
  });
  await serve.waitFor(new RegExp(`worker ${stalled} has not answered for \\d+ s \\(its event loop is stalled\\); killing it and starting another`), 'the stalled worker noticed', 20_000);
  await serve.waitFor(new RegExp(`worker ${stalled} exited \\(SIGKILL\\); starting another`), 'the stalled worker replaced');
  await eventually('a third worker listening', () => workerPids(serve.out, port!).length >= 3, 15_000);
  assert.deepEqual(running([stalled]), []);
  // The stopped worker's socket went with it: no connection waits on it any more.
  assert.ok(await allServed(port!, 8), `not every client was served after the replacement:\n${serve.log()}`);
});

test('when the supervisor is killed its workers keep serving for --orphan-grace, then drain and end: no orphan is left', { timeout: 60_000 }, async (t) => {
  const [port] = await freePorts(1);
  const data = staticSite(port!);
  const { serve, pids } = await startWorkers(t, data, port!, ['--orphan-grace', '3']);
  process.kill(serve.child.pid!, 'SIGKILL');
  // (Not serve.waitFor: that gives up once the supervisor has exited, which is the point here.)
  await eventually('both workers noticing the supervisor is gone', () => (serve.out.match(/the supervisor is gone; serving on for 3 s/g) ?? []).length === 2, 10_000);
  // A restarted supervisor (systemd: RestartSec=1) would bind beside them; until then they serve.
  assert.ok(await allServed(port!, 4), `clients not served right after the supervisor was killed:\n${serve.log()}`);
  assert.equal(running(pids).length, 2, 'the workers are still there during the grace period');
  await eventually(`workers ${pids.join(', ')} ended after the grace period`, () => running(pids).length === 0, 20_000, 250);
  assert.match(serve.out, /gatehouse\[\d+\]: stopped/);
});

test('docs/gatehouse.service: the settings the issue asks for, flags serve knows, and a unit systemd accepts', (t) => {
  const unit = readFileSync(join(ROOT, 'docs', 'gatehouse.service'), 'utf8');
  const settings = new Map<string, string>();
  for (const line of unit.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) settings.set(m[1]!, m[2]!);
  }
  for (const [key, value] of Object.entries({
    User: 'gatehouse', Restart: 'always', RestartSec: '1', LimitNOFILE: '65536', NoNewPrivileges: 'yes', ProtectSystem: 'strict',
    AmbientCapabilities: 'CAP_NET_BIND_SERVICE', CapabilityBoundingSet: 'CAP_NET_BIND_SERVICE', ReadWritePaths: '/var/lib/gatehouse',
  })) assert.equal(settings.get(key), value, `${key}= in docs/gatehouse.service`);
  // ExecStart's flags are ones serve takes: `serve --once` with them reads the store and exits 0.
  const exec = settings.get('ExecStart')!.split(/\s+/);
  assert.equal(exec[0], '/opt/gatehouse/bin/gatehouse');
  assert.equal(exec[1], 'serve');
  const data = dataDir();
  assert.equal(exec[exec.indexOf('--data') + 1], settings.get('ReadWritePaths'), 'the store is in the one writable directory');
  // (gh adds --data for the test's own store.)
  const flags = exec.slice(2).filter((_, i, all) => all[i] !== '--data' && all[i - 1] !== '--data');
  const r = gh(data, ['serve', ...flags, '--once']);
  assert.equal(r.code, 0, r.stderr);
  // systemd's own check, with the command pointed at this checkout's bin/gatehouse (it must exist).
  const check = tmpDir('gh-unit-');
  writeText(join(check, 'gatehouse.service'), unit.replaceAll('/opt/gatehouse/bin/gatehouse', BIN));
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
  } catch {
    t.skip('systemd-analyze is not installed');
    return;
  }
  const verify = spawnSync('systemd-analyze', ['verify', '--man=no', join(check, 'gatehouse.service')], { encoding: 'utf8' });
  assert.equal(verify.status, 0, verify.stderr);
  assert.equal(verify.stderr.trim(), '', 'systemd-analyze verify found something to say');
});
