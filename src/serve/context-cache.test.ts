import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { connect as tlsConnect, createServer as createTlsServer, type SecureContext, type TLSSocket } from 'node:tls';
import { ContextCache, type ContextMaterial } from './context-cache.js';
import { makeTestPki } from '../pki/test-certificates.js';
import { pkcs8Der } from '../pki/key-pair.js';

const pki = await makeTestPki();
const pkcs8 = pkcs8Der(pki.leafKeys.privateKey);

/** A cache whose every thumbprint is the test leaf (a fresh copy of its key each time, as the store unseals one), counting loads. */
function cache(capacity = 1000, known: (t: string) => boolean = () => true): { contexts: ContextCache; loads: string[] } {
  const loads: string[] = [];
  const contexts = new ContextCache((t): ContextMaterial | undefined => {
    loads.push(t);
    return known(t) ? { pkcs8: Buffer.from(pkcs8), certificates: [pki.leaf, pki.intermediate] } : undefined;
  }, capacity);
  return { contexts, loads };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

test('a context is built from the stored PKCS#8 key and the chain, and serves them in a handshake', async () => {
  const { contexts } = cache();
  const options = contexts.options('A')!;
  assert.match(options.key as string, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.deepEqual(createPrivateKey(options.key as string).export({ type: 'pkcs8', format: 'der' }), pkcs8, 'the same key, not re-encoded');
  const context = contexts.get('A')!;
  const server = createTlsServer({ SNICallback: (_name, cb) => cb(null, context) });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const chain = await new Promise<string[]>((resolve, reject) => {
      const port = (server.address() as { port: number }).port;
      const s = tlsConnect({ host: '127.0.0.1', port, servername: 'www.unit.test', rejectUnauthorized: false }, () => {
        const peer = s.getPeerX509Certificate()!;
        const leaf = s.getPeerCertificate(true);
        resolve([peer.subject, String(leaf.issuerCertificate?.subject?.CN ?? '')]);
        s.destroy();
      });
      s.on('error', reject);
    });
    assert.deepEqual(chain, ['CN=www.unit.test', 'Unit Intermediate']);
  } finally {
    server.close();
  }
});

test('the unsealed key is wiped once its PEM is made', () => {
  const given: Buffer[] = [];
  const contexts = new ContextCache(() => {
    const m = { pkcs8: Buffer.from(pkcs8), certificates: [pki.leaf] };
    given.push(m.pkcs8);
    return m;
  });
  contexts.get('A');
  assert.equal(given.length, 1);
  assert.ok(given[0]!.every((b) => b === 0));
});

test('warm builds every given certificate in the background, one per turn of the event loop, each once', async () => {
  const { contexts, loads } = cache();
  const warming = contexts.warm(['A', 'B', 'A', 'C', 'D']);
  assert.equal(contexts.builds, 0, 'nothing is built before warm returns');
  const seen: number[] = [];
  for (let i = 0; i < 6; i++) {
    await turn();
    seen.push(contexts.builds);
  }
  assert.equal(await warming, 4);
  assert.deepEqual(loads, ['A', 'B', 'C', 'D']);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! - seen[i - 1]! <= 1, `at most one build between two turns: ${seen.join(' ')}`);
  const before = contexts.builds;
  assert.ok(contexts.get('C'));
  assert.equal(contexts.builds, before, 'a warmed certificate is not built again by its handshake');
});

test('warm skips certificates already built and never evicts one: it stops when the cache is full', async () => {
  const { contexts } = cache(3);
  const a = contexts.get('A');
  assert.equal(await contexts.warm(['A', 'B', 'C', 'D', 'E']), 2);
  assert.equal(contexts.size, 3);
  assert.ok(contexts.has('A') && contexts.has('B') && contexts.has('C') && !contexts.has('D'));
  assert.equal(contexts.get('A'), a as SecureContext);
  // Beyond the capacity, a handshake still builds on first use (evicting the least recently used).
  assert.ok(contexts.get('E'));
  assert.ok(contexts.has('E') && !contexts.has('B'));
});

test('a newer warm (the next change) or stopWarming ends the one in progress', async () => {
  const { contexts, loads } = cache();
  const first = contexts.warm(['A', 'B', 'C', 'D', 'E', 'F']);
  await turn();
  await turn();
  const second = contexts.warm(['X']);
  const firstBuilt = await first;
  assert.ok(firstBuilt < 6, `the first warm stopped after ${firstBuilt}`);
  assert.equal(await second, 1);
  assert.ok(contexts.has('X'));
  const third = contexts.warm(['P', 'Q', 'R']);
  contexts.stopWarming();
  assert.equal(await third, 0);
  assert.ok(!loads.includes('P'));
});

test('a certificate gone from the store, or that cannot be built, is skipped by warm and reported by its handshake', async () => {
  const broken = new ContextCache((t) => (t === 'BAD' ? { pkcs8: Buffer.from('not a key'), certificates: [pki.leaf] } : { pkcs8: Buffer.from(pkcs8), certificates: [pki.leaf] }));
  assert.equal(await broken.warm(['BAD', 'OK']), 1);
  assert.ok(broken.has('OK') && !broken.has('BAD'));
  assert.throws(() => broken.get('BAD'));
  const { contexts } = cache(1000, (t) => t !== 'GONE');
  assert.equal(await contexts.warm(['GONE', 'HERE']), 1);
  assert.equal(contexts.get('GONE'), undefined);
});

test('an evicted context is closed at once (its OpenSSL memory freed, not left for the GC): never more open contexts than the cache holds; a connection made with it keeps working, and its name handshakes again with a new one', async () => {
  const { contexts } = cache(3);
  const given = new Map<string, SecureContext>();
  const server = createTlsServer({
    SNICallback: (name, cb) => {
      const context = contexts.get(name)!;
      given.set(name, context);
      cb(null, context);
    },
  }, (socket) => socket.pipe(socket));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const open = (c: SecureContext) => (c.context as { getCertificate(): Buffer | null }).getCertificate() !== null;
  const sockets: TLSSocket[] = [];
  const connect = (name: string) => new Promise<TLSSocket>((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, servername: name, rejectUnauthorized: false }, () => resolve(s));
    sockets.push(s);
    s.on('error', reject);
  });
  const echo = (s: TLSSocket, text: string) => new Promise<string>((resolve) => {
    s.once('data', (d: Buffer) => resolve(d.toString()));
    s.write(text);
  });
  try {
    const first = await connect('n0');
    assert.equal(first.getPeerX509Certificate()!.subject, 'CN=www.unit.test');
    const n0 = given.get('n0')!;
    for (let i = 1; i < 10; i++) (await connect(`n${i}`)).destroy();
    assert.equal(contexts.size, 3);
    assert.equal([...given.values()].filter(open).length, 3, 'only the contexts the cache holds are open');
    assert.ok(!open(n0), 'the evicted context of n0 is closed');
    assert.equal(await echo(first, 'still here'), 'still here', 'a connection made with an evicted context keeps working');
    first.destroy();
    const again = await connect('n0');
    assert.equal(again.getPeerX509Certificate()!.subject, 'CN=www.unit.test', 'an evicted name handshakes again');
    assert.notEqual(given.get('n0'), n0, 'with a context built again');
    again.destroy();
    contexts.clear();
    assert.equal([...given.values()].filter(open).length, 0, 'clear closes what the cache held');
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
  }
});
