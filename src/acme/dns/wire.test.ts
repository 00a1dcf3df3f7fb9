import { test } from 'node:test';
import assert from 'node:assert/strict';
import packets from 'dns-packet';
import { GatehouseError } from '../../model/gatehouse-error.js';
import { dns01Name, dns01Value } from './provider.js';
import { encodeUpdate, readAnswer, signTsig, verifyTsig, type TsigKey } from './wire.js';

const SERVER = { host: '127.0.0.1', port: 53 };
const KEY: TsigKey = { name: 'acme', algorithm: 'hmac-sha256', secret: Buffer.alloc(32, 9) };

test('the DNS-01 value is the base64url SHA-256 of the key authorization (openssl agrees)', () => {
  // printf %s KEYAUTH | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '='
  assert.equal(dns01Value('evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.nP1qzpXGymHBrUEepNY9HCsQk7K8KhOypzEt62jcerQ'), 'NGwKoXBgCT8JhEa0bK7AwfSqHyu_ZWeugV07fLGIVq0');
  assert.equal(dns01Name('*.Example.COM'), '_acme-challenge.example.com.');
  assert.equal(dns01Name('www.example.com.'), '_acme-challenge.www.example.com.');
});

test('an RFC 2136 delete of one value has class NONE and TTL 0; the update section is counted', () => {
  const m = encodeUpdate(0x1234, 'example.test', [{ name: '_acme-challenge.example.test', type: 'TXT', class: 'NONE', ttl: 0, data: ['v'] }]);
  assert.equal(m.readUInt16BE(2) >> 11, 5, 'opcode UPDATE');
  assert.deepEqual([m.readUInt16BE(4), m.readUInt16BE(6), m.readUInt16BE(8), m.readUInt16BE(10)], [1, 0, 1, 0]);
  const owner = packets.encodingLength({ questions: [{ type: 'SOA', name: 'example.test' }] }); // header and zone section
  const rr = owner + '_acme-challenge.example.test'.length + 2;
  assert.equal(m.readUInt16BE(rr), 16, 'type TXT');
  assert.equal(m.readUInt16BE(rr + 2), 254, 'class NONE');
  assert.equal(m.readUInt32BE(rr + 4), 0, 'TTL 0');
});

/** A signed answer as a server would send it: a response with TXT and SOA records, its TSIG over the request MAC. */
function signedAnswer(requestMac: Buffer): Buffer {
  const body = packets.encode({
    type: 'response', id: 77, flags: 5 << 11,
    questions: [{ type: 'SOA', name: 'example.test' }],
    answers: [{ type: 'TXT', name: '_acme-challenge.example.test', data: ['a', 'b'] }],
    authorities: [{ type: 'SOA', name: 'example.test', data: { mname: 'ns1.example.test', rname: 'h.example.test', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 1 } }],
  });
  // RFC 8945 §4.3.1: the answer's MAC starts with the request's MAC (its length, then the MAC).
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(requestMac.length, 0);
  const withPrefix = signTsig(Buffer.concat([prefix, requestMac, body]), KEY);
  // The TSIG record signTsig appended belongs to `body`; its original id field was read from the prefix.
  const tsig = withPrefix.signed.subarray(2 + requestMac.length + body.length);
  const idAt = tsig.length - 6;
  tsig.writeUInt16BE(77, idAt);
  const signed = Buffer.concat([body, tsig]);
  signed.writeUInt16BE(body.readUInt16BE(10) + 1, 10);
  return signed;
}

test('an answer signed over the request MAC verifies; another request MAC or key does not', () => {
  const requestMac = Buffer.alloc(32, 1);
  const buf = signedAnswer(requestMac);
  const a = readAnswer(buf, SERVER);
  assert.deepEqual(a.txt, [{ name: '_acme-challenge.example.test', strings: ['a', 'b'] }]);
  assert.deepEqual(a.soa, ['example.test']);
  assert.equal(a.opcode, 5);
  assert.equal(verifyTsig(buf, a, KEY, requestMac), undefined);
  assert.match(verifyTsig(buf, a, KEY, Buffer.alloc(32, 2)) ?? '', /does not verify/);
  assert.match(verifyTsig(buf, a, { ...KEY, secret: Buffer.alloc(32, 3) }, requestMac) ?? '', /does not verify/);
  assert.match(verifyTsig(buf, a, { ...KEY, name: 'other' }, requestMac) ?? '', /signed with another key/);
  assert.match(verifyTsig(buf, a, KEY, requestMac, Math.floor(Date.now() / 1000) + 3600) ?? '', /outside its fudge/);
});

/** A small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return (s >>> 8) / 0x1000000;
  };
}

function readsCleanly(buf: Buffer, what: string): void {
  try {
    const a = readAnswer(buf, SERVER);
    verifyTsig(buf, a, KEY, Buffer.alloc(32, 1));
  } catch (e) {
    assert.ok(e instanceof GatehouseError, `${what}: ${(e as Error).stack}`);
    assert.equal(e.code, 'GH_DNS_SERVER_UNREACHABLE', what);
  }
}

test('random bytes, every truncation and every single-byte change of a signed answer: a clean error or an answer, never a crash', () => {
  const next = random(20261128);
  for (let i = 0; i < 3000; i++) {
    const buf = Buffer.from(Array.from({ length: Math.floor(next() * 200) }, () => Math.floor(next() * 256)));
    if (buf.length > 2) buf[2] = buf[2]! | 0x80;
    readsCleanly(buf, `random ${buf.toString('hex')}`);
  }
  const good = signedAnswer(Buffer.alloc(32, 1));
  for (let n = 0; n < good.length; n++) readsCleanly(good.subarray(0, n), `cut at ${n}`);
  for (let at = 0; at < good.length; at++) {
    for (const v of [0x00, 0xff, 0xc0, 0x3f, good[at]! ^ 0x01]) {
      const b = Buffer.from(good);
      b[at] = v;
      readsCleanly(b, `byte ${at} = ${v}`);
    }
  }
});
