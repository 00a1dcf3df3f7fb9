// The audit log: who changed what, when, from which face and address, and what it was before and
// after (never a secret). Newest first.
import type { Ctx } from './context.js';
import { h, isoMinute, select, field } from './dom.js';
import { DataTable } from './table.js';
import type { AuditEntry } from './types.js';

const FACES: Record<string, string> = { cli: 'CLI', api: 'API', console: 'Console', system: 'Gatehouse' };
const SIZES = ['50', '200', '1000'];

function changeDetails(e: AuditEntry): HTMLElement | string {
  if (e.before == null && e.after == null) return '';
  const show = (label: string, v: unknown) => (v == null ? null : [h('h4', null, label), h('pre', { class: 'mono' }, JSON.stringify(v, null, 2))]);
  return h('details', null, h('summary', null, 'Before and after'), show('Before', e.before), show('After', e.after));
}

export async function auditPage(ctx: Ctx): Promise<HTMLElement> {
  const last = ctx.selection.get('audit-size') ?? '200';
  const entries = await ctx.api.get<AuditEntry[]>(`/audit?last=${encodeURIComponent(last)}`);
  const rows = [...entries].sort((a, b) => b.id - a.id);
  const table = new DataTable<AuditEntry>({
    caption: `The last ${rows.length} changes, newest first`,
    columns: [
      { label: 'When (UTC)', cell: (e) => h('time', { datetime: e.at }, isoMinute(e.at)) },
      { label: 'Who', cell: (e) => e.actor },
      { label: 'From where', cell: (e) => `${FACES[e.origin] ?? e.origin}${e.source ? ` (${e.source})` : ''}` },
      { label: 'Action', cell: (e) => h('span', { class: 'mono' }, e.action) },
      { label: 'Target', cell: (e) => e.target },
      { label: 'Change', cell: changeDetails },
    ],
    rows,
    key: (e) => String(e.id),
    empty: 'Nothing has been changed yet.',
  });
  const size = select(SIZES.map((n) => ({ value: n, label: `the last ${n}` })), last, {
    onchange: () => {
      ctx.selection.set('audit-size', size.value);
      void ctx.refresh();
    },
  });
  ctx.setActions([]);
  return h('div', null,
    h('h1', { tabindex: '-1' }, 'Audit Log'),
    h('p', { class: 'description' }, 'Every change made with the console, the API or the CLI: who, when, from where, and what it was before and after. Secrets are never written here.'),
    h('div', { class: 'toolbar' }, field('Show', size)),
    table.el);
}
