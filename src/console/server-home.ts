// The server's Home page: its features (IIS's icons, here a list of links), its addresses, the
// default HTTPS certificate and the internal CA.
import { ApiError, InputProblem } from './api.js';
import { allowed, type Ctx } from './context.js';
import { Dialog } from './dialog.js';
import { field, h, input, isoDay, saveFile, select } from './dom.js';
import { nameWithStatus } from './status.js';
import type { Certificate, InternalCa, ServerInfo } from './types.js';
import { KEY_TYPES } from './types.js';

const FEATURES: Array<{ hash: string; name: string; text: string }> = [
  { hash: '#/certificates', name: 'Server Certificates', text: 'Request, complete, import, export and remove the certificates sites are served with.' },
  { hash: '#/requests', name: 'Pending Certificate Requests', text: 'Requests waiting for a CA\'s answer: download the CSR, complete or cancel them.' },
  { hash: '#/acme', name: 'ACME Accounts', text: 'Accounts with ACME CAs (Let\'s Encrypt, ZeroSSL, a private ACME server) that issue and renew certificates by themselves.' },
  { hash: '#/notifications', name: 'Notifications', text: 'Webhooks and e-mail told when a renewal rolls back or fails, or a certificate runs out.' },
  { hash: '#/services', name: 'Services', text: 'Assign Services to Certificate: what SMTP, IMAP, POP and IIS (the default HTTPS certificate) present, and the mail listeners.' },
  { hash: '#/sites', name: 'Sites', text: 'The sites this server serves and their bindings (IP address, port, host name, certificate).' },
  { hash: '#/users', name: 'Users and API Tokens', text: 'Who may use this console and the API, and with which role.' },
  { hash: '#/audit', name: 'Audit Log', text: 'Every change: who made it, when, from where, and what it changed.' },
];

/** How many of the bindings' host names the home page lists (100,000 may be bound). */
const HOME_HOST_NAMES = 20;

export async function serverHomePage(ctx: Ctx): Promise<HTMLElement> {
  const httpsDefault = ctx.server.services.https;
  // The default certificate only (not every certificate: 100,000 may be installed).
  const [ca, defaultCert, hosts] = await Promise.all([
    internalCa(ctx),
    httpsDefault ? ctx.api.get<Certificate>(`/certificates/${encodeURIComponent(httpsDefault)}`).catch(() => undefined) : Promise.resolve(undefined),
    ctx.api.get<ServerInfo>(`/server?hostNames=${HOME_HOST_NAMES}`),
  ]);
  const more = (hosts.hostNameCount ?? hosts.hostNames.length) - hosts.hostNames.length;
  ctx.setActions(allowed(ctx, [{
    heading: 'Internal CA',
    items: ca ? [] : [{ label: 'Create Internal CA…', needs: 'ca.manage', run: () => createCaDialog(ctx) }],
  }]));
  return h('div', null,
    h('h1', { tabindex: '-1' }, `${ctx.server.name} Home`),
    h('p', { class: 'description' }, 'Gatehouse serves this server\'s sites over TLS and keeps their certificates. Open a feature:'),
    h('ul', { class: 'features' }, ...FEATURES.map((f) => h('li', null, h('a', { href: f.hash, class: 'feature-link' }, h('span', { class: 'feature-name' }, f.name), h('span', { class: 'feature-text' }, f.text))))),
    h('h2', null, 'This server'),
    h('dl', { class: 'details' },
      h('dt', null, 'Name'), h('dd', null, ctx.server.name),
      h('dt', null, 'IP addresses'), h('dd', null, ctx.server.addresses.join(', ') || 'none found'),
      h('dt', null, 'Host names in bindings'), h('dd', null, (hosts.hostNames.join(', ') || 'none yet') + (more > 0 ? `, and ${more.toLocaleString('en-US')} more` : '')),
      h('dt', null, 'Default HTTPS certificate'), h('dd', null, ...(defaultCert ? nameWithStatus(defaultCert.friendlyName, defaultCert) : [httpsDefault ?? 'none (clients without a matching binding are refused)'])),
      h('dt', null, 'Internal CA'), h('dd', null, ca ? `${ca.subject}, valid until ${isoDay(ca.notAfter)} (${ca.keyType}) ` : 'not created', ca ? h('a', {
        href: '#', class: 'inline-link', onclick: (e: Event) => {
          e.preventDefault();
          ctx.api.file('GET', '/ca/certificate', undefined, 'gatehouse-internal-ca.pem').then((f) => saveFile(f.blob, f.fileName), (err) => ctx.fail(err));
        },
      }, 'Download its certificate') : null)));
}

async function internalCa(ctx: Ctx): Promise<InternalCa | undefined> {
  try {
    return await ctx.api.get<InternalCa>('/ca');
  } catch (e) {
    if (e instanceof ApiError && e.status === 409) return undefined;
    throw e;
  }
}

function createCaDialog(ctx: Ctx): void {
  const cn = input({ value: `${ctx.server.name} Internal CA`, required: true, maxlength: '64' });
  const key = select(KEY_TYPES.map((k) => ({ value: k, label: k })), 'ecdsa-p256');
  const days = input({ type: 'number', value: '3650', min: '1', max: '3650', inputmode: 'numeric' });
  const d = new Dialog('Create Internal CA', {
    onSubmit: async () => {
      if (!cn.value.trim()) throw new InputProblem('Give the CA a name.', cn);
      const ca = await ctx.api.post<InternalCa>('/ca', { cn: cn.value.trim(), key: key.value, days: Number(days.value) });
      d.close();
      await ctx.refresh();
      ctx.notify(`Created the internal CA “${ca.subject}”. Give its certificate to the clients that must trust it.`);
    },
  });
  d.body.append(
    h('p', null, 'The internal CA signs certificate requests for internal names. Clients trust the certificates it issues once they trust its certificate.'),
    field('CA name (common name)', cn), field('Key type', key), field('Valid for (days)', days));
  d.setButtons(d.submitButton('Create'), d.cancelButton());
  d.open();
}
