// The shapes of the admin API's answers that the console reads (see /api/v1/openapi.json).
// Declared here rather than imported: the console is built apart from the server.

export type Permission = 'view' | 'sites.manage' | 'certificates.manage' | 'keys.manage' | 'ca.manage' | 'users.manage';

export interface SessionInfo {
  user: string;
  role: string;
  permissions: Permission[];
  csrfToken?: string;
  idleTimeoutSeconds?: number;
}

export interface ServerInfo {
  name: string;
  addresses: string[];
  /** The host names the bindings use: none when asked with hostNames=0 (the shell's), the first N with hostNames=N. */
  hostNames: string[];
  /** How many there are in all (when asked with hostNames=N, N > 0). */
  hostNameCount?: number;
  services: { https: string | null } & Record<string, unknown>;
}

export type CertificateStatus = 'valid' | 'expiring' | 'expired' | 'chain-incomplete';

export interface Certificate {
  thumbprint: string;
  friendlyName: string;
  store: 'webhosting' | 'personal' | 'root';
  subject: string;
  issuer: string;
  issuedTo: string;
  issuedBy: string;
  sans: string[];
  notBefore: string;
  notAfter: string;
  keyType: string;
  hasPrivateKey: boolean;
  exportable: boolean;
  serialNumber: string;
  chainComplete: boolean;
  /** Why the chain stops short of a trusted root: an issuer's certificate missing, or a root not trusted here. */
  chainMissing: { kind: 'issuer' | 'untrusted-root'; name: string } | null;
  chain: Array<{ thumbprint: string; subject: string; issuer: string; notAfter: string }>;
  status: CertificateStatus;
  created: string;
  warnings?: string[];
}

/** GET /certificates/{ref}/details: what View… shows. */
export interface CertificateDetails extends Certificate {
  fields: {
    version: number;
    serialNumber: string;
    signatureAlgorithm: string;
    thumbprintSha1: string;
    thumbprintSha256: string;
    subject: string;
    issuer: string;
    notBefore: string;
    notAfter: string;
    publicKey: string;
    sans: string[];
    keyUsage: string[];
    extendedKeyUsage: string[];
    basicConstraints: string;
    subjectKeyIdentifier?: string;
    authorityKeyIdentifier?: string;
  };
  /** Leaf first; the last link is the root, or the missing issuer. */
  path: PathLink[];
}

export interface PathLink {
  thumbprint: string | null;
  subject: string;
  issuedTo: string;
  issuer: string;
  notBefore: string | null;
  notAfter: string | null;
  role: 'leaf' | 'intermediate' | 'root' | 'missing';
  status: 'ok' | 'expired' | 'not-yet-valid' | 'trusted-root' | 'untrusted-root' | 'missing';
  anchor?: 'internal-ca' | 'system';
}

export interface PendingRequest {
  id: number;
  subject: string;
  cn: string;
  sans: string[];
  keyType: string;
  exportable: boolean;
  friendlyName: string | null;
  created: string;
  csr?: string;
}

export interface InternalCa {
  thumbprint: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  keyType: string;
  created: string;
}

export interface Binding {
  site: string;
  protocol: 'http' | 'https';
  ip: string;
  port: number;
  host: string;
  sni: boolean;
  certificate: string | null;
}

/** Another site whose clients a (forced) change reached, and the sentence that says how. */
export interface ReachedSite {
  site: string;
  text: string;
}

export interface BindingResult {
  binding: Binding;
  warnings: string[];
  affected: ReachedSite[];
}

export interface Site {
  name: string;
  state: 'started' | 'stopped';
  content: { kind: 'static' | 'proxy'; root?: string; upstream?: string };
  httpsRedirect: boolean;
  hsts: boolean;
  logFormat: 'w3c' | 'combined' | 'off';
  created: string;
  bindings?: Binding[];
  /** After a (forced) start or stop: the other sites it reached. */
  affected?: ReachedSite[];
}

export interface User {
  name: string;
  role: string;
  created: string;
  updated: string;
}

export interface ApiToken {
  id: string;
  user: string;
  description: string;
  created: string;
  expires: string | null;
  lastUsed: string | null;
  token?: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  origin: string;
  source: string;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
}

