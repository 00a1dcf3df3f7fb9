import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupOfSession, negotiatedGroup, tlsGroupName, tlsGroups } from './tls-group.js';

// What a Node 24 server socket's getSession() answered after TLS 1.3 handshakes (no master key in a
// TLS 1.3 session's encoding): the last field, [19] INTEGER, is the key exchange group.
const MLKEM_SESSION = '3047020101020203040402130204000400a10602046b0ad9f7a20402021c20a42204208cc50d7f85c6dd65c6386d27266cef412672e5990bd14b351009d96daf37b501b304020211ec';
const X25519_SESSION = '3046020101020203040402130204000400a10602046b0ad9f7a20402021c20a422042033c5a62394c756d415ce38f73a8df738b748eef02187303546c9f6b08a13c0d7b30302011d';

test('the groups offered: X25519MLKEM768 first where OpenSSL knows it (3.5+), then X25519, P-256, P-384', () => {
  assert.equal(tlsGroups('3.5.9'), 'X25519MLKEM768:X25519:prime256v1:secp384r1');
  assert.equal(tlsGroups('4.0.0'), 'X25519MLKEM768:X25519:prime256v1:secp384r1');
  assert.equal(tlsGroups('3.0.13+quic'), 'X25519:prime256v1:secp384r1');
  assert.equal(tlsGroups('3.4.1'), 'X25519:prime256v1:secp384r1');
});

test('the group is read from the kex_group field of an OpenSSL session', () => {
  assert.equal(groupOfSession(Buffer.from(MLKEM_SESSION, 'hex')), 'X25519MLKEM768');
  assert.equal(groupOfSession(Buffer.from(X25519_SESSION, 'hex')), 'X25519');
});

test('a session without the field, cut short or not DER gives no group', () => {
  const withoutGroup = Buffer.from(X25519_SESSION.slice(0, -10).replace(/^3046/, '3041'), 'hex');
  assert.equal(groupOfSession(withoutGroup), undefined);
  assert.equal(groupOfSession(Buffer.from(MLKEM_SESSION, 'hex').subarray(0, 40)), undefined);
  assert.equal(groupOfSession(Buffer.from('not a session')), undefined);
  assert.equal(groupOfSession(new Uint8Array()), undefined);
});

test('group names are the ones OpenSSL prints; unknown code points in hex', () => {
  assert.equal(tlsGroupName(0x17), 'secp256r1');
  assert.equal(tlsGroupName(0x11ed), 'SecP384r1MLKEM1024');
  assert.equal(tlsGroupName(0x1234), '0x1234');
});

test('a client socket says its group; a server socket (null there) is read from its session', () => {
  assert.equal(negotiatedGroup({ getEphemeralKeyInfo: () => ({ type: 'TLSGroup', name: 'X25519MLKEM768' }), getSession: () => undefined }), 'X25519MLKEM768');
  assert.equal(negotiatedGroup({ getEphemeralKeyInfo: () => null, getSession: () => Buffer.from(MLKEM_SESSION, 'hex') }), 'X25519MLKEM768');
  assert.equal(negotiatedGroup({ getEphemeralKeyInfo: () => ({}), getSession: () => undefined }), undefined);
});
