// DNS-01 issuance against pebble, with no `serve` running: pebble looks the TXT records up on a Knot
// server authoritative for example.test (its -dnsserver), which takes TSIG-signed updates of
// _acme-challenge names. www.example.test and the wildcard *.example.test (with example.test, two
// values at one name) are issued through the RFC 2136 provider, verify against pebble's root, and
// the zone holds no challenge record afterwards; a hook script (knsupdate) does the same once. A wrong
// TSIG key fails with the DNS server's answer, installs nothing and leaves the request pending; a
// wildcard through http-01 and dns-01 without a provider are refused before anything is ordered.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync } from 'node:fs';
import { assertCleanError, dataDir, ghAsync, ghFail, ghJson, join, openssl, tmpDir, writeText } from '../support/cli.js';
import { KnotServer } from '../support/knot.js';
import { Pebble } from '../support/pebble.js';

interface Installed { thumbprint: string; friendlyName: string; sans: string[] }

const LIMIT = { timeout: 180_000 };
let knot: KnotServer;
let pebble: Pebble;

before(async () => {
  knot = await new KnotServer().start();
  // http-01 and tls-alpn-01 are never used here: pebble's ports for them point at nothing.
  pebble = await Pebble.start({ httpPort: 1, tlsPort: 1, dnsServer: `127.0.0.1:${knot.port}` });
});
after(async () => {
  await pebble?.stop();
  await knot?.stop();
});

function rfc2136(keyFile: string): string {
  return `rfc2136:server=127.0.0.1:${knot.port},zone=example.test,key-file=${keyFile}`;
}

/** A store with a pebble account (optionally with a default DNS provider). */
function gatehouse(extra: string[] = []): string {
  const data = dataDir();
  ghJson(data, ['acme', 'account', 'add', 'pebble', '--directory', pebble.directory, '--email', 'admin@example.com', '--agree-tos', '--directory-ca', pebble.caFile, ...extra]);
  return data;
}

/** The installed certificate verifies against pebble's root for `name`, through the chain the store holds. */
async function assertVerifies(data: string, ref: string, name: string): Promise<void> {
  const dir = tmpDir('gh-acme-out-');
  const pem = join(dir, 'cert.pem');
  ghJson(data, ['cert', 'export', ref, '--format', 'pem', '--no-key', '--out', pem]);
  const leaf = join(dir, 'leaf.pem');
  openssl(['x509', '-in', pem, '-out', leaf]);
  assert.match(openssl(['verify', '-CAfile', await pebble.rootFile(), '-untrusted', pem, '-verify_hostname', name, leaf]), /: OK/);
}

async function noChallengeRecords(): Promise<void> {
  for (const name of ['_acme-challenge.www.example.test', '_acme-challenge.example.test']) assert.deepEqual(await knot.txt(name), [], `${name} is empty again`);
}

test('RFC 2136: www.example.test and *.example.test issued through dns-01 without serve; verified against pebble\'s root; no TXT record left', LIMIT, async () => {
  const data = gatehouse();
  const keyFile = knot.bindKeyFile(knot.acme);
  const r = await ghAsync(data, ['request', 'new', '--cn', 'www.example.test', '--ca', 'acme:pebble', '--challenge', 'dns-01', '--dns', rfc2136(keyFile), '--friendly-name', 'www (dns-01)']);
  assert.equal(r.code, 0, `${r.stderr}\n${pebble.log.slice(-3000)}\n${knot.log.slice(-2000)}`);
  assert.match(r.stderr, /put the TXT record _acme-challenge\.www\.example\.test\. in the zone/);
  assert.match(r.stderr, /www\.example\.test: validated through dns-01/);
  assert.match(r.stderr, /removed the TXT record _acme-challenge\.www\.example\.test\./);
  const www = ghJson<Installed[]>(data, ['cert', 'list']).find((c) => c.friendlyName === 'www (dns-01)');
  assert.ok(www);
  await assertVerifies(data, www.thumbprint, 'www.example.test');
  await noChallengeRecords();

  // The account's default provider, and a wildcard: dns-01 is chosen without --challenge; *.example.test
  // and example.test put two values at _acme-challenge.example.test, and both go away.
  const set = ghJson<{ dnsProvider: string }>(data, ['acme', 'account', 'set', 'pebble', '--dns', rfc2136(keyFile)]);
  assert.equal(set.dnsProvider, rfc2136(keyFile));
  assert.doesNotMatch(JSON.stringify(ghJson(data, ['acme', 'account', 'show', 'pebble'])), new RegExp(knot.acme.secret.slice(0, 20).replace(/[+/]/g, '.')), 'the TSIG secret is never stored or shown');
  const w = await ghAsync(data, ['request', 'new', '--cn', 'example.test', '--wildcard', 'example.test', '--ca', 'acme:pebble', '--friendly-name', 'wildcard', '--json']);
  assert.equal(w.code, 0, `${w.stderr}\n${pebble.log.slice(-3000)}`);
  const wildcard = w.json<Installed>();
  assert.deepEqual([...wildcard.sans].sort(), ['*.example.test', 'example.test']);
  await assertVerifies(data, wildcard.thumbprint, 'api.example.test');
  await noChallengeRecords();
  assert.deepEqual(await knot.txt('www.example.test'), ['v=site'], 'the zone\'s other records are untouched');
});

