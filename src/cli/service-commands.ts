import { bindingText } from '../model/binding.js';
import { parseServices } from '../model/service.js';
import { reachedLines } from './binding-commands.js';
import { endpointText, type ServiceView } from '../lifecycle/service-manager.js';
import { type Command, int, list, required, str } from './command.js';
import { day, table } from './table.js';

function servicesText(views: ServiceView[]): string {
  const certs = table(['Service', 'Certificate', 'Thumbprint', 'Expiration'], views.map((v) => [
    v.service.toUpperCase(), v.certificate?.friendlyName ?? '(none)', v.certificate?.thumbprint ?? '', v.certificate ? day(v.certificate.notAfter) : '',
  ]));
  const listeners = views.flatMap((v) => v.listeners);
  const rows = listeners.map((l) => [l.service.toUpperCase(), endpointText(l.ip, l.port), l.mode === 'tls' ? 'implicit TLS' : `STARTTLS${l.requireTls ? ', TLS required' : ''}`, `${l.backendHost.includes(':') ? `[${l.backendHost}]` : l.backendHost}:${l.backendPort}`, l.hostName || '-']);
  return `${certs}\n\n${listeners.length === 0 ? 'No mail listeners. Add one: gatehouse service configure smtp --listen *:25 --backend 127.0.0.1:10025' : table(['Service', 'Listen', 'TLS', 'Backend', 'Host name'], rows)}`;
}

