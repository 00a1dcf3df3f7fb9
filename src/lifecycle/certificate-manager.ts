import { randomBytes, type KeyObject } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { X509Certificate as NodeX509 } from 'node:crypto';
import { fail } from '../model/gatehouse-error.js';
import { act, opt } from '../model/wording.js';
import { bindingText } from '../model/binding.js';
import type { Certificate } from '../model/certificate.js';
import { DEFAULT_STORE, type StoreName } from '../model/store-name.js';
import { buildChain } from '../pki/certificate-chain.js';
import { describeCertificate, sha256Hex, type CertificateInfo } from '../pki/certificate-info.js';
import { defaultFriendlyName, validateFriendlyName } from '../pki/friendly-name.js';
import { assertServableKey, keyTypeName, spkiDer } from '../pki/key-pair.js';
import { readPfx, writePfx } from '../pki/pkcs12.js';
import { toPem } from '../pki/pem.js';
import { readPrivateKey } from '../pki/private-key-file.js';
import { looksLikePfx, readCertificates } from '../pki/ca-response.js';
import { createSelfSignedCertificate } from '../pki/certificate-issuer.js';
import { parseSubjectNames } from '../pki/host-name.js';
import type { CertificateRow, GatehouseStore } from '../store/gatehouse-store.js';
import { certificateView } from './certificate-view.js';
import type { KeyType } from '../model/key-type.js';
import { generateKeyPair } from '../pki/key-pair.js';
import { validateDays } from './days.js';

export interface InstallOptions {
  friendlyName?: string | undefined;
  store?: StoreName | undefined;
}

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
  #anchors: NodeX509[] | undefined;

  constructor(
    private readonly store: GatehouseStore,
    private readonly clock: () => Date,
  ) {}

  list(filter: { store?: StoreName | undefined; expiringDays?: number | undefined } = {}): Certificate[] {
    const now = this.clock();
    const notAfterBefore = filter.expiringDays === undefined ? undefined : new Date(now.getTime() + filter.expiringDays * 86_400_000).toISOString();
    return this.store.certificates.list({ store: filter.store, notAfterBefore }).map((r) => certificateView(r, now));
  }

  show(ref: string): Certificate {
    return certificateView(this.resolve(ref), this.clock());
  }

  /** The certificate with exactly this thumbprint, or undefined (no error). */
  find(thumbprint: string): Certificate | undefined {
    const row = this.store.certificates.get(thumbprint);
    return row && certificateView(row, this.clock());
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
   * installed already, chain ordered from the bundle and judged complete against the system roots and
   * the internal CA. Pure preparation: nothing is written here.
   */
  prepare(certs: Buffer[], leaf: CertificateInfo, options: InstallOptions, keyId: number | null): { row: Omit<CertificateRow, 'exportable'>; chainDer: Buffer[] } {
    const now = this.clock();
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
    const built = buildChain(leaf.der, others, () => this.trustAnchors());
    const chain = built.chain.map((der) => {
      const info = describeCertificate(der);
      return { thumbprint: info.thumbprint, subject: info.subject, issuer: info.issuer, notAfter: info.notAfter.toISOString() };
    });
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
    let certs: Buffer[];
    let key: KeyObject | undefined;
    let pfxName: string | undefined;
    const text = input.file.toString('latin1');
    if (!text.includes('-----BEGIN') && looksLikePfx(input.file)) {
      const pfx = readPfx(input.file, input.password ?? '');
      if (pfx.certificates.length === 0) throw fail('GH_PFX_NO_CERT', `${input.fileName} holds no certificate. Export the PFX again with its certificate.`);
      if (!pfx.privateKey) throw fail('GH_PFX_NO_KEY', `${input.fileName} holds no private key, so the certificate could not serve TLS. Export it again with "Yes, export the private key".`);
      certs = pfx.certificates;
      key = pfx.privateKey;
      pfxName = pfx.friendlyName;
    } else {
      certs = readCertificates(input.file, input.fileName);
      const keySource = input.keyFile ?? (/-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(text) ? input.file : undefined);
      if (!keySource) {
        throw fail('GH_KEY_MISSING', `${input.fileName} holds a certificate but no private key. Give the key with ${opt('key-file')}, or import a PFX; to complete a pending request use ${act('request-complete')}.`);
      }
      key = readPrivateKey(keySource, input.password);
    }
    assertServableKey(key);
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
      throw fail('GH_KEY_NOT_EXPORTABLE', `The private key of "${row.friendlyName}" was not marked exportable, so it cannot leave this server. Export the certificate alone with ${opt('no-key')}, or re-import it with ${opt('exportable')}.`);
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
  async selfSigned(input: { cn: string; sans: string[]; days?: number | undefined; keyType: KeyType; exportable: boolean } & InstallOptions): Promise<Certificate> {
    const names = parseSubjectNames([input.cn, ...input.sans]);
    const cn = names[0]!.value;
    const days = validateDays(input.days ?? 365, 3650);
    const keys = await generateKeyPair(input.keyType);
    const der = await createSelfSignedCertificate({ subject: [{ CN: [cn] }], names, serialNumber: newSerial(), now: this.clock(), days }, keys);
    const leaf = describeCertificate(der);
    const { row } = this.prepare([der], leaf, input, null);
    this.store.change(
      () => ({ action: 'cert.self-signed', target: row.thumbprint, after: summary(row) }),
      () => {
        const keyId = this.store.keys.insert({ key: keys.privateKey, keyType: input.keyType, spkiSha256: leaf.spkiSha256, exportable: input.exportable });
        this.store.certificates.insert({ ...row, keyId, chainComplete: true }, der, []);
      },
    );
    return this.show(row.thumbprint);
  }

  /**
   * Roots a chain may end at: the system's (node's bundled Mozilla list) and the internal CA.
   * Parsed once per manager (about 30 ms for 144 roots), and only when a chain needs them.
   */
  trustAnchors(): readonly NodeX509[] {
    this.#anchors ??= rootCertificates.map((p) => new NodeX509(p));
    const ca = this.store.ca.get();
    return ca ? [...this.#anchors, new NodeX509(ca.der)] : this.#anchors;
  }

  private auditExport(row: CertificateRow, format: string): void {
    this.store.record(() => ({ action: 'cert.export', target: row.thumbprint, after: { format, friendlyName: row.friendlyName } }), () => undefined);
  }
}

/** Warnings worth showing when a certificate is installed: it will not be trusted, or not for long. */
export function chainWarnings(c: Certificate): string[] {
  const out: string[] = [];
  if (!c.chainComplete) out.push(`the chain of "${c.friendlyName}" is incomplete (the certificate of ${c.chain.at(-1)?.issuer ?? c.issuer} is missing): clients may not trust it; install with the CA's intermediate certificates (a bundle or .p7b)`);
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
