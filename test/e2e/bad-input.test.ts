// End-to-end: a table of bad inputs. For each one: exit 1 (2 for usage), exactly one line on
// stderr naming the GH_ code, no stack trace, and the store's visible state unchanged.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import {
  gh, ghJson, dataDir, tmpDir, join, openssl, readText, writeText, passwordFile, storeSnapshot,
  assertCleanError, describeRun, TestPki,
} from '../support/cli.js';
import { testingPostgres } from '../support/postgres.js';
import { damagedEcKey, damagedRsaKey, withDamagedPublicKey, withOverlongAkiInteger } from '../support/damage.js';

interface Ctx { data: string; dir: string }
interface Case {
  name: string;
  code: string;
  exit?: number;
  /** message must match (besides the code) */
  message?: RegExp;
  /** do the setup in ctx.data and return the failing command's args */
  prepare: (ctx: Ctx) => string[];
  /** extra checks after the failure */
  after?: (ctx: Ctx) => void;
}

let pki: TestPki;
let fx: string;
let pw: string;
let wrongPw: string;
let foreign: { key: string; cert: string };
let pfx: string;
let pfxNoKey: string;
let rsaKey: string;
let encKey: string;
let rsaLeaf: { key: string; cert: string };
/** Damaged keys (issue #10, finding 6): RSA with d, dq or qi altered, EC with its private value altered; and PFX files holding them. */
const damaged: Record<'d' | 'dq' | 'qi' | 'ec' | 'rsaPfx' | 'ecPfx', string> = { d: '', dq: '', qi: '', ec: '', rsaPfx: '', ecPfx: '' };

before(() => {
  pki = TestPki.create();
  fx = tmpDir('gh-bad-');
  pw = passwordFile(fx, 'right-password');
  wrongPw = passwordFile(fx, 'wrong-password', 'wrong.txt');
  foreign = pki.leaf('foreign.contoso.com');
  pfx = join(fx, 'good.pfx');
  openssl(['pkcs12', '-export', '-in', foreign.cert, '-inkey', foreign.key, '-name', 'Foreign', '-passout', `file:${pw}`, '-out', pfx]);
  pfxNoKey = join(fx, 'nokey.pfx');
  openssl(['pkcs12', '-export', '-in', foreign.cert, '-nokeys', '-passout', `file:${pw}`, '-out', pfxNoKey]);
  rsaKey = join(fx, 'other-rsa.key');
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', rsaKey]);
  encKey = join(fx, 'enc.key');
  openssl(['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', foreign.key, '-passout', `file:${pw}`, '-out', encKey]);
  rsaLeaf = pki.leaf('rsa.contoso.com', { ec: false });
  for (const part of ['d', 'dq', 'qi'] as const) damaged[part] = writeText(join(fx, `damaged-${part}.key`), damagedRsaKey(readText(rsaLeaf.key), part));
  damaged.ec = writeText(join(fx, 'damaged-ec.key'), damagedEcKey(readText(foreign.key)));
  // openssl checks nothing when it packs a key: the PFX holds the damaged key as it is.
  damaged.rsaPfx = join(fx, 'damaged-rsa.pfx');
  openssl(['pkcs12', '-export', '-in', rsaLeaf.cert, '-inkey', damaged.d, '-passout', `file:${pw}`, '-out', damaged.rsaPfx]);
  damaged.ecPfx = join(fx, 'damaged-ec.pfx');
  openssl(['pkcs12', '-export', '-in', foreign.cert, '-inkey', damaged.ec, '-passout', `file:${pw}`, '-out', damaged.ecPfx]);
  for (const key of [damaged.d, damaged.dq, damaged.qi, damaged.ec]) {
    assert.throws(() => openssl(['pkey', '-check', '-noout', '-in', key]), `openssl must find ${key} damaged too`);
  }
});

