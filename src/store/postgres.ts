import { receiveMessageOnPort, MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { fail } from '../model/gatehouse-error.js';
import { opt } from '../model/wording.js';
import type { Db, SqlValue } from './database.js';
import type { Deadline, Reply, Request, WorkerSetup } from './postgres-worker.js';
import { DOWN_SLOT, REPLY_SLOT, unreachableCode } from './postgres-codes.js';

/** How long one statement may take before the store gives up on the worker (it has died or hangs). */
const STATEMENT_TIMEOUT_MS = 120_000;
/** The advisory lock every writing transaction takes: one writer at a time, as SQLite's write lock. */
export const WRITER_LOCK = 0x6761_7465; // "gate"
/**
 * Taking it: one lock per store — the key pair (WRITER_LOCK, the hash of the schema) — so stores in
 * other schemas of the same database (several farms, the tests) never wait for this one's writer
 * (a long `store copy` into one schema held every other schema's writers before).
 */
const TAKE_WRITER_LOCK = `SELECT pg_advisory_xact_lock(${WRITER_LOCK}, hashtext(COALESCE(current_schema(), '')))`;

/** A store URL: postgres://user:password@host:port/database[?schema=NAME]. */
export interface StoreUrl {
  /** The URL given to the client (without the `schema` parameter, which is ours). */
  url: string;
  schema: string | undefined;
  /** The URL to show: the password replaced by `***`. */
  shown: string;
}

/** True for a store URL that names PostgreSQL. */
export function isPostgresUrl(store: string): boolean {
  return /^postgres(ql)?:\/\//i.test(store);
}

/** Parses a PostgreSQL store URL; the password never appears in what it reports. */
export function parseStoreUrl(store: string): StoreUrl {
  let u: URL;
  try {
    u = new URL(store);
  } catch {
    throw fail('GH_USAGE', `The store ${redact(store)} is not a URL; give ${opt('store-url')} postgres://USER:PASSWORD@HOST:PORT/DATABASE (optionally ?schema=NAME).`);
  }
  if (!/^postgres(ql)?:$/i.test(u.protocol) || u.hostname === '' || u.pathname.length < 2) {
    throw fail('GH_USAGE', `The store ${redact(store)} is not a PostgreSQL URL; give ${opt('store-url')} postgres://USER:PASSWORD@HOST:PORT/DATABASE (optionally ?schema=NAME).`);
  }
  const schema = u.searchParams.get('schema') ?? undefined;
  if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw fail('GH_USAGE', `The schema "${schema}" in the store URL is not a plain PostgreSQL name (letters, digits and _, at most 63).`);
  }
  u.searchParams.delete('schema');
  const shown = new URL(u.href);
  if (shown.password !== '') shown.password = '***';
  return { url: u.href, schema, shown: `${shown.href}${schema ? `${shown.search ? '&' : '?'}schema=${schema}` : ''}` };
}

/** A store URL with its password (if any) replaced by `***`, for messages. */
export function redact(store: string): string {
  return store.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
}

/**
 * PostgreSQL behind the same synchronous Db as SQLite. A worker thread owns one postgres.js
 * connection; every statement is posted to it and the caller blocks (Atomics.wait) until the reply
 * is there: transactions stay plain synchronous functions, so nothing interleaves inside one. `?`
 * placeholders become $1..$n (once per SQL text); rows are plain objects, bytea Buffers, 64-bit
 * integers and numerics numbers. An IMMEDIATE transaction takes one advisory lock first (one writer
 * at a time, as SQLite); a DEFERRED one is REPEATABLE READ (one snapshot for a consistent read).
 */
export class PostgresDb implements Db {
  readonly engine = 'postgres';
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #signal: Int32Array;
  readonly #texts = new Map<string, string>();
  #depth = 0;
  /** The outermost transaction holds the writers' lock (IMMEDIATE, or a DEFERRED one that went on to write). */
  #writer = false;
  #closed = false;
  #sequence = 0;
  /** A serving process's store (see `guard`): how long a call may take, and whether to fail fast while it is down. */
  #guard: { callMs: number } | undefined;
  /** A shorter deadline for the calls inside `within`. */
  #within: number | undefined;

  constructor(readonly target: StoreUrl) {
    const flag = new SharedArrayBuffer(8);
    this.#signal = new Int32Array(flag);
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    const setup: WorkerSetup = { url: target.url, schema: target.schema, flag, port: port2 };
    this.#worker = new Worker(new URL('./postgres-worker.js', import.meta.url), { workerData: setup, transferList: [port2] });
    this.#worker.unref();
    this.#port.unref();
  }

