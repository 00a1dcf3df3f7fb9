import type { Binding } from '../model/binding.js';
import { canonicalAddress } from './ip-address.js';
import { normalizeHost, wildcardOf } from './host-match.js';
import type { ServingConfig } from './serving-config.js';

/** Which step of the selection order decided, in DESIGN.md's order. */
export type SelectionRule = 'sni-exact' | 'sni-wildcard' | 'ip-port' | 'all-unassigned' | 'https-default' | 'none';

export interface Selection {
  thumbprint: string | null;
  rule: SelectionRule;
  /** The binding that decided (none for the https default and for a refusal). */
  binding?: Binding;
}

export interface HandshakeProbe {
  localAddress: string;
  port: number;
  /** The SNI server name, or undefined when the client sent none. */
  servername?: string | undefined;
}

/**
 * Certificate selection at the TLS handshake, exactly in http.sys's order: exact SNI host →
 * wildcard SNI host → the IP:port binding of the local address → the `*`:port binding → the
 * server's default HTTPS certificate → refuse. A client without SNI starts at the IP:port step.
 * Only started sites' https bindings take part. Built once per configuration revision; `select` is
 * a few map look-ups, safe to call on every handshake.
 */
export class CertificateSelector {
  /** `port|host` → SNI bindings, the ones on a specific address first. */
  readonly #sni = new Map<string, Binding[]>();
  /** `port|ip` → the non-SNI binding that owns the endpoint's certificate. */
  readonly #endpoint = new Map<string, Binding>();
  readonly #httpsDefault: string | null;

  /** `started`: the names of the started sites, when the caller has them already. */
  constructor(config: ServingConfig, started: ReadonlySet<string> = startedSites(config)) {
    for (const b of config.bindings) {
      if (b.protocol !== 'https' || !started.has(b.site) || !b.certificate) continue;
      if (b.sni) {
        const key = `${b.port}|${b.host}`;
        const list = this.#sni.get(key);
        if (list) addSpecificFirst(list, b);
        else this.#sni.set(key, [b]);
      } else {
        const key = `${b.port}|${b.ip}`;
        if (!this.#endpoint.has(key)) this.#endpoint.set(key, b);
      }
    }
    this.#httpsDefault = config.httpsDefault;
  }

  /** Every certificate a handshake can get here (the endpoints' and the default first, then the SNI bindings'), each once. */
  certificates(): string[] {
    const out = new Set<string>();
    for (const b of this.#endpoint.values()) out.add(b.certificate!);
    if (this.#httpsDefault) out.add(this.#httpsDefault);
    for (const list of this.#sni.values()) for (const b of list) out.add(b.certificate!);
    return [...out];
  }

  select(probe: HandshakeProbe): Selection {
    const local = canonicalAddress(probe.localAddress) ?? probe.localAddress;
    const name = normalizeHost(probe.servername);
    if (name !== '') {
      const exact = this.#sniFor(probe.port, name, local);
      if (exact) return { thumbprint: exact.certificate, rule: 'sni-exact', binding: exact };
      const pattern = wildcardOf(name);
      const wild = pattern ? this.#sniFor(probe.port, pattern, local) : undefined;
      if (wild) return { thumbprint: wild.certificate, rule: 'sni-wildcard', binding: wild };
    }
    // `*` as the local address asks about an address with no binding of its own (binding explain).
    const own = local === '*' ? undefined : this.#endpoint.get(`${probe.port}|${local}`);
    if (own) return { thumbprint: own.certificate, rule: 'ip-port', binding: own };
    const any = this.#endpoint.get(`${probe.port}|*`);
    if (any) return { thumbprint: any.certificate, rule: 'all-unassigned', binding: any };
    if (this.#httpsDefault) return { thumbprint: this.#httpsDefault, rule: 'https-default' };
    return { thumbprint: null, rule: 'none' };
  }

  #sniFor(port: number, host: string, local: string): Binding | undefined {
    return this.#sni.get(`${port}|${host}`)?.find((b) => b.ip === local || b.ip === '*');
  }
}

/** The names of a configuration's started sites. */
export function startedSites(config: Pick<ServingConfig, 'sites'>): Set<string> {
  const started = new Set<string>();
  for (const s of config.sites) if (s.state === 'started') started.add(s.name);
  return started;
}

/** Adds a binding to those of one name: bindings on a specific address before those on `*`, otherwise in the order added. */
export function addSpecificFirst(list: Binding[], b: Binding): void {
  if (b.ip === '*') {
    list.push(b);
    return;
  }
  const star = list.findIndex((x) => x.ip === '*');
  if (star < 0) list.push(b);
  else list.splice(star, 0, b);
}

/**
 * The host names of https bindings (of started sites) whose clients get `thumbprint`: asked with
 * each name as SNI on each binding's address and port, the way CertificateSelector answers them.
 * A name that has a certificate of its own (an SNI binding with another certificate) is not one.
 */
export function hostsServedBy(config: ServingConfig, thumbprint: string): string[] {
  const selector = new CertificateSelector(config);
  const started = new Set(config.sites.filter((s) => s.state === 'started').map((s) => s.name));
  const out = new Set<string>();
  for (const b of config.bindings) {
    if (b.protocol !== 'https' || b.host === '' || !started.has(b.site)) continue;
    if (selector.select({ localAddress: b.ip, port: b.port, servername: b.host }).thumbprint === thumbprint) out.add(b.host);
  }
  return [...out];
}
