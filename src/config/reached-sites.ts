import { type Binding, bindingText } from '../model/binding.js';
import { fail, type GatehouseError } from '../model/gatehouse-error.js';
import { CertificateSelector } from './certificate-selector.js';
import { wildcardOf } from './host-match.js';
import { HostRouter } from './host-router.js';
import type { ServingConfig } from './serving-config.js';

/**
 * Clients of another site that a change reaches: which clients (the protocol, the local address
 * they connect to, the port, the host names they ask for) and what they get before and after.
 */
export interface AffectedSite {
  /** The other site: whose clients these are now, or (when the change hands them on) the site they would reach. */
  site: string;
  /** That site's binding the clients come by. */
  binding: string;
  protocol: Binding['protocol'];
  /** The local address they connect to; `*` for an address that has no binding of its own on the port. */
  address: string;
  port: number;
  /** The host names they ask for: a name, `*.domain` for the names under a wildcard, '' for none (or a name no binding has). */
  hosts: string[];
  /** The certificate (thumbprint) they get now and would get after; null: the handshake is refused (or plain http). */
  before: string | null;
  after: string | null;
  /** The site they reach now and would reach after; null: 400 Bad Request. */
  beforeSite: string | null;
  afterSite: string | null;
}

/** A label no host name can have (host names are checked as DNS names): a name under a wildcard that no binding names. */
const UNNAMED_LABEL = '_unnamed';

interface Probe {
  protocol: Binding['protocol'];
  address: string;
  port: number;
  /** The host class as reported: '' none, a name, or a wildcard pattern. */
  host: string;
  /** The name the client sends (SNI and Host), if any. */
  name: string | undefined;
  sni: boolean;
}

/**
 * What a change does to the clients of the sites it does not change. Every kind of client on the
 * ports the changed sites' bindings use — each protocol, each local address with a binding of its
 * own plus `*` (any other address), each host name a binding names (and a name under each
 * wildcard, and none), with SNI and, where a binding without SNI names the host, without it — is
 * asked the certificate it gets (CertificateSelector) and the site its request reaches
 * (HostRouter), before and after. A client is reached when that outcome changes and the site it
 * reaches before or after is a site the change does not change.
 *
 * Host names belong to the sites that name them: a name that only the changed sites name (most
 * specifically: exactly, else by wildcard) is theirs, so giving a name its own site — or taking it
 * away, back to a wildcard or catch-all — reaches no one. Addresses belong to no site: a binding on
 * one address takes the clients of that address from the `*` bindings of every site, which is the
 * spill-over this exists to name. Clients that reach no site before or after (400 either way) are
 * nobody's. A site whose clients would be left with nothing (no certificate, or 400) is reached.
 *
 * `addresses`: when the configurations hold only part of the bindings (the ones a change can meet),
 * the addresses that the live bindings of a port use in the whole configuration, so clients of each
 * are asked as they would be with all the bindings.
 */
export function reachedSites(before: ServingConfig, after: ServingConfig, changed: ReadonlySet<string>, addresses?: (port: number) => readonly string[]): AffectedSite[] {
  const ports = new Set([...before.bindings, ...after.bindings].filter((b) => changed.has(b.site)).map((b) => b.port));
  const selector = { before: new CertificateSelector(before), after: new CertificateSelector(after) };
  const router = { before: new HostRouter(before), after: new HostRouter(after) };
  const live = new Set([...before.sites, ...after.sites].filter((s) => s.state === 'started' || changed.has(s.name)).map((s) => s.name));
  const out = new Map<string, AffectedSite>();
  for (const port of ports) {
    const onPort = [...before.bindings, ...after.bindings].filter((b) => b.port === port && live.has(b.site));
    for (const probe of probesOf(onPort, port, addresses?.(port) ?? [])) {
      const was = outcome(selector.before, router.before, probe);
      const will = outcome(selector.after, router.after, probe);
      if (was.certificate === will.certificate && was.site === will.site) continue;
      const other = [was, will].find((o) => o.site !== null && !changed.has(o.site));
      if (!other) continue;
      if (probe.name !== undefined && ownName(onPort, probe, changed)) continue;
      const key = JSON.stringify([other.site, probe.protocol, probe.address, was.certificate, will.certificate, was.site, will.site]);
      const entry = out.get(key) ?? {
        site: other.site!, binding: other.binding!, protocol: probe.protocol, address: probe.address, port, hosts: [],
        before: was.certificate, after: will.certificate, beforeSite: was.site, afterSite: will.site,
      };
      if (!entry.hosts.includes(probe.host)) entry.hosts.push(probe.host);
      out.set(key, entry);
    }
  }
  return [...out.values()];
}

