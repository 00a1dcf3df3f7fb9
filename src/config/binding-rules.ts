import { type Binding, bindingKey, bindingText } from '../model/binding.js';
import { fail } from '../model/gatehouse-error.js';
import { act, opt } from '../model/wording.js';
import { CertificateSelector } from './certificate-selector.js';
import { type AffectedSite, reachedSites } from './reached-sites.js';
import { namesCover, normalizeHost, wildcardOf } from './host-match.js';
import type { CertificateSummary, ServingConfig } from './serving-config.js';

export type { AffectedSite } from './reached-sites.js';

export type BindingChange =
  | { op: 'add'; binding: Binding }
  | { op: 'edit'; binding: Binding }
  | { op: 'remove'; binding: Binding };

export interface BindingPlan {
  /** The whole binding list after the change. */
  bindings: Binding[];
  warnings: string[];
  affected: AffectedSite[];
}

const DAY_MS = 86_400_000;

/** Where the bindings a change is planned against come from (the store's index look-ups, or a list in tests). */
export interface BindingNeighbours {
  /** The bindings on the port whose host name is one of `hosts` ('' for none). */
  byHost(port: number, hosts: readonly string[]): Binding[];
  /** Every binding on the port. */
  onPort(port: number): Binding[];
  /** The https bindings on the port without SNI. */
  withoutSni(port: number): Binding[];
  /** The bindings on the port whose host name is directly under the wildcard (`wildcardOf(host) === wildcard`). */
  under(port: number, wildcard: string): Binding[];
  /** One binding on the port of the other protocol, on an address that meets `ip` (the same, `*`, or any when `ip` is `*`). */
  otherProtocol(port: number, protocol: Binding['protocol'], ip: string): Binding | undefined;
}

/**
 * The bindings a change to binding `b` (added, edited or removed) is planned against: with these
 * as the configuration's bindings, `planBindingChange` refuses, warns and names reached sites as it
 * does with all of them, and the list it returns differs from theirs only where the change does.
 *
 * Why these suffice: a client of the port asking for a name N gets its certificate from the
 * bindings whose host is N, then the wildcard over N, then the https bindings without SNI (the
 * address's certificate), then the default; its site from the bindings whose host is N, the
 * wildcard over N, or none (''). A change to a binding without a host name, or to an https one
 * without SNI, can reach any client of the port (every name that falls through to it): it is
 * planned against every binding of the port. A change to an SNI binding of host H (or an http one)
 * can change only the clients asking for H or, for a wildcard, for names under it: the bindings of
 * H, of its wildcard, of the names under it, the host-less ones and the ones without SNI (and
 * every binding of the names those carry) answer each client the plan probes as the whole list
 * would. Plus one binding of the other protocol on the port, which an added binding must not meet.
 * At 100,000 SNI bindings on one IP:port that is a handful of rows instead of 100,000.
 */
export function nearbyBindings(b: Pick<Binding, 'protocol' | 'ip' | 'port' | 'host' | 'sni'>, from: BindingNeighbours): Binding[] {
  const current = from.byHost(b.port, [b.host]).find((x) => bindingKey(x) === bindingKey(b));
  // A binding without a host name, or an https binding without SNI (before or after), answers the
  // clients of the whole port that nothing more specific answers: it is planned against the port.
  if (b.host === '' || (b.protocol === 'https' && (!b.sni || (current !== undefined && !current.sni)))) return from.onPort(b.port).sort(storeOrder);
  const withoutSni = from.withoutSni(b.port);
  const hosts = new Set(['', b.host, ...withoutSni.map((x) => x.host)]);
  for (const h of [...hosts]) {
    const w = wildcardOf(h);
    if (w) hosts.add(w);
  }
  const found = [...withoutSni, ...from.byHost(b.port, [...hosts]), ...(b.host.startsWith('*.') ? from.under(b.port, b.host) : [])];
  const clash = from.otherProtocol(b.port, b.protocol, b.ip);
  if (clash) found.push(clash);
  // In the store's order (site, protocol, port, address, host): refusals name the same binding as with the whole list.
  return [...new Map(found.map((x) => [bindingKey(x), x])).values()].sort(storeOrder);
}

