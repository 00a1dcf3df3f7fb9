import { createHash } from 'node:crypto';
import type { Certificate } from '../model/certificate.js';
import { fail, GatehouseError } from '../model/gatehouse-error.js';
import { act, opt } from '../model/wording.js';
import { generateKeyPair, spkiDer } from '../pki/key-pair.js';
import { AcmeSession, caSaid, fetchDirectory, registerAccount, resolveDirectory, type AcmeEndpoint, type Authorization } from '../acme/acme-ca.js';
import { ariCertId, fetchRenewalInfo, renewalTimeByLifetime, renewalTimeInWindow } from '../acme/ari.js';
import { tlsAlpnCertificate } from '../acme/tls-alpn-certificate.js';
import { authoritativeServers, dns01Name, waitForPropagation, type Dns01Provider } from '../acme/dns/provider.js';
import { absoluteDnsProviderSpec, createDnsProvider, formatDnsProviderSpec, parseDnsProviderSpec, type DnsProviderSpec } from '../acme/dns/spec.js';
import type { AcmeAccountRow, CertificateSourceRow, GatehouseStore } from '../store/gatehouse-store.js';
import type { InstallOptions } from './certificate-manager.js';
import type { RequestManager } from './request-manager.js';
import type { ServingProcesses } from './serving-processes.js';

/** An ACME account as shown: never its key. */
export interface AcmeAccount {
  name: string;
  directory: string;
  email: string;
  accountUrl: string;
  directoryCa: boolean;
  eabKid: string | null;
  /** The default DNS-01 provider (a spec naming a TSIG key file or a hook command, never a secret); null: none. */
  dnsProvider: string | null;
  status: string;
  created: string;
}

export interface NewAcmeAccount {
  name: string;
  directory: string;
  email: string;
  agreeTos: boolean;
  eabKid?: string | undefined;
  /** The EAB HMAC key as the CA gives it (base64url); used once, never stored. */
  eabHmacKey?: string | undefined;
  /** PEM of the CA that issued the directory's HTTPS certificate (a private ACME server). */
  directoryCa?: string | undefined;
  /** The default DNS-01 provider spec for issuances through this account. */
  dns?: string | undefined;
}

export type ChallengeType = 'http-01' | 'tls-alpn-01' | 'dns-01';

/** What an issuance takes beyond where the certificate is installed. */
export interface IssueOptions extends InstallOptions {
  challenge?: string | undefined;
  /** The DNS-01 provider spec; default: the account's. */
  dns?: string | undefined;
  progress?: ((line: string) => void) | undefined;
  /** The ARI identifier of the certificate this order renews (RFC 9773 `replaces`; sent only to a CA with ARI). */
  replaces?: string | undefined;
  /** How long DNS-01 waits for the zone's authoritative servers to serve the TXT records (default 120 s). */
  propagationTimeoutMs?: number | undefined;
}

/** The challenge an issuance uses and, for dns-01, its provider: decided before anything is ordered. */
export interface IssuancePlan {
  challenge: ChallengeType;
  dns: DnsProviderSpec | undefined;
}
export const CHALLENGE_TYPES: readonly string[] = ['http-01', 'tls-alpn-01', 'dns-01'];

/** At most this many orders for one set of names in 24 hours. */
export const ORDERS_PER_DAY = 5;
/** How long a published challenge is answered at most (a crashed issuance's challenges expire). */
const CHALLENGE_TTL_MS = 60 * 60_000;
/** How long DNS-01 waits, by default, until every authoritative server serves the challenge records. */
const PROPAGATION_TIMEOUT_MS = 120_000;

/** After an ARI answer that could not be read, it is asked again this long after (doubling per failure in a row, at most a day). */
const ARI_FAILURE_RETRY_MS = 15 * 60_000;
/** A CA without ARI is asked again this long after (it may add it). */
const NO_ARI_RECHECK_MS = 86_400_000;

