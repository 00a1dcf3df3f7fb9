import { BackendLink } from './backend-link.js';
import { smtpReply } from './backend-prelude.js';
import { finishReply } from './smtp-relay.js';

/** How long a learned capability list answers EHLO before the backend is asked again (in the background). */
export const CAPABILITY_REFRESH_MS = 5 * 60_000;
/** After a probe that failed, how long before the next session starts another one. */
const PROBE_RETRY_MS = 10_000;

/** Asks the backend for its EHLO answer (its lines); rejects when it cannot be reached or does not greet. */
export type CapabilityProbe = () => Promise<string[]>;

/**
 * The backend's SMTP extensions as last learned, for one STARTTLS listener that greets with a name
 * of its own (nginx's `smtp_capabilities`, learned instead of configured): with a list, a session
 * answers the client's EHLO after TLS itself and reaches the backend only at the first command that
 * needs it. Learned from a real EHLO answer: a probe in the background (greeting, EHLO, QUIT) that
 * the first session starts, and again every `refreshMs` (the old list answers meanwhile); every
 * EHLO answer a relay passes to a client; a lazily connected session's replayed EHLO. Forgotten when
 * the backend fails (or a probe does), so sessions connect at once again and a backend that is down
 * gets the client the protocol's temporary failure in the greeting. Per process: each serving worker
 * learns its own.
 */
export class SmtpCapabilities {
  #extensions: string[] | undefined;
  #learnedAt = 0;
  #probing = false;
  #failedAt = -Infinity;

  constructor(private readonly probe: CapabilityProbe, private readonly now: () => number = Date.now, private readonly refreshMs = CAPABILITY_REFRESH_MS) {}

  /**
   * The extensions (as the backend wrote them, after `250-`) this session answers EHLO with, or
   * undefined when it must connect at once and relay the backend's answer (nothing learned yet).
   * Starts a probe when nothing is learned or the list is due for a refresh.
   */
  take(): readonly string[] | undefined {
    const t = this.now();
    if ((this.#extensions === undefined || t - this.#learnedAt >= this.refreshMs) && !this.#probing && t - this.#failedAt >= PROBE_RETRY_MS) this.#probe();
    return this.#extensions;
  }

  /** A backend's EHLO answer (its lines with their codes); true when it changed what was learned. Other answers are ignored. */
  learn(reply: readonly string[]): boolean {
    if (!/^250[ -]/.test(reply[0] ?? '') && reply[0] !== '250') return false;
    const extensions = reply.slice(1).map((l) => l.slice(4));
    const before = this.#extensions;
    this.#extensions = extensions;
    this.#learnedAt = this.now();
    return before !== undefined && (before.length !== extensions.length || before.some((e, i) => e !== extensions[i]));
  }

  /** The backend failed: sessions connect at once until a probe (or a session) learns the list again. */
  forget(): void {
    this.#extensions = undefined;
  }

  #probe(): void {
    this.#probing = true;
    this.probe().then(
      (reply) => {
        this.#probing = false;
        if (!this.learn(reply) && !/^250/.test(reply[0] ?? '')) this.#failed();
      },
      () => {
        this.#probing = false;
        this.#failed();
      },
    );
  }

  #failed(): void {
    this.#failedAt = this.now();
    this.forget();
  }
}

/**
 * The probe of a real backend: a connection, its greeting (2xx, else a failure), `EHLO name`, the
 * answer, `QUIT`, closed. Bounded by the backend timeout at each step.
 */
export async function probeBackend(host: string, port: number, name: string, timeoutMs: number): Promise<string[]> {
  const link = await BackendLink.open(host, port, timeoutMs);
  try {
    const greeting = await smtpReply(link);
    if (!/^2/.test(greeting[0] ?? '')) throw new Error(`the backend refused: ${greeting.at(-1)}`);
    link.send(`EHLO ${name}`);
    const answer = await smtpReply(link);
    link.send('QUIT');
    await smtpReply(link).catch(() => undefined);
    return answer;
  } finally {
    link.socket.destroy();
  }
}

/** The EHLO answer after TLS from a learned list: the listener's name, then the extensions but STARTTLS, XCLIENT and XFORWARD. */
export function ehloAnswer(name: string, extensions: readonly string[]): string {
  return finishReply([`250-${name}`, ...extensions.map((e) => `250-${e}`)]);
}

/** What the proxy does with one client line over TLS before the backend is needed. */
export type SecureLineAction =
  | { kind: 'reply'; text: string; helo?: boolean }
  | { kind: 'close'; text: string; reason: string }
  | { kind: 'backend' };

/**
 * SMTP over TLS before the backend is reached (a listener with a learned capability list): EHLO
 * and HELO are answered from the list (and remembered, to be replayed to the backend), NOOP and
 * RSET with 250, QUIT with 221; anything else — MAIL, AUTH, VRFY, HELP, garbage — needs the
 * backend: the session connects, and the line goes to it through the relay's guard.
 */
export function secureLine(text: string, name: string, extensions: readonly string[]): SecureLineAction {
  const t = text.replace(/^\s+/, '');
  const sp = t.indexOf(' ');
  const verb = (sp < 0 ? t : t.slice(0, sp)).toUpperCase();
  const rest = sp < 0 ? '' : t.slice(sp + 1).trim();
  switch (verb) {
    case 'EHLO':
      if (rest === '') return { kind: 'reply', text: '501 5.5.4 Syntax: EHLO hostname\r\n' };
      return { kind: 'reply', text: ehloAnswer(name, extensions), helo: true };
    case 'HELO':
      if (rest === '') return { kind: 'reply', text: '501 5.5.4 Syntax: HELO hostname\r\n' };
      return { kind: 'reply', text: `250 ${name}\r\n`, helo: true };
    case 'NOOP':
    case 'RSET':
      if (rest !== '' && verb === 'RSET') return { kind: 'backend' };
      return { kind: 'reply', text: '250 2.0.0 OK\r\n' };
    case 'QUIT':
      return { kind: 'close', text: '221 2.0.0 Bye\r\n', reason: 'client quit before it needed the backend' };
    default:
      return { kind: 'backend' };
  }
}
