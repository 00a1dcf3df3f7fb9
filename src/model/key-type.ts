import { fail } from './gatehouse-error.js';

/** The key types Gatehouse generates and accepts, named as the CLI and API name them. */
export const KEY_TYPES = ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

/** What CAs and old clients accept everywhere. */
export const DEFAULT_KEY_TYPE: KeyType = 'rsa-2048';

export function parseKeyType(value: string): KeyType {
  const v = value.trim().toLowerCase();
  if ((KEY_TYPES as readonly string[]).includes(v)) return v as KeyType;
  throw fail('GH_KEY_TYPE_INVALID', `"${value}" is not a key type Gatehouse makes; use one of ${KEY_TYPES.join(', ')}.`);
}
