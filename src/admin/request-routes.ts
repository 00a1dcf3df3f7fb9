import { Type } from 'typebox';
import type { PendingRequest } from '../model/certificate.js';
import { DEFAULT_KEY_TYPE, parseKeyType } from '../model/key-type.js';
import { toPem } from '../pki/pem.js';
import { BASE64_FILE, closed, Download, FRIENDLY_NAME, HOST_NAME, route, STORE } from './admin-route.js';
import { CaSchema, CertificateSchema, PendingRequestSchema, RequestCancelledSchema } from './resource-schemas.js';
import { renewalAfterCompletion, type RenewalReport } from '../renewal/renewal-transaction.js';
import { uploadedFile } from './upload.js';

const ID = closed({ id: Type.String({ pattern: '^[1-9][0-9]{0,9}$', description: 'the request id' }) });
const SUBJECT_FIELD = Type.String({ minLength: 1, maxLength: 128 });
const DAYS = Type.Integer({ minimum: 1, maximum: 3650 });

/** A completed request that renewed a certificate answers the renewal's report beside the certificate. */
function withRenewal<T extends object>(c: T, report: RenewalReport | null): T & { renewal?: RenewalReport } {
  return report === null ? c : { ...c, renewal: report };
}

function withoutCsr(r: PendingRequest): Omit<PendingRequest, 'csr'> {
  const { csr: _csr, ...rest } = r;
  return rest;
}

