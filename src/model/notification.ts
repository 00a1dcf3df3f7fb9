/** What a notification is about. */
export type NotificationKind = 'renewal-rolled-back' | 'renewal-failed' | 'certificate-expiring' | 'certificate-revoked' | 'test';

/** One notification: sent as JSON to every webhook and as an e-mail to every mail target. */
export interface NotificationEvent {
  kind: NotificationKind;
  /** ISO time it happened. */
  at: string;
  certificate?: { thumbprint: string; friendlyName: string; notAfter: string };
  /** One or more sentences for a person: what happened and what to do. */
  detail: string;
}

/** How an e-mail target talks to its SMTP server: STARTTLS (required), TLS from the first byte, or plain text. */
export type SmtpTls = 'starttls' | 'implicit' | 'none';
export const SMTP_TLS_MODES: readonly SmtpTls[] = ['starttls', 'implicit', 'none'];

export interface WebhookSettings {
  url: string;
}

export interface EmailSettings {
  to: string[];
  from: string;
  host: string;
  port: number;
  tls: SmtpTls;
  /** The SMTP user; its password is the target's secret. */
  user?: string;
}

/** A configured target as every face shows it: never its secret, only whether it has one. */
export type NotificationTarget = {
  name: string;
  created: string;
  hasSecret: boolean;
  /** When it last took a notification, and the last failure (cleared by the next success). */
  lastSent: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
} & ({ kind: 'webhook'; settings: WebhookSettings } | { kind: 'email'; settings: EmailSettings });

/** A target with its secret opened: what the senders need (a webhook's HMAC key, the SMTP password). Never shown. */
export type NotificationTargetWithSecret = NotificationTarget & { secret: string | undefined };

/** A certificate within this many days of its end, with no successful renewal, is a `certificate-expiring` notification. */
export const EXPIRY_NOTICE_DAYS = 14;
