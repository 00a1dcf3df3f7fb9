import type { SqlValue } from './database.js';

/** One page of a listing: its rows, how many rows the filter matches in all, and whether more follow. */
export interface StorePage<T> {
  rows: T[];
  total: number;
  more: boolean;
}

/**
 * The condition "after this row" for a listing ordered by `columns` (ascending): keyset paging, so a
 * row is listed exactly once across pages even while rows are added or removed between them (an
 * offset would repeat or skip rows). Portable SQL: nested OR/AND, no row values.
 */
export function keysetAfter(columns: readonly string[], values: readonly SqlValue[]): { sql: string; args: SqlValue[] } {
  const parts: string[] = [];
  const args: SqlValue[] = [];
  for (let i = 0; i < columns.length; i++) {
    const equal = columns.slice(0, i).map((c) => `${c} = ?`);
    parts.push(`(${[...equal, `${columns[i]} > ?`].join(' AND ')})`);
    args.push(...values.slice(0, i), values[i]!);
  }
  return { sql: `(${parts.join(' OR ')})`, args };
}

/** `lower(x) LIKE lower(?)` text for "contains", with LIKE's wildcards in the search taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
