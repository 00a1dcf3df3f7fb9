import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AuthorityKeyIdentifier, Certificate, id_ce_authorityKeyIdentifier } from '@peculiar/asn1-x509';

/** RFC 9773's suggested renewal window, as the CA sent it. */
export interface RenewalInfo {
  start: Date;
  end: Date;
  explanationUrl: string | undefined;
  /** When to ask again (the Retry-After header; 6 hours when absent or unreasonable). */
  retryAfter: Date;
}

/** RFC 9773 §4.1: the certificate's ARI identifier, base64url(AKI keyIdentifier) "." base64url(serial's DER content bytes). */
export function ariCertId(leafDer: Buffer): string {
  const cert = AsnConvert.parse(leafDer, Certificate);
  const ext = cert.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_authorityKeyIdentifier);
  if (!ext) throw new Error('the certificate has no Authority Key Identifier, so the CA\'s renewal information cannot name it');
  const aki = AsnConvert.parse(ext.extnValue, AuthorityKeyIdentifier);
  if (!aki.keyIdentifier) throw new Error('the certificate\'s Authority Key Identifier has no key identifier');
  return `${Buffer.from(aki.keyIdentifier.buffer).toString('base64url')}.${Buffer.from(cert.tbsCertificate.serialNumber).toString('base64url')}`;
}

const DEFAULT_RETRY_MS = 6 * 3_600_000;

/**
 * Reads the CA's renewal information for one certificate (GET {renewalInfo}/{certId}). Throws with
 * what went wrong (unreachable, not 200, not the document RFC 9773 describes); the caller falls
 * back to the lifetime rule.
 */
export async function fetchRenewalInfo(renewalInfoUrl: string, certId: string, options: { now: Date; timeoutMs?: number; ca?: string | undefined }): Promise<RenewalInfo> {
  const url = `${renewalInfoUrl.replace(/\/$/, '')}/${certId}`;
  const res = await getText(new URL(url), options.timeoutMs ?? 10_000, options.ca);
  if (res.status !== 200) throw new Error(`${url} answered HTTP ${res.status}`);
  const text = res.body;
  if (text.length > 64 * 1024) throw new Error(`${url} answered ${text.length} bytes, far more than a renewal window`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(`${url} did not answer JSON`);
  }
  const window = (doc as { suggestedWindow?: { start?: unknown; end?: unknown } } | null)?.suggestedWindow;
  const start = typeof window?.start === 'string' ? new Date(window.start) : undefined;
  const end = typeof window?.end === 'string' ? new Date(window.end) : undefined;
  if (!start || !end || Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end.getTime() <= start.getTime()) {
    throw new Error(`${url} did not answer a suggestedWindow with a start before its end`);
  }
  const explanation = (doc as { explanationURL?: unknown }).explanationURL;
  return { start, end, explanationUrl: typeof explanation === 'string' ? explanation : undefined, retryAfter: retryAfter(res.retryAfter, options.now) };
}

/**
 * One GET (no redirects), over HTTPS trusting `ca` when given (a private CA's `--directory-ca`), else
 * the system's roots; at most 64 KiB + 1 of the body is kept.
 */
function getText(url: URL, timeoutMs: number, ca: string | undefined): Promise<{ status: number; body: string; retryAfter: string | null }> {
  return new Promise((resolve, reject) => {
    const options = { timeout: timeoutMs, headers: { accept: 'application/json' }, ...(url.protocol === 'https:' && ca ? { ca } : {}) };
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length <= 64 * 1024) body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, retryAfter: typeof res.headers['retry-after'] === 'string' ? res.headers['retry-after'] : null }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${url.href} did not answer within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
}

/** Retry-After as seconds or an HTTP date; bounded to between a minute and a day (RFC 9773 §4.3.3 clients should cap it). */
function retryAfter(header: string | null, now: Date): Date {
  let ms = DEFAULT_RETRY_MS;
  if (header !== null) {
    const seconds = /^\d+$/.test(header.trim()) ? Number(header.trim()) * 1000 : Date.parse(header) - now.getTime();
    if (Number.isFinite(seconds)) ms = seconds;
  }
  return new Date(now.getTime() + Math.min(86_400_000, Math.max(60_000, ms)));
}

/**
 * When to renew inside a suggested window: a uniformly random instant in it (RFC 9773 §4.2, so a
 * CA's many clients spread out); a window already over means now.
 */
export function renewalTimeInWindow(info: Pick<RenewalInfo, 'start' | 'end'>, now: Date, random: () => number = Math.random): Date {
  if (info.end.getTime() <= now.getTime()) return now;
  const from = Math.max(info.start.getTime(), now.getTime());
  return new Date(from + random() * (info.end.getTime() - from));
}

/**
 * The lifetime rule for a CA without renewal information: renew when a third of the lifetime is
 * left, or half for certificates that live under 10 days.
 */
export function renewalTimeByLifetime(notBefore: Date, notAfter: Date): Date {
  const lifetime = notAfter.getTime() - notBefore.getTime();
  const left = lifetime < 10 * 86_400_000 ? lifetime / 2 : lifetime / 3;
  return new Date(notAfter.getTime() - left);
}
