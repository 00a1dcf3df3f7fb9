import { isIP } from 'node:net';

/**
 * Canonical text of an address, so that bindings and sockets compare equal: IPv4-mapped IPv6
 * (`::ffff:127.0.0.1`, how a dual-stack listener reports IPv4 peers) becomes plain IPv4, IPv6 is
 * lower-case and compressed, `*` (All Unassigned) stays `*`. Returns undefined for a non-address.
 */
export function canonicalAddress(text: string): string | undefined {
  const t = text.trim().replace(/^\[(.*)\]$/, '$1');
  if (t === '*') return '*';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(t);
  if (mapped) return mapped[1];
  const kind = isIP(t);
  if (kind === 4) return t;
  if (kind === 6) return new URL(`http://[${t}]/`).hostname.slice(1, -1);
  return undefined;
}
