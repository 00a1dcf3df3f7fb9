import { fail } from './gatehouse-error.js';

/**
 * Certificate stores, as IIS and Windows name them. Web Hosting is made for many certificates (TLS
 * contexts built lazily and evicted); Personal ones are ready at start. Trusted Root Certification
 * Authorities (`root`) holds CA certificates without keys that chains may end at, besides the
 * system's trust store; it never serves.
 */
export const STORE_NAMES = ['webhosting', 'personal', 'root'] as const;
export type StoreName = (typeof STORE_NAMES)[number];
/** The stores that hold server certificates (with their keys). */
export type ServerStoreName = Exclude<StoreName, 'root'>;
export const DEFAULT_STORE: ServerStoreName = 'webhosting';
export const ROOT_STORE_LABEL = 'Trusted Root Certification Authorities';

export function parseStoreName(value: string): StoreName {
  const v = value.trim().toLowerCase().replace(/[\s_-]/g, '');
  if (v === 'webhosting' || v === 'web') return 'webhosting';
  if (v === 'personal' || v === 'my') return 'personal';
  if (v === 'root' || v === 'trustedroot' || v === 'trustedrootcertificationauthorities') return 'root';
  throw fail('GH_STORE_INVALID', `"${value}" is not a certificate store; use webhosting (the default, "Web Hosting" in IIS), personal, or root (Trusted Root Certification Authorities).`);
}
