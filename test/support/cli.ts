// Support for the end-to-end tests: run the real CLI binary, make temp dirs, drive openssl
// (the independent peer), and build a small two-level test PKI with openssl.
import { spawnSync, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { storeArgs } from './postgres.js';

export { storeArgs, storeFor, testingPostgres } from './postgres.js';

/** Repository root (this file compiles to dist/test/support/cli.js). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'gatehouse');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  args: string[];
  json<T = any>(): T;
}

const tempDirs: string[] = [];

/** A fresh directory under os.tmpdir(). */
export function tmpDir(prefix = 'gh-e2e-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

/** A fresh, empty data directory for one test. */
export function dataDir(): string {
  return tmpDir('gh-data-');
}

process.on('exit', () => {
  if (process.env.GH_KEEP_TMP) return;
  for (const d of tempDirs) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      /* ignore */
    }
  }
});

/** The arguments for a data directory: `--data DIR`, and under GATEHOUSE_TEST_STORE=postgres its own schema's `--store URL`. */
function cliArgs(data: string, args: string[]): string[] {
  return [...args, '--data', data, ...storeArgs(data)];
}

/** Run `gatehouse ARGS --data DATA` and capture everything. Never throws. */
export function gh(data: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): RunResult {
  const full = cliArgs(data, args);
  const r = spawnSync(BIN, full, {
    encoding: 'utf8',
    input: opts.input ?? '',
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  const res: RunResult = {
    code: r.status,
    signal: r.signal,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    args: full,
    json<T>(): T {
      try {
        return JSON.parse(res.stdout) as T;
      } catch (e) {
        throw new Error(`stdout of 'gatehouse ${full.join(' ')}' is not JSON: ${res.stdout}\nstderr: ${res.stderr}`);
      }
    },
  };
  return res;
}

export function describeRun(r: RunResult): string {
  return `gatehouse ${r.args.join(' ')}\n  exit=${r.code} signal=${r.signal}\n  stdout=${r.stdout.slice(0, 2000)}\n  stderr=${r.stderr.slice(0, 2000)}`;
}

/** Run with --json, assert exit 0 and return parsed stdout. */
export function ghJson<T = any>(data: string, args: string[]): T {
  const r = gh(data, [...args, '--json']);
  assert.equal(r.code, 0, `expected success:\n${describeRun(r)}`);
  return r.json<T>();
}

/** Run expecting a user error: exit 1, exactly one stderr line with `(CODE)`, no stack trace. */
export function ghFail(data: string, args: string[], code: string, exit = 1): RunResult {
  const r = gh(data, args);
  assertCleanError(r, code, exit);
  return r;
}

/** `code` null: any GH_ code (for cases the contract names no code for). */
export function assertCleanError(r: RunResult, code: string | null, exit = 1): void {
  assert.equal(r.code, exit, `expected exit ${exit}:\n${describeRun(r)}`);
  const text = r.stderr.replace(/\r?\n$/, '');
  assert.ok(text.length > 0, `stderr is empty:\n${describeRun(r)}`);
  assert.ok(!text.includes('\n'), `stderr must be exactly one line:\n${describeRun(r)}`);
  assert.ok(!r.stderr.includes('    at '), `stack trace on stderr:\n${describeRun(r)}`);
  assert.match(text, /^error: .+ \(GH_[A-Z_]+\)$/, `stderr not of the form 'error: <message> (GH_CODE)':\n${describeRun(r)}`);
  if (code !== null) assert.ok(text.endsWith(`(${code})`), `expected ${code}:\n${describeRun(r)}`);
}

/** Start the CLI asynchronously (for kill tests). */
export function ghSpawn(data: string, args: string[]): ChildProcess {
  return spawn(BIN, cliArgs(data, args), { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The store's visible state through the CLI itself. */
export interface Snapshot {
  certs: { code: number | null; stdout: string };
  requests: { code: number | null; stdout: string };
  ca: { code: number | null; stdout: string };
  /** The audit log and the revision: a refused change writes neither. */
  audit: { code: number | null; stdout: string };
  revision: number;
}

export function storeSnapshot(data: string): Snapshot {
  const take = (args: string[]) => {
    const r = gh(data, [...args, '--json']);
    return { code: r.code, stdout: r.stdout };
  };
  const serve = gh(data, ['serve', '--once', '--json']);
  const revision = serve.code === 0 ? (JSON.parse(serve.stdout) as { revision: number }).revision : -1;
  return { certs: take(['cert', 'list']), requests: take(['request', 'list']), ca: take(['ca', 'show']), audit: take(['audit']), revision };
}

// ---------------------------------------------------------------------------------------------
// openssl

/** Run openssl, return stdout as text; throws with stderr on failure. */
export function openssl(args: string[], opts: { cwd?: string; input?: string | Buffer } = {}): string {
  return opensslBuf(args, opts).toString('utf8');
}

export function opensslBuf(args: string[], opts: { cwd?: string; input?: string | Buffer } = {}): Buffer {
  const r = spawnSync('openssl', args, { cwd: opts.cwd, input: opts.input ?? '', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    throw new Error(`openssl ${args.join(' ')} failed (${r.status}): ${r.stderr?.toString()}`);
  }
  return r.stdout;
}

/** Run openssl, return {code, out, err} without throwing. */
export function opensslTry(args: string[], opts: { cwd?: string } = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync('openssl', args, { cwd: opts.cwd, encoding: 'utf8' });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
}

/** Assert `openssl req -verify` accepts the CSR's self-signature. (OpenSSL 3.0 exits 0 even when the
 *  signature is bad, so the verdict is read from its output.) */
export function assertCsrVerifies(csrFile: string): void {
  const r = spawnSync('openssl', ['req', '-verify', '-noout', '-in', csrFile], { encoding: 'utf8' });
  const text = (r.stdout ?? '') + (r.stderr ?? '');
  assert.equal(r.status, 0, `openssl req -verify failed on ${csrFile}: ${text}`);
  assert.match(text, /verify OK/, `openssl req -verify on ${csrFile}: ${text}`);
  assert.doesNotMatch(text, /failure/i, `openssl req -verify on ${csrFile}: ${text}`);
}

/** SHA-1 thumbprint of a certificate file (PEM), upper-case hex without colons, as computed by openssl. */
export function opensslThumbprint(certFile: string, form: 'PEM' | 'DER' = 'PEM'): string {
  const out = openssl(['x509', '-in', certFile, '-inform', form, '-noout', '-fingerprint', '-sha1']);
  const m = /Fingerprint=([0-9A-Fa-f:]+)/.exec(out);
  assert.ok(m, `no fingerprint in ${out}`);
  return m[1]!.replace(/:/g, '').toUpperCase();
}

/** notAfter of a certificate as an ISO date (YYYY-MM-DD) and full Date. */
export function opensslNotAfter(certFile: string): Date {
  const out = openssl(['x509', '-in', certFile, '-noout', '-enddate', '-dateopt', 'iso_8601']);
  const m = /notAfter=(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})Z/.exec(out);
  assert.ok(m, `cannot parse ${out}`);
  return new Date(`${m[1]}T${m[2]}Z`);
}

export function opensslSerial(certFile: string): string {
  const out = openssl(['x509', '-in', certFile, '-noout', '-serial']);
  return out.trim().replace(/^serial=/, '').toUpperCase();
}

/** Subject fields (short names) of a CSR or certificate, e.g. {CN: 'x', O: 'y'}. */
export function subjectFields(file: string, kind: 'req' | 'x509'): Record<string, string> {
  const out = openssl([kind, '-in', file, '-noout', '-subject', '-nameopt', 'sep_multiline,sname,utf8,esc_ctrl']);
  const fields: Record<string, string> = {};
  for (const line of out.split('\n').slice(1)) {
    const m = /^\s+([A-Za-z]+)=(.*)$/.exec(line);
    if (m) fields[m[1]!] = m[2]!;
  }
  return fields;
}

/** SANs of a CSR or certificate as openssl prints them: "DNS:x", "IP Address:1.2.3.4". */
export function opensslSans(file: string, kind: 'req' | 'x509'): string[] {
  const text = openssl([kind, '-in', file, '-noout', '-text']);
  const m = /X509v3 Subject Alternative Name:[^\n]*\n\s*([^\n]*)/.exec(text);
  if (!m) return [];
  return m[1]!.split(',').map((s) => s.trim()).filter(Boolean);
}

/** Public key (SPKI PEM) of a certificate, as openssl extracts it. */
export function certPubkey(certFile: string): string {
  return openssl(['x509', '-in', certFile, '-noout', '-pubkey']).trim();
}

/** Public key (SPKI PEM) derived by openssl from a private key file. */
export function keyPubkey(keyFile: string, passin?: string): string {
  const args = ['pkey', '-in', keyFile, '-pubout'];
  if (passin) args.push('-passin', passin);
  return openssl(args).trim();
}

/** Split a PEM text into its blocks, with their labels. */
export function pemBlocks(text: string): { label: string; pem: string }[] {
  const re = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
  const out: { label: string; pem: string }[] = [];
  for (const m of text.matchAll(re)) out.push({ label: m[1]!, pem: m[0] + '\n' });
  return out;
}

export function writeText(file: string, text: string | Buffer): string {
  writeFileSync(file, text);
  return file;
}

export function readText(file: string): string {
  return readFileSync(file, 'utf8');
}

/** Write a password file (first line is the password). */
export function passwordFile(dir: string, password: string, name = 'pw.txt'): string {
  return writeText(join(dir, name), password + '\n');
}

// ---------------------------------------------------------------------------------------------
// A test PKI made entirely with openssl: root CA -> intermediate CA ("Contoso CA") -> leaves.

const OPENSSL_CNF = (dir: string) => `
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = placeholder
[ v3_root ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ v3_int ]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ v3_leaf ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
[ ca ]
default_ca = int_ca
[ int_ca ]
database = ${dir}/index.txt
serial = ${dir}/serial
new_certs_dir = ${dir}/newcerts
certificate = ${dir}/int.pem
private_key = ${dir}/int.key
default_md = sha256
policy = pol_any
copy_extensions = copy
unique_subject = no
preserve = yes
default_days = 365
x509_extensions = v3_leaf
[ pol_any ]
countryName = optional
stateOrProvinceName = optional
localityName = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied
emailAddress = optional
`;

export interface SignOptions {
  days?: number;
  /** openssl ca -startdate / -enddate, format YYYYMMDDHHMMSSZ */
  startdate?: string;
  enddate?: string;
  out?: string;
}

export class TestPki {
  readonly rootKey: string;
  readonly rootCert: string;
  readonly intKey: string;
  readonly intCert: string;
  readonly cnf: string;
  private n = 0;

  constructor(
    readonly dir: string,
    readonly rootCn: string,
    readonly intCn: string,
  ) {
    this.rootKey = join(dir, 'root.key');
    this.rootCert = join(dir, 'root.pem');
    this.intKey = join(dir, 'int.key');
    this.intCert = join(dir, 'int.pem');
    this.cnf = join(dir, 'openssl.cnf');
  }

  /** Make a root CA and an intermediate CA (EC P-256, fast) with openssl. */
  static create(opts: { rootCn?: string; intCn?: string; intO?: string } = {}): TestPki {
    const dir = tmpDir('gh-pki-');
    const pki = new TestPki(dir, opts.rootCn ?? 'Gatehouse Test Root', opts.intCn ?? 'Contoso CA');
    writeFileSync(pki.cnf, OPENSSL_CNF(dir));
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial'), '1000\n');
    mkdirSync(join(dir, 'newcerts'));
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    openssl(['req', '-config', pki.cnf, '-x509', ...ec, '-keyout', pki.rootKey, '-out', pki.rootCert,
      '-subj', `/CN=${pki.rootCn}/O=Gatehouse Tests`, '-days', '3650', '-extensions', 'v3_root']);
    const intCsr = join(dir, 'int.csr');
    const intSubj = opts.intO ? `/CN=${pki.intCn}/O=${opts.intO}` : `/CN=${pki.intCn}/O=Contoso`;
    openssl(['req', '-config', pki.cnf, '-new', ...ec, '-keyout', pki.intKey, '-out', intCsr, '-subj', intSubj]);
    openssl(['x509', '-req', '-in', intCsr, '-CA', pki.rootCert, '-CAkey', pki.rootKey, '-set_serial', '0x77',
      '-days', '3000', '-extfile', pki.cnf, '-extensions', 'v3_int', '-out', pki.intCert]);
    return pki;
  }

  /** Sign a CSR (PEM file) with the intermediate via `openssl ca`; returns the leaf PEM path. */
  sign(csrFile: string, opts: SignOptions = {}): string {
    const out = opts.out ?? join(this.dir, `leaf-${++this.n}.pem`);
    const args = ['ca', '-batch', '-config', this.cnf, '-notext', '-in', csrFile, '-out', out];
    if (opts.startdate) args.push('-startdate', opts.startdate);
    if (opts.enddate) args.push('-enddate', opts.enddate);
    if (!opts.enddate) args.push('-days', String(opts.days ?? 365));
    openssl(args);
    return out;
  }

  /** A key + CSR made by openssl itself (not by gatehouse). */
  opensslCsr(cn: string, opts: { sans?: string[]; ec?: boolean } = {}): { key: string; csr: string } {
    const i = ++this.n;
    const key = join(this.dir, `o-${i}.key`);
    const csr = join(this.dir, `o-${i}.csr`);
    const kargs = opts.ec === false
      ? ['-newkey', 'rsa:2048']
      : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
    const args = ['req', '-config', this.cnf, '-new', ...kargs, '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`];
    const sans = opts.sans ?? [cn];
    if (sans.length) args.push('-addext', 'subjectAltName=' + sans.map((s) => `DNS:${s}`).join(','));
    openssl(args);
    return { key, csr };
  }

  /** A self-contained leaf (key + cert signed by the intermediate), not from a gatehouse request. */
  leaf(cn: string, opts: SignOptions & { ec?: boolean } = {}): { key: string; cert: string } {
    const { key, csr } = this.opensslCsr(cn, { ec: opts.ec ?? true });
    const cert = this.sign(csr, opts);
    return { key, cert };
  }

  /** Text of intermediate + root PEMs. */
  chainPem(): string {
    return readText(this.intCert) + readText(this.rootCert);
  }
}

/** Today + n days as YYYY-MM-DD (UTC). */
export function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Sorted copy. */
export function sorted(a: readonly string[]): string[] {
  return [...a].sort();
}

export { join };

// ---------------------------------------------------------------------------------------------
// Sites, bindings and `gatehouse serve` (added for the serving-plane e2e tests)

/** Run the CLI without blocking the event loop (for tests that keep connections busy meanwhile). */
export function ghAsync(data: string, args: string[]): Promise<RunResult> {
  const full = cliArgs(data, args);
  return new Promise((resolvePromise) => {
    const child = spawn(BIN, full, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code, signal) => {
      const res: RunResult = {
        code, signal, stdout, stderr, args: full,
        json<T>(): T {
          return JSON.parse(res.stdout) as T;
        },
      };
      resolvePromise(res);
    });
  });
}

/** `storeSnapshot` plus the sites and the bindings: a refused site or binding change leaves all of it as it was. */
export interface SnapshotWithBindings extends Snapshot {
  sites: { code: number | null; stdout: string };
  bindings: { code: number | null; stdout: string };
}

export function snapshotWithBindings(data: string): SnapshotWithBindings {
  const take = (args: string[]) => {
    const r = gh(data, [...args, '--json']);
    return { code: r.code, stdout: r.stdout };
  };
  return { ...storeSnapshot(data), sites: take(['site', 'list']), bindings: take(['binding', 'list']) };
}

/** `n` distinct ports that were free a moment ago (listen on port 0, note it, close). */
export async function freePorts(n: number): Promise<number[]> {
  const { createServer } = await import('node:net');
  const servers: import('node:net').Server[] = [];
  const ports: number[] = [];
  try {
    while (ports.length < n) {
      const s = createServer();
      servers.push(s);
      await new Promise<void>((res, rej) => {
        s.once('error', rej);
        s.listen({ port: 0, host: '::', ipv6Only: false }, () => res());
      });
      const port = (s.address() as import('node:net').AddressInfo).port;
      if (!ports.includes(port)) ports.push(port);
    }
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((res) => s.close(() => res()))));
  }
  return ports;
}

/** A certificate for `cn` (and `sans`) from the internal CA (which must exist); returns its thumbprint. */
export function issueCert(data: string, cn: string, friendlyName: string, sans: string[] = []): string {
  const args = ['request', 'new', '--cn', cn, '--key', 'ecdsa-p256'];
  for (const s of sans) args.push('--san', s);
  const req = ghJson<{ id: number }>(data, args);
  const cert = ghJson<{ thumbprint: string }>(data, ['request', 'submit', String(req.id), '--ca', 'internal', '--friendly-name', friendlyName]);
  return cert.thumbprint;
}

/** A self-signed certificate (ECDSA P-256); returns its thumbprint. */
export function selfSignedCert(data: string, cn: string, friendlyName: string, extra: string[] = []): string {
  return ghJson<{ thumbprint: string }>(data, ['cert', 'self-signed', '--cn', cn, '--key', 'ecdsa-p256', '--friendly-name', friendlyName, ...extra]).thumbprint;
}

/** A running `gatehouse serve`: its stdout, waits on its log lines, and a stop that always ends it. */
export class ServeProcess {
  out = '';
  err = '';
  readonly child: ChildProcess;
  #listeners = new Set<() => void>();
  #exit: Promise<number | null>;

  /** `wrapper`: a command that runs serve in the same process (it execs), e.g. `prlimit --nofile=64:64`. */
  constructor(readonly data: string, extraArgs: string[] = [], wrapper: string[] = []) {
    // Its own process group, so that stop() can also end any process it started (workers).
    // Tests run side by side: the admin endpoint is off unless a test asks for one on its own port.
    const admin = extraArgs.includes('--admin') ? [] : ['--admin', 'off'];
    const [command, ...args] = [...wrapper, BIN, 'serve', '--data', data, ...storeArgs(data), ...admin, ...extraArgs];
    this.child = spawn(command!, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' }, detached: true });
    this.child.stdout!.on('data', (d: Buffer) => {
      this.out += d.toString();
      for (const l of [...this.#listeners]) l();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.err += d.toString();
      for (const l of [...this.#listeners]) l();
    });
    // 'exit', not 'close': processes it started may hold its stdout open after it has ended.
    this.#exit = new Promise((res) => this.child.on('exit', (c) => {
      for (const l of [...this.#listeners]) l();
      res(c);
    }));
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Waits until stdout matches `pattern` (bounded; fails with the log). */
  waitFor(pattern: RegExp, what: string, timeoutMs = 15_000): Promise<void> {
    return new Promise<void>((resolvePromise, reject) => {
      const check = () => {
        if (pattern.test(this.out)) {
          clearTimeout(limit);
          this.#listeners.delete(check);
          resolvePromise();
        } else if (this.exited) {
          clearTimeout(limit);
          this.#listeners.delete(check);
          reject(new Error(`serve exited (${this.child.exitCode ?? this.child.signalCode}) before it reported ${what}:\n${this.log()}`));
        }
      };
      const limit = setTimeout(() => {
        this.#listeners.delete(check);
        reject(new Error(`serve did not report ${what} within ${timeoutMs / 1000} s; it printed:\n${this.log()}`));
      }, timeoutMs);
      this.#listeners.add(check);
      check();
    });
  }

  log(): string {
    return `stdout:\n${this.out}\nstderr:\n${this.err}`;
  }

  /**
   * Waits until every serving process has logged "change applied" at `revision` or later. A
   * process is named by its log tag (`gatehouse:` when serve runs alone, `gatehouse[PID]:` for each
   * worker); the serving ones are those that logged a listener. With several processes, a client may
   * reach any of them, so a test asserts on a change only once all of them applied it.
   */
  waitApplied(revision: number, timeoutMs = 15_000): Promise<void> {
    const done = () => {
      const serving = new Set<string>();
      const applied = new Map<string, number>();
      for (const line of this.out.split('\n')) {
        const m = /\s(gatehouse(?:\[\d+\])?): (.*)$/.exec(line);
        if (!m) continue;
        const [, tag, text] = m as unknown as [string, string, string];
        if (/^(listening on|cannot listen on)/.test(text)) serving.add(tag);
        const r = /^change applied: .* at revision (\d+)/.exec(text);
        if (r) applied.set(tag, Math.max(applied.get(tag) ?? 0, Number(r[1])));
      }
      return serving.size > 0 && [...serving].every((t) => (applied.get(t) ?? 0) >= revision);
    };
    return new Promise<void>((resolvePromise, reject) => {
      const check = () => {
        if (done()) {
          clearTimeout(limit);
          this.#listeners.delete(check);
          resolvePromise();
        } else if (this.exited) {
          clearTimeout(limit);
          this.#listeners.delete(check);
          reject(new Error(`serve exited before it applied revision ${revision}:\n${this.log()}`));
        }
      };
      const limit = setTimeout(() => {
        this.#listeners.delete(check);
        reject(new Error(`not every serving process reported "change applied" at revision ${revision} within ${timeoutMs / 1000} s:\n${this.log()}`));
      }, timeoutMs);
      this.#listeners.add(check);
      check();
    });
  }

  /** Waits until the current revision of the store (read with `serve --once`) is applied everywhere. */
  async settle(): Promise<void> {
    await this.waitApplied(storeRevision(this.data));
  }

  /** SIGTERM, then SIGKILL if it has not ended within 10 s; returns the exit code (null when it had to be killed). */
  async stop(): Promise<number | null> {
    if (!this.exited) this.child.kill('SIGTERM');
    const killer = setTimeout(() => {
      try {
        process.kill(-this.child.pid!, 'SIGKILL');
      } catch {
        if (!this.exited) this.child.kill('SIGKILL');
      }
    }, 10_000);
    const code = await this.#exit;
    clearTimeout(killer);
    // Whatever it left behind in its process group goes too.
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      /* the group is already empty */
    }
    return code;
  }
}

/** Start `gatehouse serve` (with `extraArgs`) and wait until it listens on every `https|http *:PORT` given. */
export async function startServe(data: string, listening: string[] = [], extraArgs: string[] = []): Promise<ServeProcess> {
  const s = new ServeProcess(data, extraArgs);
  try {
    for (const l of listening) {
      const text = l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      await s.waitFor(new RegExp(`listening on ${text}(\\s|$)`, 'm'), `"listening on ${l}"`);
      // When serve runs worker processes, wait for each of them ("gatehouse[PID]: listening on ...").
      const workers = /serving with (\d+) worker process/.exec(s.out);
      if (workers) {
        const n = Number(workers[1]);
        const all = new RegExp(`(?:[\\s\\S]*?gatehouse\\[\\d+\\]: listening on ${text}(?:\\s|$)){${n}}`);
        await s.waitFor(all, `"listening on ${l}" from each of ${n} workers`);
      }
    }
  } catch (e) {
    await s.stop();
    throw e;
  }
  return s;
}

/** Polls `probe` until it returns true (bounded); fails with `what` and the last detail. */
export async function eventually(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 10_000, everyMs = 100): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await probe()) return;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`not true within ${timeoutMs / 1000} s: ${what}${last ? ` (last error: ${(last as Error).message ?? last})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface CurlResult {
  code: number | null;
  status: number;
  httpVersion: string;
  headers: Record<string, string>;
  body: string;
  stderr: string;
}

/**
 * curl as the HTTP peer: `args` are curl arguments (URL, --resolve, --cacert, ...). Returns the
 * status, the HTTP version, the headers (lower-case names) and the body.
 */
export function curl(args: string[]): CurlResult {
  const run = curlRun(args);
  const r = spawnSync('curl', run.argv, { encoding: 'utf8', timeout: 20_000 });
  return run.result(r.status, r.stdout ?? '', r.stderr ?? '');
}

/** Async curl (same result) for use while the test's event loop must keep running. */
export async function curlAsync(args: string[]): Promise<CurlResult> {
  const { execFile } = await import('node:child_process');
  const run = curlRun(args);
  return new Promise<CurlResult>((res) => {
    execFile('curl', run.argv, { encoding: 'utf8' }, (err, stdout, stderr) => {
      res(run.result(err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr));
    });
  });
}

/** curl's arguments (headers and body to temporary files) and the reader of what it left there. */
function curlRun(args: string[]): { argv: string[]; result: (code: number | null, stdout: string, stderr: string) => CurlResult } {
  const dir = tmpDir('gh-curl-');
  const headersFile = join(dir, 'h');
  const bodyFile = join(dir, 'b');
  const argv = ['-sS', '--max-time', '10', '-D', headersFile, '-o', bodyFile, '-w', '%{http_code} %{http_version}', ...args];
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  };
  const result = (code: number | null, stdout: string, stderr: string): CurlResult => {
    const [status, version] = stdout.trim().split(' ');
    const headers: Record<string, string> = {};
    for (const line of read(headersFile).split(/\r?\n/)) {
      // A new status line (after a 100 Continue or a redirect) starts a new header block.
      if (/^HTTP\//.test(line)) {
        for (const k of Object.keys(headers)) delete headers[k];
        continue;
      }
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const body = read(bodyFile);
    rmSync(dir, { recursive: true, force: true });
    return { code, status: Number(status ?? 0), httpVersion: version ?? '', headers, body, stderr };
  };
  return { argv, result };
}

export interface SClientResult {
  code: number | null;
  /** SHA-1 of the server certificate's DER, upper-case hex (as gatehouse thumbprints), or null. */
  thumbprint: string | null;
  /** "TLSv1.3", ... or '' */
  protocol: string;
  out: string;
  err: string;
}

/**
 * `openssl s_client` as the TLS peer: connects to host:port (127.0.0.1 unless given), with `-servername NAME` or,
 * for `servername` null, `-noservername`; returns the server certificate's thumbprint.
 */
export function sClient(port: number, servername: string | null, extra: string[] = [], host = '127.0.0.1'): SClientResult {
  const args = ['s_client', '-connect', `${host}:${port}`, ...(servername === null ? ['-noservername'] : ['-servername', servername]), ...extra];
  const r = spawnSync('openssl', args, { input: '', encoding: 'utf8', timeout: 15_000 });
  const out = r.stdout ?? '';
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(out);
  let thumbprint: string | null = null;
  if (pem) {
    const der = Buffer.from(pem[0].replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
    thumbprint = createHash('sha1').update(der).digest('hex').toUpperCase();
  }
  const proto = /Protocol\s*:\s*(\S+)/.exec(out) ?? /New, (TLSv[\d.]+)/.exec(out);
  return { code: r.status, thumbprint, protocol: proto ? proto[1]! : '', out, err: r.stderr ?? '' };
}

/** The store's revision as `serve --once --json` reports it (-1 when it cannot be read). */
export function storeRevision(data: string): number {
  const r = gh(data, ['serve', '--once', '--json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as { revision: number }).revision : -1;
}
