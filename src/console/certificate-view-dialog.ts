// IIS's View… (Windows' Certificate dialog) for the selected certificate: General (issued to,
// issued by, validity, friendly name, the private key), Details (every field, thumbprints) and
// Certification Path (the chain from its root down to the certificate, each link judged in words).
// The tabs follow the ARIA tabs pattern: arrows, Home and End move between them.
import type { Ctx } from './context.js';
import { Dialog } from './dialog.js';
import { h, isoDay, isoMinute, storeLabel, uid, type Child } from './dom.js';
import type { Certificate, CertificateDetails, PathLink } from './types.js';

/** What a link of the path is, in words (never colour alone). */
export function linkStatusText(link: PathLink): string {
  switch (link.status) {
    case 'trusted-root': return link.anchor === 'internal-ca' ? 'Trusted root: the Gatehouse internal CA' : 'Trusted root: a system root certification authority';
    case 'untrusted-root': return 'Root not trusted: it is neither the internal CA nor a system root';
    case 'missing': return 'Missing issuer: its certificate is not installed; install the CA\'s intermediate certificates';
    case 'expired': return `Expired on ${isoDay(link.notAfter)}`;
    case 'not-yet-valid': return `Not valid until ${isoMinute(link.notBefore)} UTC`;
    default: return link.role === 'leaf' ? 'This certificate is OK' : 'Intermediate certification authority: OK';
  }
}

/** The certificate's own status line under the path, as Windows' "Certificate status". */
function pathSummary(path: PathLink[]): string {
  const leaf = path[0]!;
  if (leaf.status === 'expired' || leaf.status === 'not-yet-valid') return `${linkStatusText(leaf)}.`;
  const broken = path.find((l) => l.status !== 'ok' && l.status !== 'trusted-root');
  if (!broken) return 'This certificate is OK: its chain ends at a trusted root.';
  if (broken.status === 'missing') return `The issuer "${broken.issuedTo}" could not be found: clients may not trust this certificate. Install the CA's intermediate certificates (a bundle or .p7b).`;
  return `“${broken.issuedTo}”: ${linkStatusText(broken)}. Clients may not trust this certificate.`;
}

function statusClass(link: PathLink): string {
  return link.status === 'ok' || link.status === 'trusted-root' ? 'ok' : link.status === 'expired' || link.status === 'missing' ? 'bad' : 'warn';
}

function rows(pairs: Array<[string, Child | Child[]]>): HTMLTableSectionElement {
  return h('tbody', null, ...pairs.map(([k, v]) => h('tr', null, h('th', { scope: 'row' }, k), h('td', null, ...(Array.isArray(v) ? v : [v])))));
}

function general(v: CertificateDetails): HTMLElement {
  const purposes = v.fields.extendedKeyUsage.map((p) => p.replace(/ \([\d.]+\)$/, ''));
  return h('div', null,
    h('h3', null, 'Certificate Information'),
    h('p', null, purposes.length > 0 ? `This certificate is intended for: ${purposes.join(', ')}.` : 'This certificate names no purposes: it may be used for any.'),
    h('dl', { class: 'details' },
      h('dt', null, 'Issued to'), h('dd', null, v.issuedTo),
      h('dt', null, 'Issued by'), h('dd', null, v.issuedBy),
      h('dt', null, 'Valid from'), h('dd', null, `${isoMinute(v.notBefore)} UTC`),
      h('dt', null, 'Valid to'), h('dd', null, `${isoMinute(v.notAfter)} UTC`),
      h('dt', null, 'Friendly name'), h('dd', null, v.friendlyName),
      h('dt', null, 'Store'), h('dd', null, storeLabel(v.store)),
      h('dt', null, 'Key'), h('dd', null, `${v.keyType} (${v.fields.publicKey})`)),
    h('p', { class: v.hasPrivateKey ? 'key-line has-key' : 'key-line' },
      h('span', { 'aria-hidden': 'true' }, v.hasPrivateKey ? '🔑 ' : ''),
      v.hasPrivateKey
        ? `You have a private key that corresponds to this certificate${v.exportable ? ' (exportable)' : ' (not exportable)'}.`
        : 'There is no private key for this certificate on this server.'));
}

