import { Type } from 'typebox';
import { PERMISSIONS, ROLES } from '../model/role.js';
import { MAIL_SERVICES, SERVICES } from '../model/service.js';

/**
 * The objects the admin API answers with, in the CLI's `--json` vocabulary (camelCase). They make
 * the OpenAPI document; answers may carry more fields than listed (additionalProperties) so a field
 * added to the core is never silently dropped on its way out.
 */
const open = { additionalProperties: true };
const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const CertificateSchema = Type.Object({
  thumbprint: Type.String({ description: 'SHA-1 of the DER, upper-case hex (what IIS and Windows show)' }),
  friendlyName: Type.String(),
  store: Type.String({ enum: ['webhosting', 'personal', 'root'] }),
  subject: Type.String(),
  issuer: Type.String(),
  issuedTo: Type.String(),
  issuedBy: Type.String(),
  sans: Type.Array(Type.String()),
  notBefore: Type.String({ format: 'date-time' }),
  notAfter: Type.String({ format: 'date-time' }),
  keyType: Type.String(),
  hasPrivateKey: Type.Boolean(),
  exportable: Type.Boolean(),
  serialNumber: Type.String(),
  chainComplete: Type.Boolean({ description: 'the chain reaches a root trusted here (the system\'s trust store, Trusted Root Certification Authorities or the internal CA)' }),
  chainMissing: nullable(Type.Object({
    kind: Type.String({ enum: ['issuer', 'untrusted-root'], description: 'issuer: the certificate of an issuer is not here; untrusted-root: the chain ends at a root not trusted here' }),
    name: Type.String({ description: 'the subject of the missing issuer or of the untrusted root' }),
  }, open)),
  status: Type.String({ enum: ['valid', 'expiring', 'expired', 'chain-incomplete'] }),
  chain: Type.Array(Type.Object({ thumbprint: Type.String(), subject: Type.String(), issuer: Type.String(), notAfter: Type.String() }, open)),
  created: Type.String({ format: 'date-time' }),
}, open);

const CertificateFieldsSchema = Type.Object({
  version: Type.Integer(),
  serialNumber: Type.String(),
  signatureAlgorithm: Type.String({ description: 'as Windows names it: sha256RSA, sha256ECDSA, RSASSA-PSS' }),
  thumbprintSha1: Type.String(),
  thumbprintSha256: Type.String(),
  subject: Type.String(),
  issuer: Type.String(),
  notBefore: Type.String({ format: 'date-time' }),
  notAfter: Type.String({ format: 'date-time' }),
  publicKey: Type.String({ description: 'e.g. RSA (2048 bits), ECC (256 bits, P-256)' }),
  sans: Type.Array(Type.String()),
  keyUsage: Type.Array(Type.String()),
  extendedKeyUsage: Type.Array(Type.String()),
  basicConstraints: Type.String(),
  subjectKeyIdentifier: Type.Optional(Type.String()),
  authorityKeyIdentifier: Type.Optional(Type.String()),
}, open);

const PathLinkSchema = Type.Object({
  thumbprint: nullable(Type.String()),
  subject: Type.String(),
  issuedTo: Type.String(),
  issuer: Type.String(),
  notBefore: nullable(Type.String({ format: 'date-time' })),
  notAfter: nullable(Type.String({ format: 'date-time' })),
  role: Type.String({ enum: ['leaf', 'intermediate', 'root', 'missing'] }),
  status: Type.String({ enum: ['ok', 'expired', 'not-yet-valid', 'trusted-root', 'untrusted-root', 'missing'] }),
  anchor: Type.Optional(Type.String({ enum: ['internal-ca', 'system'] })),
}, open);

/** View…: the certificate with its Details fields and its certification path (leaf first, root or missing issuer last). */
export const CertificateDetailsSchema = Type.Intersect([CertificateSchema, Type.Object({ fields: CertificateFieldsSchema, path: Type.Array(PathLinkSchema) }, open)]);

