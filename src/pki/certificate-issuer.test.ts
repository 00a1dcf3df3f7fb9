import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createCaCertificate, createSelfSignedCertificate } from './certificate-issuer.js';
import { generateKeyPair } from './key-pair.js';

const DAY_MS = 86_400_000;

/** notBefore and notAfter as OpenSSL reads them (whole seconds). */
function period(der: Buffer): { from: number; to: number } {
  const c = new X509Certificate(der);
  return { from: Date.parse(c.validFrom), to: Date.parse(c.validTo) };
}

test('a certificate for N days is valid exactly N days (backdated five minutes, so it ends five minutes early), within the 825 days Apple accepts', async () => {
  const now = new Date('2026-11-28T14:08:34Z');
  const keys = await generateKeyPair('ecdsa-p256');
  const leaf = period(await createSelfSignedCertificate({ subject: 'CN=localhost', names: [], serialNumber: '01aa', now, days: 825 }, keys));
  const ca = period(await createCaCertificate({ subject: 'CN=Unit CA', serialNumber: '02aa', now, days: 825 }, keys));
  for (const p of [leaf, ca]) {
    assert.equal(p.from, now.getTime() - 5 * 60_000, 'notBefore: five minutes before now');
    assert.equal(p.to - p.from, 825 * DAY_MS, 'notAfter - notBefore: 825 days, not 825 days and five minutes');
  }
});
