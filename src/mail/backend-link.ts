import { connect, type Socket } from 'node:net';
import type { BackendLines } from './backend-prelude.js';

/** A backend line longer than this before the relay starts is not a mail server talking. */
const LINE_LIMIT = 65_536;

/**
 * The connection to the backend mail server while the proxy still talks to it itself (its
 * greeting, XCLIENT or ID, the replayed EHLO): lines in, lines out, each read bounded by a timeout.
 * When the relay starts, `detach` hands over the socket with whatever it had sent beyond the last
 * line read, so not a byte is lost or read twice.
 */
export class BackendLink implements BackendLines {
  #buffer: Buffer = Buffer.alloc(0);
  #waiter: { resolve: (line: string) => void; reject: (e: Error) => void } | undefined;
  #ended: Error | undefined;
  /** Called once if the backend goes away while the client is still talking to the proxy. */
  onEnd: ((why: Error) => void) | undefined;

  private constructor(readonly socket: Socket, private readonly timeoutMs: number) {
    socket.on('data', this.#data);
    socket.on('error', this.#end);
    socket.on('close', this.#close);
  }

  /** Opens the connection; rejects with the reason (ECONNREFUSED, a timeout …) when it cannot. */
  static open(host: string, port: number, timeoutMs: number): Promise<BackendLink> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no connection within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        resolve(new BackendLink(socket, timeoutMs));
      });
    });
  }

  send(line: string): void {
    this.socket.write(`${line}\r\n`, 'latin1');
  }

  line(): Promise<string> {
    const ready = this.#take();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.#ended) return Promise.reject(this.#ended);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        reject(new Error(`the backend did not answer within ${Math.round(this.timeoutMs / 1000)} s`));
      }, this.timeoutMs);
      this.#waiter = {
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  /** Stops reading lines: the socket and the bytes it sent that no line read took, for the relay. */
  detach(): { socket: Socket; pending: Buffer } {
    this.socket.off('data', this.#data);
    this.socket.off('error', this.#end);
    this.socket.off('close', this.#close);
    this.onEnd = undefined;
    const pending = this.#buffer;
    this.#buffer = Buffer.alloc(0);
    return { socket: this.socket, pending };
  }

  #take(): string | undefined {
    const lf = this.#buffer.indexOf(0x0a);
    if (lf < 0) return undefined;
    const end = lf > 0 && this.#buffer[lf - 1] === 0x0d ? lf - 1 : lf;
    const line = this.#buffer.subarray(0, end).toString('latin1');
    this.#buffer = this.#buffer.subarray(lf + 1);
    return line;
  }

  readonly #data = (chunk: Buffer) => {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    if (this.#waiter) {
      const line = this.#take();
      if (line !== undefined) {
        const w = this.#waiter;
        this.#waiter = undefined;
        w.resolve(line);
      }
    }
    if (this.#buffer.length > LINE_LIMIT) this.#end(new Error('the backend sent a line too long to be a mail protocol line'));
  };

  readonly #end = (e: Error) => {
    if (this.#ended) return;
    this.#ended = e;
    this.socket.destroy();
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.reject(e);
    this.onEnd?.(e);
  };

  readonly #close = () => this.#end(new Error('the backend closed the connection'));
}
