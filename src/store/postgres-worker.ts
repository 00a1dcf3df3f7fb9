// The worker thread behind PostgresDb: it owns the one postgres.js connection and answers the main
// thread's statements one at a time. The main thread blocks on the shared flag (Atomics.wait) until
// the reply is posted, then takes it with receiveMessageOnPort: a synchronous facade over an
// asynchronous client (the technique of `synckit`).
import { workerData, type MessagePort } from 'node:worker_threads';
import postgres from 'postgres';
import { DOWN_SLOT, REPLY_SLOT, unreachableCode } from './postgres-codes.js';

export interface WorkerSetup {
  url: string;
  schema: string | undefined;
  flag: SharedArrayBuffer;
  port: MessagePort;
}

export type Request =
  | { op: 'query'; sql: string; params: unknown[] }
  | { op: 'exec'; sql: string }
  | { op: 'begin' | 'commit' | 'rollback'; sql: string }
  | { op: 'close' };

/**
 * How one request is to be answered: `timeoutMs` — give up after this long (the connection is
 * dropped and made again, as after a loss); `guarded` — a serving process's store: after such a
 * give-up (or a lost connection) the worker marks the store down in the shared flag and probes it in
 * the background until it answers again, and the main thread fails fast meanwhile (PostgresDb).
 */
export interface Deadline {
  timeoutMs: number;
  guarded: boolean;
}

export type Reply =
  | { ok: true; rows: Record<string, unknown>[]; count: number }
  | { ok: false; error: { message: string; code: string | undefined; constraint: string | undefined; severity: string | undefined } };

const { url, schema, flag, port } = workerData as WorkerSetup;
const signal = new Int32Array(flag);
/** A guarded store's probe while it is down: the first wait between attempts, and the longest. */
const PROBE_FIRST_MS = 250;
const PROBE_MAX_MS = 2_000;

/** PostgreSQL's 64-bit integers, numerics and booleans read the way SQLite's are: numbers (0/1 for a truth value). */
const number = (to: number) => ({ to, from: [to], serialize: (x: unknown) => String(x), parse: (x: string) => Number(x) });
/** Which client is the current one: a dropped client's late `onclose` must not mark the next one's transaction broken. */
let generation = 0;
const connect = (mine = ++generation) => postgres(url, {
  max: 1,
  prepare: true,
  fetch_types: false,
  connect_timeout: 10,
  // No wait before reconnecting after a failed attempt: the caller is blocked (Atomics.wait) for it,
  // and postgres.js's default backoff grows to 20 s — a serving process polling a stopped server
  // would stop answering handshakes that long. Callers pace their own retries (the poll, a command).
  backoff: () => 0,
  idle_timeout: 0,
  onnotice: () => {},
  // A writer waits for the writers' lock at most this long (SQLite's busy timeout is 10 s), then fails cleanly.
  connection: { application_name: 'gatehouse', lock_timeout: 60_000, ...(schema ? { search_path: quoteIdent(schema) } : {}) },
  types: {
    int8: number(20),
    numeric: number(1700),
    bool: { to: 16, from: [16], serialize: (x: unknown) => (x ? 't' : 'f'), parse: (x: string) => (x === 't' ? 1 : 0) },
  },
  onclose: () => {
    // A connection lost inside a transaction: what it wrote is gone with it, so the statements that
    // follow must not run on the next connection as if nothing happened (they fail until the rollback).
    if (inTransaction && mine === generation) broken = true;
  },
});
let sql = connect();

