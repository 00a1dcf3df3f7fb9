import type { Certificate } from '../model/certificate.js';
import { fail } from '../model/gatehouse-error.js';
import { DEFAULT_KEY_TYPE, parseKeyType } from '../model/key-type.js';
import { parseStoreName } from '../model/store-name.js';
import { chainAdvice, chainWarnings } from '../lifecycle/certificate-manager.js';
import { worded } from '../model/wording.js';
import { type Command, int, list, required, str } from './command.js';
import { readInputFile, readPasswordFile, writeOutputFile } from './files.js';
import { day, details, table } from './table.js';
import { listing, PAGE_OPTIONS, pageFlags, pageFooter, TERMINAL_PAGE } from './paging.js';
import { requestCreated } from './request-commands.js';

const STATUS_TEXT: Record<Certificate['status'], string> = {
  valid: 'valid',
  expiring: 'expiring soon',
  expired: 'EXPIRED',
  'chain-incomplete': 'chain incomplete',
};

/** The lines `cert show` prints, shared with the commands that install a certificate. */
export function certificateDetails(c: Certificate): string {
  return details([
    ['Friendly name', c.friendlyName],
    ['Thumbprint', c.thumbprint],
    ['Store', c.store],
    ['Issued to', c.issuedTo],
    ['Issued by', c.issuedBy],
    ['Subject', c.subject],
    ['Issuer', c.issuer],
    ['Names', c.sans.join(', ')],
    ['Valid from', c.notBefore],
    ['Expiration', c.notAfter],
    ['Status', STATUS_TEXT[c.status]],
    ['Key', c.hasPrivateKey ? `${c.keyType}${c.exportable ? ', exportable' : ', not exportable'}` : `${c.keyType}, no private key`],
    ['Serial number', c.serialNumber],
    ['Chain', chainText(c)],
  ]);
}

function chainText(c: Certificate): string {
  const advice = c.chainMissing ? worded(chainAdvice(c)!, 'cli') : undefined;
  const path = c.chain.length > 0 ? c.chain.map((x) => x.subject).join(' <- ') : c.subject === c.issuer ? 'self-signed' : `issued directly by ${c.issuer}`;
  return advice ? `${path}\n  incomplete: ${advice}` : path;
}

function storeOption(value: string | undefined) {
  return value === undefined ? undefined : parseStoreName(value);
}

