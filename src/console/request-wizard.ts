// The New Certificate Request wizard, page by page as Exchange's New Exchange Certificate wizard:
// a friendly name; the domain scope (root domain, wildcard); the domains, proposed from the host
// names the server's bindings use; the common name; organization, location and key; a summary;
// then the CSR to copy or download — or to submit at once to the internal CA or an ACME account.
import { InputProblem } from './api.js';
import type { Ctx } from './context.js';
import { Dialog } from './dialog.js';
import { button, checkbox, field, h, input, isoDay, replace, select, uid } from './dom.js';
import { csrPanel } from './csr-panel.js';
import { countryCode, countryInput, countryName } from './countries.js';
import { KEY_TYPES, type AcmeAccount, type Certificate, type ChallengeChoices, type PendingRequest, type ServerInfo } from './types.js';

interface Step {
  title: string;
  section: HTMLElement;
  enter?: () => void;
  /** Checks the page before Next; throws InputProblem to stay. */
  leave?: () => void;
}

/** The host of a directory URL (what tells accounts apart in Submit to). */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** Lower case, no trailing dot, no spaces. */
function cleanName(value: string): string {
  return value.trim().toLowerCase().replace(/\.$/, '');
}


/** How many of the bindings' host names the wizard reads to propose names from (by name). */
const WIZARD_HOST_NAMES = 1000;

/** The names the wizard proposes for a scope: the wildcard and the root, then the server's host names within the root. */
export function proposeDomains(root: string, wildcard: boolean, hostNames: string[]): string[] {
  const names: string[] = [];
  if (root) {
    if (wildcard) names.push(`*.${root}`);
    names.push(root);
  }
  for (const host of hostNames.map(cleanName)) {
    if (!root || host === root || host.endsWith(`.${root}`)) names.push(host);
  }
  return [...new Set(names)];
}

