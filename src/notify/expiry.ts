import type { Certificate } from '../model/certificate.js';
import { EXPIRY_NOTICE_DAYS, type NotificationEvent } from '../model/notification.js';
import type { Notifier } from './notifier.js';

/** Which certificates are due a notice, and remembering that one went out: lifecycle's NotificationManager. */
export interface ExpirySource {
  expiryCandidates(now: Date): Certificate[];
  markExpiryNotified(thumbprint: string, at: Date): void;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** How often `serve`'s supervisor looks for certificates that are running out. */
export const EXPIRY_CHECK_MS = 60 * 60 * 1000;

/**
 * The expiry check: a `certificate-expiring` notification for every certificate within
 * EXPIRY_NOTICE_DAYS of its end with no successful renewal, at most once a day per certificate.
 * A notice counts as sent when at least one target took it; otherwise the next check tries again.
 */
export class ExpiryNotices {
  constructor(
    private readonly source: ExpirySource,
    private readonly notifier: Notifier,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** Sends the notices due at `now`; resolves to the thumbprints noticed. Never throws. */
  async checkExpiring(now: Date): Promise<string[]> {
    let due: Certificate[];
    try {
      due = this.source.expiryCandidates(now);
    } catch (e) {
      this.log(`notify: the expiry check could not read the certificates: ${(e as Error).message}`);
      return [];
    }
    const noticed: string[] = [];
    for (const c of due) {
      const days = Math.max(0, Math.floor((Date.parse(c.notAfter) - now.getTime()) / DAY_MS));
      const event: NotificationEvent = {
        kind: 'certificate-expiring',
        at: now.toISOString(),
        certificate: { thumbprint: c.thumbprint, friendlyName: c.friendlyName, notAfter: c.notAfter },
        detail: `The certificate "${c.friendlyName}" (${c.thumbprint}) in the ${c.store} store expires on ${c.notAfter}, in ${days} day(s), ` +
          `and has not been renewed: renew it and bind the new certificate before then (within ${EXPIRY_NOTICE_DAYS} days of its end, this notice comes once a day).`,
      };
      const outcomes = await this.notifier.notify(event);
      if (!outcomes.some((o) => o.ok)) continue;
      try {
        this.source.markExpiryNotified(c.thumbprint, now);
        noticed.push(c.thumbprint);
      } catch (e) {
        this.log(`notify: could not remember the expiry notice of ${c.thumbprint}: ${(e as Error).message}`);
      }
    }
    if (noticed.length > 0) this.log(`notify: sent the expiry notice of ${noticed.length} certificate(s)`);
    return noticed;
  }

  /** Checks now and then every `everyMs` (unref'd: it never keeps the process alive); returns the stop function. */
  start(clock: () => Date, everyMs = EXPIRY_CHECK_MS): () => void {
    let busy = false;
    const tick = () => {
      if (busy) return;
      busy = true;
      void this.checkExpiring(clock()).finally(() => (busy = false));
    };
    const first = setTimeout(tick, 0);
    first.unref();
    const timer = setInterval(tick, everyMs);
    timer.unref();
    return () => {
      clearTimeout(first);
      clearInterval(timer);
    };
  }
}
