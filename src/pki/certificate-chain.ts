import { X509Certificate as NodeX509 } from 'node:crypto';

export interface BuiltChain {
  /** Issuers from the leaf's issuer upwards, as DER; certificates that are not on the path are dropped. */
  chain: Buffer[];
  /** True when the path ends at a self-issued root or at a trust anchor that was passed in. */
  complete: boolean;
}

/**
 * Orders the certificates a CA sent into the path from the leaf upwards, whatever order they came in.
 * A certificate is the next link when it names the current one's issuer and its key verifies the
 * current one's signature. Trust anchors (system roots, the internal CA) are passed in, never read
 * here, and asked for only when the path does not already end at a self-issued root.
 */
export function buildChain(leaf: Buffer, others: readonly Buffer[], anchors: () => readonly NodeX509[] = () => []): BuiltChain {
  const pool = others.map((der) => ({ der, cert: new NodeX509(der) }));
  let current = new NodeX509(leaf);
  const chain: Buffer[] = [];
  const used = new Set<number>();
  for (;;) {
    if (current.checkIssued(current) && safeVerify(current, current)) return { chain, complete: true };
    const idx = pool.findIndex((p, i) => !used.has(i) && current.checkIssued(p.cert) && safeVerify(current, p.cert));
    if (idx < 0) break;
    used.add(idx);
    chain.push(pool[idx]!.der);
    current = pool[idx]!.cert;
  }
  const top = current;
  const complete = anchors().some((anchor) => top.checkIssued(anchor) && safeVerify(top, anchor));
  return { chain, complete };
}

function safeVerify(cert: NodeX509, issuer: NodeX509): boolean {
  try {
    return cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}
