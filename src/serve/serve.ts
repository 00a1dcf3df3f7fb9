import type { Gatehouse } from '../lifecycle/gatehouse.js';

export interface ServeOptions {
  /** Report once and return instead of watching. */
  once: boolean;
  log: (line: string) => void;
  /** How often the store's revision is polled; changes by other processes apply within this. */
  pollMs?: number;
  signal?: AbortSignal;
}

export interface StoreSummary {
  dataDir: string;
  revision: number;
  certificates: { webhosting: number; personal: number; expired: number; expiring: number };
  pendingRequests: number;
  internalCa: string | null;
}

/** What the store holds, in the words `gatehouse serve` reports it. */
export function summarize(g: Gatehouse): StoreSummary {
  const certs = g.certificates.list();
  let ca: string | null = null;
  try {
    ca = g.ca.show().subject;
  } catch {
    ca = null;
  }
  return {
    dataDir: g.dataDir,
    revision: g.store.revision(),
    certificates: {
      webhosting: certs.filter((c) => c.store === 'webhosting').length,
      personal: certs.filter((c) => c.store === 'personal').length,
      expired: certs.filter((c) => c.status === 'expired').length,
      expiring: certs.filter((c) => c.status === 'expiring').length,
    },
    pendingRequests: g.requests.list().length,
    internalCa: ca,
  };
}

export function describeSummary(s: StoreSummary): string {
  return `store ${s.dataDir} at revision ${s.revision}: ${s.certificates.webhosting} certificate(s) in webhosting, ${s.certificates.personal} in personal` +
    ` (${s.certificates.expired} expired, ${s.certificates.expiring} expiring within 30 days), ${s.pendingRequests} pending request(s), ` +
    `internal CA: ${s.internalCa ?? 'not created'}`;
}

/**
 * The serving plane's entry point. For now it opens the store, reports what it holds and follows
 * the revision: every change made by another process (a CLI call now, the API later) is noticed
 * within one poll and reported. Listeners and TLS contexts come with the bindings (issue 3).
 */
export async function serve(g: Gatehouse, options: ServeOptions): Promise<StoreSummary> {
  let summary = summarize(g);
  options.log(describeSummary(summary));
  if (options.once) return summary;
  const pollMs = options.pollMs ?? 500;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const revision = g.store.revision();
      if (revision === summary.revision) return;
      summary = summarize(g);
      options.log(`change applied: ${describeSummary(summary)}`);
    }, pollMs);
    options.signal?.addEventListener('abort', () => {
      clearInterval(timer);
      resolve();
    });
  });
  options.log('stopped');
  return summary;
}
