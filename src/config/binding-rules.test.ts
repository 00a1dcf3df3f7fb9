import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Binding } from '../model/binding.js';
import type { Site } from '../model/site.js';
import { GatehouseError } from '../model/gatehouse-error.js';
import { nearbyBindings, planBindingChange, probeNeighbourhood, siteNeighbourhood, storeOrder } from './binding-rules.js';
import { CertificateSelector } from './certificate-selector.js';
import { HostRouter } from './host-router.js';
import { wildcardOf } from './host-match.js';
import { reachedSites, reachedText } from './reached-sites.js';
import type { CertificateSummary, ServingConfig } from './serving-config.js';

const now = new Date('2026-11-21T00:00:00Z');
const site = (name: string): Site => ({ name, state: 'started', content: { kind: 'static', root: '/srv' }, httpsRedirect: false, hsts: false, logFormat: 'w3c', created: '' });
const cert = (thumbprint: string, sans: string[], days = 200, hasPrivateKey = true): CertificateSummary => ({ thumbprint, friendlyName: thumbprint, sans, notAfter: new Date(now.getTime() + days * 86_400_000).toISOString(), hasPrivateKey, store: 'webhosting' });
const certs = new Map([cert('C1', ['a.test', 'b.test']), cert('C2', ['*.x.test']), cert('SOON', ['a.test'], 10), cert('NOKEY', ['a.test'], 200, false)].map((c) => [c.thumbprint, c]));
const lookup = (t: string) => certs.get(t);
const https = (s: string, port: number, host: string, sni: boolean, certificate: string, ip = '*'): Binding => ({ site: s, protocol: 'https', ip, port, host, sni, certificate });

function cfg(bindings: Binding[]): ServingConfig {
  return { revision: 1, sites: [site('A'), site('B')], bindings, httpsDefault: null, chains: 0, preload: [], services: {}, mailListeners: [], acmeChallenges: [] };
}

function refused(code: string, fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => e instanceof GatehouseError && e.code === code, code);
}

test('refusals: duplicates, SNI without a host, a second certificate on an IP:port, certificates that cannot serve', () => {
  const base = cfg([https('A', 443, '', false, 'C1')]);
  refused('GH_BINDING_EXISTS', () => planBindingChange(base, { op: 'add', binding: https('B', 443, '', false, 'C1') }, lookup, now));
  refused('GH_BINDING_SNI_NEEDS_HOST', () => planBindingChange(base, { op: 'add', binding: https('B', 443, '', true, 'C1', '10.0.0.1') }, lookup, now));
  refused('GH_ENDPOINT_CERT_CONFLICT', () => planBindingChange(base, { op: 'add', binding: https('B', 443, 'b.test', false, 'C2') }, lookup, now));
  refused('GH_CERT_NOT_FOUND', () => planBindingChange(base, { op: 'add', binding: https('B', 8443, '', false, 'NOPE') }, lookup, now));
  refused('GH_CERT_NO_KEY', () => planBindingChange(base, { op: 'add', binding: https('B', 8443, '', false, 'NOKEY') }, lookup, now));
  refused('GH_PORT_INVALID', () => planBindingChange(base, { op: 'add', binding: https('B', 70000, '', false, 'C1') }, lookup, now));
  refused('GH_PORT_PROTOCOL_CONFLICT', () => planBindingChange(base, { op: 'add', binding: { site: 'B', protocol: 'http', ip: '*', port: 443, host: '', sni: false, certificate: null } }, lookup, now));
  refused('GH_SITE_NOT_FOUND', () => planBindingChange(base, { op: 'add', binding: https('Z', 8443, '', false, 'C1') }, lookup, now));
  refused('GH_BINDING_NOT_FOUND', () => planBindingChange(base, { op: 'remove', binding: https('B', 443, '', false, 'C1') }, lookup, now));
});

