// The worker thread behind PostgresDb: it owns the one postgres.js connection and answers the main
// thread's statements one at a time. The main thread blocks on the shared flag (Atomics.wait) until
// the reply is posted, then takes it with receiveMessageOnPort: a synchronous facade over an
// asynchronous client (the technique of `synckit`).
import { workerData, type MessagePort } from 'node:worker_threads';
import postgres from 'postgres';

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

export type Reply =
  | { ok: true; rows: Record<string, unknown>[]; count: number }
  | { ok: false; error: { message: string; code: string | undefined; constraint: string | undefined; severity: string | undefined } };

const { url, schema, flag, port } = workerData as WorkerSetup;
const signal = new Int32Array(flag);

/** PostgreSQL's 64-bit integers, numerics and booleans read the way SQLite's are: numbers (0/1 for a truth value). */
const number = (to: number) => ({ to, from: [to], serialize: (x: unknown) => String(x), parse: (x: string) => Number(x) });
const sql = postgres(url, {
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
    if (inTransaction) broken = true;
  },
});

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

async function answer(req: Request): Promise<Reply> {
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

port.on('message', ({ id, req }: { id: number; req: Request }) => {
  answer(req).then((reply) => reply, (e: unknown) => {
    const err = e as { message?: string; code?: string; constraint_name?: string; severity?: string; errno?: string };
    return { ok: false, error: { message: String(err?.message ?? e), code: err?.code, constraint: err?.constraint_name, severity: err?.severity } } satisfies Reply;
  }).then((reply) => {
    port.postMessage({ id, reply });
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
    if (req.op === 'close') port.close();
  });
});
