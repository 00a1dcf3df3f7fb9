import { decodeCursor, encodeCursor, pageLimit, type Page } from './paging.js';
import { type Binding, type BindingProtocol, bindingText } from '../model/binding.js';
import { fail } from '../model/gatehouse-error.js';
import { act, opt } from '../model/wording.js';
import { planBindingChange, type BindingChange } from '../config/binding-rules.js';
import { Reach, type ReachedSite } from './reach.js';
import { CertificateSelector, type SelectionRule } from '../config/certificate-selector.js';
import { HostRouter, type RouteRule } from '../config/host-router.js';
import { canonicalAddress } from '../config/ip-address.js';
import type { CertificateSummary } from '../config/serving-config.js';
import { parseSubjectName } from '../pki/host-name.js';
import type { GatehouseStore } from '../store/gatehouse-store.js';
import { readBindingNeighbourhood, readProbeNeighbourhood } from './serving.js';
import type { CertificateManager } from './certificate-manager.js';

export interface BindingInput {
  site: string;
  protocol: string;
  port: number | undefined;
  ip?: string | undefined;
  host?: string | undefined;
  sni?: boolean | undefined;
  cert?: string | undefined;
  /** Apply even when other sites' clients would get another certificate. */
  force?: boolean | undefined;
}

export interface BindingResult {
  binding: Binding;
  warnings: string[];
  /** Other sites whose clients the (forced) change reached. */
  affected: ReachedSite[];
}

export interface Explanation {
  /** Whether anything listens on that address and port: a binding of a started site. */
  listening: boolean;
  certificate: { thumbprint: string; friendlyName: string } | null;
  rule: SelectionRule;
  ruleText: string;
  tlsBinding: string | null;
  site: string | null;
  routeRule: RouteRule | null;
  routeBinding: string | null;
}

const RULE_TEXT: Record<SelectionRule, string> = {
  'sni-exact': 'an SNI binding whose host name equals the name the client sent',
  'sni-wildcard': 'an SNI binding whose wildcard host name covers the name the client sent',
  'ip-port': 'the binding without SNI on this IP address and port',
  'all-unassigned': 'the binding without SNI on All Unassigned (*) for this port',
  'https-default': "the server's default HTTPS certificate (the https service assignment)",
  none: 'nothing matches: the handshake is refused with an alert',
};

/** IIS's Site Bindings dialog: add, edit (swap the certificate), remove, list — and "what will this client get?". */
export class BindingManager {
  private readonly reach: Reach;

  constructor(
    private readonly store: GatehouseStore,
    private readonly certificates: CertificateManager,
    private readonly clock: () => Date,
  ) {
    this.reach = new Reach(store);
  }

  list(site?: string): Binding[] {
    if (site !== undefined && !this.store.sites.get(site)) throw fail('GH_SITE_NOT_FOUND', `There is no site "${site}". ${act('site-list')} shows the sites.`);
    return this.store.sites.bindings(site);
  }

