import { fail } from '../model/gatehouse-error.js';
import { PERMISSIONS, ROLE_PERMISSIONS, ROLES } from '../model/role.js';
import { type Command, int, required, str } from './command.js';
import { readPasswordFile } from './files.js';
import { readSecretFromTerminal } from './terminal.js';
import { table } from './table.js';

/** The password from --password-file, else asked twice on the terminal (never echoed). */
async function password(values: Record<string, unknown>, cwd: string, usage: string): Promise<string> {
  const file = typeof values['password-file'] === 'string' ? values['password-file'] : undefined;
  if (file !== undefined) return readPasswordFile(cwd, file);
  if (!process.stdin.isTTY) throw fail('GH_USAGE', `No terminal to ask for the password: give --password-file FILE (the password on its first line). Usage: ${usage}`);
  const first = await readSecretFromTerminal('Password: ');
  const second = await readSecretFromTerminal('Password again: ');
  if (first !== second) throw fail('GH_USAGE', 'The two passwords differ; nothing was changed.');
  return first;
}

const ROLE_HELP = `one of ${ROLES.join(', ')}`;

export const userCommands: Command[] = [
  {
    noun: 'user',
    verb: 'add',
    usage: 'gatehouse user add NAME --role ROLE [--password-file FILE]',
    summary: 'Add a user of the admin API and console (how the first administrator is made, on the server).',
    flags: [
      ['--role ROLE', `${ROLE_HELP}; "gatehouse user roles" says what each may do`],
      ['--password-file FILE', 'the password on the first line (else asked on the terminal, twice); at least 12 characters'],
    ],
    options: { role: { type: 'string' }, 'password-file': { type: 'string' } },
    positionals: { min: 1, max: 1, names: 'the user name' },
    async run({ values, positionals, gatehouse, cwd }) {
      const role = required(values, 'role', this.usage);
      const u = await gatehouse().users.add({ name: positionals[0]!, role, password: await password(values, cwd, this.usage) });
      return { json: u, text: `Added ${u.name} (${u.role}).` };
    },
  },
  {
    noun: 'user',
    verb: 'set',
    usage: 'gatehouse user set NAME [--role ROLE] [--password | --password-file FILE]',
    summary: "Change a user's role or password.",
    flags: [
      ['--role ROLE', ROLE_HELP],
      ['--password', 'ask for a new password on the terminal'],
      ['--password-file FILE', 'the new password on the first line'],
    ],
    options: { role: { type: 'string' }, password: { type: 'boolean' }, 'password-file': { type: 'string' } },
    positionals: { min: 1, max: 1, names: 'the user name' },
    async run({ values, positionals, gatehouse, cwd }) {
      const wantsPassword = values.password === true || str(values, 'password-file') !== undefined;
      if (!wantsPassword && str(values, 'role') === undefined) throw fail('GH_USAGE', `Nothing to change: give --role, --password or --password-file. Usage: ${this.usage}`);
      const u = await gatehouse().users.set(positionals[0]!, { role: str(values, 'role'), password: wantsPassword ? await password(values, cwd, this.usage) : undefined });
      return { json: u, text: `${u.name} is ${u.role}${wantsPassword ? '; the password was changed' : ''}.` };
    },
  },
  {
    noun: 'user',
    verb: 'list',
    usage: 'gatehouse user list',
    summary: 'List the users and their roles.',
    options: {},
    run({ gatehouse }) {
      const users = gatehouse().users.list();
      return { json: users, text: users.length === 0 ? 'No users yet. Make the first administrator: gatehouse user add NAME --role organization-management' : table(['Name', 'Role', 'Created'], users.map((u) => [u.name, u.role, u.created])) };
    },
  },
  {
    noun: 'user',
    verb: 'remove',
    usage: 'gatehouse user remove NAME',
    summary: 'Remove a user and revoke their API tokens (the last organization-management user stays).',
    options: {},
    positionals: { min: 1, max: 1, names: 'the user name' },
    run({ positionals, gatehouse }) {
      const r = gatehouse().users.remove(positionals[0]!);
      return { json: r, text: `Removed ${r.name}${r.tokensRevoked > 0 ? ` and revoked ${r.tokensRevoked} API token(s)` : ''}.` };
    },
  },
  {
    noun: 'user',
    verb: 'roles',
    usage: 'gatehouse user roles',
    summary: 'What each role may do.',
    options: {},
    needsStore: false,
    run() {
      const json = ROLES.map((r) => ({ role: r, permissions: ROLE_PERMISSIONS[r] }));
      const text = ROLES.map((r) => `${r}\n${ROLE_PERMISSIONS[r].map((p) => `  ${p.padEnd(20)} ${PERMISSIONS[p]}`).join('\n')}`).join('\n\n');
      return { json, text };
    },
  },
  {
    noun: 'token',
    verb: 'create',
    usage: 'gatehouse token create --user NAME [--description TEXT] [--days N]',
    summary: 'Create an API token for a user (sent as "Authorization: Bearer TOKEN"); it is shown once and stored hashed.',
    flags: [
      ['--user NAME', 'whose token: it acts with that user\'s role'],
      ['--description TEXT', 'what it is for, shown by token list'],
      ['--days N', 'expire after N days (default: until revoked)'],
    ],
    options: { user: { type: 'string' }, description: { type: 'string' }, days: { type: 'string' } },
    run({ values, gatehouse }) {
      const t = gatehouse().users.createToken({ user: required(values, 'user', this.usage), description: str(values, 'description'), days: int(values, 'days') });
      return { json: t, text: `${t.token}\n\nThis is the API token for ${t.user} (id ${t.id}${t.expires ? `, expires ${t.expires}` : ''}). It is shown only now: store it in your secret manager.` };
    },
  },
  {
    noun: 'token',
    verb: 'list',
    usage: 'gatehouse token list [--user NAME]',
    summary: 'List API tokens (ids, owners, last use; never the tokens).',
    flags: [['--user NAME', "only that user's tokens"]],
    options: { user: { type: 'string' } },
    run({ values, gatehouse }) {
      const tokens = gatehouse().users.listTokens(str(values, 'user'));
      return { json: tokens, text: tokens.length === 0 ? 'No API tokens.' : table(['Id', 'User', 'Description', 'Created', 'Expires', 'Last used'], tokens.map((t) => [t.id, t.user, t.description, t.created, t.expires ?? 'never', t.lastUsed ?? 'never'])) };
    },
  },
  {
    noun: 'token',
    verb: 'revoke',
    usage: 'gatehouse token revoke ID',
    summary: 'Revoke an API token; calls with it are refused at once.',
    options: {},
    positionals: { min: 1, max: 1, names: 'the token id (from token list)' },
    run({ positionals, gatehouse }) {
      const r = gatehouse().users.revokeToken(positionals[0]!);
      return { json: r, text: `Revoked API token ${r.id}.` };
    },
  },
];
