// IIS's Site Bindings dialog: the site's bindings (type, host name, port, IP address, SNI, SSL
// certificate) with Add…, Edit… and Remove, and the Add/Edit Site Binding dialog. http.sys's rules
// are the API's: a refusal is shown in the dialog in the API's words, a change that would give
// other sites' clients another certificate can be applied anyway, and warnings are shown after a
// change is made.
import { ApiError, InputProblem, messageOf } from './api.js';
import type { Ctx } from './context.js';
import { confirmDialog, Dialog } from './dialog.js';
import { breakable, button, checkbox, field, h, input, isoDay, replace, select } from './dom.js';
import { certificateOption, nameWithStatus, statusText } from './status.js';
import { DataTable, type Column } from './table.js';
import { certificateNames, certificatePicker, certificatesOf } from './certificate-picker.js';
import type { Binding, BindingResult, Certificate, ReachedSite, ServerInfo } from './types.js';

/** `https *:443:www.contoso.com`, as IIS writes a binding. */
export function bindingText(b: Pick<Binding, 'protocol' | 'ip' | 'port' | 'host'>): string {
  const ip = b.ip.includes(':') ? `[${b.ip}]` : b.ip;
  return `${b.protocol} ${ip}:${b.port}:${b.host}`;
}

export { certificateNames };

/** The columns of a bindings list (the site home's, the Site Bindings dialog's): the SSL certificate by name, with its status in words. */
export function bindingColumns(certs: Certificate[]): Array<Column<Binding>> {
  const names = certificateNames(certs);
  const byThumbprint = new Map(certs.map((c) => [c.thumbprint, c]));
  return [
    { label: 'Type', cell: (b) => b.protocol },
    { label: 'Host Name', cell: (b) => breakable(b.host), class: 'wrap' },
    { label: 'Port', cell: (b) => String(b.port) },
    { label: 'IP Address', cell: (b) => b.ip, class: 'hide-sm' },
    { label: 'SNI', cell: (b) => (b.protocol === 'https' ? (b.sni ? 'Required' : 'No') : ''), class: 'hide-md' },
    { label: 'SSL Certificate', cell: (b) => (b.certificate ? nameWithStatus(names.get(b.certificate) ?? b.certificate, byThumbprint.get(b.certificate)) : ''), class: 'wrap' },
  ];
}

/**
 * Runs a change the API may refuse because it reaches other sites' clients (409
 * GH_BINDING_AFFECTS_OTHERS): the refusal is shown in the API's words with "Apply anyway", which
 * repeats it with force. Answers undefined when the user keeps things as they are.
 */
export async function applyAnyway<T>(title: string, run: (force: boolean) => Promise<T>): Promise<T | undefined> {
  try {
    return await run(false);
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 'GH_BINDING_AFFECTS_OTHERS')) throw e;
    if (!(await confirmDialog(title, e.message, 'Apply anyway'))) return undefined;
    return run(true);
  }
}

/** "Also changed: …" for each other site a forced change reached. */
export function reachedNotes(affected: ReachedSite[] | undefined): string[] {
  return (affected ?? []).map((a) => `Also changed: ${a.text.replace(' would get ', ' now get ')}.`);
}

const DEFAULT_PORT = { http: 80, https: 443 } as const;

function sameIdentity(a: Pick<Binding, 'protocol' | 'ip' | 'port' | 'host'>, b: Pick<Binding, 'protocol' | 'ip' | 'port' | 'host'>): boolean {
  return a.protocol === b.protocol && a.ip === b.ip && a.port === b.port && a.host === b.host;
}

function identityQuery(b: Pick<Binding, 'protocol' | 'ip' | 'port' | 'host'>, force: boolean): string {
  const q = new URLSearchParams({ protocol: b.protocol, ip: b.ip, port: String(b.port), host: b.host });
  if (force) q.set('force', 'true');
  return q.toString();
}

