import { availableParallelism } from 'node:os';
import { fail } from '../model/gatehouse-error.js';
import { type Command, int, str } from './command.js';


export const serveCommands: Command[] = [
  {
    noun: 'serve',
    verb: '',
    usage: 'gatehouse serve [--once] [--log-dir DIR] [--workers N]',
    summary: 'Serve every binding of every started site, and apply changes made by other processes live, without a restart.',
    flags: [
      ['--once', 'report what the store holds and exit instead of serving'],
      ['--log-dir DIR', "where each site's access log goes (default: logs/ in the data directory)"],
      ['--workers N', 'serving processes (default: one per CPU core; 1 serves in this process)'],
    ],
    options: { once: { type: 'boolean' }, 'log-dir': { type: 'string' }, workers: { type: 'string' } },
    async run({ values, gatehouse }) {
      const workers = int(values, 'workers') ?? availableParallelism();
      if (workers < 1 || workers > 64) throw fail('GH_USAGE', `--workers takes a number from 1 to 64; got ${workers}.`);
      // The serving plane (http2, send, the proxy library) is loaded only by the command that serves.
      const { describeSummary, serve, summarize } = await import('../serve/serve.js');
      const { isWorker, listenForShutdown, runWorkerPool } = await import('../serve/worker-pool.js');
      const g = gatehouse();
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      listenForShutdown(stop);
      const json = values.json === true;
      const tag = isWorker() ? `gatehouse[${process.pid}]` : 'gatehouse';
      const log = (line: string) => {
        if (!json) process.stdout.write(`${new Date().toISOString()} ${tag}: ${line}\n`);
      };
      if (workers > 1 && !isWorker() && values.once !== true) {
        const summary = summarize(g);
        log(describeSummary(summary));
        await runWorkerPool({ workers, log, signal: controller.signal });
        log('stopped');
        return { json: summarize(g), text: '' };
      }
      const summary = await serve(g, { once: values.once === true, quiet: isWorker(), logDir: str(values, 'log-dir'), signal: controller.signal, log });
      // A worker's channel to the supervisor would keep it alive; close it so the process can end.
      if (isWorker()) process.disconnect?.();
      return { json: summary, text: '' };
    },
  },
  {
    noun: 'audit',
    verb: '',
    usage: 'gatehouse audit [--since ISO-TIME]',
    summary: 'Show the audit log: who changed what, when, before and after (never a secret).',
    flags: [
      ['--since ISO-TIME', 'only changes at or after that time'],
    ],
    options: { since: { type: 'string' } },
    run({ values, gatehouse }) {
      const rows = gatehouse().store.listAudit(str(values, 'since'));
      const text = rows.map((r) => `${r.at}  ${r.actor} (${r.origin})  ${r.action}  ${r.target}`).join('\n') || 'The audit log is empty.';
      return { json: rows, text };
    },
  },
];
