import { listing, PAGE_OPTIONS, pageFlags, pageFooter, TERMINAL_PAGE } from './paging.js';
import { bindingText, type Binding } from '../model/binding.js';
import type { BindingInput, BindingResult } from '../lifecycle/binding-manager.js';
import { type Command, int, str, type Values } from './command.js';
import { table } from './table.js';

const ENDPOINT_FLAGS: Array<[string, string]> = [
  ['--protocol http|https', 'the binding type'],
  ['--port N', 'the port (443 for https, 80 for http)'],
  ['--ip ADDR', "an address of this machine, or '*' for All Unassigned (the default)"],
  ['--host NAME', 'the host name (a DNS name or *.domain); none makes the catch-all of the endpoint'],
];

function input(site: string, values: Values): BindingInput {
  return {
    site, protocol: str(values, 'protocol') ?? 'https', port: int(values, 'port'), ip: str(values, 'ip'), host: str(values, 'host'),
    sni: values.sni === true ? true : undefined, cert: str(values, 'cert'), force: values.force === true,
  };
}

/** "Also changed: …" — one line for each other site a forced change reached. */
export function reachedLines(affected: ReadonlyArray<{ text: string }>): string[] {
  return affected.map((a) => `Also changed: ${a.text.replace(' would get ', ' now get ')}.`);
}

function resultText(verb: string, r: BindingResult): string {
  return [`${verb} ${bindingText(r.binding)}${r.binding.sni ? ' (SNI)' : ''} on site "${r.binding.site}".`, ...reachedLines(r.affected)].join('\n');
}

const siteArg = { min: 1, max: 1, names: 'the site name' };
const endpointOptions = { protocol: { type: 'string' }, port: { type: 'string' }, ip: { type: 'string' }, host: { type: 'string' } } as const;

export const bindingCommands: Command[] = [
  {
    noun: 'binding',
    verb: 'add',
    usage: "gatehouse binding add SITE --protocol http|https --port N [--ip ADDR|'*'] [--host NAME] [--sni] [--cert REF] [--force]",
    summary: "Add a binding to a site (IIS: Site Bindings → Add).",
    flags: [...ENDPOINT_FLAGS, ['--sni', 'Require Server Name Indication (needs --host)'], ['--cert REF', 'the certificate (https): thumbprint, 8+ hex digits of one, or friendly name'], ['--force', "apply even when other sites' clients would get another certificate or site"]],
    options: { ...endpointOptions, sni: { type: 'boolean' }, cert: { type: 'string' }, force: { type: 'boolean' } },
    positionals: siteArg,
    run({ values, positionals, gatehouse }) {
      const r = gatehouse().bindings.add(input(positionals[0]!, values));
      return { json: r, notes: r.warnings, text: resultText('Added', r) };
    },
  },
  {
    noun: 'binding',
    verb: 'edit',
    usage: "gatehouse binding edit SITE --protocol https --port N [--ip ADDR|'*'] [--host NAME] --cert REF [--sni] [--force]",
    summary: "Give a binding another certificate (IIS: Site Bindings → Edit). Without SNI this is the endpoint's certificate for every site on it.",
    flags: [...ENDPOINT_FLAGS, ['--cert REF', 'the new certificate'], ['--sni', 'turn Require Server Name Indication on'], ['--force', "apply even when other sites' clients would get another certificate or site"]],
    options: { ...endpointOptions, sni: { type: 'boolean' }, cert: { type: 'string' }, force: { type: 'boolean' } },
    positionals: siteArg,
    run({ values, positionals, gatehouse }) {
      const r = gatehouse().bindings.edit(input(positionals[0]!, values));
      return { json: r, notes: r.warnings, text: resultText('Updated', r) };
    },
  },
  {
    noun: 'binding',
    verb: 'remove',
    usage: "gatehouse binding remove SITE --protocol http|https --port N [--ip ADDR|'*'] [--host NAME] [--force]",
    summary: 'Remove a binding; it stops accepting and its open connections drain.',
    flags: [...ENDPOINT_FLAGS, ['--force', "apply even when other sites' clients would get another certificate or site"]],
    options: { ...endpointOptions, force: { type: 'boolean' } },
    positionals: siteArg,
    run({ values, positionals, gatehouse }) {
      const r = gatehouse().bindings.remove(input(positionals[0]!, values));
      return { json: r, notes: r.warnings, text: resultText('Removed', r) };
    },
  },
  {
    noun: 'binding',
    verb: 'list',
    usage: 'gatehouse binding list [SITE] [--name TEXT] [--limit N] [--cursor CURSOR] [--all]',
    summary: `List the bindings of one site or of all sites. On a terminal the text listing shows the first ${TERMINAL_PAGE} and says how to see more; piped, or with --json, every binding unless --limit, --cursor or --name asks for a page.`,
    flags: pageFlags('host name or site name'),
    options: { ...PAGE_OPTIONS },
    positionals: { min: 0, max: 1, names: 'the site name' },
    run({ positionals, values, gatehouse }) {
      const g = gatehouse();
      const mode = listing(values);
      const page = mode.paged ? g.bindings.page({ site: positionals[0], name: mode.name, limit: mode.limit, cursor: mode.cursor }) : undefined;
      const list: Binding[] = page?.items ?? g.bindings.list(positionals[0]);
      const names = new Map<string, string>();
      const name = (t: string | null) => {
        if (!t) return '';
        if (!names.has(t)) names.set(t, g.certificates.find(t)?.friendlyName ?? t);
        return names.get(t)!;
      };
      const rows = list.map((b) => [b.site, b.protocol, b.ip, String(b.port), b.host, b.sni ? 'yes' : '', name(b.certificate)]);
      const text = list.length === 0 ? 'No bindings.' : `${table(['Site', 'Type', 'IP address', 'Port', 'Host name', 'SNI', 'Certificate'], rows)}${page ? pageFooter(page, mode.asked) : ''}`;
      return { json: mode.asked ? page : list, text };
    },
  },
  {
    noun: 'binding',
    verb: 'explain',
    usage: 'gatehouse binding explain --port N [--ip ADDR] [--sni NAME] [--host NAME] [--protocol https|http]',
    summary: 'What will this client get? The certificate, the site, and the rule that decided — from the code the server runs.',
    flags: [
      ['--port N', 'the port the client connects to'],
      ['--ip ADDR', 'the local address it connects to (default: one with no binding of its own)'],
      ['--sni NAME', 'the server name the client sends (none: a client without SNI)'],
      ['--host NAME', 'the Host header (default: the SNI name)'],
      ['--protocol https|http', 'default https'],
    ],
    options: { port: { type: 'string' }, ip: { type: 'string' }, sni: { type: 'string' }, host: { type: 'string' }, protocol: { type: 'string' } },
    run({ values, gatehouse }) {
      const e = gatehouse().bindings.explain({ port: int(values, 'port'), ip: str(values, 'ip'), sni: str(values, 'sni'), host: str(values, 'host'), protocol: str(values, 'protocol') });
      if (!e.listening) return { json: e, text: `${e.ruleText[0]!.toUpperCase()}${e.ruleText.slice(1)}.` };
      const cert = e.certificate ? `certificate "${e.certificate.friendlyName}" (${e.certificate.thumbprint})` : 'no certificate: the handshake is refused';
      const site = e.site ? `site "${e.site}" by ${e.routeBinding} (${e.routeRule})` : 'no site: the request gets 400 Bad Request';
      return { json: e, text: `TLS:     ${cert}\n         decided by ${e.ruleText}${e.tlsBinding ? `: ${e.tlsBinding}` : ''}\nRequest: ${site}` };
    },
  },
];