/** Pending requests (the New Exchange Certificate wizard, Complete Pending Request) and the internal CA. */
export const requestRoutes = [
  route({
    method: 'GET', path: '/requests', access: 'view', tag: 'requests', summary: 'List pending certificate requests', response: Type.Array(PendingRequestSchema),
    handler: ({ admin }) => admin.gatehouse.requests.list().map(withoutCsr),
  }),
  route({
    method: 'POST', path: '/requests', access: 'certificates.manage', tag: 'requests', status: 201,
    summary: 'Create a certificate request and its private key (the New Exchange Certificate wizard); answers the CSR',
    body: closed({
      cn: HOST_NAME,
      san: Type.Optional(Type.Array(HOST_NAME, { maxItems: 100 })),
      wildcard: Type.Optional(Type.String({ minLength: 1, maxLength: 253, description: "the root domain with 'Enable wildcard certificate': adds *.DOMAIN and DOMAIN" })),
      org: Type.Optional(SUBJECT_FIELD), ou: Type.Optional(SUBJECT_FIELD), city: Type.Optional(SUBJECT_FIELD), state: Type.Optional(SUBJECT_FIELD),
      country: Type.Optional(Type.String({ minLength: 2, maxLength: 2, pattern: '^[A-Za-z]{2}$', description: 'an assigned ISO 3166-1 alpha-2 code, e.g. US, GB or DE' })),
      key: Type.Optional(Type.String({ description: 'rsa-2048 (default), rsa-3072, rsa-4096, ecdsa-p256, ecdsa-p384' })),
      exportable: Type.Optional(Type.Boolean()),
      friendlyName: Type.Optional(FRIENDLY_NAME),
    }),
    response: PendingRequestSchema,
    handler: ({ admin, body }) => admin.gatehouse.requests.create({
      cn: body.cn, sans: body.san ?? [], wildcard: body.wildcard, org: body.org, ou: body.ou, city: body.city, state: body.state, country: body.country,
      keyType: body.key === undefined ? DEFAULT_KEY_TYPE : parseKeyType(body.key), exportable: body.exportable ?? false, friendlyName: body.friendlyName,
    }),
  }),
  route({
    method: 'GET', path: '/requests/:id', access: 'view', tag: 'requests', summary: 'Show a pending request (with its CSR)', params: ID, response: PendingRequestSchema,
    handler: ({ admin, params }) => admin.gatehouse.requests.show(Number(params.id)),
  }),
  route({
    method: 'GET', path: '/requests/:id/csr', access: 'view', tag: 'requests', summary: 'Download the CSR (PEM) to send to a CA', params: ID, produces: 'application/pkcs10',
    handler: ({ admin, params }) => new Download(admin.gatehouse.requests.show(Number(params.id)).csr, 'application/pkcs10', `request-${params.id}.csr`),
  }),
  route({
    method: 'DELETE', path: '/requests/:id', access: 'certificates.manage', tag: 'requests', summary: 'Cancel a pending request and destroy its private key', params: ID, response: RequestCancelledSchema,
    handler: ({ admin, params }) => admin.gatehouse.requests.cancel(Number(params.id)),
  }),
  route({
    method: 'POST', path: '/requests/complete', access: 'certificates.manage', tag: 'requests', status: 201,
    summary: "Complete Certificate Request…: the CA's response (PEM/DER .cer, a bundle, or PKCS#7), a friendly name and the store",
    body: closed({ file: BASE64_FILE, fileName: Type.Optional(Type.String({ maxLength: 255 })), friendlyName: Type.Optional(FRIENDLY_NAME), store: Type.Optional(STORE) }),
    response: CertificateSchema,
    handler: async ({ admin, body }) => {
      const c = admin.gatehouse.requests.complete(uploadedFile(body.file, "CA's response"), body.fileName ?? 'response', { friendlyName: body.friendlyName, store: body.store });
      return withRenewal(c, await renewalAfterCompletion(admin.gatehouse, c, { source: 'manual' }));
    },
  }),
  route({
    method: 'POST', path: '/requests/:id/submit', access: 'ca.manage', tag: 'requests', status: 201,
    summary: 'Submit a pending request to the internal CA, which signs it; the request is completed at once',
    params: ID,
    body: closed({ ca: Type.Literal('internal'), friendlyName: Type.Optional(FRIENDLY_NAME), store: Type.Optional(STORE), days: Type.Optional(DAYS) }),
    response: CertificateSchema,
    handler: async ({ admin, params, body }) => {
      const c = await admin.gatehouse.requests.submit(Number(params.id), body.ca, { friendlyName: body.friendlyName, store: body.store, days: body.days });
      return withRenewal(c, await renewalAfterCompletion(admin.gatehouse, c, { source: 'internal' }));
    },
  }),
  route({
    method: 'POST', path: '/requests/:id/acme', access: 'certificates.manage', tag: 'requests', status: 201,
    summary: 'Submit a pending request to an ACME CA through an account: order, answer the challenges (serve must run for http-01 and tls-alpn-01), finalize with the request\'s CSR, install',
    params: ID,
    body: closed({
      account: Type.String({ minLength: 1, maxLength: 64, description: 'the ACME account name' }),
      challenge: Type.Optional(Type.Union([Type.Literal('http-01'), Type.Literal('tls-alpn-01'), Type.Literal('dns-01')], { description: "default: dns-01 for a wildcard name, else http-01 when serve listens for http on port 80, else tls-alpn-01; dns-01 uses the account's DNS provider (set with the CLI on the server)" })),
      friendlyName: Type.Optional(FRIENDLY_NAME), store: Type.Optional(STORE),
    }),
    response: CertificateSchema,
    handler: ({ admin, params, body }) => admin.gatehouse.acme.issue(Number(params.id), body.account, { challenge: body.challenge, friendlyName: body.friendlyName, store: body.store }),
  }),
  route({
    method: 'GET', path: '/ca', access: 'view', tag: 'ca', summary: 'Show the internal CA', response: CaSchema,
    handler: ({ admin }) => admin.gatehouse.ca.show(),
  }),
  route({
    method: 'POST', path: '/ca', access: 'ca.manage', tag: 'ca', status: 201, summary: 'Create the internal CA',
    body: closed({ cn: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), key: Type.Optional(Type.String()), days: Type.Optional(DAYS) }),
    response: CaSchema,
    handler: ({ admin, body }) => admin.gatehouse.ca.init({ cn: body.cn, keyType: body.key === undefined ? undefined : parseKeyType(body.key), days: body.days }),
  }),
  route({
    method: 'GET', path: '/ca/certificate', access: 'view', tag: 'ca', summary: "Download the internal CA's certificate (PEM) for clients to trust", produces: 'application/x-pem-file',
    handler: ({ admin }) => new Download(toPem(admin.gatehouse.ca.certificate()), 'application/x-pem-file', 'gatehouse-internal-ca.pem'),
  }),
  route({
    method: 'POST', path: '/ca/sign', access: 'ca.manage', tag: 'ca', produces: 'application/x-pem-file',
    summary: 'Issue a TLS server certificate for a CSR made anywhere: answers the certificate and the CA certificate (PEM)',
    body: closed({ csr: BASE64_FILE, days: Type.Optional(DAYS) }),
    handler: async ({ admin, body }) => {
      const issued = await admin.gatehouse.ca.sign(uploadedFile(body.csr, 'request'), body.days);
      return new Download(toPem(issued.der) + toPem(admin.gatehouse.ca.certificate()), 'application/x-pem-file', `${issued.thumbprint}.pem`);
    },
  }),
];
