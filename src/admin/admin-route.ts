import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static, type TSchema } from 'typebox';
import type { Permission } from '../model/role.js';
import type { Gatehouse } from '../lifecycle/gatehouse.js';
import type { Principal } from '../lifecycle/user-manager.js';
import type { ConsoleSessions, LoginThrottle } from '../lifecycle/console-sessions.js';

/** What a route needs: a permission of DESIGN.md's roles, any signed-in user, or nothing (log in, the OpenAPI document). */
export type Access = Permission | 'signed-in' | 'public';

/** The admin endpoint's shared parts, handed to every route. */
export interface AdminContext {
  gatehouse: Gatehouse;
  sessions: ConsoleSessions;
  throttle: LoginThrottle;
  /** Host names and addresses the console offers (the machine's addresses, the names in use). */
  localAddresses: () => string[];
}

export interface RouteCall<B, Q, P> {
  admin: AdminContext;
  /** The caller; undefined only on public routes. */
  principal: Principal | undefined;
  body: B;
  query: Q;
  params: P;
  request: FastifyRequest;
  reply: FastifyReply;
}

/** A file in a response (a CSR, a PFX): sent as-is with its media type and a download name. */
export class Download {
  constructor(
    readonly data: Buffer | string,
    readonly mediaType: string,
    readonly fileName: string,
  ) {}
}

/**
 * One admin API route: its method and path, the access it needs, and the schemas that both
 * validate requests and make the OpenAPI document. Handlers return the JSON answer (or a Download).
 */
export interface AdminRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Under /api/v1, in Fastify's syntax (`/certificates/:ref`). */
  path: string;
  access: Access;
  summary: string;
  tag: string;
  /** 200 unless the route creates something (201). */
  status?: number;
  body?: TSchema;
  query?: TSchema;
  params?: TSchema;
  response?: TSchema;
  /** The media type of a Download answer, for the OpenAPI document. */
  produces?: string;
  handler(call: RouteCall<any, any, any>): unknown;
}

/** Declares a route with its handler typed by its schemas. */
export function route<B extends TSchema = TSchema, Q extends TSchema = TSchema, P extends TSchema = TSchema>(
  r: Omit<AdminRoute, 'handler' | 'body' | 'query' | 'params'> & { body?: B; query?: Q; params?: P; handler(call: RouteCall<Static<B>, Static<Q>, Static<P>>): unknown },
): AdminRoute {
  return r as AdminRoute;
}

/** Objects in requests are closed: an unknown field is a mistake worth a 400, not something to ignore. */
export function closed<T extends Record<string, TSchema>>(properties: T) {
  return Type.Object(properties, { additionalProperties: false });
}

export const HOST_NAME = Type.String({ minLength: 1, maxLength: 253 });
export const FRIENDLY_NAME = Type.String({ minLength: 1, maxLength: 256 });
export const STORE = Type.Union([Type.Literal('webhosting'), Type.Literal('personal')]);
/** Any store, Trusted Root Certification Authorities (`root`) included: for listing and importing roots. */
export const ANY_STORE = Type.Union([Type.Literal('webhosting'), Type.Literal('personal'), Type.Literal('root')]);
export const BASE64_FILE = Type.String({ minLength: 1, maxLength: 1_500_000, contentEncoding: 'base64', description: 'the file, base64-encoded (at most 1 MiB once decoded)' });
/** Query flags arrive as text; `true`/`false` only. */
export const QUERY_FLAG = Type.Union([Type.Literal('true'), Type.Literal('false')]);
export const QUERY_INT = Type.String({ pattern: '^[0-9]{1,9}$' });
