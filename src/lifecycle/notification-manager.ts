import { hostname } from 'node:os';
import { fail } from '../model/gatehouse-error.js';
import { act } from '../model/wording.js';
import type { Certificate } from '../model/certificate.js';
import {
  type EmailSettings, EXPIRY_NOTICE_DAYS, type NotificationTarget, type NotificationTargetWithSecret, SMTP_TLS_MODES, type SmtpTls, type WebhookSettings,
} from '../model/notification.js';
import type { GatehouseStore, NotifyTargetRow } from '../store/gatehouse-store.js';
import type { CertificateManager } from './certificate-manager.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ADDRESS = /^[^\s@<>",;]+@[^\s@<>",;]+$/;
const SMTP_HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}))$/;

/** What `notify add` (and POST /notifications) asks for: exactly one of `webhook` and `email`. */
export interface NewNotificationTarget {
  name: string;
  webhook?: { url: string; secret?: string | undefined } | undefined;
  email?: {
    to: string[];
    host: string;
    port: number;
    tls?: string | undefined;
    from?: string | undefined;
    user?: string | undefined;
    password?: string | undefined;
  } | undefined;
}

/**
 * Where notifications go (webhooks and e-mail targets) and the bookkeeping of what was sent: each
 * target's last delivery and last failure, and when each certificate's expiry notice last went out.
 * Secrets (a webhook's HMAC key, an SMTP password) are sealed by the store's KeyVault like private
 * keys, and never shown or audited: every face sees `hasSecret` only. Sending is notify/'s work
 * (`Notifier`), which reads `targets()` and reports back through `recordResult`.
 */
export class NotificationManager {
  constructor(
    private readonly store: GatehouseStore,
    private readonly certificates: CertificateManager,
    private readonly clock: () => Date,
  ) {}

  list(): NotificationTarget[] {
    return this.store.notifications.list().map(view);
  }

  show(name: string): NotificationTarget {
    const row = this.store.notifications.get(name);
    if (!row) throw notFound(name);
    return view(row);
  }

  add(input: NewNotificationTarget): NotificationTarget {
    const name = input.name;
    if (!NAME.test(name)) throw invalid(`"${name}" is not a valid target name: use 1 to 64 letters, digits, dots, dashes and underscores, starting with a letter or digit.`);
    const { kind, settings, secret } = checkTarget(input);
    if (this.store.notifications.get(name)) throw fail('GH_NOTIFY_TARGET_EXISTS', `A notification target named "${name}" already exists; remove it first or choose another name (${act('notify-list')} shows them).`);
    const after = { name, kind, settings, hasSecret: secret !== undefined };
    this.store.record(() => ({ action: 'notify.add', target: name, after }), () => {
      if (this.store.notifications.get(name)) throw fail('GH_NOTIFY_TARGET_EXISTS', `A notification target named "${name}" already exists.`);
      this.store.notifications.insert({ name, kind, settings, secret });
    });
    return this.show(name);
  }

  remove(name: string): NotificationTarget {
    const before = this.show(name);
    this.store.record(() => ({ action: 'notify.remove', target: name, before: { name, kind: before.kind, settings: before.settings, hasSecret: before.hasSecret } }),
      () => this.store.notifications.delete(name));
    return before;
  }

  /** Every target with its secret opened, for the senders. Never shown to anyone. */
  targets(): NotificationTargetWithSecret[] {
    return this.store.notifications.list().map((r) => ({ ...view(r), secret: r.hasSecret ? this.store.notifications.secret(r.name) : undefined }));
  }

  /** One target with its secret opened (`notify test`). */
  target(name: string): NotificationTargetWithSecret {
    const t = this.show(name);
    return { ...t, secret: t.hasSecret ? this.store.notifications.secret(name) : undefined };
  }

  /** What a delivery did: `error` undefined for a success. A target removed meanwhile is ignored. */
  recordResult(name: string, error: string | undefined): void {
    this.store.notifications.result(name, this.clock().toISOString(), error);
  }

