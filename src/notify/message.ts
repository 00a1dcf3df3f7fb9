import { hostname } from 'node:os';
import type { NotificationEvent } from '../model/notification.js';
import type { MailMessage } from './email.js';

/** What a webhook receives: the event as it is, and the server it comes from. */
export function webhookPayload(event: NotificationEvent): NotificationEvent & { server: string } {
  return { ...event, server: hostname() };
}

/** The e-mail for an event: a subject naming the certificate, and a plain-text body with every field. */
export function mailMessage(event: NotificationEvent): MailMessage {
  const c = event.certificate;
  const named = c ? `"${c.friendlyName}"` : '';
  const subject = {
    'renewal-rolled-back': `Renewal of certificate ${named} rolled back`,
    'renewal-failed': `Renewal of certificate ${named} failed`,
    'certificate-expiring': `Certificate ${named} expires ${c ? `on ${c.notAfter.slice(0, 10)}` : 'soon'}`,
    'certificate-revoked': `Certificate ${named} was REVOKED by its CA`,
    test: 'Test notification',
  }[event.kind];
  const lines = [
    event.detail,
    '',
    `Event:       ${event.kind}`,
    `At:          ${event.at}`,
    `Server:      ${hostname()}`,
    ...(c ? [`Certificate: ${c.friendlyName}`, `Thumbprint:  ${c.thumbprint}`, `Expires:     ${c.notAfter}`] : []),
    '',
    '-- Gatehouse',
  ];
  return { subject: `[Gatehouse ${hostname()}] ${subject.replace(/\s+/g, ' ').trim()}`, text: `${lines.join('\n')}\n` };
}
