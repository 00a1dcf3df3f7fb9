import type { Site } from '../model/site.js';
import type { Binding } from '../model/binding.js';
import type { StoreEngine } from './engine.js';
import type { SqlValue } from './database.js';
import { containsPattern, keysetAfter, type StorePage } from './paging.js';

/** Sites (table `sites`) and their bindings (table `bindings`). */
export class SiteRepository {
  constructor(private readonly engine: StoreEngine) {}

  /** Inserts a site; call inside `change`. */
  insert(site: Site): void {
    this.engine.db.run('INSERT INTO sites (name, state, kind, target, https_redirect, hsts, log_format, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      site.name, site.state, site.content.kind, target(site), site.httpsRedirect ? 1 : 0, site.hsts ? 1 : 0, site.logFormat, site.created);
    this.engine.noteChange('site', site.name);
  }

  /** Writes a site's settings; call inside `change`. */
  update(site: Site): void {
    this.engine.db.run('UPDATE sites SET state = ?, kind = ?, target = ?, https_redirect = ?, hsts = ?, log_format = ? WHERE name = ?',
      site.state, site.content.kind, target(site), site.httpsRedirect ? 1 : 0, site.hsts ? 1 : 0, site.logFormat, site.name);
    this.engine.noteChange('site', site.name);
  }

  /** Deletes a site and, with it, its bindings; call inside `change`. */
  delete(name: string): void {
    this.engine.db.run('DELETE FROM bindings WHERE site = ?', name);
    this.engine.db.run('DELETE FROM sites WHERE name = ?', name);
    this.engine.noteChange('site', name);
  }

  get(name: string): Site | undefined {
    const row = this.engine.db.get<RawSite>('SELECT * FROM sites WHERE name = ?', name);
    return row && toSite(row);
  }

  list(): Site[] {
    return this.engine.db.all<RawSite>('SELECT * FROM sites ORDER BY name').map(toSite);
  }

  /** One page of `list` (by name): sites after `after`, those whose name or a binding's host contains `name` (any case). */
  page(filter: { name?: string | undefined }, limit: number, after?: string): StorePage<Site> {
    const where: string[] = [];
    const args: SqlValue[] = [];
    if (filter.name) {
      const like = containsPattern(filter.name);
      where.push("(lower(s.name) LIKE lower(?) ESCAPE '\\' OR s.name IN (SELECT site FROM bindings WHERE lower(host) LIKE lower(?) ESCAPE '\\'))");
      args.push(like, like);
    }
    const filtered = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = Number(this.engine.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM sites s ${filtered}`, ...args)!.n);
    if (after !== undefined) {
      where.push('s.name > ?');
      args.push(after);
    }
    const rows = this.engine.db.all<RawSite>(`SELECT s.* FROM sites s ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY s.name LIMIT ?`, ...args, limit + 1).map(toSite);
    return { rows: rows.slice(0, limit), total, more: rows.length > limit };
  }

  /**
   * One page of `bindings` (by site, protocol, port, ip, host): of one site or all, those whose host
   * or site contains `name` (any case), of one protocol, with or without SNI.
   */
  bindingPage(filter: { site?: string | undefined; name?: string | undefined; protocol?: string | undefined; sni?: boolean | undefined }, limit: number, after?: readonly SqlValue[]): StorePage<Binding> {
    const where: string[] = [];
    const args: SqlValue[] = [];
    if (filter.site !== undefined) {
      where.push('site = ?');
      args.push(filter.site);
    }
    if (filter.protocol !== undefined) {
      where.push('protocol = ?');
      args.push(filter.protocol);
    }
    if (filter.sni !== undefined) {
      where.push('sni = ?');
      args.push(filter.sni ? 1 : 0);
    }
    if (filter.name) {
      const like = containsPattern(filter.name);
      where.push("(lower(host) LIKE lower(?) ESCAPE '\\' OR lower(site) LIKE lower(?) ESCAPE '\\')");
      args.push(like, like);
    }
    const total = Number(this.engine.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM bindings ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`, ...args)!.n);
    if (after) {
      const keyset = keysetAfter(['site', 'protocol', 'port', 'ip', 'host'], after);
      where.push(keyset.sql);
      args.push(...keyset.args);
    }
    const rows = this.engine.db.all<RawBinding>(`SELECT * FROM bindings ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY site, protocol, port, ip, host LIMIT ?`, ...args, limit + 1).map(toBinding);
    return { rows: rows.slice(0, limit), total, more: rows.length > limit };
  }

