/**
 * The RFC 2136 DNS-01 provider: dynamic updates of the zone's primary server, signed with a TSIG key
 * (RFC 8945). `present` adds the one TXT value, `cleanup` deletes that value only (class NONE, RFC 2136
 * §2.5.4), so two challenges at the same name (a name and its wildcard) do not remove each other's.
 * The server's refusals become GH_DNS_UPDATE_REFUSED with what it said and what to check.
 */
import { fail } from '../../model/gatehouse-error.js';
import type { Dns01Provider } from './provider.js';
import {
  describeServer, encodeQuery, encodeUpdate, exchange, newId, rcodeName, readAnswer, signTsig, verifyTsig,
  type Nameserver, type ReadAnswer, type TsigKey, type WireRecord,
} from './wire.js';

export interface Rfc2136Options {
  server: Nameserver;
  /** The zone to update (the SOA owner); found by asking the server when not given. */
  zone?: string;
  key: TsigKey;
  /** TTL of the challenge record, seconds. */
  ttl?: number;
  /** How long one exchange with the server may take. */
  timeoutMs?: number;
}

function bare(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

export class Rfc2136Provider implements Dns01Provider {
  readonly authoritative: Nameserver[];
  private zone: string | undefined;
  constructor(private readonly opts: Rfc2136Options) {
    this.authoritative = [opts.server];
    this.zone = opts.zone === undefined ? undefined : bare(opts.zone);
  }

  async present(fqdn: string, value: string): Promise<void> {
    await this.update(fqdn, 'add', { name: bare(fqdn), type: 'TXT', class: 'IN', ttl: this.opts.ttl ?? 60, data: [value] });
  }

  async cleanup(fqdn: string, value: string): Promise<void> {
    await this.update(fqdn, 'delete', { name: bare(fqdn), type: 'TXT', class: 'NONE', ttl: 0, data: [value] });
  }

  private get timeoutMs(): number {
    return this.opts.timeoutMs ?? 5000;
  }

  /** The zone that holds `fqdn`: the configured one (checked), or the SOA the server answers with. */
  private async zoneOf(fqdn: string): Promise<string> {
    const name = bare(fqdn);
    if (this.zone !== undefined) {
      if (name !== this.zone && !name.endsWith(`.${this.zone}`)) {
        throw fail('GH_DNS_PROVIDER_INVALID', `The challenge name ${fqdn} is not in the zone ${this.zone} of the DNS provider; give the zone that holds it in the provider's zone setting.`);
      }
      return this.zone;
    }
    const { message } = encodeQuery(name, 'SOA');
    const answer = readAnswer(await exchange(this.opts.server, message, { timeoutMs: this.timeoutMs }), this.opts.server);
    const zone = answer.soa.map(bare).filter((z) => name === z || name.endsWith(`.${z}`)).sort((a, b) => b.length - a.length)[0];
    if (zone === undefined) {
      throw fail('GH_DNS_UPDATE_REFUSED', `The DNS server ${describeServer(this.opts.server)} is not authoritative for any zone that holds ${fqdn} (it answered ${rcodeName(answer.rcode)} without an SOA record); give the zone in the provider's zone setting, or the zone's primary server.`);
    }
    this.zone = zone;
    return zone;
  }

  private async update(fqdn: string, what: 'add' | 'delete', record: WireRecord): Promise<void> {
    const zone = await this.zoneOf(fqdn);
    const { signed, mac } = signTsig(encodeUpdate(newId(), zone, [record]), this.opts.key);
    const raw = await exchange(this.opts.server, signed, { timeoutMs: this.timeoutMs });
    const answer = readAnswer(raw, this.opts.server);
    if (answer.id !== signed.readUInt16BE(0) || answer.opcode !== 5) throw fail('GH_DNS_SERVER_UNREACHABLE', `The DNS server ${describeServer(this.opts.server)} answered another message than the update of ${fqdn}.`);
    const tsigError = answer.tsig?.error ?? 0;
    if (answer.rcode !== 0 || tsigError !== 0) throw this.refused(fqdn, zone, what, answer);
    const bad = verifyTsig(raw, answer, this.opts.key, mac);
    if (bad) {
      throw fail('GH_DNS_SERVER_UNREACHABLE', `The DNS server ${describeServer(this.opts.server)} accepted the update of ${fqdn}, but ${bad}, so the answer cannot be trusted. Check that the TSIG key ${this.opts.key.name} is the server's, and query the zone to see whether the record changed.`);
    }
  }

  private refused(fqdn: string, zone: string, what: 'add' | 'delete', answer: ReadAnswer): Error {
    const key = this.opts.key;
    const server = describeServer(this.opts.server);
    const tsigError = answer.tsig?.error ?? 0;
    const said = tsigError !== 0 ? `${rcodeName(answer.rcode)}/${rcodeName(tsigError)}` : rcodeName(answer.rcode);
    let why: string;
    if (tsigError === 16) why = `the TSIG signature does not verify: the secret of key ${key.name} is not the server's. Check the key file against the server's key ${key.name} (${key.algorithm})`;
    else if (tsigError === 17) why = `the server does not accept the key ${key.name} (${key.algorithm}) for this update: it does not know that key and algorithm, or its update policy does not let that key change ${fqdn} (Knot says BADKEY for both). Check the key's name and algorithm and the zone's update ACL`;
    else if (tsigError === 18) why = `the TSIG time is more than the allowed fudge away from the server's clock. Check the clocks of this machine and the DNS server (NTP)`;
    else if (answer.rcode === 5) why = `the server's policy does not let key ${key.name} update ${fqdn} in zone ${zone}. Allow the key to update TXT records of _acme-challenge names (update-policy in BIND, an update ACL in Knot)`;
    else if (answer.rcode === 9) why = `the TSIG key is not allowed to update this zone, or the server is not authoritative for ${zone}. Check that ${server} is the primary of ${zone} and that key ${key.name} is allowed to update it`;
    else if (answer.rcode === 10) why = `${fqdn} is not inside zone ${zone}. Give the zone that holds it`;
    else if (answer.rcode === 4) why = 'the server does not do dynamic updates. Enable them for the zone, or use a hook command provider';
    else why = `the server could not apply it. Check the DNS server's log`;
    return fail('GH_DNS_UPDATE_REFUSED', `The DNS server ${server} refused the ${what === 'add' ? 'addition' : 'deletion'} of the TXT record ${bare(fqdn)} in zone ${zone}: ${said} (${why}). The zone was not changed.`);
  }
}
