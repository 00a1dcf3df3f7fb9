import type { Gatehouse } from '../lifecycle/gatehouse.js';
import type { NotificationEvent } from '../model/notification.js';
import { onRenewalOutcome, type RenewalEvent } from './renewal-transaction.js';

/**
 * The notification a renewal outcome makes: a rollback (`renewal-rolled-back`, with the failing
 * probes' detail) or a failure (`renewal-failed`, with what the source or the move said); a
 * renewal that succeeded makes none. The certificate named is the one that was to be renewed.
 */
export function renewalNotification(g: Gatehouse, event: RenewalEvent): NotificationEvent | undefined {
  if (event.kind === 'renewal-renewed') return undefined;
  const r = event.report;
  const old = g.certificates.find(r.old.thumbprint);
  const notAfter = old?.notAfter ?? '';
  const certificate = { thumbprint: r.old.thumbprint, friendlyName: r.old.friendlyName, notAfter };
  const expires = notAfter ? ` It expires on ${notAfter}.` : '';
  const detail = event.kind === 'renewal-rolled-back'
    ? `The renewal ${r.renewal} of "${r.old.friendlyName}" (${r.old.thumbprint}) from ${r.source} was rolled back: ${r.detail}. ` +
      `Every use is back on "${r.old.friendlyName}"; the new certificate "${r.new.friendlyName}" (${r.new.thumbprint}) is kept, marked failed.${expires} ` +
      'Fix what the probe found (the renewal history lists every probe), then renew again.'
    : `The renewal ${r.renewal} of "${r.old.friendlyName}" (${r.old.thumbprint}) from ${r.source} failed: ${r.detail}. Nothing was moved: ` +
      `"${r.old.friendlyName}" is still in use.${expires} The renewal scheduler tries again after a growing wait; fix the cause or renew by hand.`;
  return { kind: event.kind, at: g.clock().toISOString(), certificate, detail };
}

/**
 * Sends a notification to every configured target for each renewal of this process that rolls back
 * or fails — a command's (`request complete`, `request submit`, `renewal run`), the admin API's and
 * `serve`'s scheduler's alike. Registered once where the process opens its Gatehouse; answers the
 * function that removes it. Delivery failures are logged, never thrown into the renewal.
 */
export function notifyRenewalOutcomes(g: Gatehouse, log: (line: string) => void): () => void {
  return onRenewalOutcome(async (event) => {
    const notification = renewalNotification(g, event);
    if (!notification) return;
    // nodemailer and the senders are loaded only when there is something to send.
    const { Notifier } = await import('../notify/notifier.js');
    await new Notifier(g.notifications, log).notify(notification);
  });
}

/**
 * The expiry notices' filter: true for a certificate a renewal has already replaced (its last
 * renewal as the old certificate committed), so that only certificates with no successful renewal
 * get a `certificate-expiring` notice.
 */
export function renewedAlready(g: Gatehouse): (thumbprint: string) => boolean {
  const latest = g.renewals.latest();
  return (thumbprint) => latest.get(thumbprint)?.outcome === 'renewed';
}

/**
 * What `serve` does when an OCSP responder says a served certificate is revoked: a certificate
 * Gatehouse can renew (internal CA, ACME) is renewed at once through the scheduler — one verified
 * transaction like any other —, and a person is told either way (`certificate-revoked`), since
 * clients that check revocation refuse the certificate until it is replaced.
 */
export async function certificateRevoked(g: Gatehouse, thumbprint: string, renewNow: (thumbprint: string, why: string) => boolean, log: (line: string) => void): Promise<void> {
  const c = g.certificates.find(thumbprint);
  if (!c) return;
  const renewing = renewNow(thumbprint, 'revoked by its CA (OCSP)');
  log(renewing
    ? `renewal: "${c.friendlyName}" was revoked by its CA; renewing it now`
    // words: cli
    : `renewal: "${c.friendlyName}" was revoked by its CA and cannot be renewed here by itself; replace it ("gatehouse cert renew ${c.thumbprint.slice(0, 12)}")`);
  const detail = renewing
    ? `The CA has revoked "${c.friendlyName}" (${c.thumbprint}); its OCSP responder says so. Gatehouse is renewing it now; a further notification follows if that renewal fails or rolls back.`
    : `The CA has revoked "${c.friendlyName}" (${c.thumbprint}); its OCSP responder says so, and clients that check refuse it. It comes from a CA Gatehouse cannot ask by itself: renew it (Renew…), send the request to the CA and complete it.`;
  const { Notifier } = await import('../notify/notifier.js');
  await new Notifier(g.notifications, log).notify({ kind: 'certificate-revoked', at: g.clock().toISOString(), certificate: { thumbprint: c.thumbprint, friendlyName: c.friendlyName, notAfter: c.notAfter }, detail });
}
