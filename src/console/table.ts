// The list views of the feature pages: a real <table> with a caption and scoped headers, whose
// rows can be selected with the mouse or the keyboard (arrows, Home, End; Enter opens), as IIS's
// lists are. The selected row carries aria-selected and the only tabindex of the table.
import { h, type Child } from './dom.js';

export interface Column<T> {
  label: string;
  cell: (row: T) => Child | Child[];
  class?: string;
}

export interface TableOptions<T> {
  caption: string;
  columns: Array<Column<T>>;
  rows: T[];
  key: (row: T) => string;
  /** Shown in the table's body when there are no rows. */
  empty: string;
  rowClass?: (row: T) => string;
  /** Rows can be selected (the Actions pane acts on the selected row). */
  onSelect?: (row: T | undefined) => void;
  /** Double-click or Enter on a row. */
  onOpen?: (row: T) => void;
  selected?: string | null;
  /** Hides the caption visually (it stays for screen readers) when a heading already says it. */
  captionHidden?: boolean;
}

export class DataTable<T> {
  readonly el: HTMLDivElement;
  readonly table: HTMLTableElement;
  #rows = new Map<string, { row: T; tr: HTMLTableRowElement }>();
  #selected: string | null = null;

  constructor(readonly options: TableOptions<T>) {
    const selectable = options.onSelect !== undefined;
    const head = h('thead', null, h('tr', null, ...options.columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label))));
    const body = h('tbody');
    for (const row of options.rows) {
      const key = options.key(row);
      const tr = h('tr', { class: options.rowClass?.(row) ?? null, 'data-key': key },
        ...options.columns.map((c, i) => (i === 0 ? h('th', { scope: 'row', class: c.class }, c.cell(row)) : h('td', { class: c.class }, c.cell(row)))));
      if (selectable) {
        tr.tabIndex = -1;
        tr.setAttribute('aria-selected', 'false');
        tr.addEventListener('click', (e) => {
          if ((e.target as Element).closest('a, button, summary, input')) return;
          this.select(key, true);
        });
        tr.addEventListener('dblclick', () => options.onOpen?.(row));
        tr.addEventListener('keydown', (e) => this.#key(e, key));
      }
      this.#rows.set(key, { row, tr });
      body.append(tr);
    }
    if (options.rows.length === 0) {
      body.append(h('tr', { class: 'empty' }, h('td', { colspan: String(options.columns.length) }, options.empty)));
    }
    const caption = h('caption', { class: options.captionHidden ? 'visually-hidden' : null }, options.caption);
    this.table = h('table', { class: selectable ? 'list selectable' : 'list' }, caption, head, body);
    this.el = h('div', { class: 'table-wrap' }, this.table);
    const initial = options.selected ?? null;
    if (selectable) {
      if (initial !== null && this.#rows.has(initial)) this.select(initial, false);
      else this.#setTabStop(this.#rows.keys().next().value ?? null);
    }
  }

  get selected(): T | undefined {
    return this.#selected === null ? undefined : this.#rows.get(this.#selected)?.row;
  }

  /** The key of the row after `key` (else the one before it, else none): what to select once that row is gone. */
  keyAfter(key: string): string | null {
    const keys = [...this.#rows.keys()];
    const i = keys.indexOf(key);
    if (i < 0) return null;
    return keys[i + 1] ?? keys[i - 1] ?? null;
  }

  select(key: string | null, focus: boolean): void {
    for (const [k, { tr }] of this.#rows) tr.setAttribute('aria-selected', String(k === key));
    this.#selected = key !== null && this.#rows.has(key) ? key : null;
    this.#setTabStop(this.#selected ?? this.#rows.keys().next().value ?? null);
    if (focus && this.#selected !== null) this.#rows.get(this.#selected)!.tr.focus();
    this.options.onSelect?.(this.selected);
  }

  #setTabStop(key: string | null): void {
    for (const [k, { tr }] of this.#rows) tr.tabIndex = k === key ? 0 : -1;
  }

  #key(e: KeyboardEvent, key: string): void {
    const keys = [...this.#rows.keys()];
    const i = keys.indexOf(key);
    let next: string | undefined;
    switch (e.key) {
      case 'ArrowDown': next = keys[Math.min(i + 1, keys.length - 1)]; break;
      case 'ArrowUp': next = keys[Math.max(i - 1, 0)]; break;
      case 'Home': next = keys[0]; break;
      case 'End': next = keys[keys.length - 1]; break;
      case ' ': next = key; break;
      case 'Enter': {
        const r = this.#rows.get(key);
        if (r) {
          if (this.#selected !== key) this.select(key, true);
          this.options.onOpen?.(r.row);
        }
        e.preventDefault();
        return;
      }
      default: return;
    }
    e.preventDefault();
    if (next !== undefined) this.select(next, true);
  }
}