test('the same certificate on a shared IP:port is fine; SNI adds another certificate', () => {
  const base = cfg([https('A', 443, 'a.test', false, 'C1')]);
  assert.equal(planBindingChange(base, { op: 'add', binding: https('B', 443, 'b.test', false, 'C1') }, lookup, now).bindings.length, 2);
  const plan = planBindingChange(base, { op: 'add', binding: https('B', 443, 'www.x.test', true, 'C2') }, lookup, now);
  assert.deepEqual(plan.warnings, []);
  assert.deepEqual(plan.affected, []);
});

test('warnings: a certificate that does not cover the host, or expires within 30 days', () => {
  const plan = planBindingChange(cfg([]), { op: 'add', binding: https('A', 443, 'zzz.test', true, 'SOON') }, lookup, now);
  assert.equal(plan.warnings.length, 2);
  assert.match(plan.warnings.join('\n'), /does not cover zzz\.test/);
  assert.match(plan.warnings.join('\n'), /within 30 days/);
});

test("editing a shared endpoint's certificate names the other sites it reaches, and moves them all", () => {
  const base = cfg([https('A', 443, 'a.test', false, 'C1'), https('B', 443, 'b.test', false, 'C1')]);
  const plan = planBindingChange(base, { op: 'edit', binding: https('A', 443, 'a.test', false, 'C2') }, lookup, now);
  assert.deepEqual(plan.affected.map((a) => [a.site, a.before, a.after]), [['B', 'C1', 'C2']]);
  assert.deepEqual(plan.bindings.map((b) => b.certificate), ['C2', 'C2']);
});

const http = (s: string, port: number, host: string, ip = '*'): Binding => ({ site: s, protocol: 'http', ip, port, host, sni: false, certificate: null });
const outcomeOf = (a: { site: string; address: string; hosts: string[]; before: string | null; after: string | null; beforeSite: string | null; afterSite: string | null }) =>
  [a.site, a.address, a.hosts.join(','), a.before, a.after, a.beforeSite, a.afterSite];

test('a binding on one address takes that address\'s clients from the * bindings of other sites: certificate and content', () => {
  const base = cfg([https('A', 443, '', false, 'C1'), https('A', 443, 'a.test', false, 'C1')]);
  const plan = planBindingChange(base, { op: 'add', binding: https('B', 443, '', false, 'C2', '127.0.0.1') }, lookup, now);
  assert.deepEqual(plan.affected.map(outcomeOf), [
    ['A', '127.0.0.1', '', 'C1', 'C2', 'A', 'B'],
    // a.test is named by A's binding without SNI: its clients keep A's content but get the address's certificate.
    ['A', '127.0.0.1', 'a.test', 'C1', 'C2', 'A', 'A'],
  ]);
  assert.match(reachedText(plan.affected[0]!, (t) => `"${t}"`), /^clients of site "A" that connect to 127\.0\.0\.1:443 without a host name \(https\) would get the content of site "B" and the certificate "C2" instead of "C1"$/);
});

test('the same for plain http: an address of its own takes the catch-all\'s requests', () => {
  const plan = planBindingChange(cfg([http('A', 80, '')]), { op: 'add', binding: http('B', 80, '', '::1') }, lookup, now);
  assert.deepEqual(plan.affected.map(outcomeOf), [['A', '::1', '', null, null, 'A', 'B']]);
});

test('host names belong to the sites that name them: a new name, SNI or not, under a wildcard or beside a catch-all, reaches no one', () => {
  const base = cfg([https('A', 443, '', false, 'C1'), https('A', 443, '*.x.test', true, 'C2')]);
  assert.deepEqual(planBindingChange(base, { op: 'add', binding: https('B', 443, 'b.test', true, 'C2') }, lookup, now).affected, []);
  assert.deepEqual(planBindingChange(base, { op: 'add', binding: https('B', 443, 'b.test', false, 'C1') }, lookup, now).affected, []);
  assert.deepEqual(planBindingChange(base, { op: 'add', binding: https('B', 443, 'www.x.test', true, 'C2') }, lookup, now).affected, []);
  // Taking it away again hands it back: no one else's clients change either.
  const withB = cfg([...base.bindings, https('B', 443, 'www.x.test', true, 'C2')]);
  assert.deepEqual(planBindingChange(withB, { op: 'remove', binding: https('B', 443, 'www.x.test', true, 'C2') }, lookup, now).affected, []);
});

