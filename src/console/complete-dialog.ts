// Complete Certificate Request: the CA's response (.cer/.crt/.pem/.p7b), a friendly name with the
// IIS guide's advice beside it, and the store (Web Hosting by default).
import { InputProblem } from './api.js';
import type { Ctx } from './context.js';
import { Dialog } from './dialog.js';
import { field, fileBase64, h, input, select, uid } from './dom.js';
import type { Certificate, PendingRequest } from './types.js';

export const STORE_OPTIONS = [
  { value: 'webhosting', label: 'Web Hosting' },
  { value: 'personal', label: 'Personal' },
];

/**
 * Opens the dialog; `from` is the pending request it was opened on (its friendly name is proposed).
 * When the friendly name is left empty, the server gives the certificate the name of the request it
 * completes (the one given in the wizard), else the default.
 */
export async function openCompleteDialog(ctx: Ctx, from: PendingRequest | undefined, done: (c: Certificate) => void | Promise<void>): Promise<void> {
  let pending: PendingRequest[] = [];
  try {
    pending = await ctx.api.get<PendingRequest[]>('/requests');
  } catch (e) {
    ctx.fail(e);
    return;
  }
  const named = pending.map((r) => ({ r, name: r.friendlyName })).filter((x): x is { r: PendingRequest; name: string } => x.name !== null);

  const file = h('input', { type: 'file', accept: '.cer,.crt,.pem,.der,.p7b,.p7c,.txt', required: true });
  const listId = uid('names');
  const friendly = input({ maxlength: '256', list: named.length > 0 ? listId : null, value: from?.friendlyName ?? '' });
  const store = select(STORE_OPTIONS, 'webhosting');

  const d = new Dialog('Complete Certificate Request', {
    className: 'wide',
    onSubmit: async () => {
      const chosen = file.files?.[0];
      if (!chosen) throw new InputProblem('Choose the file with the certification authority\'s response (.cer, .crt, .pem or .p7b).', file);
      if (chosen.size > 1024 * 1024) throw new InputProblem(`"${chosen.name}" is ${chosen.size} bytes; a CA's response is far below 1 MiB. Check that it is the right file.`, file);
      const name = friendly.value.trim();
      const cert = await ctx.api.post<Certificate>('/requests/complete', {
        file: await fileBase64(chosen), fileName: chosen.name, store: store.value, ...(name ? { friendlyName: name } : {}),
      });
      d.close();
      await done(cert);
      ctx.notify(`Installed “${cert.friendlyName}” (${cert.thumbprint}) in the ${store.selectedOptions[0]?.textContent ?? store.value} store.`, cert.warnings);
    },
  });

  d.body.append(
    h('p', null, 'Complete a previously created certificate request by choosing the file that contains the certification authority\'s response.'),
    field('File name containing the certification authority\'s response', file, 'A .cer or .crt (PEM or DER), a PEM bundle with the intermediates, or a PKCS#7 .p7b.'),
    field('Friendly name', friendly, [
      'The friendly name is not part of the certificate; it identifies it in lists. ',
      'Use a name you will recognise in the bindings\' certificate list, such as host-issuer-(expiry): ',
      h('q', null, 'www.contoso.com-Contoso CA-2027'),
      '. Leave it empty for ',
      named.length > 0 ? 'the name given in the request wizard, or else ' : '',
      'the default (host, issuer and expiry).',
    ]),
    named.length > 0 ? h('datalist', { id: listId }, ...named.map((x) => h('option', { value: x.name }, `request ${x.r.id}: ${x.r.cn}`))) : '',
    field('Select a certificate store for the new certificate', store, 'Web Hosting is made for many certificates and is the usual choice for sites.'),
    pending.length === 0 ? h('p', { class: 'note' }, 'There are no pending requests on this server. A certificate whose request was made elsewhere is added with Import… (a PFX with its private key).') : '');
  d.setButtons(d.submitButton('OK'), d.cancelButton());
  d.open();
}