/** A pending request in ctx.data; returns its CSR file. */
function pending(ctx: Ctx, cn = 'www.contoso.com'): string {
  const csr = join(ctx.dir, `${cn}.csr`);
  ghJson(ctx.data, ['request', 'new', '--cn', cn, '--key', 'ecdsa-p256', '--out', csr]);
  return csr;
}

/** A pending request, signed by the openssl CA; returns the leaf PEM path. */
function pendingSigned(ctx: Ctx): string {
  return pki.sign(pending(ctx), { out: join(ctx.dir, 'leaf.pem') });
}

function complete(file: string): string[] {
  return ['request', 'complete', '--file', file];
}

function exportable(ctx: Ctx, exp: boolean): string {
  const c = ghJson<{ thumbprint: string }>(ctx.data, ['cert', 'self-signed', '--cn', 'self.contoso.com', '--key', 'ecdsa-p256',
    '--friendly-name', 'Self', ...(exp ? ['--exportable'] : [])]);
  return c.thumbprint;
}

// at least 18 of these are user errors (exit 1); the last few are usage errors (exit 2)
const cases: Case[] = [
  {
    name: 'truncated PEM certificate', code: 'GH_NOT_A_CERTIFICATE', message: /truncated/i,
    prepare: (ctx) => {
      const text = readText(pendingSigned(ctx));
      return complete(writeText(join(ctx.dir, 'cut.pem'), text.slice(0, Math.floor(text.length / 2))));
    },
  },
  {
    name: 'DER-looking garbage', code: 'GH_NOT_A_CERTIFICATE',
    prepare: (ctx) => {
      pending(ctx);
      return complete(writeText(join(ctx.dir, 'garbage.cer'), Buffer.concat([Buffer.from([0x30, 0x82, 0x03, 0x00]), randomBytes(768)])));
    },
  },
  {
    name: 'empty file', code: 'GH_NOT_A_CERTIFICATE', message: /empty/i,
    prepare: (ctx) => {
      pending(ctx);
      return complete(writeText(join(ctx.dir, 'empty.cer'), ''));
    },
  },
  {
    name: 'a CSR where a certificate is expected', code: 'GH_NOT_A_CERTIFICATE', message: /certificate request/i,
    prepare: (ctx) => complete(pending(ctx)),
  },
  {
    name: 'a private key where a certificate is expected', code: 'GH_NOT_A_CERTIFICATE', message: /private key/i,
    prepare: (ctx) => {
      pending(ctx);
      return complete(foreign.key);
    },
    after: (ctx) => {
      const r = gh(ctx.data, complete(foreign.key));
      assert.ok(!r.stderr.includes('BEGIN'), 'the key must not be echoed');
    },
  },
  {
    name: 'an HTML error page saved as .cer', code: 'GH_NOT_A_CERTIFICATE', message: /HTML/,
    prepare: (ctx) => {
      pending(ctx);
      return complete(writeText(join(ctx.dir, 'certnew.cer'),
        '<!DOCTYPE html>\n<html><head><title>403 - Forbidden</title></head><body><h1>Access denied</h1></body></html>\n'));
    },
  },
  {
    name: 'a 5 MB file', code: 'GH_FILE_TOO_LARGE',
    prepare: (ctx) => {
      pending(ctx);
      const pem = readText(pki.intCert);
      return complete(writeText(join(ctx.dir, 'huge.pem'), pem.repeat(Math.ceil((5 * 1024 * 1024) / pem.length))));
    },
  },
  {
    name: 'a certificate for a key with no pending request', code: 'GH_NO_MATCHING_REQUEST', message: /PFX/i,
    prepare: (ctx) => {
      pending(ctx);
      return complete(foreign.cert);
    },
  },
  {
    name: 'a certificate when there are no pending requests at all', code: 'GH_NO_MATCHING_REQUEST',
    prepare: () => complete(foreign.cert),
  },
  {
    name: 'an expired certificate', code: 'GH_CERT_EXPIRED',
    prepare: (ctx) => complete(pki.sign(pending(ctx), { startdate: '20200101000000Z', enddate: '20210101000000Z' })),
  },
  {
    name: 'a certificate not yet valid', code: 'GH_CERT_NOT_YET_VALID',
    prepare: (ctx) => complete(pki.sign(pending(ctx), { startdate: '20400101000000Z', enddate: '20410101000000Z' })),
  },
  {
    name: 'completing a certificate that is already installed', code: 'GH_CERT_ALREADY_INSTALLED', message: /webhosting/,
    prepare: (ctx) => {
      const leaf = pendingSigned(ctx);
      ghJson(ctx.data, complete(leaf));
      return complete(leaf);
    },
  },
  {
    name: 'importing a PFX that is already installed', code: 'GH_CERT_ALREADY_INSTALLED', message: /personal/,
    prepare: (ctx) => {
      ghJson(ctx.data, ['cert', 'import', '--file', pfx, '--password-file', pw, '--store', 'personal']);
      return ['cert', 'import', '--file', pfx, '--password-file', pw];
    },
  },
  {
    name: 'a wrong PFX password', code: 'GH_PFX_BAD_PASSWORD',
    prepare: () => ['cert', 'import', '--file', pfx, '--password-file', wrongPw],
  },
  {
    name: 'a PFX without a private key', code: 'GH_PFX_NO_KEY',
    prepare: () => ['cert', 'import', '--file', pfxNoKey, '--password-file', pw],
  },
  {
    name: 'a key that does not match the certificate', code: 'GH_KEY_MISMATCH',
    prepare: () => ['cert', 'import', '--file', foreign.cert, '--key-file', rsaKey],
  },
  {
    name: 'a wrong password for an encrypted PEM key', code: 'GH_KEY_BAD_PASSWORD',
    prepare: () => ['cert', 'import', '--file', foreign.cert, '--key-file', encKey, '--password-file', wrongPw],
  },
  {
    name: 'invalid DNS name -bad-.com (as CN)', code: 'GH_NAME_INVALID',
    // --cn=VALUE: a value starting with '-' would otherwise be read as an option
    prepare: (ctx) => ['request', 'new', '--cn=-bad-.com', '--key', 'ecdsa-p256', '--out', join(ctx.dir, 'x.csr')],
    after: (ctx) => assert.ok(!existsSync(join(ctx.dir, 'x.csr'))),
  },
  {
    name: 'invalid DNS name a..b (as SAN)', code: 'GH_NAME_INVALID',
    prepare: (ctx) => ['request', 'new', '--cn', 'ok.contoso.com', '--san', 'a..b', '--key', 'ecdsa-p256', '--out', join(ctx.dir, 'x.csr')],
    after: (ctx) => assert.ok(!existsSync(join(ctx.dir, 'x.csr'))),
  },
  {
    name: 'invalid DNS name *.*.x.com', code: 'GH_NAME_INVALID',
    prepare: (ctx) => ['request', 'new', '--cn', 'ok.contoso.com', '--san', '*.*.x.com', '--key', 'ecdsa-p256', '--out', join(ctx.dir, 'x.csr')],
  },
  {
    name: 'invalid DNS name www.*.com', code: 'GH_NAME_INVALID',
    prepare: (ctx) => ['request', 'new', '--cn', 'www.*.com', '--key', 'ecdsa-p256', '--out', join(ctx.dir, 'x.csr')],
  },
  {
    name: 'invalid DNS name in self-signed', code: 'GH_NAME_INVALID',
    prepare: () => ['cert', 'self-signed', '--cn', 'bad_name..com', '--key', 'ecdsa-p256'],
  },
  {
    name: 'invalid DNS name: a label longer than 63 characters', code: 'GH_NAME_INVALID',
    prepare: (ctx) => ['request', 'new', '--cn', `${'a'.repeat(64)}.contoso.com`, '--key', 'ecdsa-p256', '--out', join(ctx.dir, 'x.csr')],
  },
  {
    name: 'a bad country code (USA)', code: 'GH_COUNTRY_INVALID',
    prepare: (ctx) => ['request', 'new', '--cn', 'www.contoso.com', '--country', 'USA', '--key', 'ecdsa-p256', '--out', join(ctx.dir, 'x.csr')],
  },
  {
    name: 'a country name, not its code (Germany: never cut to GE, Georgia)', code: 'GH_COUNTRY_INVALID',
    prepare: (ctx) => ['request', 'new', '--cn', 'www.contoso.com', '--country', 'Germany', '--key', 'ecdsa-p256', '--out', join(ctx.dir, 'x.csr')],
  },
  {
    name: 'an unknown certificate REF', code: 'GH_CERT_NOT_FOUND',
    prepare: (ctx) => {
      exportable(ctx, true);
      return ['cert', 'show', '0123456789ABCDEF0123456789ABCDEF01234567'];
    },
  },
  {
    name: 'removing an unknown certificate by friendly name', code: 'GH_CERT_NOT_FOUND',
    prepare: (ctx) => {
      exportable(ctx, true);
      return ['cert', 'remove', 'No Such Name'];
    },
  },
  {
    name: 'an ambiguous REF (two certificates with the same friendly name)', code: 'GH_CERT_REF_AMBIGUOUS',
    prepare: (ctx) => {
      const a = exportable(ctx, true);
      const b = exportable(ctx, true);
      assert.notEqual(a, b);
      writeText(join(ctx.dir, 'thumbs'), `${a}\n${b}\n`);
      return ['cert', 'remove', 'Self'];
    },
    after: (ctx) => {
      const [a, b] = readText(join(ctx.dir, 'thumbs')).trim().split('\n');
      const r = gh(ctx.data, ['cert', 'show', 'Self']);
      assertCleanError(r, 'GH_CERT_REF_AMBIGUOUS');
      assert.ok(r.stderr.toUpperCase().includes(a!) && r.stderr.toUpperCase().includes(b!), `candidates not listed: ${r.stderr}`);
    },
  },
  {
    name: 'an ambiguous REF (a friendly name equal to another certificate\'s thumbprint prefix)', code: 'GH_CERT_REF_AMBIGUOUS',
    prepare: (ctx) => {
      const a = exportable(ctx, true);
      ghJson(ctx.data, ['cert', 'self-signed', '--cn', 'b.contoso.com', '--key', 'ecdsa-p256', '--friendly-name', a.slice(0, 8)]);
      return ['cert', 'remove', a.slice(0, 8)];
    },
  },
  {
    name: 'export of a non-exportable key', code: 'GH_KEY_NOT_EXPORTABLE',
    prepare: (ctx) => ['cert', 'export', exportable(ctx, false), '--out', join(ctx.dir, 'x.pfx'), '--password-file', pw],
    after: (ctx) => assert.ok(!existsSync(join(ctx.dir, 'x.pfx')), 'nothing may be written'),
  },
  {
    name: 'export to PFX without a password', code: 'GH_PASSWORD_REQUIRED',
    prepare: (ctx) => ['cert', 'export', exportable(ctx, true), '--out', join(ctx.dir, 'x.pfx')],
    after: (ctx) => assert.ok(!existsSync(join(ctx.dir, 'x.pfx')), 'nothing may be written'),
  },
  {
    name: 'a missing file (request complete)', code: 'GH_FILE_NOT_FOUND',
    prepare: (ctx) => {
      pending(ctx);
      return complete(join(ctx.dir, 'does-not-exist.cer'));
    },
  },
  {
    name: 'a missing key file (cert import)', code: 'GH_FILE_NOT_FOUND',
    prepare: (ctx) => ['cert', 'import', '--file', foreign.cert, '--key-file', join(ctx.dir, 'nope.key')],
  },
  {
    name: 'an unknown request id', code: 'GH_REQUEST_NOT_FOUND',
    prepare: (ctx) => {
      pending(ctx);
      return ['request', 'cancel', '424242'];
    },
  },
  {
    name: 'ca sign without ca init', code: 'GH_CA_NOT_INITIALIZED',
    prepare: (ctx) => ['ca', 'sign', '--csr', pending(ctx), '--out', join(ctx.dir, 'x.pem')],
  },
  {
    name: 'a second ca init', code: 'GH_CA_EXISTS',
    prepare: (ctx) => {
      ghJson(ctx.data, ['ca', 'init', '--cn', 'First CA', '--key', 'ecdsa-p256']);
      return ['ca', 'init', '--cn', 'Second CA', '--key', 'ecdsa-p256'];
    },
  },
  // Damaged keys are refused before they are stored (issue #10, finding 6).
  {
    name: 'an RSA key whose d was altered (d·e not congruent to 1)', code: 'GH_KEY_DAMAGED', message: /d·e is not congruent to 1/,
    prepare: () => ['cert', 'import', '--file', rsaLeaf.cert, '--key-file', damaged.d],
  },
  {
    name: 'an RSA key whose CRT exponent dq was altered', code: 'GH_KEY_DAMAGED', message: /--key-file is damaged: its CRT exponent dq/,
    prepare: () => ['cert', 'import', '--file', rsaLeaf.cert, '--key-file', damaged.dq],
  },
  {
    name: 'an RSA key whose CRT coefficient qi was altered', code: 'GH_KEY_DAMAGED', message: /qi/,
    prepare: () => ['cert', 'import', '--file', rsaLeaf.cert, '--key-file', damaged.qi],
  },
  {
    name: 'an EC key whose private value was altered (its public point kept)', code: 'GH_KEY_DAMAGED', message: /public point/,
    prepare: () => ['cert', 'import', '--file', foreign.cert, '--key-file', damaged.ec],
  },
  {
    name: 'a certificate and a damaged RSA key in one PEM file', code: 'GH_KEY_DAMAGED', message: /in both\.pem is damaged/,
    prepare: (ctx) => ['cert', 'import', '--file', writeText(join(ctx.dir, 'both.pem'), readText(rsaLeaf.cert) + readText(damaged.dq))],
  },
  {
    name: 'a PFX holding a damaged RSA key', code: 'GH_KEY_DAMAGED', message: /inside damaged-rsa\.pfx is damaged/,
    prepare: () => ['cert', 'import', '--file', damaged.rsaPfx, '--password-file', pw],
  },
  {
    name: 'a PFX holding a damaged EC key', code: 'GH_KEY_DAMAGED', message: /inside damaged-ec\.pfx is damaged/,
    prepare: () => ['cert', 'import', '--file', damaged.ecPfx, '--password-file', pw],
  },
  // Input that used to end as GH_INTERNAL (issue #10, finding 7).
  {
    name: 'a CA answer whose public key does not decode', code: 'GH_NOT_A_CERTIFICATE', message: /public key/,
    prepare: (ctx) => complete(writeText(join(ctx.dir, 'bad-spki.pem'), withDamagedPublicKey(readText(pendingSigned(ctx))))),
  },
  {
    name: 'a certificate whose public key does not decode, with its key (cert import)', code: 'GH_NOT_A_CERTIFICATE', message: /public key/,
    prepare: (ctx) => ['cert', 'import', '--file', writeText(join(ctx.dir, 'bad-spki.pem'), withDamagedPublicKey(readText(foreign.cert))), '--key-file', foreign.key],
  },
  {
    name: 'a CA answer with an over-long integer in its AuthorityKeyIdentifier', code: 'GH_NOT_A_CERTIFICATE', message: /extensions/,
    prepare: (ctx) => complete(writeText(join(ctx.dir, 'bad-aki.pem'), withOverlongAkiInteger(readText(pendingSigned(ctx))))),
  },
  {
    name: 'a certificate with an over-long AuthorityKeyIdentifier integer, with its key (cert import)', code: 'GH_NOT_A_CERTIFICATE', message: /extensions/,
    prepare: (ctx) => ['cert', 'import', '--file', writeText(join(ctx.dir, 'bad-aki.pem'), withOverlongAkiInteger(readText(foreign.cert))), '--key-file', foreign.key],
  },
  {
    name: 'cert list --expiring beyond any date (100000000 days)', code: 'GH_DAYS_INVALID', message: /--expiring takes a whole number of days from 0 to 36500/,
    prepare: (ctx) => {
      exportable(ctx, false);
      return ['cert', 'list', '--expiring', '100000000'];
    },
  },
  // usage errors: exit 2
  { name: 'usage: unknown command', code: 'GH_USAGE', exit: 2, prepare: () => ['frobnicate'] },
  { name: 'usage: unknown verb', code: 'GH_USAGE', exit: 2, prepare: () => ['cert', 'frobnicate'] },
  { name: 'usage: unknown flag', code: 'GH_USAGE', exit: 2, prepare: () => ['cert', 'list', '--bogus-flag'] },
  {
    name: 'usage: request new without --cn', code: 'GH_USAGE', exit: 2,
    prepare: (ctx) => ['request', 'new', '--key', 'ecdsa-p256', '--out', join(ctx.dir, 'x.csr')],
  },
  { name: 'usage: request complete without --file', code: 'GH_USAGE', exit: 2, prepare: () => ['request', 'complete'] },
];

