import { Gauge, Registry } from 'prom-client';
import type { Gatehouse } from '../lifecycle/gatehouse.js';

const DAY_S = 86_400;

/** What the renewal manager tells the metrics about each certificate it looks after (see `registerRenewalMetrics`). */
export interface RenewalMetricsSource {
  renewals(): Array<{
    thumbprint: string;
    friendlyName: string;
    /** manual, internal, acme:ACCOUNT. */
    source: string;
    /** The last outcome or what comes next (renewed, rolled-back, failed, failed-probe, due, scheduled, manual): one series, value 1. */
    status: string;
    /** When it renews by itself; null for manual certificates and replaced ones. */
    nextRenewal?: string | null | undefined;
    lastSuccess?: string | null | undefined;
    lastFailure?: string | null | undefined;
  }>;
}

/**
 * The metrics read from the store at each scrape, in the process that answers `/metrics` (the
 * supervisor, or the single serving process): every certificate's end and days left, the store's
 * revision, and the revision each live serving process reports it serves.
 */
export class StoreMetrics {
  readonly registry = new Registry();

  constructor(private readonly g: Gatehouse) {
    const certificates = () => g.certificates.list().filter((c) => c.store !== 'root');
    new Gauge({
      name: 'gatehouse_certificate_not_after_seconds', help: 'When the certificate ends (Unix time, seconds)',
      labelNames: ['thumbprint', 'friendly_name', 'store'], registers: [this.registry],
      collect() {
        this.reset();
        for (const c of certificates()) this.set({ thumbprint: c.thumbprint, friendly_name: c.friendlyName, store: c.store }, Date.parse(c.notAfter) / 1000);
      },
    });
    new Gauge({
      name: 'gatehouse_certificate_days_left', help: 'Days until the certificate ends (fractional; negative once it has ended)',
      labelNames: ['thumbprint', 'friendly_name', 'store'], registers: [this.registry],
      collect() {
        const now = g.clock().getTime();
        this.reset();
        for (const c of certificates()) this.set({ thumbprint: c.thumbprint, friendly_name: c.friendlyName, store: c.store }, (Date.parse(c.notAfter) - now) / 1000 / DAY_S);
      },
    });
    new Gauge({
      name: 'gatehouse_store_revision', help: 'The revision of the store: bumped by every change to what is served',
      registers: [this.registry],
      collect() {
        this.set(g.serving.revision());
      },
    });
    new Gauge({
      name: 'gatehouse_serving_process_revision', help: 'The revision each live serving process reports it serves (process: host:pid)',
      labelNames: ['process', 'role'], registers: [this.registry],
      collect() {
        this.reset();
        for (const p of g.processes.status().processes.filter((x) => x.live)) this.set({ process: p.id, role: p.role }, p.revision);
      },
    });
  }

  /**
   * The renewal metrics (`serve` registers them with src/renewal/renewal-metrics.ts's source): per
   * certificate its source and renewal status, its next renewal, and the times of its last renewal
   * success and failure.
   */
  registerRenewalMetrics(renewals: RenewalMetricsSource): void {
    const labels = ['thumbprint', 'friendly_name'] as const;
    // Read once per scrape, not once per gauge: a scrape collects the gauges in the order they were
    // registered, so the first (the status) reads the store and the time gauges after it reuse that.
    let rows: ReturnType<RenewalMetricsSource['renewals']> | undefined;
    const fresh = () => (rows = renewals.renewals());
    const source = { renewals: () => rows ?? fresh() };
    new Gauge({
      name: 'gatehouse_certificate_renewal_status', help: 'The renewal status of each certificate the renewal manager looks after: 1 for its current status',
      labelNames: [...labels, 'source', 'status'], registers: [this.registry],
      collect() {
        this.reset();
        for (const r of fresh()) this.set({ thumbprint: r.thumbprint, friendly_name: r.friendlyName, source: r.source, status: r.status }, 1);
      },
    });
    const time = (name: string, help: string, pick: (r: ReturnType<RenewalMetricsSource['renewals']>[number]) => string | null | undefined) => new Gauge({
      name, help, labelNames: [...labels], registers: [this.registry],
      collect() {
        this.reset();
        for (const r of source.renewals()) {
          const at = pick(r);
          if (at) this.set({ thumbprint: r.thumbprint, friendly_name: r.friendlyName }, Date.parse(at) / 1000);
        }
      },
    });
    time('gatehouse_certificate_renewal_next_seconds', 'When the certificate renews by itself (Unix time, seconds); absent for manual and replaced certificates', (r) => r.nextRenewal);
    time('gatehouse_certificate_renewal_last_success_seconds', 'When the certificate was last renewed successfully (Unix time, seconds)', (r) => r.lastSuccess);
    time('gatehouse_certificate_renewal_last_failure_seconds', 'When a renewal of the certificate last failed or rolled back (Unix time, seconds)', (r) => r.lastFailure);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** Prometheus text format 0.0.4. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * `/metrics`: the store's metrics and the serving counters — this process's own (`--workers 1`), or
 * every worker's summed (`workers()`, from the supervisor).
 */
export class MetricsExposition {
  constructor(
    readonly store: StoreMetrics,
    private readonly serving: () => Promise<string>,
  ) {}

  async text(): Promise<string> {
    const [store, serving] = await Promise.all([this.store.text(), this.serving().catch(() => '')]);
    return `${store.trimEnd()}\n${serving.trim() === '' ? '' : `${serving.trimEnd()}\n`}`;
  }
}
