import type { MailListener, ServiceName } from '../model/service.js';
import type { StoreEngine } from './engine.js';

/** Service assignments (table `service_assignments`) and mail listeners (table `mail_listeners`). */
export class ServiceRepository {
  constructor(private readonly engine: StoreEngine) {}

  /** Every service assignment: service → thumbprint. */
  assignments(): Partial<Record<ServiceName, string>> {
    const rows = this.engine.db.all<{ service: ServiceName; certificate: string }>('SELECT service, certificate FROM service_assignments ORDER BY service');
    return Object.fromEntries(rows.map((r) => [r.service, r.certificate]));
  }

  /** Assigns (or with null, unassigns) a service's certificate; call inside `change`. */
  setCertificate(service: ServiceName, thumbprint: string | null): void {
    if (thumbprint === null) this.engine.db.run('DELETE FROM service_assignments WHERE service = ?', service);
    else this.engine.db.run('INSERT INTO service_assignments (service, certificate) VALUES (?, ?) ON CONFLICT (service) DO UPDATE SET certificate = excluded.certificate', service, thumbprint);
  }

  /** The services a certificate is assigned to. */
  servicesOf(thumbprint: string): ServiceName[] {
    return this.engine.db.all<{ service: ServiceName }>('SELECT service FROM service_assignments WHERE certificate = ? ORDER BY service', thumbprint).map((r) => r.service);
  }

  certificateOf(service: ServiceName): string | null {
    return this.engine.db.get<{ certificate: string }>('SELECT certificate FROM service_assignments WHERE service = ?', service)?.certificate ?? null;
  }

  listeners(): MailListener[] {
    return this.engine.db.all<RawListener>('SELECT * FROM mail_listeners ORDER BY service, port, ip').map(toListener);
  }

  /** Inserts or replaces the listener on its (ip, port); call inside `change`. */
  putListener(l: MailListener): void {
    this.engine.db.run(`INSERT INTO mail_listeners (ip, port, service, mode, require_tls, backend_host, backend_port, client_address, host_name, max_connections, idle_timeout, created)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (ip, port) DO UPDATE SET service = excluded.service, mode = excluded.mode, require_tls = excluded.require_tls,
        backend_host = excluded.backend_host, backend_port = excluded.backend_port, client_address = excluded.client_address,
        host_name = excluded.host_name, max_connections = excluded.max_connections, idle_timeout = excluded.idle_timeout, created = excluded.created`, l.ip, l.port, l.service, l.mode, l.requireTls ? 1 : 0, l.backendHost, l.backendPort, l.clientAddress, l.hostName, l.maxConnections, l.idleTimeoutSeconds, l.created);
  }

  /** Deletes a listener; call inside `change`. */
  deleteListener(ip: string, port: number): void {
    this.engine.db.run('DELETE FROM mail_listeners WHERE ip = ? AND port = ?', ip, port);
  }
}

interface RawListener {
  ip: string;
  port: number;
  service: MailListener['service'];
  mode: MailListener['mode'];
  require_tls: number;
  backend_host: string;
  backend_port: number;
  client_address: MailListener['clientAddress'];
  host_name: string;
  max_connections: number;
  idle_timeout: number;
  created: string;
}

function toListener(r: RawListener): MailListener {
  return {
    service: r.service, ip: r.ip, port: r.port, mode: r.mode, requireTls: r.require_tls === 1, backendHost: r.backend_host, backendPort: r.backend_port,
    clientAddress: r.client_address, hostName: r.host_name, maxConnections: r.max_connections, idleTimeoutSeconds: r.idle_timeout, created: r.created,
  };
}
