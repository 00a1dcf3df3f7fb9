// The Services page (Exchange's Assign Services to Certificate, on the server node): which
// certificate SMTP, IMAP, POP and IIS (the default HTTPS certificate) present, and the mail
// listeners that terminate TLS in front of the mail server. Changes need sites.manage: Assign
// Services to Certificate…, Unassign, Add Mail Listener…, Remove Listener.
import { InputProblem } from './api.js';
import { listText, openAssignServicesDialog, notAssignable } from './assign-services-dialog.js';
import { shortHash } from './certificates-page.js';
import { allowed, type Ctx } from './context.js';
import { confirmDialog, Dialog } from './dialog.js';
import { breakable, checkbox, field, h, input, isoDay, isoMinute, select } from './dom.js';
import { statusBadge } from './status.js';
import { DataTable } from './table.js';
import type { Certificate, ListenerResult, MailListener, MailServiceName, ServiceName, ServiceView } from './types.js';

/** The services as the page lists them; `https` is IIS's default certificate. */
export const SERVICE_LABELS: Record<ServiceName, string> = { smtp: 'SMTP', imap: 'IMAP', pop: 'POP', https: 'IIS (HTTPS default)' };

const MAIL_SERVICES: readonly MailServiceName[] = ['smtp', 'imap', 'pop'];

/** The usual ports: STARTTLS (SMTP 25, IMAP 143, POP 110) and implicit TLS (465, 993, 995). */
const DEFAULT_PORTS: Record<MailServiceName, { starttls: number; tls: number }> = {
  smtp: { starttls: 25, tls: 465 },
  imap: { starttls: 143, tls: 993 },
  pop: { starttls: 110, tls: 995 },
};
const IMPLICIT_TLS_PORTS = new Set([465, 993, 995]);

