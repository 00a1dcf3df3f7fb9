import { type DialogAction, type DialogSettings, type MailDialog, splitCommand, tooLongAction } from './mail-dialog.js';

/** RFC 5321 §4.5.3.1.4: a command line is at most 512 octets, CRLF included. */
export const SMTP_LINE_LIMIT = 512;

/**
 * SMTP before the upgrade (RFC 3207): the proxy greets, answers EHLO with STARTTLS among its
 * extensions (and nothing that needs the backend), NOOP, RSET and QUIT, and upgrades on STARTTLS.
 * With `requireTls` every other command gets `530 5.7.0 Must issue a STARTTLS command first`, as
 * Postfix answers with `smtpd_tls_security_level = encrypt`; without it the first such command turns
 * the session into a plaintext relay, replaying the client's EHLO/HELO to the backend first.
 */
export class SmtpDialog implements MailDialog {
  /** The client's last EHLO or HELO line: the backend needs it before anything else when relaying. */
  #helo: string | undefined;
  #tooLong = 0;

  constructor(private readonly s: DialogSettings) {}

  greeting(): string {
    return `220 ${this.s.name} ESMTP ready\r\n`;
  }

  line(text: string): DialogAction {
    const { verb, rest } = splitCommand(text);
    const reply = (t: string): DialogAction => ({ kind: 'reply', text: `${t}\r\n` });
    switch (verb) {
      case 'EHLO':
        if (rest === '') return reply('501 5.5.4 Syntax: EHLO hostname');
        this.#helo = text;
        return reply(`250-${this.s.name}\r\n250-ENHANCEDSTATUSCODES\r\n250 STARTTLS`);
      case 'HELO':
        if (rest === '') return reply('501 5.5.4 Syntax: HELO hostname');
        this.#helo = text;
        return reply(`250 ${this.s.name}`);
      case 'STARTTLS':
        if (rest !== '') return reply('501 5.5.4 Syntax: STARTTLS takes no parameters');
        return { kind: 'starttls', text: '220 2.0.0 Ready to start TLS\r\n' };
      case 'NOOP':
      case 'RSET':
        return reply('250 2.0.0 OK');
      case 'QUIT':
        return { kind: 'close', text: '221 2.0.0 Bye\r\n', reason: 'client quit before TLS' };
      case '':
        return reply('500 5.5.2 Error: bad syntax');
      default:
        if (this.s.requireTls) return reply('530 5.7.0 Must issue a STARTTLS command first');
        return { kind: 'relay', replay: this.#helo === undefined ? [] : [this.#helo], line: text };
    }
  }

  tooLong(): DialogAction {
    return tooLongAction(++this.#tooLong, '500 5.5.2 Line too long\r\n', `421 4.7.0 ${this.s.name} Line too long, closing connection\r\n`);
  }

  idle(): string {
    return `421 4.4.2 ${this.s.name} Error: timeout exceeded\r\n`;
  }
}
