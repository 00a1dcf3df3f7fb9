import { request as httpsRequest } from 'node:https';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts, gh, ghJson, ServeProcess, tmpDir } from './cli.js';

export const ADMIN_CERT_NAME = 'Gatehouse admin endpoint (self-signed)';
export const PASSWORD = 'correct horse battery staple';

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  /** The parsed JSON answer (problem documents included); undefined when the answer is not JSON. */
  json: any;
}

export interface CallOptions {
  token?: string;
  /** A console session: the cookie and (for changes) its CSRF token. */
  session?: Session;
  /** Leave the CSRF header out even with a session (to prove it is required). */
  omitCsrf?: boolean;
  /** JSON body; or `raw` to send bytes as they are. */
  body?: unknown;
  raw?: string | Buffer;
  headers?: Record<string, string>;
}

export interface Session {
  cookie: string;
  csrfToken: string;
  user: string;
  role: string;
}

/** A running `gatehouse serve` with its admin endpoint on a free port, and an HTTPS client that trusts its certificate. */
export class AdminServer {
  private constructor(
    readonly data: string,
    readonly serve: ServeProcess,
    readonly port: number,
    /** The admin endpoint's certificate (PEM): clients verify the server against it, as a browser would after accepting it. */
    readonly ca: string,
  ) {}

