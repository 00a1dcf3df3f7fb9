// A master.key that users other than its owner can read (or write) is refused, not used: every
// command and serve answer GH_MASTER_KEY_EXPOSED with the chmod that fixes it, and nothing changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, statSync } from 'node:fs';
import { dataDir, gh, assertCleanError, join, selfSignedCert, storeSnapshot } from '../support/cli.js';

test('a master.key readable by others is refused with the chmod to run; the store is unchanged; after chmod 600 it works', () => {
  const data = dataDir();
  selfSignedCert(data, 'www.test', 'www');
  const key = join(data, 'master.key');
  assert.equal(statSync(key).mode & 0o777, 0o600, 'made 0600');
  const before = storeSnapshot(data);

  for (const mode of [0o644, 0o640, 0o604]) {
    chmodSync(key, mode);
    const list = gh(data, ['cert', 'list']);
    assertCleanError(list, 'GH_MASTER_KEY_EXPOSED');
    assert.ok(list.stderr.includes(`chmod 600 ${key}`), list.stderr);
    assert.ok(list.stderr.includes(`mode 0${mode.toString(8)}`), list.stderr);
    assertCleanError(gh(data, ['cert', 'self-signed', '--cn', 'other.test', '--friendly-name', 'other']), 'GH_MASTER_KEY_EXPOSED');
    assertCleanError(gh(data, ['serve', '--once']), 'GH_MASTER_KEY_EXPOSED');
    assert.equal(statSync(key).mode & 0o777, mode, 'not repaired behind the administrator\'s back');
  }

  chmodSync(key, 0o600);
  assert.deepEqual(storeSnapshot(data), before, 'the refused commands changed nothing');
  chmodSync(key, 0o400);
  assert.equal(gh(data, ['cert', 'list']).code, 0, 'read-only for the owner is fine');
});