  /** One binding by its address (protocol, ip, port, host), or undefined. */
  binding(key: BindingKey): Binding | undefined {
    const row = this.engine.db.get<RawBinding>('SELECT * FROM bindings WHERE protocol = ? AND ip = ? AND port = ? AND host = ?', key.protocol, key.ip, key.port, key.host);
    return row && toBinding(row);
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

  /** Every certificate a binding uses, once each. */
  certificatesInUse(): string[] {
    return this.engine.db.all<{ t: string }>('SELECT DISTINCT certificate AS t FROM bindings WHERE certificate IS NOT NULL').map((r) => r.t);
  }

  /** Certificates of the Personal store that bindings use (their contexts are built at start). */
  personalCertificatesInUse(): string[] {
    return this.engine.db.all<{ t: string }>(`SELECT DISTINCT b.certificate AS t FROM bindings b JOIN certificates c ON c.thumbprint = b.certificate WHERE c.store = 'personal'`).map((r) => r.t);
  }

  // What a change to one binding is planned against (config/binding-rules.ts `nearbyBindings`):
  // index look-ups on (port, host) and (port, protocol, sni), never a read of every binding.

  /** The bindings on `port` whose host name is one of `hosts`. */
  bindingsByHost(port: number, hosts: readonly string[]): Binding[] {
    if (hosts.length === 0) return [];
    return this.engine.db.all<RawBinding>(`SELECT * FROM bindings WHERE port = ? AND host IN (${hosts.map(() => '?').join(', ')})`, port, ...hosts).map(toBinding);
  }

  /** Every binding on `port`. */
  bindingsOnPort(port: number): Binding[] {
    return this.engine.db.all<RawBinding>('SELECT * FROM bindings WHERE port = ?', port).map(toBinding);
  }

  /** The https bindings on `port` without SNI (they share their address's certificate). */
  bindingsWithoutSni(port: number): Binding[] {
    return this.engine.db.all<RawBinding>("SELECT * FROM bindings WHERE port = ? AND protocol = 'https' AND sni = 0", port).map(toBinding);
  }

  /** The bindings on `port` whose host name is directly under `wildcard` (`*.example.com`: one label more). */
  bindingsUnder(port: number, wildcard: string): Binding[] {
    const suffix = wildcard.slice(1);
    // The index narrows to the port; the one label more is checked here.
    return this.engine.db.all<RawBinding>("SELECT * FROM bindings WHERE port = ? AND host LIKE ? ESCAPE '\\'", port, `%${suffix.replace(/[\\%_]/g, (c) => `\\${c}`)}`)
      .filter((r) => r.host.length > suffix.length && r.host.endsWith(suffix) && !r.host.slice(0, -suffix.length).includes('.'))
      .map(toBinding);
  }

  /** The addresses the bindings of started sites on `port` use, each once: whether anything listens there. */
  startedAddresses(port: number): string[] {
    return this.engine.db.all<{ ip: string }>("SELECT DISTINCT b.ip AS ip FROM bindings b JOIN sites s ON s.name = b.site WHERE b.port = ? AND s.state = 'started' ORDER BY b.ip", port).map((r) => r.ip);
  }

  /**
   * The host names bindings use, each once, in order: the first `limit` (all without one), and how many there are —
   * an index's distinct values, not every binding read (the console's Home at 100,000 names).
   */
  hostNames(limit?: number): { names: string[]; count: number } {
    const names = limit !== undefined && limit <= 0 ? []
      : this.engine.db.all<{ host: string }>(`SELECT DISTINCT host FROM bindings WHERE host <> '' ORDER BY host${limit === undefined ? '' : ' LIMIT ?'}`, ...(limit === undefined ? [] : [limit])).map((r) => r.host);
    const count = Number(this.engine.db.get<{ n: number }>("SELECT COUNT(DISTINCT host) AS n FROM bindings WHERE host <> ''")!.n);
    return { names, count };
  }

  /**
   * One binding on `port` of the other protocol than `protocol`, on `ip`, on `*`, or anywhere when
   * `ip` is `*` — the first in `bindings` order (a port speaks one protocol, so there is none but
   * when a change is refused for it).
   */
  bindingOfOtherProtocol(port: number, protocol: Binding['protocol'], ip: string): Binding | undefined {
    const other = protocol === 'https' ? 'http' : 'https';
    const row = ip === '*'
      ? this.engine.db.get<RawBinding>('SELECT * FROM bindings WHERE port = ? AND protocol = ? ORDER BY site, ip, host LIMIT 1', port, other)
      : this.engine.db.get<RawBinding>("SELECT * FROM bindings WHERE port = ? AND protocol = ? AND ip IN (?, '*') ORDER BY site, ip, host LIMIT 1", port, other, ip);
    return row && toBinding(row);
  }

  /** Makes the bindings table equal `next`, writing only the difference; call inside `change`. */
  replaceBindings(next: readonly Binding[]): void {
    this.writeBindings(this.bindings(), next);
  }

  /**
   * Writes the difference between `before` (bindings as they were read) and `after` (what they
   * become): a key only in `before` is deleted, one new or changed in `after` is written; bindings
   * in neither are not touched (a change to one of 100,000 bindings writes that one). Call inside
   * `change`.
   */
  writeBindings(before: readonly Binding[], after: readonly Binding[]): void {
    const key = bindingKey;
    const was = new Map(before.map((b) => [key(b), b]));
    const will = new Map(after.map((b) => [key(b), b]));
    const db = this.engine.db;
    let wrote = false;
    for (const [k, b] of was) {
      if (will.has(k)) continue;
      wrote = true;
      db.run('DELETE FROM bindings WHERE protocol = ? AND ip = ? AND port = ? AND host = ?', b.protocol, b.ip, b.port, b.host);
      this.engine.noteChange('binding', k);
    }
    for (const [k, b] of will) {
      const old = was.get(k);
      if (old && old.site === b.site && old.sni === b.sni && old.certificate === b.certificate) continue;
      db.run(`INSERT INTO bindings (protocol, ip, port, host, site, sni, certificate) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (protocol, ip, port, host) DO UPDATE SET site = excluded.site, sni = excluded.sni, certificate = excluded.certificate`,
      b.protocol, b.ip, b.port, b.host, b.site, b.sni ? 1 : 0, b.certificate);
      this.engine.noteChange('binding', k);
      wrote = true;
    }
    // Nothing differed (an edit to what already is): note one binding the change was about, so the
    // revision it makes is read as that one row — a change that notes nothing is read in full.
    const about = will.keys().next().value ?? was.keys().next().value;
    if (!wrote && about !== undefined) this.engine.noteChange('binding', about);
  }
}

/** What names a binding: its protocol, address, port and host. */
export type BindingKey = Pick<Binding, 'protocol' | 'ip' | 'port' | 'host'>;

/** A binding's key in the change log: protocol/ip/port/host (an IPv6 address has no slash). */
export function bindingKey(b: BindingKey): string {
  return `${b.protocol}/${b.ip}/${b.port}/${b.host}`;
}

/** The binding a change-log key names. */
export function parseBindingKey(key: string): BindingKey {
  const [protocol, ip, port, ...host] = key.split('/');
  return { protocol: protocol as Binding['protocol'], ip: ip!, port: Number(port), host: host.join('/') };
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