  /**
   * Makes this a serving process's store, which must never keep its event loop blocked for long on a
   * PostgreSQL that does not answer (packets dropped: no refusal, only silence). Each call gives up
   * after `callMs`; after a give-up or a lost connection the store is marked down, and every call
   * fails at once with GH_STORE_UNAVAILABLE — the event loop goes on serving what it has — while the
   * worker thread probes the server in the background; the first answer marks it up again.
   */
  guard(callMs: number): void {
    this.#guard = { callMs };
  }

  /** Whether a guarded store is known down (its worker is probing it). */
  get down(): boolean {
    return this.#guard !== undefined && Atomics.load(this.#signal, DOWN_SLOT) === 1;
  }

  /**
   * Runs `fn` with every call in it giving up after `ms` instead of the store's deadline: shorter for
   * a heartbeat or a poll (small statements that must not hold a serving process), longer for the read
   * of a revision. Nested, the shorter wins.
   */
  within<T>(ms: number, fn: () => T): T {
    const outer = this.#within;
    this.#within = Math.min(ms, outer ?? ms);
    try {
      return fn();
    } finally {
      this.#within = outer;
    }
  }

  get<T>(sql: string, ...args: SqlValue[]): T | undefined {
    return this.#query(sql, args).rows[0] as T | undefined;
  }

  all<T>(sql: string, ...args: SqlValue[]): T[] {
    return this.#query(sql, args).rows as T[];
  }

  run(sql: string, ...args: SqlValue[]): { changes: number } {
    return { changes: this.#query(sql, args).count };
  }

  exec(sql: string): void {
    this.#call({ op: 'exec', sql });
  }

  transaction<T>(mode: 'immediate' | 'deferred', fn: () => T): T {
    const nested = this.#depth > 0;
    const savepoint = `sp${this.#depth}`;
    if (nested) {
      // A write inside a read: take the writers' lock now (as SQLite upgrades its lock).
      const lock = mode === 'immediate' && !this.#writer ? `; ${this.#lockWait()}${TAKE_WRITER_LOCK}` : '';
      this.#call({ op: 'exec', sql: `SAVEPOINT ${savepoint}${lock}` });
      if (lock) this.#writer = true;
    } else {
      try {
        this.#call({ op: 'begin', sql: mode === 'immediate' ? `BEGIN; ${this.#lockWait()}${TAKE_WRITER_LOCK}` : 'BEGIN ISOLATION LEVEL REPEATABLE READ' });
      } catch (e) {
        // BEGIN went through and the lock did not (its timeout): end that transaction, or the connection stays in it.
        this.#rollback(false, savepoint);
        throw e;
      }
      this.#writer = mode === 'immediate';
    }
    this.#depth++;
    let result: T;
    try {
      result = fn();
      if (result instanceof Promise) throw new Error('a store transaction must not be asynchronous');
    } catch (e) {
      this.#depth--;
      this.#rollback(nested, savepoint);
      throw e;
    }
    this.#depth--;
    try {
      if (nested) this.#call({ op: 'exec', sql: `RELEASE SAVEPOINT ${savepoint}` });
      else {
        this.#writer = false;
        this.#call({ op: 'commit', sql: 'COMMIT' });
      }
    } catch (e) {
      this.#rollback(nested, savepoint);
      throw e;
    }
    return result;
  }

  /**
   * A guarded store's writer waits for the writers' lock less than its call deadline: a busy lock
   * (another process's long change) is then PostgreSQL's lock timeout (55P03, "try again"), not a
   * give-up that would take a live server for a silent one.
   */
  #lockWait(): string {
    const ms = this.#within ?? this.#guard?.callMs;
    return ms === undefined ? '' : `SET LOCAL lock_timeout = ${Math.max(100, Math.floor(ms * 0.8))}; `;
  }