test('a name another site already has, on an address of its own, takes that address\'s clients of the name', () => {
  const base = cfg([https('A', 443, 'www.x.test', true, 'C2')]);
  const plan = planBindingChange(base, { op: 'add', binding: https('B', 443, 'www.x.test', true, 'C1', '10.0.0.1') }, lookup, now);
  assert.deepEqual(plan.affected.map(outcomeOf), [['A', '10.0.0.1', 'www.x.test', 'C2', 'C1', 'A', 'B']]);
  // Under another site's wildcard too.
  const wild = cfg([https('A', 443, '*.x.test', true, 'C2')]);
  const w = planBindingChange(wild, { op: 'add', binding: https('B', 443, '*.x.test', true, 'C2', '10.0.0.1') }, lookup, now);
  assert.deepEqual(w.affected.map(outcomeOf), [['A', '10.0.0.1', '*.x.test', 'C2', 'C2', 'A', 'B']]);
});

test('other ports, SNI bindings, and clients that reach no site are not reached', () => {
  const base = cfg([https('A', 443, '', false, 'C1')]);
  assert.deepEqual(planBindingChange(base, { op: 'add', binding: https('B', 8443, '', false, 'C2', '127.0.0.1') }, lookup, now).affected, []);
  // Only host-named bindings on *: clients without a name reach no site before or after.
  const named = cfg([https('A', 443, 'a.test', true, 'C1')]);
  assert.deepEqual(planBindingChange(named, { op: 'add', binding: https('B', 443, 'b.test', false, 'C2', '127.0.0.1') }, lookup, now).affected, []);
  // A binding added to a stopped site changes nothing yet (starting the site is the change).
  const stopped = { ...base, sites: [site('A'), { ...site('B'), state: 'stopped' as const }] };
  assert.deepEqual(planBindingChange(stopped, { op: 'add', binding: https('B', 443, '', false, 'C2', '127.0.0.1') }, lookup, now).affected, []);
});

test('stopping a site whose address of its own kept clients from another site\'s * binding hands them to that site', () => {
  const before = cfg([https('A', 443, '', false, 'C1'), https('B', 443, '', false, 'C2', '127.0.0.1')]);
  const after = { ...before, sites: [site('A'), { ...site('B'), state: 'stopped' as const }] };
  assert.deepEqual(reachedSites(before, after, new Set(['B'])).map(outcomeOf), [['A', '127.0.0.1', '', 'C2', 'C1', 'B', 'A']]);
  // And removing it the same; starting it again takes them back.
  assert.deepEqual(reachedSites(before, { ...before, bindings: before.bindings.slice(0, 1) }, new Set(['B'])).length, 1);
  assert.deepEqual(reachedSites(after, before, new Set(['B'])).map(outcomeOf), [['A', '127.0.0.1', '', 'C1', 'C2', 'A', 'B']]);
  // A site alone on its port reaches no one.
  const alone = cfg([https('B', 8443, '', false, 'C2')]);
  assert.deepEqual(reachedSites(alone, { ...alone, sites: [site('A'), { ...site('B'), state: 'stopped' as const }] }, new Set(['B'])), []);
});

/**
 * Random configurations for the neighbourhood tests: sites on two ports, three addresses, exact,
 * wildcard and no host names, with and without SNI, http and https, built by accepted additions.
 */