  /**
   * One page of `list` (by site, protocol, port, address, host): at most `limit` (1…1000) bindings
   * after the cursor a previous page gave, of one site or all, those whose host or site name contains
   * `name` (any case); with how many match in all and the next page's cursor (null on the last).
   */
  page(filter: { site?: string | undefined; name?: string | undefined; protocol?: 'http' | 'https' | undefined; sni?: boolean | undefined; limit: number; cursor?: string | undefined }): Page<Binding> {
    if (filter.site !== undefined && !this.store.sites.get(filter.site)) throw fail('GH_SITE_NOT_FOUND', `There is no site "${filter.site}". ${act('site-list')} shows the sites.`);
    const limit = pageLimit(filter.limit);
    const after = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor, 5);
    const page = this.store.sites.bindingPage({ site: filter.site, name: filter.name?.trim() || undefined, protocol: filter.protocol, sni: filter.sni }, limit, after);
    const last = page.rows.at(-1);
    return { items: page.rows, total: page.total, next: page.more && last ? encodeCursor([last.site, last.protocol, last.port, last.ip, last.host]) : null };
  }

  add(input: BindingInput): BindingResult {
    return this.apply('add', input);
  }

  edit(input: BindingInput): BindingResult {
    return this.apply('edit', input);
  }

  remove(input: BindingInput): BindingResult {
    return this.apply('remove', input);
  }

  /**
   * The host names the bindings use, in order: the first `first` (all without it) and how many in
   * all — what the request wizard proposes and the console's Home counts.
   */
  hostNames(first?: number): { names: string[]; count: number } {
    return this.store.sites.hostNames(first);
  }

  /** Answers from the same selection and routing code the server runs. */
  explain(probe: { port: number | undefined; ip?: string | undefined; sni?: string | undefined; host?: string | undefined; protocol?: string | undefined }): Explanation {
    const port = validPort(probe.port);
    const ip = probe.ip === undefined ? '*' : address(probe.ip);
    const protocol = parseProtocol(probe.protocol ?? 'https');
    // From the bindings that answer this client (its names, their wildcards, none, no SNI), not all of them.
    const { config, addresses } = readProbeNeighbourhood(this.store, port, [probe.sni, probe.host]);
    if (!addresses.some((a) => a === '*' || a === ip)) {
      const where = ip === '*' ? `port ${port}` : `${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
      const mail = config.mailListeners.find((l) => l.port === port && (l.ip === '*' || ip === '*' || l.ip === ip));
      const why = mail ? `it is the ${mail.service.toUpperCase()} listener's port, not a web binding's (${act('service-list')})`
        : addresses.length > 0 ? `the bindings on port ${port} are on ${addresses.join(', ')} only`
          : 'no binding of any started site uses it';
      return { listening: false, certificate: null, rule: 'none', ruleText: `nothing listens on ${where}: ${why}`, tlsBinding: null, site: null, routeRule: null, routeBinding: null };
    }
    let certificate: Explanation['certificate'] = null;
    let rule: SelectionRule = 'none';
    let tlsBinding: string | null = null;
    if (protocol === 'https') {
      const sel = new CertificateSelector(config).select({ localAddress: ip, port, servername: probe.sni });
      rule = sel.rule;
      tlsBinding = sel.binding ? `${bindingText(sel.binding)} (site "${sel.binding.site}")` : null;
      if (sel.thumbprint) {
        const row = this.store.certificates.get(sel.thumbprint);
        certificate = { thumbprint: sel.thumbprint, friendlyName: row?.friendlyName ?? '(missing)' };
      }
    }
    const route = new HostRouter(config).route({ protocol, localAddress: ip, port, host: probe.host ?? probe.sni });
    return {
      listening: true, certificate, rule, ruleText: protocol === 'https' ? RULE_TEXT[rule] : 'plain http: no certificate', tlsBinding,
      site: route?.site ?? null, routeRule: route?.rule ?? null, routeBinding: route ? bindingText(route.binding) : null,
    };
  }

  private apply(op: BindingChange['op'], input: BindingInput): BindingResult {
    const binding = this.normalize(op, input);
    // Planned against the bindings it can meet, not all of them (100,000 names: one row read and written, not 100,000).
    const config = readBindingNeighbourhood(this.store, binding);
    const mail = op === 'add' ? config.mailListeners.find((l) => l.port === binding.port && (l.ip === '*' || binding.ip === '*' || l.ip === binding.ip)) : undefined;
    if (mail) throw fail('GH_LISTENER_CONFLICT', `Port ${binding.port} is used by the ${mail.service.toUpperCase()} listener on ${mail.ip}:${mail.port}; a web binding needs a port of its own.`);
    const plan = planBindingChange(config, { op, binding }, (t) => this.summary(t), this.clock());
    this.reach.check(`This ${op === 'add' ? 'new binding' : op === 'edit' ? 'edit' : 'removal'}`, plan.affected, input.force,
      `To apply it anyway, use ${opt(op === 'remove' ? 'force-remove-binding' : 'force')}${op === 'remove' ? '' : `; or give this site a host name with ${opt('host')} and require SNI with ${opt('sni')}, or another address or port`}.`);
    const stored = op === 'remove' ? config.bindings.find((b) => bindingText(b) === bindingText(binding)) : undefined;
    this.store.change(
      () => ({ action: `binding.${op}`, target: `${binding.site}: ${bindingText(binding)}`, before: stored ?? config.bindings.find((b) => bindingText(b) === bindingText(binding)), after: op === 'remove' ? undefined : binding }),
      () => this.store.sites.writeBindings(config.bindings, plan.bindings),
    );
    return { binding: stored ?? binding, warnings: plan.warnings, affected: this.reach.describe(plan.affected) };
  }

  private normalize(op: BindingChange['op'], input: BindingInput): Binding {
    const protocol = parseProtocol(input.protocol);
    const port = validPort(input.port);
    const ip = input.ip === undefined ? '*' : address(input.ip);
    let host = '';
    if (input.host !== undefined && input.host.trim() !== '') {
      const n = parseSubjectName(input.host);
      if (n.type !== 'dns') throw fail('GH_NAME_INVALID', `The host name "${input.host}" is an IP address; a binding's host name is a DNS name. Put the address in ${opt('ip')} instead.`);
      host = n.value;
    }
    let certificate: string | null = null;
    if (op !== 'remove' && input.cert !== undefined) certificate = this.certificates.resolve(input.cert).thumbprint;
    const found = op === 'edit' ? this.store.sites.binding({ protocol, ip, port, host }) : undefined;
    const existing = found?.site === input.site.trim() ? found : undefined;
    const sni = input.sni ?? existing?.sni ?? false;
    if (op === 'edit' && certificate === null) throw fail('GH_BINDING_CERT_REQUIRED', `Editing a binding changes its certificate: give ${opt('cert')} with a thumbprint or friendly name.`);
    return { site: input.site.trim(), protocol, ip, port, host, sni, certificate };
  }

  private summary(thumbprint: string): CertificateSummary | undefined {
    const row = this.store.certificates.get(thumbprint);
    return row && { thumbprint: row.thumbprint, friendlyName: row.friendlyName, sans: row.sans, notAfter: row.notAfter, hasPrivateKey: row.keyId !== null, store: row.store };
  }
}

function parseProtocol(p: string): BindingProtocol {
  const v = p.trim().toLowerCase();
  if (v === 'http' || v === 'https') return v;
  throw fail('GH_BINDING_INVALID', `The protocol "${p}" is not one Gatehouse serves; use http or https.`);
}

function validPort(port: number | undefined): number {
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw fail('GH_PORT_INVALID', `The port ${port ?? '(none)'} is not valid; give ${opt('port')} with a number from 1 to 65535 (443 for https, 80 for http).`);
  }
  return port;
}

function address(ip: string): string {
  const a = canonicalAddress(ip);
  if (!a) throw fail('GH_IP_INVALID', `"${ip}" is not an IP address; give an IPv4 or IPv6 address of this machine, or * for All Unassigned.`);
  return a;
}