  /** Starts serve (one worker) with the admin endpoint on a free port; extra serve flags may be given. */
  static async start(data: string, extraArgs: string[] = []): Promise<AdminServer> {
    const [port] = await freePorts(1);
    const serve = new ServeProcess(data, ['--workers', '1', '--admin', `127.0.0.1:${port}`, ...extraArgs]);
    await serve.waitFor(/admin: console and API on https:\/\//, 'the admin endpoint');
    const certs = ghJson<Array<{ friendlyName: string; thumbprint: string }>>(data, ['cert', 'list']);
    const thumbprint = certs.find((c) => c.friendlyName === ADMIN_CERT_NAME)?.thumbprint;
    const out = join(tmpDir('gh-admin-ca-'), 'admin.pem');
    const r = gh(data, ['cert', 'export', thumbprint ?? ADMIN_CERT_NAME, '--format', 'pem', '--no-key', '--out', out]);
    if (r.code !== 0) throw new Error(`could not export the admin certificate: ${r.stderr}`);
    const { readFileSync } = await import('node:fs');
    return new AdminServer(data, serve, port!, readFileSync(out, 'utf8'));
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    await this.serve.stop();
  }

  /** One HTTPS call to the admin endpoint (bounded to 30 s). */
  call(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    let payload: Buffer | undefined;
    if (options.raw !== undefined) payload = Buffer.from(options.raw);
    else if (options.body !== undefined) {
      payload = Buffer.from(JSON.stringify(options.body));
      headers['content-type'] ??= 'application/json';
    }
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.session) {
      headers.cookie = options.session.cookie;
      if (!options.omitCsrf && !['GET', 'HEAD'].includes(method)) headers['x-csrf-token'] = options.session.csrfToken;
    }
    return new Promise((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: this.port, method, path, headers, ca: this.ca, servername: 'localhost', timeout: 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const text = body.toString('utf8');
          let json: unknown;
          if (/json/.test(String(res.headers['content-type'] ?? ''))) {
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} took over 30 s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Logs in through the API and returns the session cookie and CSRF token. */
  async login(user: string, password = PASSWORD): Promise<Session> {
    const r = await this.call('POST', '/api/v1/session', { body: { user, password } });
    if (r.status !== 201) throw new Error(`log-in of ${user} failed: ${r.status} ${r.text}`);
    const setCookie = ([] as string[]).concat(r.headers['set-cookie'] ?? []);
    const cookie = setCookie.map((c) => c.split(';')[0]!).find((c) => c.startsWith('gh_session='));
    if (!cookie) throw new Error(`log-in answered no session cookie: ${JSON.stringify(r.headers)}`);
    return { cookie, csrfToken: r.json.csrfToken, user, role: r.json.role };
  }
}

/** Adds a user with the CLI (as an operator on the server would), password from a file. */
export function addUser(data: string, name: string, role: string, password = PASSWORD): void {
  const file = join(tmpDir('gh-pw-'), 'pw.txt');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  const r = gh(data, ['user', 'add', name, '--role', role, '--password-file', file]);
  if (r.code !== 0) throw new Error(`user add ${name} failed: ${r.stderr}`);
}

/** Creates an API token with the CLI; answers the token. */
export function createToken(data: string, user: string): string {
  return ghJson<{ token: string }>(data, ['token', 'create', '--user', user]).token;
}

// ---------------------------------------------------------------------------------------------
// Added for the admin API tests (permissions, guide, bad input, secrets, users and tokens)

// (import declarations are hoisted: this one serves the helpers below)
import assert from 'node:assert/strict';

/** `storeSnapshot` plus sites, bindings, users and API tokens (without `lastUsed`, which a call may touch): a refused change leaves all of it as it was. */
export interface AdminSnapshot {
  store: import('./cli.js').Snapshot;
  sites: string;
  bindings: string;
  users: string;
  tokens: string;
}

export async function adminSnapshot(data: string): Promise<AdminSnapshot> {
  const { ghAsync } = await import('./cli.js');
  // What storeSnapshot takes (certificates, requests, the CA, the audit log, the revision) and more, all at once.
  const run = async (args: string[]) => {
    const r = await ghAsync(data, [...args, '--json']);
    return { code: r.code, stdout: r.stdout };
  };
  const [certs, requests, ca, audit, serve, sites, bindings, users, tokensRaw] = await Promise.all([
    run(['cert', 'list']), run(['request', 'list']), run(['ca', 'show']), run(['audit']), run(['serve', '--once']),
    run(['site', 'list']), run(['binding', 'list']), run(['user', 'list']), run(['token', 'list']),
  ]);
  const revision = serve.code === 0 ? (JSON.parse(serve.stdout) as { revision: number }).revision : -1;
  const tokens = tokensRaw.code === 0
    ? JSON.stringify((JSON.parse(tokensRaw.stdout) as Array<Record<string, unknown>>).map(({ lastUsed: _lastUsed, ...t }) => t))
    : `${tokensRaw.code} ${tokensRaw.stdout}`;
  const text = (x: { code: number | null; stdout: string }) => `${x.code} ${x.stdout}`;
  return { store: { certs, requests, ca, audit, revision }, sites: text(sites), bindings: text(bindings), users: text(users), tokens };
}

/**
 * Asserts an answer is a problem document (RFC 9457) as the admin API promises: the status, the
 * media type application/problem+json, the stable `code`, a `detail` sentence, and nothing of
 * Gatehouse's insides (no stack trace, no source path).
 */
export function assertProblem(r: ApiResponse, status: number, code: string, what = ''): void {
  const show = `${what ? `${what}: ` : ''}${r.status} ${String(r.headers['content-type'])} ${r.text.slice(0, 1500)}`;
  assert.equal(r.status, status, `expected HTTP ${status}: ${show}`);
  assert.match(String(r.headers['content-type'] ?? ''), /^application\/problem\+json(;|$)/, `expected application/problem+json: ${show}`);
  assert.ok(r.json && typeof r.json === 'object', `not a JSON object: ${show}`);
  assert.equal(r.json.code, code, `expected ${code}: ${show}`);
  assert.equal(r.json.status, status, `problem.status differs from the HTTP status: ${show}`);
  assert.equal(typeof r.json.title, 'string', show);
  assert.equal(typeof r.json.type, 'string', show);
  assert.equal(typeof r.json.detail, 'string', show);
  assert.match(r.json.detail, /^\S[\s\S]*[.!?]["')]?$/, `detail is not a sentence: ${show}`);
  assert.ok(r.json.detail.length <= 2000, `detail too long: ${show}`);
  assert.doesNotMatch(r.text, /\bat [\w$.<>]+ \(|\n\s+at |node_modules|\/dist\/|\/src\/|\.[jt]s:\d+/, `internals leaked: ${show}`);
  assertNoCliWords(r.json.detail, `detail: ${show}`);
  assertNoCliWords(r.json.title, `title: ${show}`);
}

/**
 * Words of the CLI that the API and the console must not say: a flag (--force), a command
 * ("gatehouse cert list"; "gatehouse serve" is the server's own name, fine anywhere), or the
 * face-neutral markup of model/wording.ts left unrendered ({opt:force}).
 */
export const CLI_WORDS = /(^|[\s("'])--[a-z]|"gatehouse (?!serve")[a-z]|\{(opt|act):/;

export function assertNoCliWords(text: unknown, what: string): void {
  if (typeof text !== 'string') return;
  assert.doesNotMatch(text, CLI_WORDS, `CLI words outside the CLI: ${what}`);
}

/** An answer's warnings (if any) say no CLI words either. */
export function assertWarningsWorded(r: ApiResponse, what = ''): void {
  for (const w of (r.json?.warnings ?? []) as unknown[]) assertNoCliWords(w, `warning of ${what}: ${String(w)}`);
}

/** Writes a password file (first line) in a fresh temp dir and answers its path. */
export function passwordFileFor(password: string): string {
  const file = join(tmpDir('gh-pw-'), 'pw.txt');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return file;
}
