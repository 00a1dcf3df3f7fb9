import type { ApiToken, Role, User } from '../model/role.js';
import type { StoreEngine } from './engine.js';

const TOKEN_COLUMNS = 'id, "user", description, created, expires, last_used AS "lastUsed"';

/** Users (table `users`, with scrypt password hashes) and API tokens (table `api_tokens`, by SHA-256). */
export class UserRepository {
  constructor(private readonly engine: StoreEngine) {}

  /** Inserts a user; call inside `change`. */
  insert(user: User, passwordHash: string): void {
    this.engine.db.run('INSERT INTO users (name, role, password_hash, created, updated) VALUES (?, ?, ?, ?, ?)', user.name, user.role, passwordHash, user.created, user.updated);
  }

  get(name: string): (User & { passwordHash: string }) | undefined {
    const r = this.engine.db.get<{ name: string; role: Role; password_hash: string; created: string; updated: string }>('SELECT name, role, password_hash, created, updated FROM users WHERE name = ?', name);
    return r && { name: r.name, role: r.role, created: r.created, updated: r.updated, passwordHash: r.password_hash };
  }

  list(): User[] {
    return this.engine.db.all<User>('SELECT name, role, created, updated FROM users ORDER BY name').map((u) => ({ name: u.name, role: u.role, created: u.created, updated: u.updated }));
  }

  count(role?: Role): number {
    const r = role === undefined ? this.engine.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM users') : this.engine.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM users WHERE role = ?', role);
    return r!.n;
  }

  /** Changes a user's role and/or password hash; call inside `change`. */
  update(name: string, update: { role?: Role | undefined; passwordHash?: string | undefined }, updated: string): void {
    if (update.role !== undefined) this.engine.db.run('UPDATE users SET role = ?, updated = ? WHERE name = ?', update.role, updated, name);
    if (update.passwordHash !== undefined) this.engine.db.run('UPDATE users SET password_hash = ?, updated = ? WHERE name = ?', update.passwordHash, updated, name);
  }

  /** Deletes a user and (by cascade) their API tokens; call inside `change`. */
  delete(name: string): void {
    this.engine.db.run('DELETE FROM users WHERE name = ?', name);
  }

  /** Inserts an API token by its hash; call inside `change`. */
  insertToken(token: ApiToken, hash: string): void {
    this.engine.db.run('INSERT INTO api_tokens (id, "user", hash, description, created, expires, last_used) VALUES (?, ?, ?, ?, ?, ?, NULL)', token.id, token.user, hash, token.description, token.created, token.expires);
  }

  listTokens(user?: string): ApiToken[] {
    const rows = user === undefined
      ? this.engine.db.all<ApiToken>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens ORDER BY created, id`)
      : this.engine.db.all<ApiToken>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE "user" = ? ORDER BY created, id`, user);
    return rows.map(toToken);
  }

  getToken(id: string): ApiToken | undefined {
    return this.engine.db.get<ApiToken>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE id = ?`, id);
  }

  /** The token with this hash, if any (its user's role included). */
  findTokenByHash(hash: string): (ApiToken & { role: Role }) | undefined {
    return this.engine.db.get<ApiToken & { role: Role }>('SELECT t.id, t."user", t.description, t.created, t.expires, t.last_used AS "lastUsed", u.role FROM api_tokens t JOIN users u ON u.name = t."user" WHERE t.hash = ?', hash);
  }

  /** Records when a token was last used; not a change of configuration, so no audit record and no revision. */
  touchToken(id: string, at: string): void {
    this.engine.db.run('UPDATE api_tokens SET last_used = ? WHERE id = ?', at, id);
  }

  /** Deletes a token; call inside `change`. */
  deleteToken(id: string): void {
    this.engine.db.run('DELETE FROM api_tokens WHERE id = ?', id);
  }
}

function toToken(t: ApiToken): ApiToken {
  return { id: t.id, user: t.user, description: t.description, created: t.created, expires: t.expires, lastUsed: t.lastUsed };
}
