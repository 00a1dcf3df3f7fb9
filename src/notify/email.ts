import { hostname } from 'node:os';
import { fail } from '../model/gatehouse-error.js';
import type { EmailSettings } from '../model/notification.js';

export interface MailMessage {
  subject: string;
  text: string;
}

/** How long the SMTP dialog may take: connecting, the greeting, and any silence afterwards. */
const SMTP_TIMEOUT_MS = 15_000;

/**
 * Sends one message through the target's SMTP server with nodemailer: STARTTLS required
 * (`starttls`), TLS from the first byte (`implicit`, port 465's way) or plain text (`none`, for a
 * relay on the same machine); AUTH with the user and the sealed password when they are set. The
 * server's certificate is verified against the system's trusted roots. Throws GH_NOTIFY_FAILED.
 */
export async function sendEmail(name: string, settings: EmailSettings, password: string | undefined, message: MailMessage): Promise<void> {
  // nodemailer is loaded by what sends mail, never by every command.
  const { createTransport } = await import('nodemailer');
  const transport = createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.tls === 'implicit',
    requireTLS: settings.tls === 'starttls',
    ignoreTLS: settings.tls === 'none',
    name: hostname(),
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
    ...(settings.user !== undefined && password !== undefined ? { auth: { user: settings.user, pass: password } } : {}),
  });
  try {
    await transport.sendMail({ from: settings.from, to: settings.to, subject: message.subject, text: message.text });
  } catch (e) {
    const err = e as Error & { code?: string; responseCode?: number };
    const why = err.code === 'EAUTH' ? `it refused the SMTP user "${settings.user ?? ''}" and password (${err.message})`
      : err.code === 'ETLS' || /STARTTLS/i.test(err.message) ? `TLS could not be set up (${err.message}); check the TLS mode`
        : err.message;
    throw fail('GH_NOTIFY_FAILED', `The e-mail target "${name}" could not send through ${settings.host}:${settings.port}: ${why}. ` +
      'Check the SMTP server, its port and TLS mode, and the sender and recipient addresses.');
  } finally {
    transport.close();
  }
}
