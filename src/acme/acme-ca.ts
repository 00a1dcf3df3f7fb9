import { createRequire } from 'node:module';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { fail, GatehouseError } from '../model/gatehouse-error.js';
import { opt } from '../model/wording.js';

const require = createRequire(import.meta.url);
type AcmeLib = typeof import('acme-client');
type AcmeClient = InstanceType<AcmeLib['Client']>;

/** The directories `--directory` knows by name. */
export const KNOWN_DIRECTORIES: Record<string, string> = {
  letsencrypt: 'https://acme-v02.api.letsencrypt.org/directory',
  'letsencrypt-staging': 'https://acme-staging-v02.api.letsencrypt.org/directory',
  zerossl: 'https://acme.zerossl.com/v2/DV90',
};

/** What a directory says about itself (RFC 8555 section 7.1.1), the parts Gatehouse reads. */
export interface AcmeDirectory {
  newAccount: string;
  newNonce: string;
  newOrder: string;
  /** RFC 9773: where the CA answers each certificate's suggested renewal window (absent: no ARI). */
  renewalInfo?: string;
  meta?: { termsOfService?: string; externalAccountRequired?: boolean; website?: string };
}

/** Where a CA is and how its HTTPS is trusted. */
export interface AcmeEndpoint {
  directory: string;
  /** PEM: the CA certificate(s) the directory's HTTPS presents a chain to; undefined: the system's roots. */
  directoryCa?: string | undefined;
}

const TLS_UNTRUSTED = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE']);

/**
 * acme-client is loaded on first use (it brings axios), and its one axios instance is given a
 * request hook: a request to a directory registered with its own CA goes through an https.Agent
 * that trusts that CA (`--directory-ca`), every other request through the system's roots.
 */
const agents = new Map<string, HttpsAgent>();
let lib: AcmeLib | undefined;
function acmeLib(): AcmeLib {
  if (lib) return lib;
  lib = require('acme-client') as AcmeLib;
  const axios = lib.axios as unknown as {
    defaults: { acmeSettings: { retryMaxAttempts: number; retryDefaultDelay: number } };
    interceptors: { request: { use(fn: (c: { url?: string; httpsAgent?: unknown }) => unknown): void } };
  };
  // Server errors and rate limits are retried (Retry-After honoured) a few times, not the default five with 5 s steps.
  axios.defaults.acmeSettings.retryMaxAttempts = 3;
  axios.defaults.acmeSettings.retryDefaultDelay = 2;
  axios.interceptors.request.use((config) => {
    const agent = config.url ? agents.get(originOf(config.url)) : undefined;
    if (agent) config.httpsAgent = agent;
    return config;
  });
  return lib;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}

/**
 * A badNonce answer (RFC 8555 section 6.5) is retried with the fresh nonce it carries: up to 10
 * times rather than acme-client's 5, so that a CA refusing many nonces (pebble's
 * PEBBLE_WFE_NONCEREJECT=50 in the tests) does not fail an issuance of some twenty requests.
 */
const BAD_NONCE_RETRIES = 10;

function withNonceRetries(client: AcmeClient): AcmeClient {
  (client as unknown as { http: { maxBadNonceRetries: number } }).http.maxBadNonceRetries = BAD_NONCE_RETRIES;
  return client;
}

function trust(endpoint: AcmeEndpoint): void {
  if (endpoint.directoryCa) agents.set(originOf(endpoint.directory), new HttpsAgent({ ca: endpoint.directoryCa, keepAlive: true }));
}

/** `letsencrypt` → its URL; a URL stays; anything else is refused. */
export function resolveDirectory(value: string): string {
  const known = KNOWN_DIRECTORIES[value];
  if (known) return known;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw fail('GH_ACME_DIRECTORY_INVALID', `"${value}" is neither an ACME directory URL nor one of ${Object.keys(KNOWN_DIRECTORIES).join(', ')}; give the CA's directory URL in ${opt('acme-directory')}.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw fail('GH_ACME_DIRECTORY_INVALID', `"${value}" is not an http(s) URL; give the CA's ACME directory URL in ${opt('acme-directory')}.`);
  }
  return url.href;
}

/**
 * Reads the directory (RFC 8555 section 7.1.1) and says plainly why it cannot be used: not
 * reachable, its HTTPS certificate not trusted, or not an ACME directory at all.
 */
export async function fetchDirectory(endpoint: AcmeEndpoint, timeoutMs = 15_000): Promise<AcmeDirectory> {
  const url = new URL(endpoint.directory);
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const options = { timeout: timeoutMs, headers: { accept: 'application/json' }, ...(url.protocol === 'https:' && endpoint.directoryCa ? { ca: endpoint.directoryCa } : {}) };
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (text.length < 1_000_000) text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  }).catch((e: NodeJS.ErrnoException) => {
    if (e.code && TLS_UNTRUSTED.has(e.code)) {
      throw fail('GH_ACME_TLS_UNTRUSTED', `The HTTPS certificate of ${endpoint.directory} is not trusted (${e.message}). ${endpoint.directoryCa
        ? `It does not chain to the CA given in ${opt('directory-ca')}; give the CA that issued the directory's certificate.`
        : `For a private ACME server (step-ca, an enterprise CA, pebble), give the CA that issued its HTTPS certificate with ${opt('directory-ca')}.`}`);
    }
    throw fail('GH_ACME_DIRECTORY_UNREACHABLE', `The ACME directory ${endpoint.directory} cannot be reached: ${e.message}. Check the URL, DNS and that this server may connect to it (proxy, firewall).`);
  });
  let directory: Partial<AcmeDirectory> | undefined;
  try {
    directory = JSON.parse(body) as Partial<AcmeDirectory>;
  } catch {
    directory = undefined;
  }
  if (status !== 200 || !directory || typeof directory.newAccount !== 'string' || typeof directory.newOrder !== 'string' || typeof directory.newNonce !== 'string') {
    throw fail('GH_ACME_NOT_ACME', `${endpoint.directory} answered ${status === 200 ? 'something that is not an ACME directory (no newAccount, newNonce and newOrder URLs)' : `HTTP ${status}`}; give the CA's ACME directory URL (it ends in /directory or /dir for most CAs).`);
  }
  return directory as AcmeDirectory;
}

/** What the CA said, from an acme-client error (the problem document's detail). */
export function caSaid(e: unknown): string {
  if (e instanceof GatehouseError) throw e;
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/\s+/g, ' ').trim() || 'no detail';
}

