/**
 * One message, worded for each face. The core writes a message ONCE and names options and actions
 * face-neutrally — `${opt('force')}`, `${act('cert-list')}` — which put a small markup in the text
 * (`{opt:force}`, `{act:cert-list}`, `{act:service-assign:smtp}`). Each face renders it with
 * `worded(text, face)`: the CLI names flags and commands (`--force`, "gatehouse cert list"), the
 * admin API names fields and routes (`"force": true`, GET /api/v1/certificates), the console names
 * its buttons, fields and pages ("Apply anyway", "Host name", the Server Certificates page).
 *
 * An option is a noun in every face, so write sentences that read with any of the three:
 * "use {opt:force}", "give a host name with {opt:host}", "in {opt:password-file}".
 * Never write a `--flag` or a "gatehouse …" command in a message outside src/cli/: a test walks
 * the sources and the API's answers for them.
 */

export type Face = 'cli' | 'api' | 'console';
export const FACES: readonly Face[] = ['cli', 'api', 'console'];

type Words = Record<Face, string>;
/** An action may take one argument after a second colon, e.g. the services in {act:service-assign:smtp,imap}. */
type ActionWords = Record<Face, (arg: string) => string>;

const API = '/api/v1';

/** Options of a change: the CLI flag, the API field (with its value when it is a switch), the console's control. */
export const OPTIONS = {
  force: { cli: '--force', api: '"force": true', console: '"Apply anyway"' },
  'force-query': { cli: '--force', api: 'force=true in the query', console: '"Apply anyway"' },
  'force-remove-binding': { cli: '--force', api: 'force=true in the query', console: '"Remove anyway"' },
  'force-remove-certificate': { cli: '--force', api: 'force=true in the query', console: '"Remove it and those bindings"' },
  overwrite: { cli: '--overwrite', api: '"overwrite": true', console: '"Yes"' },
  host: { cli: '--host', api: '"host"', console: '"Host name"' },
  sni: { cli: '--sni', api: '"sni": true', console: '"Require Server Name Indication"' },
  site: { cli: '--site', api: '"site"', console: '"Web site (IIS)"' },
  services: { cli: '--services', api: '"services"', console: 'the services to assign' },
  cert: { cli: '--cert', api: '"cert"', console: '"SSL certificate"' },
  ip: { cli: '--ip', api: '"ip"', console: '"IP address"' },
  port: { cli: '--port', api: '"port"', console: '"Port"' },
  'protocol-https': { cli: '--protocol https', api: '"protocol": "https"', console: 'the type https' },
  'password-file': { cli: '--password-file', api: '"password"', console: '"Password"' },
  'key-file': { cli: '--key-file', api: '"keyFile"', console: '"Private key file"' },
  'no-key': { cli: '--format pem --no-key', api: '"format": "pem" and "noKey": true', console: 'PEM without "Include the private key"' },
  expiring: { cli: '--expiring', api: '"expiring" in the query', console: 'the expiring filter' },
  exportable: { cli: '--exportable', api: '"exportable": true', console: '"Allow this certificate to be exported"' },
  'ca-internal': { cli: '--ca internal', api: '"ca": "internal"', console: '"Submit to internal CA…"' },
  'ca-cn': { cli: '--cn', api: '"cn"', console: '"CA name (common name)"' },
  root: { cli: '--root DIR', api: '"root"', console: '"Physical path"' },
  proxy: { cli: '--proxy URL', api: '"proxy"', console: '"Upstream URL"' },
  log: { cli: '--log', api: '"logFormat"', console: '"Access log format"' },
  'log-format': { cli: '--log-format', api: '"logFormat"', console: '"Access log format"' },
  listen: { cli: '--listen', api: '"listen"', console: '"Listen address" and "Port"' },
  backend: { cli: '--backend', api: '"backend"', console: '"Backend (host:port)"' },
  mode: { cli: '--mode', api: '"mode"', console: '"TLS mode"' },
  'require-tls': { cli: '--require-tls', api: '"requireTls": true', console: '"Require TLS"' },
  'client-address': { cli: '--client-address', api: '"clientAddress"', console: 'the client address setting' },
  'max-connections': { cli: '--max-connections', api: '"maxConnections"', console: 'the connection limit' },
  key: { cli: '--key', api: '"keyType"', console: '"Key type"' },
  'idle-timeout': { cli: '--idle-timeout', api: '"idleTimeoutSeconds"', console: 'the idle timeout' },
  'acme-directory': { cli: '--directory', api: '"directory"', console: '"ACME directory"' },
  'directory-ca': { cli: '--directory-ca', api: '"directoryCa"', console: '"Directory CA certificate"' },
  'agree-tos': { cli: '--agree-tos', api: '"agreeTos": true', console: '"I agree to the terms of service"' },
  'eab-kid': { cli: '--eab-kid', api: '"eabKid"', console: '"EAB key id"' },
  'eab-hmac-key-file': { cli: '--eab-hmac-key-file', api: '"eabHmacKey"', console: '"EAB HMAC key"' },
  challenge: { cli: '--challenge', api: '"challenge"', console: '"Challenge"' },
  'ca-acme': { cli: '--ca acme:ACCOUNT', api: '"ca": "acme:ACCOUNT"', console: 'an ACME account under "Submit to"' },
  dns: { cli: '--dns', api: '"dns"', console: '"DNS provider"' },
  // Settings of the server process itself: only `gatehouse serve` and the CLI meet these.
  data: { cli: '--data', api: 'the data directory setting of the server', console: 'the data directory setting of the server' },
  'store-url': { cli: '--store-url', api: 'the store URL setting of the server', console: 'the store URL setting of the server' },
  to: { cli: '--to', api: 'the target of the store copy', console: 'the target of the store copy' },
  metrics: { cli: '--metrics', api: 'the metrics listener setting of the server', console: 'the metrics listener setting of the server' },
  admin: { cli: '--admin', api: 'the admin endpoint setting of the server', console: 'the admin endpoint setting of the server' },
} as const satisfies Record<string, Words>;

