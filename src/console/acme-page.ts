// ACME Accounts (under the server, beside Server Certificates): the accounts Gatehouse holds with
// ACME CAs (Let's Encrypt, ZeroSSL, a private step-ca or pebble), Add… (directory, e-mail, the CA's
// terms, External Account Binding, the CA of a private directory's HTTPS) and Remove. The account
// key is made and sealed on the server; the EAB HMAC key is used once and never stored.
import { InputProblem } from './api.js';
import { allowed, type Ctx } from './context.js';
import { confirmDialog, Dialog } from './dialog.js';
import { checkbox, field, h, input, isoMinute, replace, select } from './dom.js';
import { DataTable } from './table.js';
import type { AcmeAccount } from './types.js';

const DIRECTORIES = [
  { value: 'letsencrypt', label: 'Let\'s Encrypt' },
  { value: 'letsencrypt-staging', label: 'Let\'s Encrypt staging (test certificates)' },
  { value: 'zerossl', label: 'ZeroSSL (needs External Account Binding)' },
  { value: 'custom', label: 'Another ACME CA (directory URL)' },
];

interface DirectoryInfo {
  directory: string;
  termsOfService: string | null;
  externalAccountRequired: boolean;
  website: string | null;
  problem: string | null;
}

export async function acmePage(ctx: Ctx): Promise<HTMLElement> {
  const accounts = await ctx.api.get<AcmeAccount[]>('/acme/accounts');
  const reload = async (select: string | null, focusRow = false) => {
    ctx.selection.set('acme', select);
    await ctx.refresh(focusRow ? { focusRow: select } : undefined);
  };
  const table = new DataTable<AcmeAccount>({
    caption: 'Accounts with ACME certification authorities',
    columns: [
      { label: 'Name', cell: (a) => a.name },
      { label: 'Directory', cell: (a) => h('span', { class: 'mono' }, a.directory), class: 'wrap' },
      { label: 'E-mail', cell: (a) => a.email, class: 'wrap hide-md' },
      { label: 'External Account Binding', cell: (a) => (a.eabKid ? `key id ${a.eabKid}` : 'none'), class: 'wrap hide-md' },
      { label: 'DNS-01 provider', cell: (a) => a.dnsProvider ?? 'none (http-01 and tls-alpn-01 only)', class: 'wrap hide-md' },
      { label: 'Status', cell: (a) => a.status },
      { label: 'Created', cell: (a) => h('time', { datetime: a.created }, isoMinute(a.created)), class: 'hide-sm' },
    ],
    rows: accounts,
    key: (a) => a.name,
    empty: 'There are no ACME accounts yet. Add one (Add…) to have an ACME CA such as Let\'s Encrypt issue and renew certificates.',
    selected: ctx.selection.get('acme') ?? null,
    onSelect: (a) => {
      ctx.selection.set('acme', a?.name ?? null);
      actions(a);
    },
  });

  function actions(a: AcmeAccount | undefined): void {
    ctx.setActions(allowed(ctx, [
      { heading: 'ACME Accounts', items: [{ label: 'Add…', needs: 'certificates.manage', run: () => addAccountDialog(ctx, (name) => reload(name)) }] },
      {
        heading: 'Selected account',
        note: a ? a.name : 'Select an account in the list to remove it.',
        items: [{ label: 'Remove', needs: 'certificates.manage', disabled: !a, run: () => a && void removeAccount(ctx, a, () => reload(table.keyAfter(a.name), true)) }],
      },
    ]));
  }

  actions(table.selected);
  return h('div', null,
    h('h1', { tabindex: '-1' }, 'ACME Accounts'),
    h('p', { class: 'description' }, 'Use this feature to hold accounts with ACME CAs. Certificate requests can then be submitted to them (the wizard\'s Submit to), and the certificates they issue renew by themselves.'),
    table.el);
}

