import { Type } from 'typebox';
import { closed, HOST_NAME, QUERY_FLAG, QUERY_INT, route } from './admin-route.js';
import { BindingResultSchema, BindingSchema, ExplanationSchema, SiteRemovedSchema, SiteSchema } from './resource-schemas.js';
import { DEFAULT_PAGE, pageHeaders } from './paging.js';

const NAME = closed({ name: Type.String({ minLength: 1, maxLength: 100, description: 'the site name' }) });
const SITE_FIELDS = {
  root: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'a static site: the folder it serves' })),
  proxy: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'a proxied site: the upstream URL (http or https)' })),
  httpsRedirect: Type.Optional(Type.Boolean()),
  hsts: Type.Optional(Type.Boolean()),
  logFormat: Type.Optional(Type.Union([Type.Literal('w3c'), Type.Literal('combined'), Type.Literal('off')], { description: "the access log: w3c (IIS's W3C extended, the default), combined, or off (none written)" })),
};
const PROTOCOL = Type.Union([Type.Literal('http'), Type.Literal('https')]);
const IP = Type.String({ minLength: 1, maxLength: 64, description: 'an IPv4/IPv6 address of this machine, or * for All Unassigned (default)' });
const PORT = Type.Integer({ minimum: 1, maximum: 65535 });
const HOST = Type.String({ maxLength: 253, description: 'the host name; empty for none' });
const FORCE = Type.Optional(Type.Boolean({ description: "apply even though other sites' clients would get another certificate or site" }));
const FORCE_QUERY = closed({ force: Type.Optional(QUERY_FLAG) });

