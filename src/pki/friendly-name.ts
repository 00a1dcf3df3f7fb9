import { fail } from '../model/gatehouse-error.js';

/**
 * The friendly name the IIS guide recommends: host, issuer and expiry, so certificates for the same
 * host stay apart in a list, e.g. `www.contoso.com-Contoso CA-(2027-11-20)`.
 */
export function defaultFriendlyName(issuedTo: string, issuedBy: string, notAfter: Date): string {
  return `${issuedTo}-${issuedBy}-(${notAfter.toISOString().slice(0, 10)})`;
}

/** A friendly name is a label: 1–256 printable characters. */
export function validateFriendlyName(name: string): string {
  const t = name.trim();
  // eslint-disable-next-line no-control-regex
  if (t === '' || t.length > 256 || /[\x00-\x1f\x7f]/.test(t)) {
    throw fail('GH_FRIENDLY_NAME_INVALID', `The friendly name "${name}" must be 1 to 256 printable characters.`);
  }
  return t;
}
