import { fail } from '../model/gatehouse-error.js';
import { act } from '../model/wording.js';
import { type ApiToken, parseRole, type Role, type User, validateUserName } from '../model/role.js';
import type { GatehouseStore } from '../store/gatehouse-store.js';
import { DECOY_HASH, hashPassword, hashToken, newToken, verifyPassword } from './password-hash.js';

/** Who is calling the admin API: the user and the role that decides what they may do. */
export interface Principal {
  user: string;
  role: Role;
  /** How they proved it: a console session or an API token (its id). */
  via: { kind: 'session' } | { kind: 'token'; tokenId: string };
}

const MIN_PASSWORD = 12;
const MAX_PASSWORD = 1024;

/**
 * Users, their passwords and API tokens — Exchange's role group members for Gatehouse. Passwords
 * are stored as scrypt hashes and tokens as SHA-256 hashes; neither is ever returned or audited.
 * Refuses any change that would leave no organization-management user.
 */
export class UserManager {
  constructor(
    private readonly store: GatehouseStore,
    private readonly clock: () => Date,
  ) {}

  list(): User[] {
    return this.store.users.list();
  }

  /** The user, or undefined (no error): how a session checks that its user still exists unchanged. */
  find(name: string): User | undefined {
    const u = this.store.users.get(name);
    return u && { name: u.name, role: u.role, created: u.created, updated: u.updated };
  }

  show(name: string): User {
    const u = this.store.users.get(name);
    if (!u) throw notFound(name);
    return { name: u.name, role: u.role, created: u.created, updated: u.updated };
  }

  async add(input: { name: string; role: string; password: string }): Promise<User> {
    const name = validateUserName(input.name);
    const role = parseRole(input.role);
    checkPassword(name, input.password);
    if (this.store.users.get(name)) throw fail('GH_USER_EXISTS', `A user named "${name}" already exists. Change their role or password with ${act('user-set', name)}.`);
    const hash = await hashPassword(input.password);
    const now = this.clock().toISOString();
    const user: User = { name, role, created: now, updated: now };
    this.store.change(() => ({ action: 'user.add', target: name, after: user }), () => {
      if (this.store.users.get(name)) throw fail('GH_USER_EXISTS', `A user named "${name}" already exists.`);
      this.store.users.insert(user, hash);
    });
    return user;
  }

  /** Changes a user's role and/or password. The audit record says the password changed, never what to. */
  async set(name: string, input: { role?: string | undefined; password?: string | undefined }): Promise<User> {
    const before = this.show(name);
    const role = input.role === undefined ? undefined : parseRole(input.role);
    if (input.password !== undefined) checkPassword(name, input.password);
    if (input.password === undefined && (role === undefined || role === before.role)) return before;
    const hash = input.password === undefined ? undefined : await hashPassword(input.password);
    const now = this.clock().toISOString();
    this.store.change(
      () => ({ action: 'user.set', target: name, before: { role: before.role }, after: { role: role ?? before.role, ...(hash === undefined ? {} : { password: 'changed' }) } }),
      () => {
        if (role !== undefined && role !== 'organization-management') this.#keepAnAdministrator(name);
        this.store.users.update(name, { role, passwordHash: hash }, now);
      },
    );
    return this.show(name);
  }

  remove(name: string): { name: string; removed: true; tokensRevoked: number } {
    const before = this.show(name);
    const tokens = this.store.users.listTokens(name).length;
    this.store.change(() => ({ action: 'user.remove', target: name, before }), () => {
      this.#keepAnAdministrator(name);
      this.store.users.delete(name);
    });
    return { name, removed: true, tokensRevoked: tokens };
  }

  /** Checks a password; resolves the user, or undefined when the name or password is wrong (the same time either way). */
  async verify(name: string, password: string): Promise<User | undefined> {
    const u = this.store.users.get(name);
    const ok = await verifyPassword(password, u?.passwordHash ?? DECOY_HASH);
    return u && ok ? { name: u.name, role: u.role, created: u.created, updated: u.updated } : undefined;
  }

  /** Creates an API token for a user; the token is in the answer once and never again. */
  createToken(input: { user: string; description?: string | undefined; days?: number | undefined }): ApiToken & { token: string } {
    this.show(input.user);
    const description = (input.description ?? '').trim();
    if (description.length > 200 || /[\u0000-\u001f\u007f]/.test(description)) throw fail('GH_USAGE', 'A token description is at most 200 characters, without control characters.');
    if (input.days !== undefined && (!Number.isInteger(input.days) || input.days < 1 || input.days > 3650)) throw fail('GH_DAYS_INVALID', `A token lasts 1 to 3650 days; got ${input.days}.`);
    const { id, token } = newToken();
    const now = this.clock();
    const record: ApiToken = {
      id, user: input.user, description, created: now.toISOString(),
      expires: input.days === undefined ? null : new Date(now.getTime() + input.days * 86_400_000).toISOString(), lastUsed: null,
    };
    this.store.change(() => ({ action: 'token.create', target: id, after: record }), () => this.store.users.insertToken(record, hashToken(token)));
    return { ...record, token };
  }

  listTokens(user?: string): ApiToken[] {
    if (user !== undefined) this.show(user);
    return this.store.users.listTokens(user);
  }

  revokeToken(id: string): { id: string; revoked: true } {
    const t = this.store.users.getToken(id);
    if (!t) throw fail('GH_TOKEN_NOT_FOUND', `There is no API token "${id}". ${act('token-list')} shows them.`);
    this.store.change(() => ({ action: 'token.revoke', target: id, before: t }), () => this.store.users.deleteToken(id));
    return { id, revoked: true };
  }

  /** The principal a bearer token stands for, or undefined when it is unknown or expired. */
  authenticateToken(token: string): Principal | undefined {
    if (!token.startsWith('gh_') || token.length > 200) return undefined;
    const t = this.store.users.findTokenByHash(hashToken(token));
    const now = this.clock().toISOString();
    if (!t || (t.expires !== null && t.expires <= now)) return undefined;
    // Written at most once a minute per token: a busy automation client should not write on every call.
    if (t.lastUsed === null || Date.parse(now) - Date.parse(t.lastUsed) > 60_000) this.store.users.touchToken(t.id, now);
    return { user: t.user, role: t.role, via: { kind: 'token', tokenId: t.id } };
  }

  #administrators(): number {
    return this.store.users.count('organization-management');
  }

  #keepAnAdministrator(leaving: string): void {
    const u = this.store.users.get(leaving);
    if (u?.role === 'organization-management' && this.#administrators() <= 1) {
      throw fail('GH_LAST_ADMINISTRATOR', `"${leaving}" is the last organization-management user; add another administrator first, or nobody could manage users any more.`);
    }
  }
}

function notFound(name: string) {
  return fail('GH_USER_NOT_FOUND', `There is no user "${name}". ${act('user-list')} shows the users.`);
}

function checkPassword(name: string, password: string): void {
  if ([...password].length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
    throw fail('GH_PASSWORD_WEAK', `A password needs at least ${MIN_PASSWORD} characters (and at most ${MAX_PASSWORD}); a passphrase of a few words is easiest.`);
  }
  if (password.toLowerCase() === name.toLowerCase()) throw fail('GH_PASSWORD_WEAK', 'The password must not be the user name.');
}