/** IIS's Sites node and each site's Bindings dialog. */
export const siteRoutes = [
  route({
    method: 'GET', path: '/sites', access: 'view', tag: 'sites',
    summary: 'List sites with their bindings. With limit, cursor or name: one page (limit 1–1000, default 100) by name, of the sites whose name or a binding\'s host name contains name (any case); ' +
      'the X-Total-Count header says how many match, X-Next-Cursor (absent on the last page) is the cursor of the next page',
    query: closed({ name: Type.Optional(Type.String({ maxLength: 256 })), limit: Type.Optional(QUERY_INT), cursor: Type.Optional(Type.String({ maxLength: 2048 })) }),
    response: Type.Array(SiteSchema),
    handler: ({ admin, query, reply }) => {
      if (query.limit === undefined && query.cursor === undefined && query.name === undefined) return admin.gatehouse.sites.list();
      const page = admin.gatehouse.sites.page({ name: query.name, limit: query.limit === undefined ? DEFAULT_PAGE : Number(query.limit), cursor: query.cursor });
      pageHeaders(reply, page);
      return page.items;
    },
  }),
  route({
    method: 'POST', path: '/sites', access: 'sites.manage', tag: 'sites', status: 201, summary: 'Add a site (a folder to serve or an upstream to proxy)',
    body: closed({ name: Type.String({ minLength: 1, maxLength: 100 }), ...SITE_FIELDS }), response: SiteSchema,
    handler: ({ admin, body }) => admin.gatehouse.sites.add(body),
  }),
  route({
    method: 'GET', path: '/sites/:name', access: 'view', tag: 'sites', summary: 'Show a site', params: NAME, response: SiteSchema,
    handler: ({ admin, params }) => admin.gatehouse.sites.show(params.name),
  }),
  route({
    method: 'PATCH', path: '/sites/:name', access: 'sites.manage', tag: 'sites', summary: "Change a site's content, redirect, HSTS or log format", params: NAME,
    body: closed(SITE_FIELDS), response: SiteSchema,
    handler: ({ admin, params, body }) => admin.gatehouse.sites.set({ ...body, name: params.name }),
  }),
  route({
    method: 'DELETE', path: '/sites/:name', access: 'sites.manage', tag: 'sites', summary: 'Remove a site and its bindings (force=true: even when that reaches other sites\' clients, else 409 GH_BINDING_AFFECTS_OTHERS)', params: NAME,
    query: FORCE_QUERY, response: SiteRemovedSchema,
    handler: ({ admin, params, query }) => admin.gatehouse.sites.remove(params.name, query.force === 'true'),
  }),
  route({
    method: 'POST', path: '/sites/:name/stop', access: 'sites.manage', tag: 'sites', summary: 'Stop a site (its bindings stop answering); force=true: even when that reaches other sites\' clients, else 409 GH_BINDING_AFFECTS_OTHERS', params: NAME,
    query: FORCE_QUERY, response: SiteSchema,
    handler: ({ admin, params, query }) => admin.gatehouse.sites.setState(params.name, 'stopped', query.force === 'true'),
  }),
  route({
    method: 'POST', path: '/sites/:name/start', access: 'sites.manage', tag: 'sites', summary: 'Start a site; force=true: even when that reaches other sites\' clients, else 409 GH_BINDING_AFFECTS_OTHERS', params: NAME,
    query: FORCE_QUERY, response: SiteSchema,
    handler: ({ admin, params, query }) => admin.gatehouse.sites.setState(params.name, 'started', query.force === 'true'),
  }),
  route({
    method: 'GET', path: '/bindings', access: 'view', tag: 'bindings',
    summary: 'List all bindings, or one site\'s. With limit, cursor, name, protocol or sni: one page (limit 1–1000, default 100) by site, protocol, port, address and host, of the bindings whose host or site name contains name (any case), of that protocol, with (sni=true) or without SNI; ' +
      'the X-Total-Count header says how many match, X-Next-Cursor (absent on the last page) is the cursor of the next page',
    query: closed({
      site: Type.Optional(Type.String({ maxLength: 100 })), name: Type.Optional(Type.String({ maxLength: 256 })), limit: Type.Optional(QUERY_INT), cursor: Type.Optional(Type.String({ maxLength: 2048 })),
      protocol: Type.Optional(PROTOCOL), sni: Type.Optional(QUERY_FLAG),
    }),
    response: Type.Array(BindingSchema),
    handler: ({ admin, query, reply }) => {
      const filtered = query.limit !== undefined || query.cursor !== undefined || query.name !== undefined || query.protocol !== undefined || query.sni !== undefined;
      if (!filtered) return admin.gatehouse.bindings.list(query.site);
      const page = admin.gatehouse.bindings.page({
        site: query.site, name: query.name, protocol: query.protocol, sni: query.sni === undefined ? undefined : query.sni === 'true',
        limit: query.limit === undefined ? DEFAULT_PAGE : Number(query.limit), cursor: query.cursor,
      });
      pageHeaders(reply, page);
      return page.items;
    },
  }),
  route({
    method: 'GET', path: '/sites/:name/bindings', access: 'view', tag: 'bindings', summary: "A site's bindings (the Site Bindings dialog)", params: NAME, response: Type.Array(BindingSchema),
    handler: ({ admin, params }) => admin.gatehouse.bindings.list(params.name),
  }),
  route({
    method: 'POST', path: '/sites/:name/bindings', access: 'sites.manage', tag: 'bindings', status: 201,
    summary: 'Add… a binding: type, IP address, port, host name, Require Server Name Indication, SSL certificate',
    params: NAME,
    body: closed({ protocol: PROTOCOL, ip: Type.Optional(IP), port: PORT, host: Type.Optional(HOST), sni: Type.Optional(Type.Boolean()), cert: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })), force: FORCE }),
    response: BindingResultSchema,
    handler: ({ admin, params, body }) => admin.gatehouse.bindings.add({ ...body, site: params.name }),
  }),
  route({
    method: 'PATCH', path: '/sites/:name/bindings', access: 'sites.manage', tag: 'bindings',
    summary: 'Edit… an https binding (named by protocol, ip, port, host): its certificate and Require SNI',
    params: NAME,
    body: closed({ protocol: PROTOCOL, ip: Type.Optional(IP), port: PORT, host: Type.Optional(HOST), sni: Type.Optional(Type.Boolean()), cert: Type.String({ minLength: 1, maxLength: 256 }), force: FORCE }),
    response: BindingResultSchema,
    handler: ({ admin, params, body }) => admin.gatehouse.bindings.edit({ ...body, site: params.name }),
  }),
  route({
    method: 'DELETE', path: '/sites/:name/bindings', access: 'sites.manage', tag: 'bindings', summary: 'Remove a binding (named by protocol, ip, port, host in the query)',
    params: NAME,
    query: closed({ protocol: PROTOCOL, ip: Type.Optional(IP), port: QUERY_INT, host: Type.Optional(HOST), force: Type.Optional(QUERY_FLAG) }),
    response: BindingResultSchema,
    handler: ({ admin, params, query }) => admin.gatehouse.bindings.remove({ site: params.name, protocol: query.protocol, ip: query.ip, port: Number(query.port), host: query.host, force: query.force === 'true' }),
  }),
  route({
    method: 'GET', path: '/bindings/explain', access: 'view', tag: 'bindings', summary: 'Which certificate and site a client gets for an address, port, SNI name and Host',
    query: closed({ port: QUERY_INT, ip: Type.Optional(IP), sni: Type.Optional(HOST_NAME), host: Type.Optional(HOST_NAME), protocol: Type.Optional(PROTOCOL) }),
    response: ExplanationSchema,
    handler: ({ admin, query }) => admin.gatehouse.bindings.explain({ ...query, port: Number(query.port) }),
  }),
];
