// End-to-end: `gatehouse cert import` (PFX from openssl, PEM keys in every form) and
// `gatehouse cert export` (PFX modern/legacy, PEM) read back by openssl.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync, existsSync, chmodSync, readdirSync, readFileSync } from 'node:fs';
import {
  gh, ghJson, ghFail, dataDir, tmpDir, join, openssl, opensslBuf, opensslThumbprint, readText, writeText, passwordFile,
  certPubkey, keyPubkey, pemBlocks, TestPki,
} from '../support/cli.js';
import { storeBytes, testingPostgres } from '../support/postgres.js';

interface Cert {
  thumbprint: string; friendlyName: string; store: string; keyType: string; hasPrivateKey: boolean;
  exportable: boolean; chain: { thumbprint: string }[]; issuedTo: string; subject: string;
}

let pki: TestPki;
let fx: string; // fixtures dir
let pw: string; // password file: first line is the password
const PASSWORD = 'Corr3ct horse!';
let rsa: { key: string; cert: string; thumb: string };
let ec: { key: string; cert: string; thumb: string };
let intThumb: string;

before(() => {
  pki = TestPki.create();
  fx = tmpDir('gh-ie-');
  pw = writeText(join(fx, 'pw.txt'), `${PASSWORD}\nthis second line is not part of the password\n`);
  const r = pki.leaf('rsa.contoso.com', { ec: false });
  rsa = { ...r, thumb: opensslThumbprint(r.cert) };
  const e = pki.leaf('ec.contoso.com', { ec: true });
  ec = { ...e, thumb: opensslThumbprint(e.cert) };
  intThumb = opensslThumbprint(pki.intCert);
});

function makePfx(leaf: { key: string; cert: string }, opts: { legacy?: boolean; name?: string; chain?: boolean; nokeys?: boolean } = {}): string {
  const out = join(tmpDir('gh-pfx-'), 'in.pfx');
  const args = ['pkcs12', '-export', '-in', leaf.cert, '-passout', `pass:${PASSWORD}`, '-out', out];
  if (!opts.nokeys) args.push('-inkey', leaf.key);
  else args.push('-nokeys');
  if (opts.legacy) args.push('-legacy');
  if (opts.name) args.push('-name', opts.name);
  if (opts.chain !== false) args.push('-certfile', pki.intCert);
  openssl(args);
  return out;
}

