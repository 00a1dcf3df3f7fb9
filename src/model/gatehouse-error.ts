import { act, opt, worded, type Face } from './wording.js';

/**
 * The catalogue of errors a user can meet. Each has a stable code (callers match on it, never on
 * the message), a CLI exit code and the HTTP status the admin API will answer with.
 * `docs/errors.md` is generated from this table (`npm run docs:errors`). Summaries and messages
 * name options and actions through model/wording.ts (`opt('force')`), never as CLI flags.
 */
export const ERRORS = {
  GH_USAGE: { exit: 2, status: 400, summary: 'The command line is not valid: unknown command or flag, or a required flag is missing.' },
  GH_RUNTIME_UNSUPPORTED: { exit: 1, status: 500, summary: 'Gatehouse was started on a Node.js older than 24; `npm ci` brings Node.js 24, or install it.' },
  GH_INTERNAL: { exit: 1, status: 500, summary: 'An unexpected failure inside Gatehouse; the message says where. Nothing was changed.' },
  GH_FILE_NOT_FOUND: { exit: 1, status: 400, summary: 'A file named on the command line does not exist or cannot be read.' },
  GH_FILE_TOO_LARGE: { exit: 1, status: 413, summary: 'A certificate, key or PFX file is larger than 1 MiB, far beyond any real one.' },
  GH_NAME_INVALID: { exit: 1, status: 400, summary: 'A host name is not a valid DNS name or IP address.' },
  GH_COUNTRY_INVALID: { exit: 1, status: 400, summary: 'The country is not an assigned two-letter ISO 3166-1 code (such as US, GB or DE).' },
  GH_SUBJECT_INVALID: { exit: 1, status: 400, summary: 'A subject field (organization, unit, city, state) is empty or too long.' },
  GH_KEY_TYPE_INVALID: { exit: 1, status: 400, summary: 'The key type is not one Gatehouse makes.' },
  GH_PAGE_INVALID: { exit: 1, status: 400, summary: 'A listing page was asked for with a cursor that is not one a listing gave, a page size out of range, or an unknown status.' },
  GH_DAYS_INVALID: { exit: 1, status: 400, summary: 'A number of days (a validity, or the expiring filter of the certificate list) is not a whole number in range.' },
  GH_STORE_INVALID: { exit: 1, status: 400, summary: 'The certificate store is not one of webhosting, personal or root, or not one that takes this kind of certificate (server certificates with keys go in webhosting or personal, CA roots in root).' },
  GH_FRIENDLY_NAME_INVALID: { exit: 1, status: 400, summary: 'The friendly name is empty, too long or has control characters.' },
  GH_REQUEST_NOT_FOUND: { exit: 1, status: 404, summary: 'No pending certificate request has that id.' },
  GH_NO_MATCHING_REQUEST: { exit: 1, status: 409, summary: 'The certificate does not belong to any pending request on this server.' },
  GH_NOT_A_CERTIFICATE: { exit: 1, status: 400, summary: 'The file holds no certificate (it is a request, a key, a web page, empty or damaged).' },
  GH_CERT_EXPIRED: { exit: 1, status: 400, summary: 'The certificate has expired.' },
  GH_CERT_NOT_YET_VALID: { exit: 1, status: 400, summary: 'The certificate is not valid yet.' },
  GH_CERT_ALREADY_INSTALLED: { exit: 1, status: 409, summary: 'A certificate with the same thumbprint is already in a store.' },
  GH_CERT_NOT_FOUND: { exit: 1, status: 404, summary: 'No certificate matches the reference (thumbprint, prefix or friendly name).' },
  GH_CERT_REF_AMBIGUOUS: { exit: 1, status: 409, summary: 'More than one certificate matches the reference.' },
  GH_CERT_IS_CA: { exit: 1, status: 400, summary: `The certificate is a CA certificate, not a server certificate: trust a root with ${act('root-import')}, add an intermediate to a chain with ${act('cert-chain', 'REF')}.` },
  GH_CERT_NOT_ROOT: { exit: 1, status: 400, summary: 'The Trusted Root store takes only self-signed CA certificates (roots); intermediates go in a certificate\'s chain.' },
  GH_CHAIN_UNRELATED: { exit: 1, status: 400, summary: 'Nothing in the bundle issued the certificate (or its intermediates): it is the CA chain of another certificate.' },
  GH_PFX_INVALID: { exit: 1, status: 400, summary: 'The file is not a readable PFX/PKCS#12 file.' },
  GH_PFX_BAD_PASSWORD: { exit: 1, status: 400, summary: 'The PFX password is wrong.' },
  GH_PFX_NO_KEY: { exit: 1, status: 400, summary: 'The PFX holds no private key.' },
  GH_PFX_NO_CERT: { exit: 1, status: 400, summary: 'The PFX holds no certificate.' },
  GH_KEY_INVALID: { exit: 1, status: 400, summary: 'The private key file cannot be read as a private key.' },
  GH_KEY_BAD_PASSWORD: { exit: 1, status: 400, summary: 'The private key is encrypted and the password is missing or wrong.' },
  GH_KEY_DAMAGED: { exit: 1, status: 400, summary: 'The private key is damaged: its parts do not agree (RSA primes and CRT values, or an EC private value and public point), so no client could complete a handshake with it.' },
  GH_KEY_MISMATCH: { exit: 1, status: 400, summary: 'The private key does not belong to the certificate.' },
  GH_KEY_MISSING: { exit: 1, status: 400, summary: 'A certificate was given without its private key.' },
  GH_KEY_UNSUPPORTED: { exit: 1, status: 400, summary: 'The key algorithm or size is not supported for TLS serving.' },
  GH_KEY_NOT_EXPORTABLE: { exit: 1, status: 403, summary: 'The private key was not marked exportable.' },
  GH_PASSWORD_REQUIRED: { exit: 1, status: 400, summary: 'A password is needed (e.g. to protect an exported PFX).' },
  GH_PASSWORD_INVALID: { exit: 1, status: 400, summary: 'The password file is empty or unreadable.' },
  GH_CSR_INVALID: { exit: 1, status: 400, summary: 'The file is not a valid PKCS#10 certificate request, or its signature does not verify.' },
  GH_CA_NOT_INITIALIZED: { exit: 1, status: 409, summary: 'The internal CA has not been created yet.' },
  GH_CA_EXISTS: { exit: 1, status: 409, summary: 'The internal CA already exists.' },
  GH_CA_UNKNOWN: { exit: 1, status: 400, summary: 'The named CA is not one Gatehouse can submit to.' },
  GH_SITE_NAME_INVALID: { exit: 1, status: 400, summary: 'The site name is empty, too long or has characters other than letters, digits, spaces, dots, underscores and hyphens.' },
  GH_SITE_EXISTS: { exit: 1, status: 409, summary: 'A site with that name already exists.' },
  GH_SITE_NOT_FOUND: { exit: 1, status: 404, summary: 'No site has that name.' },
  GH_SITE_NO_HTTPS_BINDING: { exit: 1, status: 409, summary: 'The site named for the IIS (https) service has no https binding without SNI to carry the certificate.' },
  GH_SITE_CONTENT_INVALID: { exit: 1, status: 400, summary: 'The site\'s folder does not exist, or its proxy upstream is not an http(s) URL.' },
  GH_IP_INVALID: { exit: 1, status: 400, summary: 'The IP address of a binding is neither an IPv4/IPv6 address nor * (All Unassigned).' },
  GH_PORT_INVALID: { exit: 1, status: 400, summary: 'The port is not a number from 1 to 65535.' },
  GH_BINDING_INVALID: { exit: 1, status: 400, summary: 'The binding mixes http with a certificate or SNI, or edits what cannot be edited.' },
  GH_BINDING_EXISTS: { exit: 1, status: 409, summary: 'The (protocol, IP, port, host name) is already bound on the server.' },
  GH_BINDING_NOT_FOUND: { exit: 1, status: 404, summary: 'The site has no such binding.' },
  GH_BINDING_SNI_NEEDS_HOST: { exit: 1, status: 400, summary: 'Require Server Name Indication was asked for without a host name.' },
  GH_BINDING_CERT_REQUIRED: { exit: 1, status: 400, summary: 'An https binding was given without a certificate.' },
  GH_ENDPOINT_CERT_CONFLICT: { exit: 1, status: 409, summary: 'The IP:port already has another certificate from a binding without SNI.' },
  GH_PORT_PROTOCOL_CONFLICT: { exit: 1, status: 409, summary: 'The port already serves the other protocol (http vs https).' },
  GH_BINDING_AFFECTS_OTHERS: { exit: 1, status: 409, summary: `The change would give other sites' clients another certificate; use ${opt('force')} to apply it anyway.` },
  GH_CERT_NO_KEY: { exit: 1, status: 400, summary: 'The certificate has no private key on this server, so it cannot serve TLS.' },
  GH_CERT_IN_USE: { exit: 1, status: 409, summary: `The certificate is used by bindings or services; remove or edit them first, or use ${opt('force-remove-certificate')}.` },
  GH_ROLE_INVALID: { exit: 1, status: 400, summary: 'The role is not one of organization-management, server-management, view-only.' },
  GH_USER_NAME_INVALID: { exit: 1, status: 400, summary: 'The user name is empty, too long or has characters other than letters, digits, dots, underscores, @ and hyphens.' },
  GH_USER_EXISTS: { exit: 1, status: 409, summary: 'A user with that name already exists.' },
  GH_USER_NOT_FOUND: { exit: 1, status: 404, summary: 'No user has that name.' },
  GH_LAST_ADMINISTRATOR: { exit: 1, status: 409, summary: 'The change would leave no organization-management user, and nobody could manage users any more.' },
  GH_PASSWORD_WEAK: { exit: 1, status: 400, summary: 'The password is shorter than 12 characters, longer than 1024, or the same as the user name.' },
  GH_TOKEN_NOT_FOUND: { exit: 1, status: 404, summary: 'No API token has that id.' },
  GH_UNAUTHENTICATED: { exit: 1, status: 401, summary: 'The admin API call has no valid credentials: log in, or send "Authorization: Bearer TOKEN".' },
  GH_LOGIN_FAILED: { exit: 1, status: 401, summary: 'The user name or password is wrong.' },
  GH_LOGIN_THROTTLED: { exit: 1, status: 429, summary: 'Too many failed logins from this address or for this user; wait and try again.' },
  GH_SESSION_EXPIRED: { exit: 1, status: 401, summary: 'The console session ended (logged out, or idle too long); log in again.' },
  GH_FORBIDDEN: { exit: 1, status: 403, summary: 'The user\'s role does not allow this; the message names the permission it needs.' },
  GH_CSRF_TOKEN_INVALID: { exit: 1, status: 403, summary: 'A console change came without the session\'s CSRF token (X-CSRF-Token); reload the console.' },
  GH_REQUEST_BODY_INVALID: { exit: 1, status: 400, summary: 'The API request body or query is not valid: malformed JSON, a wrong type, an unknown or a missing field.' },
  GH_REQUEST_TOO_LARGE: { exit: 1, status: 413, summary: 'The API request body is larger than the admin API accepts (2 MiB).' },
  GH_MEDIA_TYPE_UNSUPPORTED: { exit: 1, status: 415, summary: 'The API request body is not application/json.' },
  GH_ROUTE_NOT_FOUND: { exit: 1, status: 404, summary: 'No admin API route has that method and path; /api/v1/openapi.json lists them.' },
  GH_METHOD_NOT_ALLOWED: { exit: 1, status: 405, summary: 'The admin endpoint has that path but not with that method; the Allow header lists the methods it takes (/api/v1/openapi.json lists every route).' },
  GH_ADMIN_LISTEN_FAILED: { exit: 1, status: 500, summary: 'The admin endpoint cannot listen on its address (in use by another program, or not an address of this machine).' },
  GH_ADMIN_ADDRESS_INVALID: { exit: 1, status: 400, summary: 'The admin endpoint address is not ADDRESS:PORT (or "off").' },
  GH_SERVICE_INVALID: { exit: 1, status: 400, summary: 'The service is not one of smtp, imap, pop, https.' },
  GH_SERVICE_OVERWRITE_REQUIRED: { exit: 1, status: 409, summary: `Another certificate is the default SMTP certificate; use ${opt('overwrite')} to replace it.` },
  GH_LISTENER_INVALID: { exit: 1, status: 400, summary: 'A mail listener setting is not valid (address, mode, limits).' },
  GH_LISTENER_CONFLICT: { exit: 1, status: 409, summary: 'The address and port are already used by a web binding or another service\'s mail listener.' },
  GH_LISTENER_NOT_FOUND: { exit: 1, status: 404, summary: 'The service has no listener on that address and port.' },
  GH_BACKEND_INVALID: { exit: 1, status: 400, summary: 'The mail backend is not HOST:PORT.' },
  GH_MASTER_KEY_INVALID: { exit: 1, status: 500, summary: 'The master key is missing, malformed or not the one the store was made with.' },
  GH_MASTER_KEY_EXPOSED: { exit: 1, status: 500, summary: 'master.key can be read or written by users other than its owner (chmod 600 it); Gatehouse does not use it so.' },
  GH_STORE_UNAVAILABLE: { exit: 1, status: 503, summary: 'The data directory or database cannot be opened.' },
  GH_SERVE_NOT_RUNNING: { exit: 1, status: 409, summary: `No serving process has reported in the last 15 seconds: what needs the serving plane (answering a CA's challenge, applying a renewal) needs the serving plane running on this store (${act('serve-status')} shows what runs).` },
  GH_RENEWAL_INVALID: { exit: 1, status: 409, summary: 'The certificate cannot be renewed this way (a root, a key type Gatehouse does not make, no host name, or a replacement that cannot take its place); nothing was changed.' },
  GH_RENEWAL_PENDING: { exit: 1, status: 409, summary: 'A request already renews this certificate; complete it or cancel it first.' },
  GH_RENEWAL_MANUAL: { exit: 1, status: 409, summary: `The certificate comes from a CA Gatehouse cannot ask by itself; renew it with ${act('cert-renew', 'REF')} and complete the request with the CA's answer.` },
  GH_RENEWAL_NOT_FOUND: { exit: 1, status: 404, summary: 'There is no such renewal.' },
  GH_LEASE_LOST: { exit: 1, status: 409, summary: 'This process no longer holds the renewal lease: it ran out and another node took it over (a newer fencing token), so this late change was refused and nothing was changed. The node holding the lease now carries the work on.' },
  GH_SERVE_BEHIND: { exit: 1, status: 504, summary: 'A serving process did not apply the new revision in time (it is stalled, or cannot apply it: its log says why); nothing that needed it was done.' },
  GH_ACME_TOS_REQUIRED: { exit: 1, status: 400, summary: `An ACME account is created only when the CA's terms of service are agreed to with ${opt('agree-tos')}; read them first (the directory's meta.termsOfService).` },
  GH_ACME_DIRECTORY_INVALID: { exit: 1, status: 400, summary: 'The ACME directory is neither an http(s) URL nor a known name (letsencrypt, letsencrypt-staging, zerossl).' },
  GH_ACME_DIRECTORY_UNREACHABLE: { exit: 1, status: 502, summary: 'The ACME directory URL cannot be reached (DNS, connection refused, timeout); nothing was changed.' },
  GH_ACME_NOT_ACME: { exit: 1, status: 502, summary: 'The URL answered, but not with an ACME directory (RFC 8555 section 7.1.1).' },
  GH_ACME_TLS_UNTRUSTED: { exit: 1, status: 502, summary: `The ACME server's HTTPS certificate is not trusted; for a private ACME server give the CA that issued it with ${opt('directory-ca')}.` },
  GH_ACME_EAB_REQUIRED: { exit: 1, status: 400, summary: `The CA requires External Account Binding: give the key id and the HMAC key it issued with ${opt('eab-kid')} and ${opt('eab-hmac-key-file')}.` },
  GH_ACME_EAB_INVALID: { exit: 1, status: 400, summary: 'The External Account Binding key id or HMAC key is missing, empty or not base64url.' },
  GH_ACME_EAB_REFUSED: { exit: 1, status: 400, summary: 'The CA refused the External Account Binding (wrong key id or HMAC key, or already used).' },
  GH_ACME_ACCOUNT_REFUSED: { exit: 1, status: 502, summary: 'The CA refused to create the ACME account; the message has what it said.' },
  GH_ACME_ACCOUNT_EXISTS: { exit: 1, status: 409, summary: 'An ACME account with that name already exists.' },
  GH_ACME_ACCOUNT_IN_USE: { exit: 1, status: 409, summary: `Certificates in use came from the ACME account and renew through it; move their uses first, or remove it with ${opt('force')} (they become manual certificates).` },
  GH_ACME_ACCOUNT_NOT_FOUND: { exit: 1, status: 404, summary: 'No ACME account has that name.' },
  GH_ACME_ACCOUNT_NAME_INVALID: { exit: 1, status: 400, summary: 'The ACME account name is empty, too long or has characters other than letters, digits, dots, underscores and hyphens.' },
  GH_ACME_EMAIL_INVALID: { exit: 1, status: 400, summary: 'The contact e-mail address of the ACME account is not an address.' },
  GH_ACME_CHALLENGE_UNSUPPORTED: { exit: 1, status: 400, summary: 'The challenge type is not one Gatehouse answers (http-01, tls-alpn-01, dns-01), or the CA does not offer it for a name.' },
  GH_ACME_WILDCARD_NEEDS_DNS: { exit: 1, status: 400, summary: 'A wildcard name (*.example.com) was to be validated through http-01 or tls-alpn-01; a CA validates wildcards only through dns-01. Nothing was ordered.' },
  GH_ACME_DNS_PROVIDER_REQUIRED: { exit: 1, status: 400, summary: `dns-01 was chosen (asked for, or needed by a wildcard name) but no DNS provider was given with ${opt('dns')} and the ACME account has none. Nothing was ordered.` },
  GH_ACME_CHALLENGE_FAILED: { exit: 1, status: 502, summary: 'The CA could not validate a name through the challenge; the message names the name, the challenge and what the CA said. Nothing was installed and the request is still pending.' },
  GH_ACME_ORDER_FAILED: { exit: 1, status: 502, summary: 'The CA refused or failed the order (or its finalization); the message has what it said. Nothing was installed and the request is still pending.' },
  GH_ACME_ORDER_LIMIT: { exit: 1, status: 429, summary: 'The daily bound of ACME orders for these names is reached (5 a day); try again tomorrow, after fixing what made the earlier orders fail.' },
  GH_ACME_TIMEOUT: { exit: 1, status: 504, summary: 'The CA did not finish validating or issuing in time.' },
  GH_DNS_PROVIDER_INVALID: { exit: 1, status: 400, summary: `The DNS-01 provider given with ${opt('dns')} is not valid: an unknown kind, a missing or unknown setting, or a TSIG key file that cannot be read or holds no usable key.` },
  GH_DNS_UPDATE_REFUSED: { exit: 1, status: 502, summary: 'The DNS server refused the dynamic update of a challenge record (REFUSED, NOTAUTH, or a TSIG error such as BADSIG or BADKEY): the message says what the server answered and what to check in its key and update policy. The zone was not changed.' },
  GH_DNS_SERVER_UNREACHABLE: { exit: 1, status: 504, summary: 'The DNS server gave no usable answer: it did not answer in time, refused the connection, or sent an answer that is malformed or not signed with the key.' },
  GH_DNS_PROPAGATION_TIMEOUT: { exit: 1, status: 504, summary: 'A DNS-01 challenge record was not visible on every authoritative name server in time; the message says what each server answered.' },
  GH_DNS_HOOK_FAILED: { exit: 1, status: 502, summary: 'The DNS-01 hook command could not be run, ran too long, or exited with an error; the message ends with what it wrote to standard error.' },
  GH_OCSP_INVALID: { exit: 1, status: 502, summary: 'An OCSP responder answered something that cannot be stapled: not a successful basic response, about another certificate, or not signed by the issuer or its authorized responder. The previous staple (if any) is kept.' },
  GH_STORE_FULL: { exit: 1, status: 507, summary: 'The disk that holds the data directory (or the PostgreSQL server\'s database) is full; the change was not written and nothing was changed. Free some space and try again.' },
  GH_METRICS_LISTEN_FAILED: { exit: 1, status: 500, summary: `The metrics listener could not open its address and port (in use, not an address of this machine, or a privileged port); choose another with ${opt('metrics')}.` },
  GH_NOTIFY_TARGET_INVALID: { exit: 1, status: 400, summary: 'A notification target is not valid: a webhook needs an http or https URL; an e-mail target needs recipient addresses, an SMTP server as HOST:PORT, a TLS mode of starttls, implicit or none, and a password only with a user.' },
  GH_NOTIFY_TARGET_EXISTS: { exit: 1, status: 409, summary: 'A notification target with that name already exists; remove it first or choose another name.' },
  GH_NOTIFY_TARGET_NOT_FOUND: { exit: 1, status: 404, summary: `No notification target has that name (${act('notify-list')} shows them).` },
  GH_NOTIFY_FAILED: { exit: 1, status: 502, summary: 'A notification could not be delivered: the webhook did not answer with success, or the SMTP server refused or could not be reached. The message says which target and why.' },
  GH_STORE_NEWER: { exit: 1, status: 503, summary: 'The database was written by a newer Gatehouse.' },
  GH_STORE_COPY_TARGET_NOT_EMPTY: { exit: 1, status: 409, summary: `The target of a store copy already holds a Gatehouse store (or is the store being copied); nothing was copied and it was left as it was. Give ${opt('to')} a new data directory, an empty database or a new schema.` },
  GH_STORE_COPY_SOURCE_EMPTY: { exit: 1, status: 404, summary: `There is no Gatehouse store where the copy was to read from: point ${opt('data')} or ${opt('store-url')} at the store to copy.` },
  GH_STORE_COPY_MISMATCH: { exit: 1, status: 500, summary: 'A store copy read back from its target does not match its source (row count or content hash of a table); the copy was rolled back and the target left as it was.' },
} as const satisfies Record<string, { exit: number; status: number; summary: string }>;

