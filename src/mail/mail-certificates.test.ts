import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type MailCertificate, MailCertificateSelector } from './mail-certificates.js';

const now = new Date('2026-11-21T00:00:00Z');
const cert = (thumbprint: string, sans: string[], days = 200, hasPrivateKey = true): MailCertificate => ({
  thumbprint, friendlyName: `name of ${thumbprint}`, sans, notAfter: new Date(now.getTime() + days * 86_400_000).toISOString(), hasPrivateKey,
});

test('SNI: exact name before wildcard; no SNI or an unknown name gets the assigned certificate', () => {
  const s = new MailCertificateSelector([cert('ASSIGNED', ['mail.contoso.com']), cert('EXACT', ['smtp.fabrikam.com']), cert('WILD', ['*.fabrikam.com'])], { smtp: 'ASSIGNED' }, now);
  assert.deepEqual(s.select('smtp', 'SMTP.Fabrikam.com.'), { thumbprint: 'EXACT', rule: 'sni-exact' });
  assert.deepEqual(s.select('smtp', 'imap.fabrikam.com'), { thumbprint: 'WILD', rule: 'sni-wildcard' });
  assert.deepEqual(s.select('smtp', 'a.b.fabrikam.com'), { thumbprint: 'ASSIGNED', rule: 'assigned' }, 'a wildcard covers one label');
  assert.deepEqual(s.select('smtp', undefined), { thumbprint: 'ASSIGNED', rule: 'assigned' });
  assert.deepEqual(s.select('imap', 'unknown.test'), { thumbprint: null, rule: 'none' }, 'IMAP has nothing assigned');
  assert.equal(s.friendlyName('EXACT'), 'name of EXACT');
});

test('among certificates with the name: valid before expired, then the assigned one, then the one that expires last', () => {
  const s = new MailCertificateSelector([cert('OLD', ['mail.test'], 30), cert('NEW', ['mail.test'], 300), cert('GONE', ['mail.test'], -1), cert('MINE', ['mail.test'], 60)], { pop: 'MINE' }, now);
  assert.equal(s.select('pop', 'mail.test').thumbprint, 'MINE');
  assert.equal(s.select('imap', 'mail.test').thumbprint, 'NEW');
  const expiredAssigned = new MailCertificateSelector([cert('GONE', ['mail.test'], -1), cert('NEW', ['mail.test'], 300)], { smtp: 'GONE' }, now);
  assert.equal(expiredAssigned.select('smtp', 'mail.test').thumbprint, 'NEW');
});

test('certificates without their private key here never take part', () => {
  const s = new MailCertificateSelector([cert('NOKEY', ['mail.test'], 300, false)], { smtp: 'ASSIGNED' }, now);
  assert.deepEqual(s.select('smtp', 'mail.test'), { thumbprint: 'ASSIGNED', rule: 'assigned' });
});
