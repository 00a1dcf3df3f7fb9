import { fail } from './gatehouse-error.js';

/** The services a certificate is assigned to, as Exchange's "Assign Services to Certificate" lists them (IIS is `https`). */
export const SERVICES = ['smtp', 'imap', 'pop', 'https'] as const;
export type ServiceName = (typeof SERVICES)[number];
export const MAIL_SERVICES = ['smtp', 'imap', 'pop'] as const;
export type MailService = (typeof MAIL_SERVICES)[number];

/** How a mail listener speaks TLS: upgrade in the protocol (STARTTLS/STLS) or TLS from the first byte. */
export type MailTlsMode = 'starttls' | 'tls';

/** How the client's address reaches the backend: not at all (it is logged), Postfix's XCLIENT, or Dovecot's ID (IMAP) / XCLIENT (POP). */
export type ClientAddressForwarding = 'off' | 'xclient';

/**
 * A mail listener: TLS for SMTP, IMAP or POP on a local address and port, in front of the mail
 * server that already runs (the backend). `(ip, port)` is unique on the server, across web bindings too.
 */
export interface MailListener {
  service: MailService;
  /** An address of this machine, or `*` for all. */
  ip: string;
  port: number;
  mode: MailTlsMode;
  /** No AUTH/LOGIN/USER/MAIL before TLS (STARTTLS mode). */
  requireTls: boolean;
  backendHost: string;
  backendPort: number;
  clientAddress: ClientAddressForwarding;
  /** The name clients use for this listener (mail.contoso.com): the greeting's name and what the certificate should cover. */
  hostName: string;
  /** Open sessions this listener accepts at once; more are turned away with the protocol's busy answer. */
  maxConnections: number;
  /** A session idle this long is closed. */
  idleTimeoutSeconds: number;
  created: string;
}

export function parseService(value: string, allowed: readonly string[] = SERVICES): ServiceName {
  const v = value.trim().toLowerCase();
  const alias: Record<string, string> = { iis: 'https', pop3: 'pop', web: 'https' };
  const s = alias[v] ?? v;
  if (!allowed.includes(s)) throw fail('GH_SERVICE_INVALID', `"${value}" is not a service here; use ${allowed.join(', ')}.`);
  return s as ServiceName;
}

/** `smtp,imap` or repeated flags → distinct services in the order given. */
export function parseServices(values: readonly string[]): ServiceName[] {
  const out = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '').map((v) => parseService(v));
  if (out.length === 0) throw fail('GH_SERVICE_INVALID', `Name at least one service: ${SERVICES.join(', ')}.`);
  return [...new Set(out)];
}

/** The usual implicit-TLS ports (SMTPS 465, IMAPS 993, POP3S 995); everything else defaults to STARTTLS. */
export function defaultMode(port: number): MailTlsMode {
  return port === 465 || port === 993 || port === 995 ? 'tls' : 'starttls';
}
