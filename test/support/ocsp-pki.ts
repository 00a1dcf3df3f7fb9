// A small PKI made with openssl for the OCSP tests: a root CA, leaves it signs (which may name an OCSP
// responder in their Authority Information Access and may be listed as revoked), and `openssl ocsp`
// answering for them from the CA's index.
import { spawn, type ChildProcess } from 'node:child_process';
import { join, openssl, writeText } from './cli.js';

export interface OcspLeaf {
  /** The leaf's DNS name (CN and SAN); its files are NAME.pem and NAME.key in the folder. */
  name: string;
  /** Whether it names the responder (http://127.0.0.1:PORT). */
  aia: boolean;
  revoked?: boolean;
  /** ECDSA P-256 (the default) or RSA-2048. */
  key?: 'ec' | 'rsa';
  /** Validity in days (default 20; a scanner calls under 30 an issue). */
  days?: number;
}

const KEY = { ec: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'], rsa: ['-newkey', 'rsa:2048', '-nodes'] };

/** Makes ca.pem / ca.key, each leaf's NAME.pem / NAME.key, and the responder's index.txt in `dir`. */
export function makeOcspPki(dir: string, responderPort: number, leaves: OcspLeaf[]): void {
  openssl(['req', '-x509', ...KEY.ec, '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem'), '-subj', '/CN=OCSP Test Root', '-days', '400',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const index: string[] = [];
  for (const { name, aia, revoked, key, days = 20 } of leaves) {
    const ext = join(dir, `${name}.ext`);
    writeText(ext, [`subjectAltName=DNS:${name}`, 'extendedKeyUsage=serverAuth', 'basicConstraints=CA:FALSE',
      ...(aia ? [`authorityInfoAccess=OCSP;URI:http://127.0.0.1:${responderPort}`] : [])].join('\n') + '\n');
    openssl(['req', '-new', ...KEY[key ?? 'ec'], '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.csr`), '-subj', `/CN=${name}`]);
    openssl(['x509', '-req', '-in', join(dir, `${name}.csr`), '-CA', join(dir, 'ca.pem'), '-CAkey', join(dir, 'ca.key'), '-CAcreateserial',
      '-days', String(days), '-extfile', ext, '-out', join(dir, `${name}.pem`)]);
    const serial = openssl(['x509', '-in', join(dir, `${name}.pem`), '-noout', '-serial']).trim().replace('serial=', '');
    const expiry = new Date(Date.now() + days * 86_400_000).toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
    const revokedAt = new Date(Date.now() - 3_600_000).toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
    index.push(revoked ? `R\t${expiry}\t${revokedAt}\t${serial}\tunknown\t/CN=${name}` : `V\t${expiry}\t\t${serial}\tunknown\t/CN=${name}`);
  }
  writeText(join(dir, 'index.txt'), index.join('\n') + '\n');
}

/** `openssl ocsp` answering for the PKI in `dir` on 127.0.0.1:port (responses valid one minute). */
export function startOcspResponder(dir: string, port: number): ChildProcess {
  return spawn('openssl', ['ocsp', '-index', join(dir, 'index.txt'), '-port', String(port), '-rsigner', join(dir, 'ca.pem'), '-rkey', join(dir, 'ca.key'),
    '-CA', join(dir, 'ca.pem'), '-nmin', '1', '-ignore_err'], { stdio: 'ignore' });
}
