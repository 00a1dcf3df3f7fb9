// ACME issuance against pebble: `serve` answers HTTP-01 on its http listener and TLS-ALPN-01 on its
// https listener (HTTP/2 traffic on that port keeps getting 200 meanwhile); the certificate is
// installed with its friendly name and chain, verifies against pebble's root and is served. A
// failing challenge installs nothing and says which name and challenge; no serve, no order;
// pebble refusing half the nonces changes nothing.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import { assertCleanError, dataDir, eventually, freePorts, ghAsync, ghFail, ghJson, join, openssl, sClient, selfSignedCert, startServe, tmpDir, writeText, type ServeProcess } from '../support/cli.js';
import { Pebble } from '../support/pebble.js';

interface Installed { thumbprint: string; friendlyName: string; sans: string[]; store: string }

/** A store with a pebble account and a started site bound to http on `http` and https on `https`. */
function gatehouseFor(pebble: Pebble, http: number, https: number): string {
  const data = dataDir();
  ghJson(data, ['acme', 'account', 'add', 'pebble', '--directory', pebble.directory, '--email', 'admin@example.com', '--agree-tos', '--directory-ca', pebble.caFile]);
  const root = tmpDir('gh-www-');
  writeText(join(root, 'index.html'), 'hello\n');
  selfSignedCert(data, 'www.example.com', 'initial');
  ghJson(data, ['site', 'add', 'www', '--root', root]);
  ghJson(data, ['binding', 'add', 'www', '--protocol', 'http', '--port', String(http)]);
  ghJson(data, ['binding', 'add', 'www', '--protocol', 'https', '--port', String(https), '--cert', 'initial']);
  return data;
}

/** The installed certificate verifies against pebble's root through the chain the store holds. */
async function assertVerifies(data: string, pebble: Pebble, ref: string, name: string): Promise<void> {
  const dir = tmpDir('gh-acme-out-');
  const pem = join(dir, 'cert.pem');
  ghJson(data, ['cert', 'export', ref, '--format', 'pem', '--no-key', '--out', pem]);
  const blocks = openssl(['crl2pkcs7', '-nocrl', '-certfile', pem]);
  assert.ok(blocks.length > 0);
  const leaf = join(dir, 'leaf.pem');
  openssl(['x509', '-in', pem, '-out', leaf]);
  const out = openssl(['verify', '-CAfile', await pebble.rootFile(), '-untrusted', pem, '-verify_hostname', name, leaf]);
  assert.match(out, /: OK/);
}

let pebble: Pebble;
let HTTP: number;
let HTTPS: number;

before(async () => {
  [HTTP, HTTPS] = (await freePorts(2)) as [number, number];
  pebble = await Pebble.start({ httpPort: HTTP, tlsPort: HTTPS });
});
after(async () => {
  await pebble?.stop();
});

test('no serve running: the ACME issuance is refused at once with GH_SERVE_NOT_RUNNING, and no request is made; dns-01 needs no serve', () => {
  const data = gatehouseFor(pebble, HTTP, HTTPS);
  const r = ghFail(data, ['request', 'new', '--cn', 'none.example.com', '--ca', 'acme:pebble', '--challenge', 'http-01'], 'GH_SERVE_NOT_RUNNING');
  assertCleanError(r, 'GH_SERVE_NOT_RUNNING');
  assert.deepEqual(ghJson(data, ['request', 'list']), []);
  const missing = ghFail(data, ['request', 'new', '--cn', 'none.example.com', '--ca', 'acme:nobody'], 'GH_ACME_ACCOUNT_NOT_FOUND');
  assertCleanError(missing, 'GH_ACME_ACCOUNT_NOT_FOUND');
  // dns-01 needs no serve: without a DNS provider it is refused for that reason, not GH_SERVE_NOT_RUNNING.
  const req = ghJson<{ id: number }>(data, ['request', 'new', '--cn', 'dns.example.com']);
  ghFail(data, ['request', 'submit', String(req.id), '--ca', 'acme:pebble', '--challenge', 'dns-01'], 'GH_ACME_DNS_PROVIDER_REQUIRED');
  ghFail(data, ['request', 'submit', String(req.id), '--ca', 'acme:pebble', '--challenge', 'dns-02'], 'GH_ACME_CHALLENGE_UNSUPPORTED');
});

