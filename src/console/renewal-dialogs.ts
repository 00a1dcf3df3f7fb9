// Renewal on the Server Certificates page: the Renewal column's words, IIS's Renew… (a renewal
// request for a certificate from a manual CA; Renew now — issue, move every use, probe, commit or
// roll back — for one from the internal CA or an ACME account) and Renewal History….
import type { Ctx } from './context.js';
import { Dialog } from './dialog.js';
import { csrPanel } from './csr-panel.js';
import { append, h, isoDay, isoMinute, replace, type Child } from './dom.js';
import { DataTable } from './table.js';
import type { Certificate, PendingRequest, Renewal, RenewalDryRun, RenewalMove, RenewalOutcome, RenewalProbe, RenewalReport, RenewalStatus } from './types.js';

type Names = (thumbprint: string) => string;

/** Where a certificate comes from, in words: Manual, Internal CA, ACME: ACCOUNT. */
export function sourceText(source: string): string {
  if (source === 'internal') return 'Internal CA';
  if (source === 'manual') return 'Manual';
  if (source.startsWith('acme:')) return `ACME: ${source.slice(5)}`;
  return source;
}

const OUTCOMES: Record<RenewalOutcome, string> = { renewed: 'Renewed', 'rolled-back': 'Rolled back', failed: 'Failed' };

export function outcomeText(outcome: string | null): string {
  return outcome === null ? 'In progress (or interrupted)' : OUTCOMES[outcome as RenewalOutcome] ?? outcome;
}

/** The Renewal column: the source, then what comes next — in words, never colour alone. */
export function renewalText(s: RenewalStatus | undefined, name: Names): string {
  if (!s) return '—';
  const source = sourceText(s.source);
  if (s.replacedBy) return `${source}; replaced by “${name(s.replacedBy)}”`;
  if (s.failedProbe) return `${source}; failed probe: ${s.failedProbe}`;
  const last = s.lastAttempt && s.lastAttempt.outcome !== 'renewed' && s.lastAttempt.outcome !== null ? `; last attempt ${outcomeText(s.lastAttempt.outcome).toLowerCase()} on ${isoDay(s.lastAttempt.started)}` : '';
  if (s.nextRenewal) return `${source}; renews ${Date.parse(s.nextRenewal) <= Date.now() ? 'now (due)' : `on ${isoDay(s.nextRenewal)}`}${last}`;
  return s.source === 'manual' ? `${source}; renew by hand (Renew…)${last}` : `${source}${last}`;
}

/** The renewals' lists of moves and probes, as a dialog or the history shows them. */
function movesList(moves: RenewalMove[]): HTMLElement {
  if (moves.length === 0) return h('p', { class: 'note' }, 'Nothing used the certificate: no binding or service moved.');
  return h('ul', { class: 'plain-list' }, ...moves.map((m) => h('li', null, m.text)));
}

function probesTable(probes: Array<Partial<RenewalProbe> & { endpoint: string }>, caption: string, name: Names): HTMLElement {
  return new DataTable<Partial<RenewalProbe> & { endpoint: string }>({
    caption,
    columns: [
      { label: 'Endpoint', cell: (p) => p.endpoint, class: 'wrap' },
      { label: 'Result', cell: (p) => (p.ok === undefined ? 'To be probed' : p.ok ? '✔ New certificate served' : '✖ Failed') },
      { label: 'Served', cell: (p) => (p.served ? name(p.served) : p.ok === undefined ? '' : 'no handshake'), class: 'wrap hide-sm' },
      { label: 'Detail', cell: (p) => p.detail ?? '', class: 'wrap hide-md' },
    ],
    rows: probes,
    key: (p) => p.endpoint,
    empty: 'No endpoint to probe.',
  }).el;
}

/** What a renewal did, under headings: the outcome in words, the moves, the probes. */
function reportView(r: RenewalReport, name: Names): Child[] {
  const outcome = r.outcome === 'renewed'
    ? `Renewed: “${r.new.friendlyName}” (${r.new.thumbprint}) replaces “${r.old.friendlyName}”${r.probed ? '; every endpoint served it' : '; nothing was probed (no serving process ran)'}.`
    : r.outcome === 'rolled-back'
      ? `Rolled back: every use is back on “${r.old.friendlyName}”; the new certificate “${r.new.friendlyName}” is kept, marked failed probe.`
      : `Failed: ${r.detail}`;
  return [
    h('h3', { tabindex: '-1', class: 'report-outcome' }, outcome),
    r.detail && r.outcome !== 'failed' ? h('p', null, r.detail) : null,
    h('h4', null, `Moves (${r.moves.length})`), movesList(r.moves),
    h('h4', null, `Probes (${r.probes.length})`), probesTable(r.probes, 'Each endpoint, probed with a real TLS handshake', name),
  ];
}

/**
 * Renew…: for a certificate from a manual CA, the renewal request and its CSR (completing it with
 * Complete Certificate Request… is the renewal); for one from the internal CA or an ACME account,
 * Renew now with the report in the dialog. `done`: after the dialog closes, with what to select.
 */