export const PendingRequestSchema = Type.Object({
  id: Type.Integer(),
  subject: Type.String(),
  cn: Type.String(),
  sans: Type.Array(Type.String()),
  keyType: Type.String(),
  exportable: Type.Boolean(),
  friendlyName: nullable(Type.String({ description: 'the name the certificate gets at completion; null: the default name' })),
  created: Type.String({ format: 'date-time' }),
  csr: Type.Optional(Type.String({ description: 'the PKCS#10 request, PEM' })),
}, open);

export const AcmeAccountSchema = Type.Object({
  name: Type.String(),
  directory: Type.String({ description: "the CA's ACME directory URL" }),
  email: Type.String(),
  accountUrl: Type.String({ description: 'the account URL at the CA (the JWS key id)' }),
  directoryCa: Type.Boolean({ description: "whether the directory's HTTPS is checked against a CA given at creation rather than the system's roots" }),
  eabKid: nullable(Type.String({ description: 'the External Account Binding key id; the HMAC key is never stored' })),
  dnsProvider: nullable(Type.String({ description: 'the default DNS-01 provider: rfc2136:server=…,key-file=FILE (the TSIG key file is read at each issuance; the secret is never stored) or hook:COMMAND' })),
  status: Type.String(),
  created: Type.String({ format: 'date-time' }),
}, open);

export const AcmeAccountRemovedSchema = Type.Object({ name: Type.String(), removed: Type.Literal(true), nowManual: Type.Array(Type.String(), { description: 'thumbprints of the certificates it issued, manual from now on' }) }, open);

export const CaSchema = Type.Object({
  thumbprint: Type.String(), subject: Type.String(), notBefore: Type.String(), notAfter: Type.String(), keyType: Type.String(), created: Type.String(),
}, open);

export const BindingSchema = Type.Object({
  site: Type.String(),
  protocol: Type.String({ enum: ['http', 'https'] }),
  ip: Type.String({ description: 'an address, or * for All Unassigned' }),
  port: Type.Integer(),
  host: Type.String({ description: 'empty for a binding without a host name' }),
  sni: Type.Boolean({ description: 'Require Server Name Indication' }),
  certificate: nullable(Type.String({ description: 'thumbprint' })),
}, open);

export const SiteSchema = Type.Object({
  name: Type.String(),
  state: Type.String({ enum: ['started', 'stopped'] }),
  content: Type.Object({ kind: Type.String({ enum: ['static', 'proxy'] }), root: Type.Optional(Type.String()), upstream: Type.Optional(Type.String()) }, open),
  httpsRedirect: Type.Boolean(),
  hsts: Type.Boolean(),
  logFormat: Type.String({ enum: ['w3c', 'combined', 'off'] }),
  created: Type.String(),
  bindings: Type.Optional(Type.Array(BindingSchema)),
}, open);

/** Another site whose clients a (forced) change reaches: by which binding, and what they get before and after. */
export const ReachedSiteSchema = Type.Object({
  site: Type.String({ description: 'the other site: whose clients these are now, or the site they would reach' }),
  binding: Type.String({ description: "that site's binding the clients come by" }),
  protocol: Type.String({ enum: ['http', 'https'] }),
  address: Type.String({ description: 'the local address they connect to; * for an address with no binding of its own on the port' }),
  port: Type.Integer(),
  hosts: Type.Array(Type.String(), { description: "the host names they ask for; '' for none" }),
  before: nullable(Type.String({ description: 'the certificate (thumbprint) they get now; null: the handshake is refused (or plain http)' })),
  after: nullable(Type.String({ description: 'the certificate (thumbprint) they would get after' })),
  beforeSite: nullable(Type.String({ description: 'the site they reach now; null: 400 Bad Request' })),
  afterSite: nullable(Type.String()),
  text: Type.String({ description: 'the same, said in a sentence' }),
}, open);

export const BindingResultSchema = Type.Object({
  binding: BindingSchema,
  warnings: Type.Array(Type.String()),
  affected: Type.Array(ReachedSiteSchema),
}, open);

