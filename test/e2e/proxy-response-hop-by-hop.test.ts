// The proxy forwards the end-to-end fields of the upstream's ANSWER only (RFC 9110 §7.6.1): the
// upstream's Connection, the fields it names, Keep-Alive, Proxy-Connection, TE, Trailer and Upgrade
// never reach the client — an HTTP/1.1 client would take the upstream's `Connection: close` or
// `Keep-Alive` for Gatehouse's own, and an HTTP/2 response must not carry a connection-specific field
// at all (Node's http2 refuses to send one). The other answers on the same connection still come.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect as h2connect, type IncomingHttpHeaders } from 'node:http2';
import { connect as tlsConnect } from 'node:tls';
import { curlAsync, dataDir, freePorts, ghJson, selfSignedCert, startServe } from '../support/cli.js';

const HOP_BY_HOP = ['connection', 'x-foo', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade'];

/** An upstream whose every answer carries hop-by-hop fields of its own. */
async function chattyUpstream(port: number): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    // Written raw (one header block): Node's own response would fix up Connection and Keep-Alive.
    res.socket!.end([
      'HTTP/1.1 200 OK', 'Content-Type: text/plain', 'Content-Length: 3', 'Connection: x-foo, close', 'X-Foo: 1', 'Keep-Alive: timeout=5',
      'Proxy-Connection: keep-alive', 'TE: trailers', 'Trailer: X-Sum', 'Upgrade: h2c', 'X-Kept: yes', '', 'ok\n',
    ].join('\r\n'));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return server;
}

/** Two requests on one HTTP/2 connection: their status and header fields. */
async function h2Twice(port: number): Promise<IncomingHttpHeaders[]> {
  const session = h2connect(`https://127.0.0.1:${port}`, { servername: 'app.test', rejectUnauthorized: false });
  try {
    const answers: IncomingHttpHeaders[] = [];
    for (let i = 0; i < 2; i++) {
      answers.push(await new Promise<IncomingHttpHeaders>((resolve, reject) => {
        const stream = session.request({ ':path': `/h2-${i}`, ':authority': `app.test:${port}` });
        let headers: IncomingHttpHeaders = {};
        stream.on('response', (h) => (headers = h));
        // Reported as the answer, so the assertion shows it with the server's log.
        stream.on('error', (e: Error) => (headers = { ':status': e.message }));
        stream.resume();
        stream.on('close', () => resolve(headers));
        setTimeout(() => reject(new Error('no answer within 10 s')), 10_000).unref();
      }));
    }
    return answers;
  } finally {
    session.destroy();
  }
}

/** Two HTTP/1.1 requests on one TLS connection; resolves with the raw text of what came back. */
function h1Twice(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = (path: string) => `GET ${path} HTTP/1.1\r\nHost: app.test:${port}\r\n\r\n`;
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'app.test', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => socket.write(request('/h1-0') + request('/h1-1')));
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if ((text.match(/ok\n/g) ?? []).length === 2) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
  });
}

test('the proxy strips the upstream\'s hop-by-hop header fields from the answer, for HTTP/1.1 and HTTP/2 clients', { timeout: 60_000 }, async (t) => {
  const [https, up] = await freePorts(2);
  const data = dataDir();
  const thumb = selfSignedCert(data, 'app.test', 'app');
  ghJson(data, ['site', 'add', 'App', '--proxy', `http://127.0.0.1:${up}`]);
  ghJson(data, ['binding', 'add', 'App', '--protocol', 'https', '--port', String(https), '--cert', thumb]);
  const upstream = await chattyUpstream(up!);
  t.after(() => {
    upstream.closeAllConnections();
    upstream.close();
  });
  const serve = await startServe(data, [`https *:${https}`], ['--workers', '1']);
  t.after(() => serve.stop());

  // HTTP/2: both answers come, with the end-to-end fields and none of the hop-by-hop ones.
  const h2 = await h2Twice(https!);
  assert.equal(h2.length, 2);
  for (const h of h2) {
    assert.equal(h[':status'], 200, `HTTP/2 answer: ${JSON.stringify(h)}\n${serve.log()}`);
    assert.equal(h['x-kept'], 'yes');
    for (const name of HOP_BY_HOP) assert.equal(h[name], undefined, `HTTP/2: the upstream's ${name} reached the client`);
  }

  // HTTP/1.1: the upstream's Connection: close does not close the client's connection — two answers on one.
  const text = await h1Twice(https!);
  const answers = text.split(/(?=HTTP\/1\.1 )/).filter((a) => a.startsWith('HTTP/1.1'));
  assert.equal(answers.length, 2, `two answers on one HTTP/1.1 connection:\n${text}`);
  for (const a of answers) {
    const head = a.slice(0, a.indexOf('\r\n\r\n')).toLowerCase();
    assert.match(head, /^http\/1\.1 200/);
    assert.match(head, /\r\nx-kept: yes/);
    assert.match(head, /\r\nconnection: keep-alive/, `Gatehouse's own Connection field:\n${head}`);
    for (const name of HOP_BY_HOP.filter((n) => n !== 'connection')) assert.doesNotMatch(head, new RegExp(`\\r\\n${name}:`), `HTTP/1.1: the upstream's ${name} reached the client`);
    assert.doesNotMatch(head, /x-foo|close/, `HTTP/1.1: the upstream's Connection tokens reached the client:\n${head}`);
  }
  // curl over both protocols agrees.
  for (const version of ['--http1.1', '--http2']) {
    const r = await curlAsync([version, '-k', '--resolve', `app.test:${https}:127.0.0.1`, `https://app.test:${https}/curl`]);
    assert.equal(r.status, 200, r.stderr);
    assert.equal(r.body, 'ok\n');
    for (const name of HOP_BY_HOP.filter((n) => n !== 'connection')) assert.equal(r.headers[name], undefined, `curl ${version}: ${name}`);
  }
  assert.ok(!serve.exited, serve.log());
});
