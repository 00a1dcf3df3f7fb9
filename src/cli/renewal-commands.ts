import type { Certificate } from '../model/certificate.js';
import type { Gatehouse } from '../lifecycle/gatehouse.js';
import { renewalStatus, runRenewal } from '../renewal/renewer.js';
import { renewalAfterCompletion, type RenewalReport } from '../renewal/renewal-transaction.js';
import type { Command, Output } from './command.js';
import { day, details, table } from './table.js';

/** A renewal's report for people: the moves, each probe, the outcome. */
export function reportText(r: RenewalReport): string {
  const head = r.outcome === 'renewed'
    ? `Renewed "${r.old.friendlyName}" → "${r.new.friendlyName}" (renewal ${r.renewal}${r.probed ? '' : ', NOT PROBED'}).`
    : r.outcome === 'rolled-back'
      ? `ROLLED BACK renewal ${r.renewal}: every use is back on "${r.old.friendlyName}"; "${r.new.friendlyName}" is kept, marked failed.`
      : `Renewal ${r.renewal} of "${r.old.friendlyName}" FAILED; nothing was moved.`;
  return [
    head,
    ...(r.moves.length > 0 ? ['Moved:', ...r.moves.map((m) => `  ${m.text}`)] : []),
    ...(r.probes.length > 0 ? ['Probes:', ...r.probes.map((p) => `  ${p.ok ? 'ok  ' : 'FAIL'} ${p.endpoint}: ${p.detail}`)] : []),
    r.detail,
  ].join('\n');
}

/** The exit code of a renewal: 0 renewed (probed or not), 1 rolled back or failed. */
function renewalOutput(report: RenewalReport, json: unknown, text: string, notes: string[] = []): Output {
  return { json, text, notes: [...notes, ...(report.probed || report.outcome !== 'renewed' ? [] : [report.detail])], exitCode: report.outcome === 'renewed' ? 0 : 1 };
}

/**
 * After `request complete` or `request submit`: a request that renews a certificate makes this a
 * renewal — the transaction runs (move, probe, commit or roll back) and its report is added.
 */
export async function renewAfterCompletion(g: Gatehouse, c: Certificate & { renews: string | null; warnings: string[] }, source: string, out: Output): Promise<Output> {
  const report = await renewalAfterCompletion(g, c, { source });
  if (report === null) {
    return c.renews === null ? out : { ...out, notes: [...(out.notes ?? []), `the certificate this request renewed (${c.renews}) is no longer in the store, so there was nothing to move`] };
  }
  return renewalOutput(report, { ...(out.json as object), renewal: report }, `${out.text}\n${reportText(report)}`, out.notes);
}

export const renewalCommands: Command[] = [
  {
    noun: 'renewal',
    verb: 'list',
    usage: 'gatehouse renewal list',
    summary: 'List each certificate with its source (manual, internal, acme:ACCOUNT), next renewal, and last renewal attempt and result.',
    options: {},
    run({ gatehouse }) {
      const rows = renewalStatus(gatehouse());
      return {
        json: rows,
        text: rows.length === 0 ? 'No certificates with a private key.' : table(['Friendly name', 'Source', 'Expires', 'Next renewal', 'Last attempt', 'Result', 'Thumbprint'], rows.map((r) => [
          r.friendlyName, r.source, day(r.notAfter),
          r.replacedBy ? `replaced by ${r.replacedBy.slice(0, 12)}` : r.nextRenewal ? `${day(r.nextRenewal)} (${r.nextRenewalWhy}${r.ariError ? ', ARI unreadable' : ''})` : 'none (manual)',
          r.lastAttempt ? day(r.lastAttempt.started) : '', r.failedProbe ? 'failed probe (as the new certificate)' : r.lastAttempt?.outcome ?? '', r.thumbprint,
        ])),
      };
    },
  },
  {
    noun: 'renewal',
    verb: 'history',
    usage: 'gatehouse renewal history REF',
    summary: 'Show every renewal a certificate took part in (as the old or the new one): moves, probes, outcome.',
    options: {},
    positionals: { min: 1, max: 1, names: 'the certificate (thumbprint or friendly name)' },
    run({ positionals, gatehouse }) {
      const rows = gatehouse().renewals.history(positionals[0]!);
      return {
        json: rows,
        text: rows.length === 0 ? 'No renewals.' : rows.map((r) => details([
          ['Renewal', String(r.id)],
          ['Outcome', r.outcome ?? 'running'],
          ['Source', r.source],
          ['Old', r.old],
          ['New', r.new ?? ''],
          ['Started', r.started],
          ['Finished', r.finished ?? ''],
          ['Moves', r.moves.map((m) => m.text).join('; ')],
          ['Probes', r.probes === null ? 'not probed' : String(r.probes.length)],
          ['Detail', r.detail],
        ])).join('\n\n'),
      };
    },
  },
  {
    noun: 'renewal',
    verb: 'run',
    usage: 'gatehouse renewal run REF [--dry-run]',
    summary: 'Renew a certificate now, in the foreground, from its source (the internal CA; ACME accounts): issue, move every use, probe, commit or roll back.',
    flags: [['--dry-run', 'say what would move and which endpoints would be probed; change nothing']],
    options: { 'dry-run': { type: 'boolean' } },
    positionals: { min: 1, max: 1, names: 'the certificate (thumbprint or friendly name)' },
    async run({ values, positionals, gatehouse }) {
      const g = gatehouse();
      const r = await runRenewal(g, positionals[0]!, { dryRun: values['dry-run'] === true, progress: (line) => process.stderr.write(`${line}\n`) });
      if ('dryRun' in r) {
        return {
          json: r,
          text: [`Dry run: "${r.friendlyName}" (${r.source}) would be renewed; nothing was changed.`, 'Would move:', ...r.moves.map((m) => `  ${m.text}`),
            'Would probe:', ...(r.probes.length ? r.probes.map((p) => `  ${p.endpoint}`) : ['  nothing (no serving endpoint uses it)'])].join('\n'),
        };
      }
      return renewalOutput(r, r, reportText(r));
    },
  },
];