/** Which certificate and site a client gets (bindings explain). */
export const ExplanationSchema = Type.Object({
  listening: Type.Boolean({ description: 'whether a binding of a started site listens on that address and port' }),
  certificate: nullable(Type.Object({ thumbprint: Type.String(), friendlyName: Type.String() }, open)),
  rule: Type.String({ enum: ['sni-exact', 'sni-wildcard', 'ip-port', 'all-unassigned', 'https-default', 'none'] }),
  ruleText: Type.String(),
  tlsBinding: nullable(Type.String({ description: 'the binding whose certificate the handshake gets' })),
  site: nullable(Type.String({ description: 'the site that answers; null: 400 Bad Request' })),
  routeRule: Type.Union([Type.Literal('host-exact'), Type.Literal('host-wildcard'), Type.Literal('catch-all'), Type.Null()], { description: 'how the Host header chose the site; null: no site' }),
  routeBinding: nullable(Type.String()),
}, open);

export const SiteRemovedSchema = Type.Object({
  name: Type.String(), removed: Type.Literal(true), bindings: Type.Integer({ description: 'how many bindings went with it' }), affected: Type.Array(ReachedSiteSchema),
}, open);

export const MailListenerSchema = Type.Object({
  service: Type.String({ enum: [...MAIL_SERVICES] }),
  ip: Type.String({ description: 'an address of this machine, or * for all' }),
  port: Type.Integer(),
  mode: Type.String({ enum: ['starttls', 'tls'] }),
  requireTls: Type.Boolean(),
  backendHost: Type.String(),
  backendPort: Type.Integer(),
  clientAddress: Type.String({ enum: ['off', 'xclient'] }),
  hostName: Type.String({ description: "the name clients use for this listener; '' for none" }),
  maxConnections: Type.Integer(),
  idleTimeoutSeconds: Type.Integer(),
  created: Type.String({ format: 'date-time' }),
}, open);

export const ServiceSchema = Type.Object({
  service: Type.String({ enum: [...SERVICES] }),
  certificate: nullable(Type.Object({
    thumbprint: Type.String(), friendlyName: Type.String(), notAfter: Type.String({ format: 'date-time' }),
    status: Type.String({ enum: ['valid', 'expiring', 'expired', 'chain-incomplete'] }),
  }, open)),
  listeners: Type.Array(MailListenerSchema),
}, open);

export const AssignResultSchema = Type.Object({
  certificate: Type.Object({ thumbprint: Type.String(), friendlyName: Type.String() }, open),
  services: Type.Array(Type.String({ enum: [...SERVICES] })),
  replaced: Type.Array(Type.Object({ service: Type.String({ enum: [...SERVICES] }), thumbprint: Type.String(), friendlyName: Type.String() }, open), { description: 'services whose previous certificate this replaced' }),
  site: nullable(Type.String({ description: 'with https: the default web site whose https bindings now carry the certificate' })),
  bindings: Type.Array(BindingSchema, { description: 'the bindings whose certificate this changed, as they are now' }),
  affected: Type.Array(ReachedSiteSchema),
  warnings: Type.Array(Type.String()),
}, open);

export const UnassignResultSchema = Type.Object({
  services: Type.Array(Type.String({ enum: [...SERVICES] })),
  unassigned: Type.Array(Type.Object({ service: Type.String({ enum: [...SERVICES] }), thumbprint: Type.String() }, open), { description: 'the services that had a certificate, and which' }),
}, open);

export const ListenerResultSchema = Type.Object({
  listener: MailListenerSchema,
  replaced: nullable(MailListenerSchema),
  warnings: Type.Array(Type.String()),
}, open);

export const ListenerRemovedSchema = Type.Object({
  service: Type.String({ enum: [...MAIL_SERVICES] }), listen: Type.String({ description: 'ADDRESS:PORT' }), removed: Type.Literal(true),
}, open);

export const CertificateRemovedSchema = Type.Object({
  thumbprint: Type.String(), friendlyName: Type.String(), removed: Type.Literal(true),
  bindingsRemoved: Type.Array(Type.String(), { description: 'the bindings that used it (force=true), as text' }),
  servicesUnassigned: Type.Array(Type.String({ enum: [...SERVICES] })),
}, open);

export const RequestCancelledSchema = Type.Object({ id: Type.Integer(), cancelled: Type.Literal(true) }, open);

