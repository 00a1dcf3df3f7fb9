import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Binding } from '../model/binding.js';
import type { Site } from '../model/site.js';
import { CertificateSelector, type Selection, type SelectionRule } from './certificate-selector.js';
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

/**
 * Runs `fn` counting the work it does on collections: Map look-ups, and elements an Array method
 * visits (find, filter, some, every, forEach, map, includes, indexOf, and for…of / spread).
 */
function work(fn: () => void): { gets: number; visited: number } {
  const counts = { gets: 0, visited: 0 };
  const mapGet = Map.prototype.get;
  const patched: Array<[object, PropertyKey, unknown]> = [];
  const patch = <T extends object>(target: T, key: PropertyKey, make: (original: (...a: unknown[]) => unknown) => (...a: unknown[]) => unknown) => {
    const original = (target as Record<PropertyKey, unknown>)[key] as (...a: unknown[]) => unknown;
    patched.push([target, key, original]);
    (target as Record<PropertyKey, unknown>)[key] = make(original);
  };
  patch(Map.prototype, 'get', (original) => function (this: Map<unknown, unknown>, ...a: unknown[]) {
    counts.gets++;
    return original.apply(this, a);
  });
  for (const m of ['forEach', 'values', 'keys', 'entries', Symbol.iterator] as PropertyKey[]) {
    patch(Map.prototype, m, (original) => function (this: Map<unknown, unknown>, ...a: unknown[]) {
      counts.visited += this.size;
      return original.apply(this, a);
    });
  }
  for (const m of ['find', 'filter', 'some', 'every', 'forEach', 'map', 'includes', 'indexOf', Symbol.iterator] as PropertyKey[]) {
    patch(Array.prototype, m, (original) => function (this: unknown[], ...a: unknown[]) {
      counts.visited += this.length;
      return original.apply(this, a);
    });
  }
  try {
    fn();
  } finally {
    // Restored without iterating an array (that would count).
    for (let entry = patched.pop(); entry; entry = patched.pop()) (entry[0] as Record<PropertyKey, unknown>)[entry[1]] = entry[2];
  }
  assert.equal(Map.prototype.get, mapGet);
  return counts;
}

test('SNI selection is a few map look-ups whatever the number of names: 10 or 100,000 bindings do the same work', () => {
  const many = (n: number) => {
    const bindings = [https('A', '*', 443, '', false, 'STAR')];
    for (let i = 0; i < n; i++) {
      bindings.push(https('B', '*', 443, `site${i}.test`, true, `T${i}`));
      bindings.push(https('C', '*', 443, `*.zone${i}.test`, true, `W${i}`));
    }
    return config(bindings);
  };
  const small = many(10);
  const large = many(100_000);
  const selectors = { small: new CertificateSelector(small), large: new CertificateSelector(large) };
  // Selection never goes back to the configuration: emptied, it still answers.
  large.bindings.length = 0;
  const probes: Array<[string | undefined, string, SelectionRule]> = [
    ['site7.test', 'T7', 'sni-exact'],
    ['www.zone7.test', 'W7', 'sni-wildcard'],
    ['nothing.test', 'STAR', 'all-unassigned'],
    [undefined, 'STAR', 'all-unassigned'],
  ];
  for (const [servername, thumbprint, rule] of probes) {
    const done: Record<string, { gets: number; visited: number }> = {};
    for (const [size, selector] of Object.entries(selectors)) {
      let s: Selection | undefined;
      done[size] = work(() => {
        s = selector.select({ localAddress: '127.0.0.1', port: 443, servername });
      });
      assert.deepEqual([s?.thumbprint, s?.rule], [thumbprint, rule]);
    }
    assert.deepEqual(done.large, done.small, `${servername ?? 'no SNI'}: the same work with 100,000 names as with 10`);
    assert.ok(done.large!.gets <= 4 && done.large!.visited <= 4, `${servername ?? 'no SNI'}: ${JSON.stringify(done.large)}`);
  }
});

test('certificates() names every certificate a handshake can get, each once, the endpoints and the default first', () => {
  const s = new CertificateSelector(config([
    https('C', '*', 443, 'www.x.test', true, 'EXACT'),
    https('D', '*', 443, '*.x.test', true, 'EXACT'),
    https('A', '*', 443, '', false, 'STAR'),
    https('E', '*', 443, 'stopped.test', true, 'STOPPED'),
    https('B', '10.0.0.5', 8443, 'other.test', true, 'OTHER'),
  ], 'DEFAULT', ['A', 'B', 'C', 'D'].map((n) => site(n)).concat(site('E', 'stopped'))));
  assert.deepEqual(s.certificates(), ['STAR', 'DEFAULT', 'EXACT', 'OTHER']);
});