test('the hook provider: a script that runs knsupdate issues the certificate; the records are gone afterwards', LIMIT, async () => {
  const data = gatehouse();
  const dir = tmpDir('gh-hook-');
  const script = join(dir, 'dns-hook');
  writeText(script, [
    '#!/bin/sh',
    'set -e',
    `echo "$1 $2" >> ${join(dir, 'calls')}`,
    'case "$1" in present) op=add; ttl=60 ;; cleanup) op=delete; ttl= ;; *) exit 2 ;; esac',
    `printf 'server 127.0.0.1 ${knot.port}\\nzone example.test\\nupdate %s %s %s TXT "%s"\\nsend\\n' "$op" "$2" "$ttl" "$3" | knsupdate -y hmac-sha256:acme:${knot.acme.secret}`,
    '',
  ].join('\n'));
  chmodSync(script, 0o700);
  const r = await ghAsync(data, ['request', 'new', '--cn', 'www.example.test', '--ca', 'acme:pebble', '--dns', `hook:${script},nameserver=127.0.0.1:${knot.port}`, '--json']);
  assert.equal(r.code, 0, `${r.stderr}\n${pebble.log.slice(-3000)}`);
  await assertVerifies(data, r.json<Installed>().thumbprint, 'www.example.test');
  await noChallengeRecords();
  const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
  assert.deepEqual(calls, ['present _acme-challenge.www.example.test.', 'cleanup _acme-challenge.www.example.test.']);
});

test('a wrong TSIG key: the issuance fails with the DNS server\'s answer, nothing installed, the request still pending, the zone unchanged', LIMIT, async () => {
  const data = gatehouse();
  const serial = await knot.serial();
  const wrong = knot.bindKeyFile(knot.acme, Buffer.alloc(32, 7).toString('base64'));
  const r = await ghAsync(data, ['request', 'new', '--cn', 'www.example.test', '--ca', 'acme:pebble', '--challenge', 'dns-01', '--dns', rfc2136(wrong), '--json']);
  assertCleanError(r, 'GH_DNS_UPDATE_REFUSED');
  assert.match(r.stderr, /BADSIG|TSIG signature does not verify/);
  assert.match(r.stderr, /Request \d+ stays pending/);
  assert.deepEqual(ghJson(data, ['cert', 'list']), []);
  assert.equal(ghJson<unknown[]>(data, ['request', 'list']).length, 1);
  assert.equal(await knot.serial(), serial, 'no update reached the zone');
  await noChallengeRecords();
});

test('refused before anything is ordered: a wildcard through http-01 (GH_ACME_WILDCARD_NEEDS_DNS); dns-01 without a provider (GH_ACME_DNS_PROVIDER_REQUIRED); a bad key file', LIMIT, () => {
  const data = gatehouse();
  const orders = (pebble.log.match(/POST \/order-plz/g) ?? []).length;
  const wild = ghFail(data, ['request', 'new', '--cn', 'example.test', '--wildcard', 'example.test', '--ca', 'acme:pebble', '--challenge', 'http-01'], 'GH_ACME_WILDCARD_NEEDS_DNS');
  assertCleanError(wild, 'GH_ACME_WILDCARD_NEEDS_DNS');
  assert.match(wild.stderr, /\*\.example\.test is a wildcard name.*--challenge dns-01.*--dns/);
  const none = ghFail(data, ['request', 'new', '--cn', 'www.example.test', '--ca', 'acme:pebble', '--challenge', 'dns-01'], 'GH_ACME_DNS_PROVIDER_REQUIRED');
  assert.match(none.stderr, /--dns/);
  assert.deepEqual(ghJson(data, ['request', 'list']), [], 'no request was made');
  const req = ghJson<{ id: number }>(data, ['request', 'new', '--cn', 'www.example.test']);
  const badFile = ghFail(data, ['request', 'submit', String(req.id), '--ca', 'acme:pebble', '--dns', rfc2136(join(tmpDir(), 'missing.key'))], 'GH_DNS_PROVIDER_INVALID');
  assert.match(badFile.stderr, /cannot be read \(ENOENT\)/);
  const set = ghFail(data, ['acme', 'account', 'set', 'pebble', '--dns', 'rfc2136:server=127.0.0.1'], 'GH_DNS_PROVIDER_INVALID');
  assert.match(set.stderr, /key file is missing/);
  assert.equal((pebble.log.match(/POST \/order-plz/g) ?? []).length, orders, 'no order reached the CA');
});
