import { Type } from 'typebox';
import { MAIL_SERVICES, SERVICES } from '../model/service.js';
import { closed, route } from './admin-route.js';
import { AssignResultSchema, ListenerRemovedSchema, ListenerResultSchema, ServiceSchema, UnassignResultSchema } from './resource-schemas.js';

const SERVICE = Type.Union(SERVICES.map((s) => Type.Literal(s)));
const MAIL_SERVICE = closed({ service: Type.Union(MAIL_SERVICES.map((s) => Type.Literal(s))) });
const ENDPOINT = Type.String({ minLength: 3, maxLength: 80, description: 'ADDRESS:PORT, *:PORT or [IPv6]:PORT' });

/** Exchange's "Assign Services to Certificate" and the mail listeners. */
export const serviceRoutes = [
  route({
    method: 'GET', path: '/services', access: 'view', tag: 'services', summary: 'Which certificate SMTP, IMAP, POP and HTTPS present, and the mail listeners', response: Type.Array(ServiceSchema),
    handler: ({ admin }) => admin.gatehouse.services.list(),
  }),
  route({
    method: 'POST', path: '/services/assign', access: 'sites.manage', tag: 'services',
    summary: 'Assign Services to Certificate; replacing the default SMTP certificate needs "overwrite": true (else 409 GH_SERVICE_OVERWRITE_REQUIRED naming the current one). https (IIS) also sets the certificate of the default web site\'s https bindings without SNI (the site with https on *:443 and no host name, or "site"); when that reaches other sites\' clients it needs "force": true (else 409 GH_BINDING_AFFECTS_OTHERS)',
    body: closed({
      certificate: Type.String({ minLength: 1, maxLength: 256 }), services: Type.Array(SERVICE, { minItems: 1, maxItems: 4 }), overwrite: Type.Optional(Type.Boolean()),
      site: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'with https: the web site whose https bindings get the certificate (default: the one with https on *:443 and no host name)' })),
      force: Type.Optional(Type.Boolean({ description: "apply even though other sites' clients would get another certificate" })),
    }),
    response: AssignResultSchema,
    handler: ({ admin, body }) => admin.gatehouse.services.assign(body.certificate, [...new Set(body.services)], { overwrite: body.overwrite, site: body.site, force: body.force }),
  }),
  route({
    method: 'POST', path: '/services/unassign', access: 'sites.manage', tag: 'services', summary: 'Leave services without an assigned certificate',
    body: closed({ services: Type.Array(SERVICE, { minItems: 1, maxItems: 4 }) }), response: UnassignResultSchema,
    handler: ({ admin, body }) => admin.gatehouse.services.unassign([...new Set(body.services)]),
  }),
  route({
    method: 'POST', path: '/services/:service/listeners', access: 'sites.manage', tag: 'services', status: 201, summary: 'Add or change a mail listener',
    params: MAIL_SERVICE,
    body: closed({
      listen: ENDPOINT, backend: Type.String({ minLength: 3, maxLength: 300, description: 'HOST:PORT of the mail server' }),
      mode: Type.Optional(Type.Union([Type.Literal('starttls'), Type.Literal('tls')])), requireTls: Type.Optional(Type.Boolean()),
      host: Type.Optional(Type.String({ maxLength: 253 })), clientAddress: Type.Optional(Type.Union([Type.Literal('off'), Type.Literal('xclient')])),
      maxConnections: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })), idleTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 5, maximum: 86_400 })),
    }),
    response: ListenerResultSchema,
    handler: ({ admin, params, body }) => admin.gatehouse.services.configure({ ...body, service: params.service }),
  }),
  route({
    method: 'DELETE', path: '/services/:service/listeners', access: 'sites.manage', tag: 'services', summary: 'Remove a mail listener (named by listen=ADDRESS:PORT in the query)',
    params: MAIL_SERVICE, query: closed({ listen: ENDPOINT }), response: ListenerRemovedSchema,
    handler: ({ admin, params, query }) => admin.gatehouse.services.unconfigure(params.service, query.listen),
  }),
];
