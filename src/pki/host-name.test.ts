import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSubjectName, parseSubjectNames } from './host-name.js';
import { GatehouseError } from '../model/gatehouse-error.js';

test('DNS names are lower-cased and trailing dots dropped', () => {
  assert.deepEqual(parseSubjectName('WWW.Contoso.COM.'), { type: 'dns', value: 'www.contoso.com' });
});

test('internationalized names become A-labels', () => {
  assert.deepEqual(parseSubjectName('bücher.example'), { type: 'dns', value: 'xn--bcher-kva.example' });
  assert.deepEqual(parseSubjectName('*.münchen.de'), { type: 'dns', value: '*.xn--mnchen-3ya.de' });
});

test('IP addresses become IP names', () => {
  assert.deepEqual(parseSubjectName('192.0.2.10'), { type: 'ip', value: '192.0.2.10' });
  assert.deepEqual(parseSubjectName('[2001:DB8::1]'), { type: 'ip', value: '2001:db8::1' });
});

test('a wildcard is only the whole leftmost label, over at least two labels', () => {
  assert.equal(parseSubjectName('*.contoso.com').value, '*.contoso.com');
  for (const bad of ['*.com', 'w*.contoso.com', 'www.*.com', '*.*.contoso.com', '*']) {
    assert.throws(() => parseSubjectName(bad), (e: unknown) => e instanceof GatehouseError && e.code === 'GH_NAME_INVALID', bad);
  }
});

test('RFC 1123 labels are enforced', () => {
  const bad = ['', '-bad-.com', 'a..b', 'under_score.com', 'a b.com', `${'a'.repeat(64)}.com`, 'host.123', 'http://x.com', `${'a.'.repeat(127)}com`];
  for (const name of bad) {
    assert.throws(() => parseSubjectName(name), (e: unknown) => e instanceof GatehouseError && e.code === 'GH_NAME_INVALID', JSON.stringify(name));
  }
  assert.equal(parseSubjectName('xn--bcher-kva.example').value, 'xn--bcher-kva.example');
  assert.equal(parseSubjectName('a-1.b2.example').value, 'a-1.b2.example');
});

test('names are deduplicated in first-given order, across spellings', () => {
  const names = parseSubjectNames(['www.contoso.com', 'WWW.contoso.com', 'contoso.com', 'www.contoso.com.', '192.0.2.1', '192.0.2.1']);
  assert.deepEqual(names.map((n) => n.value), ['www.contoso.com', 'contoso.com', '192.0.2.1']);
});
