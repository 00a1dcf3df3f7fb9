import { DEFAULT_KEY_TYPE, KEY_TYPES, parseKeyType } from '../model/key-type.js';
import { parseStoreName } from '../model/store-name.js';
import type { PendingRequest } from '../model/certificate.js';
import { type Command, int, list, type Output, required, requestId, str, type Values } from './command.js';
import { renewAfterCompletion } from './renewal-commands.js';
import { GatehouseError } from '../model/gatehouse-error.js';
import type { Gatehouse } from '../lifecycle/gatehouse.js';
import { readInputFile, writeOutputFile } from './files.js';
import { day, details, table } from './table.js';
import { certificateDetails } from './cert-commands.js';

const CHALLENGE_FLAG = 'with --ca acme:ACCOUNT: http-01, tls-alpn-01 or dns-01 (default: dns-01 with --dns or for a wildcard name, else http-01 when serve listens for http on port 80, else tls-alpn-01)';
const DNS_FLAG = "dns-01's DNS provider: rfc2136:server=HOST[:PORT],key-file=FILE[,zone=ZONE][,key-name=NAME] (TSIG-signed updates) or hook:COMMAND (run as COMMAND present|cleanup FQDN VALUE); default: the ACME account's. dns-01 needs no serve";
const NEW_USAGE = `gatehouse request new --cn NAME [--san NAME]... [--wildcard DOMAIN] [--org O] [--ou OU] [--city L] [--state ST] [--country CC] [--key ${KEY_TYPES.join('|')}] [--exportable] [--friendly-name NAME] [--out FILE] [--ca internal|acme:ACCOUNT [--challenge http-01|tls-alpn-01|dns-01] [--dns SPEC]]`;

function requestText(r: PendingRequest): string {
  return details([
    ['Request', String(r.id)],
    ['Subject', r.subject],
    ['Names', r.sans.join(', ')],
    ['Key', `${r.keyType}${r.exportable ? ', exportable' : ''}`],
    ['Friendly name', r.friendlyName ?? '(the default: host-issuer-(expiry))'],
    ['Created', r.created],
  ]);
}

function withoutCsr(r: PendingRequest): Omit<PendingRequest, 'csr'> {
  const { csr: _csr, ...rest } = r;
  return rest;
}

/** What `request new` and `cert renew` print: the CSR (or where it was saved) and the next step. */
export function requestCreated(r: PendingRequest, out: string | undefined, cwd: string): Output {
  if (out) writeOutputFile(cwd, out, r.csr, 0o644);
  const what = r.renews === null ? `certificate request ${r.id}` : `renewal request ${r.id} (renews ${r.renews})`;
  const text = out
    ? `Created ${what} for ${r.sans.join(', ')} (${r.keyType}).\nSaved the request to ${out}. Send it to your CA, then complete it with:\n  gatehouse request complete --file <the CA's response>`
    : `${r.csr.trimEnd()}\n# ${what}: send the CSR above to your CA, then run "gatehouse request complete --file <the CA's response>"`;
  return { json: { ...r, ...(out ? { out } : {}) }, text };
}

