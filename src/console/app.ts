// Gatehouse Manager: the web console, laid out as IIS Manager is — the Connections tree on the
// left (the server, Sites, each site), the feature page in the middle, the Actions pane on the
// right with what the signed-in user's permissions allow for what is selected.
import { Api, ApiError, messageOf } from './api.js';
import { siteHash, type ActionGroup, type Ctx } from './context.js';
import { closeAllDialogs, confirmDialog, openDialogs, sentence, type Dialog } from './dialog.js';
import { button, h, replace } from './dom.js';
import { showLogin } from './login.js';
import { acmePage } from './acme-page.js';
import { auditPage } from './audit-page.js';
import { certificatesPage } from './certificates-page.js';
import { notificationsPage } from './notifications-page.js';
import { requestsPage } from './requests-page.js';
import { serverHomePage } from './server-home.js';
import { servicesPage } from './services-page.js';
import { sitePage, sitesPage } from './sites-page.js';
import { usersPage } from './users-page.js';
import type { Permission, ServerInfo, SessionInfo, Site } from './types.js';

type Route =
  | { kind: 'home' | 'certificates' | 'requests' | 'acme' | 'notifications' | 'services' | 'sites' | 'users' | 'audit' }
  | { kind: 'site'; name: string };

/** How many sites the Connections tree lists (by name); with more, it links to the Sites page. */
const TREE_SITES = 50;
/** The server as every page needs it: without the bindings' host names (100,000 of them; the pages that show some ask). */
const SERVER = '/server?hostNames=0';

type PageFn = (ctx: Ctx, route: Route) => Promise<HTMLElement>;

const PAGES: Record<Route['kind'], { title: string; render: PageFn }> = {
  home: { title: 'Home', render: (ctx) => serverHomePage(ctx) },
  certificates: { title: 'Server Certificates', render: (ctx) => certificatesPage(ctx) },
  requests: { title: 'Pending Certificate Requests', render: (ctx) => requestsPage(ctx) },
  acme: { title: 'ACME Accounts', render: (ctx) => acmePage(ctx) },
  notifications: { title: 'Notifications', render: (ctx) => notificationsPage(ctx) },
  services: { title: 'Services', render: (ctx) => servicesPage(ctx) },
  sites: { title: 'Sites', render: (ctx) => sitesPage(ctx) },
  site: { title: 'Site', render: (ctx, r) => sitePage(ctx, (r as { name: string }).name) },
  users: { title: 'Users and API Tokens', render: (ctx) => usersPage(ctx) },
  audit: { title: 'Audit Log', render: (ctx) => auditPage(ctx) },
};

