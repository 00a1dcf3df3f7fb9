import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readPfx, writePfx } from './pkcs12.js';
import { makeTestPki } from './test-certificates.js';
import { spkiDer } from './key-pair.js';
import { GatehouseError } from '../model/gatehouse-error.js';

for (const legacy of [false, true]) {
  test(`a PFX we write (${legacy ? 'legacy' : 'modern'}) reads back: certificates byte for byte, key, friendly name`, async () => {
    const pki = await makeTestPki({ leafKey: 'rsa-2048' });
    const pfx = writePfx(pki.leaf, [pki.intermediate], pki.leafKeys.privateKey, { password: 'pässword', friendlyName: 'www — Unit CA', legacy });
    const back = readPfx(pfx, 'pässword');
    assert.deepEqual(back.certificates, [pki.leaf, pki.intermediate]);
    assert.ok(back.privateKey);
    assert.deepEqual(spkiDer(back.privateKey!), spkiDer(pki.leafKeys.publicKey));
    assert.equal(back.friendlyName, 'www — Unit CA');
    assert.throws(() => readPfx(pfx, 'wrong'), (e: unknown) => e instanceof GatehouseError && e.code === 'GH_PFX_BAD_PASSWORD');
  });
}

test('garbage is not a PFX', () => {
  assert.throws(() => readPfx(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x03]), 'x'), (e: unknown) => e instanceof GatehouseError && e.code === 'GH_PFX_INVALID');
});
