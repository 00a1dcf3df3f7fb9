import type { Site } from '../model/site.js';
import type { Binding } from '../model/binding.js';
import type { StoreEngine } from './engine.js';

/** Sites (table `sites`) and their bindings (table `bindings`). */
export class SiteRepository {
  constructor(private readonly engine: StoreEngine) {}

  /** Inserts a site; call inside `change`. */
  insert(site: Site): void {
    this.engine.db.run('INSERT INTO sites (name, state, kind, target, https_redirect, hsts, log_format, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      site.name, site.state, site.content.kind, target(site), site.httpsRedirect ? 1 : 0, site.hsts ? 1 : 0, site.logFormat, site.created);
  }

  /** Writes a site's settings; call inside `change`. */
  update(site: Site): void {
    this.engine.db.run('UPDATE sites SET state = ?, kind = ?, target = ?, https_redirect = ?, hsts = ?, log_format = ? WHERE name = ?',
      site.state, site.content.kind, target(site), site.httpsRedirect ? 1 : 0, site.hsts ? 1 : 0, site.logFormat, site.name);
  }

  /** Deletes a site and, with it, its bindings; call inside `change`. */
  delete(name: string): void {
    this.engine.db.run('DELETE FROM bindings WHERE site = ?', name);
    this.engine.db.run('DELETE FROM sites WHERE name = ?', name);
  }

  get(name: string): Site | undefined {
    const row = this.engine.db.get<RawSite>('SELECT * FROM sites WHERE name = ?', name);
    return row && toSite(row);
  }

  list(): Site[] {
    return this.engine.db.all<RawSite>('SELECT * FROM sites ORDER BY name').map(toSite);
  }

  bindings(site?: string): Binding[] {
    const rows = site === undefined
      ? this.engine.db.all<RawBinding>('SELECT * FROM bindings ORDER BY site, protocol, port, ip, host')
      : this.engine.db.all<RawBinding>('SELECT * FROM bindings WHERE site = ? ORDER BY protocol, port, ip, host', site);
    return rows.map(toBinding);
  }

  bindingsUsing(thumbprint: string): Binding[] {
    return this.engine.db.all<RawBinding>('SELECT * FROM bindings WHERE certificate = ? ORDER BY site', thumbprint).map(toBinding);
  }

  /** Certificates of the Personal store that bindings use (their contexts are built at start). */
  personalCertificatesInUse(): string[] {
    return this.engine.db.all<{ t: string }>(`SELECT DISTINCT b.certificate AS t FROM bindings b JOIN certificates c ON c.thumbprint = b.certificate WHERE c.store = 'personal'`).map((r) => r.t);
  }

  /** Makes the bindings table equal `next`, writing only the difference; call inside `change`. */
  replaceBindings(next: readonly Binding[]): void {
    const key = (b: Binding) => `${b.protocol}/${b.ip}/${b.port}/${b.host}`;
    const before = new Map(this.bindings().map((b) => [key(b), b]));
    const after = new Map(next.map((b) => [key(b), b]));
    const db = this.engine.db;
    for (const [k, b] of before) if (!after.has(k)) db.run('DELETE FROM bindings WHERE protocol = ? AND ip = ? AND port = ? AND host = ?', b.protocol, b.ip, b.port, b.host);
    for (const [k, b] of after) {
      const old = before.get(k);
      if (old && old.site === b.site && old.sni === b.sni && old.certificate === b.certificate) continue;
      db.run(`INSERT INTO bindings (protocol, ip, port, host, site, sni, certificate) VALUES (?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (protocol, ip, port, host) DO UPDATE SET site = excluded.site, sni = excluded.sni, certificate = excluded.certificate`,
        b.protocol, b.ip, b.port, b.host, b.site, b.sni ? 1 : 0, b.certificate);
    }
  }
}

function target(site: Site): string {
  return site.content.kind === 'static' ? site.content.root : site.content.upstream;
}

interface RawSite {
  name: string;
  state: 'started' | 'stopped';
  kind: 'static' | 'proxy';
  target: string;
  https_redirect: number;
  hsts: number;
  log_format: 'w3c' | 'combined' | 'off';
  created: string;
}

function toSite(r: RawSite): Site {
  return {
    name: r.name, state: r.state, content: r.kind === 'static' ? { kind: 'static', root: r.target } : { kind: 'proxy', upstream: r.target },
    httpsRedirect: r.https_redirect === 1, hsts: r.hsts === 1, logFormat: r.log_format, created: r.created,
  };
}

interface RawBinding {
  protocol: 'http' | 'https';
  ip: string;
  port: number;
  host: string;
  site: string;
  sni: number;
  certificate: string | null;
}

function toBinding(r: RawBinding): Binding {
  return { site: r.site, protocol: r.protocol, ip: r.ip, port: r.port, host: r.host, sni: r.sni === 1, certificate: r.certificate };
}