function randomWorld(seed: number) {
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return Math.floor(seed / 65536) % n;
  };
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;
  const hosts = ['', 'a.test', 'b.test', 'x.test', 'w.x.test', 'y.x.test', '*.x.test', '*.test'];
  const randomBinding = (): Binding => {
    const host = pick(hosts);
    const protocol = rnd(4) === 0 ? 'http' : 'https';
    const sni = protocol === 'https' && host !== '' && rnd(3) > 0;
    return { site: pick(['A', 'B', 'C']), protocol, ip: pick(['*', '*', '10.0.0.1', '10.0.0.2']), port: pick([443, 443, 8443]), host, sni, certificate: protocol === 'https' ? pick(['C1', 'C2']) : null };
  };
  /** Twelve random additions (the refused ones left out), in the store's order. */
  const randomConfig = (sites: Site[]): ServingConfig => {
    let config: ServingConfig = { ...cfg([]), sites };
    for (let i = 0; i < 12; i++) {
      try {
        config = { ...config, bindings: planBindingChange(config, { op: 'add', binding: randomBinding() }, lookup, now).bindings };
      } catch {
        // refused: not added
      }
    }
    return { ...config, bindings: [...config.bindings].sort(storeOrder) };
  };
  /** The store's look-ups, over a list. */
  const neighbours = (all: Binding[]) => ({
    byHost: (port: number, hs: readonly string[]) => all.filter((x) => x.port === port && hs.includes(x.host)),
    onPort: (port: number) => all.filter((x) => x.port === port),
    withoutSni: (port: number) => all.filter((x) => x.port === port && x.protocol === 'https' && !x.sni),
    under: (port: number, wildcard: string) => all.filter((x) => x.port === port && x.host !== wildcard && wildcardOf(x.host) === wildcard),
    otherProtocol: (port: number, protocol: string, ip: string) => all.find((x) => x.port === port && x.protocol !== protocol && (x.ip === ip || x.ip === '*' || ip === '*')),
  });
  return { rnd, pick, hosts, randomBinding, randomConfig, neighbours };
}

test('a change planned against its nearby bindings (nearbyBindings) is planned as against all of them: the same refusal, warnings, reached sites and rows to write', () => {
  // Random configurations of three sites (one stopped) on two ports, three addresses, exact, wildcard
  // and no host names, with and without SNI, http and https, built by accepted additions; then random
  // additions, edits and removals, each planned against the whole list and against nearbyBindings.
  const { rnd, pick, randomBinding, randomConfig, neighbours } = randomWorld(13);
  const key = (b: Binding) => `${b.protocol}/${b.ip}/${b.port}/${b.host}`;
  const diff = (before: Binding[], after: Binding[]) => {
    const was = new Map(before.map((b) => [key(b), JSON.stringify(b)]));
    const will = new Map(after.map((b) => [key(b), JSON.stringify(b)]));
    const out: string[] = [];
    for (const [k, v] of was) if (!will.has(k)) out.push(`- ${v}`);
    for (const [k, v] of will) if (was.get(k) !== v) out.push(`+ ${v}`);
    return out.sort();
  };
  const outcome = (config: ServingConfig, change: { op: 'add' | 'edit' | 'remove'; binding: Binding }) => {
    try {
      const plan = planBindingChange(config, change, lookup, now);
      return { warnings: plan.warnings, affected: plan.affected.map((a) => JSON.stringify(a)).sort(), rows: diff(config.bindings, plan.bindings) };
    } catch (e) {
      if (!(e instanceof GatehouseError)) throw e;
      return { refused: e.code, message: e.message };
    }
  };
  let compared = 0;
  for (let round = 0; round < 400; round++) {
    const sites = [site('A'), site('B'), { ...site('C'), state: 'stopped' as const }];
    const config = randomConfig(sites);
    const all = config.bindings;
    const from = neighbours(all);
    for (let i = 0; i < 8; i++) {
      const existing = all.length > 0 && rnd(2) === 0 ? pick(all) : undefined;
      const op = existing ? pick(['edit', 'remove'] as const) : 'add';
      const binding = existing ? { ...existing, certificate: op === 'edit' ? pick(['C1', 'C2']) : existing.certificate, sni: op === 'edit' && existing.host !== '' ? rnd(2) === 0 : existing.sni } : randomBinding();
      const near = nearbyBindings(binding, from);
      const sitesNear = sites.filter((s) => s.name === binding.site || near.some((x) => x.site === s.name));
      assert.deepEqual(outcome({ ...config, sites: sitesNear, bindings: near }, { op, binding }), outcome(config, { op, binding }),
        `${op} ${JSON.stringify(binding)} in ${JSON.stringify(all)}`);
      compared++;
    }
  }
  assert.equal(compared, 3200);
});

