import { fail } from './gatehouse-error.js';

/**
 * Certificate stores, as IIS names them. Web Hosting is made for many certificates (TLS contexts
 * built lazily and evicted); Personal ones are ready at start.
 */
export const STORE_NAMES = ['webhosting', 'personal'] as const;
export type StoreName = (typeof STORE_NAMES)[number];
export const DEFAULT_STORE: StoreName = 'webhosting';

export function parseStoreName(value: string): StoreName {
  const v = value.trim().toLowerCase().replace(/[\s_-]/g, '');
  if (v === 'webhosting' || v === 'web') return 'webhosting';
  if (v === 'personal' || v === 'my') return 'personal';
  throw fail('GH_STORE_INVALID', `"${value}" is not a certificate store; use webhosting (the default, "Web Hosting" in IIS) or personal.`);
}
