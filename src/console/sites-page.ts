// The Sites node (the list, Add Site…) and a site's Home page (its content, its bindings, and the
// actions Bindings…, Basic Settings…, Start, Stop, Remove).
import { InputProblem } from './api.js';
import { applyAnyway, bindingColumns, openBindingsDialog, bindingText, reachedNotes } from './bindings-dialog.js';
import { allowed, siteHash, type ActionGroup, type Ctx } from './context.js';
import { confirmDialog, Dialog } from './dialog.js';
import { breakable, checkbox, field, h, input, select } from './dom.js';
import { certificatesOf } from './certificate-picker.js';
import { PagedList } from './paged-list.js';
import { DataTable } from './table.js';
import type { Binding, ReachedSite, Site } from './types.js';

function contentText(s: Site): string {
  return s.content.kind === 'proxy' ? `proxy to ${s.content.upstream ?? ''}` : s.content.root ?? '';
}

function stateText(s: Site): string {
  return s.state === 'started' ? 'Started' : 'Stopped';
}

/** Start, Stop and Remove for one site, as IIS's Manage Website group. */
function manageItems(ctx: Ctx, s: Site | undefined, after: (removed: boolean) => Promise<void>) {
  const none = s === undefined;
  const setState = async (state: 'start' | 'stop') => {
    if (!s) return;
    const path = `/sites/${encodeURIComponent(s.name)}/${state}`;
    try {
      const result = await applyAnyway(`${state === 'start' ? 'Start' : 'Stop'} “${s.name}”`, (force) => ctx.api.post<Site>(force ? `${path}?force=true` : path));
      if (!result) return;
      await after(false);
      ctx.notify(`${state === 'start' ? 'Started' : 'Stopped'} “${s.name}”.`, reachedNotes(result.affected));
    } catch (e) {
      ctx.fail(e);
    }
  };
  return [
    { label: 'Start', needs: 'sites.manage' as const, disabled: none || s.state === 'started', run: () => void setState('start') },
    { label: 'Stop', needs: 'sites.manage' as const, disabled: none || s.state === 'stopped', run: () => void setState('stop') },
    {
      label: 'Remove', needs: 'sites.manage' as const, disabled: none, run: async () => {
        if (!s) return;
        const n = s.bindings?.length ?? 0;
        if (!(await confirmDialog('Remove Site', `Remove the site “${s.name}”${n ? ` and its ${n} binding${n === 1 ? '' : 's'}` : ''}? Its files and its certificates stay.`, 'Remove'))) return;
        const path = `/sites/${encodeURIComponent(s.name)}`;
        try {
          const result = await applyAnyway(`Remove “${s.name}”`, (force) => ctx.api.delete<{ affected: ReachedSite[] }>(force ? `${path}?force=true` : path));
          if (!result) return;
          await after(true);
          ctx.notify(`Removed the site “${s.name}”.`, reachedNotes(result.affected));
        } catch (e) {
          ctx.fail(e);
        }
      },
    },
  ];
}

export async function sitesPage(ctx: Ctx): Promise<HTMLElement> {
  // One page of sites at a time (100,000 may be configured), searched by name on the server.
  let table: DataTable<Site>;
  const list = await PagedList.open<Site>({
    ctx, base: '#/sites', path: '/sites', noun: ['site', 'sites'],
    searchLabel: 'Search by name', searchHint: 'A part of the site\'s name or of a binding\'s host name, in any case.',
    draw: (page, state) => {
      table = new DataTable<Site>({
        caption: 'Sites on this server',
        columns: [
          { label: 'Name', cell: (s) => h('a', { href: siteHash(s.name) }, s.name) },
          { label: 'Status', cell: (s) => h('span', { class: `state ${s.state}` }, stateText(s)) },
          { label: 'Bindings', cell: (s) => breakable((s.bindings ?? []).map(bindingText).join(', ') || 'none'), class: 'wrap hide-sm' },
          { label: 'Content', cell: (s) => h('span', { class: 'mono' }, contentText(s)), class: 'wrap hide-md' },
        ],
        rows: page.items,
        key: (s) => s.name,
        empty: state.q ? 'No site matches: change the search.' : 'There are no sites yet.',
        selected: ctx.selection.get('sites') ?? null,
        onSelect: (s) => {
          ctx.selection.set('sites', s?.name ?? null);
          actions(s);
        },
        onOpen: (s) => void ctx.navigate(siteHash(s.name)),
      });
      actions(table.selected);
      return table.el;
    },
  });

  function actions(s: Site | undefined): void {
    ctx.setActions(allowed(ctx, [
      { heading: 'Sites', items: [{ label: 'Add Site…', needs: 'sites.manage', run: () => openAddSiteDialog(ctx) }] },
      {
        heading: 'Selected site',
        note: s ? s.name : 'Select a site in the list.',
        items: [
          { label: 'Bindings…', needs: 'sites.manage', disabled: !s, run: () => s && void openBindingsDialog(ctx, s.name, () => ctx.refresh()) },
          ...manageItems(ctx, s, async (removed) => {
            const next = removed && s ? table.keyAfter(s.name) : undefined;
            if (next !== undefined) ctx.selection.set('sites', next);
            await ctx.refresh(next !== undefined ? { focusRow: next } : undefined);
          }),
        ],
      },
    ]));
  }

  return h('div', null,
    h('h1', { tabindex: '-1' }, 'Sites'),
    h('p', { class: 'description' }, 'Each site serves a folder of static files or proxies to an upstream server, on the bindings (IP address, port, host name) you give it.'),
    list.el);
}

