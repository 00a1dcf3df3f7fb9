import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { GatehouseError } from '../model/gatehouse-error.js';
import { withWordedWarnings, worded } from '../model/wording.js';
import { openGatehouse, type Gatehouse } from '../lifecycle/gatehouse.js';
import { missingDirectories, removeNewDataDirectory } from '../lifecycle/data-directory.js';
import { type Command, parseCommandLine } from './command.js';
import { requestCommands } from './request-commands.js';
import { certCommands } from './cert-commands.js';
import { caCommands } from './ca-commands.js';
import { serveCommands } from './serve-commands.js';
import { siteCommands } from './site-commands.js';
import { bindingCommands } from './binding-commands.js';
import { userCommands } from './user-commands.js';
import { serviceCommands } from './service-commands.js';
import { acmeCommands } from './acme-commands.js';
import { notifyCommands } from './notify-commands.js';
import { renewalCommands } from './renewal-commands.js';
import { storeCommands } from './store-commands.js';
import { notifyRenewalOutcomes } from '../renewal/renewal-notifications.js';

export { VERSION } from './version.js';
import { VERSION } from './version.js';

export const COMMANDS: Command[] = [...requestCommands, ...certCommands, ...caCommands, ...siteCommands, ...bindingCommands, ...serviceCommands, ...acmeCommands, ...renewalCommands, ...userCommands, ...notifyCommands, ...serveCommands, ...storeCommands];

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

function overview(): string {
  const lines = ['Gatehouse — TLS front server and certificate manager', '', 'Usage: gatehouse NOUN VERB [flags]   (every command takes --json and --data DIR)', ''];
  for (const c of COMMANDS) lines.push(`  ${`${c.noun} ${c.verb}`.trim().padEnd(20)}${c.summary}`);
  lines.push('', 'Data directory: --data DIR, else $GATEHOUSE_DATA, else ./gatehouse-data.', 'Store: --store-url postgres://… (else $GATEHOUSE_STORE), else the SQLite file in the data directory.', '"gatehouse NOUN VERB --help" shows a command\'s flags.');
  return lines.join('\n');
}

function helpFor(c: Command): string {
  const flags = [...(c.flags ?? []), ['--json', 'machine-readable output on stdout'], ['--data DIR', 'the data directory (else $GATEHOUSE_DATA, else ./gatehouse-data)'], ['--store-url URL', 'a PostgreSQL store, postgres://USER:PASSWORD@HOST:PORT/DB[?schema=NAME] (else $GATEHOUSE_STORE, else the SQLite file in the data directory)']];
  const width = Math.max(...flags.map(([f]) => f!.length));
  return `${c.summary}\n\nUsage: ${c.usage}\n\n${flags.map(([f, d]) => `  ${f!.padEnd(width)}  ${d}`).join('\n')}`;
}

/**
 * The composition root of the CLI: the only place that reads the environment. Parses the command
 * line, opens the core on the data directory when the command needs it, runs the command and
 * prints its result — JSON on stdout with --json, text otherwise; errors as one line on stderr.
 * Returns the exit code: 0 done, 1 refused (a GatehouseError), 2 usage. A command that fails leaves
 * behind no data directory it created (so no stray master key either).
 */