/**
 * The bindings a change to a whole site is planned against (removing it, starting or stopping it:
 * every binding of the site leaves or joins what clients get at once): what each of its bindings
 * can meet (`nearbyBindings`), together. A client whose outcome the change can alter asks for a
 * name one of the site's bindings names (or falls through to one without a host name or SNI, which
 * brings in the whole port): the bindings that answer it are in that binding's neighbourhood.
 */
export function siteNeighbourhood(own: readonly Binding[], from: BindingNeighbours): Binding[] {
  // A site's bindings share ports: each port's bindings without SNI (or all) are read once.
  const onPort = new Map<number, Binding[]>();
  const withoutSni = new Map<number, Binding[]>();
  const once: BindingNeighbours = {
    ...from,
    onPort: (port) => [...(onPort.get(port) ?? onPort.set(port, from.onPort(port)).get(port)!)],
    withoutSni: (port) => [...(withoutSni.get(port) ?? withoutSni.set(port, from.withoutSni(port)).get(port)!)],
  };
  const found = new Map<string, Binding>();
  for (const b of own) for (const x of nearbyBindings(b, once)) found.set(bindingKey(x), x);
  return [...found.values()].sort(storeOrder);
}

/**
 * The bindings that decide what a client gets on `port` (binding explain): the ones naming the SNI
 * name or the Host, their wildcards or no host name, and the https ones without SNI (the address's
 * certificate) — CertificateSelector and HostRouter answer that client from these as from all.
 */
export function probeNeighbourhood(port: number, names: ReadonlyArray<string | undefined>, from: Pick<BindingNeighbours, 'byHost' | 'withoutSni'>): Binding[] {
  const hosts = new Set<string>(['']);
  for (const n of names) {
    const name = normalizeHost(n);
    if (name === '') continue;
    hosts.add(name);
    const w = wildcardOf(name);
    if (w) hosts.add(w);
  }
  const found = [...from.withoutSni(port), ...from.byHost(port, [...hosts])];
  return [...new Map(found.map((x) => [bindingKey(x), x])).values()].sort(storeOrder);
}