/** When a certificate from ACME renews, and why: the CA's ARI window, or the lifetime rule (a third left, half under 10 days). */
export interface RenewalTime {
  at: string;
  why: 'ari window' | 'lifetime rule';
  /** The CA's window when it gave one. */
  window: { start: string; end: string } | null;
  /** Why the lifetime rule is used although the CA has ARI (it could not be read). */
  ariError: string | null;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const EMAIL = /^[^\s@<>()",;:]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;

/**
 * ACME (RFC 8555): accounts (their keys sealed like every private key) and issuance for a pending
 * request — order, publish the challenges in the store so every serving process answers them,
 * wait until they all serve that revision, ask the CA to validate, finalize with the request's own
 * CSR, and complete the request like any CA's answer.
 */
export class AcmeManager {
  constructor(
    private readonly store: GatehouseStore,
    private readonly requests: RequestManager,
    private readonly processes: ServingProcesses,
    private readonly clock: () => Date,
    /** Relative paths in a DNS provider spec (its key file, a hook command) are read from here. */
    private readonly cwd: string = process.cwd(),
    /** How many uses (bindings, service assignments) a certificate has. */
    private readonly usesOf: (thumbprint: string) => number = () => 0,
  ) {}

  list(): AcmeAccount[] {
    return this.store.acme.accounts().map(view);
  }

  show(name: string): AcmeAccount {
    return view(this.get(name));
  }

  async add(input: NewAcmeAccount): Promise<AcmeAccount> {
    if (!NAME.test(input.name)) throw fail('GH_ACME_ACCOUNT_NAME_INVALID', `"${input.name}" is not a valid ACME account name: 1 to 64 letters, digits, dots, underscores and hyphens, starting with a letter or digit.`);
    if (!EMAIL.test(input.email)) throw fail('GH_ACME_EMAIL_INVALID', `"${input.email}" is not an e-mail address; the CA writes to it about expiring certificates and account problems.`);
    const directory = resolveDirectory(input.directory);
    if (!input.agreeTos) throw fail('GH_ACME_TOS_REQUIRED', `Creating an account with ${directory} means agreeing to the CA's terms of service; read them, then add ${opt('agree-tos')}.`);
    if (this.store.acme.account(input.name)) throw fail('GH_ACME_ACCOUNT_EXISTS', `An ACME account named "${input.name}" already exists; ${act('acme-account-list')} shows the accounts.`);
    const eab = eabOf(input);
    const dnsProvider = input.dns === undefined ? null : formatDnsProviderSpec(absoluteDnsProviderSpec(input.dns, this.cwd));
    const directoryCa = input.directoryCa === undefined ? undefined : caPem(input.directoryCa);
    const endpoint: AcmeEndpoint = { directory, directoryCa };
    const meta = (await fetchDirectory(endpoint)).meta ?? {};
    if (meta.externalAccountRequired && !eab) {
      throw fail('GH_ACME_EAB_REQUIRED', `${directory} requires External Account Binding: give the key id and the HMAC key from the CA's account page with ${opt('eab-kid')} and ${opt('eab-hmac-key-file')}.`);
    }
    const keys = await generateKeyPair('ecdsa-p256');
    const accountKeyPem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const accountUrl = await registerAccount(endpoint, { accountKeyPem, email: input.email, eab });
    const row: AcmeAccountRow = {
      name: input.name, directory, email: input.email, accountUrl, keyId: 0, directoryCa: directoryCa ?? null,
      eabKid: eab?.kid ?? null, dnsProvider, status: 'valid', created: this.clock().toISOString(),
    };
    this.store.change(
      () => ({ action: 'acme.account.add', target: `acme account ${input.name}`, after: { directory, email: input.email, accountUrl, eabKid: row.eabKid, dnsProvider, directoryCa: directoryCa !== undefined, termsOfService: meta.termsOfService ?? null } }),
      () => {
        row.keyId = this.store.keys.insert({ key: keys.privateKey, keyType: 'ecdsa-p256', spkiSha256: createHash('sha256').update(spkiDer(keys.publicKey)).digest('hex'), exportable: false });
        this.store.acme.insertAccount(row);
      },
    );
    return this.show(input.name);
  }

  /**
   * What a directory says about itself before an account is made with it (the console's Add…
   * links the terms of service and asks for EAB when the CA requires it).
   */
  async directoryInfo(input: { directory: string; directoryCa?: string | undefined }): Promise<{ directory: string; termsOfService: string | null; externalAccountRequired: boolean; website: string | null }> {
    const directory = resolveDirectory(input.directory);
    const directoryCa = input.directoryCa === undefined ? undefined : caPem(input.directoryCa);
    const meta = (await fetchDirectory({ directory, directoryCa })).meta ?? {};
    return { directory, termsOfService: meta.termsOfService ?? null, externalAccountRequired: meta.externalAccountRequired === true, website: meta.website ?? null };
  }

  /**
   * Sets (or with null clears) the account's default DNS-01 provider. The spec keeps the TSIG key
   * file's path, never the secret: the file is read at each issuance.
   */
  setDnsProvider(name: string, spec: string | null): AcmeAccount {
    const row = this.get(name);
    const dnsProvider = spec === null ? null : formatDnsProviderSpec(absoluteDnsProviderSpec(spec, this.cwd));
    this.store.change(
      () => ({ action: 'acme.account.set', target: `acme account ${name}`, before: { dnsProvider: row.dnsProvider }, after: { dnsProvider } }),
      () => this.store.acme.setDnsProvider(name, dnsProvider),
    );
    return this.show(name);
  }

  /**
   * Removes the account and destroys its key. Refused (GH_ACME_ACCOUNT_IN_USE) while certificates
   * in use came from it — they would stop renewing by themselves; with `force` it is removed anyway
   * and those certificates become manual (renewed with Renew…).
   */
  remove(name: string, options: { force?: boolean } = {}): { name: string; removed: true; nowManual: string[] } {
    const row = this.get(name);
    const from = this.store.acme.fromSource(`acme:${name}`);
    const inUse = from.filter((t) => this.usesOf(t) > 0);
    if (inUse.length > 0 && !options.force) {
      const names = inUse.map((t) => `"${this.store.certificates.get(t)?.friendlyName ?? t}"`);
      throw fail('GH_ACME_ACCOUNT_IN_USE', `${inUse.length} certificate(s) in use came from ACME account "${name}" and renew through it: ${names.join(', ')}. Removing the account stops their automatic renewal; move their uses to other certificates first, or add ${opt('force')} to remove it anyway (they become manual certificates).`);
    }
    this.store.change(
      () => ({ action: 'acme.account.remove', target: `acme account ${name}`, before: { directory: row.directory, email: row.email, accountUrl: row.accountUrl, certificates: from } }),
      () => {
        this.store.acme.deleteSources(`acme:${name}`);
        this.store.acme.deleteAccount(name);
        this.store.keys.deleteIfUnused(row.keyId);
      },
    );
    return { name, removed: true, nowManual: from };
  }

  /** Where a certificate came from when ACME issued it (`acme:ACCOUNT`, its challenge, its ARI identifier); undefined otherwise. */
  sourceOf(thumbprint: string): CertificateSourceRow | undefined {
    return this.store.acme.source(thumbprint);
  }

  /** Every certificate ACME issued: its source, challenge and renewal time as last chosen (one query). */
  sources(): Map<string, CertificateSourceRow> {
    return this.store.acme.sources();
  }

  /** When a certificate from ACME renews, as stored; null when it came from elsewhere or no time is chosen yet. */
  renewalTime(row: CertificateSourceRow | undefined): RenewalTime | null {
    if (!row?.renewAt) return null;
    return {
      at: row.renewAt, why: row.renewWhy === 'ari window' ? 'ari window' : 'lifetime rule',
      window: row.windowStart && row.windowEnd ? { start: row.windowStart, end: row.windowEnd } : null, ariError: row.ariError,
    };
  }

  /** Whether a certificate's renewal time should be (re)chosen at `now`: none yet, or the CA's window is due to be read again. */
  needsRenewalTime(row: CertificateSourceRow, now: Date): boolean {
    return row.renewAt === null || (row.ariRetryAfter !== null && Date.parse(row.ariRetryAfter) <= now.getTime());
  }

  /**
   * Chooses (and stores) when an ACME certificate renews. Where the account's CA has ARI (RFC 9773,
   * `renewalInfo` in its directory): its suggested window, read for this certificate, and a random
   * instant in it — kept while the window stays the same, so restarts do not move it; read again
   * after the CA's Retry-After (a minute to a day). Without ARI, or when it cannot be read: the
   * lifetime rule, and `log` says why.
   */
  async chooseRenewalTime(thumbprint: string, now: Date, log: (line: string) => void = () => undefined): Promise<RenewalTime | null> {
    const row = this.store.acme.source(thumbprint);
    const cert = this.store.certificates.get(thumbprint);
    const account = row ? this.store.acme.account(row.source.replace(/^acme:/, '')) : undefined;
    if (!row || !cert) return null;
    const lifetime = renewalTimeByLifetime(new Date(cert.notBefore), new Date(cert.notAfter)).toISOString();
    const byLifetime = (ariError: string | null, retry: Date | null): CertificateSourceRow => ({
      ...row, windowStart: null, windowEnd: null, ariChecked: now.toISOString(), ariRetryAfter: retry?.toISOString() ?? null, ariError, renewAt: lifetime, renewWhy: 'lifetime rule',
    });
    let next: CertificateSourceRow;
    if (!account) {
      next = byLifetime(null, null);
    } else {
      try {
        const endpoint: AcmeEndpoint = { directory: account.directory, directoryCa: account.directoryCa ?? undefined };
        const directory = await fetchDirectory(endpoint, 10_000);
        if (!directory.renewalInfo || !row.ariId) {
          next = byLifetime(null, new Date(now.getTime() + NO_ARI_RECHECK_MS));
        } else {
          const info = await fetchRenewalInfo(directory.renewalInfo, row.ariId, { now, ca: account.directoryCa ?? undefined });
          const start = info.start.toISOString();
          const end = info.end.toISOString();
          const same = row.renewWhy === 'ari window' && row.renewAt !== null && row.windowStart === start && row.windowEnd === end;
          next = {
            ...row, windowStart: start, windowEnd: end, ariChecked: now.toISOString(), ariRetryAfter: info.retryAfter.toISOString(), ariError: null,
            renewAt: same ? row.renewAt : renewalTimeInWindow(info, now).toISOString(), renewWhy: 'ari window',
          };
        }
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        // Failures in a row double the wait before the next try (15 minutes, at most a day).
        const lastWait = row.ariError !== null && row.ariChecked !== null && row.ariRetryAfter !== null ? Date.parse(row.ariRetryAfter) - Date.parse(row.ariChecked) : 0;
        const wait = Math.min(NO_ARI_RECHECK_MS, Math.max(ARI_FAILURE_RETRY_MS, lastWait * 2));
        next = byLifetime(message, new Date(now.getTime() + wait));
        log(`renewal: the CA's renewal information (ARI) for "${cert.friendlyName}" could not be read (${message}); it renews by the lifetime rule at ${lifetime} unless a later try reads a window`);
      }
    }
    this.store.acme.setSource(next);
    return this.renewalTime(next);
  }

  /** The challenge a request gets when none is asked for: http-01 when a serving process listens for http on port 80, else tls-alpn-01. */
  defaultChallenge(): ChallengeType {
    const http80 = this.processes.live().some((p) => p.listeners.some((l) => /^http \S+:80$/.test(l)));
    return http80 ? 'http-01' : 'tls-alpn-01';
  }

  /**
   * Decides, before anything is ordered, how `names` are validated: the challenge asked, else dns-01
   * when a DNS provider is given or a name is a wildcard, else the default. http-01 and tls-alpn-01
   * need a running `serve` (it answers them); dns-01 needs a DNS provider (given, or the account's)
   * and no `serve`. A wildcard can only be validated through dns-01 (RFC 8555 section 7.1.3).
   */
  plan(accountName: string, names: readonly string[], options: { challenge?: string | undefined; dns?: string | undefined }): IssuancePlan {
    const account = this.get(accountName);
    const asked = options.challenge === undefined ? undefined : challengeType(options.challenge);
    const wildcards = names.filter((n) => n.startsWith('*.'));
    const challenge = asked ?? (options.dns !== undefined || wildcards.length > 0 ? 'dns-01' : this.defaultChallenge());
    if (wildcards.length > 0 && challenge !== 'dns-01') {
      throw fail('GH_ACME_WILDCARD_NEEDS_DNS', `${wildcards.join(', ')} is a wildcard name, which a CA validates only through dns-01 (a TXT record at _acme-challenge of the base name), not ${challenge}; use ${opt('challenge')} dns-01 with a DNS provider in ${opt('dns')}.`);
    }
    if (challenge !== 'dns-01') {
      this.processes.live();
      return { challenge, dns: undefined };
    }
    const spec = options.dns ?? account.dnsProvider ?? undefined;
    if (spec === undefined) {
      throw fail('GH_ACME_DNS_PROVIDER_REQUIRED', `dns-01 for ${names.join(', ')} needs a DNS provider that can put TXT records in the zone: give one with ${opt('dns')} (rfc2136:server=HOST,key-file=FILE or hook:COMMAND), or store a default on the account with ${act('acme-account-set', accountName)}.`);
    }
    return { challenge, dns: options.dns === undefined ? parseDnsProviderSpec(spec) : absoluteDnsProviderSpec(spec, this.cwd) };
  }

  /**
   * Issues the certificate for pending request `requestId` through ACME account `accountName` and
   * completes the request with it. Progress lines go to `progress`.
   */
  async issue(requestId: number, accountName: string, options: IssueOptions): Promise<Certificate & { requestId: number; renews: string | null; warnings: string[] }> {
    const say = options.progress ?? (() => undefined);
    const account = this.get(accountName);
    const request = this.requests.show(requestId);
    const names = request.sans;
    const { challenge, dns } = this.plan(accountName, names, options);
    // The provider is made (its TSIG key file read) before the order: a bad key file costs no order.
    const provider = dns === undefined ? undefined : createDnsProvider(dns);
    const namesKey = [...names].sort().join(',');
    const since = new Date(this.clock().getTime() - 86_400_000).toISOString();
    const placed = this.store.acme.ordersSince(namesKey, since);
    if (placed >= ORDERS_PER_DAY) {
      throw fail('GH_ACME_ORDER_LIMIT', `${placed} ACME orders for ${names.join(', ')} were placed in the last 24 hours, the most Gatehouse places in a day for one certificate; fix what made them fail, and try again tomorrow.`);
    }
    const endpoint: AcmeEndpoint = { directory: account.directory, directoryCa: account.directoryCa ?? undefined };
    const keyPem = this.store.keys.load(account.keyId).export({ type: 'pkcs8', format: 'pem' }) as string;
    const session = new AcmeSession(endpoint, keyPem, account.accountUrl);
    this.store.record(() => ({ action: 'acme.order', target: `request ${requestId}`, after: { account: accountName, names, challenge } }),
      () => this.store.acme.recordOrder(accountName, namesKey, this.clock().toISOString(), 'placed'));
    // `replaces` only where the CA has ARI (RFC 9773 §5): other CAs may refuse a field they do not know.
    const replaces = options.replaces && (await fetchDirectory(endpoint).catch(() => undefined))?.renewalInfo ? options.replaces : undefined;
    say(`ordering a certificate for ${names.join(', ')} from ${account.directory} (account ${accountName})${replaces ? `, replacing ${replaces}` : ''}`);
    const order = await session.newOrder(names, replaces).catch((e) => {
      throw fail('GH_ACME_ORDER_FAILED', `The CA refused the order for ${names.join(', ')}: ${caSaid(e)}.`);
    });
    const published: number[] = [];
    /** DNS-01 records put in the zone: each is taken away again, whatever the issuance's outcome. */
    const presented: { fqdn: string; value: string }[] = [];
    const cleanupFailures: string[] = [];
    try {
      const authorizations = (await session.authorizations(order)).filter((a) => a.status !== 'valid');
      const pending: { authz: Authorization; challenge: Authorization['challenges'][number] }[] = [];
      for (const authz of authorizations) {
        const c = authz.challenges.find((x) => x.type === challenge);
        if (!c) {
          throw fail('GH_ACME_CHALLENGE_UNSUPPORTED', `The CA offers no ${challenge} challenge for ${authz.name} (it offers ${authz.challenges.map((x) => x.type).join(', ') || 'none'}); choose one of those with ${opt('challenge')}.`);
        }
        pending.push({ authz, challenge: c });
      }
      if (pending.length > 0 && provider) {
        await this.#presentDns(provider, pending, session, { say, presented, timeoutMs: options.propagationTimeoutMs ?? PROPAGATION_TIMEOUT_MS });
      } else if (pending.length > 0) {
        const material = await Promise.all(pending.map(async (p) => {
          const keyAuthorization = await session.keyAuthorization(p.challenge);
          const alpn = challenge === 'tls-alpn-01' ? await tlsAlpnCertificate(p.authz.name, keyAuthorization, this.clock()) : undefined;
          return { ...p, keyAuthorization, alpn };
        }));
        const expires = new Date(this.clock().getTime() + CHALLENGE_TTL_MS).toISOString();
        const revision = this.store.change(
          () => ({ action: 'acme.challenge.publish', target: `request ${requestId}`, after: { challenge, names: pending.map((p) => p.authz.name) } }),
          () => {
            for (const m of material) {
              const keyId = m.alpn ? this.store.keys.insert({ key: m.alpn.keys.privateKey, keyType: 'ecdsa-p256', spkiSha256: createHash('sha256').update(spkiDer(m.alpn.keys.publicKey)).digest('hex'), exportable: false }) : null;
              published.push(this.store.acme.insertChallenge({ type: challenge as 'http-01' | 'tls-alpn-01', name: m.authz.name, token: m.challenge.token, keyAuthorization: m.keyAuthorization, expires, certDer: m.alpn?.der ?? null, keyId }));
            }
            return this.store.revision();
          },
        ) + 1;
        say(`published ${challenge} challenges for ${pending.map((p) => p.authz.name).join(', ')}; waiting for every serving process to answer them`);
        await this.processes.waitFor(revision);
      }
      if (pending.length > 0) {
        for (const p of pending) {
          await session.respond(p.challenge).catch((e) => {
            throw fail('GH_ACME_CHALLENGE_FAILED', `The CA refused to start the ${challenge} validation of ${p.authz.name}: ${caSaid(e)}.`);
          });
        }
        say('asked the CA to validate; waiting for its answer');
        for (const p of pending) {
          const result = await session.poll(p.authz.url);
          if (result.status !== 'valid') {
            const challenges = (result.challenges ?? []) as { type: string; error?: { detail?: string; type?: string } }[];
            const error = challenges.find((c) => c.type === challenge)?.error ?? challenges.find((c) => c.error)?.error;
            throw fail('GH_ACME_CHALLENGE_FAILED', `The CA could not validate ${p.authz.name} through ${challenge}: ${error?.detail ?? `the authorization is ${result.status}`}${error?.type ? ` (${error.type})` : ''}. ${hint(challenge)}`);
          }
          say(`${p.authz.name}: validated through ${challenge}`);
        }
      }
      await session.finalize(order, request.csr).catch((e) => {
        throw fail('GH_ACME_ORDER_FAILED', `The CA refused to finalize the order for ${names.join(', ')}: ${caSaid(e)}.`);
      });
      const done = await session.poll(order.url);
      if (done.status !== 'valid') {
        throw fail('GH_ACME_ORDER_FAILED', `The order for ${names.join(', ')} ended ${done.status}: ${JSON.stringify((done as { error?: unknown }).error ?? {})}.`);
      }
      const pem = await session.certificate(done as unknown as { url: string; certificate?: string });
      say('the CA issued the certificate; installing it');
      await this.#cleanupDns(provider, presented, say, cleanupFailures);
      const installed = this.requests.complete(Buffer.from(pem), `the certificate issued through ACME account ${accountName}`, options);
      installed.warnings.push(...cleanupFailures);
      const ariId = ariIdOf(this.store.certificates.der(installed.thumbprint).der);
      this.store.record(() => ({ action: 'acme.order.done', target: installed.thumbprint, after: { account: accountName, names, challenge, ...(replaces ? { replaces } : {}) } }),
        () => {
          this.store.acme.recordOrder(accountName, namesKey, this.clock().toISOString(), 'issued');
          this.store.acme.setSource({
            thumbprint: installed.thumbprint, source: `acme:${accountName}`, challenge, ariId,
            windowStart: null, windowEnd: null, ariChecked: null, ariRetryAfter: null, ariError: null, renewAt: null, renewWhy: null,
          });
        });
      return installed;
    } catch (e) {
      if (e instanceof GatehouseError) throw e;
      throw fail('GH_ACME_ORDER_FAILED', `The ACME order for ${names.join(', ')} failed: ${caSaid(e)}.`);
    } finally {
      await this.#cleanupDns(provider, presented, say, cleanupFailures);
      if (published.length > 0) {
        try {
          this.store.change(
            () => ({ action: 'acme.challenge.remove', target: `request ${requestId}`, after: { count: published.length } }),
            () => {
              for (const keyId of this.store.acme.deleteChallenges(published)) this.store.keys.deleteIfUnused(keyId);
            },
          );
        } catch {
          // They expire on their own (CHALLENGE_TTL_MS); the issuance's own result is what to report.
        }
      }
    }
  }

  /**
   * Each challenge type and whether issuing for `accountName` accepts it now (what the console's
   * Submit to offers) — as plan() decides: http-01 and tls-alpn-01 need serve running, dns-01 the
   * account's DNS provider — with what it needs or why not; and the type chosen when none is asked
   * for (null: none can be used now). Without an account, dns-01 is judged as for an account without a provider.
   */
  challengeChoices(accountName?: string): { default: ChallengeType | null; challenges: Array<{ type: ChallengeType; available: boolean; detail: string }> } {
    const probe = ['www.example.com'];
    const judge = (challenge: ChallengeType | undefined): ChallengeType => {
      if (accountName !== undefined) return this.plan(accountName, probe, { challenge }).challenge;
      if (challenge === 'dns-01') throw fail('GH_ACME_DNS_PROVIDER_REQUIRED', `dns-01 needs a DNS provider on the ACME account (${act('acme-account-set', 'NAME')}).`);
      if (challenge !== undefined) this.processes.live();
      return challenge ?? this.defaultChallenge();
    };
    const attempt = <T>(f: () => T): { ok: T } | { error: string } => {
      try {
        return { ok: f() };
      } catch (e) {
        if (e instanceof GatehouseError) return { error: e.message };
        throw e;
      }
    };
    const challenges = (['http-01', 'tls-alpn-01', 'dns-01'] as const).map((type) => {
      const r = attempt(() => judge(type));
      return 'ok' in r ? { type, available: true, detail: hint(type) } : { type, available: false, detail: r.error };
    });
    const chosen = attempt(() => judge(undefined));
    return { default: 'ok' in chosen ? chosen.ok : null, challenges };
  }

  /**
   * DNS-01: puts every challenge's TXT record in the zone through the provider (recorded in
   * `presented` as it goes, so that what was added is taken away even when a later step fails), then
   * waits until each is served by the zone's authoritative servers — the provider's own (RFC 2136:
   * the server it updates), else the zone's NS records as this machine's resolver finds them.
   */
  async #presentDns(provider: Dns01Provider, pending: { authz: Authorization; challenge: Authorization['challenges'][number] }[], session: AcmeSession,
    o: { say: (line: string) => void; presented: { fqdn: string; value: string }[]; timeoutMs: number }): Promise<void> {
    // For dns-01 the session answers the TXT value itself (the digest of the key authorization).
    const records = await Promise.all(pending.map(async (p) => ({ name: p.authz.name, fqdn: dns01Name(p.authz.name), value: await session.keyAuthorization(p.challenge) })));
    for (const r of records) {
      await provider.present(r.fqdn, r.value);
      o.presented.push({ fqdn: r.fqdn, value: r.value });
      o.say(`${r.name}: put the TXT record ${r.fqdn} in the zone`);
    }
    o.say(`waiting until the zone's authoritative servers serve ${records.length} TXT record(s)`);
    for (const r of records) {
      const nameservers = provider.authoritative ?? await authoritativeServers(r.fqdn);
      await waitForPropagation(r.fqdn, r.value, { nameservers, timeoutMs: o.timeoutMs });
    }
  }

  /** Takes away the DNS-01 records put in the zone; what cannot be removed is reported, never thrown. */
  async #cleanupDns(provider: Dns01Provider | undefined, presented: { fqdn: string; value: string }[], say: (line: string) => void, failures: string[]): Promise<void> {
    if (!provider) return;
    for (const r of presented.splice(0)) {
      try {
        await provider.cleanup(r.fqdn, r.value);
        say(`removed the TXT record ${r.fqdn}`);
      } catch (e) {
        const line = `the DNS-01 record ${r.fqdn} could not be removed (${(e as Error).message}); remove the TXT value ${r.value} from the zone by hand`;
        say(line);
        failures.push(line);
      }
    }
  }