/** Things to do elsewhere: the CLI command, the API route, the console's page or button. */
export const ACTIONS = {
  'cert-list': fixed('"gatehouse cert list"', `GET ${API}/certificates`, 'the Server Certificates page'),
  'cert-show': {
    cli: (ref) => `"gatehouse cert show ${ref}"`, api: (ref) => `GET ${API}/certificates/${ref}`, console: () => 'the Server Certificates page',
  },
  'cert-import': fixed('"gatehouse cert import --file FILE --password-file PW"', `POST ${API}/certificates/import`, '"Import…" on the Server Certificates page'),
  'cert-chain': {
    cli: (ref) => `"gatehouse cert chain ${ref} --file BUNDLE"`, api: (ref) => `POST ${API}/certificates/${ref}/chain`, console: () => '"Install Chain…" on the Server Certificates page',
  },
  'root-import': fixed('"gatehouse cert import --store root --file ROOT.cer"', `POST ${API}/certificates/import with "store": "root"`, '"Import…" into Trusted Root Certification Authorities on the Server Certificates page'),
  'request-new-exportable': fixed('"gatehouse request new --exportable"', `POST ${API}/requests with "exportable": true`, '"Create Certificate Request…" with "Make the private key exportable"'),
  'request-list': fixed('"gatehouse request list"', `GET ${API}/requests`, 'the Pending Certificate Requests page'),
  'request-complete': fixed('"gatehouse request complete"', `POST ${API}/requests/complete`, '"Complete Certificate Request…"'),
  'ca-show': fixed('"gatehouse ca show"', `GET ${API}/ca`, 'the server\'s home page'),
  'ca-init': fixed('"gatehouse ca init"', `POST ${API}/ca`, '"Create Internal CA…" on the server\'s home page'),
  'site-list': fixed('"gatehouse site list"', `GET ${API}/sites`, 'the Sites page'),
  'site-add': fixed('"gatehouse site add"', `POST ${API}/sites`, '"Add Site…"'),
  'site-show': { cli: (name) => `"gatehouse site show ${name}"`, api: (name) => `GET ${API}/sites/${encodeURIComponent(name)}`, console: () => 'the Sites page' },
  'binding-list': {
    cli: (site) => `"gatehouse binding list ${site}"`, api: (site) => `GET ${API}/sites/${encodeURIComponent(site)}/bindings`, console: () => 'the site\'s "Bindings…"',
  },
  'binding-add': {
    cli: (site) => `"gatehouse binding add ${site} --protocol https --port 443 --cert REF"`, api: (site) => `POST ${API}/sites/${encodeURIComponent(site)}/bindings`, console: () => '"Add…" in the site\'s "Bindings…"',
  },
  'binding-edit': fixed('"gatehouse binding edit"', `PATCH ${API}/sites/SITE/bindings`, '"Edit…" in the site\'s "Bindings…"'),
  'service-list': fixed('"gatehouse service list"', `GET ${API}/services`, 'the Services page'),
  'service-assign': {
    cli: (services) => `"gatehouse service assign REF --services ${services}"`,
    api: (services) => `POST ${API}/services/assign with "services": ${jsonList(services)}`,
    console: () => '"Assign Services to Certificate…" on the Services page',
  },
  'service-unassign': {
    cli: (services) => `"gatehouse service unassign --services ${services}"`,
    api: (services) => `POST ${API}/services/unassign with "services": ${jsonList(services)}`,
    console: () => '"Unassign" on the Services page',
  },
  /** The argument is "SERVICE ADDRESS:PORT". */
  'listener-remove': {
    cli: (arg) => `"gatehouse service unconfigure ${arg.replace(' ', ' --listen ')}"`,
    api: (arg) => `DELETE ${API}/services/${arg.split(' ')[0] ?? ''}/listeners?listen=${encodeURIComponent(arg.split(' ')[1] ?? '')}`,
    console: () => '"Remove Listener" on the Services page',
  },
  'user-list': fixed('"gatehouse user list"', `GET ${API}/users`, 'the Users and API Tokens page'),
  'user-set': { cli: (name) => `"gatehouse user set ${name}"`, api: (name) => `PATCH ${API}/users/${encodeURIComponent(name)}`, console: () => '"Change Role…" or "Set Password…"' },
  'token-list': fixed('"gatehouse token list"', `GET ${API}/tokens`, 'the Users and API Tokens page'),
  'acme-account-list': fixed('"gatehouse acme account list"', `GET ${API}/acme/accounts`, 'the ACME accounts on the server\'s home page'),
  'acme-account-add': fixed('"gatehouse acme account add"', `POST ${API}/acme/accounts`, 'the ACME accounts on the server\'s home page'),
  'acme-account-set': { cli: (name) => `"gatehouse acme account set ${name} --dns SPEC"`, api: (name) => `GET ${API}/acme/accounts/${encodeURIComponent(name)} (its "dnsProvider"; a DNS provider names a key file or a command on the server, so the server's administrator sets it there with the CLI)`, console: () => 'the ACME account\'s DNS provider, which the server\'s administrator sets on the server' },
  'notify-list': fixed('"gatehouse notify list"', `GET ${API}/notifications`, 'the notification targets setting of the server'),
  'serve-status': fixed('"gatehouse serve status"', `GET ${API}/server/processes`, 'the server\'s home page'),
  'token-create': fixed('"gatehouse token create --user NAME"', `POST ${API}/tokens`, 'the Users and API Tokens page'),
  'request-cancel': { cli: (id) => `"gatehouse request cancel ${id}"`, api: (id) => `DELETE ${API}/requests/${id}`, console: () => '"Cancel Request" on the Requests page' },
  'cert-renew': { cli: (ref) => `"gatehouse cert renew ${ref}"`, api: (ref) => `POST ${API}/certificates/${ref}/renew`, console: () => '"Renew…" on the Server Certificates page' },
  'renewal-history': { cli: (ref) => `"gatehouse renewal history ${ref}"`, api: (ref) => `GET ${API}/certificates/${ref}/renewals`, console: () => 'the certificate\'s renewal history' },
} as const satisfies Record<string, ActionWords>;

