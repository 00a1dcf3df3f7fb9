import { randomBytes, type KeyObject } from 'node:crypto';
import { fail } from '../model/gatehouse-error.js';
import { act, opt } from '../model/wording.js';
import { bindingText } from '../model/binding.js';
import { EXPIRING_DAYS, type Certificate, type CertificateStatus, type ChainCertificate } from '../model/certificate.js';
import { decodeCursor, encodeCursor, pageLimit, type Page } from './paging.js';
import { DEFAULT_STORE, ROOT_STORE_LABEL, type StoreName } from '../model/store-name.js';
import { buildChain, servedChain } from '../pki/certificate-chain.js';
import { describeCertificate, sha256Hex, type CertificateInfo } from '../pki/certificate-info.js';
import { certificateFields, certificationPath, type CertificateFields, type PathLink } from '../pki/certificate-details.js';
import { defaultFriendlyName, validateFriendlyName } from '../pki/friendly-name.js';
import { assertConsistentKey, assertServableKey, keyTypeName, spkiDer } from '../pki/key-pair.js';
import { readPfx, writePfx } from '../pki/pkcs12.js';
import { toPem } from '../pki/pem.js';
import { readPrivateKey } from '../pki/private-key-file.js';
import { assertDecodable, looksLikePfx, readCertificates } from '../pki/ca-response.js';
import { createSelfSignedCertificate } from '../pki/certificate-issuer.js';
import { parseSubjectNames } from '../pki/host-name.js';
import type { CertificateRow, GatehouseStore } from '../store/gatehouse-store.js';
import { certificateView } from './certificate-view.js';
import type { KeyType } from '../model/key-type.js';
import { generateKeyPair } from '../pki/key-pair.js';
import { validateDays } from './days.js';
import { TrustAnchors } from './trust-anchors.js';

export interface InstallOptions {
  friendlyName?: string | undefined;
  store?: StoreName | undefined;
}

/** The longest "expiring within" filter: 100 years, far beyond any certificate, and within the dates a clock can name. */
const MAX_EXPIRING_DAYS = 36_500;

/** The statuses a certificate listing filters by. */
export const CERTIFICATE_STATUSES: readonly CertificateStatus[] = ['valid', 'expiring', 'expired', 'chain-incomplete'];

/** One page of the certificate listing. */
export type CertificatePage = Page<Certificate>;

export interface ImportInput extends InstallOptions {
  file: Buffer;
  fileName: string;
  keyFile?: Buffer | undefined;
  password?: string | undefined;
  exportable: boolean;
}

export interface ExportInput {
  format: 'pfx' | 'pem';
  password?: string | undefined;
  legacy?: boolean;
  includeKey: boolean;
}

const THUMBPRINT_PREFIX = /^[0-9A-F]{8,40}$/;

/**
 * The certificate side of the lifecycle: the Server Certificates page's actions (import, export,
 * self-signed, rename, remove) and the installation step that completing a request ends with.
 * Every change is one store transaction; refused changes leave the store untouched.
 */
export class CertificateManager {
  readonly #trust: TrustAnchors;

  constructor(
    private readonly store: GatehouseStore,
    private readonly clock: () => Date,
    trust?: TrustAnchors,
  ) {
    this.#trust = trust ?? new TrustAnchors(store);
  }

  /** The server certificates (Web Hosting and Personal), or one store's certificates (`root` included). */
  list(filter: { store?: StoreName | undefined; expiringDays?: number | undefined } = {}): Certificate[] {
    const now = this.clock();
    const days = filter.expiringDays;
    if (days !== undefined && (!Number.isInteger(days) || days < 0 || days > MAX_EXPIRING_DAYS)) {
      throw fail('GH_DAYS_INVALID', `${opt('expiring')} takes a whole number of days from 0 to ${MAX_EXPIRING_DAYS} (100 years, longer than any certificate lasts); got ${days}.`);
    }
    const notAfterBefore = days === undefined ? undefined : new Date(now.getTime() + days * 86_400_000).toISOString();
    const trusted = this.#trust.trusted();
    return this.store.certificates.list({ store: filter.store, notAfterBefore }).map((r) => certificateView(r, now, trusted));
  }