function parseRoute(hash: string): Route {
  // A list's search and page (`#/certificates?q=…&page=…`) are the page's, not the route's.
  const path = hash.replace(/^#\/?/, '').split('?')[0]!;
  const [first, ...rest] = path.split('/');
  switch (first) {
    case 'certificates': return { kind: 'certificates' };
    case 'requests': return { kind: 'requests' };
    case 'acme': return { kind: 'acme' };
    case 'notifications': return { kind: 'notifications' };
    case 'services': return { kind: 'services' };
    case 'users': return { kind: 'users' };
    case 'audit': return { kind: 'audit' };
    case 'sites': return rest.length > 0 && rest.join('/') !== '' ? { kind: 'site', name: decodeURIComponent(rest.join('/')) } : { kind: 'sites' };
    default: return { kind: 'home' };
  }
}

class Console {
  readonly api = new Api();
  readonly root: HTMLElement;
  #signedOut = true;
  #renderToken = 0;
  #session: SessionInfo | undefined;
  #ctx: Ctx | undefined;
  /** The first TREE_SITES sites (the tree lists those; the Sites page pages through all). */
  #sites: Site[] = [];
  #siteCount = 0;
  #tree!: HTMLElement;
  #page!: HTMLElement;
  #pageMessages!: HTMLElement;
  #actions!: HTMLElement;
  #crumbs!: HTMLElement;
  /** The address of the page drawn (history navigation may have to come back to it). */
  #here = '#/';
  #asking = false;
  // History navigation (Back, Forward, a typed address) never leaves a dialog floating over another
  // page. Open dialogs with nothing typed close first, as Cancel would. One holding what the user
  // typed asks first: the address goes back to the page drawn (a new history entry, no redraw) and
  // "Discard the changes in …?" — Discard closes the dialogs and goes Back to where the user was
  // going (that entry is just before the restored one), Keep editing returns to the dialog.
  #onHash = () => {
    const changed = openDialogs().filter((d) => d.changed).pop();
    if (changed || this.#asking) {
      history.pushState(null, '', this.#here);
      if (changed && !this.#asking) void this.askDiscard(changed);
      return;
    }
    closeAllDialogs();
    void this.render(true);
  };

  constructor(root: HTMLElement) {
    this.root = root;
    this.api.onSignedOut = (message) => this.signedOut(message);
  }

  async boot(): Promise<void> {
    try {
      const s = await this.api.get<SessionInfo>('/session');
      await this.start(s);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        if (this.#signedOut) this.login(undefined);
      } else {
        this.login(messageOf(e));
      }
    }
  }

  login(message: string | undefined): void {
    this.#signedOut = true;
    window.removeEventListener('hashchange', this.#onHash);
    showLogin(this.root, this.api, message, (s) => void this.start(s).catch((e) => this.login(messageOf(e))));
  }

  signedOut(message: string): void {
    if (this.#signedOut) return;
    closeAllDialogs();
    this.api.csrfToken = undefined;
    this.login(message);
  }

  async start(session: SessionInfo): Promise<void> {
    this.api.csrfToken = session.csrfToken;
    this.#session = session;
    this.#signedOut = false;
    const server = await this.api.get<ServerInfo>(SERVER);
    this.#ctx = this.makeContext(session, server);
    this.layout(session, server);
    window.addEventListener('hashchange', this.#onHash);
    await this.render(true);
  }

  makeContext(session: SessionInfo, server: ServerInfo): Ctx {
    const permissions = new Set<Permission>(session.permissions);
    const selection = new Map<string, string | null>();
    const api = this.api;
    return {
      api,
      session,
      server,
      selection,
      can: (p) => permissions.has(p),
      caExists: async () => {
        try {
          await api.get('/ca');
          return true;
        } catch (e) {
          if (e instanceof ApiError && e.status !== 401 && e.status < 500 && e.status !== 0) return false;
          throw e;
        }
      },
      navigate: (hash) => {
        if (location.hash !== hash) history.pushState(null, '', hash);
        return this.render(true);
      },
      refresh: (options) => this.render(false, options),
      notify: (message, warnings) => this.message(message, warnings && warnings.length > 0 ? 'warning' : 'status', warnings),
      fail: (error) => this.message(messageOf(error), 'alert'),
      setActions: (groups) => this.setActions(groups),
    };
  }

  layout(session: SessionInfo, server: ServerInfo): void {
    this.#tree = h('div', { class: 'tree-wrap' });
    this.#page = h('div', { class: 'page' });
    this.#pageMessages = h('div', { class: 'page-messages' });
    this.#actions = h('div', { class: 'actions-body' });
    this.#crumbs = h('ol', { class: 'crumbs' });
    const logout = button('Log out', () => void this.logout(), { class: 'logout' });
    replace(this.root,
      h('div', { class: 'app' },
        h('header', { class: 'titlebar' },
          h('span', { class: 'brand' }, 'Gatehouse Manager'),
          h('span', { class: 'who' }, 'Signed in as ', h('strong', null, session.user), ` (${session.role}) on ${server.name}`),
          logout),
        h('nav', { class: 'addressbar', 'aria-label': 'Location' }, this.#crumbs),
        h('div', { class: 'panes' },
          h('nav', { class: 'connections pane collapsed', 'aria-label': 'Connections' }, paneTitle('Connections', this.#tree, false), this.#tree),
          h('main', { class: 'feature pane', id: 'main' }, this.#pageMessages, this.#page),
          h('aside', { class: 'actions pane', 'aria-label': 'Actions' }, paneTitle('Actions', this.#actions, true), this.#actions))));
  }

  async askDiscard(changed: Dialog): Promise<void> {
    this.#asking = true;
    let discard = false;
    try {
      discard = await confirmDialog('Discard Changes', `Discard the changes in “${changed.title}”? What you typed there is not saved.`, 'Discard', 'Keep editing');
    } finally {
      this.#asking = false;
    }
    if (!discard || this.#signedOut) return;
    closeAllDialogs();
    history.back();
  }

  async logout(): Promise<void> {
    try {
      await this.api.delete('/session');
    } catch {
      /* already ended */
    }
    closeAllDialogs();
    this.api.csrfToken = undefined;
    this.login('You have logged out.');
  }

  /**
   * Draws the page of the current location. `navigated`: a new page (messages cleared, focus to its
   * heading). `focusRow`: the key of the row that takes the focus (after a removal, the next one).
   */
  async render(navigated: boolean, options?: { focusRow: string | null }): Promise<void> {
    const ctx = this.#ctx;
    if (!ctx || this.#signedOut) return;
    const token = ++this.#renderToken;
    this.#here = location.hash || '#/';
    const route = parseRoute(location.hash);
    const page = PAGES[route.kind];
    if (navigated) this.#pageMessages.replaceChildren();
    // Screen readers (and tests) learn that the page is being drawn and when it is done.
    this.#page.setAttribute('aria-busy', 'true');
    const focusedKey = (document.activeElement as HTMLElement | null)?.closest?.('tr[data-key]')?.getAttribute('data-key');
    try {
      const [sites, server] = await Promise.all([this.api.page<Site>(`/sites?limit=${TREE_SITES}`), this.api.get<ServerInfo>(SERVER)]);
      if (token !== this.#renderToken) return;
      this.#sites = sites.items;
      this.#siteCount = sites.total;
      ctx.server = server;
      const pageCtx: Ctx = { ...ctx, setActions: (groups) => token === this.#renderToken && this.setActions(groups) };
      this.drawTree(route);
      this.drawCrumbs(route, ctx);
      if (navigated) this.setActions([]);
      const el = await page.render(pageCtx, route);
      if (token !== this.#renderToken) return;
      replace(this.#page, el);
      const title = el.querySelector('h1')?.textContent ?? page.title;
      document.title = `${title} – Gatehouse Manager`;
      if (navigated) {
        collapseOnNarrow(this.#tree);
        el.querySelector<HTMLElement>('h1')?.focus();
      } else if (options) {
        const row = options.focusRow === null ? null : this.#page.querySelector<HTMLElement>(`tr[data-key="${CSS.escape(options.focusRow)}"]`);
        if (row) row.focus();
        else this.#keepFocus(true);
      } else {
        if (focusedKey) this.#page.querySelector<HTMLElement>(`tr[data-key="${CSS.escape(focusedKey)}"]`)?.focus();
        this.#keepFocus(false);
      }
    } catch (e) {
      if (token !== this.#renderToken || this.#signedOut) return;
      replace(this.#page, h('h1', { tabindex: '-1' }, page.title));
      this.setActions([]);
      ctx.fail(e);
    } finally {
      if (token === this.#renderToken) this.#page.setAttribute('aria-busy', 'false');
    }
  }

  /**
   * Focus is never left on <body> (what had it may have been redrawn, or greyed out): the selected
   * row, else the page's heading. `row`: so even if focus is elsewhere.
   */
  #keepFocus(row: boolean): void {
    if (document.querySelector('dialog[open]')) return;
    const active = document.activeElement;
    const lost = !active || active === document.body || !active.isConnected;
    if (!row && !lost) return;
    (this.#page.querySelector<HTMLElement>('tr[aria-selected="true"]') ?? this.#page.querySelector<HTMLElement>('h1'))?.focus();
  }

  drawTree(route: Route): void {
    const ctx = this.#ctx!;
    const current = (hash: string, here: boolean) => ({ href: hash, 'aria-current': here ? 'page' : null, class: here ? 'selected' : null });
    const serverHere = route.kind !== 'sites' && route.kind !== 'site';
    const tree = h('ul', { class: 'tree', onkeydown: (e: KeyboardEvent) => treeKeys(e, tree) },
      h('li', null,
        h('a', { ...current('#/', serverHere), class: `node server ${serverHere ? 'selected' : ''}` }, ctx.server.name),
        h('ul', null,
          h('li', null,
            h('a', { ...current('#/sites', route.kind === 'sites'), class: `node folder ${route.kind === 'sites' ? 'selected' : ''}` }, 'Sites'),
            this.#sites.length === 0 ? null : h('ul', null, ...this.#sites.map((s) => {
              const here = route.kind === 'site' && route.name === s.name;
              return h('li', null, h('a', { ...current(siteHash(s.name), here), class: `node site ${s.state} ${here ? 'selected' : ''}` }, s.name,
                s.state === 'stopped' ? h('span', { class: 'state' }, ' (Stopped)') : null));
            }),
            // The site shown, when it is not among the first ones listed.
            route.kind === 'site' && !this.#sites.some((s) => s.name === route.name)
              ? h('li', null, h('a', { ...current(siteHash(route.name), true), class: 'node site selected' }, route.name)) : null,
            this.#siteCount > this.#sites.length
              ? h('li', null, h('a', { href: '#/sites', class: 'node more' }, `All ${this.#siteCount.toLocaleString('en-US')} sites…`)) : null)))));
    const had = this.#tree.contains(document.activeElement) ? (document.activeElement as HTMLAnchorElement).getAttribute('href') : null;
    replace(this.#tree, tree);
    if (had) this.#tree.querySelector<HTMLElement>(`a[href="${CSS.escape(had)}"]`)?.focus();
  }

  drawCrumbs(route: Route, ctx: Ctx): void {
    const parts: Array<[string, string]> = [[ctx.server.name, '#/']];
    if (route.kind === 'sites' || route.kind === 'site') parts.push(['Sites', '#/sites']);
    if (route.kind === 'site') parts.push([route.name, siteHash(route.name)]);
    else if (route.kind !== 'home' && route.kind !== 'sites') parts.push([PAGES[route.kind].title, `#/${route.kind}`]);
    replace(this.#crumbs, ...parts.map(([label, hash], i) => h('li', null, i === parts.length - 1 ? h('span', { 'aria-current': 'location' }, label) : h('a', { href: hash }, label))));
  }

  setActions(groups: ActionGroup[]): void {
    const focused = this.#actions.contains(document.activeElement) ? (document.activeElement as HTMLElement).dataset.action : undefined;
    const canChange = (this.#session?.permissions ?? []).some((p) => p !== 'view');
    const lookOnly = canChange ? null : h('p', { class: 'no-actions' }, `Your role (${this.#session?.role ?? 'view-only'}) can look but not change anything.`);
    if (groups.length === 0) {
      replace(this.#actions, lookOnly ?? h('p', { class: 'no-actions' }, 'No actions for this page.'));
      return;
    }
    replace(this.#actions, ...groups.map((g) => h('section', { class: 'action-group' },
      h('h3', null, g.heading),
      g.note ? h('p', { class: 'note' }, g.note) : null,
      h('ul', null, ...g.items.map((i) => h('li', null, button(i.label, () => i.run(), { disabled: i.disabled ?? false, 'data-action': i.label, class: 'action' })))))), lookOnly);
    if (focused) {
      // Keep the keyboard where it was; an action that is now greyed out hands focus to the page's heading.
      const same = this.#actions.querySelector<HTMLButtonElement>(`[data-action="${CSS.escape(focused)}"]:not(:disabled)`);
      (same ?? this.#page.querySelector<HTMLElement>('h1'))?.focus();
    }
  }

  message(text: string, kind: 'status' | 'alert' | 'warning', warnings: string[] = []): void {
    const close = button('Dismiss', () => note.remove(), { class: 'link', 'aria-label': 'Dismiss this message' });
    const note: HTMLDivElement = h('div', { role: kind === 'status' ? 'status' : 'alert', class: `message ${kind === 'alert' ? 'error' : kind === 'warning' ? 'warning' : 'notice'}` },
      h('p', null, text), close,
      warnings.length > 0 ? h('ul', null, ...warnings.map((w) => h('li', null, sentence(w)))) : null);
    // A message that had the focus hands it to the one replacing it.
    const hadFocus = this.#pageMessages.contains(document.activeElement);
    replace(this.#pageMessages, note);
    if (hadFocus) {
      note.tabIndex = -1;
      note.focus();
    }
  }
}

/**
 * A side pane's title. In a wide window it is a heading; in a narrow one (the panes stacked) it is
 * also a button that shows or hides the pane's content (`expanded` at first).
 */
function paneTitle(title: string, body: HTMLElement, expanded: boolean): HTMLHeadingElement {
  body.id ||= `${title.toLowerCase()}-body`;
  body.classList.add('pane-body');
  const toggle = button(title, () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    body.closest('.pane')?.classList.toggle('collapsed', !open);
  }, { class: 'pane-toggle', 'aria-expanded': String(expanded), 'aria-controls': body.id });
  return h('h2', { class: 'pane-title' }, h('span', { class: 'pane-label' }, title), toggle);
}

/** After navigating from the Connections pane of a narrow window, the pane folds away again. */
function collapseOnNarrow(tree: HTMLElement): void {
  const toggle = tree.closest('.pane')?.querySelector<HTMLButtonElement>('.pane-toggle');
  if (!toggle || toggle.getAttribute('aria-expanded') !== 'true' || toggle.offsetParent === null) return;
  toggle.setAttribute('aria-expanded', 'false');
  tree.closest('.pane')?.classList.add('collapsed');
}

/** Up and down arrows move between the tree's nodes (they are links, so Tab and Enter work too). */
function treeKeys(e: KeyboardEvent, tree: HTMLElement): void {
  if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp' && e.key !== 'Home' && e.key !== 'End') return;
  const nodes = [...tree.querySelectorAll<HTMLAnchorElement>('a.node')];
  const i = nodes.indexOf(document.activeElement as HTMLAnchorElement);
  if (i < 0) return;
  const next = e.key === 'ArrowDown' ? nodes[i + 1] : e.key === 'ArrowUp' ? nodes[i - 1] : e.key === 'Home' ? nodes[0] : nodes[nodes.length - 1];
  if (next) {
    e.preventDefault();
    next.focus();
  }
}

const root = document.getElementById('app');
if (root) void new Console(root).boot();