test('HTTP-01: request new --ca acme:pebble issues, installs with the friendly name and chain, verifies against pebble\'s root, is served', async () => {
  const data = gatehouseFor(pebble, HTTP, HTTPS);
  const server = await startServe(data, [`http *:${HTTP}`, `https *:${HTTPS}`], ['--workers', '1']);
  try {
    // While nothing is pending, an unknown token is a 404 on the http listener, never the site.
    const unknown = await fetch(`http://127.0.0.1:${HTTP}/.well-known/acme-challenge/nothing-here`);
    assert.equal(unknown.status, 404);
    const r = await ghAsync(data, ['request', 'new', '--cn', 'www.example.com', '--san', 'alt.example.com', '--ca', 'acme:pebble', '--challenge', 'http-01', '--friendly-name', 'www (ACME)']);
    assert.equal(r.code, 0, `${r.stderr}\n${pebble.log.slice(-3000)}`);
    assert.match(r.stderr, /validated through http-01/);
    assert.match(r.stdout, /installed "www \(ACME\)"/);
    const certs = ghJson<Installed[]>(data, ['cert', 'list']);
    const issued = certs.find((c) => c.friendlyName === 'www (ACME)');
    assert.ok(issued, JSON.stringify(certs));
    assert.deepEqual([...issued.sans].sort(), ['alt.example.com', 'www.example.com']);
    assert.deepEqual(ghJson(data, ['request', 'list']), []);
    await assertVerifies(data, pebble, issued.thumbprint, 'alt.example.com');
    ghJson(data, ['binding', 'edit', 'www', '--protocol', 'https', '--port', String(HTTPS), '--cert', issued.thumbprint]);
    await eventually('the issued certificate is served', () => sClient(HTTPS, 'www.example.com').thumbprint === issued.thumbprint);
    // The challenges were removed after the issuance.
    const audit = ghJson<Array<{ action: string }>>(data, ['audit']).map((a) => a.action);
    assert.ok(audit.includes('acme.challenge.publish') && audit.includes('acme.challenge.remove'), audit.join(', '));
  } finally {
    await server.stop();
  }
});

test('TLS-ALPN-01 on the https listener, with HTTP/2 requests to the site on the same port all answered 200 meanwhile; --json prints thumbprint and friendlyName', async () => {
  const data = gatehouseFor(pebble, HTTP, HTTPS);
  const server = await startServe(data, [`http *:${HTTP}`, `https *:${HTTPS}`], ['--workers', '1']);
  const statuses: number[] = [];
  let running = true;
  const traffic = (async () => {
    while (running) {
      const session = connect(`https://127.0.0.1:${HTTPS}`, { servername: 'www.example.com', rejectUnauthorized: false });
      try {
        for (let i = 0; i < 20 && running; i++) {
          statuses.push(await new Promise<number>((resolve, reject) => {
            const req = session.request({ ':path': '/', ':authority': 'www.example.com' });
            req.on('response', (h) => resolve(Number(h[':status'])));
            req.on('error', reject);
            req.resume();
            req.end();
          }));
        }
      } finally {
        session.close();
      }
    }
  })();
  try {
    const r = await ghAsync(data, ['request', 'new', '--cn', 'alpn.example.com', '--san', 'www.example.com', '--ca', 'acme:pebble', '--challenge', 'tls-alpn-01', '--friendly-name', 'alpn', '--json']);
    assert.equal(r.code, 0, `${r.stderr}\n${pebble.log.slice(-3000)}`);
    const c = r.json<Installed>();
    assert.equal(c.friendlyName, 'alpn');
    assert.match(c.thumbprint, /^[0-9A-F]{40}$/);
    assert.doesNotMatch(r.stderr, /ordering|published|validated/, 'no progress lines with --json');
    await assertVerifies(data, pebble, c.thumbprint, 'alpn.example.com');
  } finally {
    running = false;
    await traffic.catch((e) => assert.fail(`HTTP/2 traffic failed: ${(e as Error).message}`));
    await server.stop();
  }
  assert.ok(statuses.length > 0);
  assert.deepEqual(statuses.filter((s) => s !== 200), [], 'every HTTP/2 request got 200');
});

