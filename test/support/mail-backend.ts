// Fake mail servers for the mail end-to-end tests: the plain-text backends Gatehouse's SMTP, IMAP
// and POP listeners relay to. Each speaks its protocol well enough for a real client (swaks, openssl
// s_client) going through the proxy, offers what a real Postfix or Dovecot would (STARTTLS/STLS,
// XCLIENT, AUTH PLAIN, LOGINDISABLED) so that the tests can check what the proxy hides, and RECORDS
// every command line it received, per session — so a test can assert that a line never reached it.
//
// They run inside the test process: peers that talk to them through Gatehouse (swaks, openssl,
// other clients) must be run asynchronously, never with spawnSync, or the backend cannot answer.
import { createServer, type Server, type Socket } from 'node:net';
import { freePorts } from './cli.js';

/** The account the backends accept (AUTH PLAIN, LOGIN, USER/PASS). */
export const MAIL_USER = 'alice@contoso.com';
export const MAIL_PASSWORD = 'Correct-Horse-7';

/** What one connection to a backend did. */
export interface BackendSession {
  id: number;
  /** The port the connection came from (the proxy's side). */
  remotePort: number;
  /** Every command line received, in order, without its CRLF (SMTP message text is in `messages`). */
  lines: string[];
  /** The user that authenticated, if any. */
  user: string | null;
  /** Attributes of every XCLIENT command (ADDR, PORT, NAME, ...), xtext-decoded. */
  xclient: Array<Record<string, string>>;
  /** Key/value pairs of every IMAP ID command (keys lower-cased). */
  imapId: Array<Record<string, string>>;
  closed: boolean;
}

type Write = (text: string) => void;

/** Splits a byte stream into lines (CRLF or bare LF), latin1 so that every byte survives. */
class LineReader {
  #buf = '';
  push(chunk: Buffer, each: (line: string) => void): void {
    this.#buf += chunk.toString('latin1');
    for (;;) {
      const i = this.#buf.indexOf('\n');
      if (i < 0) return;
      const line = this.#buf.slice(0, i).replace(/\r$/, '');
      this.#buf = this.#buf.slice(i + 1);
      each(line);
    }
  }
}

/**
 * A backend listening on 127.0.0.1 (a free port). Concrete protocols say what they greet with and
 * how they answer a line. `stop()` closes the listener and every open connection.
 */
export abstract class FakeBackend<S extends BackendSession = BackendSession> {
  readonly sessions: S[] = [];
  readonly #sockets = new Set<Socket>();
  readonly #changed = new Set<() => void>();
  #server: Server | undefined;
  /** Greetings not sent yet while `holdGreetings` is on (a slow backend, as Postfix's postscreen greet pause). */
  readonly #heldGreetings: Array<() => void> = [];
  port = 0;
  /** New sessions are not greeted until `releaseGreetings()`. */
  holdGreetings = false;

  protected abstract newSession(base: BackendSession): S;
  protected abstract greet(s: S, write: Write): void;
  /** Answers one line; `end` answers nothing more and closes. */
  protected abstract onLine(s: S, line: string, write: Write, end: () => void): void;

