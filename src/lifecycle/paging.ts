import { fail } from '../model/gatehouse-error.js';

/** One page of a listing, as the CLI, the API and the console get it. */
export interface Page<T> {
  items: T[];
  /** How many match the filter in all pages. */
  total: number;
  /** The cursor of the next page; null on the last. */
  next: string | null;
}

/** The most rows one page may hold (the API, the CLI and the console ask for fewer). */
export const MAX_PAGE = 1000;

/** A page size, checked: a whole number from 1 to MAX_PAGE. */
export function pageLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw fail('GH_PAGE_INVALID', `A page holds from 1 to ${MAX_PAGE} rows; got ${limit}.`);
  return limit;
}

/** The cursor after a row: its sort key, opaque to the caller (base64url of JSON). */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** The sort key a cursor names; GH_PAGE_INVALID when it is not one `encodeCursor` made for this listing. */
export function decodeCursor(cursor: string, length: number): Array<string | number> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== length || !key.every((k) => typeof k === 'string' || typeof k === 'number')) {
    throw fail('GH_PAGE_INVALID', 'The cursor is not one this listing gave: ask for the first page again (without a cursor) and follow the "next" cursor of each page.');
  }
  return key as Array<string | number>;
}
