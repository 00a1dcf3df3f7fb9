// The README's test command on a fresh machine: scripts/test-deps.sh installs the Debian peers the
// tests need when they are missing, as root (apt-get directly) and as a user with sudo, and says
// what to do when it can do neither. Run against stand-in commands on a PATH that has none of the
// peers, so nothing is installed and the machine's own peers do not hide a missing step. And
// bin/gatehouse runs on Node.js 24 whatever `node` the shell finds first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, BIN, tmpDir } from '../support/cli.js';

const SCRIPT = join(ROOT, 'scripts', 'test-deps.sh');
/** Each peer's command, and the Debian package that brings it. */
const PEERS: Record<string, string> = { openssl: 'openssl', curl: 'curl', chromium: 'chromium', swaks: 'swaks', testssl: 'testssl.sh', knotd: 'knot', kdig: 'knot-dnsutils', pebble: 'pebble' };
const PACKAGES = [...Object.values(PEERS), 'postgresql'].join(' ');

/** A folder of stand-ins: a recording apt-get, `id` answering `uid`, optionally `sudo`, and the given peers. */
function standIns(opts: { uid: number; sudo: boolean; present?: string[] }): { bin: string; log: string } {
  const bin = tmpDir('gh-fresh-');
  const log = join(bin, 'calls.log');
  writeFileSync(log, '');
  const script = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  script('apt-get', `echo "apt-get $* DEBIAN_FRONTEND=$DEBIAN_FRONTEND SUDO=\${SUDO_STANDIN:-no}" >> ${log}`);
  script('id', `[ "$1" = "-u" ] && echo ${opts.uid}`);
  if (opts.sudo) script('sudo', `export SUDO_STANDIN=yes; exec "$@"`);
  // PostgreSQL's programs live off PATH, under /usr/lib/postgresql/VERSION/bin: the stand-in's is under bin/pglib.
  mkdirSync(join(bin, 'pglib'));
  for (const p of opts.present ?? []) {
    if (p === 'postgresql') {
      mkdirSync(join(bin, 'pglib', '15', 'bin'), { recursive: true });
      script(join('pglib', '15', 'bin', 'initdb'), 'exit 0');
      script('psql', 'exit 0');
    } else script(p, 'exit 0');
  }
  // What the script itself needs from a real system, and nothing else: no peer can leak in.
  for (const tool of ['env', 'echo']) {
    const real = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (real.startsWith('/')) symlinkSync(real, join(bin, tool));
  }
  return { bin, log };
}

function runScript(bin: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('/bin/sh', [SCRIPT], { env: { PATH: bin, HOME: bin, GATEHOUSE_PG_LIB: join(bin, 'pglib') }, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('as root with every peer missing: apt-get update, then one non-interactive install of all of them', () => {
  const { bin, log } = standIns({ uid: 0, sudo: false });
  const r = runScript(bin);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `installing test peers: ${PACKAGES}\n`);
  const calls = readFileSync(log, 'utf8').trim().split('\n');
  assert.deepEqual(calls, [
    'apt-get update -qq DEBIAN_FRONTEND=noninteractive SUDO=no',
    `apt-get install -y -qq ${PACKAGES} DEBIAN_FRONTEND=noninteractive SUDO=no`,
  ]);
});

test('as a normal user with sudo: the same two calls, through sudo', () => {
  const { bin, log } = standIns({ uid: 1000, sudo: true, present: ['openssl', 'curl', 'kdig'] });
  const r = runScript(bin);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), [
    'apt-get update -qq DEBIAN_FRONTEND=noninteractive SUDO=yes',
    'apt-get install -y -qq chromium swaks testssl.sh knot pebble postgresql DEBIAN_FRONTEND=noninteractive SUDO=yes',
  ]);
});

test('as a normal user without sudo: one clear error naming the packages, and nothing run', () => {
  const { bin, log } = standIns({ uid: 1000, sudo: false });
  const r = runScript(bin);
  assert.equal(r.code, 1);
  assert.ok(r.stderr.startsWith(`error: the tests need these Debian packages: ${PACKAGES}. Install them as root`), r.stderr);
  assert.equal(readFileSync(log, 'utf8'), '');
});

test('with every peer present: nothing is installed', () => {
  const { bin, log } = standIns({ uid: 0, sudo: false, present: [...Object.keys(PEERS), 'postgresql'] });
  const r = runScript(bin);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(readFileSync(log, 'utf8'), '');
});

test('bin/gatehouse runs on Node.js 24 from node_modules even when the shell finds an older node first', () => {
  const bundled = join(ROOT, 'node_modules', '.bin', 'node');
  assert.ok(existsSync(bundled), 'npm ci installs Node.js 24 into node_modules/.bin/node');
  // A PATH whose first node is the system's (20 on this machine), as in a user's shell.
  const r = spawnSync(BIN, ['--version'], { env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^gatehouse \S+ \(Node\.js v24\.\d+\.\d+, OpenSSL 3\.[5-9]\.\d+\)\n$/);
});

test('the launcher refuses an older Node.js with one line that says what to do', () => {
  const old = spawnSync('/usr/bin/node', ['--version'], { encoding: 'utf8' });
  const major = Number(/^v(\d+)/.exec(old.stdout ?? '')?.[1] ?? 0);
  // The machine's own node is what an administrator would run it with by mistake; without one older than 24 there is nothing to refuse.
  assert.ok(major > 0, 'the system has a node (Debian 12: 18 or 20) to try the launcher with');
  const r = spawnSync('/usr/bin/node', [join(ROOT, 'bin', 'launch.mjs'), '--version'], { encoding: 'utf8' });
  if (major >= 24) {
    assert.equal(r.status, 0);
    return;
  }
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^error: Gatehouse needs Node\.js 24 or newer; this is v\d+\.\d+\.\d+\. Run "npm ci" .*\(GH_RUNTIME_UNSUPPORTED\)\n$/);
});