export const requestCommands: Command[] = [
  {
    noun: 'request',
    verb: 'new',
    usage: NEW_USAGE,
    summary: 'Create a certificate request (CSR) and its private key, as the New Exchange Certificate wizard does.',
    flags: [
      ['--cn NAME', 'the common name (\'Issued to\'); always also a SAN'],
      ['--san NAME', 'another DNS name or IP address; repeat, or separate with commas'],
      ['--wildcard DOMAIN', 'the root domain with \'Enable wildcard certificate\': adds *.DOMAIN and DOMAIN'],
      ['--org O, --ou OU', 'organization and organizational unit'],
      ['--city L, --state ST', 'locality and state or province, spelled out'],
      ['--country CC', 'two-letter ISO 3166 country code, e.g. US'],
      ['--key TYPE', 'rsa-2048 (default; what every CA and old client accepts), rsa-3072, rsa-4096, ecdsa-p256, ecdsa-p384'],
      ['--exportable', 'allow the private key to be exported later (default: it never leaves this server)'],
      ['--friendly-name NAME', 'the name the certificate gets when the request is completed (default: host-issuer-(expiry))'],
      ['--out FILE', 'save the CSR (PEM) there; without it the CSR is printed'],
      ['--ca internal|acme:ACCOUNT', 'submit the request at once (as request submit does) and install the certificate'],
      ['--challenge TYPE', CHALLENGE_FLAG],
      ['--dns SPEC', DNS_FLAG],
    ],
    options: {
      cn: { type: 'string' }, san: { type: 'string', multiple: true }, wildcard: { type: 'string' }, org: { type: 'string' },
      ou: { type: 'string' }, city: { type: 'string' }, state: { type: 'string' }, country: { type: 'string' },
      key: { type: 'string' }, exportable: { type: 'boolean' }, 'friendly-name': { type: 'string' }, out: { type: 'string' },
      ca: { type: 'string' }, challenge: { type: 'string' }, dns: { type: 'string' },
    },
    async run({ values, gatehouse, cwd }) {
      const ca = str(values, 'ca');
      const cn = required(values, 'cn', NEW_USAGE);
      // An ACME issuance that cannot run (no such account, no serve to answer http-01 or tls-alpn-01,
      // a wildcard without dns-01, dns-01 without a DNS provider) is refused before a request is made.
      if (ca !== undefined && ca.startsWith('acme:')) {
        const wildcard = str(values, 'wildcard');
        const names = [cn, ...list(values, 'san'), ...(wildcard === undefined ? [] : [`*.${wildcard.replace(/^\*\./, '')}`])];
        gatehouse().acme.plan(ca.slice(5), names, { challenge: str(values, 'challenge'), dns: str(values, 'dns') });
      }
      const input = {
        cn, sans: list(values, 'san'), wildcard: str(values, 'wildcard'), org: str(values, 'org'), ou: str(values, 'ou'),
        city: str(values, 'city'), state: str(values, 'state'), country: str(values, 'country'),
        keyType: str(values, 'key') === undefined ? DEFAULT_KEY_TYPE : parseKeyType(str(values, 'key')!),
        exportable: values.exportable === true, friendlyName: str(values, 'friendly-name'),
      };
      const r = await gatehouse().requests.create(input);
      if (ca !== undefined) {
        try {
          return await submitted(gatehouse(), r.id, ca, values);
        } catch (e) {
          if (e instanceof GatehouseError) throw new GatehouseError(e.code, `${e.message} Request ${r.id} stays pending: "gatehouse request submit ${r.id} --ca ${ca}" tries again.`);
          throw e;
        }
      }
      return requestCreated(r, str(values, 'out'), cwd);
    },
  },
  {
    noun: 'request',
    verb: 'list',
    usage: 'gatehouse request list',
    summary: 'List pending certificate requests.',
    options: {},
    run({ gatehouse }) {
      const rows = gatehouse().requests.list();
      return {
        json: rows.map(withoutCsr),
        text: rows.length === 0 ? 'No pending certificate requests.' : table(['Id', 'Common name', 'Names', 'Key', 'Friendly name', 'Created'], rows.map((r) => [String(r.id), r.cn, r.sans.join(', '), r.keyType, r.friendlyName ?? '', day(r.created)])),
      };
    },
  },
  {
    noun: 'request',
    verb: 'show',
    usage: 'gatehouse request show ID [--csr]',
    summary: 'Show a pending request; --csr prints the CSR (PEM) again.',
    flags: [
      ['--csr', 'print the CSR (PEM) instead of the summary'],
    ],
    options: { csr: { type: 'boolean' } },
    positionals: { min: 1, max: 1, names: 'the request id' },
    run({ values, positionals, gatehouse }) {
      const r = gatehouse().requests.show(requestId(positionals[0]!));
      if (values.csr) return { json: r, text: r.csr.trimEnd() };
      return { json: withoutCsr(r), text: requestText(r) };
    },
  },
  {
    noun: 'request',
    verb: 'cancel',
    usage: 'gatehouse request cancel ID',
    summary: 'Cancel a pending request and destroy its private key.',
    options: {},
    positionals: { min: 1, max: 1, names: 'the request id' },
    run({ positionals, gatehouse }) {
      const r = gatehouse().requests.cancel(requestId(positionals[0]!));
      return { json: r, text: `Cancelled request ${r.id}; its private key was destroyed.` };
    },
  },
  {
    noun: 'request',
    verb: 'complete',
    usage: 'gatehouse request complete --file FILE [--friendly-name NAME] [--store webhosting|personal]',
    summary: "Complete a pending request with the CA's response (.cer, .crt, .pem, .p7b; PEM or DER); for a renewal request, then move every use of the old certificate, probe and commit or roll back.",
    flags: [
      ['--file FILE', "the CA's response: .cer/.crt (PEM or DER), a PEM bundle with intermediates, or .p7b/.p7c"],
      ['--friendly-name NAME', "a label for the certificate (default: the request's own friendly name, else host-issuer-(expiry), as the IIS guide recommends)"],
      ['--store STORE', 'webhosting (default, Web Hosting) or personal'],
    ],
    options: { file: { type: 'string' }, 'friendly-name': { type: 'string' }, store: { type: 'string' } },
    run({ values, gatehouse, cwd }) {
      const { data, name } = readInputFile(cwd, required(values, 'file', this.usage));
      const store = str(values, 'store');
      const g = gatehouse();
      const c = g.requests.complete(data, name, { friendlyName: str(values, 'friendly-name'), store: store === undefined ? undefined : parseStoreName(store) });
      return renewAfterCompletion(g, c, 'manual', { json: c, notes: c.warnings, text: `Completed request ${c.requestId}: installed "${c.friendlyName}" in the ${c.store} store.\n${certificateDetails(c)}` });
    },
  },
  {
    noun: 'request',
    verb: 'submit',
    usage: 'gatehouse request submit ID --ca internal|acme:ACCOUNT [--challenge http-01|tls-alpn-01|dns-01] [--dns SPEC] [--friendly-name NAME] [--store webhosting|personal] [--days N]',
    summary: 'Submit a pending request to the internal CA or an ACME CA; the request is completed at once with the certificate.',
    flags: [
      ['--ca internal|acme:ACCOUNT', 'the internal CA, or the ACME account to order from (for http-01 and tls-alpn-01 serve must run: it answers the challenges)'],
      ['--challenge TYPE', CHALLENGE_FLAG],
      ['--dns SPEC', DNS_FLAG],
      ['--friendly-name NAME', 'as for request complete'],
      ['--store STORE', 'webhosting (default) or personal'],
      ['--days N', 'validity in days (default 397, at most 825)'],
    ],
    options: { ca: { type: 'string' }, challenge: { type: 'string' }, dns: { type: 'string' }, 'friendly-name': { type: 'string' }, store: { type: 'string' }, days: { type: 'string' } },
    positionals: { min: 1, max: 1, names: 'the request id' },
    run({ values, positionals, gatehouse }) {
      return submitted(gatehouse(), requestId(positionals[0]!), required(values, 'ca', this.usage), values);
    },
  },
];