  /** Listens on 127.0.0.1:`port` (0: a free one). */
  async listen(port = 0): Promise<this> {
    const server = createServer((socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: '127.0.0.1' }, () => resolve());
    });
    this.#server = server;
    this.port = (server.address() as { port: number }).port;
    return this;
  }

  /** `127.0.0.1:PORT`, as `service configure --backend` takes it. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Every command line every session received, in order of sessions. */
  get lines(): string[] {
    return this.sessions.flatMap((s) => s.lines);
  }

  /** Whether any session received a line matching `pattern`. */
  received(pattern: RegExp): boolean {
    return this.lines.some((l) => pattern.test(l));
  }

  /** Sessions currently open. */
  get open(): number {
    return this.sessions.filter((s) => !s.closed).length;
  }

  /** Every XCLIENT any session received. */
  get xclients(): Array<Record<string, string>> {
    return this.sessions.flatMap((s) => s.xclient);
  }

  /** A readable account of what the backend received, for assertion messages. */
  describe(): string {
    return this.sessions.map((s) => `session ${s.id}${s.closed ? ' (closed)' : ''}:\n${s.lines.map((l) => `  > ${l.length > 200 ? `${l.slice(0, 200)}… (${l.length} octets)` : l}`).join('\n')}`).join('\n') || '(no session)';
  }

  /** Resolves once `probe()` is true (checked after every received line and close); bounded. */
  waitUntil(what: string, probe: () => boolean, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!probe()) return;
        clearTimeout(limit);
        this.#changed.delete(check);
        resolve();
      };
      const limit = setTimeout(() => {
        this.#changed.delete(check);
        reject(new Error(`backend: not true within ${timeoutMs / 1000} s: ${what}\n${this.describe()}`));
      }, timeoutMs);
      this.#changed.add(check);
      check();
    });
  }

  /** Greets every session held by `holdGreetings` (and stops holding new ones). */
  releaseGreetings(): void {
    this.holdGreetings = false;
    for (const greet of this.#heldGreetings.splice(0)) greet();
  }

  /** Closes the listener and every open connection: the backend is down from now on. */
  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #notify(): void {
    for (const l of [...this.#changed]) l();
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    const session = this.newSession({ id: this.sessions.length + 1, remotePort: socket.remotePort ?? 0, lines: [], user: null, xclient: [], imapId: [], closed: false });
    this.sessions.push(session);
    let ended = false;
    const write: Write = (text) => {
      if (!ended && !socket.destroyed) socket.write(text, 'latin1');
    };
    const end = () => {
      ended = true;
      socket.end();
    };
    const reader = new LineReader();
    socket.on('data', (chunk: Buffer) => {
      reader.push(chunk, (line) => {
        if (ended) return;
        this.onLine(session, line, write, end);
        this.#notify();
      });
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#sockets.delete(socket);
      session.closed = true;
      this.#notify();
    });
    if (this.holdGreetings) this.#heldGreetings.push(() => this.greet(session, write));
    else this.greet(session, write);
    this.#notify();
  }
}

/** XCLIENT attributes: `NAME=value` pairs, values in xtext (`+2B` for `+`). */
export function parseXclient(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of args.trim().split(/\s+/)) {
    const i = pair.indexOf('=');
    if (i <= 0) continue;
    out[pair.slice(0, i).toUpperCase()] = pair.slice(i + 1).replace(/\+([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
  return out;
}

function plainCredentials(b64: string): { user: string; password: string } | null {
  const parts = Buffer.from(b64, 'base64').toString('utf8').split('\0');
  if (parts.length !== 3) return null;
  return { user: parts[1]!, password: parts[2]! };
}

const accepted = (user: string, password: string) => user === MAIL_USER && password === MAIL_PASSWORD;

// ---------------------------------------------------------------------------------------------
// SMTP (RFC 5321), as Postfix answers

/** A message the SMTP backend accepted: envelope, the text after dot-unstuffing (CRLF line ends), and who sent it. */
export interface SmtpMessage {
  session: number;
  from: string;
  to: string[];
  data: string;
  user: string | null;
  /** The last XCLIENT of the session before the message, if any. */
  xclient: Record<string, string> | null;
}

interface SmtpSession extends BackendSession {
  helo: string | null;
  from: string | null;
  to: string[];
  /** Lines of the message being received (DATA), or null outside DATA. */
  data: string[] | null;
  /** Waiting for the AUTH PLAIN response line. */
  authPending: boolean;
}

export const SMTP_BACKEND_NAME = 'backend.contoso.test';

/** The EHLO extensions the backend offers (as Postfix would on a plain-text port): STARTTLS, XCLIENT and AUTH among them. */
export const SMTP_BACKEND_EXTENSIONS = ['PIPELINING', 'SIZE 52428800', 'STARTTLS', 'AUTH PLAIN', 'XCLIENT ADDR PORT NAME PROTO HELO LOGIN', 'ENHANCEDSTATUSCODES', '8BITMIME'];

export class SmtpBackend extends FakeBackend<SmtpSession> {
  readonly messages: SmtpMessage[] = [];
  /** The extensions its EHLO answers offer (change it to change the backend's capabilities). */
  extensions = [...SMTP_BACKEND_EXTENSIONS];

  static start(): Promise<SmtpBackend> {
    return new SmtpBackend().listen();
  }

  protected newSession(base: BackendSession): SmtpSession {
    return { ...base, helo: null, from: null, to: [], data: null, authPending: false };
  }

  protected greet(_s: SmtpSession, write: Write): void {
    write(`220 ${SMTP_BACKEND_NAME} ESMTP fake backend\r\n`);
  }

  protected onLine(s: SmtpSession, line: string, write: Write, end: () => void): void {
    if (s.data !== null) {
      if (line === '.') {
        this.messages.push({ session: s.id, from: s.from ?? '', to: s.to, data: s.data.map((l) => `${l}\r\n`).join(''), user: s.user, xclient: s.xclient.at(-1) ?? null });
        s.data = null;
        s.from = null;
        s.to = [];
        write(`250 2.0.0 Ok: queued as M${this.messages.length}\r\n`);
      } else {
        s.data.push(line.startsWith('.') ? line.slice(1) : line);
      }
      return;
    }
    s.lines.push(line);
    if (s.authPending) {
      s.authPending = false;
      this.#auth(s, line, write);
      return;
    }
    const m = /^(\S+)(?:\s+(.*))?$/.exec(line);
    const verb = (m?.[1] ?? '').toUpperCase();
    const arg = m?.[2] ?? '';
    switch (verb) {
      case 'EHLO':
        s.helo = arg;
        s.from = null;
        s.to = [];
        write([`250-${SMTP_BACKEND_NAME} Hello ${arg}`, ...this.extensions.map((e, i, a) => `${i === a.length - 1 ? '250 ' : '250-'}${e}`)].join('\r\n') + '\r\n');
        return;
      case 'HELO':
        s.helo = arg;
        write(`250 ${SMTP_BACKEND_NAME}\r\n`);
        return;
      case 'XCLIENT':
        // Postfix: the session starts over (a new greeting, HELO/EHLO needed again).
        s.xclient.push(parseXclient(arg));
        s.helo = null;
        s.from = null;
        s.to = [];
        write(`220 ${SMTP_BACKEND_NAME} ESMTP fake backend\r\n`);
        return;
      case 'AUTH': {
        if (s.helo === null) return write('503 5.5.1 Error: send HELO/EHLO first\r\n');
        if (s.user !== null) return write('503 5.5.1 Error: already authenticated\r\n');
        const [mech, initial] = arg.split(/\s+/);
        if ((mech ?? '').toUpperCase() !== 'PLAIN') return write('535 5.7.8 Error: authentication failed: mechanism not supported\r\n');
        if (initial === undefined || initial === '') {
          s.authPending = true;
          return write('334 \r\n');
        }
        this.#auth(s, initial, write);
        return;
      }
      case 'MAIL': {
        if (s.helo === null) return write('503 5.5.1 Error: send HELO/EHLO first\r\n');
        const from = /^FROM:\s*<([^>]*)>/i.exec(arg);
        if (!from) return write('501 5.5.4 Syntax: MAIL FROM:<address>\r\n');
        s.from = from[1]!;
        s.to = [];
        write('250 2.1.0 Ok\r\n');
        return;
      }
      case 'RCPT': {
        if (s.from === null) return write('503 5.5.1 Error: need MAIL command\r\n');
        const to = /^TO:\s*<([^>]*)>/i.exec(arg);
        if (!to) return write('501 5.5.4 Syntax: RCPT TO:<address>\r\n');
        s.to.push(to[1]!);
        write('250 2.1.5 Ok\r\n');
        return;
      }
      case 'DATA':
        if (s.to.length === 0) return write('554 5.5.1 Error: no valid recipients\r\n');
        s.data = [];
        write('354 End data with <CR><LF>.<CR><LF>\r\n');
        return;
      case 'RSET':
        s.from = null;
        s.to = [];
        write('250 2.0.0 Ok\r\n');
        return;
      case 'NOOP':
        write('250 2.0.0 Ok\r\n');
        return;
      case 'STARTTLS':
        // A plain-text backend behind the proxy: it offers STARTTLS (as a real one might) but has no certificate.
        write('454 4.7.0 TLS not available due to local problem\r\n');
        return;
      case 'QUIT':
        write('221 2.0.0 Bye\r\n');
        end();
        return;
      default:
        write('502 5.5.2 Error: command not recognized\r\n');
    }
  }

  #auth(s: SmtpSession, b64: string, write: Write): void {
    if (b64 === '*') return write('501 5.7.0 Authentication aborted\r\n');
    const c = plainCredentials(b64);
    if (c && accepted(c.user, c.password)) {
      s.user = c.user;
      write('235 2.7.0 Authentication successful\r\n');
    } else {
      write('535 5.7.8 Error: authentication failed\r\n');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// IMAP (RFC 9051 / 3501), as Dovecot answers on a plain-text port

/** The message in the IMAP backend's INBOX (and the POP backend's maildrop). */
export const STORED_MESSAGE = [
  'From: Bob <bob@fabrikam.com>',
  'To: Alice <alice@contoso.com>',
  'Subject: stored message',
  'Message-ID: <stored-1@fabrikam.com>',
  '',
  'First line of the stored message.',
  '.a line that starts with a dot',
  '.',
  'Last line.',
  '',
].join('\r\n');

/** What the IMAP backend answers to CAPABILITY before log-in: STARTTLS and LOGINDISABLED as a plain-text Dovecot offers them. */
export const IMAP_BACKEND_CAPABILITIES = 'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED AUTH=PLAIN';
const IMAP_AFTER_LOGIN = 'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ NAMESPACE UNSELECT';

interface ImapSession extends BackendSession {
  selected: string | null;
  /** Tag of an AUTHENTICATE waiting for its continuation. */
  authTag: string | null;
}

/** Tokens of an IMAP argument list: atoms, quoted strings (unquoted here), NIL, and parentheses as their own tokens. */
export function imapTokens(text: string): string[] {
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|([()])|([^\s()"]+))/gy;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[1] !== undefined) out.push(m[1].replace(/\\(.)/g, '$1'));
    else out.push(m[2] ?? m[3]!);
  }
  return out;
}

export class ImapBackend extends FakeBackend<ImapSession> {
  static start(): Promise<ImapBackend> {
    return new ImapBackend().listen();
  }

  protected newSession(base: BackendSession): ImapSession {
    return { ...base, selected: null, authTag: null };
  }

  protected greet(_s: ImapSession, write: Write): void {
    write(`* OK [CAPABILITY ${IMAP_BACKEND_CAPABILITIES}] Fake Dovecot ready.\r\n`);
  }

  protected onLine(s: ImapSession, line: string, write: Write, end: () => void): void {
    s.lines.push(line);
    if (s.authTag !== null) {
      const tag = s.authTag;
      s.authTag = null;
      this.#plain(s, tag, line, write);
      return;
    }
    const m = /^(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(line);
    if (!m) {
      write(`${/^\S+/.exec(line)?.[0] ?? '*'} BAD Error in IMAP command received by server.\r\n`);
      return;
    }
    const [, tag, command, rest = ''] = m as unknown as [string, string, string, string | undefined];
    const args = imapTokens(rest);
    switch (command.toUpperCase()) {
      case 'CAPABILITY':
        write(`* CAPABILITY ${s.user === null ? IMAP_BACKEND_CAPABILITIES : IMAP_AFTER_LOGIN}\r\n${tag} OK Pre-login capabilities listed, post-login capabilities have more.\r\n`);
        return;
      case 'NOOP':
        write(`${tag} OK NOOP completed.\r\n`);
        return;
      case 'ID': {
        const pairs: Record<string, string> = {};
        const inner = args.filter((a) => a !== '(' && a !== ')');
        for (let i = 0; i + 1 < inner.length; i += 2) pairs[inner[i]!.toLowerCase()] = inner[i + 1]!;
        s.imapId.push(pairs);
        write(`* ID ("name" "Fake Dovecot")\r\n${tag} OK ID completed.\r\n`);
        return;
      }
      case 'XCLIENT':
        s.xclient.push(parseXclient(rest));
        write(`${tag} OK Updated\r\n`);
        return;
      case 'STARTTLS':
        write(`${tag} BAD TLS support isn't enabled.\r\n`);
        return;
      case 'LOGIN':
        if (s.user !== null) return write(`${tag} BAD Already logged in.\r\n`);
        if (args.length === 2 && accepted(args[0]!, args[1]!)) {
          s.user = args[0]!;
          write(`${tag} OK [CAPABILITY ${IMAP_AFTER_LOGIN}] Logged in\r\n`);
        } else {
          write(`${tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n`);
        }
        return;
      case 'AUTHENTICATE':
        if ((args[0] ?? '').toUpperCase() !== 'PLAIN') return write(`${tag} NO Unsupported authentication mechanism.\r\n`);
        if (args[1] !== undefined) return this.#plain(s, tag, args[1], write);
        s.authTag = tag;
        write('+ \r\n');
        return;
      case 'SELECT':
      case 'EXAMINE':
        if (s.user === null) return write(`${tag} BAD Error in IMAP command ${command.toUpperCase()}: Not logged in.\r\n`);
        if ((args[0] ?? '').toUpperCase() !== 'INBOX') return write(`${tag} NO Mailbox doesn't exist: ${args[0] ?? ''}\r\n`);
        s.selected = 'INBOX';
        write([
          '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)',
          '* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.',
          '* 1 EXISTS',
          '* 0 RECENT',
          '* OK [UIDVALIDITY 1700000000] UIDs valid',
          '* OK [UIDNEXT 2] Predicted next UID',
          `${tag} OK [${command.toUpperCase() === 'SELECT' ? 'READ-WRITE' : 'READ-ONLY'}] Select completed.`,
        ].join('\r\n') + '\r\n');
        return;
      case 'FETCH':
        if (s.selected === null) return write(`${tag} BAD No mailbox selected.\r\n`);
        if (args[0] !== '1') return write(`${tag} OK Fetch completed.\r\n`);
        write(`* 1 FETCH (BODY[] {${Buffer.byteLength(STORED_MESSAGE, 'latin1')}}\r\n${STORED_MESSAGE})\r\n${tag} OK Fetch completed.\r\n`);
        return;
      case 'LOGOUT':
        write(`* BYE Logging out\r\n${tag} OK Logout completed.\r\n`);
        end();
        return;
      default:
        write(`${tag} BAD Error in IMAP command received by server.\r\n`);
    }
  }

  #plain(s: ImapSession, tag: string, b64: string, write: Write): void {
    const c = plainCredentials(b64);
    if (c && accepted(c.user, c.password)) {
      s.user = c.user;
      write(`${tag} OK [CAPABILITY ${IMAP_AFTER_LOGIN}] Logged in\r\n`);
    } else {
      write(`${tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// POP3 (RFC 1939, CAPA RFC 2449, STLS RFC 2595), as Dovecot answers on a plain-text port

/** What the POP backend answers to CAPA: STLS among them. */
export const POP_BACKEND_CAPABILITIES = ['CAPA', 'TOP', 'UIDL', 'RESP-CODES', 'PIPELINING', 'AUTH-RESP-CODE', 'USER', 'STLS', 'SASL PLAIN'];

interface PopSession extends BackendSession {
  /** USER given, waiting for PASS. */
  pendingUser: string | null;
}

/** POP3 multi-line body: dot-stuffed, ended by a lone dot. */
function popBody(text: string): string {
  const lines = text.replace(/\r\n$/, '').split('\r\n');
  return lines.map((l) => (l.startsWith('.') ? `.${l}` : l)).join('\r\n') + '\r\n.\r\n';
}

export class PopBackend extends FakeBackend<PopSession> {
  static start(): Promise<PopBackend> {
    return new PopBackend().listen();
  }

  protected newSession(base: BackendSession): PopSession {
    return { ...base, pendingUser: null };
  }

  protected greet(_s: PopSession, write: Write): void {
    write('+OK Fake Dovecot ready.\r\n');
  }

  protected onLine(s: PopSession, line: string, write: Write, end: () => void): void {
    s.lines.push(line);
    const m = /^(\S+)(?:\s+(.*))?$/.exec(line);
    const verb = (m?.[1] ?? '').toUpperCase();
    const arg = m?.[2] ?? '';
    const size = Buffer.byteLength(STORED_MESSAGE, 'latin1');
    const authed = s.user !== null;
    switch (verb) {
      case 'CAPA':
        write(`+OK\r\n${(authed ? POP_BACKEND_CAPABILITIES.filter((c) => !/^(STLS|USER|SASL)/.test(c)) : POP_BACKEND_CAPABILITIES).join('\r\n')}\r\n.\r\n`);
        return;
      case 'XCLIENT':
        s.xclient.push(parseXclient(arg));
        write('+OK\r\n');
        return;
      case 'STLS':
        write('-ERR TLS support isn\'t enabled.\r\n');
        return;
      case 'USER':
        if (authed) return write('-ERR Unknown command.\r\n');
        s.pendingUser = arg;
        write('+OK\r\n');
        return;
      case 'PASS':
        if (s.pendingUser === null) return write('-ERR No username given.\r\n');
        if (accepted(s.pendingUser, arg)) {
          s.user = s.pendingUser;
          write('+OK Logged in.\r\n');
        } else {
          write('-ERR [AUTH] Authentication failed.\r\n');
        }
        s.pendingUser = null;
        return;
      case 'NOOP':
        write(authed ? '+OK\r\n' : '-ERR Unknown command: NOOP\r\n');
        return;
      case 'QUIT':
        write('+OK Logging out.\r\n');
        end();
        return;
    }
    if (!authed) {
      write(`-ERR Unknown command: ${verb}\r\n`);
      return;
    }
    switch (verb) {
      case 'STAT':
        write(`+OK 1 ${size}\r\n`);
        return;
      case 'LIST':
        write(arg === '' ? `+OK 1 messages:\r\n1 ${size}\r\n.\r\n` : arg === '1' ? `+OK 1 ${size}\r\n` : '-ERR There\'s no message.\r\n');
        return;
      case 'UIDL':
        write(arg === '' ? '+OK\r\n1 stored-1\r\n.\r\n' : '+OK 1 stored-1\r\n');
        return;
      case 'RETR':
        write(arg === '1' ? `+OK ${size} octets\r\n${popBody(STORED_MESSAGE)}` : '-ERR There\'s no message.\r\n');
        return;
      default:
        write(`-ERR Unknown command: ${verb}\r\n`);
    }
  }
}

/** A port where nothing listens (a backend that is down): free a moment ago, never listened on. */
export async function downBackendPort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}