function addAccountDialog(ctx: Ctx, done: (name: string) => Promise<void>): void {
  const name = input({ maxlength: '64', required: true, placeholder: 'letsencrypt' });
  const directory = select(DIRECTORIES, 'letsencrypt');
  const url = input({ type: 'url', maxlength: '2048', placeholder: 'https://acme.example.com/directory', disabled: true });
  const email = input({ type: 'email', maxlength: '254', required: true, autocomplete: 'email' });
  const caFile = h('input', { type: 'file', accept: '.pem,.crt,.cer' });
  const caText = h('textarea', { rows: '4', spellcheck: 'false', placeholder: '-----BEGIN CERTIFICATE-----' });
  const eabKid = input({ maxlength: '1024' });
  const eabKey = input({ type: 'password', maxlength: '1024', autocomplete: 'off' });
  const agree = checkbox(false);
  // What the directory says about itself: its terms (a link), and whether it needs EAB.
  const terms = h('p', { class: 'hint', 'aria-live': 'polite' });
  let info: DirectoryInfo | undefined;
  let asked = '';

  const directoryValue = () => (directory.value === 'custom' ? url.value.trim() : directory.value);
  const caPem = async (): Promise<string | undefined> => {
    const f = caFile.files?.[0];
    if (f) return (await f.text()).trim() || undefined;
    return caText.value.trim() || undefined;
  };

  async function lookUp(): Promise<void> {
    const dir = directoryValue();
    const ca = await caPem();
    const key = `${dir}\n${ca ?? ''}`;
    if (key === asked) return;
    asked = key;
    info = undefined;
    if (!dir) {
      replace(terms, 'Type the CA\'s directory URL to see its terms of service.');
      return;
    }
    replace(terms, 'Asking the directory for its terms of service…');
    try {
      const answer = await ctx.api.post<DirectoryInfo>('/acme/directory', { directory: dir, ...(ca ? { directoryCa: ca } : {}) });
      if (key !== asked) return;
      if (answer.problem !== null) {
        replace(terms, answer.problem);
        return;
      }
      info = answer;
      replace(terms,
        answer.termsOfService ? ['The CA\'s terms of service: ', h('a', { href: answer.termsOfService, target: '_blank', rel: 'noopener noreferrer' }, answer.termsOfService), '.'] : 'The directory names no terms of service.',
        answer.externalAccountRequired ? ' This CA requires External Account Binding: give the key id and HMAC key from its account page.' : '');
    } catch (e) {
      if (key !== asked) return;
      replace(terms, `The directory could not be read: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  directory.addEventListener('change', () => {
    url.disabled = directory.value !== 'custom';
    if (!url.disabled) url.focus();
    void lookUp();
  });
  for (const el of [url, caText]) el.addEventListener('change', () => void lookUp());
  caFile.addEventListener('change', () => void lookUp());

  const d = new Dialog('Add ACME Account', {
    className: 'wide',
    onSubmit: async () => {
      const n = name.value.trim();
      if (!n) throw new InputProblem('Type a name for the account, such as letsencrypt.', name);
      const dir = directoryValue();
      if (!dir) throw new InputProblem('Type the ACME directory URL of the CA.', url);
      if (!email.value.trim()) throw new InputProblem('Type the e-mail address the CA writes to about expiring certificates and account problems.', email);
      if (!agree.checked) throw new InputProblem('Creating an account means agreeing to the CA\'s terms of service: read them, then select the check box.', agree);
      const kid = eabKid.value.trim();
      const hmac = eabKey.value.trim();
      if (info?.externalAccountRequired && (!kid || !hmac)) throw new InputProblem('This CA requires External Account Binding: give the key id and the HMAC key from the CA\'s account page.', kid ? eabKey : eabKid);
      const ca = await caPem();
      const account = await ctx.api.post<AcmeAccount>('/acme/accounts', {
        name: n, directory: dir, email: email.value.trim(), agreeTos: true,
        ...(kid ? { eabKid: kid } : {}), ...(hmac ? { eabHmacKey: hmac } : {}), ...(ca ? { directoryCa: ca } : {}),
      });
      d.close();
      await done(account.name);
      ctx.notify(`Added the ACME account “${account.name}” with ${account.directory}. Submit certificate requests to it from the Create Certificate Request wizard or Pending Certificate Requests.`);
    },
  });
  d.body.append(
    h('p', null, 'Gatehouse registers a new account with the CA; its key is made on this server and sealed in the store.'),
    field('Account name', name, 'How Gatehouse names the account (letters, digits, dots, underscores, hyphens).'),
    field('Certification authority', directory),
    field('Directory URL', url, 'For another ACME CA: its directory URL (step-ca, an enterprise CA, pebble).'),
    field('E-mail address', email, 'The CA writes to it about expiring certificates and account problems.'),
    h('fieldset', null, h('legend', null, 'Terms of service'), terms, field('I agree to the CA\'s terms of service', agree)),
    h('fieldset', null, h('legend', null, 'External Account Binding (ZeroSSL, DigiCert, Sectigo)'),
      field('EAB key id', eabKid),
      field('EAB HMAC key', eabKey, 'As the CA gives it (base64url). It is used once to bind the account and never stored.')),
    h('fieldset', null, h('legend', null, 'A private ACME server\'s HTTPS'),
      field('CA certificate file (PEM)', caFile, 'Only for a private ACME server whose HTTPS certificate is not publicly trusted: the CA that issued it.'),
      field('Or paste the CA certificate (PEM)', caText)));
  d.setButtons(d.submitButton('Add'), d.cancelButton());
  d.open();
  void lookUp();
}

async function removeAccount(ctx: Ctx, a: AcmeAccount, gone: () => Promise<void>): Promise<void> {
  const sure = await confirmDialog('Remove ACME Account', `Remove the ACME account “${a.name}” (${a.directory})? Its key is destroyed; certificates it issued stay, but they no longer renew through it.`, 'Remove');
  if (!sure) return;
  try {
    await ctx.api.delete(`/acme/accounts/${encodeURIComponent(a.name)}`);
    await gone();
    ctx.notify(`Removed the ACME account “${a.name}”.`);
  } catch (e) {
    ctx.fail(e);
  }
}