export function openRenewDialog(ctx: Ctx, c: Certificate, status: RenewalStatus | undefined, name: Names, done: (select: string) => void | Promise<void>): void {
  const source = status?.source ?? 'manual';
  let selectAfter = c.thumbprint;
  let finished = false;
  const area = h('div', { class: 'renew-result' });
  const d = new Dialog('Renew Certificate', {
    className: 'wide',
    onSubmit: async () => {
      if (finished) {
        d.close();
        return;
      }
      if (source === 'manual') await makeRequest();
      else await renewNow();
    },
    onClose: () => {
      if (finished) void done(selectAfter);
    },
  });
  const primary = d.submitButton(source === 'manual' ? 'Create Renewal Request' : 'Renew now');
  const cancel = d.cancelButton();

  const finish = () => {
    finished = true;
    primary.textContent = 'Close';
    cancel.hidden = true;
  };

  async function makeRequest(): Promise<void> {
    const request = await ctx.api.post<PendingRequest>(`/certificates/${encodeURIComponent(c.thumbprint)}/renew`, {});
    const panel = csrPanel(ctx, d, request);
    replace(area,
      h('h3', { tabindex: '-1' }, `Renewal request ${request.id}`),
      h('p', null, `Send this CSR to the CA that issued “${c.friendlyName}”. When it answers, use Complete Certificate Request… with the file it sends: completing request ${request.id} is the renewal — every binding and service that uses “${c.friendlyName}” moves to the new certificate, each endpoint is probed, and if a probe fails every use moves back.`),
      panel.field,
      h('div', { class: 'button-row' }, panel.copy, panel.download));
    finish();
    area.querySelector<HTMLElement>('h3')?.focus();
  }

  async function renewNow(): Promise<void> {
    // The CA may take tens of seconds (an ACME CA validates the names): say so while the dialog is busy.
    replace(area, h('p', { role: 'status', class: 'message notice busy' }, `Renewing “${c.friendlyName}” from ${sourceText(source)}: issuing, moving every use, probing each endpoint. This can take a minute…`));
    try {
      const report = await ctx.api.post<RenewalReport>(`/certificates/${encodeURIComponent(c.thumbprint)}/renew`, { run: true });
      if (report.outcome === 'renewed') selectAfter = report.new.thumbprint;
      replace(area, ...reportView(report, (t) => (t === report.new.thumbprint ? report.new.friendlyName : t === report.old.thumbprint ? report.old.friendlyName : name(t))));
      finish();
      area.querySelector<HTMLElement>('h3')?.focus();
    } catch (e) {
      area.replaceChildren();
      throw e;
    }
  }

  const dryRun = (): void => void d.run(async () => {
    const plan = await ctx.api.post<RenewalDryRun>(`/certificates/${encodeURIComponent(c.thumbprint)}/renew`, { dryRun: true });
    replace(area,
      h('h3', { tabindex: '-1' }, 'What Renew now would do'),
      h('h4', null, `Moves (${plan.moves.length})`), movesList(plan.moves),
      h('h4', null, `Probes (${plan.probes.length})`), probesTable(plan.probes, 'Each endpoint that would be probed', name));
    area.querySelector<HTMLElement>('h3')?.focus();
  });

  append(d.body, [
    h('p', null, `“${c.friendlyName}” (${c.thumbprint}), valid until ${isoDay(c.notAfter)}. Source: ${sourceText(source)}.`),
    source === 'manual'
      ? h('p', null, 'Renew… makes a new certificate request with the same subject, names and key type (and a new private key). You send its CSR to your CA and complete it with its answer.')
      : h('p', null, `Renew now has ${sourceText(source)} issue a new certificate with the same names and a new key, moves every binding and service that uses this one to it in one change, and probes each endpoint with a real TLS handshake: if any probe fails, every use moves back.`),
    area,
  ]);
  d.setButtons(primary, ...(source === 'manual' ? [] : [h('button', { type: 'button', onclick: dryRun }, 'What would move?')]), cancel);
  d.open(primary);
}

/** Renewal History…: every renewal the certificate took part in, newest first. */
export async function openRenewalHistory(ctx: Ctx, c: Certificate, name: Names): Promise<void> {
  let renewals: Renewal[];
  try {
    renewals = await ctx.api.get<Renewal[]>(`/certificates/${encodeURIComponent(c.thumbprint)}/renewals`);
  } catch (e) {
    ctx.fail(e);
    return;
  }
  const role = (r: Renewal) => (r.old === c.thumbprint ? `renewed into “${r.new ? name(r.new) : 'none'}”` : `replaced “${name(r.old)}”`);
  const table = new DataTable<Renewal>({
    caption: `Renewals of “${c.friendlyName}”, newest first`,
    columns: [
      { label: 'Started', cell: (r) => h('time', { datetime: r.started }, isoMinute(r.started)), class: 'nowrap' },
      { label: 'Outcome', cell: (r) => outcomeText(r.outcome) },
      { label: 'Certificate', cell: (r) => `${sourceText(r.source)}: ${role(r)}`, class: 'wrap hide-sm' },
      { label: 'Detail', cell: (r) => r.detail, class: 'wrap' },
      {
        label: 'Moves and probes', class: 'wrap hide-md',
        cell: (r) => h('details', null,
          h('summary', null, `${r.moves.length} move${r.moves.length === 1 ? '' : 's'}, ${r.probes === null ? 'not probed' : `${r.probes.filter((p) => p.ok).length} of ${r.probes.length} probes passed`}`),
          h('h3', { class: 'minor' }, 'Moves'), movesList(r.moves),
          ...(r.probes === null ? [] : [h('h3', { class: 'minor' }, 'Probes'), h('ul', { class: 'plain-list' }, ...r.probes.map((p) => h('li', null, `${p.ok ? '✔ passed' : '✖ failed'}: ${p.endpoint}${p.served ? ` served “${name(p.served)}”` : ''}${p.detail ? ` (${p.detail})` : ''}`)))])),
      },
    ],
    rows: renewals,
    key: (r) => String(r.id),
    empty: 'This certificate has not been renewed, nor is it the renewal of another.',
  });
  const d = new Dialog('Renewal History', { className: 'bindings', onSubmit: () => d.close() });
  d.body.append(h('p', null, `“${c.friendlyName}” (${c.thumbprint})`), table.el);
  const close = d.submitButton('Close');
  d.setButtons(close);
  d.open(close);
}
