// Server-side paging for the lists that hold one row per name (Server Certificates, Sites): one page
// of PAGE_SIZE rows asked of the API (limit, cursor), a search box that filters by name on the
// server as the user types (debounced), a status filter where the API has one, Previous and Next,
// and "1–100 of 100,000 certificates" in a live region (screen readers hear it after each change).
// Nothing here asks for every row. The location keeps the search, the status, the page number and
// its cursor (#/certificates?q=site9&page=3&after=…): a reload or Back shows the same page. The
// API's cursors only go forward, so the cursors of the pages seen before are kept for the tab
// (sessionStorage) and Previous uses them; without one (a page opened from a link), Previous goes
// to the first page.
import { ApiError, type ListPage } from './api.js';
import type { Ctx } from './context.js';
import { button, field, h, input, replace, select } from './dom.js';

/** Rows per page of a paged list. */
export const PAGE_SIZE = 100;
const SEARCH_DELAY_MS = 300;

/** What the location says of a paged list. */
export interface ListState {
  q: string;
  status: string;
  page: number;
  /** The cursor the page starts after (absent on the first page). */
  after: string | undefined;
}

/** The list state in a location (`#/certificates?q=…&status=…&page=…&after=…`). */
export function listState(hash = location.hash): ListState {
  const i = hash.indexOf('?');
  const p = new URLSearchParams(i < 0 ? '' : hash.slice(i + 1));
  const page = Number(p.get('page'));
  const after = p.get('after') ?? undefined;
  const paged = Number.isInteger(page) && page > 1 && after !== undefined;
  return { q: p.get('q') ?? '', status: p.get('status') ?? '', page: paged ? page : 1, after: paged ? after : undefined };
}

/** The location of a list state. */
export function listHash(base: string, s: ListState): string {
  const p = new URLSearchParams();
  if (s.q) p.set('q', s.q);
  if (s.status) p.set('status', s.status);
  if (s.page > 1 && s.after) {
    p.set('page', String(s.page));
    p.set('after', s.after);
  }
  const q = p.toString();
  return q ? `${base}?${q}` : base;
}

export interface PagedListOptions<T> {
  ctx: Ctx;
  /** The page's location without a query: `#/certificates`. */
  base: string;
  /** The API listing: `/certificates`. */
  path: string;
  /** One and many: ['certificate', 'certificates']. */
  noun: [string, string];
  searchLabel: string;
  searchHint: string;
  /** The API's status filter, when it has one (the first option is "all", value ''). */
  statuses?: Array<{ value: string; label: string }>;
  /** Draws one page's rows (a table); may ask the API for what the rows need. */
  draw: (page: ListPage<T>, state: ListState) => Promise<HTMLElement> | HTMLElement;
}

