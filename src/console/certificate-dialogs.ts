// The Server Certificates page's other dialogs: Import…, Export…, Create Self-Signed Certificate…,
// Install Chain…, Rename… and Remove.
import { ApiError, InputProblem } from './api.js';
import { STORE_OPTIONS } from './complete-dialog.js';
import type { Ctx } from './context.js';
import { confirmDialog, Dialog } from './dialog.js';
import { append, button, checkbox, field, fileBase64, h, input, saveFile, select, storeLabel, toBase64 } from './dom.js';
import { KEY_TYPES, type Certificate } from './types.js';

type Done = (c: Certificate) => void | Promise<void>;

function chosenFile(control: HTMLInputElement, what: string, required: boolean): File | undefined {
  const f = control.files?.[0];
  if (!f && required) throw new InputProblem(`Choose the ${what}.`, control);
  if (f && f.size > 1024 * 1024) throw new InputProblem(`"${f.name}" is ${f.size} bytes; certificates, keys and PFX files are far below 1 MiB. Check that it is the right file.`, control);
  return f;
}

export function openImportDialog(ctx: Ctx, done: Done): void {
  const file = h('input', { type: 'file', accept: '.pfx,.p12,.cer,.crt,.pem,.der,.p7b', required: true });
  const keyFile = h('input', { type: 'file', accept: '.key,.pem,.der' });
  const password = input({ type: 'password', autocomplete: 'off' });
  const friendly = input({ maxlength: '256' });
  const store = select([...STORE_OPTIONS, { value: 'root', label: 'Trusted Root Certification Authorities' }], 'webhosting');
  const exportable = checkbox(false);
  const d = new Dialog('Import Certificate', {
    className: 'wide',
    onSubmit: async () => {
      const f = chosenFile(file, 'certificate file (.pfx, or a .cer/.crt/.pem certificate)', true)!;
      const k = chosenFile(keyFile, 'private key file', false);
      const cert = await ctx.api.post<Certificate>('/certificates/import', {
        file: await fileBase64(f), fileName: f.name,
        ...(k ? { keyFile: await fileBase64(k) } : {}),
        ...(password.value ? { password: password.value } : {}),
        ...(friendly.value.trim() ? { friendlyName: friendly.value.trim() } : {}),
        store: store.value, exportable: exportable.checked,
      });
      d.close();
      await done(cert);
      ctx.notify(`Imported “${cert.friendlyName}” (${cert.thumbprint}) into the ${storeLabel(cert.store)} store.`, cert.warnings);
    },
  });
  d.body.append(
    field('Certificate file (.pfx, or a .cer/.crt/.pem certificate)', file, 'A PFX (PKCS#12) holds the certificate, its chain and its private key. A PEM or DER certificate needs its private key file too.'),
    field('Private key file (for a PEM or DER certificate)', keyFile),
    field('Password', password, 'The PFX\'s password, or the encrypted private key\'s. Leave it empty for a PFX without a password.'),
    field('Friendly name', friendly, 'Leave empty for the default: host, issuer and expiry.'),
    field('Select certificate store', store, 'Trusted Root Certification Authorities takes a root CA certificate without key (your organization\'s CA): certificates whose chain ends at it are then valid.'),
    field('Allow this certificate to be exported', exportable, 'Its private key may then leave this server in a PFX (Export…).'));
  d.setButtons(d.submitButton('OK'), d.cancelButton());
  d.open();
}