  #rollback(nested: boolean, savepoint: string): void {
    try {
      if (nested) this.#call({ op: 'exec', sql: `ROLLBACK TO SAVEPOINT ${savepoint}; RELEASE SAVEPOINT ${savepoint}` });
      else {
        this.#writer = false;
        this.#call({ op: 'rollback', sql: 'ROLLBACK' });
      }
    } catch {
      // The connection may be gone (and the transaction with it): the original error is the one to report.
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#call({ op: 'close' });
    } catch {
      // closing anyway
    }
    void this.#worker.terminate();
  }

  #query(sql: string, args: SqlValue[]): { rows: Record<string, unknown>[]; count: number } {
    let text = this.#texts.get(sql);
    if (text === undefined) {
      text = numberedPlaceholders(sql);
      this.#texts.set(sql, text);
    }
    const reply = this.#call({ op: 'query', sql: text, params: args });
    for (const row of reply.rows) {
      for (const k in row) {
        const v = row[k];
        if (v instanceof Uint8Array && !Buffer.isBuffer(v)) row[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      }
    }
    return reply;
  }

  #call(req: Request): Extract<Reply, { ok: true }> {
    if (this.#closed && req.op !== 'close') throw new Error('the PostgreSQL store is closed');
    // A guarded store known down fails at once (a rollback still goes through: the worker answers it at once).
    if (req.op !== 'rollback' && req.op !== 'close' && this.down) {
      throw fail('GH_STORE_UNAVAILABLE', `PostgreSQL at ${this.target.shown} did not answer the last request; this process goes on without it and tries again in the background. Check that the server is running and reachable.`);
    }
    const id = ++this.#sequence;
    const timeoutMs = this.#within ?? this.#guard?.callMs ?? STATEMENT_TIMEOUT_MS;
    const deadline: Deadline = { timeoutMs, guarded: this.#guard !== undefined };
    // The worker gives up first (and drops the connection); this wait is the backstop for a worker that hangs.
    const until = Date.now() + timeoutMs + 2_000;
    Atomics.store(this.#signal, REPLY_SLOT, 0);
    this.#port.postMessage({ id, req, deadline });
    let message: { message: { id: number; reply: Reply } } | undefined;
    // The reply to this request (a late one to a request that timed out before is dropped).
    while (Date.now() < until) {
      Atomics.wait(this.#signal, REPLY_SLOT, 0, until - Date.now());
      Atomics.store(this.#signal, REPLY_SLOT, 0);
      while ((message = receiveMessageOnPort(this.#port)) !== undefined && message.message.id !== id);
      if (message) break;
    }
    if (message === undefined) {
      throw fail('GH_STORE_UNAVAILABLE', `PostgreSQL at ${this.target.shown} did not answer within ${Math.round(timeoutMs / 1000)} s. Check that the server is running and reachable, then try again.`);
    }
    const reply = message.message.reply;
    if (!reply.ok) throw pgError(reply.error, this.target.shown);
    return reply;
  }
}

/** SQLite's `?` placeholders as PostgreSQL's $1..$n (none inside quotes or comments). */
export function numberedPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end < 0 ? sql.length : end;
      out += sql.slice(i, stop + 1);
      i = stop;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === '?') out += `$${++n}`;
    else out += c;
  }
  return out;
}

/** A PostgreSQL (or connection) error as Gatehouse's (exported for its unit test): unreachable or refused → GH_STORE_UNAVAILABLE (naming the URL without its password). */
export function pgError(e: { message: string; code: string | undefined }, shown: string): Error {
  const code = e.code ?? '';
  const message = e.message.replace(/(:\/\/[^:/@]*:)[^@/]*@/g, '$1***@');
  if (unreachableCode(code)) {
    return fail('GH_STORE_UNAVAILABLE', `PostgreSQL at ${shown} cannot be reached (${message}). Check that the server is running and the host and port in ${opt('store-url')}, then try again.`);
  }
  if (code.startsWith('28') || code === '3D000' || code === '42501' || code === '3F000') {
    return fail('GH_STORE_UNAVAILABLE', `PostgreSQL at ${shown} refused the connection (${message}). Check the user, password, database and schema in ${opt('store-url')}.`);
  }
  if (code === '55P03') {
    return fail('GH_STORE_UNAVAILABLE', `Another Gatehouse process has held the write lock of the store at ${shown} too long (60 s for a command, less in a serving process), so this change was not made; nothing was changed. Try again when it has finished.`);
  }
  if (code === '53100') {
    return fail('GH_STORE_FULL', 'The PostgreSQL server is out of disk space, so Gatehouse could not write to its database; nothing was changed. Free some space on the server and try again.');
  }
  return Object.assign(new Error(`PostgreSQL: ${message}`), { code });
}

/**
 * The migrations' SQL for PostgreSQL: the few words SQLite and PostgreSQL spell differently. A
 * generated `INTEGER PRIMARY KEY` (SQLite's rowid) becomes an identity column; BLOB is BYTEA; the
 * column named `user` (a reserved word in PostgreSQL) is quoted.
 */
export function forPostgres(sql: string): string {
  return sql
    .replace(/\b(\w+)\s+INTEGER\s+PRIMARY KEY(\s+AUTOINCREMENT)?\b(?!\s+CHECK)/g, '$1 INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY')
    .replace(/\bBLOB\b/g, 'BYTEA')
    .replace(/\buser(\s+TEXT)/g, '"user"$1')
    .replace(/\(user\)/g, '("user")');
}