let inTransaction = false;
let broken = false;
let schemaReady = schema === undefined;

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The schema named in the URL, made on first use (two processes may race to make it: the loser finds it made). */
async function ensureSchema(): Promise<void> {
  if (schemaReady) return;
  try {
    await sql.unsafe(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema!)}`);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== '23505' && code !== '42P06') throw e;
  }
  schemaReady = true;
}

/** A request not answered in time: a connection that does not answer (packets dropped) is dropped and made again. */
class GaveUp extends Error {
  readonly code = 'STATEMENT_TIMEOUT';
}

let probing = false;

/**
 * Drops the connection (a statement on it did not come back; whatever it was doing is lost, as
 * after a loss) and starts a new client. A guarded store is marked down and probed — asynchronously,
 * nothing waits for it — until it answers; then it is marked up again.
 */
function giveUp(guarded: boolean): void {
  if (inTransaction) broken = true;
  inTransaction = false;
  const old = sql;
  sql = connect();
  void old.end({ timeout: 0 }).catch(() => {});
  if (guarded) markDown();
}

function markDown(): void {
  Atomics.store(signal, DOWN_SLOT, 1);
  if (probing) return;
  probing = true;
  void (async () => {
    let wait = PROBE_FIRST_MS;
    for (;;) {
      try {
        await sql.unsafe('SELECT 1').simple();
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, wait));
        wait = Math.min(wait * 2, PROBE_MAX_MS);
      }
    }
    probing = false;
    Atomics.store(signal, DOWN_SLOT, 0);
  })();
}

async function answer(req: Request, deadline: Deadline | undefined): Promise<Reply> {
  if (deadline === undefined || req.op === 'close') return run(req);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new GaveUp(`no answer within ${deadline.timeoutMs / 1000} s`)), deadline.timeoutMs);
  });
  try {
    return await Promise.race([run(req), late]);
  } catch (e) {
    if (e instanceof GaveUp) giveUp(deadline.guarded);
    else if (deadline.guarded && isUnreachable(e)) markDown();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** A failure that says the server cannot be reached (not one a statement of ours caused). */
function isUnreachable(e: unknown): boolean {
  return unreachableCode(String((e as { code?: string })?.code ?? ''));
}

async function run(req: Request): Promise<Reply> {
  if (req.op === 'close') {
    await sql.end({ timeout: 1 });
    return { ok: true, rows: [], count: 0 };
  }
  if (broken) {
    if (req.op === 'rollback') {
      broken = false;
      inTransaction = false;
      return { ok: true, rows: [], count: 0 };
    }
    throw Object.assign(new Error('the connection to PostgreSQL was lost in the middle of a transaction; nothing of it was written'), { code: 'CONNECTION_CLOSED' });
  }
  // Nothing to roll back (the connection was dropped and the transaction with it, see giveUp).
  if (req.op === 'rollback' && !inTransaction) return { ok: true, rows: [], count: 0 };
  await ensureSchema();
  if (req.op === 'query') {
    const params = req.params.map((p) => (p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : p));
    const result = await sql.unsafe(req.sql, params as postgres.ParameterOrJSON<never>[], { prepare: true });
    return { ok: true, rows: [...result] as Record<string, unknown>[], count: result.count ?? 0 };
  }
  if (req.op === 'exec') {
    await sql.unsafe(req.sql).simple();
    return { ok: true, rows: [], count: 0 };
  }
  // begin / commit / rollback
  try {
    await sql.unsafe(req.sql).simple();
  } finally {
    inTransaction = req.op === 'begin';
  }
  return { ok: true, rows: [], count: 0 };
}

port.on('message', ({ id, req, deadline }: { id: number; req: Request; deadline?: Deadline }) => {
  answer(req, deadline).then((reply) => reply, (e: unknown) => {
    const err = e as { message?: string; code?: string; constraint_name?: string; severity?: string; errno?: string };
    return { ok: false, error: { message: String(err?.message ?? e), code: err?.code, constraint: err?.constraint_name, severity: err?.severity } } satisfies Reply;
  }).then((reply) => {
    port.postMessage({ id, reply });
    Atomics.store(signal, REPLY_SLOT, 1);
    Atomics.notify(signal, REPLY_SLOT);
    if (req.op === 'close') port.close();
  });
});
