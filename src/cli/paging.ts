import { int, str, type Values } from './command.js';

/** Rows a text listing on a terminal shows before it says how to see more (`--all`: every one). */
export const TERMINAL_PAGE = 100;

/** The flags of a listing that pages (cert list, site list, binding list); `name` says what --name matches. */
export function pageFlags(name: string): Array<[string, string]> {
  return [
    ['--name TEXT', `only those whose ${name} contains TEXT (any case); one page`],
    ['--limit N', `one page of at most N (1 to 1000; default ${TERMINAL_PAGE} when a page is asked for); with --json: {items, total, next}`],
    ['--cursor CURSOR', 'the page after the one that printed this cursor (its "next")'],
    ['--all', 'every one, even on a terminal'],
  ];
}

export const PAGE_OPTIONS = { name: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' }, all: { type: 'boolean' } } as const;

/**
 * How a listing prints: every row (piped, --json, --all) unless a page is asked for (--limit,
 * --cursor, --name, or `more` filters); on a terminal the first TERMINAL_PAGE rows of the text.
 */
export function listing(values: Values, more: string[] = []): { paged: boolean; asked: boolean; limit: number; cursor: string | undefined; name: string | undefined } {
  const asked = ['limit', 'cursor', 'name', ...more].some((k) => values[k] !== undefined);
  const terminal = values.json !== true && values.all !== true && process.stdout.isTTY === true;
  return { paged: asked || terminal, asked, limit: int(values, 'limit') ?? TERMINAL_PAGE, cursor: str(values, 'cursor'), name: str(values, 'name') };
}

/** The line under a page that is not the last: how many were shown of how many, and the next cursor. */
export function pageFooter(page: { items: unknown[]; total: number; next: string | null }, asked: boolean): string {
  return page.next === null ? '' : `\n${page.items.length} of ${page.total} shown. The next page: --cursor ${page.next}${asked ? '' : ' (or --all for every one)'}`;
}
