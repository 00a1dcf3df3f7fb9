import { GatehouseError } from '../model/gatehouse-error.js';
import type { NotificationEvent, NotificationTargetWithSecret } from '../model/notification.js';
import { sendEmail } from './email.js';
import { mailMessage, webhookPayload } from './message.js';
import { DEFAULT_WEBHOOK_POLICY, sendWebhook, type WebhookPolicy } from './webhook.js';

/** Where the targets come from and where delivery results go: lifecycle's NotificationManager. */
export interface TargetSource {
  targets(): NotificationTargetWithSecret[];
  recordResult(name: string, error: string | undefined): void;
}

/** What one delivery did. */
export interface DeliveryOutcome {
  target: string;
  kind: 'webhook' | 'email';
  ok: boolean;
  /** The GH_ code and message of a failure. */
  code?: string;
  error?: string;
}

/**
 * Sends notifications to every configured target (webhooks and e-mail) at once. `notify` never
 * throws into its caller — a renewal that rolled back must finish rolling back whatever a mail
 * server does: each failure is logged and recorded on its target (`lastError`), and the outcomes
 * are returned. `send` delivers to one target and throws (what `notify test` reports).
 */
export class Notifier {
  constructor(
    private readonly source: TargetSource,
    private readonly log: (line: string) => void = () => undefined,
    private readonly webhookPolicy: WebhookPolicy = DEFAULT_WEBHOOK_POLICY,
  ) {}

  async notify(event: NotificationEvent): Promise<DeliveryOutcome[]> {
    let targets: NotificationTargetWithSecret[];
    try {
      targets = this.source.targets();
    } catch (e) {
      this.log(`notify: could not read the notification targets: ${(e as Error).message}`);
      return [];
    }
    return Promise.all(targets.map(async (t): Promise<DeliveryOutcome> => {
      try {
        await this.send(t, event);
        return { target: t.name, kind: t.kind, ok: true };
      } catch (e) {
        const code = e instanceof GatehouseError ? e.code : 'GH_INTERNAL';
        const error = (e as Error).message;
        this.log(`notify: ${event.kind} not delivered to "${t.name}": ${error} (${code})`);
        return { target: t.name, kind: t.kind, ok: false, code, error };
      }
    }));
  }

  /** Delivers `event` to one target and records the result on it; throws GH_NOTIFY_FAILED. */
  async send(target: NotificationTargetWithSecret, event: NotificationEvent): Promise<void> {
    try {
      if (target.kind === 'webhook') await sendWebhook(target.name, target.settings, target.secret, webhookPayload(event), this.webhookPolicy);
      else await sendEmail(target.name, target.settings, target.secret, mailMessage(event));
    } catch (e) {
      this.#record(target.name, (e as Error).message);
      throw e;
    }
    this.#record(target.name, undefined);
  }

  #record(name: string, error: string | undefined): void {
    try {
      this.source.recordResult(name, error);
    } catch (e) {
      this.log(`notify: could not record the delivery to "${name}": ${(e as Error).message}`);
    }
  }
}
