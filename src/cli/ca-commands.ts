import { loadX509 } from '../pki/x509.js';
import { fail } from '../model/gatehouse-error.js';
import { parseKeyType } from '../model/key-type.js';
import { type Command, int, required, str } from './command.js';
import { readInputFile, writeOutputFile } from './files.js';
import { details } from './table.js';
import { toPem } from '../pki/pem.js';


export const caCommands: Command[] = [
  {
    noun: 'ca',
    verb: 'init',
    usage: 'gatehouse ca init [--cn NAME] [--key TYPE] [--days N]',
    summary: 'Create the internal CA (a self-signed root kept in the store; default ECDSA P-384, 10 years).',
    flags: [
      ['--cn NAME', "the CA's name (default \"Gatehouse Internal CA\")"],
      ['--key TYPE', 'default ecdsa-p384'],
      ['--days N', 'validity (default 3650)'],
    ],
    options: { cn: { type: 'string' }, key: { type: 'string' }, days: { type: 'string' } },
    async run({ values, gatehouse }) {
      const key = str(values, 'key');
      const ca = await gatehouse().ca.init({ cn: str(values, 'cn'), keyType: key === undefined ? undefined : parseKeyType(key), days: int(values, 'days') });
      return { json: ca, text: `Created the internal CA "${ca.subject}" (${ca.keyType}, valid until ${ca.notAfter}).\nGive its certificate to clients to trust: gatehouse ca export --out gatehouse-ca.crt` };
    },
  },
  {
    noun: 'ca',
    verb: 'show',
    usage: 'gatehouse ca show',
    summary: 'Describe the internal CA.',
    options: {},
    run({ gatehouse }) {
      const ca = gatehouse().ca.show();
      return { json: ca, text: details([['Subject', ca.subject], ['Thumbprint', ca.thumbprint], ['Key', ca.keyType], ['Valid from', ca.notBefore], ['Expiration', ca.notAfter]]) };
    },
  },
  {
    noun: 'ca',
    verb: 'export',
    usage: 'gatehouse ca export --out FILE [--format pem|der]',
    summary: 'Write the internal CA certificate (for clients to trust); never its key.',
    flags: [
      ['--out FILE', 'where to write the CA certificate'],
      ['--format pem|der', 'default pem'],
    ],
    options: { out: { type: 'string' }, format: { type: 'string' } },
    run({ values, gatehouse, cwd }) {
      const out = required(values, 'out', this.usage);
      const format = (str(values, 'format') ?? 'pem').toLowerCase();
      if (format !== 'pem' && format !== 'der') throw fail('GH_USAGE', `--format must be pem or der; got "${format}".`);
      const der = gatehouse().ca.certificate();
      const path = writeOutputFile(cwd, out, format === 'pem' ? toPem(der) : der, 0o644);
      return { json: { out: path, format }, text: `Wrote the internal CA certificate to ${out}.` };
    },
  },
  {
    noun: 'ca',
    verb: 'sign',
    usage: 'gatehouse ca sign --csr FILE --out FILE [--days N] [--format pem|der|p7b]',
    summary: 'Issue a TLS server certificate for a CSR made anywhere (default 397 days).',
    flags: [
      ['--csr FILE', 'a PKCS#10 request (PEM or DER) made anywhere'],
      ['--out FILE', 'where to write the certificate'],
      ['--days N', 'validity (default 397, at most 825)'],
      ['--format pem|der|p7b', 'pem (default; certificate then the CA certificate), der (the certificate), p7b (both)'],
    ],
    options: { csr: { type: 'string' }, out: { type: 'string' }, days: { type: 'string' }, format: { type: 'string' } },
    async run({ values, gatehouse, cwd }) {
      const csr = readInputFile(cwd, required(values, 'csr', this.usage));
      const out = required(values, 'out', this.usage);
      const format = (str(values, 'format') ?? 'pem').toLowerCase();
      if (!['pem', 'der', 'p7b'].includes(format)) throw fail('GH_USAGE', `--format must be pem, der or p7b; got "${format}".`);
      const g = gatehouse();
      const issued = await g.ca.sign(csr.data, int(values, 'days'));
      let data: Buffer | string;
      if (format === 'der') data = issued.der;
      else if (format === 'pem') data = toPem(issued.der) + toPem(g.ca.certificate());
      else {
        const x509 = loadX509();
        data = Buffer.from(new x509.X509Certificates([new x509.X509Certificate(new Uint8Array(issued.der)), new x509.X509Certificate(new Uint8Array(g.ca.certificate()))]).export('raw'));
      }
      const path = writeOutputFile(cwd, out, data, 0o644);
      const { der: _der, ...rest } = issued;
      return { json: { ...rest, out: path, format }, text: `Issued ${issued.subject} (${issued.sans.join(', ')}), serial ${issued.serialNumber}, valid until ${issued.notAfter}.\nWrote it to ${out}.` };
    },
  },
];
