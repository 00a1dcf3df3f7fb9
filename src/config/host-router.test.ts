import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Binding } from '../model/binding.js';
import type { Site } from '../model/site.js';
import { HostRouter } from './host-router.js';

const site = (name: string): Site => ({ name, state: 'started', content: { kind: 'static', root: '/srv' }, httpsRedirect: false, hsts: false, logFormat: 'w3c', created: '' });
const bind = (s: string, ip: string, host: string, protocol: Binding['protocol'] = 'https'): Binding => ({ site: s, protocol, ip, port: 443, host, sni: false, certificate: protocol === 'https' ? 'C' : null });

test('routing: exact host, then wildcard host, then the endpoint catch-all; no match is null', () => {
  const router = new HostRouter({
    revision: 1,
    sites: ['exact', 'wild', 'catch', 'local'].map(site),
    bindings: [bind('exact', '*', 'www.x.test'), bind('wild', '*', '*.x.test'), bind('catch', '*', ''), bind('local', '10.0.0.5', '')],
    httpsDefault: null,
    chains: 0, preload: [], services: {}, mailListeners: [], acmeChallenges: [],
  });
  const go = (host: string | undefined, local = '127.0.0.1') => router.route({ protocol: 'https', localAddress: local, port: 443, host })?.site ?? null;
  assert.equal(go('www.x.test'), 'exact');
  assert.equal(go('WWW.X.TEST:443'), 'exact', 'the port and case of the Host header do not matter');
  assert.equal(go('a.x.test'), 'wild');
  assert.equal(go('a.b.x.test'), 'catch');
  assert.equal(go(undefined), 'catch');
  assert.equal(go('other.test', '10.0.0.5'), 'local', 'the local address catch-all wins over the one on *');
  assert.equal(router.route({ protocol: 'http', localAddress: '127.0.0.1', port: 443, host: 'www.x.test' }), null, 'protocol matters');
});

test('an endpoint with only host-named bindings has no catch-all: unknown hosts get nothing', () => {
  const router = new HostRouter({ revision: 1, sites: [site('a')], bindings: [bind('a', '*', 'a.test')], httpsDefault: null, chains: 0, preload: [], services: {}, mailListeners: [], acmeChallenges: [] });
  assert.equal(router.route({ protocol: 'https', localAddress: '127.0.0.1', port: 443, host: 'b.test' }), null);
});