export function openExportDialog(ctx: Ctx, c: Certificate): void {
  const keyAllowed = c.hasPrivateKey && c.exportable;
  const pfx = h('input', { type: 'radio', name: 'format', value: 'pfx', checked: true });
  const pem = h('input', { type: 'radio', name: 'format', value: 'pem' });
  const includeKey = checkbox(keyAllowed, { disabled: !keyAllowed });
  const password = input({ type: 'password', autocomplete: 'new-password' });
  const confirm = input({ type: 'password', autocomplete: 'new-password' });
  const legacy = checkbox(false);
  if (!keyAllowed) {
    pem.checked = true;
    pfx.disabled = true;
  }
  const sync = () => {
    const isPfx = pfx.checked;
    if (isPfx) includeKey.checked = true;
    includeKey.disabled = !keyAllowed || isPfx;
    const withKey = includeKey.checked;
    password.disabled = !withKey;
    confirm.disabled = !withKey;
    legacy.disabled = !isPfx;
    if (!isPfx) legacy.checked = false;
  };
  for (const el of [pfx, pem, includeKey]) el.addEventListener('change', sync);
  const d = new Dialog('Export Certificate', {
    onSubmit: async () => {
      const format = pfx.checked ? 'pfx' : 'pem';
      const withKey = includeKey.checked;
      if (withKey && format === 'pfx' && !password.value) throw new InputProblem('A PFX protects the private key with a password: type one.', password);
      if (withKey && password.value !== confirm.value) throw new InputProblem('The two passwords differ: type the same password twice.', confirm);
      const body = { format, ...(withKey && password.value ? { password: password.value } : {}), ...(format === 'pfx' ? { legacy: legacy.checked } : {}), ...(withKey ? {} : { noKey: true }) };
      const f = await ctx.api.file('POST', `/certificates/${encodeURIComponent(c.thumbprint)}/export`, body, `${c.thumbprint}.${format}`);
      saveFile(f.blob, f.fileName);
      d.close();
      ctx.notify(`Exported “${c.friendlyName}” as ${f.fileName}${withKey ? ' with its private key' : ''}.`);
    },
  });
  append(d.body, [
    h('p', null, `Export “${c.friendlyName}” (${c.thumbprint}).`),
    keyAllowed ? null : h('p', { class: 'note' }, c.hasPrivateKey ? 'Its private key was not marked exportable, so it cannot leave this server: only the certificate and its chain can be exported (PEM).' : 'There is no private key for it here: only the certificate and its chain can be exported (PEM).'),
    h('fieldset', null, h('legend', null, 'Format'),
      field('PFX (PKCS#12): certificate, chain and private key', pfx),
      field('PEM: certificate and chain, and the key if included', pem)),
    field('Include the private key', includeKey),
    field('Password', password, 'Protects the private key in the file. Optional for PEM (the key is then written unencrypted).'),
    field('Confirm password', confirm),
    field('Legacy PFX (3DES, SHA-1) for Windows Server 2016 and older', legacy)]);
  sync();
  d.setButtons(d.submitButton('Export'), d.cancelButton());
  d.open();
}

export function openSelfSignedDialog(ctx: Ctx, done: Done): void {
  const cn = input({ required: true, maxlength: '253', placeholder: 'intranet.contoso.com' });
  const names = h('textarea', { rows: '3', spellcheck: 'false' });
  const days = input({ type: 'number', value: '365', min: '1', max: '3650', inputmode: 'numeric' });
  const friendly = input({ maxlength: '256' });
  const store = select(STORE_OPTIONS, 'webhosting');
  const key = select(KEY_TYPES.map((k) => ({ value: k, label: k })), 'rsa-2048');
  const exportable = checkbox(false);
  const d = new Dialog('Create Self-Signed Certificate', {
    className: 'wide',
    onSubmit: async () => {
      if (!cn.value.trim()) throw new InputProblem('Type the common name (the host name the certificate is for).', cn);
      const n = Number(days.value);
      if (!Number.isInteger(n) || n < 1 || n > 3650) throw new InputProblem('The validity is a whole number of days from 1 to 3650.', days);
      const san = names.value.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
      const cert = await ctx.api.post<Certificate>('/certificates/self-signed', {
        cn: cn.value.trim(), san, days: n, key: key.value, store: store.value, exportable: exportable.checked,
        ...(friendly.value.trim() ? { friendlyName: friendly.value.trim() } : {}),
      });
      d.close();
      await done(cert);
      ctx.notify(`Created the self-signed certificate “${cert.friendlyName}” (${cert.thumbprint}). Clients will not trust it until they are told to.`);
    },
  });
  d.body.append(
    h('p', null, 'A self-signed certificate is issued by its own key: good for tests and internal tools, trusted by nobody until trusted explicitly.'),
    field('Common name', cn),
    field('Other names', names, 'Further host names or IP addresses, one per line or separated by commas.'),
    field('Valid for (days)', days),
    field('Friendly name', friendly, 'Leave empty for the default: host, issuer and expiry.'),
    field('Select a certificate store for the new certificate', store),
    field('Key type', key),
    field('Allow the private key to be exported', exportable));
  d.setButtons(d.submitButton('OK'), d.cancelButton());
  d.open();
}

