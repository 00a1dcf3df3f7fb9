// The client side of the mail end-to-end tests: a line-oriented SMTP/IMAP/POP client on a raw
// node socket that can upgrade in place to TLS (STARTTLS/STLS) — so a test controls exactly which
// bytes go out in one write — and asynchronous runs of the independent peers (openssl s_client,
// swaks), which must never block the event loop that the in-process fake backends answer on.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';

export interface ConnectOptions {
  /** Implicit TLS: the handshake before the first byte. */
  tls?: boolean;
  /** SNI name; undefined or null sends none. */
  servername?: string | null;
  timeoutMs?: number;
}

/** An SMTP reply: its code, its lines without the code, and the raw text. */
export interface SmtpReply {
  code: number;
  lines: string[];
  text: string;
}

/** SHA-1 of a TLS peer's certificate, upper-case hex (as Gatehouse shows thumbprints). */
export function peerThumbprint(socket: TLSSocket): string {
  return socket.getPeerCertificate().fingerprint.replace(/:/g, '').toUpperCase();
}

/**
 * One client connection to 127.0.0.1. Reads are line by line from what the server sent (latin1,
 * CRLF stripped); every read is bounded and fails with what was received so far. `upgrade()`
 * starts TLS on the same TCP connection, as a STARTTLS client does.
 */
export class MailClient {
  #socket: Socket | TLSSocket;
  #raw: Socket;
  #buf = '';
  #closed = false;
  #error: Error | undefined;
  #wake = new Set<() => void>();
  /** Everything received, for failure messages. */
  transcript = '';
  readonly timeoutMs: number;

  private constructor(raw: Socket, socket: Socket | TLSSocket, timeoutMs: number) {
    this.#raw = raw;
    this.#socket = socket;
    this.timeoutMs = timeoutMs;
    this.#attach(socket);
    raw.on('close', () => {
      this.#closed = true;
      this.#notify();
    });
  }

