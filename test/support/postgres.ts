// A PostgreSQL cluster of the tests' own: Debian's postgresql (installed by scripts/test-deps.sh when
// missing), initdb'd in a temporary directory and started on a free 127.0.0.1 port as the
// `postgres` user when the tests run as root — never the machine's default cluster. Stopped at exit.
import { spawnSync, execFileSync } from 'node:child_process';
import { chownSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { openDatabase, type Db } from '../../src/store/database.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The password of the cluster's `gatehouse` user (a test secret: tests check it is never printed). */
export const PG_PASSWORD = 'pg-Secret-4711';

export interface Cluster {
  /** postgres://gatehouse:PASSWORD@127.0.0.1:PORT/gatehouse */
  url: string;
  port: number;
  dir: string;
  /** Stops the cluster and removes its directory (also run at exit). */
  stop(): void;
  /** `pg_ctl stop -m fast`: the server goes away, its data stays; `resume()` starts it again on the same port. */
  halt(): void;
  resume(): void;
}

/** Debian's PostgreSQL programs (the newest version installed), installing the package when missing. */
export function postgresBin(): string {
  const find = () => {
    const base = '/usr/lib/postgresql';
    const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
    return versions.length ? join(base, versions[0]!, 'bin') : undefined;
  };
  let bin = find();
  if (!bin) {
    execFileSync('sh', [join(ROOT, 'scripts', 'test-deps.sh')], { stdio: 'inherit' });
    bin = find();
  }
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  return bin;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts a fresh cluster; `stop()` (also run at exit) stops it and removes its directory. */
export async function startCluster(): Promise<Cluster> {
  const bin = postgresBin();
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'gh-pg-'));
  const data = join(dir, 'data');
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, `${PG_PASSWORD}\n`, { mode: 0o600 });
  if (root) {
    const ids = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
    const gid = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim();
    chownSync(dir, Number(ids), Number(gid));
    chownSync(pwfile, Number(ids), Number(gid));
  }
  const as = (cmd: string, args: string[]) => {
    const [c, a] = root ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]] : [join(bin, cmd), args];
    const r = spawnSync(c, a as string[], { encoding: 'utf8', cwd: dir });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}${r.stdout}`);
  };
  as('initdb', ['-D', data, '-U', 'gatehouse', `--pwfile=${pwfile}`, '--auth=scram-sha-256', '--no-locale', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const resume = () => as('pg_ctl', ['start', '-w', '-D', data, '-l', join(dir, 'log'), '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`]);
  resume();
  const halt = () => as('pg_ctl', ['stop', '-w', '-D', data, '-m', 'fast']);
  const stop = () => {
    try {
      as('pg_ctl', ['stop', '-D', data, '-m', 'immediate']);
    } catch {
      /* already stopped */
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', stop);
  return { url: `postgres://gatehouse:${PG_PASSWORD}@127.0.0.1:${port}/postgres`, port, dir, stop, halt, resume };
}

/** True when the tests run against PostgreSQL (GATEHOUSE_TEST_STORE=postgres). */
export function testingPostgres(): boolean {
  return process.env.GATEHOUSE_TEST_STORE === 'postgres';
}

/**
 * The store URL for a test's data directory: its own schema in the run's cluster
 * ($GATEHOUSE_TEST_PG_URL, set by scripts/run-tests.mjs), or undefined on SQLite.
 */
export function storeFor(data: string): string | undefined {
  if (!testingPostgres()) return undefined;
  const url = process.env.GATEHOUSE_TEST_PG_URL;
  if (!url) throw new Error('GATEHOUSE_TEST_STORE=postgres needs GATEHOUSE_TEST_PG_URL (npm run test:postgres starts a cluster and sets it)');
  return `${url}?schema=${schemaFor(data)}`;
}

/** A schema name from a data directory's path: unique per temporary directory. */
export function schemaFor(data: string): string {
  return `t_${basename(data).replace(/[^A-Za-z0-9_]/g, '_').slice(0, 40)}_${createHash('sha256').update(resolve(data)).digest('hex').slice(0, 12)}`;
}

/** `--store-url URL` for a data directory under GATEHOUSE_TEST_STORE=postgres; nothing on SQLite. */
export function storeArgs(data: string): string[] {
  const s = storeFor(data);
  return s === undefined ? [] : ['--store-url', s];
}

/**
 * Every byte the store keeps, for tests that look for a secret in it: the SQLite file (and its WAL)
 * in the data directory, or on PostgreSQL a pg_dump of the test's schema.
 */
export function storeBytes(data: string): Buffer {
  const store = storeFor(data);
  if (store === undefined) {
    return Buffer.concat(readdirSync(data).filter((n) => n.startsWith('gatehouse.db')).map((n) => readFileSync(join(data, n))));
  }
  const u = new URL(store);
  const r = spawnSync(join(postgresBin(), 'pg_dump'), ['-h', u.hostname, '-p', u.port, '-U', decodeURIComponent(u.username), '-n', `"${u.searchParams.get('schema')!}"`, '-d', u.pathname.slice(1)],
    { env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) }, maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`pg_dump failed: ${r.stderr.toString()}`);
  // bytea is dumped as hex text: its bytes are added as they are stored, so a search finds them.
  const blobs = [...r.stdout.toString('latin1').matchAll(/\\\\x([0-9a-f]+)/g)].map((m) => Buffer.from(m[1]!, 'hex'));
  return Buffer.concat([r.stdout, ...blobs]);
}

/** The store's database itself (either engine), for tests that change it behind Gatehouse's back. */
export function withStoreDb<T>(data: string, fn: (db: Db) => T): T {
  const db = openDatabase(data, { store: storeFor(data) });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/**
 * Copies a test's store to another data directory: the directory itself (master key, logs) and,
 * on PostgreSQL, the schema (pg_dump of the source's schema, renamed, into the target's).
 */
export function copyStore(source: string, target: string): void {
  cpSync(source, target, { recursive: true });
  const from = storeFor(source);
  if (from === undefined) return;
  const u = new URL(from);
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(u.password) };
  const conn = ['-h', u.hostname, '-p', u.port, '-U', decodeURIComponent(u.username), '-d', u.pathname.slice(1)];
  const schema = schemaFor(source);
  const dump = spawnSync(join(postgresBin(), 'pg_dump'), [...conn, '-n', `"${schema}"`, '--no-owner'], { env, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' });
  if (dump.status !== 0) throw new Error(`pg_dump failed: ${dump.stderr}`);
  const load = spawnSync(join(postgresBin(), 'psql'), [...conn, '-q', '-v', 'ON_ERROR_STOP=1'], { env, input: dump.stdout.split(schema).join(schemaFor(target)), encoding: 'utf8' });
  if (load.status !== 0) throw new Error(`psql failed: ${load.stderr}`);
}