/**
 * Install Chain…: the CA's intermediate certificates for an installed certificate, from a file or
 * pasted PEM; the certificate itself and the root may be in it, in any order.
 */
export function openChainDialog(ctx: Ctx, c: Certificate, done: Done): void {
  const file = h('input', { type: 'file', accept: '.cer,.crt,.pem,.der,.p7b,.p7c,.txt' });
  const pasted = h('textarea', { rows: '6', spellcheck: 'false', placeholder: '-----BEGIN CERTIFICATE-----' });
  const d = new Dialog('Install Certificate Chain', {
    className: 'wide',
    onSubmit: async () => {
      const f = chosenFile(file, 'bundle file', false);
      const text = pasted.value.trim();
      if (!f && !text) throw new InputProblem('Choose the file with the CA\'s intermediate certificates (.p7b, .pem, .cer), or paste them (PEM).', file);
      const body = f ? { file: await fileBase64(f), fileName: f.name } : { file: toBase64(new TextEncoder().encode(text)), fileName: 'pasted certificates' };
      const cert = await ctx.api.post<Certificate>(`/certificates/${encodeURIComponent(c.thumbprint)}/chain`, body);
      d.close();
      await done(cert);
      ctx.notify(`Installed the chain of “${cert.friendlyName}”: ${cert.chainComplete ? 'it reaches a trusted root' : 'it is still incomplete'}.`, cert.warnings);
    },
  });
  d.body.append(
    h('p', null, `Add or replace the intermediate certificates of “${c.friendlyName}”, issued by ${c.issuedBy}. Clients receive them with the certificate; a root in the bundle is kept but never sent.`),
    field('File with the CA\'s intermediate certificates', file, 'A .p7b, a PEM bundle, or a .cer/.crt (PEM or DER): the order does not matter.'),
    field('Or paste them (PEM)', pasted));
  d.setButtons(d.submitButton('OK'), d.cancelButton());
  d.open();
}

export function openRenameDialog(ctx: Ctx, c: Certificate, done: Done): void {
  const friendly = input({ value: c.friendlyName, maxlength: '256', required: true });
  const d = new Dialog('Rename Certificate', {
    className: 'small',
    onSubmit: async () => {
      const name = friendly.value.trim();
      if (!name) throw new InputProblem('Type a friendly name.', friendly);
      const cert = await ctx.api.patch<Certificate>(`/certificates/${encodeURIComponent(c.thumbprint)}`, { friendlyName: name });
      d.close();
      await done(cert);
      ctx.notify(`Renamed to “${cert.friendlyName}”.`);
    },
  });
  d.body.append(h('p', null, `Certificate ${c.thumbprint}`), field('Friendly name', friendly));
  d.setButtons(d.submitButton('OK'), d.cancelButton());
  d.open();
  friendly.select();
}

export async function openRemoveCertificate(ctx: Ctx, c: Certificate, done: () => void | Promise<void>): Promise<void> {
  const sure = await confirmDialog('Remove Certificate', `Remove “${c.friendlyName}” (${c.thumbprint})? Its private key is destroyed with it${c.exportable ? '' : ' and cannot be recovered'}.`, 'Remove');
  if (!sure) return;
  const remove = async (force: boolean) => {
    await ctx.api.delete(`/certificates/${encodeURIComponent(c.thumbprint)}${force ? '?force=true' : ''}`);
    await done();
    ctx.notify(`Removed “${c.friendlyName}”.`);
  };
  try {
    await remove(false);
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 'GH_CERT_IN_USE')) {
      ctx.fail(e);
      return;
    }
    // Bindings use it: say which, and offer to remove it with them.
    const d = new Dialog('Certificate in use', { className: 'small' });
    d.showError(e.message);
    const anyway = button('Remove it and those bindings', () => void d.run(async () => {
      await remove(true);
      d.close();
    }), { class: 'danger' });
    d.setButtons(anyway, d.cancelButton());
    d.open(d.footer.querySelector('button:last-child') as HTMLElement);
  }
}
