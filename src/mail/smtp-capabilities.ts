import { finishReply } from './smtp-relay.js';

/** How long a learned capability list answers EHLO before a session asks the backend again. */
export const CAPABILITY_REFRESH_MS = 5 * 60_000;
/** How long one session has to bring a refreshed list before another one is sent to learn it. */
const REFRESH_TRY_MS = 30_000;

/**
 * The backend's SMTP extensions as last learned, for one STARTTLS listener that greets with a name
 * of its own (nginx's `smtp_capabilities`, learned instead of configured): with a list, a session
 * answers the client's EHLO after TLS itself and reaches the backend only at the first command that
 * needs it. Learned from a real EHLO answer — the first session's (relayed as before), one session's
 * every `refreshMs`, or a lazily connected session's replayed EHLO when the backend's answer
 * changed; forgotten when the backend fails, so the next session connects at once again and a
 * backend that is down gets the client the protocol's temporary failure in the greeting.
 * Per process: each serving worker learns its own.
 */
export class SmtpCapabilities {
  #extensions: string[] | undefined;
  #learnedAt = 0;
  #refreshing = -Infinity;

  constructor(private readonly now: () => number = Date.now, private readonly refreshMs = CAPABILITY_REFRESH_MS) {}

  /**
   * The extensions (as the backend wrote them, after `250-`) this session answers EHLO with, or
   * undefined when it must connect at once and relay the backend's answer (nothing learned yet, or
   * the list is due for a refresh and no other session is refreshing it).
   */
  take(): readonly string[] | undefined {
    const list = this.#extensions;
    if (list === undefined) return undefined;
    const t = this.now();
    if (t - this.#learnedAt < this.refreshMs || t - this.#refreshing < REFRESH_TRY_MS) return list;
    this.#refreshing = t;
    return undefined;
  }

  /** A backend's EHLO answer (its lines with their codes); true when it changed what was learned. Other answers are ignored. */
  learn(reply: readonly string[]): boolean {
    if (!/^250[ -]/.test(reply[0] ?? '') && reply[0] !== '250') return false;
    const extensions = reply.slice(1).map((l) => l.slice(4));
    const before = this.#extensions;
    this.#extensions = extensions;
    this.#learnedAt = this.now();
    this.#refreshing = -Infinity;
    return before !== undefined && (before.length !== extensions.length || before.some((e, i) => e !== extensions[i]));
  }

  /** The backend failed: the next session connects at once (and learns again). */
  forget(): void {
    this.#extensions = undefined;
    this.#refreshing = -Infinity;
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
