import { Type } from 'typebox';
import { renewalStatus, runRenewal } from '../renewal/renewer.js';
import { closed, route } from './admin-route.js';
import { PendingRequestSchema } from './resource-schemas.js';

const REF = closed({ ref: Type.String({ minLength: 1, maxLength: 256, description: 'thumbprint, 8+ leading hex digits of one, or the exact friendly name' }) });
const open = { additionalProperties: true };
const NAMED = Type.Object({ thumbprint: Type.String(), friendlyName: Type.String() }, open);
const MOVE = Type.Object({ kind: Type.String({ enum: ['binding', 'service'] }), text: Type.String({ description: 'the use, as the audit record lists it' }) }, open);
const PROBE = Type.Object({
  endpoint: Type.String({ description: 'e.g. https 127.0.0.1:443 SNI www.contoso.com, smtp 127.0.0.1:587 STARTTLS without SNI' }),
  ok: Type.Boolean(),
  served: Type.Union([Type.String(), Type.Null()], { description: 'the thumbprint the endpoint served; null without a handshake' }),
  detail: Type.String(),
}, open);

const RenewalStatusSchema = Type.Object({
  thumbprint: Type.String(),
  friendlyName: Type.String(),
  notAfter: Type.String(),
  source: Type.String({ description: 'manual, internal, acme:ACCOUNT' }),
  nextRenewal: Type.Union([Type.String(), Type.Null()], { description: 'when it renews by itself; null for manual certificates and replaced ones' }),
  nextRenewalWhy: Type.Union([Type.Literal('ari window'), Type.Literal('lifetime rule'), Type.Null()], { description: "ari window: a random instant in the CA's ACME Renewal Information window (RFC 9773); lifetime rule: a third of the lifetime left, half under 10 days" }),
  ariWindow: Type.Union([Type.Object({ start: Type.String(), end: Type.String() }, open), Type.Null()], { description: "the CA's suggested renewal window, when it gave one" }),
  ariError: Type.Union([Type.String(), Type.Null()], { description: "why the CA's ARI window could not be read (the lifetime rule stands in)" }),
  replacedBy: Type.Union([Type.String(), Type.Null()]),
  lastAttempt: Type.Union([Type.Object({ renewal: Type.Integer(), started: Type.String(), finished: Type.Union([Type.String(), Type.Null()]), outcome: Type.Union([Type.String(), Type.Null()]), detail: Type.String() }, open), Type.Null()]),
  failedProbe: Type.Union([Type.String(), Type.Null()], { description: 'set when it was a renewal\'s new certificate and the probe failed' }),
  uses: Type.Integer(),
}, open);

const RenewalSchema = Type.Object({
  id: Type.Integer(),
  old: Type.String(),
  new: Type.Union([Type.String(), Type.Null()]),
  source: Type.String(),
  started: Type.String(),
  finished: Type.Union([Type.String(), Type.Null()]),
  outcome: Type.Union([Type.String({ enum: ['renewed', 'rolled-back', 'failed'] }), Type.Null()]),
  detail: Type.String(),
  moves: Type.Array(MOVE),
  probes: Type.Union([Type.Array(PROBE), Type.Null()], { description: 'null: not probed' }),
}, open);

const RenewalReportSchema = Type.Object({
  renewal: Type.Integer(),
  old: NAMED,
  new: NAMED,
  source: Type.String(),
  outcome: Type.String({ enum: ['renewed', 'rolled-back', 'failed'] }),
  probed: Type.Boolean({ description: 'false: no serving process ran, so nothing was asked ("not probed")' }),
  detail: Type.String(),
  moves: Type.Array(MOVE),
  probes: Type.Array(PROBE),
  timings: Type.Object({
    appliedMs: Type.Union([Type.Integer(), Type.Null()], { description: 'ms from the store change that moved the uses until every serving process served it; null: none runs, or not all did in time' }),
    probeMs: Type.Union([Type.Integer(), Type.Null()], { description: 'ms the handshakes took; null: not probed' }),
  }, open),
}, open);

const DryRunSchema = Type.Object({
  dryRun: Type.Boolean(),
  thumbprint: Type.String(),
  friendlyName: Type.String(),
  source: Type.String(),
  moves: Type.Array(MOVE),
  probes: Type.Array(Type.Object({ endpoint: Type.String() }, open)),
}, open);

/** Renewals: each certificate's renewal state, a certificate's history, and Renew…. */
export const renewalRoutes = [
  route({
    method: 'GET', path: '/renewals', access: 'view', tag: 'renewals',
    summary: 'Each certificate with its source, next renewal, and last renewal attempt and result; with certificates (thumbprints separated by commas, at most 1000): those certificates only (one page of the Server Certificates list)',
    query: closed({ certificates: Type.Optional(Type.String({ maxLength: 41_000, pattern: '^[0-9A-Fa-f]{40}(,[0-9A-Fa-f]{40}){0,999}$' })) }),
    response: Type.Array(RenewalStatusSchema),
    handler: ({ admin, query }) => {
      if (query.certificates === undefined) return renewalStatus(admin.gatehouse);
      return renewalStatus(admin.gatehouse, {}, undefined, [...new Set(query.certificates.toUpperCase().split(','))]);
    },
  }),
  route({
    method: 'GET', path: '/certificates/:ref/renewals', access: 'view', tag: 'renewals', summary: 'Every renewal a certificate took part in (as the old or the new one), newest first',
    params: REF, response: Type.Array(RenewalSchema),
    handler: ({ admin, params }) => admin.gatehouse.renewals.history(params.ref),
  }),
  route({
    method: 'POST', path: '/certificates/:ref/renew', access: 'certificates.manage', tag: 'renewals', status: 201,
    summary: "Renew…: a new request with the certificate's subject, names and key type (completing it is a renewal); with run, renew now from its source (the internal CA, an ACME account) — issue, move every use, probe, commit or roll back; with dryRun, say what would move",
    params: REF,
    body: closed({ run: Type.Optional(Type.Boolean()), dryRun: Type.Optional(Type.Boolean()) }),
    response: Type.Union([PendingRequestSchema, RenewalReportSchema, DryRunSchema]),
    handler: async ({ admin, params, body }) => {
      if (body.run === true || body.dryRun === true) return runRenewal(admin.gatehouse, params.ref, { dryRun: body.dryRun === true });
      return admin.gatehouse.requests.renew(params.ref);
    },
  }),
];
