import { type DialogAction, type DialogSettings, type MailDialog, splitCommand, tooLongAction } from './mail-dialog.js';

/** RFC 2449 §4: a POP3 command line is at most 255 octets, CRLF included. */
export const POP_LINE_LIMIT = 255;

/**
 * POP3 before the upgrade (RFC 2595 §4, RFC 2449): the proxy greets (keeping the backend's APOP
 * timestamp, so APOP still works when the session is relayed in plain text), answers CAPA with STLS,
 * and upgrades on STLS. With `requireTls`, USER, PASS, APOP and AUTH get `-ERR [AUTH]` (RFC 3206);
 * without it they turn the session into a plaintext relay. Other commands are not valid before
 * login and get `-ERR` here.
 */
export class PopDialog implements MailDialog {
  #tooLong = 0;

  constructor(private readonly s: DialogSettings) {}

  greeting(): string {
    const stamp = /<[^<>\s]+>/.exec(this.s.backendGreeting[0] ?? '')?.[0];
    return `+OK ${this.s.name} ready.${stamp ? ` ${stamp}` : ''}\r\n`;
  }

  line(text: string): DialogAction {
    const { verb, rest } = splitCommand(text);
    const reply = (t: string): DialogAction => ({ kind: 'reply', text: `${t}\r\n` });
    switch (verb) {
      case 'CAPA':
        return reply(`+OK Capability list follows\r\nSTLS\r\n${this.s.requireTls ? '' : 'USER\r\n'}.`);
      case 'STLS':
        if (rest !== '') return reply('-ERR STLS takes no arguments');
        return { kind: 'starttls', text: '+OK Begin TLS negotiation\r\n' };
      case 'QUIT':
        return { kind: 'close', text: '+OK Bye\r\n', reason: 'client quit before TLS' };
      case 'USER':
      case 'PASS':
      case 'APOP':
      case 'AUTH':
        if (this.s.requireTls) return reply('-ERR [AUTH] Authentication requires TLS: use STLS first');
        return { kind: 'relay', replay: [], line: text };
      case '':
        return reply('-ERR Empty command');
      default:
        return reply('-ERR Unknown command, or not allowed before login');
    }
  }

  tooLong(): DialogAction {
    return tooLongAction(++this.#tooLong, '-ERR Line too long\r\n', '-ERR Line too long, closing connection\r\n');
  }

  idle(): string {
    return '-ERR Idle timeout, closing connection\r\n';
  }
}
