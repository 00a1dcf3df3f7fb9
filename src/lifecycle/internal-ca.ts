
import { fail } from '../model/gatehouse-error.js';
import { act, opt } from '../model/wording.js';
import type { KeyType } from '../model/key-type.js';
import { createCaCertificate, issueServerCertificate } from '../pki/certificate-issuer.js';
import { describeCertificate, sha256Hex } from '../pki/certificate-info.js';
import { readCertificateRequest } from '../pki/certificate-request.js';
import { generateKeyPair, keyPairOf, spkiDer } from '../pki/key-pair.js';
import type { GatehouseStore } from '../store/gatehouse-store.js';
import { newSerial } from './certificate-manager.js';
import { validateDays } from './days.js';

export interface CaView {
  thumbprint: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  keyType: string;
  created: string;
}

export interface IssuedCertificate {
  der: Buffer;
  thumbprint: string;
  serialNumber: string;
  subject: string;
  sans: string[];
  notAfter: string;
}

/** Server certificates are capped at 398 days, what browsers accept from public CAs; our CA allows up to 825 for private use. */
const MAX_LEAF_DAYS = 825;

/**
 * The internal CA: one self-signed root kept in the store (its key sealed like every other), which
 * issues TLS server certificates for requests made here or anywhere else.
 */
export class InternalCa {
  constructor(
    private readonly store: GatehouseStore,
    private readonly clock: () => Date,
  ) {}

  async init(input: { cn?: string | undefined; keyType?: KeyType | undefined; days?: number | undefined }): Promise<CaView> {
    if (this.store.ca.get()) throw fail('GH_CA_EXISTS', `The internal CA already exists; ${act('ca-show')} describes it. Its certificate is what clients trust, so it is never replaced silently.`);
    const cn = (input.cn ?? 'Gatehouse Internal CA').trim();
    if (cn === '' || cn.length > 64) throw fail('GH_SUBJECT_INVALID', `The CA name (${opt('ca-cn')}) must be 1 to 64 characters.`);
    const keyType = input.keyType ?? 'ecdsa-p384';
    const days = validateDays(input.days ?? 3650, 36500);
    const keys = await generateKeyPair(keyType);
    const der = await createCaCertificate({ subject: [{ CN: [cn] }], serialNumber: newSerial(), now: this.clock(), days }, keys);
    const info = describeCertificate(der);
    this.store.change(
      () => ({ action: 'ca.init', target: info.thumbprint, after: { subject: info.subject, notAfter: info.notAfter.toISOString(), keyType } }),
      () => {
        if (this.store.ca.get()) throw fail('GH_CA_EXISTS', 'The internal CA was created by another process just now.');
        const keyId = this.store.keys.insert({ key: keys.privateKey, keyType, spkiSha256: sha256Hex(spkiDer(keys.publicKey)), exportable: false });
        this.store.ca.insert(der, keyId);
      },
    );
    return this.show();
  }

  show(): CaView {
    const ca = this.require();
    const info = describeCertificate(ca.der);
    return { thumbprint: info.thumbprint, subject: info.subject, notBefore: info.notBefore.toISOString(), notAfter: info.notAfter.toISOString(), keyType: info.keyType, created: ca.created };
  }

  certificate(): Buffer {
    return this.require().der;
  }

  /**
   * Signs a PKCS#10 request (PEM or DER) as a TLS server certificate. The names come from the
   * request's SANs (its CN is added when missing); the subject keeps only the CN, as public CAs do.
   */
  async sign(csr: Buffer, days: number | undefined): Promise<IssuedCertificate> {
    const ca = this.require();
    const request = await readCertificateRequest(csr);
    const names = [...request.names];
    const cn = request.commonName ?? names[0]?.value;
    if (!cn) throw fail('GH_CSR_INVALID', 'The request has neither a common name nor a subject alternative name; make it again with the host name.');
    if (!names.some((n) => n.value === cn.toLowerCase())) names.unshift({ type: /^[0-9.:]+$/.test(cn) ? 'ip' : 'dns', value: cn.toLowerCase() });
    const validity = validateDays(days ?? 397, MAX_LEAF_DAYS);
    const caKey = this.store.keys.load(ca.keyId);
    const der = await issueServerCertificate(
      { subject: [{ CN: [cn] }], names, serialNumber: newSerial(), now: this.clock(), days: validity },
      request.publicKeySpki,
      { certificate: ca.der, keys: keyPairOf(caKey) },
    );
    const info = describeCertificate(der);
    this.store.record(() => ({ action: 'ca.sign', target: info.thumbprint, after: { subject: info.subject, sans: info.sans, serialNumber: info.serialNumber, notAfter: info.notAfter.toISOString() } }), () => undefined);
    return { der, thumbprint: info.thumbprint, serialNumber: info.serialNumber, subject: info.subject, sans: info.sans, notAfter: info.notAfter.toISOString() };
  }

  private require(): { der: Buffer; keyId: number; created: string } {
    const ca = this.store.ca.get();
    if (!ca) throw fail('GH_CA_NOT_INITIALIZED', `The internal CA has not been created yet. Create it with ${act('ca-init')}.`);
    return ca;
  }
}