function detailsTab(v: CertificateDetails): HTMLElement {
  const f = v.fields;
  const list = (xs: string[]) => (xs.length > 0 ? xs.join(', ') : '—');
  return h('table', { class: 'list fields' },
    h('caption', { class: 'visually-hidden' }, 'Certificate fields'),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Value'))),
    rows([
      ['Version', `V${f.version}`],
      ['Serial number', h('span', { class: 'mono' }, f.serialNumber)],
      ['Signature algorithm', f.signatureAlgorithm],
      ['Issuer', f.issuer],
      ['Valid from', `${isoMinute(f.notBefore)} UTC`],
      ['Valid to', `${isoMinute(f.notAfter)} UTC`],
      ['Subject', f.subject],
      ['Public key', f.publicKey],
      ['Subject Alternative Name', list(f.sans)],
      ['Key Usage', list(f.keyUsage)],
      ['Enhanced Key Usage', list(f.extendedKeyUsage)],
      ['Basic Constraints', f.basicConstraints],
      ...(f.subjectKeyIdentifier ? [['Subject Key Identifier', h('span', { class: 'mono' }, f.subjectKeyIdentifier)] as [string, Child]] : []),
      ...(f.authorityKeyIdentifier ? [['Authority Key Identifier', h('span', { class: 'mono' }, f.authorityKeyIdentifier)] as [string, Child]] : []),
      ['Thumbprint (SHA-1)', h('span', { class: 'mono' }, f.thumbprintSha1)],
      ['Thumbprint (SHA-256)', h('span', { class: 'mono' }, f.thumbprintSha256)],
      ['Friendly name', v.friendlyName],
    ]));
}

/** The path as Windows draws it: the root at the top, each issued certificate nested under its issuer, this one last. */
function pathTab(v: CertificateDetails): HTMLElement {
  let inner: HTMLElement | null = null;
  for (const link of v.path) {
    const item: HTMLLIElement = h('li', { class: `path-link ${statusClass(link)}`, 'data-role': link.role },
      h('span', { class: link === v.path[0] ? 'path-name current' : 'path-name' }, link.issuedTo || link.subject),
      h('span', { class: 'path-status' }, h('span', { 'aria-hidden': 'true' }, statusClass(link) === 'ok' ? '✔ ' : statusClass(link) === 'bad' ? '✖ ' : '⚠ '), linkStatusText(link)),
      link.thumbprint ? h('span', { class: 'path-thumb mono', title: link.thumbprint }, `${link.thumbprint.slice(0, 8)}…${link.thumbprint.slice(-4)}`) : null,
      inner ? h('ul', null, inner) : null);
    inner = item;
  }
  const top = h('ul', { class: 'cert-path', 'aria-label': 'Certification path' }, inner);
  return h('div', null,
    h('h3', null, 'Certification path'),
    top,
    h('h3', null, 'Certificate status'),
    h('p', { class: `path-summary ${statusClass(v.path.find((l) => statusClass(l) !== 'ok') ?? v.path[0]!)}` }, pathSummary(v.path)));
}

/** Tabs after the ARIA pattern: one tab stop, arrows move and show. */
function tabs(panels: Array<[string, HTMLElement]>): HTMLElement {
  const list = h('div', { role: 'tablist', class: 'tabs', 'aria-label': 'Certificate' });
  const buttons: HTMLButtonElement[] = [];
  const sections: HTMLElement[] = [];
  const show = (i: number, focus: boolean) => {
    buttons.forEach((b, n) => {
      b.setAttribute('aria-selected', String(n === i));
      b.tabIndex = n === i ? 0 : -1;
      sections[n]!.hidden = n !== i;
    });
    if (focus) buttons[i]!.focus();
  };
  panels.forEach(([label, content], i) => {
    const tabId = uid('tab');
    const panelId = uid('panel');
    const b = h('button', { type: 'button', role: 'tab', id: tabId, 'aria-controls': panelId, onclick: () => show(i, false) }, label);
    b.addEventListener('keydown', (e) => {
      const n = buttons.length;
      const next = e.key === 'ArrowRight' ? (i + 1) % n : e.key === 'ArrowLeft' ? (i + n - 1) % n : e.key === 'Home' ? 0 : e.key === 'End' ? n - 1 : -1;
      if (next < 0) return;
      e.preventDefault();
      show(next, true);
    });
    buttons.push(b);
    sections.push(h('div', { role: 'tabpanel', id: panelId, 'aria-labelledby': tabId, tabindex: '0', class: 'tab-panel' }, content));
    list.append(b);
  });
  show(0, false);
  return h('div', { class: 'tab-set' }, list, ...sections);
}

export async function openCertificateView(ctx: Ctx, c: Certificate): Promise<void> {
  let v: CertificateDetails;
  try {
    v = await ctx.api.get<CertificateDetails>(`/certificates/${encodeURIComponent(c.thumbprint)}/details`);
  } catch (e) {
    ctx.fail(e);
    return;
  }
  const d = new Dialog('Certificate', { className: 'wide certificate-view', onSubmit: () => d.close() });
  const set = tabs([['General', general(v)], ['Details', detailsTab(v)], ['Certification Path', pathTab(v)]]);
  d.body.append(set);
  const ok = d.submitButton('OK');
  d.setButtons(ok);
  d.open(set.querySelector<HTMLElement>('[role=tab]') ?? ok);
}