export type ErrorCode = keyof typeof ERRORS;

/**
 * An error meant for the person running Gatehouse: `message` says what happened and what to do.
 * Anything thrown that is not a GatehouseError is a bug and is reported as GH_INTERNAL.
 */
export class GatehouseError extends Error {
  readonly code: ErrorCode;
  /** The message as written, with face-neutral references (model/wording.ts); `message` is the CLI's wording. */
  readonly text: string;
  constructor(code: ErrorCode, text: string, options?: { cause?: unknown }) {
    super(worded(text, 'cli'), options);
    this.name = 'GatehouseError';
    this.code = code;
    this.text = text;
  }
  /** The message worded for a face: flags for the CLI, fields for the API, buttons and fields for the console. */
  wording(face: Face): string {
    return worded(this.text, face);
  }
  get exitCode(): number {
    return ERRORS[this.code].exit;
  }
  get status(): number {
    return ERRORS[this.code].status;
  }
}

/** A code's summary worded for a face (the API's problem title, the docs). */
export function summaryOf(code: ErrorCode, face: Face): string {
  return worded(ERRORS[code].summary, face);
}

/**
 * Shorthand used across the core: `throw fail('GH_X', 'what happened; what to do')`. Name options
 * and actions with `opt()` and `act()` from model/wording.ts so that each face words them its way.
 */
export function fail(code: ErrorCode, message: string, cause?: unknown): GatehouseError {
  return new GatehouseError(code, message, cause === undefined ? undefined : { cause });
}
