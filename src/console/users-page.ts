// Users (the role groups' members) and API tokens: add a user, change a role or a password, remove
// a user; create a token (shown once) and revoke one. Changing users needs users.manage; the token
// list needs it too, so others see only the users.
import { InputProblem } from './api.js';
import { allowed, type Ctx } from './context.js';
import { confirmDialog, Dialog } from './dialog.js';
import { button, field, h, input, isoDay, isoMinute, select } from './dom.js';
import { DataTable } from './table.js';
import { ROLES, type ApiToken, type User } from './types.js';

const ROLE_TEXT: Record<string, string> = {
  'organization-management': 'everything, private keys and the internal CA included',
  'server-management': 'sites, bindings and service assignments with installed certificates',
  'view-only': 'read everything but secrets',
};

const roleOptions = () => ROLES.map((r) => ({ value: r, label: r }));

export async function usersPage(ctx: Ctx): Promise<HTMLElement> {
  const manage = ctx.can('users.manage');
  const [users, tokens] = await Promise.all([ctx.api.get<User[]>('/users'), manage ? ctx.api.get<ApiToken[]>('/tokens') : Promise.resolve([] as ApiToken[])]);
  let user: User | undefined;
  let token: ApiToken | undefined;

  const userTable = new DataTable<User>({
    caption: 'Users',
    columns: [
      { label: 'User', cell: (u) => u.name },
      { label: 'Role', cell: (u) => u.role },
      { label: 'May', cell: (u) => ROLE_TEXT[u.role] ?? '', class: 'hide-md' },
      { label: 'Created', cell: (u) => isoDay(u.created), class: 'hide-sm' },
      { label: 'Last changed', cell: (u) => isoMinute(u.updated), class: 'hide-md' },
    ],
    rows: users,
    key: (u) => u.name,
    empty: 'There are no users.',
    selected: ctx.selection.get('users') ?? null,
    onSelect: (u) => {
      user = u;
      ctx.selection.set('users', u?.name ?? null);
      actions();
    },
  });
  const tokenTable = manage ? new DataTable<ApiToken>({
    caption: 'API tokens',
    columns: [
      { label: 'Token', cell: (t) => h('span', { class: 'mono' }, t.id) },
      { label: 'User', cell: (t) => t.user },
      { label: 'Description', cell: (t) => t.description, class: 'wrap' },
      { label: 'Created', cell: (t) => isoDay(t.created), class: 'hide-md' },
      { label: 'Expires', cell: (t) => (t.expires ? isoDay(t.expires) : 'never'), class: 'hide-sm' },
      { label: 'Last used', cell: (t) => (t.lastUsed ? isoMinute(t.lastUsed) : 'never'), class: 'hide-md' },
    ],
    rows: tokens,
    key: (t) => t.id,
    empty: 'There are no API tokens.',
    selected: ctx.selection.get('tokens') ?? null,
    onSelect: (t) => {
      token = t;
      ctx.selection.set('tokens', t?.id ?? null);
      actions();
    },
  }) : undefined;
  user = userTable.selected;
  token = tokenTable?.selected;

  function actions(): void {
    ctx.setActions(allowed(ctx, [
      {
        heading: 'Users',
        note: user ? `Selected: ${user.name}` : 'Select a user to change or remove them.',
        items: [
          { label: 'Add User…', needs: 'users.manage', run: () => addUserDialog(ctx) },
          { label: 'Change Role…', needs: 'users.manage', disabled: !user, run: () => user && changeUserDialog(ctx, user, 'role') },
          { label: 'Set Password…', needs: 'users.manage', disabled: !user, run: () => user && changeUserDialog(ctx, user, 'password') },
          { label: 'Remove User', needs: 'users.manage', disabled: !user, run: () => user && void removeUser(ctx, user, userTable.keyAfter(user.name)) },
        ],
      },
      {
        heading: 'API tokens',
        note: token ? `Selected: ${token.id} (${token.user})` : 'Select a token to revoke it.',
        items: [
          { label: 'Create API Token…', needs: 'users.manage', run: () => createTokenDialog(ctx, users, user) },
          { label: 'Revoke Token', needs: 'users.manage', disabled: !token, run: () => token && void revokeToken(ctx, token, tokenTable?.keyAfter(token.id) ?? null) },
        ],
      },
    ]));
  }

  actions();
  return h('div', null,
    h('h1', { tabindex: '-1' }, 'Users and API Tokens'),
    h('p', { class: 'description' }, 'Users log in to this console; API tokens let scripts call the admin API as a user. Each user has a role: organization-management, server-management or view-only.'),
    h('h2', null, 'Users'),
    userTable.el,
    tokenTable ? [h('h2', null, 'API tokens'), tokenTable.el] : null);
}

function passwordFields(): { password: HTMLInputElement; confirm: HTMLInputElement; value: () => string } {
  const password = input({ type: 'password', autocomplete: 'new-password', minlength: '12' });
  const confirm = input({ type: 'password', autocomplete: 'new-password' });
  const value = () => {
    if (password.value.length < 12) throw new InputProblem('The password needs at least 12 characters.', password);
    if (password.value !== confirm.value) throw new InputProblem('The two passwords differ: type the same password twice.', confirm);
    return password.value;
  };
  return { password, confirm, value };
}