/** `*:25`, `192.0.2.10:587`, `[2001:db8::1]:993`. */
export function endpointText(ip: string, port: number): string {
  return `${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
}

function hostPort(host: string, port: number): string {
  return endpointText(host, port);
}

function modeText(l: MailListener): string {
  return l.mode === 'tls' ? 'Implicit TLS' : 'STARTTLS';
}

function listenerKey(l: Pick<MailListener, 'service' | 'ip' | 'port'>): string {
  return `${l.service} ${endpointText(l.ip, l.port)}`;
}

/** The statuses of a certificate that can be assigned (with its private key here). */
const ASSIGNABLE = ['valid', 'expiring', 'chain-incomplete'];

export async function servicesPage(ctx: Ctx): Promise<HTMLElement> {
  // Whether any certificate can be assigned: one of each status that can (not every certificate: 100,000 may be installed).
  const [views, ...some] = await Promise.all([ctx.api.get<ServiceView[]>('/services'), ...ASSIGNABLE.map((s) => ctx.api.page<Certificate>(`/certificates?limit=50&status=${s}`))]);
  const manage = ctx.can('sites.manage');
  const listeners = views.flatMap((v) => v.listeners);
  const eligible = some.flatMap((p) => p.items).filter((c) => notAssignable(c) === undefined);
  // The selected rows (set by the tables as they are built, so kept here rather than read from them).
  let selectedService: ServiceView | undefined;
  let selectedListener: MailListener | undefined;

  const serviceTable = new DataTable<ServiceView>({
    caption: 'Certificates assigned to services',
    columns: [
      { label: 'Service', cell: (v) => SERVICE_LABELS[v.service] },
      { label: 'Certificate', cell: (v) => (v.certificate ? breakable(v.certificate.friendlyName) : h('span', { class: 'none' }, 'None assigned')), class: 'wrap' },
      {
        label: 'Certificate Hash', class: 'hash hide-md',
        // The full thumbprint where the list has room, else its start and end (the full one on hover).
        cell: (v) => (v.certificate ? h('span', { class: 'mono', title: v.certificate.thumbprint },
          h('span', { class: 'hash-full' }, v.certificate.thumbprint), h('span', { class: 'hash-short' }, shortHash(v.certificate.thumbprint))) : ''),
      },
      { label: 'Expiration Date', cell: (v) => (v.certificate ? h('time', { datetime: v.certificate.notAfter, title: isoMinute(v.certificate.notAfter) + ' UTC' }, isoDay(v.certificate.notAfter)) : ''), class: 'nowrap hide-sm' },
      { label: 'Status', cell: (v) => (v.certificate ? statusBadge(v.certificate) : '') },
    ],
    rows: views,
    key: (v) => v.service,
    rowClass: (v) => (v.certificate ? `status-${v.certificate.status}` : ''),
    empty: 'No services.',
    selected: ctx.selection.get('services') ?? null,
    onSelect: (v) => {
      selectedService = v;
      ctx.selection.set('services', v?.service ?? null);
      actions();
    },
    onOpen: (v) => manage && void openAssignServicesDialog(ctx, { service: v.service, done: () => ctx.refresh() }),
  });

  const listenerTable = new DataTable<MailListener>({
    caption: 'Mail listeners',
    columns: [
      { label: 'Service', cell: (l) => SERVICE_LABELS[l.service] },
      { label: 'Listen Address', cell: (l) => h('span', { class: 'mono' }, endpointText(l.ip, l.port)) },
      { label: 'TLS Mode', cell: modeText, class: 'hide-sm' },
      { label: 'Require TLS', cell: (l) => (l.mode === 'starttls' ? (l.requireTls ? 'Yes' : 'No') : ''), class: 'hide-md' },
      { label: 'Backend', cell: (l) => h('span', { class: 'mono' }, hostPort(l.backendHost, l.backendPort)), class: 'hide-sm' },
      { label: 'Host Name', cell: (l) => breakable(l.hostName), class: 'wrap hide-md' },
    ],
    rows: listeners,
    key: listenerKey,
    empty: 'There are no mail listeners: SMTP, IMAP and POP clients are not served yet.',
    selected: ctx.selection.get('listeners') ?? null,
    onSelect: (l) => {
      selectedListener = l;
      ctx.selection.set('listeners', l ? listenerKey(l) : null);
      actions();
    },
  });

  function actions(): void {
    const v = selectedService;
    const l = selectedListener;
    ctx.setActions(allowed(ctx, [
      {
        heading: 'Services',
        ...(eligible.length === 0 ? { note: 'No certificate with a private key that has not expired is installed.' } : {}),
        items: [
          { label: 'Assign Services to Certificate…', needs: 'sites.manage', disabled: eligible.length === 0, run: () => void openAssignServicesDialog(ctx, { ...(v ? { service: v.service } : {}), done: () => ctx.refresh() }) },
        ],
      },
      {
        heading: 'Selected service',
        note: v ? `${SERVICE_LABELS[v.service]}: ${v.certificate ? `“${v.certificate.friendlyName}”` : 'no certificate'}` : 'Select a service in the list to unassign its certificate.',
        items: [
          { label: 'Unassign', needs: 'sites.manage', disabled: !v?.certificate, run: () => v && void unassign(ctx, v) },
        ],
      },
      {
        heading: 'Mail listeners',
        note: l ? `${SERVICE_LABELS[l.service]} on ${endpointText(l.ip, l.port)}` : 'Select a listener in the list to remove it.',
        items: [
          { label: 'Add Mail Listener…', needs: 'sites.manage', run: () => openAddListenerDialog(ctx, listeners) },
          { label: 'Remove Listener', needs: 'sites.manage', disabled: !l, run: () => l && void removeListener(ctx, l, listenerTable.keyAfter(listenerKey(l))) },
        ],
      },
    ]));
  }

  actions();
  const unassigned = views.filter((v) => !v.certificate).map((v) => SERVICE_LABELS[v.service]);
  return h('div', null,
    h('h1', { tabindex: '-1' }, 'Services'),
    h('p', { class: 'description' }, 'Which certificate each service presents (Exchange\'s Assign Services to Certificate), and the mail listeners that terminate TLS for SMTP, IMAP and POP in front of your mail server.'),
    unassigned.length > 0 ? h('p', { class: 'summary' }, `${listText(unassigned)} ${unassigned.length === 1 ? 'has' : 'have'} no certificate assigned.`) : null,
    h('h2', null, 'Certificates'),
    serviceTable.el,
    h('h2', null, 'Mail listeners'),
    listenerTable.el);
}

async function unassign(ctx: Ctx, v: ServiceView): Promise<void> {
  if (!v.certificate) return;
  const label = SERVICE_LABELS[v.service];
  const consequence = v.service === 'https'
    ? 'Clients whose name matches no site binding are then refused.'
    : `${label} clients that send no name a certificate covers can then not start TLS.`;
  if (!(await confirmDialog('Unassign Certificate', `Leave ${label} without a certificate? “${v.certificate.friendlyName}” stays installed. ${consequence}`, 'Unassign'))) return;
  try {
    await ctx.api.post('/services/unassign', { services: [v.service] });
    // Unassign is greyed out now: the keyboard goes to the service's row.
    await ctx.refresh({ focusRow: v.service });
    ctx.notify(`${label} has no certificate assigned now (it was “${v.certificate.friendlyName}”).`);
  } catch (e) {
    ctx.fail(e);
  }
}

/** Removes a listener; `next` (the row after it) takes the selection and the focus. */
async function removeListener(ctx: Ctx, l: MailListener, next: string | null): Promise<void> {
  const where = endpointText(l.ip, l.port);
  if (!(await confirmDialog('Remove Mail Listener', `Remove the ${SERVICE_LABELS[l.service]} listener on ${where} (in front of ${hostPort(l.backendHost, l.backendPort)})? Its clients are no longer served there.`, 'Remove'))) return;
  try {
    await ctx.api.delete(`/services/${l.service}/listeners?${new URLSearchParams({ listen: where }).toString()}`);
    ctx.selection.set('listeners', next);
    await ctx.refresh({ focusRow: next });
    ctx.notify(`Removed the ${SERVICE_LABELS[l.service]} listener on ${where}.`);
  } catch (e) {
    ctx.fail(e);
  }
}

function openAddListenerDialog(ctx: Ctx, existing: MailListener[]): void {
  const service = select(MAIL_SERVICES.map((s) => ({ value: s, label: SERVICE_LABELS[s] })), 'smtp');
  const ip = select([{ value: '*', label: 'All Unassigned' }, ...ctx.server.addresses.map((a) => ({ value: a, label: a }))], '*');
  const port = input({ type: 'number', min: '1', max: '65535', inputmode: 'numeric', class: 'short', value: String(DEFAULT_PORTS.smtp.starttls) });
  const backend = input({ maxlength: '300', placeholder: '127.0.0.1:10025', required: true });
  const mode = select([
    { value: 'starttls', label: 'STARTTLS (upgrade in the protocol)' },
    { value: 'tls', label: 'Implicit TLS (TLS from the first byte)' },
  ], 'starttls');
  const requireTls = checkbox(false);
  const host = input({ maxlength: '253', placeholder: 'mail.contoso.com' });
  let modeChosen = false;
  let last = { service: 'smtp' as MailServiceName, mode: 'starttls' as 'starttls' | 'tls' };

  const sync = () => {
    const s = service.value as MailServiceName;
    const m = mode.value as 'starttls' | 'tls';
    // A port still at the usual value follows the service and the mode, as Bindings' port follows the type.
    if (port.value.trim() === '' || port.value.trim() === String(DEFAULT_PORTS[last.service][last.mode])) port.value = String(DEFAULT_PORTS[s][m]);
    last = { service: s, mode: m };
    requireTls.disabled = m === 'tls';
    if (requireTls.disabled) requireTls.checked = false;
  };
  service.addEventListener('change', sync);
  mode.addEventListener('change', () => {
    modeChosen = true;
    sync();
  });
  port.addEventListener('input', () => {
    // Until a mode is chosen, it follows the port: 465, 993 and 995 are implicit TLS.
    if (modeChosen) return;
    const p = Number(port.value);
    if (!Number.isInteger(p)) return;
    mode.value = IMPLICIT_TLS_PORTS.has(p) ? 'tls' : 'starttls';
    last.mode = mode.value as 'starttls' | 'tls';
    requireTls.disabled = mode.value === 'tls';
    if (requireTls.disabled) requireTls.checked = false;
  });

  const d = new Dialog('Add Mail Listener', { className: 'wide', onSubmit: () => save() });

  async function save(): Promise<void> {
    const s = service.value as MailServiceName;
    const p = Number(port.value);
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new InputProblem('The port is a number from 1 to 65535 (SMTP 25 or 587, IMAP 143, POP 110; implicit TLS 465, 993, 995).', port);
    const b = backend.value.trim();
    if (!b) throw new InputProblem('Type the backend: the mail server\'s host and port, such as 127.0.0.1:10025.', backend);
    if (!/^(\[[^\]]+\]|[^\s:[\]]+):\d{1,5}$/.test(b)) throw new InputProblem('The backend is HOST:PORT of the mail server, such as 127.0.0.1:10025 or [::1]:143.', backend);
    const hostName = host.value.trim().toLowerCase().replace(/\.$/, '');
    if (/[\s/:]/.test(hostName)) throw new InputProblem('The host name is one DNS name, such as mail.contoso.com, without a port.', host);
    const listen = endpointText(ip.value, p);
    const same = existing.find((l) => l.ip === ip.value && l.port === p && l.service === s);
    if (same) {
      d.setBusy(false);
      let replace: boolean;
      try {
        replace = await confirmDialog('Replace Mail Listener', `${SERVICE_LABELS[s]} already listens on ${listen} (in front of ${hostPort(same.backendHost, same.backendPort)}). Replace its settings with these?`, 'Replace');
      } finally {
        d.setBusy(true);
      }
      if (!replace) return;
    }
    const result = await ctx.api.post<ListenerResult>(`/services/${s}/listeners`, {
      listen, backend: b, mode: mode.value, requireTls: requireTls.checked, ...(hostName ? { host: hostName } : {}),
    });
    d.close();
    const l = result.listener;
    ctx.selection.set('listeners', listenerKey(l));
    await ctx.refresh();
    ctx.notify(`${result.replaced ? 'Changed' : 'Added'} the ${SERVICE_LABELS[l.service]} listener on ${endpointText(l.ip, l.port)} (${modeText(l)}) in front of ${hostPort(l.backendHost, l.backendPort)}.`, result.warnings);
  }

  d.body.append(
    h('div', { class: 'binding-grid' },
      field('Service', service),
      field('Listen address', ip),
      field('Port', port)),
    field('Backend (host:port)', backend, 'The mail server behind Gatehouse, such as Postfix on 127.0.0.1:10025 or Dovecot on 127.0.0.1:143. Gatehouse relays the session to it after TLS.'),
    field('TLS mode', mode, 'STARTTLS for SMTP 25/587, IMAP 143 and POP 110; implicit TLS for 465, 993 and 995.'),
    field('Require TLS', requireTls, 'STARTTLS only: no log-in (AUTH, LOGIN, USER) and no mail before the client starts TLS.'),
    field('Host name', host, 'The name clients use, such as mail.contoso.com: the greeting names it, and the assigned certificate should cover it.'));
  sync();
  d.setButtons(d.submitButton('OK'), d.cancelButton());
  d.open();
}
