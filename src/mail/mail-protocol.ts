import type { MailListener, MailService } from '../model/service.js';
import type { DialogSettings, MailDialog } from './mail-dialog.js';
import { IMAP_LINE_LIMIT, ImapDialog } from './imap-dialog.js';
import { POP_LINE_LIMIT, PopDialog } from './pop-dialog.js';
import { SMTP_LINE_LIMIT, SmtpDialog } from './smtp-dialog.js';
import { ImapClientGuard, ImapResponseFilter } from './imap-relay.js';
import { PopCommandGuard, PopResponseFilter } from './pop-relay.js';
import { SmtpCommandGuard, SmtpReplyFilter } from './smtp-relay.js';
import type { FilterCore } from './relay-stream.js';

/** The two filters of a relayed session: client → backend and backend → client. */
export interface RelayFilters {
  toBackend: FilterCore & { refused: number };
  toClient: FilterCore;
}

/** What the proxy saw of the backend before the relay, and who wants to see its EHLO answers. */
export interface RelaySeen {
  ehlo?: readonly string[];
  onEhlo?: (reply: readonly string[]) => void;
}

/**
 * Everything that differs between SMTP, IMAP and POP, in one table: the pre-TLS dialog and its
 * line limit, the answers the proxy gives on its own (busy, backend down), and the relay filters.
 * The session code (`mail-session.ts`) is the same for the three.
 */
export interface MailProtocol {
  lineLimit: number;
  dialog(settings: DialogSettings): MailDialog;
  /** More sessions than `maxConnections`. */
  busy(name: string): string;
  /** The backend cannot be reached or did not greet in time. */
  unavailable(name: string): string;
  /**
   * `tls`: the client has TLS from the proxy, so the backend's TLS offers and login refusals for plain text go.
   * `ehlo`: the backend's answer to the client's EHLO when the proxy replayed it (SMTP: whether it offers CHUNKING);
   * `onEhlo`: each EHLO answer the relay passes to the client (SMTP), for the listener's capability list.
   */
  relay(tls: boolean, seen?: RelaySeen): RelayFilters;
}

const PROTOCOLS: Record<MailService, MailProtocol> = {
  smtp: {
    lineLimit: SMTP_LINE_LIMIT,
    dialog: (s) => new SmtpDialog(s),
    busy: (name) => `421 4.7.0 ${name} Too many connections, try again later\r\n`,
    unavailable: (name) => `421 4.3.2 ${name} Service not available, try again later\r\n`,
    relay: (_tls, seen) => {
      const guard = new SmtpCommandGuard();
      if (seen?.ehlo) guard.chunking = seen.ehlo.some((l) => /^250[ -]CHUNKING\b/i.test(l));
      const toClient = new SmtpReplyFilter(guard);
      toClient.onEhlo = seen?.onEhlo;
      return { toBackend: guard, toClient };
    },
  },
  imap: {
    lineLimit: IMAP_LINE_LIMIT,
    dialog: (s) => new ImapDialog(s),
    busy: () => '* BYE [UNAVAILABLE] Too many connections, try again later\r\n',
    unavailable: () => '* BYE [UNAVAILABLE] Service not available, try again later\r\n',
    relay: (tls) => {
      const guard = new ImapClientGuard();
      return { toBackend: guard, toClient: new ImapResponseFilter(new Set(tls ? ['STARTTLS', 'LOGINDISABLED', 'XCLIENT'] : ['STARTTLS', 'XCLIENT']), guard) };
    },
  },
  pop: {
    lineLimit: POP_LINE_LIMIT,
    dialog: (s) => new PopDialog(s),
    busy: () => '-ERR [SYS/TEMP] Too many connections, try again later\r\n',
    unavailable: () => '-ERR [SYS/TEMP] Service not available, try again later\r\n',
    relay: () => {
      const guard = new PopCommandGuard();
      return { toBackend: guard, toClient: new PopResponseFilter(guard) };
    },
  },
};

export function mailProtocol(service: MailService): MailProtocol {
  return PROTOCOLS[service];
}

/**
 * Whether a STARTTLS listener greets the client before the backend has greeted the proxy: when its
 * greeting needs nothing of the backend's — a host name of its own (else the backend's name is
 * used), and not POP (whose greeting carries the backend's APOP timestamp).
 */
export function greetsBeforeBackend(listener: MailListener): boolean {
  return listener.hostName !== '' && listener.service !== 'pop';
}

/** The name the proxy greets with: the listener's host name, else the name in the backend's greeting, else the machine's. */
export function greetingName(listener: MailListener, backendGreeting: readonly string[], fallback: string): string {
  if (listener.hostName !== '') return listener.hostName;
  if (listener.service === 'smtp') {
    const m = /^220[ -]([A-Za-z0-9.-]+)/.exec(backendGreeting[0] ?? '');
    if (m) return m[1]!;
  }
  return fallback;
}
