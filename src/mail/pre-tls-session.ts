import { LineReader } from './line-reader.js';
import type { DialogAction, MailDialog } from './mail-dialog.js';

/** What a batch of client bytes led to: the actions in order, and how the plaintext part ended. */
export interface PreTlsStep {
  actions: DialogAction[];
  /** Set when the last action is `relay`: the bytes after the relayed line, for the backend. */
  leftover?: Buffer;
  /** Set when the last action is `starttls`: how many bytes the client sent after it (thrown away). */
  discarded?: number;
}

/**
 * The plaintext part of a STARTTLS session, as a pure function of the bytes the client sends: a
 * line reader with the protocol's limit in front of the dialog. It stops at the first action that
 * ends the plaintext part (`starttls`, `relay`, `close`) and never reads a line past it: after
 * STARTTLS/STLS whatever the client pipelined is counted and dropped, so none of it can be taken as
 * a command of the encrypted session (CVE-2011-0411 and the 2021 "NO STARTTLS" findings).
 */
export class PreTlsSession {
  readonly #reader: LineReader;
  #ended = false;

  constructor(private readonly dialog: MailDialog, lineLimit: number) {
    this.#reader = new LineReader(lineLimit);
  }

  get ended(): boolean {
    return this.#ended;
  }

  feed(chunk: Buffer): PreTlsStep {
    if (this.#ended) return { actions: [] };
    this.#reader.append(chunk);
    const actions: DialogAction[] = [];
    for (;;) {
      // One event at a time: nothing after a STARTTLS line is split into lines.
      const ev = this.#reader.next();
      if (!ev) return { actions };
      const action = ev.kind === 'too-long' ? this.dialog.tooLong() : this.dialog.line(ev.text);
      actions.push(action);
      if (action.kind === 'starttls') {
        this.#ended = true;
        return { actions, discarded: this.#reader.take().length };
      }
      if (action.kind === 'relay') {
        this.#ended = true;
        return { actions, leftover: this.#reader.take() };
      }
      if (action.kind === 'close') {
        this.#ended = true;
        this.#reader.take();
        return { actions };
      }
    }
  }
}
