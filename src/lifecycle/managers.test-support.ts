// Shared set-up for the managers' unit tests (src/lifecycle/*.test.ts): not product code, never
// imported by it. A Gatehouse on a private in-memory store with a clock the test moves, a throwaway
// outside CA that issues for pending requests at any instant, and the "a refusal writes nothing" check.
import assert from 'node:assert/strict';
import { GatehouseError } from '../model/gatehouse-error.js';
import { createCaCertificate, issueServerCertificate } from '../pki/certificate-issuer.js';
import { readCertificateRequest } from '../pki/certificate-request.js';
import { parseSubjectNames } from '../pki/host-name.js';
import { generateKeyPair } from '../pki/key-pair.js';
import { toPem } from '../pki/pem.js';
import type { Certificate } from '../model/certificate.js';
import { newSerial } from './certificate-manager.js';
import { openGatehouse, type Gatehouse } from './gatehouse.js';

export const DAY = 86_400_000;
export const START = '2026-11-20T10:00:00.000Z';
/** Certificates Gatehouse issues start five minutes back and end exactly their days after that start (pki/certificate-issuer.ts). */
export const BACKDATE = 5 * 60_000;

export interface TestClock {
  now: () => Date;
  advance: (ms: number) => void;
  set: (iso: string) => void;
}

/** A Gatehouse on ':memory:' whose clock starts at START and moves only when the test moves it. */
export function fixture(t: { after: (fn: () => void) => void }, options: { cwd?: string } = {}): { g: Gatehouse; clock: TestClock } {
  let now = Date.parse(START);
  const clock: TestClock = { now: () => new Date(now), advance: (ms) => void (now += ms), set: (iso) => void (now = Date.parse(iso)) };
  const g = openGatehouse({ dataDir: ':memory:', actor: { name: 'tester', origin: 'cli' }, clock: clock.now, ...options });
  t.after(() => g.close());
  return { g, clock };
}

/** Asserts that `fn` (sync or async) is refused with the GatehouseError `code`. */
export async function refused(code: string, fn: () => unknown): Promise<GatehouseError> {
  let caught: unknown;
  await assert.rejects(async () => fn(), (e: unknown) => {
    caught = e;
    return e instanceof GatehouseError && e.code === code;
  }, code);
  return caught as GatehouseError;
}

/** Everything a change could touch, as the managers and the read model answer it. */
export function storeState(g: Gatehouse): Record<string, unknown> {
  let ca: unknown = null;
  try {
    ca = g.ca.show();
  } catch (e) {
    if (!(e instanceof GatehouseError && e.code === 'GH_CA_NOT_INITIALIZED')) throw e;
  }
  return {
    revision: g.serving.revision(),
    audit: g.audit(),
    requests: g.requests.list(),
    certificates: g.certificates.list(),
    ca,
    sites: g.sites.list(),
    bindings: g.bindings.list(),
    services: g.services.list(),
    users: g.users.list(),
    renewals: g.renewals.latest(),
  };
}

/** Asserts the refusal `code` and that the store is exactly as it was: no audit record, no revision, no row. */
export async function refusedUnchanged(g: Gatehouse, code: string, fn: () => unknown): Promise<GatehouseError> {
  const before = storeState(g);
  const e = await refused(code, fn);
  assert.deepEqual(storeState(g), before, `${code}: a refused change leaves the store unchanged`);
  return e;
}

/** A self-signed certificate with its key, made by CertificateManager at the fixture's clock. */
export function selfSigned(g: Gatehouse, cn: string, options: { sans?: string[]; days?: number; exportable?: boolean; friendlyName?: string } = {}): Promise<Certificate> {
  return g.certificates.selfSigned({ cn, sans: options.sans ?? [], days: options.days, keyType: 'ecdsa-p256', exportable: options.exportable ?? false, friendlyName: options.friendlyName });
}

/** A CA outside Gatehouse (a public CA, or the company's): issues for a CSR with any validity, at any instant. */
export interface OutsideCa {
  root: Buffer;
  /** The leaf for this CSR, valid from `now` (backdated five minutes) for `days`; `names` overrides the CSR's. */
  issue(csr: string | Buffer, options: { now: Date; days: number; names?: string[] }): Promise<Buffer>;
  /** What the CA sends back: the leaf and the root as one PEM bundle. */
  bundle(leaf: Buffer): Buffer;
}

export async function outsideCa(name = 'Unit Outside CA'): Promise<OutsideCa> {
  const keys = await generateKeyPair('ecdsa-p256');
  const root = await createCaCertificate({ subject: [{ CN: [name] }], serialNumber: newSerial(), now: new Date('2020-01-01T00:00:00Z'), days: 36500 }, keys);
  return {
    root,
    async issue(csr, options) {
      const request = await readCertificateRequest(Buffer.from(csr));
      const names = options.names ? parseSubjectNames(options.names) : request.names;
      const cn = request.commonName ?? names[0]!.value;
      return issueServerCertificate({ subject: [{ CN: [cn] }], names, serialNumber: newSerial(), now: options.now, days: options.days }, request.publicKeySpki, { certificate: root, keys });
    },
    bundle: (leaf) => Buffer.from(toPem(leaf) + toPem(root)),
  };
}

/** A pending request for `cn` completed with a certificate from `ca` valid for `days` from the clock. */
export async function requestedCertificate(g: Gatehouse, ca: OutsideCa, cn: string, options: { sans?: string[]; days?: number; exportable?: boolean; friendlyName?: string } = {}): Promise<Certificate> {
  const request = await g.requests.create({ cn, sans: options.sans ?? [], keyType: 'ecdsa-p256', exportable: options.exportable ?? false });
  const leaf = await ca.issue(request.csr, { now: g.clock(), days: options.days ?? 200 });
  return g.requests.complete(ca.bundle(leaf), 'www.cer', { friendlyName: options.friendlyName });
}