  static async connect(port: number, options: ConnectOptions = {}): Promise<MailClient> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const raw = await new Promise<Socket>((resolve, reject) => {
      const s = netConnect({ port, host: '127.0.0.1' });
      const limit = setTimeout(() => {
        s.destroy();
        reject(new Error(`connecting to 127.0.0.1:${port} took over ${timeoutMs / 1000} s`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(limit);
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(limit);
        reject(e);
      });
    });
    if (!options.tls) return new MailClient(raw, raw, timeoutMs);
    const secure = await handshake(raw, options.servername ?? null, timeoutMs);
    return new MailClient(raw, secure, timeoutMs);
  }

  get secure(): TLSSocket | undefined {
    return 'encrypted' in this.#socket ? (this.#socket as TLSSocket) : undefined;
  }

  /** The served certificate's thumbprint (after TLS). */
  get thumbprint(): string {
    const s = this.secure;
    if (!s) throw new Error('not a TLS connection');
    return peerThumbprint(s);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** This side's port (how the server's log names the client). */
  get localPort(): number {
    return this.#raw.localPort ?? 0;
  }

  /** What has been received but not read yet. */
  get pending(): string {
    return this.#buf;
  }

  send(text: string): void {
    this.#socket.write(text, 'latin1');
  }

  /** The next line (without CRLF); fails on close or after the timeout, with what was received. */
  async line(timeoutMs = this.timeoutMs): Promise<string> {
    await this.#until(() => this.#buf.indexOf('\n') >= 0, 'a line', timeoutMs);
    const i = this.#buf.indexOf('\n');
    const line = this.#buf.slice(0, i).replace(/\r$/, '');
    this.#buf = this.#buf.slice(i + 1);
    return line;
  }

  /** Exactly `n` octets (an IMAP literal). */
  async octets(n: number, timeoutMs = this.timeoutMs): Promise<string> {
    await this.#until(() => this.#buf.length >= n, `${n} octets`, timeoutMs);
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return out;
  }

  /** One SMTP reply (every line of a multi-line one). */
  async smtp(timeoutMs = this.timeoutMs): Promise<SmtpReply> {
    const lines: string[] = [];
    const raw: string[] = [];
    for (;;) {
      const l = await this.line(timeoutMs);
      raw.push(l);
      const m = /^(\d{3})([ -])(.*)$/.exec(l);
      if (!m) throw new Error(`not an SMTP reply line: ${JSON.stringify(l)}\nreceived so far:\n${this.transcript}`);
      lines.push(m[3]!);
      if (m[2] === ' ') return { code: Number(m[1]), lines, text: raw.join('\n') };
    }
  }

  async smtpCommand(command: string, timeoutMs = this.timeoutMs): Promise<SmtpReply> {
    this.send(`${command}\r\n`);
    return this.smtp(timeoutMs);
  }

  /** Lines up to and including the tagged response of `tag` (literals are returned inline as text). */
  async imap(tag: string, timeoutMs = this.timeoutMs): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      let l = await this.line(timeoutMs);
      // A literal {n} at the end of a line: its n octets follow, then the rest of the response line.
      for (let lit = /\{(\d+)\}$/.exec(l); lit; lit = /\{(\d+)\}$/.exec(l)) {
        const body = await this.octets(Number(lit[1]), timeoutMs);
        l = `${l}\r\n${body}${await this.line(timeoutMs)}`;
      }
      out.push(l);
      if (l.startsWith(`${tag} `)) return out;
    }
  }

  async imapCommand(tag: string, command: string, timeoutMs = this.timeoutMs): Promise<string[]> {
    this.send(`${tag} ${command}\r\n`);
    return this.imap(tag, timeoutMs);
  }

  /** One POP3 response: its status line, and for a multi-line +OK response the lines up to the lone dot (unstuffed). */
  async pop(multiline = false, timeoutMs = this.timeoutMs): Promise<{ ok: boolean; status: string; lines: string[] }> {
    const status = await this.line(timeoutMs);
    const ok = status.startsWith('+OK');
    if (!ok && !status.startsWith('-ERR')) throw new Error(`not a POP3 status line: ${JSON.stringify(status)}\nreceived so far:\n${this.transcript}`);
    const lines: string[] = [];
    if (ok && multiline) {
      for (let l = await this.line(timeoutMs); l !== '.'; l = await this.line(timeoutMs)) lines.push(l.startsWith('.') ? l.slice(1) : l);
    }
    return { ok, status, lines };
  }

  async popCommand(command: string, multiline = false, timeoutMs = this.timeoutMs): Promise<{ ok: boolean; status: string; lines: string[] }> {
    this.send(`${command}\r\n`);
    return this.pop(multiline, timeoutMs);
  }

  /**
   * STARTTLS/STLS: the TLS handshake on this same connection. Whatever plain text arrived and was
   * not read yet is an error (a server must say nothing between its go-ahead and the handshake).
   */
  async upgrade(servername: string | null = null): Promise<TLSSocket> {
    if (this.secure) throw new Error('already TLS');
    this.#raw.removeAllListeners('data');
    if (this.#buf !== '') throw new Error(`the server sent plain text after its go-ahead for TLS: ${JSON.stringify(this.#buf)}`);
    const secure = await handshake(this.#raw, servername, this.timeoutMs);
    this.#socket = secure;
    this.#attach(secure);
    return secure;
  }

  /** Resolves once the server has closed the connection (bounded); answers what it sent meanwhile. */
  async waitClosed(timeoutMs = this.timeoutMs): Promise<string> {
    await this.#until(() => this.#closed, 'the server to close the connection', timeoutMs, true);
    const rest = this.#buf;
    this.#buf = '';
    return rest;
  }

  /** Closes from this side, at once. */
  destroy(): void {
    this.#socket.destroy();
    this.#raw.destroy();
  }

  #attach(socket: Socket | TLSSocket): void {
    socket.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      this.#buf += text;
      this.transcript += text;
      if (this.transcript.length > 200_000) this.transcript = this.transcript.slice(-100_000);
      this.#notify();
    });
    socket.on('error', (e) => {
      this.#error = e;
      this.#notify();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#notify();
    });
  }

  #notify(): void {
    for (const w of [...this.#wake]) w();
  }

  #until(ready: () => boolean, what: string, timeoutMs: number, closeIsReady = false): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (ready()) {
          done();
          resolve();
        } else if (!closeIsReady && this.#closed) {
          done();
          reject(new Error(`the server closed the connection while the client waited for ${what}${this.#error ? ` (${this.#error.message})` : ''}; received:\n${this.transcript}`));
        }
      };
      const limit = setTimeout(() => {
        done();
        reject(new Error(`no ${what} within ${timeoutMs / 1000} s; received:\n${this.transcript}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(limit);
        this.#wake.delete(check);
      };
      this.#wake.add(check);
      check();
    });
  }
}

function handshake(raw: Socket, servername: string | null, timeoutMs: number): Promise<TLSSocket> {
  return new Promise<TLSSocket>((resolve, reject) => {
    const options = servername ? { socket: raw, servername, rejectUnauthorized: false } : { socket: raw, rejectUnauthorized: false };
    const secure = tlsConnect(options);
    const limit = setTimeout(() => {
      secure.destroy();
      reject(new Error(`the TLS handshake took over ${timeoutMs / 1000} s`));
    }, timeoutMs);
    secure.once('secureConnect', () => {
      clearTimeout(limit);
      secure.removeAllListeners('error');
      resolve(secure);
    });
    secure.once('error', (e) => {
      clearTimeout(limit);
      reject(new Error(`TLS handshake failed: ${e.message}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Peers as child processes, asynchronous (the fake backends answer on this process's event loop)

export interface PeerResult {
  code: number | null;
  stdout: string;
  stderr: string;
  argv: string[];
}

/** Runs a command with stdin `input` (then closed), bounded to `timeoutMs` (killed after it). */
export function runPeer(command: string, argv: string[], input = '', timeoutMs = 30_000): Promise<PeerResult> {
  return new Promise((resolve) => {
    const child = spawn(command, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('latin1')));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
    const limit = setTimeout(() => {
      stderr += `\n(killed after ${timeoutMs / 1000} s)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      stderr += String(e);
    });
    child.on('close', (code) => {
      clearTimeout(limit);
      resolve({ code, stdout, stderr, argv: [command, ...argv] });
    });
  });
}

export function describePeer(r: PeerResult): string {
  return `${r.argv.join(' ')}\n  exit=${r.code}\n  stdout=${r.stdout.slice(-4000)}\n  stderr=${r.stderr.slice(-2000)}`;
}

export interface TlsPeerResult extends PeerResult {
  /** SHA-1 of the served certificate, upper-case hex, or null when there was no handshake. */
  thumbprint: string | null;
}

/**
 * `openssl s_client` to 127.0.0.1:port: implicit TLS, or `-starttls smtp|imap|pop3`; with
 * `-servername NAME` or, for null, `-noservername`. Answers the served certificate's thumbprint.
 */
export async function sClientMail(port: number, starttls: 'smtp' | 'imap' | 'pop3' | null, servername: string | null): Promise<TlsPeerResult> {
  const argv = ['s_client', '-connect', `127.0.0.1:${port}`, ...(starttls ? ['-starttls', starttls] : []), ...(servername === null ? ['-noservername'] : ['-servername', servername])];
  const r = await runPeer('openssl', argv, '', 20_000);
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(r.stdout);
  let thumbprint: string | null = null;
  if (pem) {
    const der = Buffer.from(pem[0].replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
    thumbprint = createHash('sha1').update(der).digest('hex').toUpperCase();
  }
  return { ...r, thumbprint };
}

/** swaks against 127.0.0.1:port with the given options (bounded). */
export function swaks(port: number, args: string[]): Promise<PeerResult> {
  return runPeer('swaks', ['--server', '127.0.0.1', '--port', String(port), '--timeout', '15', ...args], '', 40_000);
}
