import { type DialogAction, type DialogSettings, type MailDialog, tooLongAction } from './mail-dialog.js';

/** Dovecot's default command line limit (imap_max_line_length is larger, but 8 KiB is ample before login). */
export const IMAP_LINE_LIMIT = 8192;

/**
 * IMAP before the upgrade (RFC 9051 §6.2.1, RFC 2595): the proxy greets with its capabilities
 * (STARTTLS, and LOGINDISABLED when TLS is required), answers CAPABILITY, NOOP, ID and LOGOUT, and
 * upgrades on STARTTLS. With `requireTls`, LOGIN, AUTHENTICATE and anything else get
 * `NO [PRIVACYREQUIRED]`; without it they turn the session into a plaintext relay.
 */
export class ImapDialog implements MailDialog {
  #tooLong = 0;

  constructor(private readonly s: DialogSettings) {}

  #capabilities(): string {
    return `IMAP4rev1 ID STARTTLS${this.s.requireTls ? ' LOGINDISABLED' : ''}`;
  }

  greeting(): string {
    return `* OK [CAPABILITY ${this.#capabilities()}] ${this.s.name} ready.\r\n`;
  }

  line(text: string): DialogAction {
    const m = /^([^\s(){%*"\\\]+]+) +([A-Za-z]+)(?: +(.*))?$/.exec(text);
    if (!m) return { kind: 'reply', text: text.trim() === '' ? '* BAD Empty command line\r\n' : '* BAD Invalid tag or command\r\n' };
    const tag = m[1]!;
    const verb = m[2]!.toUpperCase();
    const args = m[3] ?? '';
    const done = (t: string): DialogAction => ({ kind: 'reply', text: `${t}\r\n` });
    switch (verb) {
      case 'CAPABILITY':
        return done(`* CAPABILITY ${this.#capabilities()}\r\n${tag} OK CAPABILITY completed`);
      case 'NOOP':
        return done(`${tag} OK NOOP completed`);
      case 'ID':
        return done(`* ID NIL\r\n${tag} OK ID completed`);
      case 'LOGOUT':
        return { kind: 'close', text: `* BYE Logging out\r\n${tag} OK LOGOUT completed\r\n`, reason: 'client logged out before TLS' };
      case 'STARTTLS':
        if (args !== '') return done(`${tag} BAD STARTTLS takes no arguments`);
        return { kind: 'starttls', text: `${tag} OK Begin TLS negotiation now\r\n` };
      default:
        if (this.s.requireTls) return done(`${tag} NO [PRIVACYREQUIRED] Run STARTTLS first: nothing is done before TLS here`);
        return { kind: 'relay', replay: [], line: text };
    }
  }

  tooLong(): DialogAction {
    return tooLongAction(++this.#tooLong, '* BAD Line too long\r\n', '* BYE Line too long\r\n');
  }

  idle(): string {
    return '* BYE Autologout; idle for too long\r\n';
  }
}