export const certCommands: Command[] = [
  {
    noun: 'cert',
    verb: 'list',
    usage: 'gatehouse cert list [--store webhosting|personal|root] [--expiring DAYS] [--name TEXT] [--status STATUS] [--limit N] [--cursor CURSOR] [--all]',
    summary: 'List server certificates (the Server Certificates page); --store root lists Trusted Root Certification Authorities; --expiring 30 shows those that end within 30 days. ' +
      `On a terminal the text listing shows the first ${TERMINAL_PAGE} and says how to see more (--all: every one); piped, or with --json, every certificate unless --limit, --cursor, --name or --status asks for a page.`,
    flags: [
      ['--store STORE', 'only webhosting or personal; root: the Trusted Root Certification Authorities store (listed only when asked for)'],
      ['--expiring DAYS', 'only certificates that end within DAYS days (expired ones included)'],
      ['--status STATUS', 'only valid, expiring, expired or chain-incomplete certificates; one page'],
      ...pageFlags('friendly name, issued-to name or SANs'),
    ],
    options: { store: { type: 'string' }, expiring: { type: 'string' }, status: { type: 'string' }, ...PAGE_OPTIONS },
    run({ values, gatehouse }) {
      const expiringDays = int(values, 'expiring');
      if (expiringDays !== undefined && expiringDays < 0) throw fail('GH_USAGE', '--expiring takes a number of days, 0 or more.');
      const store = storeOption(str(values, 'store'));
      const mode = listing(values, ['status']);
      const header = ['Friendly name', 'Issued to', 'Issued by', 'Expiration', 'Thumbprint', 'Store', 'Status'];
      const rowOf = (c: Certificate) => [c.friendlyName, c.issuedTo, c.issuedBy, day(c.notAfter), c.thumbprint, c.store, STATUS_TEXT[c.status]];
      if (!mode.paged) {
        const certs = gatehouse().certificates.list({ store, expiringDays });
        return { json: certs, text: certs.length === 0 ? 'No certificates.' : table(header, certs.map(rowOf)) };
      }
      const page = gatehouse().certificates.page({ store, expiringDays, name: mode.name, status: str(values, 'status'), limit: mode.limit, cursor: mode.cursor });
      const text = page.items.length === 0 ? 'No certificates.' : `${table(header, page.items.map(rowOf))}${pageFooter(page, mode.asked)}`;
      return { json: mode.asked ? page : page.items, text };
    },
  },
  {
    noun: 'cert',
    verb: 'show',
    usage: 'gatehouse cert show REF',
    summary: 'Show one certificate. REF: thumbprint, 8+ leading hex digits of one, or the exact friendly name.',
    options: {},
    positionals: { min: 1, max: 1, names: 'the certificate (thumbprint or friendly name)' },
    run({ positionals, gatehouse }) {
      const c = gatehouse().certificates.show(positionals[0]!);
      return { json: c, text: certificateDetails(c) };
    },
  },
  {
    noun: 'cert',
    verb: 'rename',
    usage: 'gatehouse cert rename REF --friendly-name NAME',
    summary: 'Change a certificate\'s friendly name.',
    flags: [
      ['--friendly-name NAME', 'the new friendly name'],
    ],
    options: { 'friendly-name': { type: 'string' } },
    positionals: { min: 1, max: 1, names: 'the certificate (thumbprint or friendly name)' },
    run({ values, positionals, gatehouse }) {
      const c = gatehouse().certificates.rename(positionals[0]!, required(values, 'friendly-name', this.usage));
      return { json: c, text: `Renamed ${c.thumbprint} to "${c.friendlyName}".` };
    },
  },
  {
    noun: 'cert',
    verb: 'remove',
    usage: 'gatehouse cert remove REF [--force]',
    summary: 'Remove a certificate and its private key from the store (refused while bindings or services use it, unless --force).',
    flags: [['--force', 'also remove the bindings that use it (their sites stop answering on them) and unassign its services']],
    options: { force: { type: 'boolean' } },
    positionals: { min: 1, max: 1, names: 'the certificate (thumbprint or friendly name)' },
    run({ values, positionals, gatehouse }) {
      const r = gatehouse().certificates.remove(positionals[0]!, values.force === true);
      const also = (r.bindingsRemoved.length > 0 ? `\nAlso removed the bindings ${r.bindingsRemoved.join(', ')}.` : '') +
        (r.servicesUnassigned.length > 0 ? `\n${r.servicesUnassigned.map((x) => x.toUpperCase()).join(', ')} now ${r.servicesUnassigned.length > 1 ? 'have' : 'has'} no certificate.` : '');
      return { json: r, text: `Removed "${r.friendlyName}" (${r.thumbprint}) and its private key.${also}` };
    },
  },
  {
    noun: 'cert',
    verb: 'import',
    usage: 'gatehouse cert import --file FILE [--key-file FILE] [--password-file FILE] [--friendly-name NAME] [--store webhosting|personal|root] [--exportable]',
    summary: 'Import a PFX/PKCS#12 file, or a PEM/DER certificate with its private key; with --store root, a root CA certificate (no key) to trust.',
    flags: [
      ['--file FILE', 'a PFX/PKCS#12 (.pfx/.p12), or a PEM/DER certificate (with its key in the same PEM file or --key-file); with --store root, the root CA certificate (.cer, .crt, .pem or a .p7b holding it)'],
      ['--key-file FILE', 'the private key: PEM or DER, PKCS#1, SEC1, PKCS#8 or encrypted PKCS#8'],
      ['--password-file FILE', "the PFX's or the encrypted key's password, on the file's first line (a PFX without a password needs none, or an empty file)"],
      ['--friendly-name NAME', "a label (default: the PFX's own friendly name, else host-issuer-(expiry))"],
      ['--store STORE', 'webhosting (default) or personal; root: Trusted Root Certification Authorities, for a root CA certificate chains may end at'],
      ['--exportable', 'allow the private key to be exported again (default: it never leaves)'],
    ],
    options: { file: { type: 'string' }, 'key-file': { type: 'string' }, 'password-file': { type: 'string' }, 'friendly-name': { type: 'string' }, store: { type: 'string' }, exportable: { type: 'boolean' } },
    async run({ values, gatehouse, cwd }) {
      const file = readInputFile(cwd, required(values, 'file', this.usage));
      const keyPath = str(values, 'key-file');
      const passwordPath = str(values, 'password-file');
      const c = await gatehouse().certificates.import({
        file: file.data, fileName: file.name, keyFile: keyPath === undefined ? undefined : readInputFile(cwd, keyPath).data,
        password: passwordPath === undefined ? undefined : readPasswordFile(cwd, passwordPath),
        friendlyName: str(values, 'friendly-name'), store: storeOption(str(values, 'store')), exportable: values.exportable === true,
      });
      return { json: c, notes: chainWarnings(c), text: `Imported "${c.friendlyName}" into the ${c.store} store.\n${certificateDetails(c)}` };
    },
  },
  {
    noun: 'cert',
    verb: 'chain',
    usage: 'gatehouse cert chain REF --file BUNDLE',
    summary: "Add or replace the intermediate certificates of an installed certificate (the CA's bundle: PEM, DER or .p7b; the leaf and the root may be in it).",
    flags: [
      ['--file BUNDLE', "the CA's intermediates, in any order: a PEM bundle, DER .cer/.crt, or .p7b/.p7c; a root in it is kept for the trust judgement but never sent to clients"],
    ],
    options: { file: { type: 'string' } },
    positionals: { min: 1, max: 1, names: 'the certificate (thumbprint or friendly name)' },
    run({ values, positionals, gatehouse, cwd }) {
      const { data, name } = readInputFile(cwd, required(values, 'file', this.usage));
      const c = gatehouse().certificates.installChain(positionals[0]!, data, name);
      return { json: c, notes: c.warnings, text: `Installed the chain of "${c.friendlyName}" (${c.chain.length} certificate${c.chain.length === 1 ? '' : 's'}).\n${certificateDetails(c)}` };
    },
  },
  {
    noun: 'cert',
    verb: 'export',
    usage: 'gatehouse cert export REF --out FILE [--format pfx|pem] [--password-file FILE] [--legacy] [--no-key]',
    summary: 'Export a certificate with its chain and private key as PFX (default) or PEM; --no-key exports only the certificate and chain.',
    flags: [
      ['--out FILE', 'where to write (mode 0600)'],
      ['--format pfx|pem', 'pfx (default): certificate, chain and key, password-protected; pem: key, certificate, chain'],
      ['--password-file FILE', 'the password (first line); required for pfx; encrypts the key in pem'],
      ['--legacy', 'a PFX with 3DES and a SHA-1 MAC, for Windows Server 2016 and older'],
      ['--no-key', 'pem only: the certificate and chain without the key (allowed for any certificate)'],
    ],
    options: { out: { type: 'string' }, format: { type: 'string' }, 'password-file': { type: 'string' }, legacy: { type: 'boolean' }, 'no-key': { type: 'boolean' } },
    positionals: { min: 1, max: 1, names: 'the certificate (thumbprint or friendly name)' },
    run({ values, positionals, gatehouse, cwd }) {
      const out = required(values, 'out', this.usage);
      const format = (str(values, 'format') ?? 'pfx').toLowerCase();
      if (format !== 'pfx' && format !== 'pem' && format !== 'p12') throw fail('GH_USAGE', `--format must be pfx or pem; got "${format}".`);
      if (format !== 'pem' && values['no-key']) throw fail('GH_USAGE', '--no-key goes with --format pem (a PFX always carries the key).');
      const passwordPath = str(values, 'password-file');
      const password = passwordPath === undefined ? undefined : readPasswordFile(cwd, passwordPath);
      if (passwordPath !== undefined && password === '') throw fail('GH_PASSWORD_INVALID', `The password file ${passwordPath} is empty; put the password on its first line.`);
      const r = gatehouse().certificates.export(positionals[0]!, { format: format === 'pem' ? 'pem' : 'pfx', password, legacy: values.legacy === true, includeKey: values['no-key'] !== true });
      const path = writeOutputFile(cwd, out, r.data, 0o600);
      return { json: { thumbprint: r.thumbprint, out: path, format: r.format }, text: `Exported ${r.thumbprint} to ${out} (${r.format}).` };
    },
  },
  {
    noun: 'cert',
    verb: 'renew',
    usage: 'gatehouse cert renew REF [--out FILE]',
    summary: "IIS's Renew…: a new request with the certificate's subject, names and key type (a new key); completing it moves every use, probes and commits or rolls back.",
    flags: [['--out FILE', 'save the CSR (PEM) there; without it the CSR is printed']],
    options: { out: { type: 'string' } },
    positionals: { min: 1, max: 1, names: 'the certificate (thumbprint or friendly name)' },
    async run({ values, positionals, gatehouse, cwd }) {
      return requestCreated(await gatehouse().requests.renew(positionals[0]!), str(values, 'out'), cwd);
    },
  },
  {
    noun: 'cert',
    verb: 'self-signed',
    usage: 'gatehouse cert self-signed --cn NAME [--san NAME]... [--days N] [--key TYPE] [--friendly-name NAME] [--store webhosting|personal] [--exportable]',
    summary: 'Create a self-signed certificate (IIS: Create Self-Signed Certificate).',
    flags: [
      ['--cn NAME', 'the host name; always also a SAN'],
      ['--san NAME', 'more names; repeat'],
      ['--days N', 'validity (default 365, at most 3650)'],
      ['--key TYPE', 'as for request new (default rsa-2048)'],
      ['--friendly-name NAME, --store STORE, --exportable', 'as for cert import'],
    ],
    options: { cn: { type: 'string' }, san: { type: 'string', multiple: true }, days: { type: 'string' }, key: { type: 'string' }, 'friendly-name': { type: 'string' }, store: { type: 'string' }, exportable: { type: 'boolean' } },
    async run({ values, gatehouse }) {
      const c = await gatehouse().certificates.selfSigned({
        cn: required(values, 'cn', this.usage), sans: list(values, 'san'), days: int(values, 'days'),
        keyType: str(values, 'key') === undefined ? DEFAULT_KEY_TYPE : parseKeyType(str(values, 'key')!),
        friendlyName: str(values, 'friendly-name'), store: storeOption(str(values, 'store')), exportable: values.exportable === true,
      });
      return { json: c, text: `Created self-signed "${c.friendlyName}" in the ${c.store} store.\n${certificateDetails(c)}` };
    },
  },
];
