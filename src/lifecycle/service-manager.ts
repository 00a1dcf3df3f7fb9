import { fail } from '../model/gatehouse-error.js';
import { act, opt } from '../model/wording.js';
import type { Certificate } from '../model/certificate.js';
import { defaultMode, MAIL_SERVICES, parseService, type ClientAddressForwarding, type MailListener, type MailService, type ServiceName, SERVICES, type MailTlsMode } from '../model/service.js';
import { canonicalAddress } from '../config/ip-address.js';
import { namesCover } from '../config/host-match.js';
import { hostsServedBy } from '../config/certificate-selector.js';
import { reachedSites } from '../config/reached-sites.js';
import type { ServingConfig } from '../config/serving-config.js';
import { type Binding, bindingText } from '../model/binding.js';
import { Reach, type ReachedSite } from './reach.js';
import { readServingConfig } from './serving.js';
import { parseSubjectName } from '../pki/host-name.js';
import type { GatehouseStore } from '../store/gatehouse-store.js';
import type { CertificateManager } from './certificate-manager.js';
import { summary } from './certificate-manager.js';

export interface ListenerInput {
  service: string;
  /** ADDRESS:PORT, `*:PORT` or `[v6]:PORT`. */
  listen: string;
  /** HOST:PORT of the mail server behind. */
  backend: string;
  mode?: string | undefined;
  requireTls?: boolean | undefined;
  clientAddress?: string | undefined;
  host?: string | undefined;
  maxConnections?: number | undefined;
  idleTimeoutSeconds?: number | undefined;
}

export interface ServiceView {
  service: ServiceName;
  certificate: Pick<Certificate, 'thumbprint' | 'friendlyName' | 'notAfter' | 'status'> | null;
  listeners: MailListener[];
}

export interface AssignResult {
  certificate: { thumbprint: string; friendlyName: string };
  services: ServiceName[];
  /** Services whose previous certificate this replaced. */
  replaced: Array<{ service: ServiceName; thumbprint: string; friendlyName: string }>;
  /** With https (Exchange's IIS): the default web site whose https bindings now carry the certificate, or null when there is none. */
  site: string | null;
  /** The bindings whose certificate this changed, as they are now (the site's, and others on the same endpoints, which follow). */
  bindings: Binding[];
  /** Other sites whose clients the (forced) change reached. */
  affected: ReachedSite[];
  warnings: string[];
}

export interface AssignOptions {
  /** Yes to "Overwrite the existing default SMTP certificate?". */
  overwrite?: boolean | undefined;
  /** With https: the site Exchange's virtual directories live in, instead of the one with an https binding on *:443 and no host name. */
  site?: string | undefined;
  /** Apply even when the bindings it changes reach other sites' clients. */
  force?: boolean | undefined;
}

/** Where Exchange's IIS service binds its certificate by default: the Default Web Site's https *:443. */
const DEFAULT_WEB_PORT = 443;

const DAY = 86_400_000;

/**
 * Exchange's "Assign Services to Certificate" and the mail listeners: which certificate SMTP, IMAP,
 * POP and the web (https, the default certificate of the selection order) present, and where the
 * SMTP/IMAP/POP fronts listen and relay to. Replacing the default SMTP certificate needs an explicit
 * overwrite, as Exchange asks "Overwrite the existing default SMTP certificate?".
 */
export class ServiceManager {
  private readonly reach: Reach;

  constructor(
    private readonly store: GatehouseStore,
    private readonly certificates: CertificateManager,
    private readonly clock: () => Date,
  ) {
    this.reach = new Reach(store);
  }

  /** The thumbprint of the certificate a service is assigned, or null. */
  certificateOf(service: ServiceName): string | null {
    return this.store.services.certificateOf(service);
  }

  list(): ServiceView[] {
    const assigned = this.store.services.assignments();
    const listeners = this.store.services.listeners();
    return SERVICES.map((service) => {
      const t = assigned[service];
      const c = t === undefined ? undefined : this.certificates.show(t);
      return {
        service,
        certificate: c ? { thumbprint: c.thumbprint, friendlyName: c.friendlyName, notAfter: c.notAfter, status: c.status } : null,
        listeners: listeners.filter((l) => l.service === service),
      };
    });
  }

