import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { MailListener } from '../model/service.js';
import { negotiatedGroup } from '../model/tls-group.js';
import { canonicalAddress } from '../config/ip-address.js';
import { BackendLink } from './backend-link.js';
import { backendPrelude, type PreludeResult, replay, smtpReply } from './backend-prelude.js';
import { greetingName, greetsBeforeBackend, mailProtocol, type RelayFilters, type RelaySeen } from './mail-protocol.js';
import { secureLine, type SmtpCapabilities } from './smtp-capabilities.js';
import { SMTP_LINE_LIMIT } from './smtp-dialog.js';
import { lineText } from './relay-stream.js';
import type { DialogAction } from './mail-dialog.js';
import { PreTlsSession } from './pre-tls-session.js';
import { RelayRefusal, relayThrough } from './relay-stream.js';

const HANDSHAKE_SECONDS = 30;

/** The backend once its prelude is done, or why it could not be reached. */
type BackendReady = { link: BackendLink; prelude: PreludeResult } | { why: string };

/** A TLS context for a handshake and the certificate in it (null: none, the handshake will fail). */
export interface MailContext {
  context: SecureContext;
  thumbprint: string | null;
}

/** What a session needs of the mail plane: the listener's settings at accept time, contexts, the log. */
export interface SessionEnv {
  listener: MailListener;
  /** `smtp *:587`, for the log. */
  label: string;
  /** The context for a client's SNI name (undefined: none sent), chosen at the handshake. */
  context(servername: string | undefined): MailContext;
  /** A certificate's friendly name, for the log. */
  certificateName(thumbprint: string): string;
  log(line: string): void;
  /** The greeting name when the listener has none and the backend gives none. */
  fallbackName: string;
  /** How long the backend may take to accept the connection and to answer each line of the prelude. */
  backendTimeoutMs: number;
  /**
   * The backend's SMTP extensions as the listener last learned them (SMTP STARTTLS listeners with a
   * host name of their own): with a list, the session answers EHLO after TLS itself and connects to
   * the backend at the first command that needs it.
   */
  capabilities?: SmtpCapabilities;
}

/**
 * One client connection on a mail listener, from accept to close: the busy answer when the listener
 * is full; the backend connection and its prelude (greeting, client address) started at once, in
 * parallel with the client's TLS handshake (implicit TLS) or its plaintext dialog (STARTTLS: the
 * client is greeted as soon as the backend's TCP connection is up, so a backend that is down still
 * gets the greeting's temporary failure; the prelude is awaited only where the relay needs it, after
 * STARTTLS or at the first command for the backend, and a failure found there gets the protocol's
 * temporary-failure answer there); then
 * the relay, in both directions through the protocol's filters with backpressure (`relayThrough`), until
 * either side ends or the session is idle too long. Ends with exactly one log line.
 */
export class MailSession {
  readonly #env: SessionEnv;
  readonly #client: Socket;
  readonly #started = Date.now();
  readonly #facts: string[] = [];
  #front: Duplex;
  #backend: Socket | undefined;
  #bytesIn = 0;
  #bytesOut = 0;
  #ended = false;
  #relaying = false;
  #dialogIdle: string | undefined;
  #filters: RelayFilters | undefined;
  /** The backend's connection and prelude, started at accept (or when first needed); resolves (never rejects) once the prelude is done. */
  #ready: Promise<BackendReady> | undefined;
  /** The learned SMTP extensions this session answers EHLO with after TLS, before it needs the backend (undefined: it relays the backend's). */
  #early: readonly string[] | undefined;
  /** Answering over TLS before the backend is needed (the idle answer goes over TLS). */
  #secureDialog = false;
  /** Why the backend went away after its prelude, before the relay took it. */
  #lost: string | undefined;
  /** The backend's greeting (after XCLIENT, the new one), once `#need` has it. */
  #greeting: string[] = [];
  /** `dialog`: the client talks to the proxy in plain text; `upgrading`: it asked for TLS or the relay, or is leaving. */
  #phase: 'dialog' | 'upgrading' = 'dialog';
  /** Why the relay is ending (the side that closed first), while the other side finishes. */
  #closing: string | undefined;
  readonly done: Promise<void>;
  #resolve!: () => void;
  /** Taken at accept: once the socket has closed, node no longer knows the peer's address. */
  readonly #remote: { address: string; port: number | undefined };

