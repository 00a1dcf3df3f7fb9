import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatName, validateSubject } from './subject.js';
import { GatehouseError } from '../model/gatehouse-error.js';

test('names read most specific first, as Windows shows them, with RFC 4514 escapes', () => {
  assert.equal(formatName([{ C: ['US'] }, { O: ['Contoso'] }, { CN: ['www.contoso.com'] }]), 'CN=www.contoso.com, O=Contoso, C=US');
  assert.equal(formatName([{ O: ['Contoso, Ltd.'] }, { CN: [' lead'] }]), 'CN=\\ lead, O=Contoso\\, Ltd.');
});

test('the country is two letters, upper-cased; free-text fields are trimmed', () => {
  assert.deepEqual(validateSubject({ cn: 'a', country: 'de', org: ' Contoso ' }), { cn: 'a', country: 'DE', org: 'Contoso' });
  // Two letters are not enough: reserved and withdrawn codes are refused, and "Germany" is never cut to GE (Georgia).
  for (const country of ['USA', 'U', '12', 'U.', 'Germany', 'UK', 'EU', 'XK', 'YU', 'ZZ']) {
    assert.throws(() => validateSubject({ cn: 'a', country }), (e: unknown) => e instanceof GatehouseError && e.code === 'GH_COUNTRY_INVALID');
  }
  assert.equal(validateSubject({ cn: 'a', country: ' gb ' }).country, 'GB');
  assert.throws(() => validateSubject({ cn: 'a', org: '' }), (e: unknown) => e instanceof GatehouseError && e.code === 'GH_SUBJECT_INVALID');
});
