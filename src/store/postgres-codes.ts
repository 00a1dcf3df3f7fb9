/** Client codes and SQLSTATE classes that mean PostgreSQL cannot be reached (not that a statement of ours failed). */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'STATEMENT_TIMEOUT']);

/** Whether an error code (postgres.js's or a SQLSTATE) says the server cannot be reached. */
export function unreachableCode(code: string): boolean {
  return UNREACHABLE.has(code) || code.startsWith('08') || code.startsWith('57P');
}

/** The slots of the flag the main thread and the store's worker share: the reply signal, and whether a guarded store is known down (1). */
export const REPLY_SLOT = 0;
export const DOWN_SLOT = 1;
