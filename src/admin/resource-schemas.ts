import { Type } from 'typebox';
import { ROLES } from '../model/role.js';

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
  status: Type.String(),
  created: Type.String({ format: 'date-time' }),
}, open);

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
  logFormat: Type.String({ enum: ['w3c', 'combined'] }),
  created: Type.String(),
  bindings: Type.Optional(Type.Array(BindingSchema)),
}, open);

export const BindingResultSchema = Type.Object({
  binding: BindingSchema,
  warnings: Type.Array(Type.String()),
  affected: Type.Array(Type.Object({}, open)),
}, open);

export const UserSchema = Type.Object({
  name: Type.String(), role: Type.String({ enum: [...ROLES] }), created: Type.String(), updated: Type.String(),
}, open);

export const TokenSchema = Type.Object({
  id: Type.String(), user: Type.String(), description: Type.String(), created: Type.String(), expires: nullable(Type.String()), lastUsed: nullable(Type.String()),
}, open);

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
