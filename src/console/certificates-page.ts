// The Server Certificates page: friendly name, issued to, issued by, expiration date, thumbprint
// (short, the full one on hover and a copy button), store, status — expiring and expired
// certificates stand out in colour and in words — and renewal (source, next renewal, replaced by,
// failed probe), the selected certificate's details beside the
// list, and the actions of IIS's page, each shown only when the user's role allows it.
import { InputProblem } from './api.js';
import { notAssignable, openAssignServicesDialog } from './assign-services-dialog.js';
import { allowed, type Ctx } from './context.js';
import { openCompleteDialog } from './complete-dialog.js';
import { openCertificateView } from './certificate-view-dialog.js';
import { openChainDialog, openExportDialog, openImportDialog, openRemoveCertificate, openRenameDialog, openSelfSignedDialog } from './certificate-dialogs.js';
import { breakable, button, copyText, h, isoDay, isoMinute, storeLabel } from './dom.js';
import { statusBadge } from './status.js';
import { openRenewalHistory, openRenewDialog, renewalText } from './renewal-dialogs.js';
import { openRequestWizard } from './request-wizard.js';
import { PagedList } from './paged-list.js';
import { DataTable } from './table.js';
import type { Certificate, PendingRequest, RenewalStatus } from './types.js';

/** The first 8 and last 4 hex digits: enough to tell certificates apart, short enough for the list at 1024 pixels. */
export function shortHash(thumbprint: string): string {
  return thumbprint.length > 14 ? `${thumbprint.slice(0, 8)}…${thumbprint.slice(-4)}` : thumbprint;
}

/** The statuses the Server Certificates list can be filtered by (the API's `status`). */
const STATUS_FILTER = [
  { value: '', label: 'All' },
  { value: 'valid', label: 'Valid' },
  { value: 'expiring', label: 'Expiring within 30 days' },
  { value: 'expired', label: 'Expired' },
  { value: 'chain-incomplete', label: 'Chain incomplete' },
];

/** How many certificates match a status (a page of one row, for its X-Total-Count). */
async function countOf(ctx: Ctx, status: string): Promise<number> {
  return (await ctx.api.page<Certificate>(`/certificates?limit=1${status ? `&status=${status}` : ''}`)).total;
}

