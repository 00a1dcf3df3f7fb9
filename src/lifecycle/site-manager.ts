import { decodeCursor, encodeCursor, pageLimit, type Page } from './paging.js';
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fail } from '../model/gatehouse-error.js';
import { act, opt } from '../model/wording.js';
import { type Site, type SiteContent, validateSiteName } from '../model/site.js';
import type { Binding } from '../model/binding.js';
import type { GatehouseStore } from '../store/gatehouse-store.js';
import { reachedSites } from '../config/reached-sites.js';
import type { ServingConfig } from '../config/serving-config.js';
import { Reach, type ReachedSite } from './reach.js';
import { readSiteNeighbourhood } from './serving.js';

export interface SiteInput {
  name: string;
  root?: string | undefined;
  proxy?: string | undefined;
  httpsRedirect?: boolean | undefined;
  hsts?: boolean | undefined;
  logFormat?: string | undefined;
}

/** IIS's Sites node: add, list, show, remove, start and stop sites. */
export class SiteManager {
  private readonly reach: Reach;

  constructor(
    private readonly store: GatehouseStore,
    private readonly clock: () => Date,
    private readonly cwd: string,
  ) {
    this.reach = new Reach(store);
  }

  add(input: SiteInput): Site & { bindings: Binding[] } {
    const name = validateSiteName(input.name);
    const content = this.content(input);
    if (this.store.sites.get(name)) throw fail('GH_SITE_EXISTS', `A site named "${name}" already exists. Choose another name, or see ${act('site-show', name)}.`);
    const site: Site = { name, state: 'started', content, httpsRedirect: input.httpsRedirect ?? false, hsts: input.hsts ?? false, logFormat: logFormat(input.logFormat) ?? 'w3c', created: this.clock().toISOString() };
    this.store.change(() => ({ action: 'site.add', target: name, after: site }), () => this.store.sites.insert(site));
    return this.show(name);
  }

  /** Changes what a site serves or its options; what is not given stays. */
  set(input: SiteInput): Site & { bindings: Binding[] } {
    const before = this.get(input.name);
    const content = input.root !== undefined || input.proxy !== undefined ? this.content(input) : before.content;
    const after: Site = { ...before, content, httpsRedirect: input.httpsRedirect ?? before.httpsRedirect, hsts: input.hsts ?? before.hsts, logFormat: logFormat(input.logFormat) ?? before.logFormat };
    // Nothing to change writes nothing: no audit record, no revision for the serving plane to apply.
    if (JSON.stringify(after) !== JSON.stringify(before)) {
      this.store.change(() => ({ action: 'site.set', target: before.name, before, after }), () => this.store.sites.update(after));
    }
    return this.show(before.name);
  }

  list(): Array<Site & { bindings: Binding[] }> {
    const bySite = new Map<string, Binding[]>();
    for (const b of this.store.sites.bindings()) {
      const list = bySite.get(b.site);
      if (list) list.push(b);
      else bySite.set(b.site, [b]);
    }
    return this.store.sites.list().map((s) => ({ ...s, bindings: bySite.get(s.name) ?? [] }));
  }

  /**
   * One page of `list` (by name): at most `limit` (1…1000) sites after the cursor a previous page
   * gave, those whose name or a binding's host name contains `name` (any case), each with its
   * bindings; with how many match in all and the next page's cursor (null on the last).
   */
  page(filter: { name?: string | undefined; limit: number; cursor?: string | undefined }): Page<Site & { bindings: Binding[] }> {
    const limit = pageLimit(filter.limit);
    const after = filter.cursor === undefined ? undefined : String(decodeCursor(filter.cursor, 1)[0]);
    const page = this.store.read(() => {
      const p = this.store.sites.page({ name: filter.name?.trim() || undefined }, limit, after);
      return { ...p, rows: p.rows.map((s) => ({ ...s, bindings: this.store.sites.bindings(s.name) })) };
    });
    const last = page.rows.at(-1);
    return { items: page.rows, total: page.total, next: page.more && last ? encodeCursor([last.name]) : null };
  }

  show(name: string): Site & { bindings: Binding[] } {
    const site = this.get(name);
    return { ...site, bindings: this.store.sites.bindings(site.name) };
  }