export async function main(rawArgv: string[], io: Io): Promise<number> {
  const argv = hoistGlobalFlags(rawArgv);
  // Two-word nouns (`acme account add`): the first two words name the noun when a command has them.
  const twoWords = argv.length > 1 && COMMANDS.some((c) => c.noun === `${argv[0]} ${argv[1]}`);
  const [noun, maybeVerb] = twoWords ? [`${argv[0]} ${argv[1]}`, argv[2]] : argv;
  if (noun === undefined || noun === '--help' || noun === '-h' || noun === 'help') {
    io.stdout(`${overview()}\n`);
    return noun === undefined ? 2 : 0;
  }
  if (noun === '--version' || noun === 'version') {
    io.stdout(`gatehouse ${VERSION} (Node.js ${process.version}, OpenSSL ${process.versions.openssl})\n`);
    return 0;
  }
  const sameNoun = COMMANDS.filter((c) => c.noun === noun);
  const cmd = sameNoun.find((c) => c.verb === maybeVerb) ?? sameNoun.find((c) => c.verb === '');
  const wantsJson = argv.includes('--json');
  let gatehouse: Gatehouse | undefined;
  let stopNotifying: (() => void) | undefined;
  let newDirectories: string[] = [];
  let failed = false;
  try {
    if (!cmd) {
      if (sameNoun.length > 0) {
        if (maybeVerb === undefined || maybeVerb === '--help' || maybeVerb === '-h') {
          io.stdout(`${sameNoun.map((c) => `  ${c.usage}\n      ${c.summary}`).join('\n')}\n`);
          return maybeVerb === undefined ? 2 : 0;
        }
        throw new GatehouseError('GH_USAGE', `"${noun} ${maybeVerb}" is not a command; ${noun} has: ${sameNoun.map((c) => c.verb).join(', ')}.`);
      }
      const longer = COMMANDS.filter((c) => c.noun.startsWith(`${noun} `));
      if (longer.length > 0) throw new GatehouseError('GH_USAGE', `"${noun}" needs more: ${[...new Set(longer.map((c) => c.noun))].map((n) => `"${n} …"`).join(', ')}. Run "gatehouse --help" for the list.`);
      throw new GatehouseError('GH_USAGE', `"${noun}" is not a command. Run "gatehouse --help" for the list.`);
    }
    const args = argv.slice((twoWords ? 1 : 0) + (cmd.verb === '' ? 1 : 2));
    const { values, positionals } = parseCommandLine(cmd, args);
    if (values.help) {
      io.stdout(`${helpFor(cmd)}\n`);
      return 0;
    }
    const dataDir = resolve(io.cwd, (typeof values.data === 'string' ? values.data : undefined) ?? io.env.GATEHOUSE_DATA ?? 'gatehouse-data');
    const store = (typeof values['store-url'] === 'string' ? values['store-url'] : undefined) ?? io.env.GATEHOUSE_STORE;
    newDirectories = missingDirectories(dataDir);
    const open = () => {
      if (gatehouse) return gatehouse;
      gatehouse = openGatehouse({ dataDir, store, cwd: io.cwd, masterKey: io.env.GATEHOUSE_MASTER_KEY, actor: { name: localUser(), origin: 'cli' } });
      // Every renewal this process runs — a command's, the admin API's or serve's scheduler's — that
      // rolls back or fails is sent to the notification targets: wired here, once, for all of them.
      const g = gatehouse;
      stopNotifying = notifyRenewalOutcomes(g, (line) => io.stderr(`warning: ${line}\n`));
      return g;
    };
    const where = { dataDir, store, cwd: io.cwd, masterKeyFromEnv: Boolean(io.env.GATEHOUSE_MASTER_KEY) };
    const out = await cmd.run({ values, positionals, gatehouse: open, cwd: io.cwd, where, stderr: io.stderr, env: io.env });
    for (const note of out.notes ?? []) io.stderr(`warning: ${worded(note, 'cli')}\n`);
    if (wantsJson) io.stdout(`${JSON.stringify(withWordedWarnings(out.json, 'cli'), null, 2)}\n`);
    else if (out.text !== '') io.stdout(`${out.text}\n`);
    return out.exitCode ?? 0;
  } catch (e) {
    failed = true;
    if (e instanceof GatehouseError) {
      io.stderr(`error: ${oneLine(e.message)} (${e.code})\n`);
      return e.exitCode;
    }
    const err = e as Error;
    io.stderr(`error: internal error: ${oneLine(err?.message ?? String(e))}; nothing was changed. Please report this with the command you ran (GH_INTERNAL)\n`);
    if (io.env.GATEHOUSE_DEBUG) io.stderr(`${err?.stack ?? ''}\n`);
    return 1;
  } finally {
    const leaveNoTrace = failed && newDirectories.length > 0 && (gatehouse === undefined || unchanged(gatehouse));
    stopNotifying?.();
    gatehouse?.close();
    if (leaveNoTrace) removeNewDataDirectory(newDirectories);
  }
}

/** True when nothing was ever written to the store: revision 0 and no audit record (every change and every audited act leaves one). */
function unchanged(g: Gatehouse): boolean {
  try {
    return g.serving.revision() === 0 && g.audit({ limit: 1 }).length === 0;
  } catch {
    return false;
  }
}

/** `gatehouse --data DIR --json cert list` means `gatehouse cert list --data DIR --json`. */
function hoistGlobalFlags(argv: string[]): string[] {
  const front: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    if (a === '--json') front.push(a);
    else if (a === '--data' && i + 1 < argv.length) front.push(a, argv[++i]!);
    else if (a.startsWith('--data=')) front.push(a);
    else if (a === '--store-url' && i + 1 < argv.length) front.push(a, argv[++i]!);
    else if (a.startsWith('--store-url=')) front.push(a);
    else break;
    i++;
  }
  return [...argv.slice(i), ...front];
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}
