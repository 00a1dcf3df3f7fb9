import { hostname } from 'node:os';
import { X509Certificate } from 'node:crypto';
import { fail } from '../model/gatehouse-error.js';
import type { Gatehouse } from '../lifecycle/gatehouse.js';
import { toPem } from '../pki/pem.js';

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
 * The admin endpoint's certificate: the one named by `--admin-cert`, else the certificate Gatehouse
 * made for itself earlier (while it is valid), else a new self-signed one for localhost, the
 * loopback addresses and this machine's name, kept in the Personal store under a clear name.
 * The key is handed to TLS in memory only.
 */
export async function adminCertificate(g: Gatehouse, ref: string | undefined): Promise<AdminTls> {
  let created = false;
  let cert = ref === undefined ? undefined : g.certificates.show(ref);
  if (cert && !cert.hasPrivateKey) throw fail('GH_CERT_NO_KEY', `The certificate "${cert.friendlyName}" has no private key here, so the admin endpoint cannot use it.`);
  if (!cert) {
    const now = g.clock().toISOString();
    cert = g.certificates.list({ store: 'personal' }).find((c) => c.friendlyName === ADMIN_CERTIFICATE_NAME && c.hasPrivateKey && c.notAfter > now);
  }
  if (!cert) {
    const host = hostname().toLowerCase();
    const names = ['localhost', '127.0.0.1', '::1', ...(/^[a-z0-9.-]+$/.test(host) && host !== 'localhost' ? [host] : [])];
    cert = await g.runAs({ name: 'gatehouse serve', origin: 'system' }, () =>
      g.certificates.selfSigned({ cn: 'localhost', sans: names, days: 825, keyType: 'ecdsa-p256', exportable: false, friendlyName: ADMIN_CERTIFICATE_NAME, store: 'personal' }));
    created = true;
  }
  const material = g.serving.keyMaterial(cert.thumbprint)!;
  const key = material.key.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { key, cert: material.certificates.map((d) => toPem(d)).join(''), thumbprint: cert.thumbprint, friendlyName: cert.friendlyName, created };
}

/** The SHA-256 fingerprint browsers show, so an administrator can check a self-signed certificate by eye. */
export function sha256Fingerprint(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}
