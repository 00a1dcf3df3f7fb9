import { fail } from './gatehouse-error.js';

/** What a site serves: a folder of static files, or a reverse-proxy upstream. */
export type SiteContent = { kind: 'static'; root: string } | { kind: 'proxy'; upstream: string };

/** A site, as IIS has them: a name, started or stopped, and what it serves. */
export interface Site {
  name: string;
  state: 'started' | 'stopped';
  content: SiteContent;
  /** Answer plain-http requests with a redirect to the site's https binding. */
  httpsRedirect: boolean;
  /** Send Strict-Transport-Security on https responses. */
  hsts: boolean;
  /** The access log: W3C extended (what IIS writes), the combined log format, or off (no log is written). */
  logFormat: 'w3c' | 'combined' | 'off';
  created: string;
}

const SITE_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;

/** Site names: 1–64 letters, digits, spaces, dots, underscores and hyphens, starting with a letter or digit. */
export function validateSiteName(name: string): string {
  const t = name.trim();
  if (!SITE_NAME.test(t)) {
    throw fail('GH_SITE_NAME_INVALID', `"${name}" is not a valid site name: use 1 to 64 letters, digits, spaces, dots, underscores or hyphens, starting with a letter or digit.`);
  }
  return t;
}
