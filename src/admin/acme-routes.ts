import { Type } from 'typebox';
import { closed, QUERY_FLAG, route } from './admin-route.js';
import { AcmeAccountRemovedSchema, AcmeAccountSchema } from './resource-schemas.js';

const NAME = closed({ name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'the ACME account name' }) });

/** ACME accounts (`gatehouse acme account …`). */
export const acmeRoutes = [
  route({
    method: 'GET', path: '/acme/accounts', access: 'view', tag: 'acme', summary: 'List the ACME accounts (never their keys)', response: Type.Array(AcmeAccountSchema),
    handler: ({ admin }) => admin.gatehouse.acme.list(),
  }),
  route({
    method: 'POST', path: '/acme/accounts', access: 'certificates.manage', tag: 'acme', status: 201,
    summary: "Create an account with an ACME CA; its key is sealed in the store. The EAB HMAC key is used once and never stored",
    body: closed({
      name: Type.String({ minLength: 1, maxLength: 64 }),
      directory: Type.String({ minLength: 1, maxLength: 2048, description: 'the ACME directory URL, or letsencrypt, letsencrypt-staging, zerossl' }),
      email: Type.String({ minLength: 3, maxLength: 254 }),
      agreeTos: Type.Boolean({ description: "agreement to the CA's terms of service; must be true" }),
      eabKid: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
      eabHmacKey: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'base64url, as the CA gives it' })),
      directoryCa: Type.Optional(Type.String({ minLength: 1, maxLength: 1_000_000, description: "PEM: the CA that issued a private ACME server's HTTPS certificate" })),
    }),
    response: AcmeAccountSchema,
    handler: ({ admin, body }) => admin.gatehouse.acme.add(body),
  }),
  route({
    method: 'GET', path: '/acme/accounts/:name', access: 'view', tag: 'acme', summary: 'Show an ACME account', params: NAME, response: AcmeAccountSchema,
    handler: ({ admin, params }) => admin.gatehouse.acme.show(params.name),
  }),
  route({
    method: 'DELETE', path: '/acme/accounts/:name', access: 'certificates.manage', tag: 'acme',
    summary: 'Remove an ACME account and destroy its key (refused with 409 GH_ACME_ACCOUNT_IN_USE while certificates in use came from it, unless force=true: they become manual)',
    params: NAME, query: closed({ force: Type.Optional(QUERY_FLAG) }), response: AcmeAccountRemovedSchema,
    handler: ({ admin, params, query }) => admin.gatehouse.acme.remove(params.name, { force: query.force === 'true' }),
  }),
];