  /**
   * Exchange's Assign Services to Certificate. Assigning https (IIS) makes the certificate the
   * server's default web certificate and, as Exchange does, the certificate of the default web
   * site's https bindings without SNI (the site with https on *:443 and no host name, or
   * `options.site`); other sites' bindings on those endpoints follow, so that is refused when it
   * reaches other sites' clients unless `options.force`. One transaction, one audit record.
   */
  assign(ref: string, services: readonly ServiceName[], options: AssignOptions = {}): AssignResult {
    const cert = this.certificates.show(ref);
    const now = this.clock();
    if (!cert.hasPrivateKey) throw fail('GH_CERT_NO_KEY', `"${cert.friendlyName}" has no private key on this server, so no service can present it. Complete its request here or import it with its key.`);
    if (Date.parse(cert.notAfter) <= now.getTime()) throw fail('GH_CERT_EXPIRED', `"${cert.friendlyName}" expired on ${cert.notAfter.slice(0, 10)}; assign a valid certificate.`);
    if (options.site !== undefined && !services.includes('https')) throw fail('GH_SERVICE_INVALID', `${opt('site')} names the web site whose https bindings the IIS (https) service sets; add https to ${opt('services')}, or leave ${opt('site')} out.`);
    const current = this.store.services.assignments();
    const smtp = current.smtp;
    if (services.includes('smtp') && smtp !== undefined && smtp !== cert.thumbprint && !options.overwrite) {
      const old = this.certificates.show(smtp);
      throw fail('GH_SERVICE_OVERWRITE_REQUIRED', `Overwrite the existing default SMTP certificate? It is "${old.friendlyName}" (thumbprint ${old.thumbprint}, expires ${old.notAfter.slice(0, 10)}). To replace it with "${cert.friendlyName}", use ${opt('overwrite')}; nothing was changed.`);
    }
    const config = readServingConfig(this.store);
    const web = services.includes('https') ? this.webBindings(config, cert.thumbprint, options.site) : { site: null, bindings: config.bindings, changed: [] };
    const affected = web.site === null ? [] : reachedSites(config, { ...config, bindings: web.bindings }, new Set([web.site]));
    this.reach.check(`Setting "${cert.friendlyName}" on the https bindings of site "${web.site}"`, affected, options.force,
      `To apply it anyway, use ${opt('force')}; or name another site with ${opt('site')}.`);
    const replaced = services
      .filter((s) => current[s] !== undefined && current[s] !== cert.thumbprint)
      .map((s) => ({ service: s, thumbprint: current[s]!, friendlyName: this.store.certificates.get(current[s]!)?.friendlyName ?? '' }));
    const after: ServingConfig = { ...config, bindings: web.bindings, httpsDefault: services.includes('https') ? cert.thumbprint : config.httpsDefault };
    const warnings = this.warnings(cert, services, now, after);
    this.store.change(
      () => ({
        action: 'service.assign', target: services.join(','), before: Object.fromEntries(services.map((s) => [s, current[s] ?? null])),
        after: { certificate: summary(this.certificates.resolve(cert.thumbprint)), services, ...(services.includes('https') ? { site: web.site, bindings: web.changed.map(bindingText) } : {}) },
      }),
      () => {
        for (const s of services) this.store.services.setCertificate(s, cert.thumbprint);
        if (web.changed.length > 0) this.store.sites.replaceBindings(web.bindings);
      },
    );
    return { certificate: { thumbprint: cert.thumbprint, friendlyName: cert.friendlyName }, services: [...services], replaced, site: web.site, bindings: web.changed, affected: this.reach.describe(affected), warnings };
  }

  /** The default web site and the binding list with the certificate on its https bindings without SNI (and the endpoints' other bindings, which follow). */
  private webBindings(config: ServingConfig, thumbprint: string, siteName: string | undefined): { site: string | null; bindings: Binding[]; changed: Binding[] } {
    let site: string | null;
    if (siteName !== undefined) {
      site = config.sites.find((s) => s.name === siteName.trim())?.name ?? null;
      if (site === null) throw fail('GH_SITE_NOT_FOUND', `There is no site "${siteName}". ${act('site-list')} shows the sites.`);
    } else {
      site = config.bindings.find((b) => b.protocol === 'https' && b.ip === '*' && b.port === DEFAULT_WEB_PORT && b.host === '')?.site ?? null;
    }
    const own = config.bindings.filter((b) => b.site === site && b.protocol === 'https' && !b.sni);
    if (siteName !== undefined && own.length === 0) {
      throw fail('GH_SITE_NO_HTTPS_BINDING', `Site "${site}" has no https binding without SNI for the IIS service to set. Add one (${act('binding-add', site ?? '')}) or name another site with ${opt('site')}.`);
    }
    const endpoints = new Set(own.map((b) => `${b.ip}|${b.port}`));
    // Without SNI an IP:port has one certificate: every binding without SNI there follows.
    const bindings = config.bindings.map((b) => (b.protocol === 'https' && !b.sni && endpoints.has(`${b.ip}|${b.port}`) ? { ...b, certificate: thumbprint } : b));
    const changed = bindings.filter((b, i) => b.certificate !== config.bindings[i]!.certificate);
    return { site, bindings, changed };
  }

