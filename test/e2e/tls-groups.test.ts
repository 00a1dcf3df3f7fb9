// End-to-end: the TLS key exchange groups of every listener `gatehouse serve` opens — web (an https
// binding), mail (an implicit-TLS SMTP listener) and the admin endpoint. A Node 24 client
// (OpenSSL 3.5) negotiates the hybrid post-quantum X25519MLKEM768; Debian's `openssl s_client`
// (OpenSSL 3.0, no post-quantum groups) still connects, with X25519; a group outside the profile is
// refused. The web access log (W3C and combined) and the mail session log name the group.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect as http2Connect } from 'node:http2';
import { connect as tlsConnect } from 'node:tls';
import { dataDir, freePorts, ghJson, join, selfSignedCert, ServeProcess, sClient, tmpDir, writeText, curlAsync } from '../support/cli.js';
import { SmtpBackend } from '../support/mail-backend.js';
import { assignedCert, configureListener } from '../support/mail-serve.js';

const LIMIT = { timeout: 120_000 };

let serve: ServeProcess;
let backend: SmtpBackend;
let logs: string;
let web: number;
let mail: number;
let admin: number;

before(async () => {
  backend = await SmtpBackend.start();
  const data = dataDir();
  [web, mail, admin] = (await freePorts(3)) as [number, number, number];
  const root = tmpDir('gh-www-');
  writeText(join(root, 'index.html'), '<h1>hi</h1>');
  const thumb = selfSignedCert(data, 'w.test', 'web', ['--san', 'c.test']);
  ghJson(data, ['site', 'add', 'W3C', '--root', root]);
  ghJson(data, ['site', 'add', 'Combined', '--root', root, '--log-format', 'combined']);
  ghJson(data, ['binding', 'add', 'W3C', '--protocol', 'https', '--port', String(web), '--host', 'w.test', '--sni', '--cert', thumb]);
  ghJson(data, ['binding', 'add', 'Combined', '--protocol', 'https', '--port', String(web), '--host', 'c.test', '--sni', '--cert', thumb]);
  assignedCert(data, 'mail.contoso.com', 'mail', ['smtp']);
  configureListener(data, 'smtp', mail, backend.address, { mode: 'tls' });
  logs = tmpDir('gh-logs-');
  serve = new ServeProcess(data, ['--workers', '1', '--admin', `127.0.0.1:${admin}`, '--log-dir', logs]);
  await serve.waitFor(/admin: console and API on https:\/\//, 'the admin endpoint');
  await serve.waitFor(new RegExp(`listening on https \\*:${web}\\b`), 'the web listener');
  await serve.waitFor(new RegExp(`listening on smtp 127\\.0\\.0\\.1:${mail}\\b`), 'the mail listener');
});

after(async () => {
  await serve?.stop();
  await backend?.stop();
});

const LISTENERS = () => [
  { what: 'web', port: web, servername: 'w.test' },
  { what: 'mail', port: mail, servername: 'mail.contoso.com' },
  { what: 'admin', port: admin, servername: 'localhost' },
];

/** A TLS handshake from this (Node 24) process; answers the group the client saw, or the handshake's error. */
function handshake(port: number, servername: string, ecdhCurve?: string): Promise<{ group?: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false, ...(ecdhCurve ? { ecdhCurve } : {}) }, () => {
      const info = socket.getEphemeralKeyInfo() as { name?: string } | null;
      socket.destroy();
      resolve({ group: info?.name ?? '(none)' });
    });
    socket.on('error', (e) => resolve({ error: e.message }));
  });
}

test('a Node 24 client negotiates X25519MLKEM768 with the web, mail and admin listeners — asked for alone, or among its default groups', LIMIT, async () => {
  for (const { what, port, servername } of LISTENERS()) {
    assert.deepEqual(await handshake(port, servername, 'X25519MLKEM768'), { group: 'X25519MLKEM768' }, `${what}, client offering X25519MLKEM768 only`);
    // Node 24's defaults offer X25519MLKEM768 and X25519 (a key share for each): the server takes the post-quantum one.
    assert.deepEqual(await handshake(port, servername), { group: 'X25519MLKEM768' }, `${what}, client with its default groups`);
  }
});