export async function openRequestWizard(ctx: Ctx, done: (issued?: string) => void | Promise<void>): Promise<void> {
  let server: ServerInfo;
  let caReady = false;
  let accounts: AcmeAccount[] = [];
  /** Per account: the challenges issuing through it accepts now. */
  const challenges = new Map<string, ChallengeChoices>();
  const acme = ctx.can('certificates.manage');
  try {
    [server, caReady, accounts] = await Promise.all([
      ctx.api.get<ServerInfo>(`/server?hostNames=${WIZARD_HOST_NAMES}`),
      ctx.can('ca.manage') ? ctx.caExists() : Promise.resolve(false),
      acme ? ctx.api.get<AcmeAccount[]>('/acme/accounts') : Promise.resolve([]),
    ]);
    const choices = await Promise.all(accounts.map((a) => ctx.api.get<ChallengeChoices>(`/acme/challenges?account=${encodeURIComponent(a.name)}`)));
    accounts.forEach((a, i) => challenges.set(a.name, choices[i]!));
  } catch (e) {
    ctx.fail(e);
    return;
  }

  // Page 1: the name.
  const name = input({ maxlength: '256', required: true });
  // Page 2: domain scope.
  const root = input({ maxlength: '253', placeholder: 'contoso.com' });
  const wildcard = checkbox(false);
  // Page 3: the domains.
  let domains: string[] = [];
  const added = new Set<string>();
  let proposedFor: string | null = null;
  const domainList = h('ul', { class: 'domain-list', 'aria-label': 'Domains in the certificate' });
  const newDomain = input({ maxlength: '253', placeholder: 'mail.contoso.com' });
  // Page 4: the common name.
  const cnGroup = h('div', { class: 'radio-list' });
  let cn = '';
  // Page 5: organization, location and key.
  const org = input({ maxlength: '128', autocomplete: 'organization' });
  const ou = input({ maxlength: '128' });
  const city = input({ maxlength: '128', autocomplete: 'address-level2' });
  const state = input({ maxlength: '128', autocomplete: 'address-level1' });
  const { input: country, list: countryList } = countryInput();
  const keyType = select(KEY_TYPES.map((k) => ({ value: k, label: k === 'rsa-2048' ? 'rsa-2048 (default)' : k })), 'rsa-2048');
  const exportable = checkbox(false);
  // Page 6: the summary.
  const summary = h('dl', { class: 'details summary-list' });

  let current = 0;
  let created: PendingRequest | undefined;
  let issued: Certificate | undefined;

  const addDomain = () => {
    const v = cleanName(newDomain.value);
    if (!v) return;
    if (/[\s,;/]/.test(v)) {
      d.showError(`"${newDomain.value.trim()}" is not a host name: type one name at a time, such as mail.contoso.com.`);
      newDomain.focus();
      return;
    }
    if (!domains.includes(v)) domains.push(v);
    added.add(v);
    newDomain.value = '';
    d.clearMessages();
    drawDomains();
    newDomain.focus();
  };
  newDomain.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      addDomain();
    }
  });

  function drawDomains(): void {
    if (domains.length === 0) {
      replace(domainList, h('li', { class: 'empty' }, 'No domains yet: add at least one below.'));
      return;
    }
    replace(domainList, ...domains.map((dn) => h('li', null,
      h('span', { class: 'mono' }, dn),
      button('Remove', () => {
        domains = domains.filter((x) => x !== dn);
        added.delete(dn);
        drawDomains();
        newDomain.focus();
      }, { 'aria-label': `Remove ${dn}`, class: 'small' }))));
  }

  function drawCommonNames(): void {
    if (!domains.includes(cn)) cn = domains.find((x) => !x.startsWith('*.')) ?? domains[0] ?? '';
    const groupName = uid('cn');
    replace(cnGroup, ...domains.map((dn) => {
      const radio = h('input', { type: 'radio', name: groupName, value: dn, checked: dn === cn, onchange: () => { cn = dn; } });
      return field(dn, radio);
    }));
  }

  const section = (title: string, ...children: Array<Node | string | null>) => {
    const id = uid('step');
    return h('section', { class: 'wizard-page', 'aria-labelledby': id, hidden: true }, h('h3', { id, tabindex: '-1' }, title), ...children);
  };

  const steps: Step[] = [
    {
      title: 'Name',
      section: section('Name',
        h('p', null, 'This wizard creates a certificate request (CSR) and its private key on this server. Send the request to a certification authority, then complete it with the CA\'s response.'),
        field('Friendly name for the request', name, 'Used as the certificate\'s friendly name when the request is completed or submitted to the internal CA, for example www.contoso.com-Contoso CA-2027.')),
      leave: () => {
        if (!name.value.trim()) throw new InputProblem('Type a friendly name for the request.', name);
      },
    },
    {
      title: 'Domain Scope',
      section: section('Domain Scope',
        h('p', null, 'Specify the root domain for all subdomains. If you want to request a wildcard certificate, select Enable wildcard certificate. Otherwise you specify each domain on the next page.'),
        field('Root domain', root),
        field('Enable wildcard certificate', wildcard, 'Requests *.ROOT and ROOT: one certificate for every host name one label under the root domain.')),
      leave: () => {
        root.value = cleanName(root.value).replace(/^\*\./, '');
        if (wildcard.checked && !root.value) throw new InputProblem('A wildcard certificate needs the root domain, such as contoso.com.', root);
        if (/[\s,;/]/.test(root.value)) throw new InputProblem('The root domain is one DNS name, such as contoso.com.', root);
      },
    },
    {
      title: 'Domains',
      section: section('Domains',
        h('p', null, 'These domains will be in the certificate request: the host names clients use to reach this server. Those the server\'s bindings use are proposed. Add any others, and remove those you do not want.'),
        domainList,
        h('div', { class: 'add-row' }, field('Add a domain', newDomain), button('Add', addDomain))),
      enter: () => {
        const scope = `${root.value}|${wildcard.checked}`;
        if (scope !== proposedFor) {
          domains = [...new Set([...proposeDomains(root.value, wildcard.checked, server.hostNames), ...added])];
          proposedFor = scope;
        }
        drawDomains();
      },
      leave: () => {
        if (newDomain.value.trim()) addDomain();
        if (domains.length === 0) throw new InputProblem('Add at least one domain.', newDomain);
      },
    },
    {
      title: 'Common Name',
      section: section('Common Name',
        h('p', null, 'Select the domain to be the certificate\'s common name (Issued To). It is in the certificate\'s names too.'),
        h('fieldset', null, h('legend', null, 'Common name'), cnGroup)),
      enter: drawCommonNames,
      leave: () => {
        if (!cn) throw new InputProblem('Select the common name.');
      },
    },
    {
      title: 'Organization and Location',
      section: section('Organization and Location',
        h('p', null, 'Information about your organization, included in the request. CAs that validate organizations check it; all fields are optional.'),
        h('div', { class: 'two-columns' },
          field('Organization', org), field('Organizational unit', ou),
          field('City/locality', city), field('State/province', state),
          field('Country/region', country, 'The country\'s name or its two-letter ISO code, such as US, GB or DE; choose from the list.'), countryList),
        field('Key type', keyType, 'rsa-2048 is accepted everywhere; ECDSA keys are smaller and faster.'),
        field('Make the private key exportable', exportable, 'Lets the certificate be exported later as a PFX with its key (Export…).')),
      leave: () => {
        const code = countryCode(country.value);
        if (code === undefined) throw new InputProblem(`"${country.value.trim()}" is not a country name or code Gatehouse knows: type the name as the list shows it (Germany) or the two-letter ISO code (DE).`, country);
        country.value = code;
      },
    },
    {
      title: 'Summary',
      section: section('Summary', h('p', null, 'Check the request, then choose Create. The private key is made on this server and stays here.'), summary),
      enter: () => {
        const rows: Array<[string, string]> = [
          ['Friendly name', name.value.trim()],
          ['Common name', cn],
          ['Domains', domains.join(', ')],
          ['Organization', org.value.trim()], ['Organizational unit', ou.value.trim()],
          ['City/locality', city.value.trim()], ['State/province', state.value.trim()], ['Country/region', country.value && `${country.value} (${countryName(country.value) ?? '?'})`],
          ['Key type', keyType.value], ['Exportable private key', exportable.checked ? 'yes' : 'no'],
        ];
        replace(summary, ...rows.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v || '—')]));
      },
    },
  ];
  const completion = section('Completion');

  const stepList = h('ol', { class: 'wizard-steps', 'aria-label': 'Wizard pages' }, ...[...steps.map((s) => s.title), 'Completion'].map((t) => h('li', null, t)));
  const back = button('< Back', () => go(current - 1));
  const next = h('button', { type: 'submit', class: 'primary' }, 'Next >');
  const cancel = button('Cancel', () => d.close());

  const d = new Dialog('Create Certificate Request', {
    className: 'wizard',
    onSubmit: async () => {
      if (created) {
        d.close();
        return;
      }
      steps[current]!.leave?.();
      if (current < steps.length - 1) go(current + 1);
      else await create();
    },
    onClose: () => {
      if (created) void done(issued?.thumbprint);
    },
  });

  function go(i: number): void {
    current = Math.max(0, Math.min(i, steps.length - 1));
    d.clearMessages();
    steps.forEach((s, n) => { s.section.hidden = n !== current; });
    completion.hidden = true;
    steps[current]!.enter?.();
    markStep(current);
    back.disabled = current === 0;
    next.textContent = current === steps.length - 1 ? 'Create' : 'Next >';
    const section = steps[current]!.section;
    const first = section.querySelector<HTMLElement>('input:not([disabled]), select, textarea');
    (current === steps.length - 1 || !first ? section.querySelector<HTMLElement>('h3') : first)?.focus();
  }

  function markStep(i: number): void {
    [...stepList.children].forEach((li, n) => {
      if (n === i) li.setAttribute('aria-current', 'step');
      else li.removeAttribute('aria-current');
      li.classList.toggle('done', n < i);
    });
  }

  async function create(): Promise<void> {
    const body: Record<string, unknown> = { cn, san: domains.filter((x) => x !== cn), key: keyType.value, exportable: exportable.checked, friendlyName: name.value.trim() };
    for (const [k, el] of [['org', org], ['ou', ou], ['city', city], ['state', state], ['country', country]] as const) {
      if (el.value.trim()) body[k] = el.value.trim();
    }
    const request = await ctx.api.post<PendingRequest>('/requests', body);
    created = request;
    // The request is saved: Back (or closing) no longer loses anything typed.
    d.saved();
    showCompletion(request);
  }

  function showCompletion(request: PendingRequest): void {
    const { field: csrField, copy, download } = csrPanel(ctx, d, request);
    const submitTo = submitChoices(request, download);
    // Under its own heading, which the section's aria-labelledby names.
    replace(completion, completion.querySelector('h3'),
      h('p', null, `The request is saved on this server as request ${request.id}, with its private key. Send the CSR below to your certification authority. When it answers, use Complete Certificate Request… with the file it sends; the certificate will be named “${name.value.trim()}”.`),
      csrField,
      h('div', { class: 'button-row' }, copy, download),
      submitTo);
    for (const s of steps) s.section.hidden = true;
    completion.hidden = false;
    markStep(steps.length);
    back.hidden = true;
    cancel.hidden = true;
    next.textContent = 'Finish';
    completion.querySelector<HTMLElement>('h3')?.focus();
  }

  /**
   * "Submit to": the internal CA and each ACME account (with the challenge, among those the API
   * accepts now). An ACME CA validates the names while the call runs — tens of seconds — so the
   * choice and the button are held, a status says so, and the message that says what happened
   * takes the focus.
   */
  function submitChoices(request: PendingRequest, download: HTMLButtonElement): HTMLElement | null {
    const targets = [
      ...(caReady ? [{ value: 'internal', label: 'The internal CA' }] : []),
      ...accounts.map((a) => ({ value: `acme:${a.name}`, label: `ACME: ${a.name} (${hostOf(a.directory)})` })),
    ];
    if (targets.length === 0) return null;
    const to = select(targets, targets[0]!.value);
    const challenge = select([]);
    const challengeHint = h('span');
    const challengeRow = field('Challenge', challenge, [challengeHint]);
    const submit = h('button', { type: 'button' });
    let drawnFor = '';
    const sync = () => {
      const acme = to.value.startsWith('acme:');
      challengeRow.hidden = !acme;
      submit.textContent = acme ? `Submit to ${to.value.slice(5)}` : 'Submit to the internal CA';
      const choices = challenges.get(to.value.slice(5));
      const usable = choices?.challenges.filter((c) => c.available) ?? [];
      if (acme && drawnFor !== to.value) {
        // Only the challenge types the API accepts now for this account.
        drawnFor = to.value;
        replace(challenge,
          h('option', { value: '' }, choices?.default ? `Chosen by Gatehouse (now: ${choices.default})` : 'Chosen by Gatehouse'),
          ...usable.map((c) => h('option', { value: c.type }, c.type)));
      }
      const chosen = usable.find((c) => c.type === (challenge.value || choices?.default));
      challengeHint.textContent = chosen ? chosen.detail : 'Gatehouse picks what the bindings make possible: http-01 with an http binding on port 80, else tls-alpn-01.';
    };
    to.addEventListener('change', sync);
    challenge.addEventListener('change', sync);
    submit.addEventListener('click', () => void d.run(async () => {
      const acme = to.value.startsWith('acme:');
      const held = [to, challenge, submit, download];
      for (const el of held) el.disabled = true;
      let ok = false;
      try {
        if (acme) {
          const account = to.value.slice(5);
          d.showNotice(`Ordering the certificate from the ACME account “${account}”: the CA is validating ${request.sans.join(', ')}. This can take tens of seconds…`);
          issued = await ctx.api.post<Certificate>(`/requests/${request.id}/acme`, { account, ...(challenge.value ? { challenge: challenge.value } : {}), friendlyName: name.value.trim(), store: 'webhosting' });
        } else {
          issued = await ctx.api.post<Certificate>(`/requests/${request.id}/submit`, { ca: 'internal', friendlyName: name.value.trim(), store: 'webhosting' });
        }
        ok = true;
      } finally {
        if (!ok) for (const el of held) el.disabled = false;
      }
      const by = acme ? `The ACME CA of “${to.value.slice(5)}”` : 'The internal CA';
      // The button that had the focus is greyed out: the message that says what happened takes it.
      d.showNotice(`${by} issued “${issued.friendlyName}” (${issued.thumbprint}), valid until ${isoDay(issued.notAfter)}. It is in the Web Hosting store: bind it to a site with the site's Bindings….`, true);
    }));
    sync();
    return h('fieldset', { class: 'submit-to' }, h('legend', null, 'Or submit it now'),
      field('Submit to', to, 'The certificate is installed at once when the CA issues it.'),
      challengeRow,
      h('div', { class: 'button-row' }, submit));
  }

  d.body.append(h('div', { class: 'wizard-layout' }, stepList, h('div', { class: 'wizard-pages' }, ...steps.map((s) => s.section), completion)));
  d.setButtons(back, next, cancel);
  d.open();
  go(0);
}