  unassign(services: readonly ServiceName[]): { services: ServiceName[]; unassigned: Array<{ service: ServiceName; thumbprint: string }> } {
    const current = this.store.services.assignments();
    const unassigned = services.filter((s) => current[s] !== undefined).map((s) => ({ service: s, thumbprint: current[s]! }));
    if (unassigned.length > 0) {
      this.store.change(
        () => ({ action: 'service.unassign', target: services.join(','), before: Object.fromEntries(unassigned.map((u) => [u.service, u.thumbprint])) }),
        () => {
          for (const u of unassigned) this.store.services.setCertificate(u.service, null);
        },
      );
    }
    return { services: [...services], unassigned };
  }

  /** Adds or replaces the listener on its address and port. */
  configure(input: ListenerInput): { listener: MailListener; replaced: MailListener | null; warnings: string[] } {
    const service = parseService(input.service, MAIL_SERVICES) as MailService;
    const { ip, port } = parseEndpoint(input.listen, opt('listen'));
    const backend = parseBackend(input.backend);
    const mode = parseMode(input.mode, port);
    if (input.requireTls && mode === 'tls') throw fail('GH_LISTENER_INVALID', `${opt('require-tls')} applies to STARTTLS listeners; an implicit-TLS listener has TLS from the first byte already.`);
    const clientAddress = parseForwarding(input.clientAddress);
    let hostName = '';
    if (input.host !== undefined && input.host.trim() !== '') {
      const n = parseSubjectName(input.host);
      if (n.type !== 'dns') throw fail('GH_NAME_INVALID', `${opt('host')} is the DNS name clients use for this listener (e.g. mail.contoso.com); got the address "${input.host}".`);
      hostName = n.value;
    }
    const maxConnections = bounded(input.maxConnections ?? 1000, 1, 100_000, opt('max-connections'));
    const idleTimeoutSeconds = bounded(input.idleTimeoutSeconds ?? 300, 5, 86_400, opt('idle-timeout'));
    const existing = this.store.services.listeners();
    const same = existing.find((l) => l.ip === ip && l.port === port);
    if (same && same.service !== service) throw fail('GH_LISTENER_CONFLICT', `${endpointText(ip, port)} is already the ${same.service.toUpperCase()} listener; remove it first (${act('listener-remove', `${same.service} ${endpointText(ip, port)}`)}).`);
    const overlapping = existing.find((l) => l !== same && l.port === port && (l.ip === '*' || ip === '*'));
    if (overlapping) throw fail('GH_LISTENER_CONFLICT', `Port ${port} is already used by the ${overlapping.service.toUpperCase()} listener on ${endpointText(overlapping.ip, overlapping.port)}; one port cannot serve two listeners on overlapping addresses.`);
    const web = this.store.sites.bindings().find((b) => b.port === port && (b.ip === '*' || ip === '*' || b.ip === ip));
    if (web) throw fail('GH_LISTENER_CONFLICT', `Port ${port} is used by the ${web.protocol} binding of site "${web.site}"; a mail listener needs a port of its own.`);
    const listener: MailListener = {
      service, ip, port, mode, requireTls: mode === 'starttls' && (input.requireTls ?? false), backendHost: backend.host, backendPort: backend.port,
      clientAddress, hostName, maxConnections, idleTimeoutSeconds, created: same?.created ?? this.clock().toISOString(),
    };
    const warnings: string[] = [];
    if (backend.port === port && (backend.host === ip || ['127.0.0.1', 'localhost', '::1'].includes(backend.host)) && (ip === '*' || ip === '127.0.0.1' || ip === '::1')) {
      throw fail('GH_BACKEND_INVALID', `The backend ${input.backend} is this listener itself; point it at the mail server (e.g. Postfix on 127.0.0.1:10025).`);
    }
    const assigned = this.store.services.assignments()[service];
    if (assigned === undefined) warnings.push(`No certificate is assigned to ${service.toUpperCase()} yet, so clients without a matching SNI name cannot start TLS: ${act('service-assign', service)}.`);
    else if (hostName !== '') {
      const c = this.store.certificates.get(assigned);
      if (c && !namesCover(c.sans, hostName)) warnings.push(`The ${service.toUpperCase()} certificate "${c.friendlyName}" does not cover ${hostName}; clients that check names will refuse it.`);
    }
    this.store.change(
      () => ({ action: 'service.configure', target: `${service} ${endpointText(ip, port)}`, before: same ?? undefined, after: listener }),
      () => this.store.services.putListener(listener),
    );
    return { listener, replaced: same ?? null, warnings };
  }

