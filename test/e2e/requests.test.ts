// End-to-end: `gatehouse request new|list|show|cancel`, checked with `openssl req`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import {
  gh, ghJson, ghFail, dataDir, tmpDir, join, openssl, assertCsrVerifies, opensslSans, subjectFields, readText, sorted
} from '../support/cli.js';

interface RequestJson {
  id: number;
  csr?: string;
  subject: string;
  cn: string;
  sans: string[];
  keyType: string;
  exportable: boolean;
  created: string;
}

function newRequest(data: string, args: string[]): { json: RequestJson; csrFile: string } {
  const csrFile = join(tmpDir('gh-csr-'), 'req.csr');
  const json = ghJson<RequestJson>(data, ['request', 'new', ...args, '--out', csrFile]);
  assert.ok(existsSync(csrFile), 'CSR file was not written');
  return { json, csrFile };
}

const assertVerifies = assertCsrVerifies;

const keyTypes: { key: string; text: RegExp }[] = [
  { key: 'ecdsa-p256', text: /ASN1 OID: prime256v1/ },
  { key: 'ecdsa-p384', text: /ASN1 OID: secp384r1/ },
  { key: 'rsa-2048', text: /Public-Key: \(2048 bit\)/ },
  { key: 'rsa-3072', text: /Public-Key: \(3072 bit\)/ },
  { key: 'rsa-4096', text: /Public-Key: \(4096 bit\)/ },
];

for (const kt of keyTypes) {
  test(`request new --key ${kt.key}: CSR passes openssl req -verify and carries that key`, () => {
    const data = dataDir();
    const { json, csrFile } = newRequest(data, ['--cn', `${kt.key}.example.com`, '--key', kt.key]);
    assertVerifies(csrFile);
    const text = openssl(['req', '-in', csrFile, '-noout', '-text']);
    assert.match(text, kt.text);
    assert.equal(json.keyType, kt.key);
    assert.equal(typeof json.id, 'number');
    assert.equal(json.cn, `${kt.key}.example.com`);
    // the CSR in the JSON is the one written to --out
    assert.equal(json.csr?.trim(), readText(csrFile).trim());
    assert.match(readText(csrFile), /^-----BEGIN CERTIFICATE REQUEST-----/);
  });
}

test('request new defaults to rsa-2048, not exportable, created is ISO 8601', () => {
  const data = dataDir();
  const { json, csrFile } = newRequest(data, ['--cn', 'default.example.com']);
  assert.equal(json.keyType, 'rsa-2048');
  assert.equal(json.exportable, false);
  assert.match(openssl(['req', '-in', csrFile, '-noout', '-text']), /Public-Key: \(2048 bit\)/);
  assert.ok(!Number.isNaN(Date.parse(json.created)), `created not a date: ${json.created}`);
  assert.match(json.created, /^\d{4}-\d{2}-\d{2}T/);
  assertVerifies(csrFile);
});

test('request new: subject has O, OU, L, ST, C as asked', () => {
  const data = dataDir();
  const { json, csrFile } = newRequest(data, [
    '--cn', 'www.contoso.com', '--org', 'Contoso, Inc.', '--ou', 'Web Services', '--city', 'Redmond',
    '--state', 'Washington', '--country', 'US', '--key', 'ecdsa-p256',
  ]);
  assertVerifies(csrFile);
  const f = subjectFields(csrFile, 'req');
  assert.deepEqual(f, {
    CN: 'www.contoso.com', O: 'Contoso, Inc.', OU: 'Web Services', L: 'Redmond', ST: 'Washington', C: 'US',
  });
  assert.match(json.subject, /CN=www\.contoso\.com/);
  assert.match(json.subject, /O=/);
  assert.match(json.subject, /C=US/);
});

test('request new: the subject string reads like IIS shows it, CN first ("CN=www.contoso.com, O=Contoso")', () => {
  const data = dataDir();
  const { json } = newRequest(data, ['--cn', 'www.contoso.com', '--org', 'Contoso', '--key', 'ecdsa-p256']);
  assert.equal(json.subject, 'CN=www.contoso.com, O=Contoso');
});

test('request new: --wildcard with an IDN domain, and an IP address as CN', () => {
  const data = dataDir();
  const a = newRequest(data, ['--cn', 'shop.example', '--wildcard', 'bücher.example', '--key', 'ecdsa-p256']);
  assert.deepEqual(sorted(opensslSans(a.csrFile, 'req')),
    sorted(['DNS:shop.example', 'DNS:*.xn--bcher-kva.example', 'DNS:xn--bcher-kva.example']));
  const b = newRequest(data, ['--cn', '192.0.2.10', '--key', 'ecdsa-p256']);
  assert.deepEqual(opensslSans(b.csrFile, 'req'), ['IP Address:192.0.2.10']);
  assert.deepEqual(b.json.sans, ['192.0.2.10']);
});

