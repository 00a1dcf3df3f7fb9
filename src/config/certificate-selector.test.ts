import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Binding } from '../model/binding.js';
import type { Site } from '../model/site.js';
import { CertificateSelector } from './certificate-selector.js';
import type { ServingConfig } from './serving-config.js';

const site = (name: string, state: Site['state'] = 'started'): Site => ({ name, state, content: { kind: 'static', root: '/srv' }, httpsRedirect: false, hsts: false, logFormat: 'w3c', created: '' });
const https = (s: string, ip: string, port: number, host: string, sni: boolean, certificate: string): Binding => ({ site: s, protocol: 'https', ip, port, host, sni, certificate });

function config(bindings: Binding[], httpsDefault: string | null = null, sites = ['A', 'B', 'C', 'D'].map((n) => site(n))): ServingConfig {
  return { revision: 1, sites, bindings, httpsDefault, chains: 0, preload: [], services: {}, mailListeners: [], acmeChallenges: [] };
}

test('selection follows the http.sys order, step by step', () => {
  const c = config([
    https('A', '*', 443, '', false, 'STAR'),
    https('B', '10.0.0.5', 443, '', false, 'IP'),
    https('C', '*', 443, 'www.x.test', true, 'EXACT'),
    https('D', '*', 443, '*.x.test', true, 'WILD'),
  ], 'DEFAULT');
  const s = new CertificateSelector(c);
  assert.deepEqual(pick(s, '10.0.0.5', 443, 'www.x.test'), ['EXACT', 'sni-exact']);
  assert.deepEqual(pick(s, '10.0.0.5', 443, 'a.x.test'), ['WILD', 'sni-wildcard']);
  assert.deepEqual(pick(s, '10.0.0.5', 443, 'x.test'), ['IP', 'ip-port'], 'a wildcard covers one label, not the bare domain');
  assert.deepEqual(pick(s, '10.0.0.5', 443, 'a.b.x.test'), ['IP', 'ip-port'], 'a wildcard covers exactly one label');
  assert.deepEqual(pick(s, '10.0.0.5', 443, undefined), ['IP', 'ip-port'], 'no SNI starts at the IP:port step');
  assert.deepEqual(pick(s, '127.0.0.1', 443, undefined), ['STAR', 'all-unassigned']);
  assert.deepEqual(pick(s, '::ffff:10.0.0.5', 443, undefined), ['IP', 'ip-port'], 'IPv4-mapped addresses are the IPv4 address');
  assert.deepEqual(pick(s, '127.0.0.1', 8443, 'www.x.test'), ['DEFAULT', 'https-default'], 'other ports fall to the default certificate');
  assert.deepEqual(pick(new CertificateSelector(config([])), '127.0.0.1', 443, 'a'), [null, 'none']);
});

test('SNI host names match case-insensitively and without a trailing dot', () => {
  const s = new CertificateSelector(config([https('C', '*', 443, 'www.x.test', true, 'EXACT')]));
  assert.deepEqual(pick(s, '127.0.0.1', 443, 'WWW.X.Test.'), ['EXACT', 'sni-exact']);
});

test('an SNI binding on the local address wins over the same host on *', () => {
  const s = new CertificateSelector(config([https('A', '*', 443, 'h.test', true, 'ANY'), https('B', '10.0.0.5', 443, 'h.test', true, 'LOCAL')]));
  assert.equal(pick(s, '10.0.0.5', 443, 'h.test')[0], 'LOCAL');
  assert.equal(pick(s, '10.0.0.6', 443, 'h.test')[0], 'ANY');
});

test("a stopped site's bindings take no part", () => {
  const c = config([https('A', '*', 443, '', false, 'A1'), https('B', '*', 443, 'b.test', true, 'B1')], null, [site('A'), site('B', 'stopped')]);
  assert.deepEqual(pick(new CertificateSelector(c), '127.0.0.1', 443, 'b.test'), ['A1', 'all-unassigned']);
});

function pick(s: CertificateSelector, localAddress: string, port: number, servername: string | undefined): [string | null, string] {
  const r = s.select({ localAddress, port, servername });
  return [r.thumbprint, r.rule];
}
