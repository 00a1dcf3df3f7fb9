import type { PendingRequest, Certificate } from '../model/certificate.js';
import { fail } from '../model/gatehouse-error.js';
import { act, opt } from '../model/wording.js';
import { KEY_TYPES, type KeyType } from '../model/key-type.js';
import { readCertificates } from '../pki/ca-response.js';
import { buildCertificateRequest, readCertificateRequest } from '../pki/certificate-request.js';
import { describeCertificate, sha256Hex } from '../pki/certificate-info.js';
import { parseSubjectNames, parseSubjectName } from '../pki/host-name.js';
import { generateKeyPair, spkiDer } from '../pki/key-pair.js';
import { subjectFieldsOf, validateSubject, type SubjectFields } from '../pki/subject.js';
import { validateFriendlyName } from '../pki/friendly-name.js';
import type { GatehouseStore, RequestRow } from '../store/gatehouse-store.js';
import { chainWarnings, summary, type CertificateManager, type InstallOptions } from './certificate-manager.js';
import type { InternalCa } from './internal-ca.js';

/** The New Exchange Certificate wizard in one object: names, domain scope, organization and location, key. */
export interface NewRequestInput {
  cn: string;
  sans: string[];
  wildcard?: string | undefined;
  org?: string | undefined;
  ou?: string | undefined;
  city?: string | undefined;
  state?: string | undefined;
  country?: string | undefined;
  keyType: KeyType;
  exportable: boolean;
  /** The name the certificate gets when the request is completed (unless completion gives another). */
  friendlyName?: string | undefined;
}

/**
 * Pending certificate requests: create (CSR + private key), list, cancel, and complete with what
 * the CA sent — or submit to the internal CA, which signs and completes in one step.
 */
export class RequestManager {
  constructor(
    private readonly store: GatehouseStore,
    private readonly certificates: CertificateManager,
    private readonly ca: InternalCa,
    private readonly clock: () => Date,
  ) {}

  async create(input: NewRequestInput, renews: string | null = null): Promise<PendingRequest> {
    const cnName = parseSubjectName(input.cn);
    const scope: string[] = [];
    if (input.wildcard !== undefined) {
      const root = parseSubjectName(input.wildcard.replace(/^\*\./, ''));
      if (root.type !== 'dns') throw fail('GH_NAME_INVALID', `The wildcard root domain "${input.wildcard}" must be a DNS name such as contoso.com.`);
      scope.push(`*.${root.value}`, root.value);
    }
    // The common name is always a SAN too: browsers read only the SANs.
    const names = parseSubjectNames([input.cn, ...scope, ...input.sans]);
    const friendlyName = input.friendlyName === undefined ? null : validateFriendlyName(input.friendlyName);
    const subject: SubjectFields = validateSubject({ cn: cnName.value, org: input.org, ou: input.ou, city: input.city, state: input.state, country: input.country });
    const keys = await generateKeyPair(input.keyType);
    const csr = await buildCertificateRequest({ subject, names }, keys);
    const parsed = await readCertificateRequest(Buffer.from(csr));
    const spki = sha256Hex(spkiDer(keys.publicKey));
    const created = this.clock().toISOString();
    const sans = names.map((n) => n.value);
    const id = this.store.change(
      (rid: number) => ({ action: 'request.new', target: `request ${rid}`, after: { subject: parsed.subject, sans, keyType: input.keyType, exportable: input.exportable, ...(friendlyName === null ? {} : { friendlyName }), ...(renews === null ? {} : { renews }) } }),
      () => {
        const keyId = this.store.keys.insert({ key: keys.privateKey, keyType: input.keyType, spkiSha256: spki, exportable: input.exportable });
        return this.store.requests.insert({ subject: parsed.subject, cn: cnName.value, sans, keyType: input.keyType, keyId, spkiSha256: spki, csr, created, friendlyName, renews });
      },
    );
    return this.show(id);
  }

  /**
   * IIS's Renew…: a new request with the renewed certificate's subject, names and key type, and a
   * new key (exportable when the old one was), marked as renewing it — completing it is a renewal.
   */
  async renew(ref: string): Promise<PendingRequest> {
    const old = this.certificates.resolve(ref);
    if (old.store === 'root') throw fail('GH_RENEWAL_INVALID', `"${old.friendlyName}" is a CA certificate in the root store; only server certificates are renewed here.`);
    if (!(KEY_TYPES as readonly string[]).includes(old.keyType)) {
      throw fail('GH_RENEWAL_INVALID', `"${old.friendlyName}" has a ${old.keyType} key, which Gatehouse does not generate; make a new request with ${opt('key')} and complete it, then move its uses.`);
    }
    const fields = subjectFieldsOf(this.store.certificates.der(old.thumbprint).der);
    const cn = fields.cn ?? old.sans[0];
    if (cn === undefined) throw fail('GH_RENEWAL_INVALID', `"${old.friendlyName}" names no host (no common name, no subject alternative name), so there is nothing to renew it for.`);
    const pending = this.store.requests.list().find((r) => r.renews === old.thumbprint);
    if (pending) throw fail('GH_RENEWAL_PENDING', `Request ${pending.id} already renews "${old.friendlyName}"; complete it with the CA's answer (${act('request-complete')}) or cancel it (${act('request-cancel', String(pending.id))}) first.`);
    return this.create({
      cn, sans: old.sans.filter((n) => n !== cn.toLowerCase()), org: fields.org, ou: fields.ou, city: fields.city, state: fields.state, country: fields.country,
      keyType: old.keyType as KeyType, exportable: old.exportable,
    }, old.thumbprint);
  }