function addUserDialog(ctx: Ctx): void {
  const name = input({ maxlength: '64', autocomplete: 'off' });
  const role = select(roleOptions(), 'view-only');
  const pw = passwordFields();
  const d = new Dialog('Add User', {
    onSubmit: async () => {
      if (!name.value.trim()) throw new InputProblem('Type the user name.', name);
      const u = await ctx.api.post<User>('/users', { name: name.value.trim(), role: role.value, password: pw.value() });
      d.close();
      ctx.selection.set('users', u.name);
      await ctx.refresh();
      ctx.notify(`Added ${u.name} (${u.role}).`);
    },
  });
  d.body.append(field('User name', name, 'Letters, digits, dots, underscores, @ and hyphens.'), field('Role', role), field('Password', pw.password, 'At least 12 characters.'), field('Confirm password', pw.confirm));
  d.setButtons(d.submitButton('OK'), d.cancelButton());
  d.open();
}

function changeUserDialog(ctx: Ctx, u: User, what: 'role' | 'password'): void {
  const role = select(roleOptions(), u.role);
  const pw = passwordFields();
  const d = new Dialog(what === 'role' ? `Change Role of ${u.name}` : `Set Password of ${u.name}`, {
    onSubmit: async () => {
      const body = what === 'role' ? { role: role.value } : { password: pw.value() };
      const changed = await ctx.api.patch<User>(`/users/${encodeURIComponent(u.name)}`, body);
      d.close();
      await ctx.refresh();
      ctx.notify(what === 'role' ? `${changed.name} is now ${changed.role}. Their console sessions have ended.` : `Set the password of ${changed.name}. Their console sessions have ended.`);
    },
  });
  if (what === 'role') d.body.append(field('Role', role, `${u.name} is ${u.role} now.`));
  else d.body.append(field('New password', pw.password, 'At least 12 characters.'), field('Confirm password', pw.confirm));
  d.body.append(h('p', { class: 'note' }, `${u.name}'s console sessions end with this change${u.name === ctx.session.user ? ', yours included: you will log in again' : ''}.`));
  d.setButtons(d.submitButton('OK'), d.cancelButton());
  d.open();
}

/** Removes a user; `next` (the row after it) takes the selection and the focus. */
async function removeUser(ctx: Ctx, u: User, next: string | null): Promise<void> {
  if (!(await confirmDialog('Remove User', `Remove ${u.name}? Their API tokens are revoked and their console sessions end.`, 'Remove'))) return;
  try {
    await ctx.api.delete(`/users/${encodeURIComponent(u.name)}`);
    ctx.selection.set('users', next);
    await ctx.refresh({ focusRow: next });
    ctx.notify(`Removed ${u.name}.`);
  } catch (e) {
    ctx.fail(e);
  }
}

function createTokenDialog(ctx: Ctx, users: User[], selected: User | undefined): void {
  const user = select(users.map((u) => ({ value: u.name, label: `${u.name} (${u.role})` })), selected?.name ?? ctx.session.user);
  const description = input({ maxlength: '200', placeholder: 'deploy script on build01' });
  const days = input({ type: 'number', min: '1', max: '3650', inputmode: 'numeric', placeholder: 'never' });
  let created = false;
  const d = new Dialog('Create API Token', {
    onSubmit: async () => {
      if (created) {
        d.close();
        return;
      }
      const n = days.value.trim() === '' ? undefined : Number(days.value);
      if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > 3650)) throw new InputProblem('Expiry is a whole number of days from 1 to 3650, or empty for never.', days);
      const t = await ctx.api.post<ApiToken>('/tokens', { user: user.value, ...(description.value.trim() ? { description: description.value.trim() } : {}), ...(n ? { days: n } : {}) });
      created = true;
      ctx.selection.set('tokens', t.id);
      await ctx.refresh();
      const shown = input({ readOnly: true, value: t.token ?? '', class: 'mono token' });
      const copy = button('Copy', () => {
        shown.select();
        void navigator.clipboard.writeText(shown.value).then(() => d.showNotice('The token is on the clipboard.'), () => d.showNotice('Select the token and copy it yourself.'));
      });
      d.body.replaceChildren(
        h('p', null, `The token for ${t.user} is below. `, h('strong', null, 'It is shown this once:'), ' copy it now and keep it secret. Scripts send it as "Authorization: Bearer TOKEN".'),
        field('API token', shown), h('div', { class: 'button-row' }, copy));
      d.setButtons(d.submitButton('Close'));
      d.saved();
      shown.focus();
      shown.select();
    },
    onClose: () => {
      if (created) ctx.notify('Created the API token. It is not shown again; revoke it if it is lost.');
    },
  });
  d.body.append(field('User', user, 'The token acts as this user, with their role.'), field('Description', description), field('Expires after (days)', days, 'Empty: it never expires.'));
  d.setButtons(d.submitButton('Create'), d.cancelButton());
  d.open();
}

/** Revokes a token; `next` (the row after it) takes the selection and the focus. */
async function revokeToken(ctx: Ctx, t: ApiToken, next: string | null): Promise<void> {
  if (!(await confirmDialog('Revoke Token', `Revoke the API token ${t.id} of ${t.user}? Scripts using it are refused from now on.`, 'Revoke'))) return;
  try {
    await ctx.api.delete(`/tokens/${encodeURIComponent(t.id)}`);
    ctx.selection.set('tokens', next);
    await ctx.refresh({ focusRow: next });
    ctx.notify(`Revoked the token ${t.id}.`);
  } catch (e) {
    ctx.fail(e);
  }
}
