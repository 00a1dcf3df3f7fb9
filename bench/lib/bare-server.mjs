// The bare Node reference of the one-run table (table-bench.mjs): one node:http2 secure server with
// allowHTTP1, in one process, on the same Node as Gatehouse — the least a Node program does to serve
// the same page with the same certificates. HTTP/2 through the core API (`stream` events and
// `respond`), HTTP/1.1 through node:https's request handler; the 1 KiB page from memory, no log;
// every certificate's context built at start, SNI by one Map look-up.
//
//   node bench/lib/bare-server.mjs CONFIG.json     # { port, root, certs: [{ name, pem, key }, …] }
import { createSecureServer } from 'node:http2';
import { createSecureContext } from 'node:tls';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const body = readFileSync(join(cfg.root, 'index.html'));
const files = (c) => ({ cert: readFileSync(c.pem), key: readFileSync(c.key) });
const contexts = new Map(cfg.certs.length > 1 ? cfg.certs.map((c) => [c.name, createSecureContext(files(c))]) : []);
const server = createSecureServer({
  ...files(cfg.certs[0]),
  allowHTTP1: true,
  ...(contexts.size > 0 ? { SNICallback: (name, cb) => cb(null, contexts.get(name)) } : {}),
});
const h1Headers = { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length };
server.on('request', (req, res) => {
  res.writeHead(200, h1Headers);
  res.end(body);
});
// Adding a 'request' listener sets up the HTTP/2 compatibility layer on 'stream': replace it with the core API.
server.removeAllListeners('stream');
const h2Headers = { ':status': 200, 'content-type': 'text/html; charset=utf-8', 'content-length': body.length };
server.on('stream', (stream) => {
  stream.respond(h2Headers);
  stream.end(body);
});
server.listen(cfg.port, () => process.stdout.write(`listening on ${cfg.port}\n`));
process.on('SIGTERM', () => process.exit(0));