/**
 * One sentence for a reached site, for the refusal and the CLI: who the clients are and what they
 * would get. `certificate` names a thumbprint (its friendly name, quoted).
 */
export function reachedText(a: AffectedSite, certificate: (thumbprint: string) => string): string {
  const where = a.address === '*' ? `on port ${a.port}` : `that connect to ${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`;
  const hosts = a.hosts.map((h) => (h === '' ? 'without a host name' : h.startsWith('*.') ? `for names under ${h}` : `for ${h}`)).join(' or ');
  const who = `${a.beforeSite ? `clients of site "${a.beforeSite}"` : 'clients'} ${where} ${hosts} (${a.protocol})`;
  const cert = (t: string | null) => (t === null ? 'no certificate (the handshake is refused)' : `the certificate ${certificate(t)}`);
  const changes: string[] = [];
  if (a.beforeSite !== a.afterSite) changes.push(a.afterSite === null ? 'no site (400 Bad Request)' : `the content of site "${a.afterSite}"`);
  if (a.before !== a.after) changes.push(a.protocol === 'https' && a.after === null ? cert(null) : `${cert(a.after)} instead of ${a.before === null ? 'none' : certificate(a.before)}`);
  return `${who} would get ${changes.join(' and ')}`;
}

/** GH_BINDING_AFFECTS_OTHERS for a change that reaches other sites: each one, and what to do. */
export function reachRefusal(what: string, affected: readonly AffectedSite[], certificate: (thumbprint: string) => string, advice: string): GatehouseError {
  const list = affected.map((a) => reachedText(a, certificate)).join('; ');
  const sites = [...new Set(affected.map((a) => `"${a.site}"`))].join(', ');
  return fail('GH_BINDING_AFFECTS_OTHERS', `${what} reaches other sites (${sites}): ${list}. Nothing was changed. ${advice}`);
}

function probesOf(bindings: Binding[], port: number, others: readonly string[]): Probe[] {
  const addresses = ['*', ...[...new Set([...bindings.map((b) => b.ip), ...others])].filter((ip) => ip !== '*').sort()];
  const out: Probe[] = [];
  for (const protocol of new Set(bindings.map((b) => b.protocol))) {
    const own = bindings.filter((b) => b.protocol === protocol);
    const hosts = new Map<string, { name: string; withoutSni: boolean }>();
    for (const b of own) {
      if (b.host === '') continue;
      const name = b.host.startsWith('*.') ? `${UNNAMED_LABEL}${b.host.slice(1)}` : b.host;
      const seen = hosts.get(b.host);
      hosts.set(b.host, { name, withoutSni: (seen?.withoutSni ?? false) || !b.sni });
    }
    for (const address of addresses) {
      out.push({ protocol, address, port, host: '', name: undefined, sni: false });
      for (const [host, h] of hosts) {
        if (protocol === 'http') {
          out.push({ protocol, address, port, host, name: h.name, sni: false });
          continue;
        }
        out.push({ protocol, address, port, host, name: h.name, sni: true });
        if (h.withoutSni) out.push({ protocol, address, port, host, name: h.name, sni: false });
      }
    }
  }
  return out;
}

function outcome(selector: CertificateSelector, router: HostRouter, p: Probe): { certificate: string | null; site: string | null; binding: string | null } {
  const certificate = p.protocol === 'https' ? selector.select({ localAddress: p.address, port: p.port, servername: p.sni ? p.name : undefined }).thumbprint : null;
  const route = router.route({ protocol: p.protocol, localAddress: p.address, port: p.port, host: p.name });
  return { certificate, site: route?.site ?? null, binding: route ? bindingText(route.binding) : null };
}

/** Whether the probe's host name belongs to the changed sites: the bindings that name it most specifically are all theirs. */
function ownName(bindings: Binding[], p: Probe, changed: ReadonlySet<string>): boolean {
  const same = bindings.filter((b) => b.protocol === p.protocol);
  const exact = same.filter((b) => b.host === p.name);
  const pattern = wildcardOf(p.name!);
  const naming = exact.length > 0 ? exact : same.filter((b) => b.host === pattern);
  return naming.length > 0 && naming.every((b) => changed.has(b.site));
}