export async function sitePage(ctx: Ctx, name: string): Promise<HTMLElement> {
  const site = await ctx.api.get<Site>(`/sites/${encodeURIComponent(name)}`);
  const certs = await certificatesOf(ctx, site.bindings ?? []);
  const bindings = new DataTable<Binding>({
    caption: `Bindings of ${site.name}`,
    columns: bindingColumns(certs),
    rows: site.bindings ?? [],
    key: bindingText,
    empty: 'This site has no bindings: it answers no requests yet.',
  });
  const groups: ActionGroup[] = allowed(ctx, [
    {
      heading: 'Edit Site',
      items: [
        { label: 'Bindings…', needs: 'sites.manage', run: () => void openBindingsDialog(ctx, site.name, () => ctx.refresh()) },
        { label: 'Basic Settings…', needs: 'sites.manage', run: () => openBasicSettings(ctx, site) },
      ],
    },
    {
      heading: 'Manage Website',
      items: manageItems(ctx, site, async (removed) => {
        if (removed) await ctx.navigate('#/sites');
        else await ctx.refresh();
      }),
    },
  ]);
  ctx.setActions(groups);
  return h('div', null,
    h('h1', { tabindex: '-1' }, `${site.name} Home`),
    h('dl', { class: 'details' },
      h('dt', null, 'Status'), h('dd', null, h('span', { class: `state ${site.state}` }, stateText(site))),
      h('dt', null, site.content.kind === 'proxy' ? 'Proxies to' : 'Physical path'), h('dd', { class: 'mono' }, site.content.kind === 'proxy' ? site.content.upstream ?? '' : site.content.root ?? ''),
      h('dt', null, 'Redirect http to https'), h('dd', null, site.httpsRedirect ? 'on' : 'off'),
      h('dt', null, 'HSTS'), h('dd', null, site.hsts ? 'on' : 'off'),
      h('dt', null, 'Access log format'), h('dd', null, site.logFormat === 'w3c' ? 'W3C extended (IIS)' : site.logFormat === 'combined' ? 'combined' : 'off (none written)')),
    h('h2', null, 'Bindings'),
    bindings.el);
}

function contentControls(initial?: Site) {
  const isProxy = initial?.content.kind === 'proxy';
  const group = `content-${Math.random().toString(36).slice(2)}`;
  const folder = h('input', { type: 'radio', name: group, value: 'static', checked: !isProxy });
  const proxy = h('input', { type: 'radio', name: group, value: 'proxy', checked: isProxy });
  const path = input({ maxlength: '4096', placeholder: '/var/www/contoso', value: initial?.content.root ?? '' });
  const url = input({ type: 'url', maxlength: '2048', placeholder: 'http://127.0.0.1:3000', value: initial?.content.upstream ?? '' });
  const sync = () => {
    path.disabled = !folder.checked;
    url.disabled = !proxy.checked;
  };
  folder.addEventListener('change', sync);
  proxy.addEventListener('change', sync);
  sync();
  const fieldset = h('fieldset', null, h('legend', null, 'Content'),
    field('Static files from a folder', folder), field('Physical path', path, 'A folder on this server; index.html is its home page.'),
    field('Reverse proxy to an upstream', proxy), field('Upstream URL', url, 'http or https, such as http://127.0.0.1:3000'));
  const value = (): { root: string } | { proxy: string } => {
    if (folder.checked) {
      if (!path.value.trim()) throw new InputProblem('Type the physical path: the folder the site serves.', path);
      return { root: path.value.trim() };
    }
    if (!url.value.trim()) throw new InputProblem('Type the upstream URL the site proxies to.', url);
    return { proxy: url.value.trim() };
  };
  return { fieldset, value };
}

function openAddSiteDialog(ctx: Ctx): void {
  const name = input({ maxlength: '100', required: true });
  const content = contentControls();
  const d = new Dialog('Add Site', {
    className: 'wide',
    onSubmit: async () => {
      if (!name.value.trim()) throw new InputProblem('Type the site name.', name);
      const site = await ctx.api.post<Site>('/sites', { name: name.value.trim(), ...content.value() });
      d.close();
      ctx.selection.set('sites', site.name);
      await ctx.navigate(siteHash(site.name));
      ctx.notify(`Added the site “${site.name}”. Add its bindings with Bindings….`);
    },
  });
  d.body.append(field('Site name', name), content.fieldset);
  d.setButtons(d.submitButton('OK'), d.cancelButton());
  d.open();
}

function openBasicSettings(ctx: Ctx, site: Site): void {
  const content = contentControls(site);
  const redirect = checkbox(site.httpsRedirect);
  const hsts = checkbox(site.hsts);
  const log = select([{ value: 'w3c', label: 'W3C extended (IIS)' }, { value: 'combined', label: 'Combined (Apache, nginx)' }, { value: 'off', label: 'Off (no access log)' }], site.logFormat);
  const d = new Dialog(`Basic Settings of ${site.name}`, {
    className: 'wide',
    onSubmit: async () => {
      await ctx.api.patch<Site>(`/sites/${encodeURIComponent(site.name)}`, { ...content.value(), httpsRedirect: redirect.checked, hsts: hsts.checked, logFormat: log.value });
      d.close();
      await ctx.refresh();
      ctx.notify(`Saved the settings of “${site.name}”.`);
    },
  });
  d.body.append(content.fieldset,
    field('Redirect http requests to https', redirect),
    field('Send HSTS (Strict-Transport-Security) over https', hsts),
    field('Access log format', log));
  d.setButtons(d.submitButton('OK'), d.cancelButton());
  d.open();
}