  unconfigure(serviceText: string, listen: string): { service: MailService; listen: string; removed: true } {
    const service = parseService(serviceText, MAIL_SERVICES) as MailService;
    const { ip, port } = parseEndpoint(listen, opt('listen'));
    const l = this.store.services.listeners().find((x) => x.service === service && x.ip === ip && x.port === port);
    if (!l) throw fail('GH_LISTENER_NOT_FOUND', `${service.toUpperCase()} has no listener on ${endpointText(ip, port)}. ${act('service-list')} shows the listeners.`);
    this.store.change(() => ({ action: 'service.unconfigure', target: `${service} ${endpointText(ip, port)}`, before: l }), () => this.store.services.deleteListener(ip, port));
    return { service, listen: endpointText(ip, port), removed: true };
  }

  /** Expiry within 30 days, and names clients will reach this certificate by that it does not cover (not names with certificates of their own). */
  private warnings(cert: Certificate, services: readonly ServiceName[], now: Date, after: ServingConfig): string[] {
    const out: string[] = [];
    const days = Math.floor((Date.parse(cert.notAfter) - now.getTime()) / DAY);
    if (days < 30) out.push(`"${cert.friendlyName}" expires in ${days} day(s), on ${cert.notAfter.slice(0, 10)}; plan its renewal.`);
    const names = new Set<string>();
    for (const l of this.store.services.listeners()) if (services.includes(l.service) && l.hostName !== '') names.add(l.hostName);
    if (services.includes('https')) for (const n of hostsServedBy(after, cert.thumbprint)) names.add(n);
    const uncovered = [...names].filter((n) => !namesCover(cert.sans, n));
    if (uncovered.length > 0) out.push(`"${cert.friendlyName}" does not cover ${uncovered.join(', ')} (it names ${cert.sans.join(', ')}); clients that check names will refuse it there.`);
    return out;
  }
}

export function endpointText(ip: string, port: number): string {
  return `${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
}

function parseEndpoint(text: string, flag: string): { ip: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text.trim());
  const ip = m ? canonicalAddress(m[1] ?? m[2]!) : undefined;
  const port = m ? Number(m[3]) : NaN;
  if (!m || ip === undefined) throw fail('GH_LISTENER_INVALID', `${flag} takes ADDRESS:PORT, *:PORT or [IPv6]:PORT (e.g. *:25 or 127.0.0.1:587); got "${text}".`);
  if (!(port >= 1 && port <= 65535)) throw fail('GH_PORT_INVALID', `The port in "${text}" is not a number from 1 to 65535.`);
  return { ip, port };
}

function parseBackend(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 1 && port <= 65535)) throw fail('GH_BACKEND_INVALID', `${opt('backend')} takes HOST:PORT of the mail server (e.g. 127.0.0.1:10025 or [::1]:143); got "${text}".`);
  return { host: m[1] ?? m[2]!, port };
}

function parseMode(text: string | undefined, port: number): MailTlsMode {
  if (text === undefined) return defaultMode(port);
  const t = text.trim().toLowerCase();
  if (t === 'starttls' || t === 'tls') return t;
  throw fail('GH_LISTENER_INVALID', `${opt('mode')} is starttls (upgrade in the protocol: SMTP 25/587, IMAP 143, POP 110) or tls (implicit TLS: 465, 993, 995); got "${text}".`);
}

function parseForwarding(text: string | undefined): ClientAddressForwarding {
  const t = (text ?? 'off').trim().toLowerCase();
  if (t === 'off' || t === 'xclient') return t;
  throw fail('GH_LISTENER_INVALID', `${opt('client-address')} is off (log it only) or xclient (Postfix XCLIENT for SMTP, Dovecot's XCLIENT for IMAP and POP); got "${text}".`);
}

function bounded(n: number, min: number, max: number, flag: string): number {
  if (!Number.isInteger(n) || n < min || n > max) throw fail('GH_LISTENER_INVALID', `${flag} takes a whole number from ${min} to ${max}; got ${n}.`);
  return n;
}
