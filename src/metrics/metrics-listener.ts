import { createServer, type Server } from 'node:http';
import { fail } from '../model/gatehouse-error.js';
import { opt } from '../model/wording.js';
import { METRICS_CONTENT_TYPE } from './store-metrics.js';

/**
 * `serve --metrics ADDR:PORT`: `/metrics` over plain HTTP without authentication, for a Prometheus
 * that scrapes on the same machine or a private network. Anyone who reaches it reads the
 * certificates' names and end dates and the traffic counts — bind it to 127.0.0.1 (or a management
 * interface); the admin endpoint's `/metrics` needs a token instead.
 */
export async function startMetricsListener(address: { host: string; port: number }, text: () => Promise<string>, log: (line: string) => void): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Only GET /metrics is here.\n');
      return;
    }
    text().then((body) => {
      res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body);
    }, (e: Error) => {
      log(`metrics: the scrape failed: ${e.message}`);
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('The metrics could not be read; the server log says why.\n');
    });
  });
  const shown = address.host.includes(':') ? `[${address.host}]` : address.host;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address.host, port: address.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the port is in use' : code === 'EADDRNOTAVAIL' ? 'that is not an address of this machine' : code === 'EACCES' ? 'the port needs privileges this process lacks' : (e as Error).message;
    throw fail('GH_METRICS_LISTEN_FAILED', `The metrics listener cannot listen on ${shown}:${address.port}: ${why}. Choose another ADDRESS:PORT with ${opt('metrics')}.`);
  }
  server.on('error', (e) => log(`metrics: listener failed: ${e.message}`));
  // words: cli (a line of serve's log)
  log(`metrics: Prometheus text format on http://${shown}:${address.port}/metrics (no authentication: keep it on a local or private address)`);
  return server;
}
