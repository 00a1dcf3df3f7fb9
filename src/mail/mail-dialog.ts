/**
 * What a pre-TLS dialog decides for one client line:
 * - `reply`: answer the client and read on;
 * - `starttls`: answer the client, throw away every byte it sent after this line, and start the
 *   TLS handshake;
 * - `relay`: the client goes on without TLS: send `replay` to the backend first (swallowing one
 *   answer each: the client already had ours), then `line` and everything after it, and relay;
 * - `close`: answer and end the session (`reason` goes to the log).
 * Texts carry their CRLFs.
 */
export type DialogAction =
  | { kind: 'reply'; text: string }
  | { kind: 'starttls'; text: string }
  | { kind: 'relay'; replay: string[]; line: string }
  | { kind: 'close'; text: string; reason: string };

/** What a dialog is made from: the listener's settings and what the backend said when it opened. */
export interface DialogSettings {
  /** The name the proxy greets with (the listener's host name, else the backend's). */
  name: string;
  /** No authentication or mail before TLS. */
  requireTls: boolean;
  /** The backend's greeting line(s) as received (POP reuses its APOP timestamp). */
  backendGreeting: string[];
}

/**
 * The proxy's side of a mail protocol up to the TLS upgrade: a pure state machine that takes the
 * client's command lines one at a time and says what to do. No sockets, no clock: what the session
 * does with sockets is in `mail-session.ts`, so every answer here is tested as plain strings.
 */
export interface MailDialog {
  /** The greeting that opens a STARTTLS session. */
  greeting(): string;
  /** The next client line (without CRLF). */
  line(text: string): DialogAction;
  /** A line over the protocol's limit: an error the first time, the end of the session when it repeats. */
  tooLong(): DialogAction;
  /** Said before an idle session is closed. */
  idle(): string;
}

/** Counts over-long lines: the first is answered, the second closes (one concept shared by the three dialogs). */
export function tooLongAction(count: number, error: string, closing: string): DialogAction {
  return count <= 1 ? { kind: 'reply', text: error } : { kind: 'close', text: closing, reason: 'line too long, twice' };
}

/** The command word of a line, upper case, and the rest after one space. */
export function splitCommand(text: string): { verb: string; rest: string } {
  const t = text.replace(/^\s+/, '');
  const sp = t.indexOf(' ');
  return sp < 0 ? { verb: t.toUpperCase(), rest: '' } : { verb: t.slice(0, sp).toUpperCase(), rest: t.slice(sp + 1).trim() };
}
