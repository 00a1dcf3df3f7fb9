// A webhook receiver for the notification tests: node's http server on 127.0.0.1 in the test's own
// process (so the CLI must be run asynchronously meanwhile), keeping every request it got.
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  status: number;
}

/** A webhook receiver: answers each request with the next status of `statuses` (then 200) and keeps what it got. */
export class WebhookReceiver {
  readonly received: Received[] = [];
  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(statuses: number[] = []): Promise<WebhookReceiver> {
    const queue = [...statuses];
    let self: WebhookReceiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = queue.shift() ?? 200;
        self!.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'not now');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new WebhookReceiver(server, (server.address() as { port: number }).port);
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/gatehouse/hook`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}


/** The JSON bodies a receiver got, parsed. */
export function payloads<T = { kind: string; detail: string; certificate?: { thumbprint: string; friendlyName: string; notAfter: string } }>(r: WebhookReceiver): T[] {
  return r.received.map((x) => JSON.parse(x.body) as T);
}
