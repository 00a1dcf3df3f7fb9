import { X509Certificate as NodeX509 } from 'node:crypto';

export interface BuiltChain {
  /**
   * Issuers from the leaf's issuer upwards, as DER; certificates that are not on the path are
   * dropped. When the path ends at a trust anchor that was passed in, the anchor is the last entry.
   */
  chain: Buffer[];
  /** True when the path ends at a self-issued root (given, or a trust anchor); whether that root is trusted is judged by the caller. */
  complete: boolean;
  /** How many certificates of the path came from `others` (not the anchors). */
  fromOthers: number;
}

/**
 * Orders the certificates a CA sent into the path from the leaf upwards, whatever order they came in.
 * A certificate is the next link when it names the current one's issuer and its key verifies the
 * current one's signature. Trust anchors (system roots, the Trusted Root store, the internal CA) are
 * passed in, never read here, and asked for only when the path does not already end at a self-issued root.
 */
export function buildChain(leaf: Buffer, others: readonly Buffer[], anchors: () => readonly NodeX509[] = () => []): BuiltChain {
  const pool = others.map((der) => ({ der, cert: new NodeX509(der) }));
  let current = new NodeX509(leaf);
  const chain: Buffer[] = [];
  const used = new Set<number>();
  for (;;) {
    if (isRoot(current)) return { chain, complete: true, fromOthers: chain.length };
    const idx = pool.findIndex((p, i) => !used.has(i) && current.checkIssued(p.cert) && safeVerify(current, p.cert));
    if (idx < 0) break;
    used.add(idx);
    chain.push(pool[idx]!.der);
    current = pool[idx]!.cert;
  }
  const top = current;
  const anchor = anchors().find((a) => top.checkIssued(a) && safeVerify(top, a));
  if (!anchor) return { chain, complete: false, fromOthers: chain.length };
  return { chain: [...chain, anchor.raw], complete: isRoot(anchor), fromOthers: chain.length };
}

/**
 * What a server sends in its handshake: the leaf and the intermediates, never a self-issued root —
 * a client trusts a root it already has, and a root on the wire is wasted bytes (and an error to
 * some scanners).
 */
export function servedChain(chain: readonly Buffer[]): Buffer[] {
  return chain.filter((der) => !isRootDer(der));
}

/** Whether a certificate (DER) is a self-issued root: the ones `servedChain` leaves out. */
export function isRootDer(der: Buffer): boolean {
  return isRoot(new NodeX509(der));
}

function isRoot(cert: NodeX509): boolean {
  return cert.checkIssued(cert) && safeVerify(cert, cert);
}

function safeVerify(cert: NodeX509, issuer: NodeX509): boolean {
  try {
    return cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}
