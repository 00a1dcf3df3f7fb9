import type { FastifyReply } from 'fastify';

/** Rows per page when a listing is asked for a page without a limit. */
export const DEFAULT_PAGE = 100;

/** Says how many rows match in all (X-Total-Count) and where the next page starts (X-Next-Cursor; absent on the last page). */
export function pageHeaders(reply: FastifyReply, page: { total: number; next: string | null }): void {
  reply.header('x-total-count', String(page.total));
  if (page.next !== null) reply.header('x-next-cursor', page.next);
}