  private get(name: string): AcmeAccountRow {
    const row = this.store.acme.account(name);
    if (!row) throw fail('GH_ACME_ACCOUNT_NOT_FOUND', `There is no ACME account named "${name}". ${act('acme-account-list')} shows the accounts; ${act('acme-account-add')} adds one.`);
    return row;
  }
}

function challengeType(asked: string): ChallengeType {
  if (asked === 'http-01' || asked === 'tls-alpn-01' || asked === 'dns-01') return asked;
  throw fail('GH_ACME_CHALLENGE_UNSUPPORTED', `"${asked}" is not a challenge type; use http-01, tls-alpn-01 or dns-01 in ${opt('challenge')}.`);
}

/** The certificate's ARI identifier, or null when it has none (no Authority Key Identifier). */
export function ariIdOf(der: Buffer): string | null {
  try {
    return ariCertId(der);
  } catch {
    return null;
  }
}

function hint(challenge: ChallengeType): string {
  if (challenge === 'dns-01') return 'The CA looks up the TXT record _acme-challenge.NAME through the public DNS: the zone\'s delegation must point at the servers the record was put on, and no CNAME or stale negative answer may hide it.';
  return challenge === 'http-01'
    ? 'The CA fetches http://NAME/.well-known/acme-challenge/ on port 80: the name must resolve to this server and a started site must have an http binding on port 80 (or the port the CA checks).'
    : 'The CA connects to NAME on port 443 offering only ALPN acme-tls/1: the name must resolve to this server and a started site must have an https binding on port 443 (or the port the CA checks).';
}