  /**
   * One page of `list` (the Server Certificates page at 100,000 certificates): at most `limit`
   * (1…1000) certificates after the cursor a previous page gave, filtered by a text in the name
   * (friendly name, issued to, SANs; any case) and by status too; with how many match in all and
   * the cursor of the next page (null on the last). Keyset paging: a certificate is listed once
   * across pages even while others are added.
   */
  page(filter: { store?: StoreName | undefined; expiringDays?: number | undefined; name?: string | undefined; status?: string | undefined; limit: number; cursor?: string | undefined }): CertificatePage {
    const now = this.clock();
    const days = filter.expiringDays;
    if (days !== undefined && (!Number.isInteger(days) || days < 0 || days > MAX_EXPIRING_DAYS)) {
      throw fail('GH_DAYS_INVALID', `${opt('expiring')} takes a whole number of days from 0 to ${MAX_EXPIRING_DAYS} (100 years, longer than any certificate lasts); got ${days}.`);
    }
    const limit = pageLimit(filter.limit);
    if (filter.status !== undefined && !CERTIFICATE_STATUSES.includes(filter.status as CertificateStatus)) {
      throw fail('GH_PAGE_INVALID', `The status "${filter.status}" is not one a certificate has; give one of ${CERTIFICATE_STATUSES.join(', ')}.`);
    }
    const after = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor, 2) as [string, string];
    const notAfterBefore = days === undefined ? undefined : new Date(now.getTime() + days * 86_400_000).toISOString();
    const soon = new Date(now.getTime() + EXPIRING_DAYS * 86_400_000).toISOString();
    const name = filter.name?.trim() || undefined;
    const status = filter.status === undefined ? undefined : { status: filter.status as CertificateStatus, now: now.toISOString(), soon };
    const page = this.store.certificates.page({ store: filter.store, notAfterBefore, name, status }, limit, after);
    const trusted = this.#trust.trusted();
    const last = page.rows.at(-1);
    return { items: page.rows.map((r) => certificateView(r, now, trusted)), total: page.total, next: page.more && last ? encodeCursor([last.friendlyName, last.thumbprint]) : null };
  }

  show(ref: string): Certificate {
    return certificateView(this.resolve(ref), this.clock(), this.#trust.trusted());
  }

  /** IIS's View…: the certificate, its Details fields and its certification path judged now. */
  details(ref: string): Certificate & { fields: CertificateFields; path: PathLink[] } {
    const row = this.resolve(ref);
    const { der, chain } = this.store.certificates.der(row.thumbprint);
    const now = this.clock();
    const path = certificationPath(der, chain, { internalCa: this.store.ca.get()?.der, system: this.#trust.anchors() }, now);
    return { ...certificateView(row, now, this.#trust.trusted()), fields: certificateFields(der), path };
  }

  /** The certificate with exactly this thumbprint, or undefined (no error). */
  find(thumbprint: string): Certificate | undefined {
    const row = this.store.certificates.get(thumbprint);
    return row && certificateView(row, this.clock(), this.#trust.trusted());
  }

  /**
   * Finds one certificate by reference: a thumbprint in any case, a unique prefix of 8 or more hex
   * digits (spaces and colons ignored, as copied from Windows or openssl), or an exact friendly name.
   */
  resolve(ref: string): CertificateRow {
    const trimmed = ref.trim();
    const hex = trimmed.replace(/[\s:]/g, '').toUpperCase();
    const prefix = THUMBPRINT_PREFIX.test(hex) ? hex : undefined;
    const found = this.store.certificates.find(prefix, trimmed);
    const exact = found.filter((c) => c.thumbprint === hex || c.friendlyName === trimmed);
    const candidates = found.length > 1 && exact.length === 1 && exact[0]!.thumbprint === hex ? exact : found;
    if (candidates.length === 1) return candidates[0]!;
    if (candidates.length === 0) {
      throw fail('GH_CERT_NOT_FOUND', `No certificate matches "${ref}". Give a thumbprint (or 8+ leading hex digits of one) or an exact friendly name; ${act('cert-list')} shows them.`);
    }
    const list = candidates.slice(0, 10).map((c) => `${c.thumbprint} "${c.friendlyName}"`).join('; ');
    throw fail('GH_CERT_REF_AMBIGUOUS', `"${ref}" matches ${candidates.length} certificates: ${list}. Give the full thumbprint.`);
  }

  rename(ref: string, friendlyName: string): Certificate {
    const row = this.resolve(ref);
    const name = validateFriendlyName(friendlyName);
    this.store.change(
      () => ({ action: 'cert.rename', target: row.thumbprint, before: { friendlyName: row.friendlyName }, after: { friendlyName: name } }),
      () => this.store.certificates.rename(row.thumbprint, name),
    );
    return this.show(row.thumbprint);
  }

  /**
   * Removes a certificate and its key. One that bindings use is refused unless `force`, which
   * removes those bindings too (their sites stop answering on them) — and says which.
   */
  remove(ref: string, force = false): { thumbprint: string; friendlyName: string; removed: true; bindingsRemoved: string[]; servicesUnassigned: string[] } {
    const row = this.resolve(ref);
    const users = this.store.sites.bindingsUsing(row.thumbprint);
    const services = this.store.services.servicesOf(row.thumbprint);
    const described = users.map((b) => `${bindingText(b)} on site "${b.site}"`);
    if (users.length > 0 && !force) {
      throw fail('GH_CERT_IN_USE', `"${row.friendlyName}" is used by ${described.join(', ')}. Give those bindings another certificate (${act('binding-edit')}) or remove them first; ${opt('force-remove-certificate')} removes the certificate and those bindings.`);
    }
    if (services.length > 0 && !force) {
      throw fail('GH_CERT_IN_USE', `"${row.friendlyName}" is assigned to ${services.map((x) => x.toUpperCase()).join(', ')}. Assign another certificate to ${services.length > 1 ? 'them' : 'it'} (${act('service-assign', services.join(','))}) or unassign ${services.length > 1 ? 'them' : 'it'} (${act('service-unassign', services.join(','))}) first; ${opt('force-remove-certificate')} removes it and leaves ${services.length > 1 ? 'those services' : 'that service'} without a certificate.`);
    }
    this.store.change(
      () => ({ action: 'cert.remove', target: row.thumbprint, before: { ...summary(row), bindings: described, services } }),
      () => {
        for (const s of services) this.store.services.setCertificate(s, null);
        this.store.sites.replaceBindings(this.store.sites.bindings().filter((b) => b.certificate !== row.thumbprint));
        this.store.certificates.delete(row.thumbprint);
      },
    );
    return { thumbprint: row.thumbprint, friendlyName: row.friendlyName, removed: true, bindingsRemoved: described, servicesUnassigned: services };
  }

  /**
   * Checks a certificate the CA sent (or a PFX held) and builds its row: in its validity period, not
   * installed already, chain ordered from the bundle and ended at a root (from the bundle or a trust
   * anchor: the system's trust store, Trusted Root Certification Authorities, the internal CA).
   * Pure preparation: nothing is written here.
   */
  prepare(certs: Buffer[], leaf: CertificateInfo, options: InstallOptions, keyId: number | null): { row: Omit<CertificateRow, 'exportable'>; chainDer: Buffer[] } {
    const now = this.clock();
    if (options.store === 'root' && keyId !== null) {
      throw fail('GH_STORE_INVALID', `${ROOT_STORE_LABEL} (the root store) holds CA certificates without keys; install the certificate for ${leaf.issuedTo} in webhosting (the default) or personal.`);
    }
    if (leaf.notAfter.getTime() <= now.getTime()) {
      throw fail('GH_CERT_EXPIRED', `The certificate for ${leaf.issuedTo} (thumbprint ${leaf.thumbprint}) expired on ${leaf.notAfter.toISOString()}. Ask the CA to reissue it.`);
    }
    if (leaf.notBefore.getTime() > now.getTime() + 5 * 60_000) {
      throw fail('GH_CERT_NOT_YET_VALID', `The certificate for ${leaf.issuedTo} is not valid until ${leaf.notBefore.toISOString()}. Check this server's clock, or complete it after that time.`);
    }
    const existing = this.store.certificates.get(leaf.thumbprint);
    if (existing) {
      throw fail('GH_CERT_ALREADY_INSTALLED', `This certificate (thumbprint ${leaf.thumbprint}) is already installed in the ${existing.store} store as "${existing.friendlyName}". Nothing to do; see ${act('cert-show', leaf.thumbprint.slice(0, 12))}.`);
    }
    const others = certs.filter((c) => !c.equals(leaf.der));
    const built = buildChain(leaf.der, others, () => this.#trust.anchors());
    const chain = chainEntries(built.chain);
    const friendlyName = options.friendlyName !== undefined ? validateFriendlyName(options.friendlyName) : defaultFriendlyName(leaf.issuedTo, leaf.issuedBy, leaf.notAfter);
    return {
      row: {
        thumbprint: leaf.thumbprint, friendlyName, store: options.store ?? DEFAULT_STORE, subject: leaf.subject, issuer: leaf.issuer,
        issuedTo: leaf.issuedTo, issuedBy: leaf.issuedBy, sans: leaf.sans, notBefore: leaf.notBefore.toISOString(),
        notAfter: leaf.notAfter.toISOString(), serialNumber: leaf.serialNumber, keyType: leaf.keyType, spkiSha256: leaf.spkiSha256,
        keyId, chain, chainComplete: built.complete, created: now.toISOString(),
      },
      chainDer: built.chain,
    };
  }

  /** IIS's Import…: a PFX, or a PEM/DER certificate with its key (in the same file or --key-file). */
  async import(input: ImportInput): Promise<Certificate> {
    if (input.store === 'root') return this.importRoot(input);
    let certs: Buffer[];
    let key: KeyObject | undefined;
    let pfxName: string | undefined;
    let keyWhere: string;
    const text = input.file.toString('latin1');
    if (!text.includes('-----BEGIN') && looksLikePfx(input.file)) {
      const pfx = readPfx(input.file, input.password ?? '');
      if (pfx.certificates.length === 0) throw fail('GH_PFX_NO_CERT', `${input.fileName} holds no certificate. Export the PFX again with its certificate.`);
      if (!pfx.privateKey) throw fail('GH_PFX_NO_KEY', `${input.fileName} holds no private key, so the certificate could not serve TLS. Export it again with "Yes, export the private key".`);
      certs = assertDecodable(pfx.certificates, (looksLike) => fail('GH_PFX_INVALID', `${input.fileName} cannot be imported: ${looksLike}. Export the PFX again from its source.`));
      key = pfx.privateKey;
      pfxName = pfx.friendlyName;
      keyWhere = `The private key inside ${input.fileName}`;
    } else {
      certs = readCertificates(input.file, input.fileName);
      const keySource = input.keyFile ?? (/-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(text) ? input.file : undefined);
      if (!keySource) {
        throw fail('GH_KEY_MISSING', `${input.fileName} holds a certificate but no private key. Give the key with ${opt('key-file')}, or import a PFX; to complete a pending request use ${act('request-complete')}; to add CA certificates to an installed certificate's chain use ${act('cert-chain', 'REF')}; to trust a root CA use ${act('root-import')}.`);
      }
      key = readPrivateKey(keySource, input.password);
      keyWhere = input.keyFile ? `The private key given with ${opt('key-file')}` : `The private key in ${input.fileName}`;
    }
    assertServableKey(key);
    assertConsistentKey(key, keyWhere);
    const keySpki = sha256Hex(spkiDer(key));
    const infos = certs.map((der) => describeCertificate(der));
    const leaf = infos.find((i) => i.spkiSha256 === keySpki);
    if (!leaf) {
      throw fail('GH_KEY_MISMATCH', `The private key does not belong to ${infos.length === 1 ? 'the certificate' : 'any certificate'} in ${input.fileName} (${infos.map((i) => i.issuedTo).join(', ')}). Give the key that was made with the certificate's request.`);
    }
    const { row, chainDer } = this.prepare(certs, leaf, { ...input, friendlyName: input.friendlyName ?? pfxName }, null);
    const privateKey = key;
    this.store.change(
      () => ({ action: 'cert.import', target: row.thumbprint, after: summary(row) }),
      () => {
        const keyId = this.store.keys.insert({ key: privateKey, keyType: keyTypeName(privateKey), spkiSha256: keySpki, exportable: input.exportable });
        this.store.certificates.insert({ ...row, keyId }, leaf.der, chainDer);
      },
    );
    return this.show(row.thumbprint);
  }

  /** Export…: a PFX (modern or legacy) or PEM. Keys not marked exportable never leave the store. */
  export(ref: string, input: ExportInput): { thumbprint: string; format: string; data: Buffer } {
    const row = this.resolve(ref);
    const { der, chain } = this.store.certificates.der(row.thumbprint);
    if (input.format === 'pem' && !input.includeKey) {
      return { thumbprint: row.thumbprint, format: 'pem', data: Buffer.from([der, ...chain].map((d) => toPem(d)).join('')) };
    }
    if (row.keyId === null) {
      throw fail('GH_KEY_MISSING', `The certificate "${row.friendlyName}" has no private key in this store. Export the certificate alone with ${opt('no-key')}.`);
    }
    if (!row.exportable) {
      throw fail('GH_KEY_NOT_EXPORTABLE', `The private key of "${row.friendlyName}" was not marked exportable when it was made or imported, so it can never leave this server; the certificate can still be bound to sites and assigned to services here, and it and its chain alone export with ${opt('no-key')}. To have it on another server too, re-issue it with an exportable key (${act('request-new-exportable')}, then complete it with the CA's new certificate), or import the original PFX again with ${opt('exportable')}.`);
    }
    const key = this.store.keys.load(row.keyId);
    if (input.format === 'pfx') {
      if (!input.password) throw fail('GH_PASSWORD_REQUIRED', `A PFX export needs a password to protect the private key: give it in ${opt('password-file')}.`);
      const data = writePfx(der, chain, key, { password: input.password, friendlyName: row.friendlyName, legacy: input.legacy ?? false });
      this.auditExport(row, 'pfx');
      return { thumbprint: row.thumbprint, format: input.legacy ? 'pfx-legacy' : 'pfx', data };
    }
    const keyPem = input.password
      ? key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: input.password })
      : key.export({ type: 'pkcs8', format: 'pem' });
    this.auditExport(row, 'pem');
    return { thumbprint: row.thumbprint, format: 'pem', data: Buffer.from(String(keyPem) + [der, ...chain].map((d) => toPem(d)).join('')) };
  }

  /** IIS's "Create Self-Signed Certificate". */
  /**
   * A new self-signed certificate. `unless`, when given, is asked again inside the write (under the
   * store's write lock): when it names a certificate — another process made one meanwhile — nothing
   * is written and that one is answered (two `serve` nodes starting at once make one admin certificate).
   */
  async selfSigned(input: { cn: string; sans: string[]; days?: number | undefined; keyType: KeyType; exportable: boolean } & InstallOptions, unless?: () => string | undefined): Promise<Certificate> {
    if (input.store === 'root') throw fail('GH_STORE_INVALID', `${ROOT_STORE_LABEL} (the root store) holds CA certificates without keys; create self-signed server certificates in webhosting (the default) or personal.`);
    const names = parseSubjectNames([input.cn, ...input.sans]);
    const cn = names[0]!.value;
    const days = validateDays(input.days ?? 365, 3650);
    const keys = await generateKeyPair(input.keyType);
    const der = await createSelfSignedCertificate({ subject: [{ CN: [cn] }], names, serialNumber: newSerial(), now: this.clock(), days }, keys);
    const leaf = describeCertificate(der);
    const { row } = this.prepare([der], leaf, input, null);
    const made = (() => {
      try {
        return this.store.change(
          () => ({ action: 'cert.self-signed', target: row.thumbprint, after: summary(row) }),
          () => {
            const other = unless?.();
            // Thrown to roll the transaction back: no audit record, no revision.
            if (other !== undefined) throw new MadeMeanwhile(other);
            const keyId = this.store.keys.insert({ key: keys.privateKey, keyType: input.keyType, spkiSha256: leaf.spkiSha256, exportable: input.exportable });
            this.store.certificates.insert({ ...row, keyId, chainComplete: true }, der, []);
            return row.thumbprint;
          },
        );
      } catch (e) {
        if (e instanceof MadeMeanwhile) return e.thumbprint;
        throw e;
      }
    })();
    return this.show(made);
  }

  /**
   * `cert import --store root`: a root CA certificate (self-signed, no key) into Trusted Root
   * Certification Authorities. Certificates whose chain stopped short of it are judged again in the
   * same transaction, so they show "valid" at once.
   */
  private importRoot(input: ImportInput): Certificate {
    if (input.keyFile !== undefined || (!input.file.toString('latin1').includes('-----BEGIN') && looksLikePfx(input.file)) || /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(input.file.toString('latin1'))) {
      throw fail('GH_STORE_INVALID', `${ROOT_STORE_LABEL} (the root store) holds CA certificates without keys; give the root CA's certificate alone (.cer, .crt, .pem or .p7b). A certificate with its key goes in webhosting or personal.`);
    }
    const infos = readCertificates(input.file, input.fileName).map((der) => describeCertificate(der));
    const roots = infos.filter((i) => i.isCa && i.selfIssued && buildChain(i.der, []).complete);
    if (roots.length !== 1) {
      const what = infos.map((i) => `"${i.subject}" (${i.isCa ? (i.selfIssued ? 'a root' : `an intermediate CA issued by "${i.issuer}"`) : `not a CA: a certificate for ${i.issuedTo}`})`).join(', ');
      throw fail('GH_CERT_NOT_ROOT', roots.length > 1
        ? `${input.fileName} holds ${roots.length} root CA certificates (${what}); import them one at a time.`
        : `${input.fileName} holds no root CA certificate: ${what}. The root store takes self-signed CA certificates; an intermediate goes in a certificate's chain (${act('cert-chain', 'REF')}).`);
    }
    const root = roots[0]!;
    const { row } = this.prepare([root.der], root, { ...input, store: 'root' }, null);
    this.store.change(
      () => ({ action: 'cert.import', target: row.thumbprint, after: summary(row) }),
      () => {
        this.store.certificates.insert(row, root.der, []);
        this.rejudgeIncompleteChains();
      },
    );
    return this.show(row.thumbprint);
  }

  /**
   * `cert chain REF --file BUNDLE`: adds or replaces the intermediates of an installed certificate
   * from a bundle (the leaf, intermediates in any order and the root may be in it; PEM, DER or
   * PKCS#7). A bundle with nothing that issued the certificate is refused and changes nothing.
   */
  installChain(ref: string, file: Buffer, fileName: string): Certificate & { warnings: string[] } {
    const row = this.resolve(ref);
    const certs = readCertificates(file, fileName);
    const { der, chain: before } = this.store.certificates.der(row.thumbprint);
    if (row.store === 'root') {
      throw fail('GH_CHAIN_UNRELATED', `"${row.friendlyName}" is a root in ${ROOT_STORE_LABEL}: it is the end of chains and has none of its own.`);
    }
    const others = certs.filter((c) => !c.equals(der));
    const built = buildChain(der, others, () => this.#trust.anchors());
    if (built.fromOthers === 0) {
      const found = others.map((c) => `"${describeCertificate(c).subject}"`);
      throw fail('GH_CHAIN_UNRELATED', `Nothing in ${fileName} issued "${row.friendlyName}" (issued by "${row.issuer}")${found.length > 0 ? `: it holds ${found.join(', ')}` : ': it holds only the certificate itself'}. Give the CA's intermediate certificate for "${row.issuedBy}", or the bundle (.p7b or PEM) the CA sent with the certificate.`);
    }
    const chain = chainEntries(built.chain);
    this.store.change(
      () => ({ action: 'cert.chain', target: row.thumbprint, before: { chain: before.map((d) => chainEntries([d])[0]!.subject) }, after: { chain: chain.map((c) => c.subject) } }),
      () => this.store.certificates.replaceChain(row.thumbprint, chain, built.chain, built.complete),
    );
    const installed = this.show(row.thumbprint);
    return { ...installed, warnings: chainWarnings(installed) };
  }

  /** Judges again, against today's trust anchors, the chains that stopped short of a root; call inside `change`. */
  private rejudgeIncompleteChains(): void {
    const incomplete = this.store.certificates.incompleteChains();
    if (incomplete.length === 0) return;
    const anchors = this.#trust.anchors();
    for (const c of incomplete) {
      const built = buildChain(c.der, c.chain, () => anchors);
      if (built.complete) this.store.certificates.replaceChain(c.thumbprint, chainEntries(built.chain), built.chain, true);
    }
  }

  private auditExport(row: CertificateRow, format: string): void {
    this.store.record(() => ({ action: 'cert.export', target: row.thumbprint, after: { format, friendlyName: row.friendlyName } }), () => undefined);
  }
}

/** The chain entries shown for certificates (DER): identity, issuer and end of validity. */
function chainEntries(chain: readonly Buffer[]): ChainCertificate[] {
  return chain.map((der) => {
    const info = describeCertificate(der);
    return { thumbprint: info.thumbprint, subject: info.subject, issuer: info.issuer, notAfter: info.notAfter.toISOString() };
  });
}

/**
 * What is missing from an incomplete chain and the command that mends it: an issuer's certificate
 * (an intermediate, to add with `cert chain`; or, above an intermediate, perhaps the root itself)
 * or a root this server does not trust (to add to the root store if it is trusted).
 */
export function chainAdvice(c: Certificate): string | undefined {
  const m = c.chainMissing;
  if (!m) return undefined;
  const ref = c.thumbprint.slice(0, 12);
  if (m.kind === 'untrusted-root') {
    return `it ends at the root "${m.name}", which is not trusted on this server (not in the system's trust store nor in ${ROOT_STORE_LABEL}); if it is your organization's root CA, add it with ${act('root-import')}`;
  }
  const above = c.chain.at(-1);
  if (above) {
    return `the certificate of "${m.name}", which issued "${above.subject}", is missing: if it is your organization's root CA, add it to ${ROOT_STORE_LABEL} with ${act('root-import')}; if it is another intermediate, add it with ${act('cert-chain', ref)}`;
  }
  return `the certificate of its issuer "${m.name}" (an intermediate CA) is missing: add the CA's intermediate certificates with ${act('cert-chain', ref)} (the .p7b or PEM bundle the CA sent)`;
}

/** Warnings worth showing when a certificate is installed: it will not be trusted, or not for long. */
export function chainWarnings(c: Certificate): string[] {
  const out: string[] = [];
  const advice = chainAdvice(c);
  if (advice) out.push(`the chain of "${c.friendlyName}" is incomplete and clients may not trust it: ${advice}`);
  if (c.status === 'expiring') out.push(`"${c.friendlyName}" expires on ${c.notAfter.slice(0, 10)}, within 30 days`);
  return out;
}

/** What the audit log keeps of a certificate: identity and placement, never key material. */
export function summary(row: Pick<CertificateRow, 'thumbprint' | 'friendlyName' | 'store' | 'subject' | 'notAfter'>): Record<string, string> {
  return { thumbprint: row.thumbprint, friendlyName: row.friendlyName, store: row.store, subject: row.subject, notAfter: row.notAfter };
}

/** A positive 128-bit random serial in hex (RFC 5280 allows up to 20 octets). */
export function newSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString('hex');
}

/** A certificate another process made while this one was making its own (selfSigned's `unless`). */
class MadeMeanwhile extends Error {
  constructor(readonly thumbprint: string) {
    super('made meanwhile');
  }
}
