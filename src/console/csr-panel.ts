// A pending request's CSR as the end of the Create Certificate Request wizard shows it (and Renew…
// for a manual certificate): the PEM in a read-only box, Copy, and Download CSR.
import type { Ctx } from './context.js';
import type { Dialog } from './dialog.js';
import { button, copyText, field, h, saveFile } from './dom.js';
import type { PendingRequest } from './types.js';

export interface CsrPanel {
  /** The labelled read-only box with the PEM. */
  field: HTMLDivElement;
  copy: HTMLButtonElement;
  download: HTMLButtonElement;
}

export function csrPanel(ctx: Ctx, d: Dialog, request: PendingRequest): CsrPanel {
  const csr = h('textarea', { readOnly: true, rows: '12', class: 'mono csr', spellcheck: 'false' });
  csr.value = request.csr ?? '';
  const copy = button('Copy', () => void copyText(csr.value, csr).then(
    () => d.showNotice('The CSR is on the clipboard.'),
    () => d.showError('The browser did not allow copying; select the text and copy it yourself.'),
  ));
  const download = button('Download CSR', () => void d.run(async () => {
    const f = await ctx.api.file('GET', `/requests/${request.id}/csr`, undefined, `request-${request.id}.csr`);
    saveFile(f.blob, `request-${request.id}.csr`);
    d.showNotice(`Saved request-${request.id}.csr. Send it to your certification authority.`);
  }));
  return { field: field('Certificate signing request (CSR)', csr), copy, download };
}
