import { listing, PAGE_OPTIONS, pageFlags, pageFooter, TERMINAL_PAGE } from './paging.js';
import type { Binding } from '../model/binding.js';
import { bindingText } from '../model/binding.js';
import { fail } from '../model/gatehouse-error.js';
import type { Site } from '../model/site.js';
import { reachedLines } from './binding-commands.js';
import { type Command, str, type Values } from './command.js';
import { details, table } from './table.js';

const ON_OFF: Array<[string, string]> = [
  ['--https-redirect on|off', 'answer plain-http requests with a redirect to https (default off)'],
  ['--hsts on|off', 'send Strict-Transport-Security on https responses (default off)'],
  ['--log w3c|combined|off', "the access log: W3C extended as IIS writes it (default), combined, or off (none written)"],
  ['--log-format w3c|combined|off', 'the same as --log (its earlier name)'],
];

/** `--log`, or `--log-format` (its earlier name, still accepted); both given must agree. */
function logOption(values: Values): string | undefined {
  const log = str(values, 'log');
  const format = str(values, 'log-format');
  if (log !== undefined && format !== undefined && log.trim().toLowerCase() !== format.trim().toLowerCase()) {
    throw fail('GH_USAGE', `--log "${log}" and --log-format "${format}" disagree: give one of them (--log-format is the earlier name of --log).`);
  }
  return log ?? format;
}

function onOff(values: Values, name: string): boolean | undefined {
  const v = str(values, name);
  if (v === undefined) return undefined;
  if (/^(on|yes|true|1)$/i.test(v)) return true;
  if (/^(off|no|false|0)$/i.test(v)) return false;
  throw fail('GH_USAGE', `--${name} takes on or off; got "${v}".`);
}

function serves(s: Site): string {
  return s.content.kind === 'static' ? `files in ${s.content.root}` : `proxy to ${s.content.upstream}`;
}

function siteText(s: Site & { bindings: Binding[] }): string {
  return details([
    ['Site', s.name],
    ['State', s.state],
    ['Serves', serves(s)],
    ['Options', [s.httpsRedirect ? 'redirect http to https' : '', s.hsts ? 'HSTS' : ''].filter(Boolean).join(', ') || 'none'],
    ['Access log', s.logFormat === 'w3c' ? 'W3C extended' : s.logFormat === 'combined' ? 'combined' : 'off'],
    ['Bindings', s.bindings.map((b) => `${bindingText(b)}${b.sni ? ' (SNI)' : ''}`).join('; ') || 'none'],
  ]);
}

const one = { min: 1, max: 1, names: 'the site name' };
const FORCE: [string, string] = ['--force', "apply even when other sites' clients would get another certificate or site"];

