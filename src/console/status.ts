// A certificate's status in words (never colour alone), wherever a certificate is named: the lists'
// Status column, a word badge beside a certificate's name (site home, bindings, services), and the
// pickers' options, where an expired certificate is marked and cannot be chosen.
import { daysUntil, h, isoDay } from './dom.js';
import type { Certificate } from './types.js';

type Status = Pick<Certificate, 'status' | 'notAfter'> & { chainMissing?: Certificate['chainMissing'] };

export function statusText(c: Status, now = Date.now()): string {
  switch (c.status) {
    case 'expired': return `Expired on ${isoDay(c.notAfter)}`;
    case 'expiring': {
      const days = daysUntil(c.notAfter, now);
      return days <= 0 ? 'Expires today' : `Expiring in ${days} day${days === 1 ? '' : 's'}`;
    }
    case 'chain-incomplete':
      if (c.chainMissing?.kind === 'untrusted-root') return `Chain incomplete (the root ${c.chainMissing.name} is not trusted here)`;
      return c.chainMissing ? `Chain incomplete (the certificate of ${c.chainMissing.name} is missing)` : 'Chain incomplete (an issuer is missing)';
    default: return 'Valid';
  }
}

/** The status in words with its sign (✔ valid, ⚠ expiring or incomplete, ✖ expired); the sign is decoration. */
export function statusBadge(c: Status): HTMLSpanElement {
  const icon = c.status === 'valid' ? '✔ ' : c.status === 'expired' ? '✖ ' : '⚠ ';
  return h('span', { class: `status ${c.status}` }, h('span', { class: 'status-icon', 'aria-hidden': 'true' }, icon), statusText(c));
}

/** A certificate's name with its status badge beside it (a table cell, a details line). */
export function nameWithStatus(name: string, c: Status | undefined): Array<Node | string> {
  return c ? [name, ' ', statusBadge(c)] : [name];
}

/**
 * A picker's option for a certificate: its name, marked with its status in words when it is not
 * valid (the picker's description says "Valid" for the chosen one); an expired one cannot be chosen.
 */
export function certificateOption(c: Certificate, name: string): { value: string; label: string; disabled: boolean } {
  if (c.status === 'valid') return { value: c.thumbprint, label: name, disabled: false };
  const words = c.status === 'chain-incomplete' ? 'Chain incomplete' : statusText(c);
  return { value: c.thumbprint, label: `${name} — ${words}${c.status === 'expired' ? ' (cannot be chosen)' : ''}`, disabled: c.status === 'expired' };
}