/** Creates (or finds, for the same key) the account; answers its URL, the JWS `kid` of later requests. */
export async function registerAccount(endpoint: AcmeEndpoint, input: {
  accountKeyPem: string; email: string; eab?: { kid: string; hmacKey: string } | undefined;
}): Promise<string> {
  const acme = acmeLib();
  trust(endpoint);
  const client = withNonceRetries(new acme.Client({
    directoryUrl: endpoint.directory, accountKey: input.accountKeyPem, backoffAttempts: 1,
    ...(input.eab ? { externalAccountBinding: input.eab } : {}),
  }));
  try {
    await client.createAccount({ termsOfServiceAgreed: true, contact: [`mailto:${input.email}`] });
  } catch (e) {
    const said = caSaid(e);
    if (input.eab) {
      throw fail('GH_ACME_EAB_REFUSED', `The CA refused the External Account Binding with key id "${input.eab.kid}": ${said}. Check the key id and the HMAC key file against what the CA's account page shows (the HMAC key is base64url, as the CA gives it).`);
    }
    throw fail('GH_ACME_ACCOUNT_REFUSED', `The CA refused to create the account: ${said}.`);
  }
  return client.getAccountUrl();
}

/** One authorization of an order: the name and its challenges as the CA offers them. */
export interface Authorization {
  url: string;
  name: string;
  status: string;
  challenges: { type: string; url: string; token: string; status: string }[];
}

/** An account's session with its CA for one issuance. */
export class AcmeSession {
  readonly #client: AcmeClient;

  constructor(endpoint: AcmeEndpoint, accountKeyPem: string, accountUrl: string) {
    const acme = acmeLib();
    trust(endpoint);
    this.#client = withNonceRetries(new acme.Client({ directoryUrl: endpoint.directory, accountKey: accountKeyPem, accountUrl }));
  }

  /** `replaces` (RFC 9773 §5): the ARI identifier of the certificate this order renews, so the CA may exempt it from rate limits. */
  async newOrder(names: string[], replaces?: string): Promise<{ url: string; authorizations: string[]; finalize: string; status: string }> {
    // acme-client sends the object as the newOrder payload as it is, so `replaces` goes through.
    const order = await this.#client.createOrder({ identifiers: names.map((value) => ({ type: /^[0-9.]+$|:/.test(value) ? 'ip' : 'dns', value })), ...(replaces ? { replaces } : {}) } as never);
    return order as unknown as { url: string; authorizations: string[]; finalize: string; status: string };
  }

  async authorizations(order: { url: string }): Promise<Authorization[]> {
    const list = await this.#client.getAuthorizations(order as never);
    return list.map((a) => ({
      url: a.url, name: a.identifier.value, status: a.status,
      challenges: a.challenges.map((c) => ({ type: c.type, url: c.url, token: (c as { token?: string }).token ?? '', status: c.status })),
    }));
  }

  /** The key authorization (RFC 8555 section 8.1); for dns-01 already the TXT value, its base64url SHA-256 (section 8.4). */
  keyAuthorization(challenge: { type: string; token: string }): Promise<string> {
    return this.#client.getChallengeKeyAuthorization(challenge as never);
  }

  async respond(challenge: { url: string }): Promise<void> {
    await this.#client.completeChallenge(challenge as never);
  }

  /**
   * Polls `url` (an authorization or an order) until its status leaves `pending`/`processing`,
   * with growing waits (0.25 s doubling to 8 s) or the CA's Retry-After when it sends one; answers
   * the last object. Bounded by `timeoutMs`.
   */
  async poll(url: string, timeoutMs = 180_000): Promise<{ status: string; [k: string]: unknown }> {
    const api = (this.#client as unknown as { api: { apiRequest(url: string, payload: null, status: number[]): Promise<{ data: { status: string }; headers: Record<string, string> }> } }).api;
    const deadline = Date.now() + timeoutMs;
    let wait = 250;
    for (;;) {
      const res = await api.apiRequest(url, null, [200]);
      if (res.data.status !== 'pending' && res.data.status !== 'processing') return res.data;
      if (Date.now() > deadline) throw fail('GH_ACME_TIMEOUT', `The CA still says "${res.data.status}" for ${url} after ${Math.round(timeoutMs / 1000)} s.`);
      const retryAfter = Number(res.headers['retry-after']);
      const ms = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, 60_000) : wait;
      await new Promise((r) => setTimeout(r, ms));
      wait = Math.min(wait * 2, 8000);
    }
  }

  async finalize(order: { url: string; finalize: string }, csrPem: string): Promise<void> {
    await this.#client.finalizeOrder(order as never, csrPem);
  }

  /** The issued certificate and its chain (PEM, leaf first). */
  certificate(order: { url: string; certificate?: string }): Promise<string> {
    return this.#client.getCertificate(order as never);
  }
}