function view(r: AcmeAccountRow): AcmeAccount {
  return { name: r.name, directory: r.directory, email: r.email, accountUrl: r.accountUrl, directoryCa: r.directoryCa !== null, eabKid: r.eabKid, dnsProvider: r.dnsProvider, status: r.status, created: r.created };
}

function eabOf(input: NewAcmeAccount): { kid: string; hmacKey: string } | undefined {
  const kid = input.eabKid?.trim();
  const hmacKey = input.eabHmacKey?.trim();
  if (!kid && !hmacKey) return undefined;
  if (!kid || !hmacKey) {
    throw fail('GH_ACME_EAB_INVALID', `External Account Binding needs both the key id (${opt('eab-kid')}) and the HMAC key (${opt('eab-hmac-key-file')}); give both, or neither.`);
  }
  if (!/^[A-Za-z0-9_-]+=*$/.test(hmacKey)) throw fail('GH_ACME_EAB_INVALID', `The EAB HMAC key in ${opt('eab-hmac-key-file')} is not base64url text (the form CAs give it in).`);
  return { kid, hmacKey };
}

function caPem(text: string): string {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks) throw fail('GH_NOT_A_CERTIFICATE', `The file given with ${opt('directory-ca')} holds no PEM certificate; give the CA certificate (PEM) that issued the ACME server's HTTPS certificate.`);
  return `${blocks.join('\n')}\n`;
}
