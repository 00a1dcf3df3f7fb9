// Exchange's Assign Services to Certificate: the certificate, the services (SMTP, IIS, IMAP, POP,
// each with what it presents now) and Assign. When SMTP already has another default certificate the
// API answers 409 and the console asks Exchange's question, "Overwrite the existing default SMTP
// certificate?": Yes repeats the assignment with overwrite, No changes nothing. The completion shows
// what was assigned and replaced, and the API's warnings.
import { ApiError, InputProblem } from './api.js';
import { bindingText, reachedNotes } from './bindings-dialog.js';
import { certificatePicker } from './certificate-picker.js';
import type { Ctx } from './context.js';
import { confirmDialog, Dialog } from './dialog.js';
import { append, button, checkbox, field, h, isoDay, select, type Children } from './dom.js';
import { certificateOption, statusBadge, statusText } from './status.js';
import type { AssignResult, Binding, Certificate, ServiceName, ServiceView } from './types.js';

/** The most https bindings without SNI the dialog reads for its Web site list (one page of the API's). */
const MAX_WEB_BINDINGS = 1000;

/** The order of Exchange's Select Services page. */
export const ASSIGN_ORDER: readonly ServiceName[] = ['smtp', 'https', 'imap', 'pop'];

/** The checkboxes' names, as Exchange's wizard writes them. */
export const SERVICE_SHORT: Record<ServiceName, string> = { smtp: 'SMTP', https: 'IIS', imap: 'IMAP', pop: 'POP' };

const SERVICE_TEXT: Record<ServiceName, string> = {
  smtp: 'The default SMTP certificate: what the SMTP listeners present.',
  https: 'The default HTTPS certificate: for clients whose name matches no site binding.',
  imap: 'What the IMAP listeners present.',
  pop: 'What the POP listeners present.',
};

export const OVERWRITE_TITLE = 'Overwrite the existing default SMTP certificate?';

/** Why a certificate cannot be assigned to a service ("it has no private key here", "it has expired"), else undefined. */
export function notAssignable(c: Pick<Certificate, 'hasPrivateKey' | 'status'>): string | undefined {
  if (!c.hasPrivateKey) return 'it has no private key here';
  if (c.status === 'expired') return 'it has expired';
  return undefined;
}