test('removing, stopping or starting a site planned against its neighbourhood (siteNeighbourhood) reaches the same sites as against all bindings', () => {
  const { pick, randomConfig, neighbours } = randomWorld(29);
  let compared = 0;
  let reached = 0;
  for (let round = 0; round < 600; round++) {
    const stopped = pick(['A', 'B', 'C', 'none']);
    const sites = ['A', 'B', 'C'].map((n) => ({ ...site(n), state: n === stopped ? ('stopped' as const) : ('started' as const) }));
    const config = randomConfig(sites);
    const name = pick(['A', 'B', 'C']);
    const own = config.bindings.filter((b) => b.site === name);
    const near = siteNeighbourhood(own, neighbours(config.bindings));
    const part: ServingConfig = { ...config, sites: sites.filter((s) => s.name === name || near.some((x) => x.site === s.name)), bindings: near };
    const removal = (c: ServingConfig) => ({ ...c, sites: c.sites.filter((s) => s.name !== name), bindings: c.bindings.filter((b) => b.site !== name) });
    const flip = (c: ServingConfig) => ({ ...c, sites: c.sites.map((s) => (s.name === name ? { ...s, state: s.state === 'started' ? ('stopped' as const) : ('started' as const) } : s)) });
    const live = new Set(sites.filter((s) => s.state === 'started' || s.name === name).map((s) => s.name));
    const addresses = (port: number) => [...new Set(config.bindings.filter((b) => b.port === port && live.has(b.site)).map((b) => b.ip))];
    for (const change of [removal, flip]) {
      const all = reachedSites(config, change(config), new Set([name]));
      assert.deepEqual(reachedSites(part, change(part), new Set([name]), addresses), all, `${name} in ${JSON.stringify(config.bindings)} (stopped: ${stopped})`);
      compared++;
      if (all.length > 0) reached++;
    }
  }
  assert.equal(compared, 1200);
  assert.ok(reached > 100, `only ${reached} changes reached another site: the comparison says little`);
});

test('a client explained from its neighbourhood (probeNeighbourhood) gets the certificate, rule, binding and site it gets from all bindings', () => {
  const { pick, hosts, randomConfig, neighbours } = randomWorld(41);
  const names = [...hosts.filter((h) => !h.startsWith('*.')), 'q.x.test', 'z.test', 'Q.X.TEST.', undefined];
  let compared = 0;
  for (let round = 0; round < 400; round++) {
    const sites = [site('A'), site('B'), { ...site('C'), state: 'stopped' as const }];
    const config = { ...randomConfig(sites), httpsDefault: pick([null, 'C2']) };
    for (let i = 0; i < 8; i++) {
      const probe = { port: pick([443, 8443]), localAddress: pick(['*', '10.0.0.1', '10.0.0.2', '10.0.0.3']), sni: pick(names), host: pick([...names, undefined, undefined]), protocol: pick(['http', 'https'] as const) };
      const near = probeNeighbourhood(probe.port, [probe.sni, probe.host], neighbours(config.bindings));
      const part: ServingConfig = { ...config, sites: sites.filter((s) => near.some((x) => x.site === s.name)), bindings: near };
      const answer = (c: ServingConfig) => {
        const sel = new CertificateSelector(c).select({ localAddress: probe.localAddress, port: probe.port, servername: probe.sni });
        const route = new HostRouter(c).route({ protocol: probe.protocol, localAddress: probe.localAddress, port: probe.port, host: probe.host ?? probe.sni });
        return { thumbprint: sel.thumbprint, rule: sel.rule, binding: sel.binding, site: route?.site, route: route?.rule, routeBinding: route?.binding };
      };
      assert.deepEqual(answer(part), answer(config), `${JSON.stringify(probe)} in ${JSON.stringify(config.bindings)}`);
      compared++;
    }
  }
  assert.equal(compared, 3200);
});