test('request new: only CN given -> subject has just CN and SAN is the CN', () => {
  const data = dataDir();
  const { json, csrFile } = newRequest(data, ['--cn', 'solo.contoso.com', '--key', 'ecdsa-p256']);
  assert.deepEqual(subjectFields(csrFile, 'req'), { CN: 'solo.contoso.com' });
  assert.deepEqual(opensslSans(csrFile, 'req'), ['DNS:solo.contoso.com']);
  assert.deepEqual(json.sans, ['solo.contoso.com']);
});

test('request new: extra SANs are in the CSR and the CN is always among them', () => {
  const data = dataDir();
  const { json, csrFile } = newRequest(data, [
    '--cn', 'www.contoso.com', '--san', 'api.contoso.com', '--san', 'static.contoso.com', '--key', 'ecdsa-p256',
  ]);
  const expected = ['www.contoso.com', 'api.contoso.com', 'static.contoso.com'];
  assert.deepEqual(sorted(opensslSans(csrFile, 'req')), sorted(expected.map((s) => `DNS:${s}`)));
  assert.deepEqual(sorted(json.sans), sorted(expected));
});

test('request new --wildcard adds *.domain and domain', () => {
  const data = dataDir();
  const { json, csrFile } = newRequest(data, ['--cn', 'mail.contoso.com', '--wildcard', 'contoso.com', '--key', 'ecdsa-p256']);
  assertVerifies(csrFile);
  const expected = ['mail.contoso.com', '*.contoso.com', 'contoso.com'];
  assert.deepEqual(sorted(opensslSans(csrFile, 'req')), sorted(expected.map((s) => `DNS:${s}`)));
  assert.deepEqual(sorted(json.sans), sorted(expected));
});

test('request new: IDN names become A-labels in the CSR and the JSON', () => {
  const data = dataDir();
  const { json, csrFile } = newRequest(data, [
    '--cn', 'shop.example', '--san', 'bücher.example', '--san', 'www.münchen.de', '--key', 'ecdsa-p256',
  ]);
  assertVerifies(csrFile);
  const sans = opensslSans(csrFile, 'req');
  assert.deepEqual(sorted(sans), sorted(['DNS:shop.example', 'DNS:xn--bcher-kva.example', 'DNS:www.xn--mnchen-3ya.de']));
  assert.deepEqual(sorted(json.sans), sorted(['shop.example', 'xn--bcher-kva.example', 'www.xn--mnchen-3ya.de']));
});

test('request new: an IDN common name is an A-label too', () => {
  const data = dataDir();
  const { json, csrFile } = newRequest(data, ['--cn', 'bücher.example', '--key', 'ecdsa-p256']);
  assert.deepEqual(opensslSans(csrFile, 'req'), ['DNS:xn--bcher-kva.example']);
  assert.deepEqual(json.sans, ['xn--bcher-kva.example']);
});

test('request new: IP addresses become IP SANs', () => {
  const data = dataDir();
  const { json, csrFile } = newRequest(data, [
    '--cn', 'host.contoso.com', '--san', '10.0.0.5', '--san', '2001:db8::1', '--key', 'ecdsa-p256',
  ]);
  assertVerifies(csrFile);
  const sans = opensslSans(csrFile, 'req');
  assert.ok(sans.includes('IP Address:10.0.0.5'), `SANs: ${sans.join(', ')}`);
  assert.ok(sans.includes('IP Address:2001:DB8:0:0:0:0:0:1'), `SANs: ${sans.join(', ')}`);
  assert.ok(sans.includes('DNS:host.contoso.com'), `SANs: ${sans.join(', ')}`);
  assert.ok(!sans.includes('DNS:10.0.0.5'), 'an IP must not be a DNS SAN');
  assert.equal(sans.length, 3);
  assert.ok(json.sans.includes('10.0.0.5'));
  assert.ok(json.sans.includes('host.contoso.com'));
  assert.equal(json.sans.length, 3);
});

test('request new: SANs are deduplicated (repeats, CN repeated, wildcard root repeated)', () => {
  const data = dataDir();
  const { json, csrFile } = newRequest(data, [
    '--cn', 'www.contoso.com', '--san', 'www.contoso.com', '--san', 'api.contoso.com', '--san', 'api.contoso.com',
    '--wildcard', 'contoso.com', '--san', 'contoso.com', '--san', '*.contoso.com', '--key', 'ecdsa-p256',
  ]);
  const expected = ['www.contoso.com', 'api.contoso.com', 'contoso.com', '*.contoso.com'];
  const sans = opensslSans(csrFile, 'req');
  assert.deepEqual(sorted(sans), sorted(expected.map((s) => `DNS:${s}`)));
  assert.deepEqual(sorted(json.sans), sorted(expected));
});

