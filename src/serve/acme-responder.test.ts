import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { AcmeResponder } from './acme-responder.js';

/** Runs `client` against a raw server whose connection goes through `responder.take`; answers what take said and the bytes left to read. */
async function through(responder: AcmeResponder, client: (port: number) => Socket): Promise<{ taken: boolean; first: number | undefined }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  try {
    const result = new Promise<{ taken: boolean; first: number | undefined }>((resolve) => {
      server.once('connection', async (socket) => {
        const taken = await responder.take(socket, 2000);
        if (taken) return resolve({ taken, first: undefined });
        socket.once('readable', () => {
          const data = socket.read() as Buffer | null;
          resolve({ taken, first: data?.[0] });
          socket.destroy();
        });
      });
    });
    const c = client(port);
    c.on('error', () => undefined);
    const r = await result;
    c.destroy();
    return r;
  } finally {
    server.close();
  }
}

const pending = () => {
  const r = new AcmeResponder(() => undefined);
  r.apply([{ id: 1, type: 'tls-alpn-01', name: 'a.example.com', token: 't', keyAuthorization: 't.k' }]);
  return r;
};

test('only ALPN acme-tls/1 alone for a pending name is taken; anything else is handed back with its bytes intact', async () => {
  const r = pending();
  assert.equal(r.alpnPending, true);
  const tls = (servername: string, alpn: string[]) => (port: number) => tlsConnect({ port, host: '127.0.0.1', servername, ALPNProtocols: alpn, rejectUnauthorized: false });
  assert.deepEqual(await through(r, tls('a.example.com', ['acme-tls/1'])), { taken: true, first: undefined });
  assert.deepEqual(await through(r, tls('A.Example.com', ['acme-tls/1'])), { taken: true, first: undefined });
  assert.deepEqual(await through(r, tls('a.example.com', ['h2', 'http/1.1'])), { taken: false, first: 0x16 });
  assert.deepEqual(await through(r, tls('a.example.com', ['acme-tls/1', 'h2'])), { taken: false, first: 0x16 });
  assert.deepEqual(await through(r, tls('b.example.com', ['acme-tls/1'])), { taken: false, first: 0x16 });
  // Not TLS at all: handed back as it came.
  assert.deepEqual(await through(r, (port) => {
    const s = netConnect(port, '127.0.0.1');
    s.write('GET / HTTP/1.1\r\n\r\n');
    return s;
  }), { taken: false, first: 'G'.charCodeAt(0) });
  r.apply([]);
  assert.equal(r.alpnPending, false);
  r.close();
});

test('HTTP-01: the key authorization for a pending token, 404 for any other token, other paths left to the sites', () => {
  const r = new AcmeResponder(() => undefined);
  r.apply([{ id: 2, type: 'http-01', name: 'a.example.com', token: 'tok', keyAuthorization: 'tok.thumb' }]);
  const call = (url: string, method = 'GET') => {
    const res = { status: 0, body: '' as string | undefined, writeHead(s: number) { this.status = s; }, end(b?: string) { this.body = b; } };
    const handled = r.answerHttp({ url, method } as never, res as never);
    return { handled, status: res.status, body: res.body };
  };
  assert.deepEqual(call('/.well-known/acme-challenge/tok'), { handled: true, status: 200, body: 'tok.thumb' });
  assert.deepEqual(call('/.well-known/acme-challenge/other'), { handled: true, status: 404, body: 'Not Found\n' });
  assert.deepEqual(call('/.well-known/acme-challenge/tok', 'POST'), { handled: true, status: 404, body: 'Not Found\n' });
  assert.equal(call('/index.html').handled, false);
});