/** "SMTP, IIS and IMAP". */
export function listText(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * The question's body from the API's detail (which names the current certificate: friendly name,
 * thumbprint, expiry). The detail's own instruction ("To replace it …, use "Yes"") is said here in
 * the dialog's own words; a detail worded otherwise is shown as it is.
 */
export function overwriteQuestion(detail: string, newName: string): Children {
  const m = /^\s*Overwrite the existing default SMTP certificate\?\s*It is (.+?)\.\s*To replace it with\b/.exec(detail);
  return [
    h('p', null, m ? `The default SMTP certificate now is ${m[1]}.` : detail),
    h('p', null, `Yes makes “${newName}” the default SMTP certificate. No changes nothing.`),
  ];
}

export interface AssignOptions {
  /** The certificate selected on Server Certificates; without it the dialog offers a choice. */
  certificate?: Certificate;
  /** A service to check at the start (the row selected on the Services page). */
  service?: ServiceName;
  /** After a successful assignment (reload the page behind). */
  done: (result: AssignResult) => void | Promise<void>;
}

export async function openAssignServicesDialog(ctx: Ctx, options: AssignOptions): Promise<void> {
  let views: ServiceView[];
  let webBindings: Binding[];
  try {
    // Not every certificate nor every site (100,000 may be configured): the certificate is searched
    // for by name, and the web sites are those with https bindings without SNI (a few).
    [views, webBindings] = await Promise.all([
      ctx.api.get<ServiceView[]>('/services'),
      ctx.api.get<Binding[]>(`/bindings?protocol=https&sni=false&limit=${MAX_WEB_BINDINGS}`),
    ]);
  } catch (e) {
    ctx.fail(e);
    return;
  }
  const fixed = options.certificate;
  const picker = fixed ? undefined : certificatePicker(ctx, { offer: (c) => notAssignable(c) === undefined, none: 'Select a certificate', pickOnly: true, onChange: () => sync() });
  const certSelect = picker?.select;
  const certInfo = h('span', { 'aria-live': 'polite' });
  const chosen = (): Certificate | undefined => fixed ?? picker?.chosen();

  const boxes = new Map<ServiceName, HTMLInputElement>();
  const now = new Map<ServiceName, HTMLSpanElement>();
  const fields = ASSIGN_ORDER.map((s) => {
    const box = checkbox(s === options.service);
    const current = h('span');
    boxes.set(s, box);
    now.set(s, current);
    return field(SERVICE_SHORT[s], box, [SERVICE_TEXT[s], ' ', current]);
  });

  // Exchange's IIS service also binds the certificate to the web site its virtual directories live
  // in: by default the one with https on *:443 and no host name.
  const defaultSite = webBindings.find((b) => b.ip === '*' && b.port === 443 && b.host === '')?.site;
  const webSites = [...new Set(webBindings.map((b) => b.site))].sort();
  const webSite = select([
    { value: '', label: defaultSite ? `Default: ${defaultSite} (https on *:443)` : 'Default: none (no site has https on *:443)' },
    ...webSites.filter((x) => x !== defaultSite).map((x) => ({ value: x, label: x })),
  ], '');
  boxes.get('https')!.addEventListener('change', () => sync());

  const sync = () => {
    webSite.disabled = !boxes.get('https')!.checked;
    const c = chosen();
    for (const s of ASSIGN_ORDER) {
      const v = views.find((x) => x.service === s)?.certificate ?? null;
      now.get(s)!.textContent = !v ? 'Now: none.'
        : c && v.thumbprint === c.thumbprint ? 'Now: this certificate.'
          : `Now: “${v.friendlyName}” (${v.thumbprint.slice(0, 8)}…), expires ${isoDay(v.notAfter)}; status: ${statusText(v)}.`;
    }
    certInfo.textContent = c ? `${statusText(c)}. Issued to ${c.issuedTo} by ${c.issuedBy}; names: ${c.sans.join(', ') || 'none'}; expires ${isoDay(c.notAfter)}.`
      : picker?.offered() === 0 && picker.search.value.trim() === '' ? 'There is no certificate with a private key that has not expired: complete a request, import one or create a self-signed one first.'
        : 'Select the certificate the services present.';
  };

  const d = new Dialog('Assign Services to Certificate', { className: 'wide', onSubmit: () => assign() });

  const post = (c: Certificate, services: ServiceName[], overwrite: boolean, force: boolean) =>
    ctx.api.post<AssignResult>('/services/assign', {
      certificate: c.thumbprint, services, ...(overwrite ? { overwrite: true } : {}),
      ...(services.includes('https') && webSite.value ? { site: webSite.value } : {}), ...(force ? { force: true } : {}),
    });

  async function assign(force = false): Promise<void> {
    try {
      await assignOnce(force);
    } catch (e) {
      // The certificate would reach other sites sharing the web site's endpoints: the reason, and "Apply anyway".
      if (!(e instanceof ApiError && e.code === 'GH_BINDING_AFFECTS_OTHERS')) throw e;
      d.showError(e.message, button('Apply anyway', () => void d.run(() => assign(true)), { class: 'danger' }));
    }
  }

  async function assignOnce(force: boolean): Promise<void> {
    const c = chosen();
    if (!c) throw new InputProblem('Select the certificate to assign.', certSelect);
    const services = ASSIGN_ORDER.filter((s) => boxes.get(s)!.checked);
    if (services.length === 0) throw new InputProblem('Select at least one service: SMTP, IIS, IMAP or POP.', boxes.get('smtp'));
    let result: AssignResult;
    try {
      result = await post(c, services, false, force);
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 'GH_SERVICE_OVERWRITE_REQUIRED')) throw e;
      // Exchange's question. The dialog's buttons are released while it is asked, so that focus
      // can come back to Assign once it is answered.
      d.setBusy(false);
      let yes: boolean;
      try {
        yes = await confirmDialog(OVERWRITE_TITLE, overwriteQuestion(e.message, c.friendlyName), 'Yes', 'No');
      } finally {
        d.setBusy(true);
      }
      if (!yes) {
        d.showNotice(`Nothing was changed: SMTP keeps its certificate. To assign only the other services, clear SMTP and choose Assign again.`);
        boxes.get('smtp')!.focus();
        return;
      }
      result = await post(c, services, true, force);
    }
    await completed(result);
  }

  async function completed(result: AssignResult): Promise<void> {
    const assigned = listText(result.services.map((s) => SERVICE_SHORT[s]));
    const replaced = result.replaced.map((r) => `“${r.friendlyName}” for ${SERVICE_SHORT[r.service]}`);
    const bound = result.bindings.map((b) => `${bindingText(b)} (${b.site})`);
    const what = `Assigned ${assigned} to “${result.certificate.friendlyName}”.${replaced.length > 0 ? ` It replaces ${listText(replaced)}.` : ''}${bound.length > 0 ? ` It is now the certificate of ${listText(bound)}.` : ''}`;
    const notes = [...result.warnings, ...reachedNotes(result.affected)];
    // The services' "Now:" lines say what they present from here on.
    const c = chosen();
    views = views.map((v) => (c && result.services.includes(v.service) ? { ...v, certificate: { thumbprint: c.thumbprint, friendlyName: c.friendlyName, notAfter: c.notAfter, status: c.status } } : v));
    sync();
    for (const b of boxes.values()) b.disabled = true;
    if (picker) picker.select.disabled = picker.search.disabled = true;
    webSite.disabled = true;
    if (notes.length > 0) d.showWarnings(`${what} Please note:`, notes);
    else d.showNotice(what);
    // Assigned: Back no longer asks about the choices made here.
    d.saved();
    const finish = d.cancelButton('Finish');
    d.setButtons(finish);
    finish.focus();
    await options.done(result);
  }

  if (fixed) {
    append(d.body, [
      h('p', null, 'Certificate: ', h('strong', null, `“${fixed.friendlyName}”`)),
      h('dl', { class: 'details' },
        h('dt', null, 'Issued to'), h('dd', null, fixed.issuedTo),
        h('dt', null, 'Names (SAN)'), h('dd', null, fixed.sans.join(', ') || 'none'),
        h('dt', null, 'Expires'), h('dd', null, isoDay(fixed.notAfter)),
        h('dt', null, 'Status'), h('dd', null, statusBadge(fixed)),
        h('dt', null, 'Thumbprint'), h('dd', { class: 'mono' }, fixed.thumbprint)),
    ]);
  } else {
    d.body.append(picker!.searchField, field('Certificate', picker!.select, [picker!.found, ' ', certInfo]));
  }
  d.body.append(
    h('fieldset', { class: 'services' }, h('legend', null, 'Select the services you want to assign to this certificate'), ...fields),
    field('Web site (IIS)', webSite, 'IIS also sets this certificate on the https bindings without SNI of this site (Exchange\'s virtual directories).'),
    h('p', { class: 'note' }, 'For a mail server, select at least SMTP and IIS (the Exchange guide\'s advice).'));
  await picker?.ready;
  sync();
  d.setButtons(d.submitButton('Assign'), d.cancelButton());
  d.open();
}
