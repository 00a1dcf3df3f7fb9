// Pending certificate requests: each waits for a CA's answer. Download its CSR again, complete it,
// have the internal CA sign it, or cancel it (its private key is destroyed).
import { allowed, type Ctx } from './context.js';
import { openCompleteDialog, STORE_OPTIONS } from './complete-dialog.js';
import { confirmDialog, Dialog } from './dialog.js';
import { breakable, field, h, input, isoDay, isoMinute, saveFile, select } from './dom.js';
import { openRequestWizard } from './request-wizard.js';
import { DataTable } from './table.js';
import type { Certificate, PendingRequest } from './types.js';

export async function requestsPage(ctx: Ctx): Promise<HTMLElement> {
  const pending = await ctx.api.get<PendingRequest[]>('/requests');
  const caReady = ctx.can('ca.manage') ? await ctx.caExists() : false;
  const afterChange = async (thumbprint?: string) => {
    if (thumbprint) ctx.selection.set('certificates', thumbprint);
    await ctx.refresh();
  };
  /** Once the selected request is gone (completed, signed, cancelled), the next one takes the selection and the focus. */
  const afterGone = async (r: PendingRequest, thumbprint?: string) => {
    const next = table.keyAfter(String(r.id));
    if (thumbprint) ctx.selection.set('certificates', thumbprint);
    ctx.selection.set('requests', next);
    await ctx.refresh({ focusRow: next });
  };
  const table = new DataTable<PendingRequest>({
    caption: 'Certificate requests waiting for a CA\'s response',
    columns: [
      { label: 'Request', cell: (r) => String(r.id) },
      { label: 'Friendly name', cell: (r) => breakable(r.friendlyName ?? '—'), class: 'wrap' },
      { label: 'Common name', cell: (r) => breakable(r.cn), class: 'wrap' },
      { label: 'Domains', cell: (r) => breakable(r.sans.join(', ')), class: 'wrap hide-md' },
      { label: 'Subject', cell: (r) => r.subject, class: 'wrap hide-md' },
      { label: 'Key type', cell: (r) => `${r.keyType}${r.exportable ? ', exportable' : ''}`, class: 'hide-sm' },
      { label: 'Created', cell: (r) => h('time', { datetime: r.created }, isoMinute(r.created)), class: 'hide-sm' },
    ],
    rows: pending,
    key: (r) => String(r.id),
    empty: 'No requests are pending. Create one from Server Certificates with Create Certificate Request….',
    selected: ctx.selection.get('requests') ?? null,
    onSelect: (r) => {
      ctx.selection.set('requests', r ? String(r.id) : null);
      actions(r);
    },
  });

  function actions(r: PendingRequest | undefined): void {
    const none = r === undefined;
    ctx.setActions(allowed(ctx, [
      {
        heading: 'Requests',
        items: [{ label: 'Create Certificate Request…', needs: 'certificates.manage', run: () => void openRequestWizard(ctx, afterChange) }],
      },
      {
        heading: 'Selected request',
        note: r ? `Request ${r.id}: ${r.cn}` : 'Select a request in the list.',
        items: [
          { label: 'Download CSR', needs: 'view', disabled: none, run: () => r && downloadCsr(ctx, r) },
          { label: 'Complete Certificate Request…', needs: 'certificates.manage', disabled: none, run: () => r && void openCompleteDialog(ctx, r, (c) => afterGone(r, c.thumbprint)) },
          ...(caReady ? [{ label: 'Submit to internal CA…', needs: 'ca.manage' as const, disabled: none, run: () => r && submitDialog(ctx, r, (thumbprint) => afterGone(r, thumbprint)) }] : []),
          { label: 'Cancel Request', needs: 'certificates.manage', disabled: none, run: () => r && void cancelRequest(ctx, r, () => afterGone(r)) },
        ],
      },
    ]));
  }

  actions(table.selected);
  return h('div', null,
    h('h1', { tabindex: '-1' }, 'Pending Certificate Requests'),
    h('p', { class: 'description' }, 'Each request keeps its private key on this server until the CA\'s response completes it.'),
    table.el);
}

function downloadCsr(ctx: Ctx, r: PendingRequest): void {
  ctx.api.file('GET', `/requests/${r.id}/csr`, undefined, `request-${r.id}.csr`).then(
    (f) => saveFile(f.blob, `request-${r.id}.csr`),
    (e) => ctx.fail(e),
  );
}

function submitDialog(ctx: Ctx, r: PendingRequest, done: (thumbprint?: string) => Promise<void>): void {
  const friendly = input({ maxlength: '256', value: r.friendlyName ?? '' });
  const store = select(STORE_OPTIONS, 'webhosting');
  const days = input({ type: 'number', min: '1', max: '3650', value: '365', inputmode: 'numeric' });
  const d = new Dialog('Submit to the Internal CA', {
    onSubmit: async () => {
      const name = friendly.value.trim();
      const cert = await ctx.api.post<Certificate>(`/requests/${r.id}/submit`, { ca: 'internal', store: store.value, days: Number(days.value), ...(name ? { friendlyName: name } : {}) });
      d.close();
      await done(cert.thumbprint);
      ctx.notify(`The internal CA issued “${cert.friendlyName}” (${cert.thumbprint}), valid until ${isoDay(cert.notAfter)}.`);
    },
  });
  d.body.append(
    h('p', null, `The internal CA signs request ${r.id} (${r.cn}) and the certificate is installed at once.`),
    field('Friendly name', friendly, 'Leave empty for the default: host, issuer and expiry.'),
    field('Select a certificate store for the new certificate', store),
    field('Valid for (days)', days));
  d.setButtons(d.submitButton('Submit'), d.cancelButton());
  d.open();
}

async function cancelRequest(ctx: Ctx, r: PendingRequest, gone: () => Promise<void>): Promise<void> {
  const sure = await confirmDialog('Cancel Request', `Cancel request ${r.id} (${r.cn})? Its private key is destroyed, so a certificate the CA issues for it later cannot be installed.`, 'Cancel the request', 'Keep it');
  if (!sure) return;
  try {
    await ctx.api.delete(`/requests/${r.id}`);
    await gone();
    ctx.notify(`Cancelled request ${r.id}.`);
  } catch (e) {
    ctx.fail(e);
  }
}