  list(): PendingRequest[] {
    return this.store.requests.list().map(view);
  }

  show(id: number): PendingRequest {
    return view(this.get(id));
  }

  cancel(id: number): { id: number; cancelled: true } {
    const row = this.get(id);
    this.store.change(
      () => ({ action: 'request.cancel', target: `request ${id}`, before: { subject: row.subject, sans: row.sans } }),
      () => {
        this.store.requests.delete(id);
        this.store.keys.deleteIfUnused(row.keyId);
      },
    );
    return { id, cancelled: true };
  }

  /**
   * Complete Certificate Request: finds, among the certificates in what the CA sent, the one whose
   * public key matches a pending request; installs it with its chain under the request's key and
   * retires the request — all in one transaction.
   */
  complete(file: Buffer, fileName: string, options: InstallOptions): Certificate & { requestId: number; renews: string | null; warnings: string[] } {
    const certs = readCertificates(file, fileName);
    const infos = certs.map((der) => describeCertificate(der));
    let match: { info: (typeof infos)[number]; request: RequestRow } | undefined;
    for (const info of infos) {
      const request = this.store.requests.findBySpki(info.spkiSha256)[0];
      if (request) {
        match = { info, request };
        break;
      }
    }
    if (!match) {
      const leaf = infos.find((i) => !i.isCa);
      if (!leaf) {
        const ca = infos[0]!;
        throw fail('GH_CERT_IS_CA', `${fileName} holds ${infos.length === 1 ? 'a CA certificate' : `${infos.length} CA certificates`} ("${ca.subject}", ${ca.selfIssued ? 'a root: self-signed, CA:TRUE' : `an intermediate issued by "${ca.issuer}", CA:TRUE`}${infos.length > 1 ? ', …' : ''}), not the answer to a request. To trust a root, use ${act('root-import')}; to add intermediates to an installed certificate's chain, use ${act('cert-chain', 'REF')}.`);
      }
      const installed = this.store.certificates.get(leaf.thumbprint);
      if (installed) {
        const chainHint = certs.length > 1 ? ` To add the CA certificates in ${fileName} to its chain, use ${act('cert-chain', leaf.thumbprint.slice(0, 12))}.` : '';
        throw fail('GH_CERT_ALREADY_INSTALLED', `This certificate (thumbprint ${leaf.thumbprint}) is already installed in the ${installed.store} store as "${installed.friendlyName}"; its request was completed before.${chainHint}`);
      }
      throw fail('GH_NO_MATCHING_REQUEST', `No pending request on this server matches the certificate for ${leaf.issuedTo} (thumbprint ${leaf.thumbprint}). The request was probably created on another server: export a PFX with the private key there and import it here with ${act('cert-import')}.`);
    }
    const { info, request } = match;
    const { row, chainDer } = this.certificates.prepare(certs, info, { ...options, friendlyName: options.friendlyName ?? request.friendlyName ?? undefined }, request.keyId);
    this.store.change(
      () => ({ action: 'request.complete', target: row.thumbprint, before: { request: request.id, subject: request.subject }, after: summary(row) }),
      () => {
        this.store.certificates.insert(row, info.der, chainDer);
        this.store.requests.delete(request.id);
      },
    );
    const installed = this.certificates.show(row.thumbprint);
    const missing = request.sans.filter((n) => !installed.sans.includes(n));
    const warnings = [...(missing.length > 0 ? [`the CA left out ${missing.join(', ')}: clients asking for ${missing.length === 1 ? 'that name' : 'those names'} will get a name mismatch`] : []), ...chainWarnings(installed)];
    return { ...installed, requestId: request.id, renews: request.renews, warnings };
  }

  /** `request submit ID --ca internal`: the internal CA signs the request and it is completed at once. */
  async submit(id: number, caName: string, options: InstallOptions & { days?: number | undefined }): Promise<Certificate & { requestId: number; renews: string | null; warnings: string[] }> {
    if (caName !== 'internal') throw fail('GH_CA_UNKNOWN', `"${caName}" is not a CA Gatehouse can submit to; use ${opt('ca-internal')} or ${opt('ca-acme')} (an ACME account), or save the CSR and send it to your CA.`);
    const row = this.get(id);
    const issued = await this.ca.sign(Buffer.from(row.csr), options.days);
    return this.complete(issued.der, `the certificate issued for request ${id}`, options);
  }

  private get(id: number): RequestRow {
    const row = Number.isInteger(id) ? this.store.requests.get(id) : undefined;
    if (!row) throw fail('GH_REQUEST_NOT_FOUND', `There is no pending request ${id}. ${act('request-list')} shows the pending ones.`);
    return row;
  }
}

function view(r: RequestRow): PendingRequest {
  return { id: r.id, subject: r.subject, cn: r.cn, sans: r.sans, keyType: r.keyType, exportable: r.exportable, friendlyName: r.friendlyName, created: r.created, csr: r.csr, renews: r.renews };
}
