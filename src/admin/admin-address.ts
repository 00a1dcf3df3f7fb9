import { isIP } from 'node:net';
import { fail } from '../model/gatehouse-error.js';
import { opt } from '../model/wording.js';

// Apart from admin-endpoint.ts so that `serve --admin off` checks its flag without loading Fastify.
/** Reads `ADDRESS:PORT` (`[::1]:8443` for IPv6); undefined for "off". */
export function parseAdminAddress(value: string): { host: string; port: number } | undefined {
  if (value === 'off') return undefined;
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}))):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535 || (m[1] !== undefined && isIP(m[1]) !== 6)) throw fail('GH_ADMIN_ADDRESS_INVALID', `${opt('admin')} takes ADDRESS:PORT (e.g. 127.0.0.1:8443 or [::1]:8443) or "off"; got "${value}".`);
  return { host: m[1] ?? m[2]!, port };
}
