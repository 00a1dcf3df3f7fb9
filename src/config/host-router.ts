import type { Binding, BindingProtocol } from '../model/binding.js';
import { canonicalAddress } from './ip-address.js';
import { normalizeHost, wildcardOf } from './host-match.js';
import type { ServingConfig } from './serving-config.js';
import { addSpecificFirst, startedSites } from './certificate-selector.js';

export interface RequestProbe {
  protocol: BindingProtocol;
  localAddress: string;
  port: number;
  /** The Host header (or :authority), port and all, as the client sent it. */
  host?: string | undefined;
}

export type RouteRule = 'host-exact' | 'host-wildcard' | 'catch-all';

export interface Route {
  site: string;
  binding: Binding;
  rule: RouteRule;
}

/**
 * Request routing after TLS: the site whose binding matches the local address, port and Host
 * header. A binding on the local address wins over one on `*`; an exact host over a wildcard host;
 * a binding with no host is the catch-all of its endpoint. No match → null (the server answers
 * 400): a request is never handed to another customer's site.
 */
export class HostRouter {
  /** `protocol|port|host` → bindings, specific addresses first; host '' holds the catch-alls. */
  readonly #byHost = new Map<string, Binding[]>();

  /** `started`: the names of the started sites, when the caller has them already. */
  constructor(config: ServingConfig, started: ReadonlySet<string> = startedSites(config)) {
    for (const b of config.bindings) {
      if (!started.has(b.site)) continue;
      const key = `${b.protocol}|${b.port}|${b.host}`;
      const list = this.#byHost.get(key);
      if (list) addSpecificFirst(list, b);
      else this.#byHost.set(key, [b]);
    }
  }

  route(probe: RequestProbe): Route | null {
    const local = canonicalAddress(probe.localAddress) ?? probe.localAddress;
    const host = normalizeHost(probe.host);
    const endpoint = `${probe.protocol}|${probe.port}|`;
    if (host !== '') {
      const exact = this.#find(endpoint + host, local);
      if (exact) return { site: exact.site, binding: exact, rule: 'host-exact' };
      const pattern = wildcardOf(host);
      const wild = pattern ? this.#find(endpoint + pattern, local) : undefined;
      if (wild) return { site: wild.site, binding: wild, rule: 'host-wildcard' };
    }
    const any = this.#find(endpoint, local);
    return any ? { site: any.site, binding: any, rule: 'catch-all' } : null;
  }

  /** The binding for `protocol|port|host` on the local address or on `*` (a loop, no closure: once per request). */
  #find(key: string, local: string): Binding | undefined {
    const list = this.#byHost.get(key);
    if (list === undefined) return undefined;
    for (const b of list) if (b.ip === local || b.ip === '*') return b;
    return undefined;
  }
}