  /**
   * Removes a site and its bindings. Refused (GH_BINDING_AFFECTS_OTHERS) when other sites' clients
   * would get another certificate or site — the ones a binding of this site on an address of its
   * own kept from the `*` bindings of other sites — unless `force`.
   */
  remove(name: string, force = false): { name: string; removed: true; bindings: number; affected: ReachedSite[] } {
    const site = this.show(name);
    const affected = this.reached(site.name, (c) => ({ ...c, sites: c.sites.filter((s) => s.name !== site.name), bindings: c.bindings.filter((b) => b.site !== site.name) }));
    this.reach.check(`Removing site "${site.name}"`, affected, force, `To remove it anyway, use ${opt('force-query')}; or remove or move the other sites' bindings first.`);
    this.store.change(() => ({ action: 'site.remove', target: site.name, before: site }), () => this.store.sites.delete(site.name));
    return { name: site.name, removed: true, bindings: site.bindings.length, affected: this.reach.describe(affected) };
  }

  /** Starts or stops a site; refused like `remove` when that reaches other sites' clients, unless `force`. */
  setState(name: string, state: Site['state'], force = false): Site & { bindings: Binding[]; affected: ReachedSite[] } {
    const site = this.get(name);
    let affected: ReturnType<typeof reachedSites> = [];
    if (site.state !== state) {
      affected = this.reached(site.name, (c) => ({ ...c, sites: c.sites.map((s) => (s.name === site.name ? { ...s, state } : s)) }));
      this.reach.check(`${state === 'started' ? 'Starting' : 'Stopping'} site "${site.name}"`, affected, force, `To ${state === 'started' ? 'start' : 'stop'} it anyway, use ${opt('force-query')}.`);
      this.store.change(() => ({ action: state === 'started' ? 'site.start' : 'site.stop', target: site.name, before: { state: site.state }, after: { state } }), () => this.store.sites.update({ ...site, state }));
    }
    return { ...this.show(site.name), affected: this.reach.describe(affected) };
  }

  private reached(name: string, change: (config: ServingConfig) => ServingConfig) {
    // Against the site's bindings and what they can meet, not every binding (100,000 names: a few rows).
    const { config: before, addresses } = readSiteNeighbourhood(this.store, name);
    return reachedSites(before, change(before), new Set([name]), (port) => addresses.get(port) ?? []);
  }

  private get(name: string): Site {
    const site = this.store.sites.get(name.trim());
    if (!site) throw fail('GH_SITE_NOT_FOUND', `There is no site "${name}". ${act('site-list')} shows the sites.`);
    return site;
  }

  private content(input: SiteInput): SiteContent {
    if ((input.root === undefined) === (input.proxy === undefined)) {
      throw fail('GH_USAGE', `Give exactly one of ${opt('root')} (a folder of static files) or ${opt('proxy')} (an upstream to forward to).`);
    }
    if (input.root !== undefined) {
      const root = isAbsolute(input.root) ? input.root : resolve(this.cwd, input.root);
      let isDir = false;
      try {
        isDir = statSync(root).isDirectory();
      } catch {
        isDir = false;
      }
      if (!isDir) throw fail('GH_SITE_CONTENT_INVALID', `The folder ${root} does not exist or is not a folder. Create it (with an index.html) or give another ${opt('root')}.`);
      return { kind: 'static', root };
    }
    let url: URL;
    try {
      url = new URL(input.proxy!);
    } catch {
      throw fail('GH_SITE_CONTENT_INVALID', `"${input.proxy}" is not a URL; give the upstream as http://host:port or https://host:port.`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw fail('GH_SITE_CONTENT_INVALID', `The upstream "${input.proxy}" must be an http:// or https:// URL.`);
    }
    return { kind: 'proxy', upstream: url.origin + (url.pathname === '/' ? '' : url.pathname) };
  }
}

function logFormat(value: string | undefined): Site['logFormat'] | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (v === 'w3c' || v === 'combined' || v === 'off') return v;
  throw fail('GH_USAGE', `${opt('log')} takes w3c (IIS's W3C extended format), combined or off; got "${value}".`);
}