export async function certificatesPage(ctx: Ctx): Promise<HTMLElement> {
  // One page of certificates at a time (100,000 may be installed), with the renewal state of that page's only.
  let renewals = new Map<string, RenewalStatus>();
  let certs: Certificate[] = [];
  const nameOf = (thumbprint: string) => certs.find((c) => c.thumbprint === thumbprint)?.friendlyName ?? thumbprint;
  const details = h('section', { class: 'selection-details', 'aria-label': 'Selected certificate' });
  let table: DataTable<Certificate>;
  const drawTable = (rows: Certificate[]) => new DataTable<Certificate>({
    caption: 'Certificates in the Web Hosting and Personal stores',
    columns: [
      { label: 'Name', cell: (c) => breakable(c.friendlyName), class: 'wrap' },
      { label: 'Issued To', cell: (c) => breakable(c.issuedTo), class: 'wrap hide-md' },
      { label: 'Issued By', cell: (c) => breakable(c.issuedBy), class: 'wrap hide-md' },
      { label: 'Expiration Date', cell: (c) => h('time', { datetime: c.notAfter, title: isoMinute(c.notAfter) + ' UTC' }, isoDay(c.notAfter)), class: 'nowrap hide-sm' },
      {
        label: 'Certificate Hash', class: 'hash hide-md',
        // The copy button is for the mouse; the keyboard has the details pane's Copy thumbprint (one tab stop per list).
        cell: (c) => [h('span', { class: 'mono', title: c.thumbprint }, shortHash(c.thumbprint)),
          button('Copy', () => void copyThumbprint(c), { class: 'copy', tabindex: '-1', title: 'Copy the full thumbprint', 'aria-label': `Copy the thumbprint of ${c.friendlyName}` })],
      },
      { label: 'Certificate Store', cell: (c) => storeLabel(c.store), class: 'hide-md' },
      // Before Status, which stays the last column; gone below 900 pixels of list (the details say it).
      { label: 'Renewal', cell: (c) => renewalText(renewals.get(c.thumbprint), nameOf), class: 'wrap hide-lg renewal-cell' },
      { label: 'Status', cell: statusBadge, class: 'status-cell' },
    ],
    rows,
    key: (c) => c.thumbprint,
    rowClass: (c) => `status-${c.status}`,
    empty: list?.state.q || list?.state.status ? 'No certificate matches: change the search or the status.'
      : 'There are no certificates yet. Create a certificate request, complete it with the CA\'s response, or import a PFX.',
    selected: ctx.selection.get('certificates') ?? null,
    onOpen: (c) => void openCertificateView(ctx, c),
    onSelect: (c) => {
      ctx.selection.set('certificates', c?.thumbprint ?? null);
      showActions(c);
      showDetails(c);
    },
  });
  let list: PagedList<Certificate> | undefined;
  const [paged, pending, all, expiring, expired] = await Promise.all([
    PagedList.open<Certificate>({
      ctx, base: '#/certificates', path: '/certificates', noun: ['certificate', 'certificates'],
      searchLabel: 'Search by name', searchHint: 'A part of the friendly name, the name issued to or a name (SAN), in any case.',
      statuses: STATUS_FILTER,
      draw: async (page) => {
        const thumbprints = page.items.filter((c) => c.hasPrivateKey).map((c) => c.thumbprint);
        const found = thumbprints.length === 0 ? [] : await ctx.api.get<RenewalStatus[]>(`/renewals?certificates=${thumbprints.join(',')}`);
        certs = page.items;
        renewals = new Map(found.map((r) => [r.thumbprint, r]));
        table = drawTable(page.items);
        showActions(table.selected);
        showDetails(table.selected);
        return table.el;
      },
    }),
    ctx.api.get<PendingRequest[]>('/requests'), countOf(ctx, ''), countOf(ctx, 'expiring'), countOf(ctx, 'expired'),
  ]);
  list = paged;

  async function copyThumbprint(c: Certificate): Promise<void> {
    try {
      await copyText(c.thumbprint);
      ctx.notify(`Copied the thumbprint of “${c.friendlyName}”: ${c.thumbprint}.`);
    } catch {
      ctx.fail(new InputProblem(`The browser did not allow copying. The thumbprint of “${c.friendlyName}” is ${c.thumbprint}.`));
    }
  }

  /** Reloads the page with `select` selected; `focusRow`: the keyboard goes to that row (after a removal). */
  const reload = async (select?: string | null, focusRow = false) => {
    if (select !== undefined) ctx.selection.set('certificates', select);
    await ctx.refresh(focusRow ? { focusRow: select ?? null } : undefined);
  };

  function showActions(c: Certificate | undefined): void {
    const none = c === undefined;
    ctx.setActions(allowed(ctx, [
      {
        heading: 'Server Certificates',
        items: [
          { label: 'Create Certificate Request…', needs: 'certificates.manage', run: () => void openRequestWizard(ctx, (thumbprint) => reload(thumbprint)) },
          { label: 'Complete Certificate Request…', needs: 'certificates.manage', run: () => void openCompleteDialog(ctx, undefined, (cert) => reload(cert.thumbprint)) },
          { label: 'Import…', needs: 'keys.manage', run: () => openImportDialog(ctx, (cert) => reload(cert.thumbprint)) },
          { label: 'Create Self-Signed Certificate…', needs: 'certificates.manage', run: () => openSelfSignedDialog(ctx, (cert) => reload(cert.thumbprint)) },
        ],
      },
      {
        heading: 'Selected certificate',
        note: c ? `${c.friendlyName}${ctx.can('sites.manage') && notAssignable(c) ? ` (${notAssignable(c)!}, so it cannot be assigned to services)` : ''}` : 'Select a certificate in the list to export, rename or remove it.',
        items: [
          { label: 'View…', needs: 'view', disabled: none, run: () => c && void openCertificateView(ctx, c) },
          { label: 'Export…', needs: 'keys.manage', disabled: none, run: () => c && openExportDialog(ctx, c) },
          { label: 'Install Chain…', needs: 'certificates.manage', disabled: none, run: () => c && openChainDialog(ctx, c, () => reload(c.thumbprint)) },
          {
            label: 'Assign Services to Certificate…', needs: 'sites.manage', disabled: none || notAssignable(c) !== undefined,
            run: () => c && void openAssignServicesDialog(ctx, { certificate: c, done: () => reload(c.thumbprint) }),
          },
          { label: 'Renew…', needs: 'certificates.manage', disabled: none || !renewals.has(c.thumbprint), run: () => c && openRenewDialog(ctx, c, renewals.get(c.thumbprint), nameOf, (thumbprint) => reload(thumbprint)) },
          { label: 'Renewal History…', needs: 'certificates.manage', disabled: none, run: () => c && void openRenewalHistory(ctx, c, nameOf) },
          { label: 'Rename…', needs: 'certificates.manage', disabled: none, run: () => c && openRenameDialog(ctx, c, () => reload(c.thumbprint)) },
          { label: 'Remove', needs: 'certificates.manage', disabled: none, run: () => c && openRemoveCertificate(ctx, c, () => reload(table.keyAfter(c.thumbprint), true)) },
        ],
      },
    ]));
  }

  function showDetails(c: Certificate | undefined): void {
    details.replaceChildren();
    if (!c) {
      details.append(h('p', { class: 'note' }, 'Select a certificate in the list to see its details here.'));
      return;
    }
    details.append(
      h('h2', null, `“${c.friendlyName}”`),
      h('div', { class: 'button-row' },
        button('View…', () => void openCertificateView(ctx, c)),
        button('Copy thumbprint', () => void copyThumbprint(c)),
        button('Renewal History…', () => void openRenewalHistory(ctx, c, nameOf))),
      h('dl', { class: 'details' },
        h('dt', null, 'Subject'), h('dd', null, c.subject),
        h('dt', null, 'Names (SAN)'), h('dd', null, c.sans.join(', ') || 'none'),
        h('dt', null, 'Issuer'), h('dd', null, c.issuer),
        h('dt', null, 'Certification path'), h('dd', null, c.chain.length > 0 ? c.chain.map((x) => x.subject).join(' ← ') : c.subject === c.issuer ? 'self-signed' : 'no intermediates'),
        h('dt', null, 'Valid'), h('dd', null, `from ${isoMinute(c.notBefore)} to ${isoMinute(c.notAfter)} UTC`),
        h('dt', null, 'Status'), h('dd', null, statusBadge(c)),
        h('dt', null, 'Thumbprint'), h('dd', { class: 'mono' }, c.thumbprint),
        h('dt', null, 'Serial number'), h('dd', { class: 'mono' }, c.serialNumber),
        h('dt', null, 'Key'), h('dd', null, `${c.keyType}; ${c.hasPrivateKey ? `private key here, ${c.exportable ? 'exportable' : 'not exportable'}` : 'no private key here'}`),
        h('dt', null, 'Store'), h('dd', null, storeLabel(c.store)),
        h('dt', null, 'Renewal'), h('dd', null, renewalText(renewals.get(c.thumbprint), nameOf))));
  }

  const summary: string[] = [`${all.toLocaleString('en-US')} certificate${all === 1 ? '' : 's'}`];
  if (expiring) summary.push(`${expiring.toLocaleString('en-US')} expiring within 30 days`);
  if (expired) summary.push(`${expired.toLocaleString('en-US')} expired`);

  return h('div', null,
    h('h1', { tabindex: '-1' }, 'Server Certificates'),
    h('p', { class: 'description' }, 'Use this feature to request and manage certificates that Gatehouse serves for sites bound with https.'),
    h('p', { class: `summary ${expired || expiring ? 'attention' : ''}` }, summary.join(', ') + '.'),
    pending.length > 0 ? h('p', { class: 'pending-note' }, `${pending.length} certificate request${pending.length === 1 ? ' is' : 's are'} waiting for a CA's response. `, h('a', { href: '#/requests' }, 'Pending Certificate Requests')) : null,
    h('div', { class: 'master-detail' }, paged.el, details));
}
