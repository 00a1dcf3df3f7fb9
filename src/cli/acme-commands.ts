import type { AcmeAccount } from '../lifecycle/acme-manager.js';
import { type Command, required, str } from './command.js';
import { readInputFile } from './files.js';
import { day, details, table } from './table.js';

const ADD_USAGE = 'gatehouse acme account add NAME --directory URL|letsencrypt|letsencrypt-staging|zerossl --email ADDR --agree-tos [--eab-kid ID --eab-hmac-key-file FILE] [--directory-ca FILE] [--dns SPEC]';
const DNS_FLAG = "the account's default DNS-01 provider: rfc2136:server=HOST[:PORT],key-file=FILE[,zone=ZONE][,key-name=NAME] or hook:COMMAND. Only the key file's path is kept (made absolute): the file is read at each issuance, its secret never stored";

const SET_USAGE = 'gatehouse acme account set NAME --dns SPEC|none';

function accountText(a: AcmeAccount): string {
  return details([
    ['Account', a.name],
    ['Directory', a.directory],
    ['Contact', a.email],
    ['Account URL', a.accountUrl],
    ['Directory CA', a.directoryCa ? 'its own (given with --directory-ca)' : "the system's roots"],
    ['EAB key id', a.eabKid ?? '(none)'],
    ['DNS provider', a.dnsProvider ?? '(none: give --dns for dns-01)'],
    ['Status', a.status],
    ['Created', a.created],
  ]);
}

export const acmeCommands: Command[] = [
  {
    noun: 'acme account',
    verb: 'add',
    usage: ADD_USAGE,
    summary: 'Create an account with an ACME CA (Let\'s Encrypt, ZeroSSL, a private ACME server); its key is sealed in the store.',
    flags: [
      ['--directory URL', 'the CA\'s ACME directory URL, or letsencrypt, letsencrypt-staging, zerossl'],
      ['--email ADDR', 'the contact address the CA writes to (expiry notices, account problems)'],
      ['--agree-tos', 'agree to the CA\'s terms of service (required; read them first)'],
      ['--eab-kid ID', 'External Account Binding key id, for CAs that require it (ZeroSSL, DigiCert, Sectigo)'],
      ['--eab-hmac-key-file FILE', 'a file holding the EAB HMAC key (base64url) the CA gave; used once, never stored'],
      ['--directory-ca FILE', 'the CA certificate (PEM) that issued a private ACME server\'s HTTPS certificate'],
      ['--dns SPEC', DNS_FLAG],
    ],
    options: {
      directory: { type: 'string' }, email: { type: 'string' }, 'agree-tos': { type: 'boolean' }, 'eab-kid': { type: 'string' },
      'eab-hmac-key-file': { type: 'string' }, 'directory-ca': { type: 'string' }, dns: { type: 'string' },
    },
    positionals: { min: 1, max: 1, names: 'the account name' },
    async run({ values, positionals, gatehouse, cwd }) {
      const hmacFile = str(values, 'eab-hmac-key-file');
      const caFile = str(values, 'directory-ca');
      const a = await gatehouse().acme.add({
        name: positionals[0]!, directory: required(values, 'directory', ADD_USAGE), email: required(values, 'email', ADD_USAGE),
        agreeTos: values['agree-tos'] === true, eabKid: str(values, 'eab-kid'),
        eabHmacKey: hmacFile === undefined ? undefined : readInputFile(cwd, hmacFile).data.toString('utf8').split(/\r?\n/)[0],
        directoryCa: caFile === undefined ? undefined : readInputFile(cwd, caFile).data.toString('utf8'), dns: str(values, 'dns'),
      });
      return { json: a, text: `Created ACME account "${a.name}" with ${a.directory}.\n${accountText(a)}` };
    },
  },
  {
    noun: 'acme account',
    verb: 'list',
    usage: 'gatehouse acme account list',
    summary: 'List the ACME accounts.',
    options: {},
    run({ gatehouse }) {
      const rows = gatehouse().acme.list();
      return {
        json: rows,
        text: rows.length === 0 ? 'No ACME accounts. Add one with "gatehouse acme account add".' : table(['Name', 'Directory', 'Contact', 'EAB key id', 'Status', 'Created'], rows.map((a) => [a.name, a.directory, a.email, a.eabKid ?? '', a.status, day(a.created)])),
      };
    },
  },
  {
    noun: 'acme account',
    verb: 'show',
    usage: 'gatehouse acme account show NAME',
    summary: 'Show an ACME account (never its key).',
    options: {},
    positionals: { min: 1, max: 1, names: 'the account name' },
    run({ positionals, gatehouse }) {
      const a = gatehouse().acme.show(positionals[0]!);
      return { json: a, text: accountText(a) };
    },
  },
  {
    noun: 'acme account',
    verb: 'set',
    usage: SET_USAGE,
    summary: "Set (or with --dns none clear) an ACME account's default DNS-01 provider.",
    flags: [['--dns SPEC|none', DNS_FLAG]],
    options: { dns: { type: 'string' } },
    positionals: { min: 1, max: 1, names: 'the account name' },
    run({ values, positionals, gatehouse }) {
      const dns = required(values, 'dns', SET_USAGE);
      const a = gatehouse().acme.setDnsProvider(positionals[0]!, dns === 'none' ? null : dns);
      return { json: a, text: `${a.dnsProvider === null ? 'Cleared' : 'Set'} the DNS provider of ACME account "${a.name}".\n${accountText(a)}` };
    },
  },
  {
    noun: 'acme account',
    verb: 'remove',
    usage: 'gatehouse acme account remove NAME [--force]',
    summary: 'Remove an ACME account and destroy its key (the account stays at the CA; certificates it issued stay installed). Refused while certificates in use came from it, since they renew through it.',
    flags: [['--force', 'remove it although certificates in use came from it: they become manual certificates (renewed with cert renew)']],
    options: { force: { type: 'boolean' } },
    positionals: { min: 1, max: 1, names: 'the account name' },
    run({ values, positionals, gatehouse }) {
      const r = gatehouse().acme.remove(positionals[0]!, { force: values.force === true });
      return {
        json: r,
        text: `Removed ACME account "${r.name}"; its key was destroyed.${r.nowManual.length > 0 ? ` ${r.nowManual.length} certificate(s) it issued are manual now: ${r.nowManual.join(', ')}.` : ''}`,
      };
    },
  },
];