for (const [i, c] of cases.entries()) {
  test(`bad input: ${c.name} -> ${c.code}`, () => {
    const ctx: Ctx = { data: dataDir(), dir: tmpDir('gh-case-') };
    const args = c.prepare(ctx);
    const beforeSnap = storeSnapshot(ctx.data);
    const filesBefore = readdirSync(ctx.dir).sort();
    // every other case also passes --json: errors look the same in both modes
    {
      const r = gh(ctx.data, i % 2 ? [...args, '--json'] : args);
      assertCleanError(r, c.code, c.exit ?? 1);
      if (c.message) assert.match(r.stderr, c.message, describeRun(r));
      assert.ok(!/PRIVATE KEY-----/.test(r.stdout + r.stderr));
    }
    c.after?.(ctx);
    assert.deepEqual(storeSnapshot(ctx.data), beforeSnap, 'the store must be unchanged');
    assert.deepEqual(readdirSync(ctx.dir).sort(), filesBefore, 'no output file may be written');
  });
}

// Issue #10, finding 7: a full disk was reported as an internal error. A small tmpfs holds the data
// directory (mounting needs root; elsewhere src/store/database.test.ts covers SQLITE_FULL alone).
test('a full disk: a change is refused with GH_STORE_FULL, nothing changed, and works again once there is room', {
  // On PostgreSQL the database is not on the data directory's disk: this is the SQLite file's test.
  skip: process.getuid?.() !== 0 ? 'mounting a tmpfs needs root' : testingPostgres() ? 'the SQLite store\'s disk (PostgreSQL\'s is the server\'s)' : false,
}, (t) => {
  const mnt = tmpDir('gh-full-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', mnt]);
  t.after(() => execFileSync('umount', [mnt]));
  const data = join(mnt, 'data');
  ghJson(data, ['cert', 'self-signed', '--cn', 'a.contoso.com', '--key', 'ecdsa-p256']);
  const beforeSnap = storeSnapshot(data);
  const filler = join(mnt, 'filler');
  try {
    execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k'], { stdio: 'ignore' });
  } catch {
    // dd stops with "No space left on device": the disk is full, as wanted.
  }
  for (const args of [['cert', 'self-signed', '--cn', 'b.contoso.com', '--key', 'ecdsa-p256'], ['site', 'add', 'Contoso', '--root', mnt]]) {
    const r = gh(data, args);
    assertCleanError(r, 'GH_STORE_FULL');
    assert.match(r.stderr, /disk .* is full.*nothing was changed/, describeRun(r));
  }
  rmSync(filler);
  assert.deepEqual(storeSnapshot(data), beforeSnap, 'the store must be unchanged');
  ghJson(data, ['cert', 'self-signed', '--cn', 'b.contoso.com', '--key', 'ecdsa-p256']);
});
