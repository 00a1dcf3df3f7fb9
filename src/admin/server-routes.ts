import { hostname } from 'node:os';
import { Type } from 'typebox';
import { fail } from '../model/gatehouse-error.js';
import { closed, QUERY_INT, route } from './admin-route.js';
import { AuditEntrySchema, FarmSchema, ServerSchema } from './resource-schemas.js';

/** The audit log, and what the console needs to know about the machine. */
export const serverRoutes = [
  route({
    method: 'GET', path: '/audit', access: 'view', tag: 'audit', summary: 'The audit log: who changed what, when, from where, before and after (never a secret)',
    query: closed({ since: Type.Optional(Type.String({ maxLength: 40, description: 'ISO date or time' })), last: Type.Optional(QUERY_INT) }),
    response: Type.Array(AuditEntrySchema),
    handler: ({ admin, query }) => {
      let since: string | undefined;
      if (query.since !== undefined) {
        const t = Date.parse(query.since);
        if (!/^\d{4}-\d{2}-\d{2}/.test(query.since) || Number.isNaN(t)) throw fail('GH_REQUEST_BODY_INVALID', `since takes an ISO date or time such as 2026-11-01; got "${query.since}".`);
        since = new Date(t).toISOString();
      }
      return admin.gatehouse.audit({ since, limit: query.last === undefined ? undefined : Number(query.last) });
    },
  }),
  route({
    method: 'GET', path: '/server', access: 'view', tag: 'server',
    summary: "The server: its name, local addresses (the Bindings dialog's IP list) and the host names its bindings use (what the request wizard proposes); " +
      'with hostNames=N, the first N host names only (0: none, without reading the bindings) and hostNameCount, how many there are in all (the console asks so at 100,000 names)',
    query: closed({ hostNames: Type.Optional(QUERY_INT) }),
    response: ServerSchema,
    handler: ({ admin, query }) => {
      const g = admin.gatehouse;
      const first = query.hostNames === undefined ? undefined : Number(query.hostNames);
      // Distinct host names from the store (at 100,000 names: not every binding read to count them).
      const hosts = first === 0 ? { names: [], count: 0 } : g.bindings.hostNames(first);
      const https = g.services.certificateOf('https');
      const server = { name: hostname(), addresses: admin.localAddresses(), services: { https: https ?? null } };
      if (first === undefined) return { ...server, hostNames: hosts.names };
      return { ...server, hostNames: hosts.names, ...(first === 0 ? {} : { hostNameCount: hosts.count }) };
    },
  }),
  route({
    method: 'GET', path: '/server/processes', access: 'view', tag: 'server',
    summary: 'The processes serving this store: the revision each serves, when each last reported, what each listens on',
    response: Type.Object({
      revision: Type.Integer(),
      processes: Type.Array(Type.Object({
        id: Type.String(), host: Type.String(), pid: Type.Integer(), node: Type.Union([Type.String(), Type.Null()]), role: Type.String(), revision: Type.Integer(),
        started: Type.String(), seen: Type.String(), listeners: Type.Array(Type.String()), live: Type.Boolean(),
      })),
    }),
    handler: ({ admin }) => admin.gatehouse.processes.status(),
  }),
  route({
    method: 'GET', path: '/farm', access: 'view', tag: 'server',
    summary: 'The farm: every node (each serve on this store) with its host, pid, version and addresses, the revision it serves, its last report and its lag; stale and stopped nodes marked',
    response: FarmSchema,
    handler: ({ admin }) => admin.gatehouse.processes.farm(),
  }),
];
