import { fail } from '../model/gatehouse-error.js';
import type { NotificationTarget } from '../model/notification.js';
import { type Command, list, str } from './command.js';
import { readPasswordFile } from './files.js';
import { table } from './table.js';

/** `--smtp HOST:PORT` (IPv6 in brackets). */
function smtpAddress(value: string): { host: string; port: number } {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:\s]+):(\d{1,5})$/.exec(value);
  if (!m) throw fail('GH_USAGE', `--smtp takes HOST:PORT, e.g. mail.contoso.com:587 or [::1]:25; got "${value}".`);
  return { host: m[1]!, port: Number(m[2]) };
}

function describeTarget(t: NotificationTarget): string {
  return t.kind === 'webhook'
    ? `webhook ${t.settings.url}${t.hasSecret ? ' (signed)' : ''}`
    : `e-mail to ${t.settings.to.join(', ')} through ${t.settings.host}:${t.settings.port} (${t.settings.tls}${t.settings.user ? `, as ${t.settings.user}` : ''})`;
}

export const notifyCommands: Command[] = [
  {
    noun: 'notify',
    verb: 'add',
    usage: 'gatehouse notify add NAME (--webhook URL [--secret-file FILE] | --email TO --smtp HOST:PORT [--from ADDR] [--smtp-user USER --smtp-password-file FILE] [--smtp-tls starttls|implicit|none])',
    summary: 'Add a notification target: a webhook (JSON POST) or e-mail through an SMTP server. Renewal rollbacks and failures, and certificates within 14 days of their end, are sent to every target.',
    flags: [
      ['--webhook URL', 'POST each notification as JSON to this http:// or https:// URL (tried up to 3 times)'],
      ['--secret-file FILE', 'a shared secret (first line of FILE): each webhook request carries X-Gatehouse-Signature: sha256=HMAC of its body. Stored sealed, never shown'],
      ['--email TO', 'send each notification as e-mail to this address (repeat, or separate with commas, for several)'],
      ['--smtp HOST:PORT', 'the SMTP server that takes the mail'],
      ['--from ADDR', 'the sender address (default gatehouse@ this host name)'],
      ['--smtp-user USER', 'authenticate to the SMTP server as USER'],
      ['--smtp-password-file FILE', "USER's password (first line of FILE). Stored sealed, never shown"],
      ['--smtp-tls MODE', 'starttls (required; the default), implicit (TLS from the first byte; the default for port 465) or none (plain text, for a relay on this machine)'],
    ],
    options: {
      webhook: { type: 'string' }, 'secret-file': { type: 'string' }, email: { type: 'string', multiple: true }, smtp: { type: 'string' }, from: { type: 'string' },
      'smtp-user': { type: 'string' }, 'smtp-password-file': { type: 'string' }, 'smtp-tls': { type: 'string' },
    },
    positionals: { min: 1, max: 1, names: 'the target name' },
    run({ values, positionals, gatehouse, cwd }) {
      const webhook = str(values, 'webhook');
      const to = list(values, 'email');
      if ((webhook === undefined) === (to.length === 0)) throw fail('GH_USAGE', `Give either --webhook URL or --email TO --smtp HOST:PORT. Usage: ${this.usage}`);
      if (webhook !== undefined) {
        for (const f of ['smtp', 'from', 'smtp-user', 'smtp-password-file', 'smtp-tls']) if (values[f] !== undefined) throw fail('GH_USAGE', `--${f} is for e-mail targets, not webhooks. Usage: ${this.usage}`);
      } else if (values['secret-file'] !== undefined) throw fail('GH_USAGE', `--secret-file signs webhooks; an e-mail target takes --smtp-user and --smtp-password-file. Usage: ${this.usage}`);
      const secretFile = str(values, 'secret-file');
      const passwordFile = str(values, 'smtp-password-file');
      const smtp = str(values, 'smtp');
      if (webhook === undefined && smtp === undefined) throw fail('GH_USAGE', `--smtp HOST:PORT is required for an e-mail target. Usage: ${this.usage}`);
      const target = gatehouse().notifications.add({
        name: positionals[0]!,
        webhook: webhook === undefined ? undefined : { url: webhook, secret: secretFile === undefined ? undefined : readPasswordFile(cwd, secretFile) },
        email: webhook !== undefined ? undefined : {
          to, ...smtpAddress(smtp!), tls: str(values, 'smtp-tls'), from: str(values, 'from'), user: str(values, 'smtp-user'),
          password: passwordFile === undefined ? undefined : readPasswordFile(cwd, passwordFile),
        },
      });
      return { json: target, text: `Added the notification target ${target.name}: ${describeTarget(target)}. Try it with "gatehouse notify test ${target.name}".` };
    },
  },
  {
    noun: 'notify',
    verb: 'list',
    usage: 'gatehouse notify list',
    summary: 'List the notification targets, their last delivery and last failure (never a secret).',
    flags: [],
    options: {},
    run({ gatehouse }) {
      const targets = gatehouse().notifications.list();
      const text = targets.length === 0 ? 'No notification targets; add one with "gatehouse notify add".'
        : table(['Name', 'Target', 'Last sent', 'Last failure'], targets.map((t) => [t.name, describeTarget(t), t.lastSent ?? '-', t.lastError ? `${t.lastErrorAt}: ${t.lastError}` : '-']));
      return { json: targets, text };
    },
  },
  {
    noun: 'notify',
    verb: 'remove',
    usage: 'gatehouse notify remove NAME',
    summary: 'Remove a notification target (and its sealed secret).',
    flags: [],
    options: {},
    positionals: { min: 1, max: 1, names: 'the target name' },
    run({ positionals, gatehouse }) {
      const t = gatehouse().notifications.remove(positionals[0]!);
      return { json: t, text: `Removed the notification target ${t.name}.` };
    },
  },
  {
    noun: 'notify',
    verb: 'test',
    usage: 'gatehouse notify test NAME',
    summary: 'Send a "test" notification to one target now, and say whether it was taken.',
    flags: [],
    options: {},
    positionals: { min: 1, max: 1, names: 'the target name' },
    async run({ positionals, gatehouse }) {
      const g = gatehouse();
      const target = g.notifications.target(positionals[0]!);
      const { Notifier } = await import('../notify/notifier.js');
      const at = g.clock().toISOString();
      await new Notifier(g.notifications).send(target, { kind: 'test', at, detail: `A test notification for the target "${target.name}", sent from the command line.` });
      return { json: { target: target.name, kind: target.kind, ok: true, at }, text: `Sent a test notification to ${target.name} (${target.kind}); it was taken.` };
    },
  },
];
