/**
 * DNS-01 (RFC 8555 §8.4): the CA looks up a TXT record at `_acme-challenge.NAME.` whose value is the
 * base64url SHA-256 of the key authorization. A provider puts that record in the zone and takes it
 * away again; `waitForPropagation` asks the zone's authoritative servers until they all serve it.
 */
import { createHash } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { fail } from '../../model/gatehouse-error.js';
import { describeServer, encodeQuery, exchange, readAnswer, type Nameserver } from './wire.js';

export type { Nameserver } from './wire.js';

export interface Dns01Provider {
  /** Adds the TXT record `value` at `fqdn` (`_acme-challenge.NAME.`), beside any other values there. */
  present(fqdn: string, value: string): Promise<void>;
  /** Removes that one TXT value again (other values at the name stay). */
  cleanup(fqdn: string, value: string): Promise<void>;
  /** The servers that answer for the record after `present`, when the provider knows them (RFC 2136: its server). */
  readonly authoritative?: Nameserver[];
}

/** The TXT value of a DNS-01 challenge: base64url (no padding) of the SHA-256 of the key authorization. */
export function dns01Value(keyAuthorization: string): string {
  return createHash('sha256').update(keyAuthorization, 'utf8').digest('base64url');
}

/** `_acme-challenge.NAME.` for an identifier; a wildcard's challenge is at its base name (RFC 8555 §8.4). */
export function dns01Name(identifier: string): string {
  return `_acme-challenge.${identifier.replace(/^\*\./, '').replace(/\.$/, '').toLowerCase()}.`;
}

export interface PropagationOptions {
  nameservers: Nameserver[];
  timeoutMs: number;
  /** Pause between rounds of queries. */
  intervalMs?: number;
  /** How long one query may take. */
  queryTimeoutMs?: number;
}

/** Whether `server` serves the TXT `value` at `fqdn` now: true, or what it answered instead. */
async function serves(server: Nameserver, fqdn: string, value: string, queryTimeoutMs: number): Promise<true | string> {
  try {
    const { message } = encodeQuery(fqdn, 'TXT');
    const answer = readAnswer(await exchange(server, message, { timeoutMs: queryTimeoutMs }), server);
    if (answer.rcode !== 0) return `answered ${answer.rcode === 3 ? 'NXDOMAIN' : `RCODE ${answer.rcode}`}`;
    const name = fqdn.toLowerCase().replace(/\.$/, '');
    const values = answer.txt.filter((t) => t.name === name).map((t) => t.strings.join(''));
    if (values.includes(value)) return true;
    return values.length === 0 ? 'answered without a TXT record there' : `answered other TXT values (${values.length})`;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * Queries every name server (without recursion) until each serves the TXT value, or the time is up
 * (GH_DNS_PROPAGATION_TIMEOUT, saying what each server last answered).
 */
export async function waitForPropagation(fqdn: string, value: string, opts: PropagationOptions): Promise<void> {
  if (opts.nameservers.length === 0) throw fail('GH_DNS_PROPAGATION_TIMEOUT', `No authoritative name server was given to check ${fqdn} on.`);
  const deadline = Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 1000;
  const queryTimeout = opts.queryTimeoutMs ?? 2000;
  const pending = new Map(opts.nameservers.map((s) => [describeServer(s), s]));
  const last = new Map<string, string>();
  for (;;) {
    for (const [label, server] of pending) {
      const left = Math.max(100, Math.min(queryTimeout, deadline - Date.now()));
      const r = await serves(server, fqdn, value, left);
      if (r === true) pending.delete(label);
      else last.set(label, r);
    }
    if (pending.size === 0) return;
    if (Date.now() + interval > deadline) break;
    await new Promise((r) => setTimeout(r, interval));
  }
  const why = [...pending.keys()].map((l) => `${l}: ${last.get(l) ?? 'not asked'}`).join('; ');
  throw fail('GH_DNS_PROPAGATION_TIMEOUT', `The TXT record ${fqdn} was not visible on every authoritative name server within ${opts.timeoutMs / 1000} s (${why}). Check that the update reached the zone's primary and that its secondaries transfer it (NOTIFY and zone transfers), or allow more time.`);
}

/**
 * The authoritative servers of the zone that holds `fqdn`: the closest enclosing name with NS records
 * (through the system's resolver, or `resolvers`), each name server's addresses, on `port` (53).
 * For providers that do not know the zone's servers themselves (a hook command).
 */
export async function authoritativeServers(fqdn: string, opts: { resolvers?: string[]; port?: number; timeoutMs?: number } = {}): Promise<Nameserver[]> {
  const resolver = new Resolver({ timeout: opts.timeoutMs ?? 3000, tries: 2 });
  if (opts.resolvers) resolver.setServers(opts.resolvers);
  const notFound = (e: unknown) => ['ENODATA', 'ENOTFOUND'].includes((e as { code?: string }).code ?? '');
  const unreachable = (name: string, e: unknown) => fail('GH_DNS_SERVER_UNREACHABLE', `The name servers of ${name} could not be looked up (${(e as Error).message}). Check this machine's DNS resolver.`);
  let name = fqdn.toLowerCase().replace(/\.$/, '');
  for (;;) {
    let ns: string[] = [];
    try {
      ns = await resolver.resolveNs(name);
    } catch (e) {
      if (!notFound(e)) throw unreachable(name, e);
    }
    if (ns.length > 0) {
      const servers: Nameserver[] = [];
      for (const host of ns) {
        for (const lookup of [resolver.resolve4.bind(resolver), resolver.resolve6.bind(resolver)]) {
          try {
            for (const address of await lookup(host)) servers.push({ host: address, port: opts.port ?? 53 });
          } catch (e) {
            if (!notFound(e)) throw unreachable(host, e);
          }
        }
      }
      if (servers.length === 0) throw fail('GH_DNS_SERVER_UNREACHABLE', `The name servers of ${name} (${ns.join(', ')}) have no addresses. Check the zone's NS records.`);
      return servers;
    }
    const dot = name.indexOf('.');
    if (dot < 0) throw fail('GH_DNS_SERVER_UNREACHABLE', `No zone holding ${fqdn} has name servers that this machine's resolver can find.`);
    name = name.slice(dot + 1);
  }
}