export const siteCommands: Command[] = [
  {
    noun: 'site',
    verb: 'add',
    usage: 'gatehouse site add NAME (--root DIR | --proxy URL) [--https-redirect on|off] [--hsts on|off] [--log w3c|combined|off]',
    summary: 'Add a site that serves a folder of static files or proxies to an upstream; it starts at once.',
    flags: [['--root DIR', 'the folder of static files (index.html is the default document)'], ['--proxy URL', 'the upstream, http://host:port'], ...ON_OFF],
    options: { root: { type: 'string' }, proxy: { type: 'string' }, 'https-redirect': { type: 'string' }, hsts: { type: 'string' }, log: { type: 'string' }, 'log-format': { type: 'string' } },
    positionals: one,
    run({ values, positionals, gatehouse }) {
      const s = gatehouse().sites.add({ name: positionals[0]!, root: str(values, 'root'), proxy: str(values, 'proxy'), httpsRedirect: onOff(values, 'https-redirect'), hsts: onOff(values, 'hsts'), logFormat: logOption(values) });
      return { json: s, text: `Added site "${s.name}" (${serves(s)}). Bind it: gatehouse binding add "${s.name}" --protocol https --port 443 --cert REF` };
    },
  },
  {
    noun: 'site',
    verb: 'set',
    usage: 'gatehouse site set NAME [--root DIR | --proxy URL] [--https-redirect on|off] [--hsts on|off] [--log w3c|combined|off]',
    summary: 'Change what a site serves or its options.',
    flags: [['--root DIR', 'serve this folder instead'], ['--proxy URL', 'proxy to this upstream instead'], ...ON_OFF],
    options: { root: { type: 'string' }, proxy: { type: 'string' }, 'https-redirect': { type: 'string' }, hsts: { type: 'string' }, log: { type: 'string' }, 'log-format': { type: 'string' } },
    positionals: one,
    run({ values, positionals, gatehouse }) {
      const s = gatehouse().sites.set({ name: positionals[0]!, root: str(values, 'root'), proxy: str(values, 'proxy'), httpsRedirect: onOff(values, 'https-redirect'), hsts: onOff(values, 'hsts'), logFormat: logOption(values) });
      return { json: s, text: siteText(s) };
    },
  },
  {
    noun: 'site',
    verb: 'list',
    usage: 'gatehouse site list [--name TEXT] [--limit N] [--cursor CURSOR] [--all]',
    summary: `List the sites with their state, content and bindings. On a terminal the text listing shows the first ${TERMINAL_PAGE} and says how to see more; piped, or with --json, every site unless --limit, --cursor or --name asks for a page.`,
    flags: pageFlags("name or a binding's host name"),
    options: { ...PAGE_OPTIONS },
    run({ values, gatehouse }) {
      const mode = listing(values);
      const page = mode.paged ? gatehouse().sites.page({ name: mode.name, limit: mode.limit, cursor: mode.cursor }) : undefined;
      const sites = page?.items ?? gatehouse().sites.list();
      const rows = sites.map((s) => [s.name, s.state, serves(s), s.bindings.map(bindingText).join(', ')]);
      const text = sites.length === 0 ? (mode.asked ? 'No sites.' : 'No sites. Add one with "gatehouse site add NAME --root DIR".') : `${table(['Name', 'State', 'Serves', 'Bindings'], rows)}${page ? pageFooter(page, mode.asked) : ''}`;
      return { json: mode.asked ? page : sites, text };
    },
  },
  {
    noun: 'site',
    verb: 'show',
    usage: 'gatehouse site show NAME',
    summary: 'Show one site and its bindings.',
    options: {},
    positionals: one,
    run({ positionals, gatehouse }) {
      const s = gatehouse().sites.show(positionals[0]!);
      return { json: s, text: siteText(s) };
    },
  },
  {
    noun: 'site',
    verb: 'remove',
    usage: 'gatehouse site remove NAME [--force]',
    summary: 'Remove a site and its bindings (its certificates stay in the store).',
    flags: [FORCE],
    options: { force: { type: 'boolean' } },
    positionals: one,
    run({ values, positionals, gatehouse }) {
      const r = gatehouse().sites.remove(positionals[0]!, values.force === true);
      return { json: r, text: [`Removed site "${r.name}" and its ${r.bindings} binding(s).`, ...reachedLines(r.affected)].join('\n') };
    },
  },
  {
    noun: 'site',
    verb: 'stop',
    usage: 'gatehouse site stop NAME [--force]',
    summary: "Stop a site: its bindings stop answering; nothing else is disturbed.",
    flags: [FORCE],
    options: { force: { type: 'boolean' } },
    positionals: one,
    run({ values, positionals, gatehouse }) {
      const s = gatehouse().sites.setState(positionals[0]!, 'stopped', values.force === true);
      return { json: s, text: [`Site "${s.name}" is stopped.`, ...reachedLines(s.affected)].join('\n') };
    },
  },
  {
    noun: 'site',
    verb: 'start',
    usage: 'gatehouse site start NAME [--force]',
    summary: 'Start a stopped site.',
    flags: [FORCE],
    options: { force: { type: 'boolean' } },
    positionals: one,
    run({ values, positionals, gatehouse }) {
      const s = gatehouse().sites.setState(positionals[0]!, 'started', values.force === true);
      return { json: s, text: [`Site "${s.name}" is started.`, ...reachedLines(s.affected)].join('\n') };
    },
  },
];
