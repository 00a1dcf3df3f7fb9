/**
 * Normalizes a host as clients send it (SNI or the Host header): lower case, no port, no trailing
 * dot. Returns '' for none.
 */
export function normalizeHost(host: string | undefined | null): string {
  if (!host) return '';
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) h = h.slice(0, h.indexOf(']') + 1);
  else if (h.includes(':') && h.indexOf(':') === h.lastIndexOf(':')) h = h.slice(0, h.indexOf(':'));
  return h.replace(/\.$/, '');
}

/** The wildcard pattern (`*.contoso.com`) that would cover a name: one label, never more. */
export function wildcardOf(name: string): string | undefined {
  const dot = name.indexOf('.');
  if (dot <= 0 || name.indexOf('.', dot + 1) < 0) return undefined;
  return `*${name.slice(dot)}`;
}

/** Whether a certificate's names cover a host: exactly, or by a one-label wildcard (RFC 6125). */
export function namesCover(names: readonly string[], host: string): boolean {
  if (names.includes(host)) return true;
  if (host.startsWith('*.')) return false;
  const w = wildcardOf(host);
  return w !== undefined && names.includes(w);
}