export async function openBindingsDialog(ctx: Ctx, site: string, changed: () => Promise<void>): Promise<void> {
  const path = `/sites/${encodeURIComponent(site)}/bindings`;
  let certs: Certificate[];
  let server: ServerInfo;
  let bindings: Binding[];
  try {
    [bindings, server] = await Promise.all([ctx.api.get<Binding[]>(path), ctx.api.get<ServerInfo>('/server?hostNames=0')]);
    // Only the certificates the bindings use (100,000 may be installed); the editor searches for others.
    certs = await certificatesOf(ctx, bindings);
  } catch (e) {
    ctx.fail(e);
    return;
  }
  const tableHolder = h('div', { class: 'bindings-table' });
  let table: DataTable<Binding>;
  const edit = button('Edit…', () => table.selected && openBindingEditor(table.selected), { disabled: true });
  const remove = button('Remove', () => table.selected && void removeBinding(table.selected), { disabled: true });
  const add = button('Add…', () => openBindingEditor(undefined));

  const d = new Dialog('Site Bindings', { className: 'wide bindings' });

  function draw(select?: string): void {
    table = new DataTable<Binding>({
      caption: `Bindings of ${site}`,
      captionHidden: true,
      columns: bindingColumns(certs),
      rows: bindings,
      key: bindingText,
      empty: 'No bindings yet: choose Add….',
      selected: select ?? null,
      onSelect: (b) => {
        edit.disabled = !b;
        remove.disabled = !b;
      },
      onOpen: (b) => openBindingEditor(b),
    });
    replace(tableHolder, table.el);
    edit.disabled = !table.selected;
    remove.disabled = !table.selected;
  }

  /** Reloads the list with `select` selected and focused; without a row to focus, Add… has the focus. */
  async function reload(select?: string | null): Promise<void> {
    bindings = await ctx.api.get<Binding[]>(path);
    certs = await certificatesOf(ctx, bindings);
    draw(select ?? undefined);
    if (select !== undefined) (tableHolder.querySelector<HTMLElement>(`tr[aria-selected="true"]`) ?? add).focus();
    await changed();
  }

  function report(verb: string, result: BindingResult): void {
    const what = `${verb} the binding “${bindingText(result.binding)}”.`;
    const notes = [...result.warnings, ...reachedNotes(result.affected)];
    if (notes.length > 0) d.showWarnings(`${what} Please note:`, notes);
    else d.showNotice(what);
  }

  async function removeBinding(b: Binding): Promise<void> {
    if (!(await confirmDialog('Remove Binding', `Remove the binding ${bindingText(b)}?`, 'Remove'))) return;
    const next = table.keyAfter(bindingText(b));
    const attempt = async (force: boolean) => {
      const result = await ctx.api.delete<BindingResult>(`${path}?${identityQuery(b, force)}`);
      await reload(next);
      report('Removed', result);
    };
    d.clearMessages();
    try {
      await attempt(false);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'GH_BINDING_AFFECTS_OTHERS') {
        d.showError(e.message, button('Remove anyway', () => void d.run(() => attempt(true)), { class: 'danger' }));
      } else {
        d.showError(messageOf(e));
      }
    }
  }

  function openBindingEditor(existing: Binding | undefined): void {
    const current = existing?.certificate ? certs.find((c) => c.thumbprint === existing.certificate) : undefined;
    openBindingEditorDialog(ctx, { site, path, existing, current, server }, async (verb, result) => {
      await reload(bindingText(result.binding));
      report(verb, result);
    }).catch((e) => d.showError(messageOf(e)));
  }

  draw();
  d.body.append(h('div', { class: 'bindings-layout' }, tableHolder, h('div', { class: 'side-buttons' }, add, edit, remove)));
  d.setButtons(button('Close', () => d.close()));
  d.open(add);
}

interface EditorContext {
  site: string;
  path: string;
  existing: Binding | undefined;
  /** The existing binding's certificate. */
  current: Certificate | undefined;
  server: ServerInfo;
}