test('a failing challenge (no http listener on the port the CA checks): nothing installed, the request still pending, the error names the name and the challenge; the sixth order in a day is refused', async () => {
  const data = gatehouseFor(pebble, HTTP, HTTPS);
  ghJson(data, ['binding', 'remove', 'www', '--protocol', 'http', '--port', String(HTTP)]);
  const server: ServeProcess = await startServe(data, [`https *:${HTTPS}`], ['--workers', '1']);
  try {
    const before = ghJson<Installed[]>(data, ['cert', 'list']);
    const r = await ghAsync(data, ['request', 'new', '--cn', 'fail.example.com', '--ca', 'acme:pebble', '--challenge', 'http-01', '--json']);
    assertCleanError(r, 'GH_ACME_CHALLENGE_FAILED');
    assert.match(r.stderr, /connection refused/, 'what the CA said');
    assert.match(r.stderr, /fail\.example\.com through http-01/);
    assert.match(r.stderr, /Request \d+ stays pending/);
    assert.deepEqual(ghJson<Installed[]>(data, ['cert', 'list']), before);
    const pendingRequests = ghJson<Array<{ id: number }>>(data, ['request', 'list']);
    assert.equal(pendingRequests.length, 1);
    // Trying again and again: at most 5 orders a day for these names, the sixth is refused before the CA is asked.
    const id = String(pendingRequests[0]!.id);
    for (let i = 2; i <= 5; i++) assertCleanError(await ghAsync(data, ['request', 'submit', id, '--ca', 'acme:pebble', '--challenge', 'http-01', '--json']), 'GH_ACME_CHALLENGE_FAILED');
    const orders = (pebble.log.match(/POST \/order-plz/g) ?? []).length;
    const limited = await ghAsync(data, ['request', 'submit', id, '--ca', 'acme:pebble', '--challenge', 'http-01', '--json']);
    assertCleanError(limited, 'GH_ACME_ORDER_LIMIT');
    assert.match(limited.stderr, /5 ACME orders for fail\.example\.com/);
    assert.equal((pebble.log.match(/POST \/order-plz/g) ?? []).length, orders, 'no sixth order reached the CA');
    assert.deepEqual(ghJson<Installed[]>(data, ['cert', 'list']), before);
  } finally {
    await server.stop();
  }
});

test('pebble refusing half of the nonces (PEBBLE_WFE_NONCEREJECT=50): the issuance still succeeds', async () => {
  const [http, https] = (await freePorts(2)) as [number, number];
  const flaky = await Pebble.start({ httpPort: http, tlsPort: https, nonceReject: 50 });
  try {
    const data = gatehouseFor(flaky, http, https);
    const server = await startServe(data, [`http *:${http}`, `https *:${https}`], ['--workers', '1']);
    try {
      const req = ghJson<{ id: number }>(data, ['request', 'new', '--cn', 'nonce.example.com']);
      const r = await ghAsync(data, ['request', 'submit', String(req.id), '--ca', 'acme:pebble', '--challenge', 'http-01', '--json']);
      assert.equal(r.code, 0, `${r.stderr}\n${flaky.log.slice(-2000)}`);
      assert.equal(r.json<Installed>().sans.join(), 'nonce.example.com');
    } finally {
      await server.stop();
    }
  } finally {
    await flaky.stop();
  }
});