/** Exchange's services: `https` is IIS (the server's default HTTPS certificate). */
export type ServiceName = 'smtp' | 'imap' | 'pop' | 'https';
export type MailServiceName = Exclude<ServiceName, 'https'>;

export interface MailListener {
  service: MailServiceName;
  ip: string;
  port: number;
  mode: 'starttls' | 'tls';
  requireTls: boolean;
  backendHost: string;
  backendPort: number;
  clientAddress: 'off' | 'xclient';
  hostName: string;
  maxConnections: number;
  idleTimeoutSeconds: number;
  created?: string;
}

export interface ServiceView {
  service: ServiceName;
  certificate: Pick<Certificate, 'thumbprint' | 'friendlyName' | 'notAfter' | 'status'> | null;
  listeners: MailListener[];
}

export interface AssignResult {
  certificate: { thumbprint: string; friendlyName: string };
  services: ServiceName[];
  replaced: Array<{ service: ServiceName; thumbprint: string; friendlyName: string }>;
  /** With https (IIS): the default web site whose https bindings got the certificate, or null. */
  site: string | null;
  /** The bindings whose certificate the assignment changed. */
  bindings: Binding[];
  affected: ReachedSite[];
  warnings: string[];
}

export interface ListenerResult {
  listener: MailListener;
  replaced: MailListener | null;
  warnings: string[];
}

export const ROLES = ['organization-management', 'server-management', 'view-only'] as const;

export const KEY_TYPES = ['rsa-2048', 'rsa-3072', 'rsa-4096', 'ecdsa-p256', 'ecdsa-p384'] as const;

/** GET /renewals: a certificate's renewal state (`source`: manual, internal, acme:ACCOUNT). */
export interface RenewalStatus {
  thumbprint: string;
  friendlyName: string;
  notAfter: string;
  source: string;
  nextRenewal: string | null;
  replacedBy: string | null;
  lastAttempt: { renewal: number; started: string; finished: string | null; outcome: string | null; detail: string } | null;
  failedProbe: string | null;
  uses: number;
}

export interface RenewalMove {
  kind: 'binding' | 'service';
  text: string;
}

export interface RenewalProbe {
  endpoint: string;
  ok: boolean;
  served: string | null;
  detail: string;
}

export type RenewalOutcome = 'renewed' | 'rolled-back' | 'failed';

/** GET /certificates/{ref}/renewals: one renewal the certificate took part in. */
export interface Renewal {
  id: number;
  old: string;
  new: string | null;
  source: string;
  started: string;
  finished: string | null;
  outcome: RenewalOutcome | null;
  detail: string;
  moves: RenewalMove[];
  probes: RenewalProbe[] | null;
}

/** POST /certificates/{ref}/renew with run: what the renewal did. */
export interface RenewalReport {
  renewal: number;
  old: { thumbprint: string; friendlyName: string };
  new: { thumbprint: string; friendlyName: string };
  source: string;
  outcome: RenewalOutcome;
  probed: boolean;
  detail: string;
  moves: RenewalMove[];
  probes: RenewalProbe[];
  timings: { appliedMs: number | null; probeMs: number | null };
}

/** POST /certificates/{ref}/renew with dryRun: what would move and be probed. */
export interface RenewalDryRun {
  dryRun: boolean;
  thumbprint: string;
  friendlyName: string;
  source: string;
  moves: RenewalMove[];
  probes: Array<{ endpoint: string }>;
}

export interface AcmeAccount {
  name: string;
  directory: string;
  email: string;
  accountUrl: string;
  directoryCa: boolean;
  eabKid: string | null;
  /** The default DNS-01 provider (rfc2136:… or hook:…; a key file's path, never a secret), set with the CLI. */
  dnsProvider?: string | null;
  status: string;
  created: string;
}

export type ChallengeType = 'http-01' | 'tls-alpn-01' | 'dns-01';

/** GET /notifications: a target, never its secret. */
export interface NotificationTarget {
  name: string;
  kind: 'webhook' | 'email';
  created: string;
  hasSecret: boolean;
  lastSent: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  settings: { url?: string; to?: string[]; from?: string; host?: string; port?: number; tls?: string; user?: string };
}

/** GET /acme/challenges: what issuance accepts now, and the default (null: serve is not running). */
export interface ChallengeChoices {
  default: ChallengeType | null;
  challenges: Array<{ type: ChallengeType; available: boolean; detail: string }>;
}