test('request new --exportable is recorded; no private key is ever printed', () => {
  const data = dataDir();
  const { json } = newRequest(data, ['--cn', 'exp.contoso.com', '--exportable', '--key', 'ecdsa-p256']);
  assert.equal(json.exportable, true);
  const outputs = [
    gh(data, ['request', 'list', '--json']),
    gh(data, ['request', 'show', String(json.id), '--csr', '--json']),
    gh(data, ['request', 'show', String(json.id), '--csr']),
    gh(data, ['request', 'list']),
  ];
  for (const r of outputs) {
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!/PRIVATE KEY/.test(r.stdout + r.stderr), `private key printed by ${r.args.join(' ')}`);
  }
});

test('request new without --json prints the id; --out file is the CSR', () => {
  const data = dataDir();
  const csrFile = join(tmpDir(), 'plain.csr');
  const r = gh(data, ['request', 'new', '--cn', 'plain.contoso.com', '--key', 'ecdsa-p256', '--out', csrFile]);
  assert.equal(r.code, 0, r.stderr);
  assertVerifies(csrFile);
  const list = ghJson<RequestJson[]>(data, ['request', 'list']);
  assert.equal(list.length, 1);
  assert.match(r.stdout, new RegExp(`\\b${list[0]!.id}\\b`));
});

test('request list / show / cancel', () => {
  const data = dataDir();
  const a = newRequest(data, ['--cn', 'a.contoso.com', '--key', 'ecdsa-p256', '--san', 'a2.contoso.com']);
  const b = newRequest(data, ['--cn', 'b.contoso.com', '--key', 'ecdsa-p384', '--org', 'Contoso']);
  assert.notEqual(a.json.id, b.json.id);

  const list = ghJson<RequestJson[]>(data, ['request', 'list']);
  assert.ok(Array.isArray(list));
  assert.deepEqual(sorted(list.map((r) => String(r.id))), sorted([String(a.json.id), String(b.json.id)]));
  const la = list.find((r) => r.id === a.json.id)!;
  assert.equal(la.cn, 'a.contoso.com');
  assert.deepEqual(sorted(la.sans), ['a.contoso.com', 'a2.contoso.com']);
  assert.equal(la.keyType, 'ecdsa-p256');
  assert.equal(la.exportable, false);
  assert.equal(typeof la.created, 'string');
  assert.equal(typeof la.subject, 'string');

  const show = ghJson<RequestJson>(data, ['request', 'show', String(b.json.id)]);
  assert.equal(show.id, b.json.id);
  assert.equal(show.cn, 'b.contoso.com');
  assert.equal(show.keyType, 'ecdsa-p384');
  const showCsr = ghJson<RequestJson>(data, ['request', 'show', String(b.json.id), '--csr']);
  assert.equal(showCsr.csr?.trim(), readText(b.csrFile).trim());

  const cancelled = ghJson<{ id: number; cancelled: boolean }>(data, ['request', 'cancel', String(a.json.id)]);
  assert.deepEqual(cancelled, { id: a.json.id, cancelled: true });
  const after = ghJson<RequestJson[]>(data, ['request', 'list']);
  assert.deepEqual(after.map((r) => r.id), [b.json.id]);
  ghFail(data, ['request', 'show', String(a.json.id)], 'GH_REQUEST_NOT_FOUND');
  ghFail(data, ['request', 'cancel', String(a.json.id)], 'GH_REQUEST_NOT_FOUND');
  ghFail(data, ['request', 'show', '98765'], 'GH_REQUEST_NOT_FOUND');
});

test('request list on a fresh store is an empty array', () => {
  const data = dataDir();
  assert.deepEqual(ghJson(data, ['request', 'list']), []);
});

test('each request has its own key (CSR public keys differ)', () => {
  const data = dataDir();
  const a = newRequest(data, ['--cn', 'same.contoso.com', '--key', 'ecdsa-p256']);
  const b = newRequest(data, ['--cn', 'same.contoso.com', '--key', 'ecdsa-p256']);
  const pa = openssl(['req', '-in', a.csrFile, '-noout', '-pubkey']);
  const pb = openssl(['req', '-in', b.csrFile, '-noout', '-pubkey']);
  assert.notEqual(pa, pb);
});
