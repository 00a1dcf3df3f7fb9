import { join } from 'node:path';
import { copyStoreTo } from '../lifecycle/store-copy.js';
import { fail } from '../model/gatehouse-error.js';
import { type Command, int, required } from './command.js';

const USAGE = 'gatehouse store copy --to postgres://USER:PASSWORD@HOST:PORT/DB[?schema=NAME] | --to DIR';

export const storeCommands: Command[] = [
  {
    noun: 'store',
    verb: 'copy',
    usage: USAGE,
    summary: 'Copy this store (the SQLite file of --data, or the PostgreSQL store of --store-url) into an empty store: a PostgreSQL URL or a new data directory. '
      + 'One snapshot of the source (never written), one transaction in the target, verified row for row before it commits; an interrupted copy leaves the target empty. '
      + 'Nothing may use the target meanwhile; the target needs the same master key.',
    flags: [
      ['--to TARGET', 'where to copy the store: postgres://USER:PASSWORD@HOST:PORT/DB[?schema=NAME] (PostgreSQL), or a data directory (SQLite); it must hold no Gatehouse store'],
      ['--batch N', 'rows read from the source per page (default 1000)'],
    ],
    options: { to: { type: 'string' }, batch: { type: 'string' } },
    needsStore: false,
    run({ values, where, stderr, env }) {
      const to = required(values, 'to', USAGE);
      const batch = int(values, 'batch');
      if (batch !== undefined && (batch < 1 || batch > 100_000)) throw fail('GH_USAGE', `--batch must be between 1 and 100000 rows; got ${batch}.`);
      const pause = Number(env.GATEHOUSE_TEST_COPY_PAUSE_MS ?? 0);
      const s = copyStoreTo(where, to, where.cwd, {
        progress: (line) => stderr(`store copy: ${line}\n`),
        batch,
        pauseMs: Number.isFinite(pause) && pause > 0 ? pause : undefined,
      });
      const key = where.masterKeyFromEnv
        ? 'the nodes using the copy need the same $GATEHOUSE_MASTER_KEY'
        : `the nodes using the copy need the same master key: ${join(where.dataDir, 'master.key')} (mode 0600) in their data directory, or the same $GATEHOUSE_MASTER_KEY`;
      const text = [
        `Copied ${s.rows} row(s) in ${s.tables.length} table(s) from ${s.from} to ${s.to} in ${s.seconds.toFixed(1)} s; verified table by table (row counts and content hashes).`,
        `The copy is at revision ${s.revision} (schema ${s.schemaVersion} in the source). Private keys were copied sealed: ${key}.`,
      ].join('\n');
      return { json: { ...s, masterKey: key }, text };
    },
  },
];
