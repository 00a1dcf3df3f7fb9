import { Type } from 'typebox';
import { GatehouseError } from '../model/gatehouse-error.js';
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
    method: 'POST', path: '/acme/directory', access: 'certificates.manage', tag: 'acme',
    summary: "What an ACME directory says about itself before an account is made with it: its terms of service, whether it requires External Account Binding, its website; a directory that cannot be read is answered with problem (what account add would say)",
    body: closed({
      directory: Type.String({ minLength: 1, maxLength: 2048, description: 'the ACME directory URL, or letsencrypt, letsencrypt-staging, zerossl' }),
      directoryCa: Type.Optional(Type.String({ minLength: 1, maxLength: 1_000_000, description: "PEM: the CA that issued a private ACME server's HTTPS certificate" })),
    }),
    response: Type.Object({
      directory: Type.String(),
      termsOfService: Type.Union([Type.String(), Type.Null()]),
      externalAccountRequired: Type.Boolean(),
      website: Type.Union([Type.String(), Type.Null()]),
      problem: Type.Union([Type.String(), Type.Null()], { description: 'why the directory could not be read (unreachable, not ACME, its HTTPS not trusted); null when it was' }),
    }, { additionalProperties: true }),
    // A look-up while the user types: a directory that cannot be read is an answer, not a failure of the call.
    handler: async ({ admin, body }) => {
      try {
        return { ...(await admin.gatehouse.acme.directoryInfo(body)), problem: null };
      } catch (e) {
        if (!(e instanceof GatehouseError)) throw e;
        return { directory: body.directory, termsOfService: null, externalAccountRequired: false, website: null, problem: e.message };
      }
    },
  }),
  route({
    method: 'GET', path: '/acme/challenges', access: 'view', tag: 'acme',
    summary: "The challenge types issuance through an account accepts now — http-01 and tls-alpn-01 need serve running, dns-01 the account's DNS provider — with what each needs or why not, and the one chosen when none is asked for (null: none can be used now)",
    query: closed({ account: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'the ACME account name; without it, dns-01 is judged as for an account without a DNS provider' })) }),
    response: Type.Object({
      default: Type.Union([Type.String(), Type.Null()]),
      challenges: Type.Array(Type.Object({ type: Type.String({ enum: ['http-01', 'tls-alpn-01', 'dns-01'] }), available: Type.Boolean(), detail: Type.String() }, { additionalProperties: true })),
    }, { additionalProperties: true }),
    handler: ({ admin, query }) => admin.gatehouse.acme.challengeChoices(query.account),
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