/** The order the store lists bindings in: site, protocol, port, address, host. */
export function storeOrder(a: Binding, b: Binding): number {
  return cmp(a.site, b.site) || cmp(a.protocol, b.protocol) || a.port - b.port || cmp(a.ip, b.ip) || cmp(a.host, b.host);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Checks a binding change against http.sys's rules and plans it: refusals throw a GatehouseError
 * that says why and what to do; warnings (a certificate that does not cover the host, or expires
 * soon) and the other sites whose clients would get another certificate are returned. Pure: the
 * configuration, the certificates and the clock are passed in.
 *
 * Editing the certificate of a binding without SNI changes the certificate of its whole endpoint
 * (IP:port), so every non-SNI binding there follows it — that is how http.sys works and what IIS
 * users lose sites to; the plan names them in `affected`.
 */
export function planBindingChange(
  config: ServingConfig,
  change: BindingChange,
  certificate: (thumbprint: string) => CertificateSummary | undefined,
  now: Date,
): BindingPlan {
  const b = change.binding;
  const others = config.bindings.filter((x) => bindingKey(x) !== bindingKey(b));
  const current = config.bindings.find((x) => bindingKey(x) === bindingKey(b));
  if (!config.sites.some((s) => s.name === b.site)) {
    throw fail('GH_SITE_NOT_FOUND', `There is no site "${b.site}". ${act('site-list')} shows the sites; ${act('site-add')} makes one.`);
  }
  let next: Binding[];
  if (change.op === 'remove') {
    if (!current || current.site !== b.site) throw notFound(b);
    next = others;
  } else {
    validateShape(b);
    if (change.op === 'add') {
      if (current) {
        throw fail('GH_BINDING_EXISTS', `The binding ${bindingText(b)} already exists${current.site === b.site ? ' on this site' : ` on site "${current.site}"`}; each (protocol, IP, port, host name) can be bound once on the server. Use another host name or port${current.site === b.site ? ', or "binding edit" to change its certificate' : ''}.`);
      }
      const clash = config.bindings.find((x) => x.port === b.port && x.protocol !== b.protocol && (x.ip === b.ip || x.ip === '*' || b.ip === '*'));
      if (clash) {
        throw fail('GH_PORT_PROTOCOL_CONFLICT', `Port ${b.port} already speaks ${clash.protocol} (${bindingText(clash)} on site "${clash.site}"); one port cannot serve both http and https. Choose another port.`);
      }
      next = [...config.bindings, b];
    } else {
      if (!current || current.site !== b.site) throw notFound(b);
      if (b.protocol !== 'https') throw fail('GH_BINDING_INVALID', 'Only https bindings carry a certificate to edit; an http binding has nothing to change. Remove it and add it again to move it.');
      next = config.bindings.map((x) => {
        if (bindingKey(x) === bindingKey(b)) return { ...x, certificate: b.certificate, sni: b.sni };
        // The endpoint's certificate is shared by all its bindings without SNI.
        if (!b.sni && !x.sni && x.protocol === 'https' && x.port === b.port && x.ip === b.ip) return { ...x, certificate: b.certificate };
        return x;
      });
    }
    if (b.protocol === 'https') {
      const cert = b.certificate ? certificate(b.certificate) : undefined;
      if (!cert) throw fail('GH_CERT_NOT_FOUND', `The certificate ${b.certificate ?? '(none)'} is not in the store. ${act('cert-list')} shows the certificates.`);
      if (!cert.hasPrivateKey) throw fail('GH_CERT_NO_KEY', `The certificate "${cert.friendlyName}" has no private key here, so it cannot serve TLS. Import it as a PFX with its key, or complete its request on this server.`);
      if (change.op === 'add' && !b.sni) {
        const holder = others.find((x) => x.protocol === 'https' && !x.sni && x.port === b.port && x.ip === b.ip && x.certificate !== b.certificate);
        if (holder) {
          const held = holder.certificate ? certificate(holder.certificate) : undefined;
          throw fail('GH_ENDPOINT_CERT_CONFLICT', `The endpoint ${b.ip === '*' ? '*' : b.ip}:${b.port} already has the certificate "${held?.friendlyName ?? holder.certificate}" from site "${holder.site}" (${bindingText(holder)}); without SNI an IP:port has one certificate. To add another certificate on this endpoint, give a host name with ${opt('host')} and require SNI with ${opt('sni')}.`);
        }
      }
    }
  }

  const warnings = change.op === 'remove' ? [] : certificateWarnings(b, certificate, now);
  const affected = reachedSites(config, { ...config, bindings: next }, new Set([b.site]));
  return { bindings: next, warnings, affected };
}

function validateShape(b: Binding): void {
  if (!Number.isInteger(b.port) || b.port < 1 || b.port > 65535) {
    throw fail('GH_PORT_INVALID', `The port ${b.port} is not valid; use a number from 1 to 65535 (443 for https, 80 for http).`);
  }
  if (b.sni && b.host === '') {
    throw fail('GH_BINDING_SNI_NEEDS_HOST', `Require Server Name Indication needs a host name: give ${opt('host')} with ${opt('sni')} (SNI selects the certificate by the name the client asks for).`);
  }
  if (b.protocol === 'http' && (b.sni || b.certificate)) {
    throw fail('GH_BINDING_INVALID', `An http binding has no certificate and no SNI; use ${opt('protocol-https')} for those.`);
  }
  if (b.protocol === 'https' && !b.certificate) {
    throw fail('GH_BINDING_CERT_REQUIRED', `An https binding needs a certificate: give ${opt('cert')} with a thumbprint or friendly name (${act('cert-list')} shows them).`);
  }
}

function notFound(b: Binding): Error {
  return fail('GH_BINDING_NOT_FOUND', `Site "${b.site}" has no binding ${bindingText(b)}. ${act('binding-list', b.site)} shows its bindings.`);
}

function certificateWarnings(b: Binding, certificate: (t: string) => CertificateSummary | undefined, now: Date): string[] {
  if (b.protocol !== 'https' || !b.certificate) return [];
  const cert = certificate(b.certificate);
  if (!cert) return [];
  const out: string[] = [];
  if (b.host !== '' && !namesCover(cert.sans, b.host)) {
    out.push(`the certificate "${cert.friendlyName}" does not cover ${b.host} (it covers ${cert.sans.join(', ') || 'no names'}): browsers will show a name mismatch`);
  }
  const left = Date.parse(cert.notAfter) - now.getTime();
  if (left <= 0) out.push(`the certificate "${cert.friendlyName}" expired on ${cert.notAfter.slice(0, 10)}: clients will refuse it`);
  else if (left <= 30 * DAY_MS) out.push(`the certificate "${cert.friendlyName}" expires on ${cert.notAfter.slice(0, 10)}, within 30 days`);
  return out;
}