export const ServerSchema = Type.Object({
  name: Type.String({ description: "the machine's host name" }),
  addresses: Type.Array(Type.String(), { description: "the machine's addresses (the Bindings dialog's IP list)" }),
  hostNames: Type.Array(Type.String(), { description: 'the host names the bindings use (by name; the first hostNames=N when asked so)' }),
  hostNameCount: Type.Optional(Type.Integer({ description: 'how many host names the bindings use in all (when hostNames=N asks for some)' })),
  services: Type.Object({ https: nullable(Type.String({ description: "the thumbprint of the server's default HTTPS certificate" })) }, open),
}, open);

export const FarmNodeSchema = Type.Object({
  id: Type.String({ description: 'host:pid of the serve supervisor (or single serving process)' }),
  host: Type.String(), pid: Type.Integer(),
  version: Type.String({ description: 'the Gatehouse version it runs (empty: a serve that did not say)' }),
  admin: nullable(Type.String({ description: 'where its admin endpoint listens; null: none' })),
  listeners: Type.Array(Type.String(), { description: 'what its serving processes listen on, as "protocol ip:port"' }),
  started: Type.String(), seen: Type.String({ description: 'its last report (its own, or one of its serving processes\')' }),
  stopped: nullable(Type.String({ description: 'when it stopped cleanly' })),
  state: Type.String({ enum: ['live', 'stale', 'stopped'], description: 'live: reported within 15 s; stale: silent since (or its pid is gone on this host); stopped: it said it stopped' }),
  revision: nullable(Type.Integer({ description: 'the revision it serves (the lowest of its live serving processes\'); null: none is live' })),
  processes: Type.Integer({ description: 'its live serving processes' }),
  lag: Type.Object({
    revisions: nullable(Type.Integer({ description: "the store's revision minus the one it serves" })),
    seconds: Type.Integer({ description: 'seconds since its last report' }),
  }, open),
}, open);

export const FarmSchema = Type.Object({
  revision: Type.Integer({ description: "the store's revision" }),
  nodes: Type.Array(FarmNodeSchema),
}, open);

export const UserSchema = Type.Object({
  name: Type.String(), role: Type.String({ enum: [...ROLES] }), created: Type.String(), updated: Type.String(),
}, open);

export const TokenSchema = Type.Object({
  id: Type.String(), user: Type.String(), description: Type.String(), created: Type.String(), expires: nullable(Type.String()), lastUsed: nullable(Type.String()),
}, open);

export const UserRemovedSchema = Type.Object({ name: Type.String(), removed: Type.Literal(true), tokensRevoked: Type.Integer() }, open);

export const TokenRevokedSchema = Type.Object({ id: Type.String(), revoked: Type.Literal(true) }, open);

export const RolesSchema = Type.Object({
  roles: Type.Array(Type.Object({ role: Type.String({ enum: [...ROLES] }), permissions: Type.Array(Type.String({ enum: Object.keys(PERMISSIONS) })) }, open)),
  permissions: Type.Object(Object.fromEntries(Object.keys(PERMISSIONS).map((p) => [p, Type.String()])), { ...open, description: 'each permission and what it allows' }),
}, open);

export const LoggedOutSchema = Type.Object({ loggedOut: Type.Literal(true) }, open);

export const AuditEntrySchema = Type.Object({
  id: Type.Integer(), at: Type.String(), actor: Type.String(), origin: Type.String(), source: Type.String(), action: Type.String(), target: Type.String(),
  before: Type.Unknown(), after: Type.Unknown(),
}, open);

export const SessionSchema = Type.Object({
  user: Type.String(),
  role: Type.String({ enum: [...ROLES] }),
  permissions: Type.Array(Type.String()),
  csrfToken: Type.Optional(Type.String({ description: 'send it back as X-CSRF-Token on every change made with the session cookie' })),
  idleTimeoutSeconds: Type.Optional(Type.Integer()),
}, open);

export const ProblemSchema = Type.Object({
  type: Type.String(), title: Type.String(), status: Type.Integer(), detail: Type.String(), code: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
}, open);
