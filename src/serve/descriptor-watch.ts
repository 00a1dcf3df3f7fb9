import { closeSync, openSync } from 'node:fs';

/** How long a serving process may be out of descriptors before it ends so that it is replaced. */
export const EXHAUSTED_LIMIT_MS = 5000;
/** Exit status of a serving process that ended because it could not accept (EX_TEMPFAIL). */
export const EXHAUSTED_EXIT_CODE = 75;

const EXHAUSTED = new Set(['EMFILE', 'ENFILE']);

/** Whether the process can open one more descriptor right now (false: EMFILE or ENFILE). */
export function canOpenDescriptor(): boolean {
  try {
    closeSync(openSync('/dev/null', 'r'));
    return true;
  } catch (e) {
    return !EXHAUSTED.has((e as NodeJS.ErrnoException).code ?? '');
  }
}

export interface DescriptorWatchOptions {
  log: (line: string) => void;
  /** Ends the process (a worker: the supervisor starts another; alone: the service manager restarts it). */
  exit: (code: number) => void;
  limitMs?: number;
  everyMs?: number;
  probe?: () => boolean;
}

/**
 * Notices a serving process that cannot accept any more: out of file descriptors (EMFILE for the
 * process, ENFILE for the system). libuv then accepts and closes every new connection by itself,
 * usually without telling node (it keeps a spare descriptor for exactly that), so the process looks
 * alive while it turns every client away (issue #10, finding 1). The watch probes once a second by
 * opening /dev/null and also counts listener errors; when the process has been out of descriptors
 * for `limitMs` without a break it logs why and ends with status 75, and its replacement starts
 * with none of the leaked or held descriptors.
 */
export class DescriptorWatch {
  #since: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #ended = false;

  constructor(private readonly options: DescriptorWatchOptions) {}

  start(): void {
    const probe = this.options.probe ?? canOpenDescriptor;
    this.#timer = setInterval(() => {
      if (probe()) this.#recovered();
      else this.#exhausted('EMFILE');
    }, this.options.everyMs ?? 1000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** A listener's 'error' event: accept failures out of descriptors count; anything else is not ours. */
  noteError(error: Error): void {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (EXHAUSTED.has(code)) this.#exhausted(code);
  }

  #recovered(): void {
    if (this.#since === undefined) return;
    this.options.log(`file descriptors available again after ${Math.round((Date.now() - this.#since) / 1000)} s`);
    this.#since = undefined;
  }

  #exhausted(code: string): void {
    if (this.#ended) return;
    const now = Date.now();
    const limitMs = this.options.limitMs ?? EXHAUSTED_LIMIT_MS;
    if (this.#since === undefined) {
      this.#since = now;
      this.options.log(`out of file descriptors (${code}): new connections are turned away; this process ends and is replaced if it lasts ${limitMs / 1000} s ` +
        '(raise LimitNOFILE= / ulimit -n if this is load rather than a leak)');
      return;
    }
    if (now - this.#since < limitMs) return;
    this.#ended = true;
    this.stop();
    this.options.log(`out of file descriptors for ${Math.round((now - this.#since) / 1000)} s: ending so that a fresh process takes over`);
    this.options.exit(EXHAUSTED_EXIT_CODE);
  }
}
