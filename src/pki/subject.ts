import { X509Certificate } from 'node:crypto';
import { fail } from '../model/gatehouse-error.js';
import { ISO_COUNTRY_CODES } from './country-codes.js';

/** The subject of a request, field by field, as the Exchange wizard's "Organization and Location" page asks for it. */
export interface SubjectFields {
  cn: string;
  org?: string | undefined;
  ou?: string | undefined;
  city?: string | undefined;
  state?: string | undefined;
  country?: string | undefined;
}

const UPPER_BOUNDS: Record<string, number> = { org: 64, ou: 64, city: 128, state: 128 };

/** Checks the free-text fields and the country (an assigned ISO 3166-1 alpha-2 code); returns the fields trimmed. */
export function validateSubject(fields: SubjectFields): SubjectFields {
  const out: SubjectFields = { cn: fields.cn };
  for (const key of ['org', 'ou', 'city', 'state'] as const) {
    const v = fields[key];
    if (v === undefined) continue;
    const t = v.trim();
    // eslint-disable-next-line no-control-regex
    if (t === '' || t.length > UPPER_BOUNDS[key]! || /[\x00-\x1f\x7f]/.test(t)) {
      throw fail('GH_SUBJECT_INVALID', `The ${key} "${v}" is empty, longer than ${UPPER_BOUNDS[key]} characters or has control characters; give plain text.`);
    }
    out[key] = t;
  }
  if (fields.country !== undefined) {
    const c = fields.country.trim();
    const code = c.toUpperCase();
    if (!/^[A-Z]{2}$/.test(code)) {
      throw fail('GH_COUNTRY_INVALID', `The country "${fields.country}" is not a two-letter ISO 3166 code; use the country's code, e.g. US, GB (United Kingdom) or DE (Germany).`);
    }
    if (!ISO_COUNTRY_CODES.has(code)) {
      throw fail('GH_COUNTRY_INVALID', `"${code}" is not an assigned ISO 3166 country code; use the country's code, e.g. US, GB (United Kingdom) or DE (Germany).`);
    }
    out.country = code;
  }
  return out;
}

/** The subject as the X.509 builders take it, in the customary order C, ST, L, O, OU, CN. */
export function distinguishedName(fields: SubjectFields): Array<Record<string, string[]>> {
  const rdns: Array<Record<string, string[]>> = [];
  if (fields.country) rdns.push({ C: [fields.country] });
  if (fields.state) rdns.push({ ST: [fields.state] });
  if (fields.city) rdns.push({ L: [fields.city] });
  if (fields.org) rdns.push({ O: [fields.org] });
  if (fields.ou) rdns.push({ OU: [fields.ou] });
  rdns.push({ CN: [fields.cn] });
  return rdns;
}

/**
 * A distinguished name as one line in RFC 4514 order, most specific first — the way Windows and
 * IIS show it: `CN=www.contoso.com, O=Contoso, C=US`. Takes the RDNs in DER order (as X.509
 * libraries give them) and escapes what RFC 4514 requires.
 */
export function formatName(rdns: ReadonlyArray<Record<string, readonly string[]>>): string {
  return [...rdns]
    .reverse()
    .map((rdn) => Object.entries(rdn).flatMap(([type, values]) => values.map((v) => `${type}=${escapeValue(v)}`)).join('+'))
    .join(', ');
}

function escapeValue(v: string): string {
  return v
    .replace(/[\\,+"<>;]/g, (c) => `\\${c}`)
    .replace(/^([ #])/, '\\$1')
    .replace(/ $/, '\\ ');
}

/** The subject fields of a certificate (DER) the wizard asks for; `cn` is undefined when it has none. */
export function subjectFieldsOf(der: Buffer): Omit<SubjectFields, 'cn'> & { cn: string | undefined } {
  const fields: Record<string, string> = {};
  for (const line of new X509Certificate(der).subject.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0 && fields[line.slice(0, i)] === undefined) fields[line.slice(0, i)] = line.slice(i + 1);
  }
  return { cn: fields.CN, org: fields.O, ou: fields.OU, city: fields.L, state: fields.ST, country: fields.C };
}
