import { parseArgs, type ParseArgsConfig } from 'node:util';
import { fail } from '../model/gatehouse-error.js';
import type { Gatehouse } from '../lifecycle/gatehouse.js';

type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | string[] | undefined>;

/** What a command prints: machine output for --json, text for people. */
export interface Output {
  json: unknown;
  text: string;
  /** Lines for stderr that are not errors (warnings, hints). */
  notes?: string[];
  /** The exit code when the command ran but its outcome is a failure (a rolled-back renewal: 1); default 0. */
  exitCode?: number;
}

/** One `gatehouse NOUN VERB`. `run` gets the parsed flags and positionals and the opened core. */
export interface Command {
  noun: string;
  verb: string;
  usage: string;
  summary: string;
  /** One line per flag for --help and docs/cli.md: [flag, what it does]. */
  flags?: Array<[string, string]>;
  options: OptionSpec;
  positionals?: { min: number; max: number; names: string };
  /** Commands that work without opening the store (help, version). */
  needsStore?: boolean;
  run(ctx: CommandContext): Promise<Output> | Output;
}

/** What a command runs with: its flags and arguments, the core (opened on first use), and where the store is. */
export interface CommandContext {
  values: Values;
  positionals: string[];
  gatehouse: () => Gatehouse;
  cwd: string;
  /** The store the command is pointed at (--data, --store-url or $GATEHOUSE_STORE), for commands that open it themselves. */
  where: { dataDir: string; store: string | undefined; cwd: string; masterKeyFromEnv: boolean };
  /** Progress lines for stderr. */
  stderr: (s: string) => void;
  env: NodeJS.ProcessEnv;
}

/** Flags every command takes. */
export const COMMON_OPTIONS: OptionSpec = {
  data: { type: 'string' },
  'store-url': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export function parseCommandLine(cmd: Command, args: string[]): { values: Values; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...COMMON_OPTIONS, ...cmd.options }, allowPositionals: true, strict: true });
  } catch (e) {
    throw fail('GH_USAGE', `${(e as Error).message.replace(/\. To specify a positional.*$/s, '')}. Usage: ${cmd.usage}`);
  }
  const values = parsed.values as Values;
  if (values.help) return { values, positionals: parsed.positionals };
  const p = cmd.positionals ?? { min: 0, max: 0, names: '' };
  if (parsed.positionals.length < p.min) throw fail('GH_USAGE', `Missing ${p.names}. Usage: ${cmd.usage}`);
  if (parsed.positionals.length > p.max) throw fail('GH_USAGE', `Unexpected argument "${parsed.positionals[p.max]}". Usage: ${cmd.usage}`);
  return { values, positionals: parsed.positionals };
}

export function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function required(values: Values, name: string, usage: string): string {
  const v = str(values, name);
  if (v === undefined) throw fail('GH_USAGE', `--${name} is required. Usage: ${usage}`);
  return v;
}

export function list(values: Values, name: string): string[] {
  const v = values[name];
  if (Array.isArray(v)) return v.flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  return typeof v === 'string' ? [v] : [];
}

export function int(values: Values, name: string): number | undefined {
  const v = str(values, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v.trim())) throw fail('GH_USAGE', `--${name} must be a whole number; got "${v}".`);
  return Number(v);
}

export function requestId(text: string): number {
  if (!/^\d+$/.test(text.trim())) throw fail('GH_USAGE', `"${text}" is not a request id; ids are numbers, as "gatehouse request list" shows them.`);
  return Number(text);
}