/** Open a PFX with openssl and return its PEM dump (and -info text). */
function openPfx(file: string, legacy: boolean): { dump: string; info: string } {
  const base = ['pkcs12', ...(legacy ? ['-legacy'] : []), '-in', file, '-passin', `file:${pw}`, '-nodes'];
  const dump = openssl(base);
  const r = spawnSync('openssl', [...base, '-info'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { dump, info: r.stdout + r.stderr };
}

/** From a PEM dump (key + certs): assert the leaf is there and the key matches it. */
function assertKeyMatchesLeaf(dump: string, leafThumb: string): string[] {
  const dir = tmpDir('gh-dump-');
  const blocks = pemBlocks(dump);
  const keys = blocks.filter((b) => /PRIVATE KEY/.test(b.label));
  assert.equal(keys.length, 1, `expected one private key in:\n${blocks.map((b) => b.label).join(', ')}`);
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE');
  const thumbs = certs.map((c, i) => opensslThumbprint(writeText(join(dir, `c${i}.pem`), c.pem)));
  const li = thumbs.indexOf(leafThumb);
  assert.ok(li >= 0, `leaf ${leafThumb} not in ${thumbs.join(', ')}`);
  const keyFile = writeText(join(dir, 'k.pem'), keys[0]!.pem);
  assert.equal(keyPubkey(keyFile), certPubkey(join(dir, `c${li}.pem`)), 'private key does not match the certificate');
  return thumbs;
}

function mode(file: string): number {
  return statSync(file).mode & 0o777;
}

// ------------------------------------------------------------------------------------- import

for (const alg of ['rsa', 'ec'] as const) {
  for (const legacy of [false, true]) {
    test(`cert import: ${legacy ? 'legacy' : 'OpenSSL 3 default'} PFX with ${alg.toUpperCase()} key keeps the PFX friendly name`, () => {
      const leaf = alg === 'rsa' ? rsa : ec;
      const pfx = makePfx(leaf, { legacy, name: `Contoso ${alg} ${legacy ? 'legacy' : 'modern'}` });
      const data = dataDir();
      const c = ghJson<Cert>(data, ['cert', 'import', '--file', pfx, '--password-file', pw]);
      assert.equal(c.thumbprint, leaf.thumb);
      assert.equal(c.friendlyName, `Contoso ${alg} ${legacy ? 'legacy' : 'modern'}`);
      assert.equal(c.keyType, alg === 'rsa' ? 'rsa-2048' : 'ecdsa-p256');
      assert.equal(c.hasPrivateKey, true);
      assert.equal(c.exportable, false, 'keys are not exportable unless asked');
      assert.equal(c.store, 'webhosting');
      assert.ok(c.chain.map((x) => x.thumbprint).includes(intThumb), 'the PFX chain is kept');
      assert.ok(!c.chain.map((x) => x.thumbprint).includes(leaf.thumb));
      const list = ghJson<Cert[]>(data, ['cert', 'list']);
      assert.deepEqual(list.map((x) => x.thumbprint), [leaf.thumb]);
    });
  }
}

test('cert import: --friendly-name overrides the PFX name; --store personal; --exportable', () => {
  const pfx = makePfx(ec, { name: 'From PFX' });
  const data = dataDir();
  const c = ghJson<Cert>(data, [
    'cert', 'import', '--file', pfx, '--password-file', pw, '--friendly-name', 'Chosen Name', '--store', 'personal',
    '--exportable',
  ]);
  assert.equal(c.friendlyName, 'Chosen Name');
  assert.equal(c.store, 'personal');
  assert.equal(c.exportable, true);
  assert.deepEqual(ghJson<Cert[]>(data, ['cert', 'list', '--store', 'personal']).map((x) => x.thumbprint), [ec.thumb]);
});

test('cert import: PFX without -name gets a non-empty friendly name', () => {
  const pfx = makePfx(rsa, {});
  const data = dataDir();
  const c = ghJson<Cert>(data, ['cert', 'import', '--file', pfx, '--password-file', pw]);
  assert.equal(c.thumbprint, rsa.thumb);
  assert.equal(typeof c.friendlyName, 'string');
  assert.ok(c.friendlyName.length > 0);
});

const keyForms: { name: string; leaf: () => { key: string; cert: string; thumb: string }; make: (key: string, dir: string) => string; label: RegExp; password?: boolean }[] = [
  {
    name: 'PKCS#1 RSA key (openssl rsa -traditional)', leaf: () => rsa, label: /BEGIN RSA PRIVATE KEY/,
    make: (key, dir) => { const o = join(dir, 'k.pem'); openssl(['rsa', '-in', key, '-traditional', '-out', o]); return o; },
  },
  {
    name: 'SEC1 EC key (openssl ec)', leaf: () => ec, label: /BEGIN EC PRIVATE KEY/,
    make: (key, dir) => { const o = join(dir, 'k.pem'); openssl(['ec', '-in', key, '-out', o]); return o; },
  },
  {
    name: 'PKCS#8 RSA key', leaf: () => rsa, label: /BEGIN PRIVATE KEY/,
    make: (key, dir) => { const o = join(dir, 'k.pem'); openssl(['pkcs8', '-topk8', '-nocrypt', '-in', key, '-out', o]); return o; },
  },
  {
    name: 'PKCS#8 EC key', leaf: () => ec, label: /BEGIN PRIVATE KEY/,
    make: (key, dir) => { const o = join(dir, 'k.pem'); openssl(['pkcs8', '-topk8', '-nocrypt', '-in', key, '-out', o]); return o; },
  },
  {
    name: 'encrypted PKCS#8 RSA key', leaf: () => rsa, label: /BEGIN ENCRYPTED PRIVATE KEY/, password: true,
    make: (key, dir) => {
      const o = join(dir, 'k.pem');
      openssl(['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', key, '-passout', `pass:${PASSWORD}`, '-out', o]);
      return o;
    },
  },
  {
    name: 'encrypted PKCS#8 EC key', leaf: () => ec, label: /BEGIN ENCRYPTED PRIVATE KEY/, password: true,
    make: (key, dir) => {
      const o = join(dir, 'k.pem');
      openssl(['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', key, '-passout', `pass:${PASSWORD}`, '-out', o]);
      return o;
    },
  },
];

for (const kf of keyForms) {
  test(`cert import: PEM certificate + --key-file ${kf.name}`, () => {
    const leaf = kf.leaf();
    const dir = tmpDir();
    const keyFile = kf.make(leaf.key, dir);
    assert.match(readText(keyFile), kf.label);
    const data = dataDir();
    const args = ['cert', 'import', '--file', leaf.cert, '--key-file', keyFile, '--friendly-name', 'PEM import'];
    if (kf.password) args.push('--password-file', pw);
    const c = ghJson<Cert>(data, args);
    assert.equal(c.thumbprint, leaf.thumb);
    assert.equal(c.hasPrivateKey, true);
    assert.equal(c.friendlyName, 'PEM import');
    assert.equal(c.keyType, leaf === rsa ? 'rsa-2048' : 'ecdsa-p256');
  });
}

test('cert import: one PEM file holding certificate and key (either order) needs no --key-file', () => {
  const dir = tmpDir();
  const certFirst = writeText(join(dir, 'both1.pem'), readText(ec.cert) + readText(ec.key));
  const keyFirst = writeText(join(dir, 'both2.pem'), readText(rsa.key) + readText(rsa.cert) + readText(pki.intCert));
  const d1 = dataDir();
  const c1 = ghJson<Cert>(d1, ['cert', 'import', '--file', certFirst]);
  assert.equal(c1.thumbprint, ec.thumb);
  assert.equal(c1.hasPrivateKey, true);
  const d2 = dataDir();
  const c2 = ghJson<Cert>(d2, ['cert', 'import', '--file', keyFirst]);
  assert.equal(c2.thumbprint, rsa.thumb);
  assert.equal(c2.hasPrivateKey, true);
  assert.ok(c2.chain.map((x) => x.thumbprint).includes(intThumb));
});

test('cert import: the private key is never printed', () => {
  const data = dataDir();
  const pfx = makePfx(ec, { name: 'quiet' });
  const outs = [
    gh(data, ['cert', 'import', '--file', pfx, '--password-file', pw, '--exportable', '--json']),
    gh(data, ['cert', 'show', ec.thumb, '--json']),
    gh(data, ['cert', 'show', ec.thumb]),
    gh(data, ['cert', 'list', '--json']),
    gh(data, ['cert', 'list']),
  ];
  for (const r of outs) {
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!/PRIVATE KEY/.test(r.stdout + r.stderr), `key printed by ${r.args.join(' ')}`);
  }
});

// ------------------------------------------------------------------------------------- export

function importExportable(leaf: { key: string; cert: string }, name: string): string {
  const data = dataDir();
  const pfx = makePfx(leaf, { name: 'in' });
  ghJson(data, ['cert', 'import', '--file', pfx, '--password-file', pw, '--exportable', '--friendly-name', name]);
  return data;
}

for (const leafName of ['rsa', 'ec'] as const) {
  test(`cert export pfx (modern, ${leafName}): opens with openssl without -legacy, keeps friendly name, key matches, mode 0600`, () => {
    const leaf = leafName === 'rsa' ? rsa : ec;
    const data = importExportable(leaf, 'Export Me');
    const out = join(tmpDir(), 'out.pfx');
    const j = ghJson<{ thumbprint: string; out: string; format: string }>(data, [
      'cert', 'export', leaf.thumb, '--out', out, '--password-file', pw,
    ]);
    assert.equal(j.thumbprint, leaf.thumb);
    assert.equal(j.format, 'pfx');
    assert.ok(j.out.endsWith('out.pfx'));
    assert.equal(mode(out), 0o600);
    const { dump, info } = openPfx(out, false);
    const thumbs = assertKeyMatchesLeaf(dump, leaf.thumb);
    assert.match(info, /friendlyName: Export Me/);
    assert.ok(thumbs.includes(intThumb), 'the chain travels with the PFX');
  });
}

test('cert export --legacy: a PFX for old Windows (no PBES2) that openssl opens with -legacy', () => {
  const data = importExportable(rsa, 'Legacy Export');
  const out = join(tmpDir(), 'legacy.pfx');
  const j = ghJson<{ format: string }>(data, ['cert', 'export', 'Legacy Export', '--out', out, '--password-file', pw, '--legacy']);
  assert.match(j.format, /^pfx/);
  assert.equal(mode(out), 0o600);
  const { dump, info } = openPfx(out, true);
  assertKeyMatchesLeaf(dump, rsa.thumb);
  assert.match(info, /friendlyName: Legacy Export/);
  assert.ok(!/PBES2/.test(info), `legacy PFX must not use PBES2:\n${info}`);
  assert.match(info, /pbeWithSHA1And/);
});

test('cert export --format pem: PKCS#8 key first, then certificate and chain; key matches', () => {
  const data = importExportable(ec, 'Pem Export');
  const out = join(tmpDir(), 'out.pem');
  const j = ghJson<{ thumbprint: string; format: string }>(data, ['cert', 'export', ec.thumb.toLowerCase(), '--out', out, '--format', 'pem']);
  assert.equal(j.format, 'pem');
  assert.equal(j.thumbprint, ec.thumb);
  assert.equal(mode(out), 0o600);
  const text = readText(out);
  const blocks = pemBlocks(text);
  assert.deepEqual(blocks.map((b) => b.label), ['PRIVATE KEY', 'CERTIFICATE', 'CERTIFICATE']);
  const dir = tmpDir();
  assert.equal(opensslThumbprint(writeText(join(dir, 'c0.pem'), blocks[1]!.pem)), ec.thumb);
  assert.equal(opensslThumbprint(writeText(join(dir, 'c1.pem'), blocks[2]!.pem)), intThumb);
  assertKeyMatchesLeaf(text, ec.thumb);
});

test('cert export --format pem --password-file: encrypted PKCS#8 key that openssl decrypts', () => {
  const data = importExportable(rsa, 'Pem Enc');
  const out = join(tmpDir(), 'enc.pem');
  ghJson(data, ['cert', 'export', 'Pem Enc', '--out', out, '--format', 'pem', '--password-file', pw]);
  const blocks = pemBlocks(readText(out));
  assert.equal(blocks[0]!.label, 'ENCRYPTED PRIVATE KEY');
  assert.ok(!blocks.some((b) => b.label === 'PRIVATE KEY' || b.label === 'RSA PRIVATE KEY'));
  const dir = tmpDir();
  const keyFile = writeText(join(dir, 'k.pem'), blocks[0]!.pem);
  assert.equal(keyPubkey(keyFile, `file:${pw}`), certPubkey(rsa.cert));
  // wrong password does not open it
  const bad = passwordFile(dir, 'not the password', 'bad.txt');
  assert.throws(() => keyPubkey(keyFile, `file:${bad}`));
});

test('cert export --no-key works for a non-exportable key and writes certificate + chain only', () => {
  const data = dataDir();
  ghJson(data, ['cert', 'import', '--file', makePfx(ec, { name: 'locked' }), '--password-file', pw]);
  const out = join(tmpDir(), 'nokey.pem');
  ghJson(data, ['cert', 'export', 'locked', '--out', out, '--format', 'pem', '--no-key']);
  const blocks = pemBlocks(readText(out));
  assert.deepEqual(blocks.map((b) => b.label), ['CERTIFICATE', 'CERTIFICATE']);
  assert.equal(opensslThumbprint(writeText(join(tmpDir(), 'l.pem'), blocks[0]!.pem)), ec.thumb);
});

test('cert export of a non-exportable key is refused (pfx and pem) and writes nothing', () => {
  const data = dataDir();
  ghJson(data, ['cert', 'import', '--file', makePfx(rsa, { name: 'locked' }), '--password-file', pw]);
  const dir = tmpDir();
  ghFail(data, ['cert', 'export', rsa.thumb, '--out', join(dir, 'x.pfx'), '--password-file', pw], 'GH_KEY_NOT_EXPORTABLE');
  ghFail(data, ['cert', 'export', rsa.thumb, '--out', join(dir, 'x.pem'), '--format', 'pem'], 'GH_KEY_NOT_EXPORTABLE');
  assert.ok(!existsSync(join(dir, 'x.pfx')));
  assert.ok(!existsSync(join(dir, 'x.pem')));
});

test('cert export over an existing world-readable file leaves it 0600', () => {
  const data = importExportable(ec, 'Overwrite');
  const dir = tmpDir();
  for (const [name, extra] of [['old.pfx', ['--password-file', pw]], ['old.pem', ['--format', 'pem']]] as const) {
    const out = writeText(join(dir, name), 'old content\n');
    chmodSync(out, 0o644);
    ghJson(data, ['cert', 'export', 'Overwrite', '--out', out, ...extra]);
    assert.equal(mode(out), 0o600, `${name} mode`);
    assert.ok(!readText(out).includes('old content'));
  }
});

test('a password file with Windows CRLF line ending: the password is the first line without CR', () => {
  const dir = tmpDir();
  const crlf = writeText(join(dir, 'crlf.txt'), `${PASSWORD}\r\n`);
  const data = dataDir();
  const c = ghJson<Cert>(data, ['cert', 'import', '--file', makePfx(rsa, { name: 'crlf' }), '--password-file', crlf, '--exportable']);
  assert.equal(c.thumbprint, rsa.thumb);
  const out = join(dir, 'o.pfx');
  ghJson(data, ['cert', 'export', rsa.thumb, '--out', out, '--password-file', crlf]);
  assertKeyMatchesLeaf(openPfx(out, false).dump, rsa.thumb); // openPfx uses the LF password file
});

test('cert export pfx without --password-file is refused', () => {
  const data = importExportable(ec, 'nopw');
  const out = join(tmpDir(), 'x.pfx');
  ghFail(data, ['cert', 'export', 'nopw', '--out', out], 'GH_PASSWORD_REQUIRED');
  assert.ok(!existsSync(out));
});

test('round trip: our exported PFX imports into a fresh store with the same thumbprint, name and chain', () => {
  const d1 = importExportable(rsa, 'Round Trip');
  const out = join(tmpDir(), 'rt.pfx');
  ghJson(d1, ['cert', 'export', 'Round Trip', '--out', out, '--password-file', pw]);
  const d2 = dataDir();
  const c = ghJson<Cert>(d2, ['cert', 'import', '--file', out, '--password-file', pw, '--exportable']);
  assert.equal(c.thumbprint, rsa.thumb);
  assert.equal(c.friendlyName, 'Round Trip');
  assert.equal(c.hasPrivateKey, true);
  assert.ok(c.chain.map((x) => x.thumbprint).includes(intThumb));
  // and out again, legacy this time, still the same key
  const out2 = join(tmpDir(), 'rt2.pfx');
  ghJson(d2, ['cert', 'export', rsa.thumb, '--out', out2, '--password-file', pw, '--legacy']);
  assertKeyMatchesLeaf(openPfx(out2, true).dump, rsa.thumb);
});

test('private keys are encrypted at rest: the store files never hold the key bytes or the password', () => {
  const data = dataDir();
  // the EC key through a PFX, the RSA key through a PEM file
  ghJson(data, ['cert', 'import', '--file', makePfx(ec, { name: 'at rest' }), '--password-file', pw, '--exportable']);
  ghJson(data, ['cert', 'import', '--file', rsa.cert, '--key-file', rsa.key, '--exportable']);
  const secrets: [string, Buffer][] = [];
  for (const [name, key] of [['ec', ec.key], ['rsa', rsa.key]] as const) {
    const pkcs8 = opensslBuf(['pkey', '-in', key, '-outform', 'DER']);
    secrets.push([`${name} PKCS#8 DER`, pkcs8]);
    secrets.push([`${name} PKCS#8 base64`, Buffer.from(pkcs8.toString('base64').slice(0, 64))]);
  }
  secrets.push(['ec SEC1 DER', opensslBuf(['ec', '-in', ec.key, '-outform', 'DER'])]);
  secrets.push(['rsa PKCS#1 DER', opensslBuf(['rsa', '-in', rsa.key, '-traditional', '-outform', 'DER'])]);
  secrets.push(['PFX password', Buffer.from(PASSWORD)]);
  // a key Gatehouse made itself (self-signed), read back through an explicit export
  const self = ghJson<Cert>(data, ['cert', 'self-signed', '--cn', 'rest.contoso.com', '--key', 'ecdsa-p256', '--exportable']);
  const exported = join(tmpDir(), 'self.pem');
  ghJson(data, ['cert', 'export', self.thumbprint, '--out', exported, '--format', 'pem']);
  const selfKey = writeText(join(tmpDir(), 'self.key'), pemBlocks(readText(exported)).find((b) => b.label === 'PRIVATE KEY')!.pem);
  secrets.push(['self-signed PKCS#8 DER', opensslBuf(['pkey', '-in', selfKey, '-outform', 'DER'])]);
  const files = readdirSync(data).map((f) => join(data, f)).filter((f) => statSync(f).isFile());
  assert.ok(testingPostgres() || files.some((f) => f.endsWith('gatehouse.db')));
  const stores: Array<[string, Buffer]> = files.map((f) => [f, readFileSync(f)]);
  // On PostgreSQL the database is not in the data directory: its schema, dumped, is looked at too.
  if (testingPostgres()) stores.push(['the PostgreSQL schema', storeBytes(data)]);
  for (const [f, bytes] of stores) {
    for (const [what, secret] of secrets) {
      assert.equal(bytes.indexOf(secret), -1, `${what} found in plain text in ${f}`);
    }
  }
});

test('cert import: key type is read from the key (ecdsa-p384, rsa-3072)', () => {
  const dir = tmpDir();
  for (const [keyType, genArgs] of [
    ['ecdsa-p384', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384']],
    ['rsa-3072', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072']],
  ] as const) {
    const key = join(dir, `${keyType}.key`);
    openssl(['genpkey', ...genArgs, '-out', key]);
    const csr = join(dir, `${keyType}.csr`);
    openssl(['req', '-new', '-key', key, '-out', csr, '-subj', `/CN=${keyType}.contoso.com`, '-config', pki.cnf]);
    const cert = pki.sign(csr);
    const pfx = join(dir, `${keyType}.pfx`);
    openssl(['pkcs12', '-export', '-in', cert, '-inkey', key, '-passout', `pass:${PASSWORD}`, '-out', pfx]);
    const c = ghJson<Cert>(dataDir(), ['cert', 'import', '--file', pfx, '--password-file', pw]);
    assert.equal(c.keyType, keyType);
    assert.equal(c.thumbprint, opensslThumbprint(cert));
  }
});
