// Notifications (under the server): where Gatehouse reports a renewal rolled back or failed and a
// certificate running out with no renewal — webhooks (a JSON POST, optionally signed) and e-mail
// through an SMTP server. The list shows each target's kind, destination, last delivery and last
// failure, never a secret; Add…, Remove and Send test.
import { InputProblem } from './api.js';
import { allowed, type Ctx } from './context.js';
import { confirmDialog, Dialog } from './dialog.js';
import { field, h, input, isoMinute, select } from './dom.js';
import { DataTable } from './table.js';
import type { NotificationTarget } from './types.js';

const TLS_MODES = [
  { value: 'starttls', label: 'STARTTLS (port 587 or 25)' },
  { value: 'implicit', label: 'TLS from the start (port 465)' },
  { value: 'none', label: 'None (a relay on this host only)' },
];

function destination(t: NotificationTarget): string {
  if (t.kind === 'webhook') return t.settings.url ?? '';
  const s = t.settings;
  return `${(s.to ?? []).join(', ')} through ${s.host ?? '?'}:${s.port ?? '?'}${s.tls ? ` (${s.tls})` : ''}`;
}

export async function notificationsPage(ctx: Ctx): Promise<HTMLElement> {
  const targets = await ctx.api.get<NotificationTarget[]>('/notifications');
  const reload = async (select: string | null, focusRow = false) => {
    ctx.selection.set('notifications', select);
    await ctx.refresh(focusRow ? { focusRow: select } : undefined);
  };
  const table = new DataTable<NotificationTarget>({
    caption: 'Where renewal problems and expiring certificates are reported',
    columns: [
      { label: 'Name', cell: (t) => t.name },
      { label: 'Kind', cell: (t) => (t.kind === 'webhook' ? `Webhook${t.hasSecret ? ' (signed)' : ''}` : 'E-mail') },
      { label: 'Destination', cell: (t) => destination(t), class: 'wrap hide-md' },
      { label: 'Last sent', cell: (t) => (t.lastSent ? h('time', { datetime: t.lastSent }, isoMinute(t.lastSent)) : 'never'), class: 'hide-sm' },
      { label: 'Last error', cell: (t) => (t.lastError ? `${t.lastErrorAt ? `${isoMinute(t.lastErrorAt)}: ` : ''}${t.lastError}` : 'none'), class: 'wrap' },
    ],
    rows: targets,
    key: (t) => t.name,
    empty: 'There are no notification targets. Add a webhook or an e-mail address (Add…) to hear about failed renewals and certificates running out.',
    selected: ctx.selection.get('notifications') ?? null,
    onSelect: (t) => {
      ctx.selection.set('notifications', t?.name ?? null);
      actions(t);
    },
  });

  function actions(t: NotificationTarget | undefined): void {
    ctx.setActions(allowed(ctx, [
      { heading: 'Notifications', items: [{ label: 'Add…', needs: 'certificates.manage', run: () => addTargetDialog(ctx, (name) => reload(name)) }] },
      {
        heading: 'Selected target',
        note: t ? t.name : 'Select a target in the list to test or remove it.',
        items: [
          { label: 'Send Test', needs: 'certificates.manage', disabled: !t, run: () => t && void sendTest(ctx, t) },
          { label: 'Remove', needs: 'certificates.manage', disabled: !t, run: () => t && void removeTarget(ctx, t, () => reload(table.keyAfter(t.name), true)) },
        ],
      },
    ]));
  }

  actions(table.selected);
  return h('div', null,
    h('h1', { tabindex: '-1' }, 'Notifications'),
    h('p', { class: 'description' }, 'Use this feature to be told when a renewal rolls back or fails, and when a certificate is within 14 days of expiry with no successful renewal.'),
    table.el);
}

