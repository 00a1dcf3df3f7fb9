import { serve } from '../serve/serve.js';
import { type Command, str } from './command.js';


export const serveCommands: Command[] = [
  {
    noun: 'serve',
    verb: '',
    usage: 'gatehouse serve [--once] [--log-dir DIR]',
    summary: 'Serve every binding of every started site, and apply changes made by other processes live, without a restart.',
    flags: [
      ['--once', 'report what the store holds and exit instead of serving'],
      ['--log-dir DIR', "where each site's access log goes (default: logs/ in the data directory)"],
    ],
    options: { once: { type: 'boolean' }, 'log-dir': { type: 'string' } },
    async run({ values, gatehouse }) {
      const g = gatehouse();
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const json = values.json === true;
      const summary = await serve(g, {
        once: values.once === true,
        logDir: str(values, 'log-dir'),
        signal: controller.signal,
        log: (line) => {
          if (!json) process.stdout.write(`${new Date().toISOString()} gatehouse: ${line}\n`);
        },
      });
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
