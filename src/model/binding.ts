/** The protocols a site binding speaks. */
export type BindingProtocol = 'http' | 'https';

/**
 * A site binding, as IIS's Site Bindings dialog has it: `(protocol, ip, port, host)` — unique
 * across the server — and, for https, a certificate and the "Require Server Name Indication" flag.
 * `ip` is an address or `*` (All Unassigned); `host` is empty for a binding without a host name.
 */
export interface Binding {
  site: string;
  protocol: BindingProtocol;
  ip: string;
  port: number;
  host: string;
  sni: boolean;
  /** Thumbprint of the certificate (https only). */
  certificate: string | null;
}

/** The identity of a binding: what must be unique on the server. */
export function bindingKey(b: Pick<Binding, 'protocol' | 'ip' | 'port' | 'host'>): string {
  return `${b.protocol}/${b.ip}/${b.port}/${b.host}`;
}

/** How IIS writes a binding: `https *:443:www.contoso.com`. */
export function bindingText(b: Pick<Binding, 'protocol' | 'ip' | 'port' | 'host'>): string {
  const ip = b.ip.includes(':') ? `[${b.ip}]` : b.ip;
  return `${b.protocol} ${ip}:${b.port}:${b.host}`;
}
