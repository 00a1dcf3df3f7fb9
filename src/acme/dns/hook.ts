/**
 * The hook command DNS-01 provider: any DNS host can be scripted. Runs `COMMAND present FQDN VALUE`
 * and `COMMAND cleanup FQDN VALUE` directly (no shell), with a time limit; a non-zero exit is
 * GH_DNS_HOOK_FAILED ending with what the command wrote to standard error.
 */
import { execFile } from 'node:child_process';
import { fail } from '../../model/gatehouse-error.js';
import type { Dns01Provider, Nameserver } from './provider.js';

export interface HookOptions {
  command: string;
  /** How long one run may take before it is killed. */
  timeoutMs?: number;
  /** The servers to check the record on after `present` (default: the zone's NS records). */
  authoritative?: Nameserver[] | undefined;
}

/** The last few lines of what a command wrote, for a message. */
function tail(text: string): string {
  const lines = text.trim().split('\n').slice(-5).join(' | ');
  return lines.length > 600 ? `…${lines.slice(-600)}` : lines;
}

export class HookProvider implements Dns01Provider {
  readonly authoritative: Nameserver[] | undefined;
  constructor(private readonly opts: HookOptions) {
    this.authoritative = opts.authoritative && opts.authoritative.length > 0 ? opts.authoritative : undefined;
  }

  present(fqdn: string, value: string): Promise<void> {
    return this.run('present', fqdn, value);
  }

  cleanup(fqdn: string, value: string): Promise<void> {
    return this.run('cleanup', fqdn, value);
  }

  private run(step: 'present' | 'cleanup', fqdn: string, value: string): Promise<void> {
    const timeout = this.opts.timeoutMs ?? 120_000;
    const what = `The DNS hook command ${this.opts.command} (${step} ${fqdn})`;
    return new Promise((resolve, reject) => {
      execFile(this.opts.command, [step, fqdn, value], { timeout, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024, windowsHide: true }, (err, _stdout, stderr) => {
        if (!err) return resolve();
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: string | number; signal?: string | null };
        const said = tail(String(stderr ?? ''));
        const output = said ? `; it wrote: ${said}` : '; it wrote nothing to standard error';
        if (e.code === 'ENOENT') return reject(fail('GH_DNS_HOOK_FAILED', `${what} could not be run: no such file. Give the full path of an executable file.`));
        if (e.code === 'EACCES') return reject(fail('GH_DNS_HOOK_FAILED', `${what} could not be run: permission denied. Make the file executable (chmod +x) by the user Gatehouse runs as.`));
        if (e.killed && e.signal === 'SIGKILL') return reject(fail('GH_DNS_HOOK_FAILED', `${what} did not finish within ${timeout / 1000} s and was stopped${output}.`));
        if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return reject(fail('GH_DNS_HOOK_FAILED', `${what} wrote more than 1 MiB of output and was stopped.`));
        const status = typeof e.code === 'number' ? `exited with status ${e.code}` : `was ended by ${e.signal ?? 'an error'}`;
        reject(fail('GH_DNS_HOOK_FAILED', `${what} ${status}${output}.`));
      });
    });
  }
}
