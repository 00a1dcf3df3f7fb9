import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { BIN, dataDir, gh, storeArgs } from '../support/cli.js';

test('serve --once opens the store and reports what it holds', () => {
  const data = dataDir();
  assert.equal(gh(data, ['cert', 'self-signed', '--cn', 'a.test']).code, 0);
  assert.equal(gh(data, ['request', 'new', '--cn', 'b.test', '--key', 'ecdsa-p256', '--out', `${data}/b.csr`]).code, 0);
  const r = gh(data, ['serve', '--once', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const s = r.json();
  assert.equal(s.certificates.webhosting, 1);
  assert.equal(s.pendingRequests, 1);
  assert.equal(s.internalCa, null);
  assert.ok(s.revision >= 2);
});

test('serve follows changes another process makes, without a restart, and stops on SIGTERM', async () => {
  const data = dataDir();
  // One process, so that "serving revision" means the whole server is following the store.
  const child = spawn(BIN, ['serve', '--data', data, ...storeArgs(data), '--workers', '1', '--admin', 'off'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const listeners = new Set<() => void>();
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  });
  const waitFor = (pattern: RegExp, what: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!pattern.test(out)) return;
        clearTimeout(limit);
        listeners.delete(check);
        resolve();
      };
      const limit = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`serve did not report ${what} within 15 s; it printed:\n${out}`));
      }, 15_000);
      listeners.add(check);
      check();
    });
  try {
    await waitFor(/0 certificate\(s\) in webhosting/, 'the empty store');
    await waitFor(/serving revision 0/, 'the first configuration applied');
    assert.equal(gh(data, ['cert', 'self-signed', '--cn', 'live.test', '--store', 'personal', '--key', 'ecdsa-p256']).code, 0);
    await waitFor(/change applied: .* 1 in personal/, 'the new certificate');
  } finally {
    child.kill('SIGTERM');
  }
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.equal(code, 0);
  assert.match(out, /stopped/);
});
