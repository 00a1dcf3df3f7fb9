import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { buildChain, servedChain } from './certificate-chain.js';
import { makeTestPki } from './test-certificates.js';

test('the chain is ordered from the leaf upwards whatever order it came in', async () => {
  const pki = await makeTestPki();
  const built = buildChain(pki.leaf, [pki.root, pki.intermediate]);
  assert.deepEqual(built.chain, [pki.intermediate, pki.root]);
  assert.equal(built.complete, true);
  assert.equal(buildChain(pki.leaf, [pki.intermediate, pki.root], () => assert.fail('a path ending at a root needs no anchors')).complete, true);
});

test('without the root the chain is complete only when the root is a trust anchor, which ends the chain', async () => {
  const pki = await makeTestPki();
  assert.equal(buildChain(pki.leaf, [pki.intermediate]).complete, false);
  const built = buildChain(pki.leaf, [pki.intermediate], () => [new X509Certificate(pki.root)]);
  assert.equal(built.complete, true);
  assert.deepEqual(built.chain, [pki.intermediate, pki.root]);
  assert.equal(built.fromOthers, 1);
});

test('the served chain leaves out self-issued roots', async () => {
  const pki = await makeTestPki();
  assert.deepEqual(servedChain([pki.intermediate, pki.root]), [pki.intermediate]);
  assert.deepEqual(servedChain([pki.root, pki.intermediate]), [pki.intermediate]);
});

test('a missing intermediate leaves the chain incomplete; unrelated certificates are dropped', async () => {
  const pki = await makeTestPki();
  const other = await makeTestPki();
  const built = buildChain(pki.leaf, [pki.root, other.intermediate], () => [new X509Certificate(pki.root)]);
  assert.deepEqual(built.chain, []);
  assert.equal(built.complete, false);
});
