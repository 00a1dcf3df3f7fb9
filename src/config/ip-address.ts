import { isIP } from 'node:net';

/**
 * Canonical text of an address, so that bindings and sockets compare equal: IPv4-mapped IPv6
 * (`::ffff:127.0.0.1`, how a dual-stack listener reports IPv4 peers) becomes plain IPv4, IPv6 is
 * lower-case and compressed, `*` (All Unassigned) stays `*`. Returns undefined for a non-address.
 */
export function canonicalAddress(text: string): string | undefined {
  // Asked for the same few addresses on every request (routing, access log): remembered, a bounded memo.
  // Only address-sized texts are kept (at most 4,096 of 64 characters), whatever callers pass.
  if (CANONICAL.has(text)) return CANONICAL.get(text);
  const canonical = canonicalOf(text);
  if (text.length > 64) return canonical;
  if (CANONICAL.size >= CANONICAL_MAX) CANONICAL.clear();
  CANONICAL.set(text, canonical);
  return canonical;
}

const CANONICAL = new Map<string, string | undefined>();
const CANONICAL_MAX = 4096;

function canonicalOf(text: string): string | undefined {
  const t = text.trim().replace(/^\[(.*)\]$/, '$1');
  if (t === '*') return '*';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(t);
  if (mapped) return mapped[1];
  const kind = isIP(t);
  if (kind === 4) return t;
  if (kind === 6) return new URL(`http://[${t}]/`).hostname.slice(1, -1);
  return undefined;
}