async function openBindingEditorDialog(ctx: Ctx, ec: EditorContext, saved: (verb: string, result: BindingResult) => Promise<void>): Promise<void> {
  const ex = ec.existing;
  const type = select([{ value: 'http', label: 'http' }, { value: 'https', label: 'https' }], ex?.protocol ?? 'https');
  const addresses = [...new Set([...ec.server.addresses, ...(ex && ex.ip !== '*' ? [ex.ip] : [])])];
  const ip = select([{ value: '*', label: 'All Unassigned' }, ...addresses.map((a) => ({ value: a, label: a }))], ex?.ip ?? '*');
  const port = input({ type: 'number', min: '1', max: '65535', inputmode: 'numeric', class: 'short', value: String(ex?.port ?? DEFAULT_PORT.https) });
  const host = input({ maxlength: '253', value: ex?.host ?? '', placeholder: 'www.contoso.com' });
  const sni = checkbox(ex?.sni ?? false);
  // Expired certificates are listed, marked, and cannot be chosen (a binding that has one keeps it until changed).
  // The list holds what a search by name finds (100,000 may be installed), not every certificate.
  const picker = certificatePicker(ctx, { current: ec.current, offer: (c) => c.hasPrivateKey, none: 'Not selected', onChange: () => sync() });
  const cert = picker.select;
  const certInfo = h('span', { 'aria-live': 'polite' });
  let lastType = type.value as 'http' | 'https';

  const sync = () => {
    const protocol = type.value as 'http' | 'https';
    if (protocol !== lastType) {
      if (port.value.trim() === '' || port.value.trim() === String(DEFAULT_PORT[lastType])) port.value = String(DEFAULT_PORT[protocol]);
      lastType = protocol;
    }
    const https = protocol === 'https';
    const canSni = https && host.value.trim() !== '';
    sni.disabled = !canSni;
    if (!canSni) sni.checked = false;
    cert.disabled = !https;
    picker.search.disabled = !https;
    const c = picker.chosen();
    certInfo.textContent = !https ? 'http bindings have no certificate.'
      : c ? `${statusText(c)}. Issued to ${c.issuedTo} by ${c.issuedBy}; names: ${c.sans.join(', ')}; expires ${isoDay(c.notAfter)}.`
        : picker.offered() === 0 && picker.search.value.trim() === '' ? 'There are no certificates with a private key that have not expired: complete a request, import one or create a self-signed one first.'
          : 'Select the certificate this binding serves.';
  };
  type.addEventListener('change', sync);
  host.addEventListener('input', sync);

  const d = new Dialog(ex ? 'Edit Site Binding' : 'Add Site Binding', {
    className: 'wide',
    onSubmit: () => save(false),
  });

  async function save(force: boolean): Promise<void> {
    const protocol = type.value as 'http' | 'https';
    const p = Number(port.value);
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new InputProblem('The port is a number from 1 to 65535 (443 for https, 80 for http).', port);
    const hostName = host.value.trim().toLowerCase().replace(/\.$/, '');
    if (/[\s/:]/.test(hostName)) throw new InputProblem('The host name is one DNS name, such as www.contoso.com, without a port or a path.', host);
    if (protocol === 'https' && !cert.value) throw new InputProblem('Select the SSL certificate for this https binding.', cert);
    const identity = { protocol, ip: ip.value, port: p, host: hostName };
    const body = { ...identity, ...(protocol === 'https' ? { sni: sni.checked, cert: cert.value } : {}), ...(force ? { force: true } : {}) };
    try {
      if (!ex) {
        await saved('Added', await ctx.api.post<BindingResult>(ec.path, body));
      } else if (sameIdentity(ex, identity)) {
        if (protocol === 'http') {
          d.close();
          return;
        }
        await saved('Changed', await ctx.api.patch<BindingResult>(ec.path, body));
      } else {
        // IIS edits the address, port or host name in place; the API names a binding by them, so
        // the edited binding is added first and the old one removed once the new one is in.
        const result = await ctx.api.post<BindingResult>(ec.path, body);
        try {
          const removed = await ctx.api.delete<BindingResult>(`${ec.path}?${identityQuery(ex, force)}`);
          await saved('Changed', { ...result, warnings: [...result.warnings, ...removed.warnings] });
        } catch (e) {
          await saved('Added', result);
          throw new InputProblem(`The binding ${bindingText(result.binding)} was added, but the old one, ${bindingText(ex)}, could not be removed: ${messageOf(e)}`);
        }
      }
      d.close();
    } catch (e) {
      if (e instanceof ApiError && e.code === 'GH_BINDING_AFFECTS_OTHERS') {
        d.showError(e.message, button('Apply anyway', () => void d.run(() => save(true)), { class: 'danger' }));
        return;
      }
      throw e;
    }
  }

  d.body.append(
    h('div', { class: 'binding-grid' },
      field('Type', type),
      field('IP address', ip),
      field('Port', port)),
    field('Host name', host, 'Leave empty to answer every host name on this IP address and port.'),
    field('Require Server Name Indication', sni, 'With a host name on https: the certificate is chosen by the name the client sends, so many sites can share one IP address and port.'),
    picker.searchField,
    field('SSL certificate', cert, [picker.found, ' ', certInfo]));
  await picker.ready;
  sync();
  d.setButtons(d.submitButton('OK'), d.cancelButton());
  d.open();
}