export const serviceCommands: Command[] = [
  {
    noun: 'service',
    verb: 'list',
    usage: 'gatehouse service list',
    summary: 'Show which certificate SMTP, IMAP, POP and HTTPS present, and the mail listeners.',
    options: {},
    run({ gatehouse }) {
      const views = gatehouse().services.list();
      return { json: views, text: servicesText(views) };
    },
  },
  {
    noun: 'service',
    verb: 'assign',
    usage: 'gatehouse service assign REF --services smtp,imap,pop,https [--overwrite] [--site NAME] [--force]',
    summary: "Assign Services to Certificate: make REF the certificate of SMTP, IMAP, POP and/or HTTPS (IIS: the server's default web certificate and the default web site's https bindings).",
    flags: [
      ['--services LIST', 'smtp, imap, pop, https (iis) — comma-separated or repeated'],
      ['--overwrite', 'yes to "Overwrite the existing default SMTP certificate?"'],
      ['--site NAME', 'with https: the web site whose https bindings without SNI get REF (default: the one with https on *:443 and no host name)'],
      ['--force', "apply even when those bindings' endpoints are shared with other sites whose clients would get REF"],
    ],
    options: { services: { type: 'string', multiple: true }, overwrite: { type: 'boolean' }, site: { type: 'string' }, force: { type: 'boolean' } },
    positionals: { min: 1, max: 1, names: 'the certificate (thumbprint or friendly name)' },
    run({ values, positionals, gatehouse }) {
      const services = parseServices(list(values, 'services'));
      const r = gatehouse().services.assign(positionals[0]!, services, { overwrite: values.overwrite === true, site: str(values, 'site'), force: values.force === true });
      const lines = [`Assigned "${r.certificate.friendlyName}" (${r.certificate.thumbprint}) to ${r.services.map((s) => s.toUpperCase()).join(', ')}.`];
      for (const x of r.replaced) lines.push(`Replaced "${x.friendlyName}" (${x.thumbprint}) as the ${x.service.toUpperCase()} certificate.`);
      if (r.services.includes('https')) {
        lines.push(r.site === null ? 'No site has an https binding on *:443 without a host name: only the default web certificate was set (name a site with --site).'
          : r.bindings.length === 0 ? `The https bindings of site "${r.site}" already had it.`
            : `Set it on ${r.bindings.map((b) => `${bindingText(b)} (site "${b.site}")`).join(', ')}.`);
      }
      return { json: r, notes: r.warnings, text: [...lines, ...reachedLines(r.affected)].join('\n') };
    },
  },
  {
    noun: 'service',
    verb: 'unassign',
    usage: 'gatehouse service unassign --services LIST',
    summary: 'Leave services without an assigned certificate.',
    flags: [['--services LIST', 'smtp, imap, pop, https — comma-separated or repeated']],
    options: { services: { type: 'string', multiple: true } },
    run({ values, gatehouse }) {
      const r = gatehouse().services.unassign(parseServices(list(values, 'services')));
      return { json: r, text: r.unassigned.length === 0 ? 'Those services had no certificate assigned; nothing changed.' : `Unassigned ${r.unassigned.map((u) => u.service.toUpperCase()).join(', ')}.` };
    },
  },
  {
    noun: 'service',
    verb: 'configure',
    usage: 'gatehouse service configure smtp|imap|pop --listen ADDR:PORT --backend HOST:PORT [--mode starttls|tls] [--require-tls] [--host NAME] [--client-address off|xclient] [--max-connections N] [--idle-timeout SECONDS]',
    summary: 'Add (or change) a mail listener: TLS for SMTP, IMAP or POP in front of the mail server that already runs.',
    flags: [
      ['--listen ADDR:PORT', 'where clients connect: *:25, 127.0.0.1:587, [::]:993 …'],
      ['--backend HOST:PORT', 'the mail server behind (Postfix, Dovecot, …), spoken to in plain text'],
      ['--mode starttls|tls', 'starttls: upgrade in the protocol (default, except on 465, 993, 995); tls: implicit TLS'],
      ['--require-tls', 'refuse AUTH, LOGIN, USER and MAIL before STARTTLS/STLS'],
      ['--host NAME', "the name clients use (mail.contoso.com): the greeting and the certificate check; with it, SMTP STARTTLS answers EHLO after TLS from the backend's extensions as last learned (probed every 5 minutes) and reaches the backend only at the first command that needs it (MAIL, AUTH …)"],
      ['--client-address off|xclient', "xclient: pass the client's address to the backend (Postfix XCLIENT, Dovecot XCLIENT); off (default): log it"],
      ['--max-connections N', 'sessions at once on this listener (default 1000); more are turned away politely'],
      ['--idle-timeout SECONDS', 'close a session idle this long (default 300)'],
    ],
    options: {
      listen: { type: 'string' }, backend: { type: 'string' }, mode: { type: 'string' }, 'require-tls': { type: 'boolean' }, host: { type: 'string' },
      'client-address': { type: 'string' }, 'max-connections': { type: 'string' }, 'idle-timeout': { type: 'string' },
    },
    positionals: { min: 1, max: 1, names: 'the service (smtp, imap or pop)' },
    run({ values, positionals, gatehouse }) {
      const r = gatehouse().services.configure({
        service: positionals[0]!, listen: required(values, 'listen', this.usage), backend: required(values, 'backend', this.usage), mode: str(values, 'mode'),
        requireTls: values['require-tls'] === true, host: str(values, 'host'), clientAddress: str(values, 'client-address'),
        maxConnections: int(values, 'max-connections'), idleTimeoutSeconds: int(values, 'idle-timeout'),
      });
      const l = r.listener;
      return { json: r, notes: r.warnings, text: `${r.replaced ? 'Changed' : 'Added'} the ${l.service.toUpperCase()} listener on ${endpointText(l.ip, l.port)} (${l.mode === 'tls' ? 'implicit TLS' : 'STARTTLS'}) in front of ${l.backendHost}:${l.backendPort}.` };
    },
  },
  {
    noun: 'service',
    verb: 'unconfigure',
    usage: 'gatehouse service unconfigure smtp|imap|pop --listen ADDR:PORT',
    summary: 'Remove a mail listener (open sessions finish; no new ones are accepted).',
    flags: [['--listen ADDR:PORT', 'the listener to remove, as service list shows it']],
    options: { listen: { type: 'string' } },
    positionals: { min: 1, max: 1, names: 'the service (smtp, imap or pop)' },
    run({ values, positionals, gatehouse }) {
      const r = gatehouse().services.unconfigure(positionals[0]!, required(values, 'listen', this.usage));
      return { json: r, text: `Removed the ${r.service.toUpperCase()} listener on ${r.listen}.` };
    },
  },
];
