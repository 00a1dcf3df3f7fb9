import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatehouseError } from '../model/gatehouse-error.js';
import { parseAdminAddress } from './admin-endpoint.js';

test('parseAdminAddress reads ADDRESS:PORT, [IPv6]:PORT and "off"', () => {
  assert.deepEqual(parseAdminAddress('127.0.0.1:8443'), { host: '127.0.0.1', port: 8443 });
  assert.deepEqual(parseAdminAddress('0.0.0.0:443'), { host: '0.0.0.0', port: 443 });
  assert.deepEqual(parseAdminAddress('[::1]:8443'), { host: '::1', port: 8443 });
  assert.deepEqual(parseAdminAddress('[::]:9000'), { host: '::', port: 9000 });
  assert.deepEqual(parseAdminAddress('[2001:db8::10]:1'), { host: '2001:db8::10', port: 1 });
  assert.deepEqual(parseAdminAddress('[::ffff:127.0.0.1]:8443'), { host: '::ffff:127.0.0.1', port: 8443 });
  assert.deepEqual(parseAdminAddress('localhost:65535'), { host: 'localhost', port: 65535 });
  assert.deepEqual(parseAdminAddress('admin.contoso.com:8443'), { host: 'admin.contoso.com', port: 8443 });
  assert.deepEqual(parseAdminAddress('127.0.0.1:08443'), { host: '127.0.0.1', port: 8443 });
  assert.equal(parseAdminAddress('off'), undefined);
});

test('parseAdminAddress refuses anything else with GH_ADMIN_ADDRESS_INVALID naming the value', () => {
  const bad = [
    '', 'on', 'OFF', '8443', ':8443', '127.0.0.1', '127.0.0.1:', '127.0.0.1:0', '127.0.0.1:65536', '127.0.0.1:99999', '127.0.0.1:123456',
    '127.0.0.1:-1', '127.0.0.1:http', '127.0.0.1:84 43', ' 127.0.0.1:8443', '127.0.0.1:8443 ', '::1:8443', '[::1]', '[::1]:', '[::1]8443',
    '[zz::1]:8443', 'host name:8443', 'https://127.0.0.1:8443', '127.0.0.1:8443/', 'a:b:8443',
  ];
  for (const value of bad) {
    assert.throws(() => parseAdminAddress(value), (e: unknown) => {
      assert.ok(e instanceof GatehouseError, `${JSON.stringify(value)}: ${String(e)}`);
      assert.equal(e.code, 'GH_ADMIN_ADDRESS_INVALID', JSON.stringify(value));
      assert.ok(e.message.includes(`"${value}"`), `${JSON.stringify(value)}: ${e.message}`);
      return true;
    }, JSON.stringify(value));
  }
});

test('parseAdminAddress refuses a host that is neither an IP address nor a host name', () => {
  for (const value of ['[]:8443', '[:8443', 'a]:8443', 'a/b:8443', '<x>:8443', 'exa$mple.com:8443']) {
    assert.throws(() => parseAdminAddress(value), (e: unknown) => e instanceof GatehouseError && e.code === 'GH_ADMIN_ADDRESS_INVALID', `${JSON.stringify(value)} was read as ${JSON.stringify((() => {
      try {
        return parseAdminAddress(value);
      } catch {
        return 'an error';
      }
    })())}`);
  }
});
