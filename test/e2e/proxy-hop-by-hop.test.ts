// The proxy forwards end-to-end header fields only (RFC 9110 §7.6.1): the client's Connection, the
// fields it names and the hop-by-hop fields never reach the upstream — over HTTP/1.1, for a chunked
// body (framed again), and on a WebSocket upgrade (which keeps Connection: Upgrade).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect } from 'node:tls';
import { curlAsync, dataDir, freePorts, ghJson, selfSignedCert, startServe } from '../support/cli.js';

const HOP_BY_HOP = ['x-secret', 'keep-alive', 'te', 'proxy-connection', 'trailer', 'proxy-authorization'];

/** An upstream that records the header fields of each request and each upgrade it receives. */
async function recordingUpstream(port: number): Promise<{ server: Server; seen: Array<{ url: string; headers: IncomingHttpHeaders; body: string }> }> {
  const seen: Array<{ url: string; headers: IncomingHttpHeaders; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      res.end('ok');
    });
  });
  server.on('upgrade', (req, socket) => {
    seen.push({ url: req.url ?? '', headers: req.headers, body: '' });
    socket.end('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: x\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return { server, seen };
}

/** Sends `request` as it is over TLS and resolves with the first bytes of the answer. */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'app.test', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => socket.write(request));
    let answer = '';
    socket.on('data', (d: Buffer) => {
      answer += d.toString('latin1');
      if (answer.includes('\r\n\r\n')) {
        socket.destroy();
        resolve(answer);
      }
    });
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
  });
}

test('the proxy strips the client\'s hop-by-hop header fields before the upstream sees the request', async () => {
  const [https, up] = await freePorts(2);
  const data = dataDir();
  const thumb = selfSignedCert(data, 'app.test', 'app');
  ghJson(data, ['site', 'add', 'App', '--proxy', `http://127.0.0.1:${up}`]);
  ghJson(data, ['binding', 'add', 'App', '--protocol', 'https', '--port', String(https), '--cert', thumb]);
  const upstream = await recordingUpstream(up!);
  const serve = await startServe(data, [`https *:${https}`]);
  try {
    const base = ['-k', '--http1.1', '--resolve', `app.test:${https}:127.0.0.1`];
    const hop = ['-H', 'Connection: keep-alive, X-Secret', '-H', 'X-Secret: 1', '-H', 'Keep-Alive: timeout=5', '-H', 'TE: trailers', '-H', 'Proxy-Connection: keep-alive', '-H', 'Trailer: X-Sum', '-H', 'Proxy-Authorization: Basic dTpw', '-H', 'X-Kept: yes'];
    const get = await curlAsync([...base, ...hop, `https://app.test:${https}/get`]);
    assert.equal(get.status, 200, get.stderr);
    const post = await curlAsync([...base, ...hop, '-H', 'Transfer-Encoding: chunked', '--data-binary', 'hello body', `https://app.test:${https}/post`]);
    assert.equal(post.status, 200, post.stderr);

    const [g, p] = upstream.seen;
    assert.equal(g?.url, '/get');
    assert.equal(p?.url, '/post');
    for (const seen of [g!, p!]) {
      for (const name of HOP_BY_HOP) assert.equal(seen.headers[name], undefined, `${seen.url}: ${name} reached the upstream`);
      assert.doesNotMatch(String(seen.headers.connection ?? ''), /x-secret/i, `${seen.url}: the client's Connection reached the upstream`);
      assert.equal(seen.headers['x-kept'], 'yes', 'an end-to-end field is forwarded');
      assert.equal(seen.headers.host, `app.test:${https}`);
    }
    assert.equal(p!.body, 'hello body', 'the chunked body arrives whole');
    assert.equal(p!.headers['transfer-encoding'], 'chunked', 'framed again by the proxy');

    // A WebSocket upgrade keeps Connection: Upgrade and Upgrade, and loses the rest.
    const answer = await raw(https!, ['GET /socket HTTP/1.1', `Host: app.test:${https}`, 'Connection: Upgrade, X-Secret', 'Upgrade: websocket',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13', 'X-Secret: 1', 'Keep-Alive: timeout=5', 'Proxy-Connection: keep-alive', 'X-Kept: yes', '', ''].join('\r\n'));
    assert.match(answer, /^HTTP\/1\.1 101/);
    const ws = upstream.seen[2]!;
    assert.equal(ws.url, '/socket');
    for (const name of HOP_BY_HOP) assert.equal(ws.headers[name], undefined, `upgrade: ${name} reached the upstream`);
    assert.match(String(ws.headers.connection), /^upgrade$/i);
    assert.equal(ws.headers.upgrade, 'websocket');
    assert.equal(ws.headers['x-kept'], 'yes');
  } finally {
    await serve.stop();
    upstream.server.closeAllConnections();
    upstream.server.close();
  }
});
