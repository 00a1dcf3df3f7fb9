import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { fail } from '../model/gatehouse-error.js';

/** A subject alternative name as it goes into a request: a DNS name (A-label form) or an IP address. */
export type SubjectName = { type: 'dns'; value: string } | { type: 'ip'; value: string };

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Validates and normalizes a name for a certificate: IP addresses pass as IP SANs; DNS names are
 * lower-cased, internationalized names converted to their A-label (punycode) form, every label
 * checked against RFC 1123, and a wildcard allowed only as the whole leftmost label of a name with
 * at least two more labels (`*.contoso.com`, never `*.com`, `w*.contoso.com` or `www.*.com`).
 */
export function parseSubjectName(input: string): SubjectName {
  const raw = input.trim();
  const bracketless = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
  if (isIP(bracketless)) return { type: 'ip', value: bracketless.toLowerCase() };
  const bad = (why: string) =>
    fail('GH_NAME_INVALID', `"${input}" is not a valid host name: ${why}. Use a DNS name like www.contoso.com, a wildcard like *.contoso.com, or an IP address.`);
  if (raw === '') throw bad('it is empty');
  let name = raw.replace(/\.$/, '');
  let wildcard = false;
  if (name.startsWith('*.')) {
    wildcard = true;
    name = name.slice(2);
  }
  if (name.includes('*')) throw bad('a wildcard may only be the whole leftmost label ("*.")');
  if (/[\s/\\:@]/.test(name)) throw bad('it contains a space, slash, colon or @');
  // eslint-disable-next-line no-control-regex
  const ascii = /^[\x00-\x7f]*$/.test(name) ? name.toLowerCase() : domainToASCII(name);
  if (ascii === '') throw bad('it is not a valid internationalized name');
  if (ascii.length > 253) throw bad('it is longer than 253 characters');
  const labels = ascii.split('.');
  for (const label of labels) {
    if (label === '') throw bad('it has an empty label (two dots in a row, or a leading dot)');
    if (label.length > 63) throw bad(`the label "${label.slice(0, 20)}…" is longer than 63 characters`);
    if (!LABEL.test(label)) throw bad(`the label "${label}" may hold only letters, digits and inner hyphens`);
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) throw bad('the last label is all digits (not an IP address either)');
  if (wildcard && labels.length < 2) throw bad('a wildcard needs at least two labels after "*." (e.g. *.contoso.com)');
  return { type: 'dns', value: wildcard ? `*.${ascii}` : ascii };
}

/** Parses and deduplicates names, keeping the order in which they were first given. */
export function parseSubjectNames(inputs: readonly string[]): SubjectName[] {
  const seen = new Set<string>();
  const out: SubjectName[] = [];
  for (const input of inputs) {
    const n = parseSubjectName(input);
    const key = `${n.type}:${n.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(n);
  }
  return out;
}
