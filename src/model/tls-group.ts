/**
 * TLS key exchange groups: the ones Gatehouse offers, and the name of the one a connection
 * negotiated (for the logs).
 *
 * Offered, in order: the hybrid post-quantum group X25519MLKEM768 (X25519 combined with ML-KEM-768;
 * OpenSSL 3.5 and later), then Mozilla's "intermediate" groups X25519, P-256, P-384. A client
 * without post-quantum support (OpenSSL 3.0, older browsers) gets X25519 as before.
 */
export const POST_QUANTUM_GROUP = 'X25519MLKEM768';
export const CLASSICAL_GROUPS = ['X25519', 'prime256v1', 'secp384r1'] as const;

/**
 * The `ecdhCurve` list (OpenSSL's groups list) for the OpenSSL that Node is built with
 * (`process.versions.openssl`): the post-quantum group only where OpenSSL knows it (3.5+), since
 * an unknown name would make every TLS context fail to build.
 */
export function tlsGroups(opensslVersion: string): string {
  const [major = 0, minor = 0] = opensslVersion.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pq = major > 3 || (major === 3 && minor >= 5);
  return [...(pq ? [POST_QUANTUM_GROUP] : []), ...CLASSICAL_GROUPS].join(':');
}

/** IANA TLS Supported Groups code points → the names OpenSSL prints ("Negotiated TLS1.3 group"). */
const GROUP_NAMES: Readonly<Record<number, string>> = {
  0x0017: 'secp256r1', 0x0018: 'secp384r1', 0x0019: 'secp521r1', 0x001d: 'X25519', 0x001e: 'X448',
  0x0100: 'ffdhe2048', 0x0101: 'ffdhe3072', 0x0102: 'ffdhe4096', 0x0103: 'ffdhe6144', 0x0104: 'ffdhe8192',
  0x0200: 'MLKEM512', 0x0201: 'MLKEM768', 0x0202: 'MLKEM1024',
  0x11eb: 'SecP256r1MLKEM768', 0x11ec: 'X25519MLKEM768', 0x11ed: 'SecP384r1MLKEM1024',
};

/** A group's name from its code point; unknown ones as `0x` and four hex digits. */
export function tlsGroupName(id: number): string {
  return GROUP_NAMES[id] ?? `0x${id.toString(16).padStart(4, '0')}`;
}

/**
 * The key exchange group recorded in an OpenSSL session (the DER of `SSL_SESSION`, what a server
 * socket's `getSession()` answers): the `kex_group` field, `[19] INTEGER` in OpenSSL 3's session
 * encoding. Undefined when the session has none (no ephemeral key exchange) or is not DER.
 */
export function groupOfSession(der: Uint8Array): string | undefined {
  const outer = readTlv(der, 0);
  if (!outer || outer.tag !== 0x30) return undefined;
  for (let at = outer.start; at < outer.end;) {
    const field = readTlv(der, at);
    if (!field || field.end > outer.end) return undefined;
    if (field.tag === 0xb3) {
      const int = readTlv(der, field.start);
      if (!int || int.tag !== 0x02 || int.end > field.end || int.end - int.start > 4) return undefined;
      let id = 0;
      for (let i = int.start; i < int.end; i++) id = id * 256 + der[i]!;
      return id === 0 ? undefined : tlsGroupName(id);
    }
    at = field.end;
  }
  return undefined;
}

/** One DER tag-length-value at `at` (single-byte tags, definite lengths), or undefined. */
function readTlv(der: Uint8Array, at: number): { tag: number; start: number; end: number } | undefined {
  if (at + 2 > der.length) return undefined;
  const tag = der[at]!;
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 3 || start + bytes > der.length) return undefined;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[start + i]!;
    start += bytes;
  }
  const end = start + length;
  return end <= der.length ? { tag, start, end } : undefined;
}

/** What the negotiated group is read from: a TLS socket, either side (structurally, so model imports no node:tls). */
export interface TlsSocketLike {
  getEphemeralKeyInfo(): { name?: string } | object | null;
  getSession(): Buffer | undefined;
}

/**
 * The key exchange group a finished handshake negotiated, by the names OpenSSL prints
 * (`X25519MLKEM768`, `X25519`, `secp256r1`, …), or undefined (no TLS, no ephemeral key exchange).
 * A client socket says it through `getEphemeralKeyInfo()`; on a server socket Node answers null
 * there, so the group is read from the session OpenSSL keeps for the connection.
 */
export function negotiatedGroup(socket: TlsSocketLike): string | undefined {
  const info = socket.getEphemeralKeyInfo();
  if (info && 'name' in info && typeof info.name === 'string' && info.name !== '') return info.name === 'prime256v1' ? 'secp256r1' : info.name;
  const session = socket.getSession();
  return session ? groupOfSession(session) : undefined;
}