/** `request submit` (and `request new --ca`): the internal CA signs, or an ACME CA issues with progress on stderr. */
async function submitted(g: Gatehouse, id: number, ca: string, values: Values): Promise<Output> {
  const store = str(values, 'store');
  const options = { friendlyName: str(values, 'friendly-name'), store: store === undefined ? undefined : parseStoreName(store) };
  if (ca.startsWith('acme:')) {
    const account = ca.slice(5);
    const progress = values.json === true ? undefined : (line: string) => process.stderr.write(`${line}\n`);
    const c = await g.acme.issue(id, account, { ...options, challenge: str(values, 'challenge'), dns: str(values, 'dns'), progress });
    return renewAfterCompletion(g, c, `acme:${account}`, { json: c, notes: c.warnings, text: `ACME account "${account}" issued the certificate for request ${c.requestId}: installed "${c.friendlyName}" in the ${c.store} store.\n${certificateDetails(c)}` });
  }
  const c = await g.requests.submit(id, ca, { ...options, days: int(values, 'days') });
  return renewAfterCompletion(g, c, 'internal', { json: c, notes: c.warnings, text: `The internal CA issued the certificate for request ${c.requestId}: installed "${c.friendlyName}" in the ${c.store} store.\n${certificateDetails(c)}` });
}