  /**
   * Certificates due an expiry notice at `now`: in the Web Hosting or Personal store, not yet
   * expired, ending within EXPIRY_NOTICE_DAYS, not renewed (`renewed` says which were — the renewal
   * manager's "replaced by" mark once it exists), and not noticed in the last 24 hours.
   */
  expiryCandidates(now: Date, renewed: (thumbprint: string) => boolean = () => false): Certificate[] {
    const t = now.getTime();
    return this.certificates.list({ expiringDays: EXPIRY_NOTICE_DAYS })
      .filter((c) => c.store !== 'root' && Date.parse(c.notAfter) > t && !renewed(c.thumbprint))
      .filter((c) => {
        const sent = this.store.notifications.expirySent(c.thumbprint);
        return sent === undefined || t - Date.parse(sent) >= DAY_MS;
      });
  }

  markExpiryNotified(thumbprint: string, at: Date): void {
    this.store.notifications.markExpirySent(thumbprint, at.toISOString());
  }
}

function checkTarget(input: NewNotificationTarget): { kind: 'webhook' | 'email'; settings: WebhookSettings | EmailSettings; secret: string | undefined } {
  if ((input.webhook === undefined) === (input.email === undefined)) throw invalid('A notification target is either a webhook (a URL) or an e-mail target (recipients and an SMTP server): give exactly one of them.');
  if (input.webhook) {
    let url: URL;
    try {
      url = new URL(input.webhook.url);
    } catch {
      throw invalid(`"${input.webhook.url}" is not a URL; a webhook takes an http:// or https:// URL.`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`A webhook takes an http:// or https:// URL; got ${url.protocol} in "${input.webhook.url}".`);
    if (url.username !== '' || url.password !== '') throw invalid('A webhook URL must not carry a user name or password (they would be shown wherever the target is listed); use a shared secret to sign the requests instead.');
    const secret = nonEmptySecret(input.webhook.secret, 'The webhook secret');
    return { kind: 'webhook', settings: { url: url.toString() }, secret };
  }
  const e = input.email!;
  const to = e.to.map((a) => a.trim()).filter((a) => a !== '');
  if (to.length === 0) throw invalid('An e-mail target needs at least one recipient address.');
  for (const a of to) if (!ADDRESS.test(a)) throw invalid(`"${a}" is not an e-mail address.`);
  if (!SMTP_HOST.test(e.host)) throw invalid(`"${e.host}" is not an SMTP server host name or address.`);
  if (!Number.isInteger(e.port) || e.port < 1 || e.port > 65535) throw invalid(`The SMTP port must be a number from 1 to 65535; got ${e.port}.`);
  const tls = (e.tls ?? (e.port === 465 ? 'implicit' : 'starttls')) as SmtpTls;
  if (!SMTP_TLS_MODES.includes(tls)) throw invalid(`The SMTP TLS mode is one of ${SMTP_TLS_MODES.join(', ')}; got "${e.tls}".`);
  const from = e.from ?? `gatehouse@${hostname()}`;
  if (!ADDRESS.test(from)) throw invalid(`"${from}" is not an e-mail address for the sender.`);
  const password = nonEmptySecret(e.password, 'The SMTP password');
  if (password !== undefined && (e.user === undefined || e.user === '')) throw invalid('An SMTP password needs the SMTP user it belongs to.');
  if (e.user !== undefined && password === undefined) throw invalid(`The SMTP user "${e.user}" needs a password.`);
  const settings: EmailSettings = { to, from, host: e.host.replace(/^\[(.*)\]$/, '$1'), port: e.port, tls, ...(e.user ? { user: e.user } : {}) };
  return { kind: 'email', settings, secret: password };
}

function nonEmptySecret(secret: string | undefined, what: string): string | undefined {
  if (secret === undefined) return undefined;
  const s = secret.replace(/\r?\n$/, '');
  if (s === '') throw invalid(`${what} is empty.`);
  if (s.length > 4096) throw invalid(`${what} is longer than 4096 characters.`);
  return s;
}

function view(r: NotifyTargetRow): NotificationTarget {
  const base = { name: r.name, created: r.created, hasSecret: r.hasSecret, lastSent: r.lastSent, lastError: r.lastError, lastErrorAt: r.lastErrorAt };
  return r.kind === 'webhook'
    ? { ...base, kind: 'webhook', settings: JSON.parse(r.settings) as WebhookSettings }
    : { ...base, kind: 'email', settings: JSON.parse(r.settings) as EmailSettings };
}

function invalid(message: string) {
  return fail('GH_NOTIFY_TARGET_INVALID', message);
}

function notFound(name: string) {
  return fail('GH_NOTIFY_TARGET_NOT_FOUND', `No notification target is named "${name}"; ${act('notify-list')} shows them.`);
}