  constructor(client: Socket, env: SessionEnv) {
    this.#env = env;
    this.#client = client;
    this.#front = client;
    this.#remote = { address: canonicalAddress(client.remoteAddress ?? '') ?? '', port: client.remotePort };
    this.done = new Promise((resolve) => (this.#resolve = resolve));
    client.on('error', (e) => this.#end(`client error: ${e.message}`));
    client.on('close', () => this.#closed('client'));
    client.setNoDelay(true);
    client.setTimeout(env.listener.idleTimeoutSeconds * 1000, () => this.#idle());
  }

  get clientText(): string {
    const a = this.#remote.address || '?';
    return `${a.includes(':') ? `[${a}]` : a}:${this.#remote.port ?? '?'}`;
  }

  /** Turns the client away with the protocol's busy answer (over TLS for an implicit-TLS listener). */
  async refuseBusy(): Promise<void> {
    const protocol = mailProtocol(this.#env.listener.service);
    if (this.#env.listener.mode === 'tls' && !(await this.#handshake())) return;
    this.#front.end(protocol.busy(this.#env.listener.hostName || this.#env.fallbackName));
    this.#end('turned away: too many connections', false);
  }

  async run(): Promise<void> {
    const l = this.#env.listener;
    const protocol = mailProtocol(l.service);
    if (l.mode === 'tls') this.#phase = 'upgrading';
    if (l.mode === 'starttls' && greetsBeforeBackend(l)) this.#early = this.#env.capabilities?.take();
    if (this.#early) return this.#greet([]);
    // The backend from the start, in parallel with the client's handshake (implicit TLS) or its plaintext dialog (STARTTLS).
    const connected = this.#connectBackend();
    this.#ready = connected.then((c) => (typeof c === 'string' ? { why: c } : this.#prelude(c)));
    if (l.mode === 'tls') {
      if (!(await this.#handshake())) return;
      const link = await this.#need();
      if (!link) return;
      const filters = protocol.relay(true);
      // The backend's greeting is the client's, through the filter (an IMAP greeting lists STARTTLS).
      this.#front.write(filters.toClient.push(Buffer.from(`${this.#greeting.join('\r\n')}\r\n`, 'latin1')));
      return this.#relay(link, filters, Buffer.alloc(0));
    }
    // Only the TCP connection is waited for, so a backend that is down still gets the greeting's temporary failure.
    const conn = await connected;
    if (this.#ended) return;
    if (typeof conn === 'string') return this.#unavailable(conn);
    let greeting: string[] = [];
    if (!greetsBeforeBackend(l)) {
      // The greeting needs the backend's (its name, POP's APOP stamp): wait for the prelude, as before the parallel start.
      if (!(await this.#need())) return;
      greeting = this.#greeting;
    }
    // A backend that fails while the client is still in the plaintext dialog: the client is told at once, as
    // when it fails before the greeting; once the client has asked for TLS or the relay, it is told there.
    void this.#ready.then((b) => {
      if (this.#ended || this.#phase !== 'dialog') return;
      if ('why' in b || !b.prelude.accepted) void this.#need();
    });
    this.#greet(greeting);
  }

  /** Greets a STARTTLS client and reads its plaintext dialog. */
  #greet(greeting: string[]): void {
    const l = this.#env.listener;
    const protocol = mailProtocol(l.service);
    const name = greetingName(l, greeting, this.#env.fallbackName);
    const dialog = protocol.dialog({ name, requireTls: l.requireTls, backendGreeting: greeting });
    this.#dialogIdle = dialog.idle();
    const pre = new PreTlsSession(dialog, protocol.lineLimit);
    const onData = (chunk: Buffer) => {
      this.#bytesIn += chunk.length;
      const step = pre.feed(chunk);
      for (const action of step.actions) this.#act(action, onData, step.leftover ?? Buffer.alloc(0), step.discarded ?? 0);
    };
    this.#client.write(dialog.greeting());
    this.#client.on('data', onData);
  }

  /** Opens the backend connection: the link, or why it could not be opened. Never rejects. */
  async #connectBackend(): Promise<BackendLink | string> {
    const l = this.#env.listener;
    let link: BackendLink;
    try {
      link = await BackendLink.open(l.backendHost, l.backendPort, this.#env.backendTimeoutMs);
    } catch (e) {
      return (e as Error).message;
    }
    if (this.#ended) link.socket.destroy();
    else this.#backend = link.socket;
    return link;
  }

  /** The backend's prelude (greeting, client address); then it watches the link until the relay takes it. Never rejects. */
  async #prelude(link: BackendLink): Promise<BackendReady> {
    const l = this.#env.listener;
    const client = l.clientAddress === 'xclient' ? { address: this.#remote.address, port: this.#remote.port ?? 0 } : undefined;
    let prelude: PreludeResult;
    try {
      prelude = await backendPrelude(l.service, link, client, l.hostName || this.#env.fallbackName);
    } catch (e) {
      return { why: (e as Error).message };
    }
    if (!this.#ended) this.#facts.push(`client address ${prelude.forwarding}`);
    link.onEnd = (e) => {
      this.#lost = `it went away before the relay began (${e.message})`;
      if (this.#phase === 'dialog') this.#unavailable(this.#lost);
    };
    return { link, prelude };
  }

  /**
   * The backend, at the point the client needs it (the relay starts): once its prelude is done. A backend
   * that could not be reached, went away or refused the session gets the client the protocol's answer
   * (on whatever the client talks over by now: plain text, or TLS after STARTTLS) and ends the session.
   */
  async #need(): Promise<BackendLink | undefined> {
    this.#ready ??= this.#connectBackend().then((c) => (typeof c === 'string' ? { why: c } : this.#prelude(c)));
    const b = await this.#ready;
    if (this.#ended) return undefined;
    if ('why' in b) return void this.#unavailable(b.why);
    if (this.#lost !== undefined) return void this.#unavailable(this.#lost);
    if (!b.prelude.accepted) {
      const greeting = b.prelude.greeting;
      this.#front.end(`${greeting.join('\r\n')}\r\n`);
      return void this.#end(`refused by the backend: ${greeting[greeting.length - 1]}`, false);
    }
    this.#greeting = b.prelude.greeting;
    return b.link;
  }

  /** The protocol's temporary failure (SMTP 421 4.3.2, IMAP * BYE, POP -ERR) and the end of the session. */
  #unavailable(why: string): void {
    if (this.#ended) return;
    const l = this.#env.listener;
    // Learned capabilities are not trusted past a failure: the next session connects at once.
    this.#env.capabilities?.forget();
    this.#front.end(mailProtocol(l.service).unavailable(l.hostName || this.#env.fallbackName));
    this.#end(`backend ${l.backendHost}:${l.backendPort} unavailable: ${why}`, false);
  }

  #act(action: DialogAction, onData: (c: Buffer) => void, leftover: Buffer, discarded: number): void {
    const l = this.#env.listener;
    if (action.kind === 'reply') {
      this.#client.write(action.text);
      return;
    }
    this.#client.off('data', onData);
    this.#phase = 'upgrading';
    if (action.kind === 'close') {
      this.#client.end(action.text);
      this.#end(action.reason, false);
      return;
    }
    if (action.kind === 'starttls') {
      if (discarded > 0) this.#facts.push(`${discarded} byte(s) sent after ${l.service === 'pop' ? 'STLS' : 'STARTTLS'} discarded`);
      // Same tick: the reply is queued on the plain socket, and every byte read from now on goes to TLS.
      this.#client.write(action.text);
      void this.#handshake().then(async (ok) => {
        if (ok && this.#early) return this.#untilBackend(this.#early);
        // The client's first commands over TLS wait in the TLS socket while the backend's prelude finishes.
        const link = ok ? await this.#need() : undefined;
        if (link) this.#relay(link, mailProtocol(l.service).relay(true, this.#learning()), Buffer.alloc(0));
      });
      return;
    }
    this.#client.pause();
    this.#facts.push('plaintext relay (the client did not start TLS)');
    void this.#need().then((link) => {
      if (!link) return;
      return replay(l.service, link, action.replay).then(
        (ehlo) => this.#relay(link, mailProtocol(l.service).relay(false, { ehlo }), Buffer.concat([Buffer.from(`${action.line}\r\n`, 'latin1'), leftover])),
        (e: Error) => this.#end(`backend failed while the relay began: ${e.message}`),
      );
    });
  }

  /** What the relay of a session that connected at once reports: its EHLO answers teach the listener's capability list. */
  #learning(): RelaySeen | undefined {
    const caps = this.#env.capabilities;
    return caps && { onEhlo: (reply) => void caps.learn(reply) };
  }

  /**
   * SMTP over TLS with a learned capability list: EHLO, HELO, NOOP, RSET and QUIT answered here;
   * at the first other line (or one too long to be a command) the backend is connected, the
   * client's EHLO/HELO replayed to it (its answer checked against the list), and that line and
   * everything after it relayed. A session that never gets that far never touches the backend.
   */
  #untilBackend(extensions: readonly string[]): void {
    const name = this.#env.listener.hostName;
    const front = this.#front;
    let pending: Buffer = Buffer.alloc(0);
    let helo: string | undefined;
    this.#secureDialog = true;
    const onData = (chunk: Buffer): void => {
      this.#bytesIn += chunk.length;
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        const lf = pending.indexOf(0x0a);
        if (lf < 0 ? pending.length >= SMTP_LINE_LIMIT : lf + 1 > SMTP_LINE_LIMIT) return toBackend();
        if (lf < 0) return;
        const line = lineText(pending.subarray(0, lf + 1));
        const action = secureLine(line, name, extensions);
        if (action.kind === 'backend') return toBackend();
        pending = pending.subarray(lf + 1);
        if (action.kind === 'close') {
          front.off('data', onData);
          front.end(action.text);
          return this.#end(action.reason, false);
        }
        if (action.helo) helo = line;
        front.write(action.text);
      }
    };
    const toBackend = (): void => {
      front.off('data', onData);
      front.pause();
      this.#secureDialog = false;
      void this.#lateBackend(helo, pending);
    };
    front.on('data', onData);
  }

  /** The backend reached at the first command that needs it: prelude, the client's EHLO/HELO replayed, then the relay from `first`. */
  async #lateBackend(helo: string | undefined, first: Buffer): Promise<void> {
    const link = await this.#need();
    if (!link) return;
    let ehlo: string[] | undefined;
    try {
      if (helo !== undefined) {
        link.send(helo);
        ehlo = await smtpReply(link);
      }
    } catch (e) {
      return this.#unavailable((e as Error).message);
    }
    if (this.#ended) return;
    this.#facts.push('backend reached at the first command that needs it');
    if (ehlo && /^EHLO\b/i.test(helo!.trim()) && this.#env.capabilities?.learn(ehlo)) this.#facts.push('the backend\'s extensions changed (learned)');
    this.#relay(link, mailProtocol('smtp').relay(true, { ehlo }), first);
  }

  /** The TLS handshake on the client connection; false (and the session ended) when it fails. */
  #handshake(): Promise<boolean> {
    const env = this.#env;
    let chosen = env.context(undefined);
    let sni: string | undefined;
    const tls = new TLSSocket(this.#client, {
      isServer: true,
      secureContext: chosen.context,
      SNICallback: (servername, cb) => {
        sni = servername;
        chosen = env.context(servername);
        cb(null, chosen.context);
      },
    });
    this.#front = tls;
    return new Promise((resolve) => {
      // A client that starts a handshake and stalls holds a place only this long, not the whole idle time.
      const seconds = Math.min(HANDSHAKE_SECONDS, env.listener.idleTimeoutSeconds);
      const limit = setTimeout(() => {
        tls.destroy();
        failed(new Error(`no TLS handshake within ${seconds} s`));
      }, seconds * 1000);
      limit.unref();
      const failed = (e: Error) => {
        clearTimeout(limit);
        const why = chosen.thumbprint === null ? ` (no ${env.listener.service.toUpperCase()} certificate is assigned${sni ? ` and none covers ${sni}` : ''})` : '';
        this.#end(`TLS handshake failed: ${tlsReason(e)}${why}`);
        resolve(false);
      };
      tls.once('error', failed);
      tls.once('secure', () => {
        clearTimeout(limit);
        tls.off('error', failed);
        tls.on('error', (e) => this.#end(`client error: ${e.message}`));
        const cipher = tls.getCipher();
        const cert = chosen.thumbprint === null ? 'no certificate' : `certificate "${env.certificateName(chosen.thumbprint)}"`;
        this.#facts.push(`${tls.getProtocol() ?? 'TLS'} ${cipher.standardName ?? cipher.name}, group ${negotiatedGroup(tls) ?? '(none)'}, SNI ${sni ?? '(none)'}, ${cert}`);
        resolve(true);
      });
    });
  }

  /** From here on bytes flow both ways through the protocol's filters. */
  #relay(link: BackendLink, filters: RelayFilters, first: Buffer): void {
    if (this.#ended) return;
    this.#phase = 'upgrading';
    this.#relaying = true;
    this.#filters = filters;
    const { socket: backend, pending } = link.detach();
    const front = this.#front;
    const refused = (e: Error) => {
      if (!(e instanceof RelayRefusal) || this.#ended) return this.#end(`protocol error: ${e.message}`);
      backend.destroy();
      toClient.stop();
      front.end(e.reply);
      this.#end(`refused: ${e.message}`, false);
    };
    backend.on('error', (e) => this.#end(`backend error: ${e.message}`));
    backend.on('close', () => this.#closed('backend'));
    front.on('close', () => this.#closed('client'));
    const toBackend = relayThrough(front, filters.toBackend, backend, refused, (n) => (this.#bytesIn += n));
    const toClient = relayThrough(backend, filters.toClient, front, refused, (n) => (this.#bytesOut += n));
    toBackend.feed(first);
    toClient.feed(pending);
  }

  /**
   * One side closed. Before the relay that ends the session; during it the other side still gets
   * what was on its way (the relay ends it: a backend's "221 Bye" reaches the client), and is cut
   * if it has not closed within a few seconds.
   */
  #closed(side: 'client' | 'backend'): void {
    if (this.#ended) return;
    if (!this.#relaying) return this.#end('client closed the connection');
    const reason = side === 'client' ? 'ended by the client' : 'ended by the backend';
    const clientGone = this.#client.destroyed && this.#front.destroyed;
    if (clientGone && (this.#backend?.destroyed ?? true)) return this.#end(reason);
    this.#closing ??= reason;
    setTimeout(() => this.#end(this.#closing ?? reason), 3000).unref();
  }

  /** Cuts the session now (the server is stopping, or it is turned away unanswered). */
  abort(reason: string): void {
    this.#end(reason);
  }

  #idle(): void {
    if (this.#ended) return;
    if (!this.#relaying && this.#dialogIdle && (this.#front === this.#client || this.#secureDialog)) this.#front.end(this.#dialogIdle);
    this.#end(`idle for ${this.#env.listener.idleTimeoutSeconds} s`, this.#relaying || (this.#front !== this.#client && !this.#secureDialog));
  }

  /** Ends the session once: closes what is open (at once, or after the last answer is written) and logs one line. */
  #end(reason: string, destroy = true): void {
    if (this.#ended) return;
    this.#ended = true;
    const refused = this.#filters?.toBackend.refused ?? 0;
    if (refused > 0) this.#facts.push(`${refused} client command(s) that would set the client's address refused`);
    this.#backend?.destroy();
    if (destroy) {
      this.#front.destroy();
      this.#client.destroy();
    } else {
      // The last answer is on its way; a client that does not close gets cut shortly after.
      setTimeout(() => this.#client.destroy(), 2000).unref();
    }
    const l = this.#env.listener;
    const secs = ((Date.now() - this.#started) / 1000).toFixed(1);
    const facts = [`${l.mode}`, ...this.#facts, `${this.#bytesIn} byte(s) from the client`, `${this.#bytesOut} from the backend`, `${secs} s`];
    this.#env.log(`mail ${this.#env.label} session from ${this.clientText}: ${facts.join(', ')}; ${reason}`);
    this.#resolve();
  }
}

/** OpenSSL's reason in a few words ("no suitable signature algorithm"), not its whole multi-line error string. */
function tlsReason(e: Error): string {
  const m = /:SSL routines:[^:]*:([^:]+):/.exec(e.message);
  return m ? m[1]! : e.message.replace(/\s+/g, ' ').trim();
}