function addTargetDialog(ctx: Ctx, done: (name: string) => Promise<void>): void {
  const name = input({ maxlength: '64', required: true, placeholder: 'ops-webhook' });
  const kind = select([{ value: 'webhook', label: 'Webhook (JSON POST)' }, { value: 'email', label: 'E-mail (through an SMTP server)' }], 'webhook');
  const url = input({ type: 'url', maxlength: '2048', placeholder: 'https://hooks.example.com/gatehouse' });
  const secret = input({ type: 'password', maxlength: '4096', autocomplete: 'new-password' });
  const to = input({ maxlength: '4000', placeholder: 'ops@contoso.com, admin@contoso.com', autocomplete: 'off' });
  const host = input({ maxlength: '255', placeholder: 'smtp.contoso.com' });
  const port = input({ type: 'number', min: '1', max: '65535', value: '587', inputmode: 'numeric', class: 'short' });
  const from = input({ type: 'email', maxlength: '320', placeholder: 'gatehouse@contoso.com' });
  const tls = select(TLS_MODES, 'starttls');
  const user = input({ maxlength: '320', autocomplete: 'off' });
  const password = input({ type: 'password', maxlength: '4096', autocomplete: 'new-password' });
  const webhookSet = h('fieldset', null, h('legend', null, 'Webhook'),
    field('URL', url, 'Gatehouse POSTs a JSON document to it for each event.'),
    field('Signing secret (optional)', secret, 'Signs each request: X-Gatehouse-Signature: sha256=HMAC-SHA256 of the body. Stored sealed; never shown again.'));
  const emailSet = h('fieldset', { hidden: true }, h('legend', null, 'E-mail'),
    field('To', to, 'One or more addresses, separated by commas.'),
    h('div', { class: 'two-columns' }, field('SMTP server', host), field('Port', port)),
    field('From (optional)', from),
    field('TLS', tls),
    h('div', { class: 'two-columns' }, field('User (optional)', user), field('Password (optional)', password)));
  kind.addEventListener('change', () => {
    webhookSet.hidden = kind.value !== 'webhook';
    emailSet.hidden = kind.value !== 'email';
  });

  const d = new Dialog('Add Notification Target', {
    className: 'wide',
    onSubmit: async () => {
      const n = name.value.trim();
      if (!n) throw new InputProblem('Type a name for the target.', name);
      let body: Record<string, unknown>;
      if (kind.value === 'webhook') {
        if (!url.value.trim()) throw new InputProblem('Type the webhook\'s URL.', url);
        body = { name: n, webhook: { url: url.value.trim(), ...(secret.value ? { secret: secret.value } : {}) } };
      } else {
        const addresses = to.value.split(/[\s,;]+/).filter(Boolean);
        if (addresses.length === 0) throw new InputProblem('Type at least one address to send to.', to);
        if (!host.value.trim()) throw new InputProblem('Type the SMTP server\'s host name.', host);
        const p = Number(port.value);
        if (!Number.isInteger(p) || p < 1 || p > 65535) throw new InputProblem('The port is a whole number from 1 to 65535.', port);
        body = {
          name: n,
          email: {
            to: addresses, host: host.value.trim(), port: p, tls: tls.value,
            ...(from.value.trim() ? { from: from.value.trim() } : {}), ...(user.value.trim() ? { user: user.value.trim() } : {}), ...(password.value ? { password: password.value } : {}),
          },
        };
      }
      const target = await ctx.api.post<NotificationTarget>('/notifications', body);
      d.close();
      await done(target.name);
      ctx.notify(`Added the notification target “${target.name}”. Send Test checks that it is reached.`);
    },
  });
  d.body.append(
    h('p', null, 'Gatehouse notifies each target when a renewal rolls back or fails, and when a certificate is within 14 days of expiry with no successful renewal.'),
    field('Name', name),
    field('Kind', kind),
    webhookSet,
    emailSet);
  d.setButtons(d.submitButton('Add'), d.cancelButton());
  d.open();
}

async function sendTest(ctx: Ctx, t: NotificationTarget): Promise<void> {
  try {
    const r = await ctx.api.post<{ target: string; at: string }>(`/notifications/${encodeURIComponent(t.name)}/test`, {});
    await ctx.refresh();
    ctx.notify(`Sent a test notification to “${r.target}” at ${isoMinute(r.at)} UTC.`);
  } catch (e) {
    await ctx.refresh().catch(() => undefined);
    ctx.fail(e);
  }
}

async function removeTarget(ctx: Ctx, t: NotificationTarget, gone: () => Promise<void>): Promise<void> {
  const sure = await confirmDialog('Remove Notification Target', `Remove “${t.name}” (${destination(t)})? It is no longer told about renewals and expiring certificates.`, 'Remove');
  if (!sure) return;
  try {
    await ctx.api.delete(`/notifications/${encodeURIComponent(t.name)}`);
    await gone();
    ctx.notify(`Removed the notification target “${t.name}”.`);
  } catch (e) {
    ctx.fail(e);
  }
}
