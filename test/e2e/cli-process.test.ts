// End-to-end: how the CLI behaves as a process — what a failed command leaves on disk, and what a
// reader that closes the pipe early (`gatehouse … | head -0`) does to the output and exit status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { BIN, gh, ghJson, assertCleanError, storeArgs, testingPostgres, tmpDir, join, writeText } from '../support/cli.js';

test('a refused command leaves no new data directory and no master key behind', () => {
  const dir = tmpDir('gh-newdir-');
  const junk = writeText(join(dir, 'junk.pfx'), 'not a certificate\n');
  const fresh = join(dir, 'fresh');
  assertCleanError(gh(fresh, ['cert', 'import', '--file', junk]), 'GH_NOT_A_CERTIFICATE');
  assert.ok(!existsSync(fresh), `${fresh} must not exist after a refused import`);

  // Missing parents made on the way go too.
  const nested = join(dir, 'a', 'b', 'data');
  assertCleanError(gh(nested, ['cert', 'import', '--file', junk]), 'GH_NOT_A_CERTIFICATE');
  assert.ok(!existsSync(join(dir, 'a')), 'the parents made for the data directory must not remain');

  // A store that cannot even be opened (a bad $GATEHOUSE_MASTER_KEY) leaves nothing either.
  const badKey = join(dir, 'bad-key');
  assertCleanError(gh(badKey, ['cert', 'list'], { env: { GATEHOUSE_MASTER_KEY: 'too-short' } }), 'GH_MASTER_KEY_INVALID');
  assert.ok(!existsSync(badKey), `${badKey} must not exist after the master key was refused`);
  assert.deepEqual(readdirSync(dir), ['junk.pfx']);
});

test('a refused command keeps a data directory that existed, and a command that succeeds keeps the one it made', () => {
  const dir = tmpDir('gh-newdir-');
  const junk = writeText(join(dir, 'junk.pfx'), 'not a certificate\n');
  const existing = join(dir, 'existing');
  mkdirSync(existing);
  assertCleanError(gh(existing, ['cert', 'import', '--file', junk]), 'GH_NOT_A_CERTIFICATE');
  assert.ok(existsSync(join(existing, 'master.key')), 'the store opened in an existing directory stays');

  const fresh = join(dir, 'fresh');
  ghJson(fresh, ['cert', 'list']);
  assert.ok((testingPostgres() || existsSync(join(fresh, 'gatehouse.db'))) && existsSync(join(fresh, 'master.key')));
});

/** Runs the CLI with its stdout a pipe whose reading end is closed before the CLI writes anything. */
function runWithClosedStdout(args: string[]): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    child.stdout!.destroy();
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

test('a closed stdout pipe ends the command quietly with its normal exit status', async () => {
  const dir = tmpDir('gh-pipe-');
  const help = await runWithClosedStdout(['--help']);
  assert.deepEqual(help, { code: 0, signal: null, stderr: '' }, 'gatehouse --help | head -0');

  const data = join(dir, 'data');
  const list = await runWithClosedStdout(['cert', 'list', '--json', '--data', data, ...storeArgs(data)]);
  assert.deepEqual(list, { code: 0, signal: null, stderr: '' }, 'gatehouse cert list --json | head -0');

  // A refused command still says why on stderr, once, and exits 1.
  const junk = writeText(join(dir, 'junk.pfx'), 'not a certificate\n');
  const refused = await runWithClosedStdout(['cert', 'import', '--file', junk, '--data', data, ...storeArgs(data)]);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /^error: .+ \(GH_NOT_A_CERTIFICATE\)\n$/);
});
