import { hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import type { ServingConfig } from '../config/serving-config.js';
import type { GatehouseStore } from '../store/gatehouse-store.js';
import type { RevisionEvents } from '../store/revision-listener.js';

export type { RevisionEvents };
import type { Binding } from '../model/binding.js';
import type { Site } from '../model/site.js';
import { bindingKey, parseBindingKey } from '../store/sites.js';
import { isRootDer } from '../pki/certificate-chain.js';
import { type BindingNeighbours, nearbyBindings, probeNeighbourhood, siteNeighbourhood } from '../config/binding-rules.js';
import { privateKeyFromPkcs8 } from '../pki/key-pair.js';

/** A certificate's key and the certificates a handshake sends (leaf first). */
export interface KeyMaterial {
  key: KeyObject;
  certificates: Buffer[];
}

/**
 * What a TLS context is built from: the key as stored (PKCS#8 DER, unsealed but not parsed — the
 * context parses it once, as PEM armour around the same bytes) and what a handshake sends.
 */
export interface ContextMaterial {
  pkcs8: Buffer;
  certificates: Buffer[];
}

/** A certificate the mail plane may select by SNI: its names only, no key. */
export interface MailCandidate {
  thumbprint: string;
  friendlyName: string;
  sans: string[];
  notAfter: string;
  hasPrivateKey: boolean;
}

/** What the store holds, counted for `serve`'s report. */
export interface StoreCounts {
  revision: number;
  certificates: { webhosting: number; personal: number; expired: number; expiring: number };
  pendingRequests: number;
  /** The internal CA's certificate, when there is one. */
  caDer: Buffer | null;
}

/** Everything the serving plane needs, read in one transaction so it is one revision's view. */
export function readServingConfig(store: GatehouseStore): ServingConfig {
  return store.read(() => ({
    ...readSmallTables(store),
    sites: store.sites.list(),
    bindings: store.sites.bindings(),
    preload: store.sites.personalCertificatesInUse(),
  }));
}

/** The store's index look-ups a change is planned against (config/binding-rules.ts). */
function neighbours(store: GatehouseStore): BindingNeighbours {
  return {
    byHost: (port, hosts) => store.sites.bindingsByHost(port, hosts),
    onPort: (port) => store.sites.bindingsOnPort(port),
    withoutSni: (port) => store.sites.bindingsWithoutSni(port),
    under: (port, wildcard) => store.sites.bindingsUnder(port, wildcard),
    otherProtocol: (port, protocol, ip) => store.sites.bindingOfOtherProtocol(port, protocol, ip),
  };
}

/** `bindings`, their sites and `also`, and the small tables: a configuration of the part a change or question can meet. */
function partOf(store: GatehouseStore, bindings: Binding[], also: readonly string[]): ServingConfig {
  const sites = [...new Set([...also, ...bindings.map((x) => x.site)])].flatMap((name) => store.sites.get(name) ?? []);
  return { ...readSmallTables(store), sites, bindings, preload: [] };
}

/**
 * What a change to binding `b` is planned against (config/binding-rules.ts `nearbyBindings`): the
 * bindings it can meet, their sites and `b`'s, and the small tables — not the whole configuration.
 */
export function readBindingNeighbourhood(store: GatehouseStore, b: Pick<Binding, 'site' | 'protocol' | 'ip' | 'port' | 'host' | 'sni'>): ServingConfig {
  return store.read(() => partOf(store, nearbyBindings(b, neighbours(store)), [b.site]));
}

/**
 * What removing, starting or stopping site `site` is planned against (`siteNeighbourhood`): its
 * bindings and what each can meet, their sites, and the small tables; with the addresses the live
 * bindings (the started sites' and this one's) of each of its ports use (reachedSites asks the clients of each).
 */
export function readSiteNeighbourhood(store: GatehouseStore, site: string): { config: ServingConfig; addresses: Map<number, string[]> } {
  return store.read(() => {
    const own = store.sites.bindings(site);
    const addresses = new Map<number, string[]>();
    for (const b of own) addresses.set(b.port, [...new Set([...(addresses.get(b.port) ?? store.sites.startedAddresses(b.port)), b.ip])]);
    return { config: partOf(store, siteNeighbourhood(own, neighbours(store)), [site]), addresses };
  });
}

/**
 * What `binding explain` answers from (`probeNeighbourhood`): the bindings of `port` that decide a
 * client sending `names` (SNI, Host), their sites, the small tables; and the addresses that the
 * started sites' bindings of the port use (`*` first when one does), to say whether anything listens.
 */
export function readProbeNeighbourhood(store: GatehouseStore, port: number, names: ReadonlyArray<string | undefined>): { config: ServingConfig; addresses: string[] } {
  return store.read(() => ({ config: partOf(store, probeNeighbourhood(port, names, neighbours(store)), []), addresses: store.sites.startedAddresses(port) }));
}

/** How a revision was read: in full, or only the rows the change log names (and how many rows that was). */
export interface RevisionRead {
  full: boolean;
  /** Site and binding rows read: in full, all of them; else only the changed ones. */
  rows: number;
  /** Why it was read in full, when it was. */
  why?: 'start' | 'log trimmed' | 'bulk or other change';
}

/**
 * Follows the store's revisions for one serving process: the first read is in full; after that
 * only the sites and bindings the change log names since the revision it serves are read again
 * (and the few small tables every revision re-reads: services, mail listeners, ACME challenges), so
 * a change to one of 100,000 bindings does not read the other 99,999. A change the log does not
 * describe (a bulk change, a replaced chain, anything else) or a log trimmed past the revision
 * served is read in full.
 */
export class ServingFollower {
  readonly #sites = new Map<string, Site>();
  readonly #bindings = new Map<string, Binding>();
  /** Binding keys by site (a site read again takes its bindings with it). */
  readonly #bySite = new Map<string, Set<string>>();
  #revision: number | undefined;
  /** The last revision read in full, until the first change read by the log indexes it (start is not kept waiting for that). */
  #unindexed: ServingConfig | undefined;

  constructor(private readonly store: GatehouseStore) {}

  /** The configuration of the current revision, and how it was read. */
  next(): { config: ServingConfig; read: RevisionRead } {
    // A full read of 100,000 names may take seconds on a loaded PostgreSQL: more than a serving process's usual deadline.
    return this.store.patiently(() => this.store.read(() => {
      const since = this.#revision;
      const changes = since === undefined ? undefined : this.store.changesSince(since);
      if (since === undefined || changes === undefined || changes.some((c) => c.kind === 'all')) {
        const config = readServingConfig(this.store);
        this.#unindexed = config;
        this.#revision = config.revision;
        return { config, read: { full: true, rows: config.sites.length + config.bindings.length, why: since === undefined ? 'start' : changes === undefined ? 'log trimmed' : 'bulk or other change' } };
      }
      if (this.#unindexed) this.#reset(this.#unindexed);
      let rows = 0;
      const preload = new Set<string>();
      for (const name of new Set(changes.filter((c) => c.kind === 'site').map((c) => c.key))) {
        for (const key of this.#bySite.get(name) ?? []) this.#drop(key);
        this.#sites.delete(name);
        const site = this.store.sites.get(name);
        rows++;
        if (!site) continue;
        this.#sites.set(name, site);
        for (const b of this.store.sites.bindings(name)) {
          rows++;
          this.#add(b);
        }
      }
      for (const key of new Set(changes.filter((c) => c.kind === 'binding').map((c) => c.key))) {
        this.#drop(key);
        const b = this.store.sites.binding(parseBindingKey(key));
        rows++;
        if (!b) continue;
        this.#add(b);
        if (b.certificate && this.store.certificates.storeOf(b.certificate) === 'personal') preload.add(b.certificate);
      }
      const config = { ...readSmallTables(this.store), sites: [...this.#sites.values()], bindings: [...this.#bindings.values()], preload: [...preload] };
      this.#revision = config.revision;
      return { config, read: { full: false, rows } };
    }));
  }

  #reset(config: ServingConfig): void {
    this.#unindexed = undefined;
    this.#sites.clear();
    this.#bindings.clear();
    this.#bySite.clear();
    for (const s of config.sites) this.#sites.set(s.name, s);
    for (const b of config.bindings) this.#add(b);
  }

  #add(b: Binding): void {
    const key = bindingKey(b);
    this.#drop(key);
    this.#bindings.set(key, b);
    let keys = this.#bySite.get(b.site);
    if (!keys) this.#bySite.set(b.site, (keys = new Set()));
    keys.add(key);
  }

  #drop(key: string): void {
    const old = this.#bindings.get(key);
    if (!old) return;
    this.#bindings.delete(key);
    this.#bySite.get(old.site)?.delete(key);
  }
}

/** Everything of a revision but its sites, bindings and preload: small tables, read again every time. */
function readSmallTables(store: GatehouseStore): Omit<ServingConfig, 'sites' | 'bindings' | 'preload'> {
  return {
    revision: store.revision(),
    httpsDefault: store.services.certificateOf('https'),
    services: store.services.assignments(),
    mailListeners: store.services.listeners(),
    chains: store.certificates.chainsMarker(),
    acmeChallenges: store.acme.challenges(store.engine.clock().toISOString())
      .map((c) => ({ id: c.id, type: c.type, name: c.name, token: c.token, keyAuthorization: c.keyAuthorization })),
  };
}

/**
 * The serving plane's view of the store (`serve/` and `mail/` use this, never the store): the
 * revision to follow, the configuration of a revision, and the key material of one certificate.
 */
export class ServingReadModel {
  #ticketSeed: Buffer = randomBytes(32);
  readonly #roots = new Map<string, boolean>();

  constructor(private readonly store: GatehouseStore, private readonly clock: () => Date) {}

  revision(): number {
    return this.store.revision();
  }

  /** The revision, as the serving loop polls it: giving up quickly on a PostgreSQL that does not answer. */
  pollRevision(): number {
    return this.store.briefly(() => this.store.revision());
  }

  /**
   * This process serves: on PostgreSQL, no store call may hold its event loop long, and a store that
   * did not answer fails at once until it is found again in the background (GatehouseStore.guardServing).
   */
  guard(): void {
    this.store.guardServing();
  }

  config(): ServingConfig {
    return readServingConfig(this.store);
  }

  /**
   * Push (PostgreSQL): hears each revision a change commits, on a connection of its own that
   * reconnects by itself (then `listening(true)`: read the revision to catch up); undefined on
   * SQLite, whose revision is polled.
   */
  listen(events: RevisionEvents): Promise<{ readonly listening: boolean; renew(): void; close(): Promise<void> } | undefined> {
    return this.store.listenRevisions(events);
  }

  /** A follower of the revisions for one serving process: in full at first, then only what changed. */
  follower(): ServingFollower {
    return new ServingFollower(this.store);
  }

  /**
   * The key and what a handshake sends — the certificate and its intermediates, never a root (a
   * client trusts the roots it has) — for a TLS context; undefined once it is gone or has no key.
   */
  keyMaterial(thumbprint: string): KeyMaterial | undefined {
    const m = this.contextMaterial(thumbprint);
    return m && { key: privateKeyFromPkcs8(m.pkcs8), certificates: m.certificates };
  }

  /**
   * `keyMaterial` as a TLS context is built from it: two row reads and the key unsealed, with no key
   * parsing and no export (the serving plane builds one context per certificate in use, and warms
   * every bound one after each change).
   */
  contextMaterial(thumbprint: string): ContextMaterial | undefined {
    const row = this.store.certificates.served(thumbprint);
    if (!row || row.keyId === null) return undefined;
    const intermediates = row.chain.filter((b64) => !this.#isRoot(b64)).map((b64) => Buffer.from(b64, 'base64'));
    return { pkcs8: this.store.keys.pkcs8(row.keyId), certificates: [row.der, ...intermediates] };
  }

  /** Whether a chain certificate (base64 DER) is a root, remembered: the same few CAs end every chain, and judging one checks a signature. */
  #isRoot(b64: string): boolean {
    let root = this.#roots.get(b64);
    if (root === undefined) {
      if (this.#roots.size >= 1000) this.#roots.clear();
      root = isRootDer(Buffer.from(b64, 'base64'));
      this.#roots.set(b64, root);
    }
    return root;
  }

  /** A pending TLS-ALPN-01 challenge's self-signed certificate and key; undefined once it is gone. */
  challengeMaterial(id: number): KeyMaterial | undefined {
    const row = this.store.acme.challenges(this.clock().toISOString()).find((c) => c.id === id);
    if (!row?.certDer || row.keyId === null) return undefined;
    return { key: this.store.keys.load(row.keyId), certificates: [row.certDer] };
  }

  /**
   * The secret the TLS session ticket keys are derived from: random per process unless `serve`
   * hands every process of one run the same one (the supervisor makes it at start and gives it to
   * its workers), so a ticket is good on every worker of the run and on none after a restart —
   * recorded TLS 1.2 sessions cannot be opened later with anything stored on disk.
   */
  useTicketSeed(seed: Buffer): void {
    this.#ticketSeed = seed;
  }

  /** The 48 bytes of TLS session ticket keys for one time window (`window` counts the windows since 1970). */
  ticketKeys(window: number): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#ticketSeed, Buffer.from('gatehouse tls session tickets v1'), Buffer.from(`window ${window}`, 'utf8'), 48));
  }

  /** Every certificate, as a candidate for the mail plane's SNI selection. */
  mailCandidates(): MailCandidate[] {
    return this.store.certificates.list().map((c) => ({
      thumbprint: c.thumbprint, friendlyName: c.friendlyName, sans: c.sans, notAfter: c.notAfter, hasPrivateKey: c.keyId !== null,
    }));
  }

  /** Counts for the report `serve` prints at start and after each change. */
  counts(): StoreCounts {
    const now = this.clock();
    return this.store.read(() => ({
      revision: this.store.revision(),
      certificates: this.store.certificates.counts(new Date(now.getTime() + 30 * 86_400_000).toISOString(), now.toISOString()),
      pendingRequests: this.store.requests.count(),
      caDer: this.store.ca.get()?.der ?? null,
    }));
  }
}