test('the classical groups remain (X25519, P-256, P-384) and nothing outside the profile is accepted (P-521, X448, ffdhe2048)', LIMIT, async () => {
  for (const { what, port, servername } of LISTENERS()) {
    for (const [curve, group] of [['X25519', 'X25519'], ['prime256v1', 'prime256v1'], ['secp384r1', 'secp384r1']]) {
      assert.deepEqual(await handshake(port, servername, curve), { group }, `${what}, client offering ${curve} only`);
    }
    for (const curve of ['secp521r1', 'X448', 'ffdhe2048']) {
      const r = await handshake(port, servername, curve);
      assert.ok(r.error !== undefined, `${what}: a client offering only ${curve} must be refused; it negotiated ${r.group}`);
    }
  }
});

test('openssl s_client from Debian (OpenSSL 3.0, no post-quantum group) connects to every listener with X25519', LIMIT, () => {
  for (const { what, port, servername } of LISTENERS()) {
    const r = sClient(port, servername);
    assert.match(r.out, /Server Temp Key: X25519\b/, `${what}:\n${r.out}\n${r.err}`);
    assert.equal(r.protocol, 'TLSv1.3', `${what}:\n${r.out}`);
  }
});

/** GET over HTTP/1.1 from this process, offering `ecdhCurve` only. */
function getHttp1(host: string, ecdhCurve: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port: web, servername: host, path: '/index.html', headers: { host }, rejectUnauthorized: false, ecdhCurve, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** GET over HTTP/2 from this process, offering `ecdhCurve` only. */
function getHttp2(host: string, ecdhCurve: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(`https://${host}:${web}`, { host: '127.0.0.1', servername: host, rejectUnauthorized: false, ecdhCurve });
    session.on('error', reject);
    const stream = session.request({ ':path': '/index.html' });
    stream.on('response', (headers) => {
      stream.resume();
      stream.on('end', () => {
        session.close();
        resolve(Number(headers[':status']));
      });
    });
    stream.on('error', reject);
    stream.end();
  });
}

test('the web access log (W3C and combined, HTTP/1.1 and HTTP/2) and the mail session log name the negotiated group', LIMIT, async () => {
  const curl = (host: string, http: string) => curlAsync(['-k', http, '--resolve', `${host}:${web}:127.0.0.1`, `https://${host}:${web}/index.html`]);
  assert.equal(await getHttp1('w.test', 'X25519MLKEM768'), 200);
  assert.equal((await curl('w.test', '--http2')).status, 200);
  assert.equal(await getHttp2('c.test', 'X25519MLKEM768'), 200);
  assert.equal((await curl('c.test', '--http1.1')).status, 200);

  // Mail: one session from a Node 24 client, one from openssl s_client; each session's log line names its group.
  const c = tlsConnect({ host: '127.0.0.1', port: mail, servername: 'mail.contoso.com', rejectUnauthorized: false, ecdhCurve: 'X25519MLKEM768' });
  await new Promise<void>((resolve, reject) => {
    c.once('data', () => c.end('QUIT\r\n'));
    c.on('error', reject);
    c.on('close', () => resolve());
  });
  sClient(mail, 'mail.contoso.com');
  await serve.waitFor(/mail smtp .* session from .*TLSv1\.3 \S+, group X25519MLKEM768, SNI mail\.contoso\.com/, 'the session log line of the Node client');
  await serve.waitFor(/mail smtp .* session from .*TLSv1\.3 \S+, group X25519, SNI mail\.contoso\.com/, 'the session log line of openssl s_client');

  await serve.stop();
  const w3c = readFileSync(join(logs, 'W3C.log'), 'utf8');
  assert.match(w3c, /^#Fields: .* time-taken x-tls-group$/m);
  const w3cLines = w3c.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  assert.deepEqual(w3cLines.map((l) => l.split(' ').slice(9, 10).concat(l.split(' ').at(-1)!)), [['HTTP/1.1', 'X25519MLKEM768'], ['HTTP/2.0', 'X25519']], w3c);
  const combined = readFileSync(join(logs, 'Combined.log'), 'utf8').trim().split('\n');
  assert.equal(combined.length, 2, combined.join('\n'));
  assert.match(combined[0]!, /"GET \/index\.html HTTP\/2\.0" 200 \d+ "-" "-" X25519MLKEM768$/);
  assert.match(combined[1]!, /"GET \/index\.html HTTP\/1\.1" 200 \d+ "-" "curl\/[^"]+" X25519$/);
});
