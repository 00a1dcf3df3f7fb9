import { isIPv6 } from 'node:net';
import type { MailService } from '../model/service.js';

/** The backend, one line at a time: how the prelude talks to it (a socket in a session, a script in tests). */
export interface BackendLines {
  send(line: string): void;
  /** The next line, without its CRLF; rejects when the backend closes or stays silent too long. */
  line(): Promise<string>;
}

export interface PreludeResult {
  /** The greeting the backend gave (after XCLIENT, the new one): what a relayed implicit-TLS session shows the client. */
  greeting: string[];
  /** False when the backend refused the session in its greeting (SMTP 4xx/5xx, IMAP BYE, POP -ERR). */
  accepted: boolean;
  /** How the client's address reached the backend, or why it did not (for the session log). */
  forwarding: string;
}

/** Where the client came from, as the backend should see it. */
export interface ClientEndpoint {
  address: string;
  port: number;
}

/** Reads one SMTP reply: lines up to the one whose code is followed by a space (RFC 5321 §4.2.1). */
export async function smtpReply(io: BackendLines): Promise<string[]> {
  const lines: string[] = [];
  for (;;) {
    const l = await io.line();
    lines.push(l);
    if (!/^\d{3}-/.test(l)) return lines;
  }
}

/**
 * The backend's side of a session before the client's bytes reach it: read its greeting and, when
 * the listener forwards client addresses, tell it who the client is — Postfix's XCLIENT (after an
 * EHLO, answered by a new 220 greeting), Dovecot's IMAP `ID ("x-originating-ip" …)` or POP
 * `XCLIENT`. Done before the client is greeted, so a backend that is down or refuses is known while
 * the client can still get the protocol's temporary-failure greeting. A backend that does not take
 * the forwarding is no reason to refuse the client: the address is in the log either way.
 */
export async function backendPrelude(service: MailService, io: BackendLines, client: ClientEndpoint | undefined, name: string): Promise<PreludeResult> {
  const greeting = service === 'smtp' ? await smtpReply(io) : [await io.line()];
  const first = greeting[0] ?? '';
  const accepted = service === 'smtp' ? /^2/.test(first) : service === 'imap' ? /^\* (OK|PREAUTH)\b/i.test(first) : /^\+OK/i.test(first);
  if (!accepted || !client) return { greeting, accepted, forwarding: client ? 'not sent (the backend refused the session)' : 'logged only' };
  if (service === 'smtp') {
    io.send(`EHLO ${name}`);
    const ehlo = await smtpReply(io);
    if (!/^250/.test(ehlo[0] ?? '') || !ehlo.some((l) => /^250[ -]XCLIENT\b/i.test(l))) return { greeting, accepted, forwarding: 'not offered by the backend (XCLIENT missing from its EHLO answer); logged only' };
    const addr = isIPv6(client.address) ? `IPV6:${client.address}` : client.address;
    io.send(`XCLIENT ADDR=${addr} PORT=${client.port}`);
    const answer = await smtpReply(io);
    if (/^220/.test(answer[0] ?? '')) return { greeting: answer, accepted, forwarding: 'XCLIENT' };
    return { greeting, accepted, forwarding: `refused by the backend (${answer[answer.length - 1]})` };
  }
  if (service === 'imap') {
    io.send(`gh1 ID ("x-originating-ip" "${client.address}" "x-originating-port" "${client.port}")`);
    let l: string;
    do l = await io.line();
    while (!l.startsWith('gh1 '));
    return { greeting, accepted, forwarding: /^gh1 OK/i.test(l) ? 'ID' : `refused by the backend (${l})` };
  }
  io.send(`XCLIENT ADDR=${client.address} PORT=${client.port}`);
  const answer = await io.line();
  return { greeting, accepted, forwarding: /^\+OK/i.test(answer) ? 'XCLIENT' : `refused by the backend (${answer})` };
}

/** Sends lines the backend must see before the relay (the client's EHLO) and swallows their answers; answers the last one. */
export async function replay(service: MailService, io: BackendLines, lines: readonly string[]): Promise<string[]> {
  let last: string[] = [];
  for (const l of lines) {
    io.send(l);
    last = service === 'smtp' ? await smtpReply(io) : [await io.line()];
  }
  return last;
}