/** One paged list: its controls, the current page and the table `draw` made of it. */
export class PagedList<T> {
  readonly el: HTMLElement;
  state: ListState = { q: '', status: '', page: 1, after: undefined };
  page: ListPage<T> = { items: [], total: 0, next: null };
  readonly #o: PagedListOptions<T>;
  readonly #holder = h('div', { class: 'paged-rows' });
  readonly #count = h('p', { class: 'page-count', role: 'status' });
  readonly #search: HTMLInputElement;
  readonly #status: HTMLSelectElement | undefined;
  readonly #prev: HTMLButtonElement;
  readonly #next: HTMLButtonElement;
  readonly #buttons: HTMLElement;
  #token = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** The list with the page the location names drawn (the first page when its cursor is no longer valid). */
  static async open<T>(options: PagedListOptions<T>): Promise<PagedList<T>> {
    const list = new PagedList(options);
    const state = listState();
    try {
      await list.load(state, 'none');
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 'GH_PAGE_INVALID' && state.after !== undefined)) throw e;
      await list.load({ ...state, page: 1, after: undefined }, 'replace');
    }
    return list;
  }

  private constructor(options: PagedListOptions<T>) {
    this.#o = options;
    const [one, many] = options.noun;
    this.#search = input({ type: 'search', class: 'list-search', maxlength: '256', placeholder: one === 'site' ? 'www.contoso.com' : 'contoso' });
    this.#search.addEventListener('input', () => {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => void this.#filter('replace'), SEARCH_DELAY_MS);
    });
    this.#search.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter') return;
      e.preventDefault();
      clearTimeout(this.#timer);
      void this.#filter('replace');
    });
    this.#status = options.statuses ? select(options.statuses, '', { class: 'list-status' }) : undefined;
    this.#status?.addEventListener('change', () => void this.#filter('push'));
    this.#prev = button('Previous', () => void this.#go(-1), { class: 'pager-prev', 'aria-label': `Previous page of ${many}` });
    this.#next = button('Next', () => void this.#go(1), { class: 'pager-next', 'aria-label': `Next page of ${many}` });
    this.#buttons = h('div', { class: 'button-row' }, this.#prev, this.#next);
    this.el = h('div', { class: 'paged-list' },
      h('div', { class: 'list-filters', role: 'search', 'aria-label': `Find ${many}` },
        field(options.searchLabel, this.#search, options.searchHint),
        this.#status ? field('Status', this.#status) : null),
      this.#holder,
      h('div', { class: 'pager' }, this.#count, this.#buttons));
  }

  /** Draws the page again (after a change), as the location says. */
  reload(): Promise<void> {
    return this.load(this.state, 'none');
  }

  async #filter(how: 'push' | 'replace'): Promise<void> {
    const q = this.#search.value.trim();
    const status = this.#status?.value ?? '';
    if (q === this.state.q && status === this.state.status) return;
    try {
      await this.load({ q, status, page: 1, after: undefined }, how);
    } catch (e) {
      this.#o.ctx.fail(e);
    }
  }

  async #go(step: 1 | -1): Promise<void> {
    const s = this.state;
    const target = s.page + step;
    let after: string | undefined;
    if (step === 1) after = this.page.next ?? undefined;
    else after = target <= 1 ? undefined : this.#trail()[target];
    const state = after === undefined ? { ...s, page: 1, after: undefined } : { ...s, page: target, after };
    try {
      await this.load(state, 'push');
    } catch (e) {
      this.#o.ctx.fail(e);
      return;
    }
    // The keyboard stays on the pager: on the button pressed, else (the first or last page) the other one.
    const pressed = step === 1 ? this.#next : this.#prev;
    const other = step === 1 ? this.#prev : this.#next;
    (pressed.disabled ? (other.disabled ? this.#holder.querySelector<HTMLElement>('tr[tabindex="0"]') : other) : pressed)?.focus();
  }

  #trailKey(): string {
    return `gatehouse.pages ${this.#o.base} ${this.state.status} ${this.state.q}`;
  }

  /** Page number → the cursor it starts after, for this search. */
  #trail(): Record<string, string> {
    try {
      return JSON.parse(sessionStorage.getItem(this.#trailKey()) ?? '{}') as Record<string, string>;
    } catch {
      return {};
    }
  }

  /**
   * Asks the API for the page `state` names and draws it. `how`: the location gets a new history
   * entry (paging, a status chosen), is replaced (typing in the search box), or stays.
   */
  async load(state: ListState, how: 'push' | 'replace' | 'none'): Promise<void> {
    const token = ++this.#token;
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (state.q) params.set('name', state.q);
    if (state.status) params.set('status', state.status);
    if (state.after) params.set('cursor', state.after);
    this.#holder.setAttribute('aria-busy', 'true');
    try {
      const page = await this.#o.ctx.api.page<T>(`${this.#o.path}?${params.toString()}`);
      if (token !== this.#token) return;
      const rows = await this.#o.draw(page, state);
      if (token !== this.#token) return;
      this.state = state;
      this.page = page;
      this.#remember();
      const hash = listHash(this.#o.base, state);
      if (how !== 'none' && location.hash !== hash) history[how === 'push' ? 'pushState' : 'replaceState'](null, '', hash);
      replace(this.#holder, rows);
      this.#show();
    } finally {
      if (token === this.#token) this.#holder.setAttribute('aria-busy', 'false');
    }
  }

  #remember(): void {
    const trail = this.#trail();
    if (this.state.after) trail[this.state.page] = this.state.after;
    if (this.page.next) trail[this.state.page + 1] = this.page.next;
    try {
      sessionStorage.setItem(this.#trailKey(), JSON.stringify(trail));
    } catch {
      /* storage full or refused: Previous goes to the first page */
    }
  }

  #show(): void {
    const { state, page } = this;
    const [one, many] = this.#o.noun;
    if (document.activeElement !== this.#search) this.#search.value = state.q;
    if (this.#status) this.#status.value = state.status;
    const filtered = state.q !== '' || state.status !== '';
    const which = [state.status ? this.#o.statuses?.find((x) => x.value === state.status)?.label.toLowerCase() : undefined, state.q ? `matching “${state.q}”` : undefined].filter(Boolean).join(', ');
    const from = (state.page - 1) * PAGE_SIZE + 1;
    const to = from + page.items.length - 1;
    const total = page.total.toLocaleString('en-US');
    this.#count.textContent = page.items.length === 0
      ? (filtered ? `No ${many} ${which}.` : `No ${many}.`)
      : `${from.toLocaleString('en-US')}–${to.toLocaleString('en-US')} of ${total} ${page.total === 1 ? one : many}${filtered ? ` ${which}` : ''}.`;
    this.#prev.disabled = state.page <= 1;
    this.#next.disabled = page.next === null;
    // Everything on one page: no pager to pass through.
    this.#buttons.hidden = this.#prev.disabled && this.#next.disabled;
  }
}
