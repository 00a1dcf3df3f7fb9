import { fail } from './gatehouse-error.js';

/**
 * Exchange's role groups, as DESIGN.md defines them. `organization-management` may do everything,
 * private keys and the internal CA included; `server-management` looks after sites, bindings and
 * service assignments with the certificates already installed; `view-only` reads everything but secrets.
 */
export const ROLES = ['organization-management', 'server-management', 'view-only'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What an admin API route, a console action or a CLI call needs. Each route declares exactly one;
 * the roles below grant them.
 */
export const PERMISSIONS = {
  view: 'read certificates, requests, sites, bindings, services, users and the audit log (never a secret)',
  'sites.manage': 'add, change, stop and remove sites, their bindings and service assignments, with certificates already installed',
  'certificates.manage': 'create and cancel requests, complete them, create self-signed certificates, rename and remove certificates',
  'keys.manage': 'import and export private keys (PFX, PEM)',
  'ca.manage': 'create the internal CA and have it sign requests',
  'users.manage': 'add, change and remove users and their API tokens',
} as const;
export type Permission = keyof typeof PERMISSIONS;

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  'organization-management': ['view', 'sites.manage', 'certificates.manage', 'keys.manage', 'ca.manage', 'users.manage'],
  'server-management': ['view', 'sites.manage'],
  'view-only': ['view'],
};

export function roleAllows(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}

export function parseRole(value: string): Role {
  const v = value.trim().toLowerCase();
  if ((ROLES as readonly string[]).includes(v)) return v as Role;
  throw fail('GH_ROLE_INVALID', `"${value}" is not a role. Roles: ${ROLES.join(', ')}.`);
}

/** A user of the admin API and console. The password hash never leaves the store. */
export interface User {
  name: string;
  role: Role;
  created: string;
  updated: string;
}

/** An API token's public record; the token itself is shown once, when it is created, and stored hashed. */
export interface ApiToken {
  id: string;
  user: string;
  description: string;
  created: string;
  expires: string | null;
  lastUsed: string | null;
}

const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** User names: 1–64 letters, digits, dots, underscores, @ and hyphens, starting with a letter or digit. */
export function validateUserName(name: string): string {
  if (!USER_NAME.test(name)) {
    throw fail('GH_USER_NAME_INVALID', `"${name}" is not a valid user name: use 1–64 letters, digits, dots, underscores, @ or hyphens, starting with a letter or digit.`);
  }
  return name;
}