function fixed(cli: string, api: string, console: string): ActionWords {
  return { cli: () => cli, api: () => api, console: () => console };
}

function jsonList(commaSeparated: string): string {
  return `[${commaSeparated.split(',').map((s) => `"${s}"`).join(', ')}]`;
}

export type OptionName = keyof typeof OPTIONS;
export type ActionName = keyof typeof ACTIONS;

/** A reference to an option in a message: `${opt('force')}`. */
export function opt(name: OptionName): string {
  return `{opt:${name}}`;
}

/** A reference to an action in a message: `${act('cert-list')}`, `${act('service-assign', 'smtp')}`. */
export function act(name: ActionName, arg?: string): string {
  return arg === undefined ? `{act:${name}}` : `{act:${name}:${arg}}`;
}

const MARKUP = /\{(opt|act):([a-z-]+)(?::([^{}]*))?\}/g;

/** The text for one face: every known reference rendered; anything else (a user's own braces) is left as it is. */
export function worded(text: string, face: Face): string {
  return text.replace(MARKUP, (whole, kind: string, name: string, arg: string | undefined) => {
    if (kind === 'opt' && Object.hasOwn(OPTIONS, name)) return OPTIONS[name as OptionName][face];
    if (kind === 'act' && Object.hasOwn(ACTIONS, name)) return ACTIONS[name as ActionName][face](arg ?? '');
    return whole;
  });
}

/**
 * An answer with `warnings` (a binding change, an import, an assignment, a listener) with them
 * worded for the face; anything else as it is. Both faces that answer JSON (the CLI's --json and
 * the admin API) pass their answers through this.
 */
export function withWordedWarnings<T>(value: T, face: Face): T {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const warnings = (value as { warnings?: unknown }).warnings;
  if (!Array.isArray(warnings)) return value;
  return { ...value, warnings: warnings.map((w) => (typeof w === 'string' ? worded(w, face) : w)) };
}

/** The text for the reference docs (docs/errors.md): each reference as the CLI, the API and the console say it. */
export function wordedForDocs(text: string): string {
  return text.replace(MARKUP, (whole) => {
    const sample = (face: Face) => worded(whole, face);
    if (sample('cli') === whole) return whole;
    return `${sample('cli')} (API: ${sample('api')}; console: ${sample('console')})`;
  });
}
