import { hostname } from 'node:os';
import { X509Certificate } from 'node:crypto';
import { fail } from '../model/gatehouse-error.js';
import type { Gatehouse } from '../lifecycle/gatehouse.js';
import { toPem } from '../pki/pem.js';
import type { Certificate } from '../model/certificate.js';

/** The friendly name of the certificate Gatehouse makes for its own admin endpoint. */
export const ADMIN_CERTIFICATE_NAME = 'Gatehouse admin endpoint (self-signed)';

export interface AdminTls {
  key: string;
  cert: string;
  thumbprint: string;
  friendlyName: string;
  created: boolean;
}

/**
 * How long the certificate Gatehouse makes for its own endpoint is valid: 397 days, the CA/Browser
 * Forum's ceiling for TLS server certificates, which testssl.sh applies (it flags anything longer)
 * and within Apple's 825 days for certificates of a CA a user trusts.
 */
export const ADMIN_CERTIFICATE_DAYS = 397;
/** Gatehouse's own admin certificate is replaced when it has fewer days than this left. */
export const ADMIN_CERTIFICATE_RENEW_DAYS = 30;
const DAY_MS = 86_400_000;

/**
 * The admin endpoint's certificate: the one named by `--admin-cert`, else the certificate Gatehouse
 * made for itself earlier while it is still good (`stillGood`), else a new self-signed one for
 * localhost, the loopback addresses and this machine's name, kept in the Personal store under a
 * clear name, 397 days. A new one replaces the older ones of that name: they are removed unless a
 * binding or a mail service uses them. The key is handed to TLS in memory only.
 */
export async function adminCertificate(g: Gatehouse, ref: string | undefined): Promise<AdminTls> {
  let created = false;
  let cert = ref === undefined ? undefined : g.certificates.show(ref);
  if (cert && !cert.hasPrivateKey) throw fail('GH_CERT_NO_KEY', `The certificate "${cert.friendlyName}" has no private key here, so the admin endpoint cannot use it.`);
  if (!cert) {
    const now = g.clock().getTime();
    cert = ownCertificates(g).filter((c) => stillGood(c, now)).sort((a, b) => b.notAfter.localeCompare(a.notAfter))[0];
  }
  if (!cert) {
    const host = hostname().toLowerCase();
    const names = ['localhost', '127.0.0.1', '::1', ...(/^[a-z0-9.-]+$/.test(host) && host !== 'localhost' ? [host] : [])];
    const older = ownCertificates(g);
    cert = await g.runAs({ name: 'gatehouse serve', origin: 'system' }, async () => {
      const now = g.clock().getTime();
      // Looked for again under the store's write lock: another node starting at the same time on
      // the same store may have made one since; then that one is used and nothing is written.
      let theirs: string | undefined;
      const meanwhile = () => (theirs = ownCertificates(g).find((c) => stillGood(c, now))?.thumbprint);
      const c = await g.certificates.selfSigned({ cn: 'localhost', sans: names, days: ADMIN_CERTIFICATE_DAYS, keyType: 'ecdsa-p256', exportable: false, friendlyName: ADMIN_CERTIFICATE_NAME, store: 'personal' }, meanwhile);
      // The other node replaced the older ones already.
      if (theirs !== undefined) return c;
      for (const old of older) {
        try {
          g.certificates.remove(old.thumbprint);
        } catch (e) {
          // Used by a binding or a mail service: kept; the administrator chose to use it there.
          if ((e as { code?: string }).code !== 'GH_CERT_IN_USE') throw e;
        }
      }
      created = true;
      return c;
    });
  }
  const material = g.serving.keyMaterial(cert.thumbprint)!;
  const key = material.key.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { key, cert: material.certificates.map((d) => toPem(d)).join(''), thumbprint: cert.thumbprint, friendlyName: cert.friendlyName, created };
}

/** The certificates Gatehouse made for its own endpoint (by their name in the Personal store, with a key). */
function ownCertificates(g: Gatehouse): Certificate[] {
  return g.certificates.list({ store: 'personal' }).filter((c) => c.friendlyName === ADMIN_CERTIFICATE_NAME && c.hasPrivateKey);
}

/**
 * Whether Gatehouse's own admin certificate may go on being used at `now`: valid for at most 397
 * days in all (one made for 825 days by an older Gatehouse is replaced at once) and more than 30
 * days left.
 */
export function stillGood(c: Pick<Certificate, 'notBefore' | 'notAfter'>, now: number): boolean {
  const end = Date.parse(c.notAfter);
  return end - Date.parse(c.notBefore) <= ADMIN_CERTIFICATE_DAYS * DAY_MS && end - now > ADMIN_CERTIFICATE_RENEW_DAYS * DAY_MS;
}

/** The SHA-256 fingerprint browsers show, so an administrator can check a self-signed certificate by eye. */
export function sha256Fingerprint(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}
