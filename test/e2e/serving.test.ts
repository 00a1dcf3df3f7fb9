// The serving plane with real peers (curl, openssl s_client): the IIS 10 guide with one certificate
// and with many (SNI), wildcard SNI, routing by Host, HTTP/2, TLS versions, static files, the
// https redirect and HSTS. One `gatehouse serve` on one data directory serves every case.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import { mkdirSync, writeFileSync } from 'node:fs';
import {
  curl, dataDir, freePorts, ghJson, issueCert, join, sClient, startServe, tmpDir, writeText, type ServeProcess,
} from '../support/cli.js';

const [P_SINGLE, P_MANY, P_HOSTS, P_HTTP, P_SECURE] = (await freePorts(5)) as [number, number, number, number, number];

const data = dataDir();
const dir = tmpDir('gh-serving-');
const caPem = join(dir, 'ca.pem');
const certs: Record<'c1' | 'c2' | 'c3' | 'wild' | 'secure', string> = { c1: '', c2: '', c3: '', wild: '', secure: '' };
let server: ServeProcess | undefined;

// The contoso site: the content for the static file cases, and a secret beside (not under) its root.
const contosoRoot = join(dir, 'contoso', 'www');
const SECRET = 'secret-outside-the-root-7f3a';
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4' + '0000000049454e44ae426082', 'hex');
const RANGE_TEXT = '0123456789abcdefghijklmnopqrstuvwxyz';

function site(name: string, text: string): string {
  const root = join(dir, name);
  mkdirSync(root, { recursive: true });
  writeText(join(root, 'index.html'), `<!DOCTYPE html><title>${text}</title><h1>${text}</h1>\n`);
  return root;
}

before(async () => {
  ghJson(data, ['ca', 'init', '--key', 'ecdsa-p256']);
  ghJson(data, ['ca', 'export', '--out', caPem]);
  certs.c1 = issueCert(data, 'www.contoso.test', 'contoso-Gatehouse CA');
  certs.c2 = issueCert(data, 'shop.test', 'shop-Gatehouse CA');
  certs.c3 = issueCert(data, 'blog.test', 'blog-Gatehouse CA');
  certs.wild = issueCert(data, '*.x.test', 'wild-x-Gatehouse CA');
  certs.secure = issueCert(data, 'secure.test', 'secure-Gatehouse CA');

  site(join('contoso', 'www'), 'Contoso home');
  writeText(join(dir, 'contoso', 'secret.txt'), SECRET);
  writeText(join(contosoRoot, 'style.css'), 'body { color: navy }\n');
  writeText(join(contosoRoot, 'app.js'), 'console.log("contoso");\n');
  writeText(join(contosoRoot, 'page.html'), '<p>page</p>\n');
  writeFileSync(join(contosoRoot, 'logo.png'), PNG);
  writeText(join(contosoRoot, 'range.txt'), RANGE_TEXT);
  writeText(join(contosoRoot, '.env'), `PASSWORD=${SECRET}\n`);
  mkdirSync(join(contosoRoot, 'docs'));
  writeText(join(contosoRoot, 'docs', 'index.html'), '<h1>Docs</h1>\n');

  ghJson(data, ['site', 'add', 'contoso', '--root', contosoRoot]);
  ghJson(data, ['site', 'add', 'shop', '--root', site('shop', 'Shop home')]);
  ghJson(data, ['site', 'add', 'blog', '--root', site('blog', 'Blog home')]);
  ghJson(data, ['site', 'add', 'wild', '--root', site('wild', 'Wildcard home')]);
  ghJson(data, ['site', 'add', 'hosted', '--root', site('hosted', 'Hosted home')]);
  ghJson(data, ['site', 'add', 'secure', '--root', site('secure', 'Secure home'), '--https-redirect', 'on', '--hsts', 'on']);

  // IIS guide, single certificate: https, All Unassigned, the port, the certificate.
  ghJson(data, ['binding', 'add', 'contoso', '--protocol', 'https', '--ip', '*', '--port', String(P_SINGLE), '--cert', certs.c1]);
  // IIS guide, many certificates: the first one without SNI, then each further site with a host name and SNI.
  ghJson(data, ['binding', 'add', 'contoso', '--protocol', 'https', '--port', String(P_MANY), '--cert', certs.c1]);
  ghJson(data, ['binding', 'add', 'shop', '--protocol', 'https', '--port', String(P_MANY), '--host', 'shop.test', '--sni', '--cert', certs.c2]);
  ghJson(data, ['binding', 'add', 'blog', '--protocol', 'https', '--port', String(P_MANY), '--host', 'blog.test', '--sni', '--cert', certs.c3]);
  ghJson(data, ['binding', 'add', 'wild', '--protocol', 'https', '--port', String(P_MANY), '--host', '*.x.test', '--sni', '--cert', certs.wild]);
  // An endpoint with only a host-named binding: no catch-all.
  ghJson(data, ['binding', 'add', 'hosted', '--protocol', 'https', '--port', String(P_HOSTS), '--host', 'hosted.test', '--cert', certs.c1]);
  // The redirect and HSTS site.
  ghJson(data, ['binding', 'add', 'secure', '--protocol', 'http', '--port', String(P_HTTP), '--host', 'secure.test']);
  ghJson(data, ['binding', 'add', 'secure', '--protocol', 'https', '--port', String(P_SECURE), '--host', 'secure.test', '--sni', '--cert', certs.secure]);

  server = await startServe(data, [`https *:${P_SINGLE}`, `https *:${P_MANY}`, `https *:${P_HOSTS}`, `http *:${P_HTTP}`, `https *:${P_SECURE}`]);
});

after(async () => {
  // SIGTERM, then SIGKILL; the clean stop itself is tested in live-changes.test.ts.
  if (server) await server.stop();
});

/** curl with the internal CA trusted and `host` resolved to 127.0.0.1. */
function get(host: string, port: number, path = '/', extra: string[] = []) {
  return curl(['--cacert', caPem, '--resolve', `${host}:${port}:127.0.0.1`, ...extra, `https://${host}:${port}${path}`]);
}

test('IIS guide, single certificate: the page over https, and the certificate for clients without SNI', () => {
  const r = get('www.contoso.test', P_SINGLE);
  assert.equal(r.code, 0, `curl failed (certificate not trusted or not served?): ${r.stderr}`);
  assert.equal(r.status, 200);
  assert.match(r.body, /Contoso home/);
  const s = sClient(P_SINGLE, null);
  assert.equal(s.code, 0, s.err);
  assert.equal(s.thumbprint, certs.c1, 'openssl s_client -noservername got another certificate');
  // A client that sends any name gets the same certificate: it is the endpoint's.
  assert.equal(sClient(P_SINGLE, 'anything.test').thumbprint, certs.c1);
});

test('IIS guide, many certificates with SNI: each host its certificate and its site; others get the first', () => {
  const byName: Array<[string | null, string]> = [
    ['shop.test', certs.c2],
    ['blog.test', certs.c3],
    ['www.contoso.test', certs.c1],
    [null, certs.c1],
    ['unknown.test', certs.c1],
  ];
  for (const [name, want] of byName) {
    const s = sClient(P_MANY, name);
    assert.equal(s.code, 0, `s_client ${name ?? '(no SNI)'}: ${s.err}`);
    assert.equal(s.thumbprint, want, `SNI ${name ?? '(none)'} got the wrong certificate`);
  }
  // curl verifies each certificate against the internal CA and the host name.
  for (const [host, text] of [['shop.test', 'Shop home'], ['blog.test', 'Blog home'], ['www.contoso.test', 'Contoso home']] as const) {
    const r = get(host, P_MANY);
    assert.equal(r.code, 0, `curl ${host}: ${r.stderr}`);
    assert.equal(r.status, 200, host);
    assert.match(r.body, new RegExp(text), `${host} got another site's page: ${r.body}`);
  }
  // The catch-all (the first site) answers a name no binding has.
  const unknown = get('unknown.test', P_MANY, '/', ['-k']);
  assert.equal(unknown.status, 200);
  assert.match(unknown.body, /Contoso home/);
});

test('a wildcard SNI binding covers exactly one label', () => {
  const one = sClient(P_MANY, 'a.x.test');
  assert.equal(one.thumbprint, certs.wild, 'a.x.test should get the *.x.test certificate');
  const r = get('a.x.test', P_MANY);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.body, /Wildcard home/);
  for (const name of ['x.test', 'a.b.x.test']) {
    assert.equal(sClient(P_MANY, name).thumbprint, certs.c1, `${name} must not match *.x.test`);
    const page = get(name, P_MANY, '/', ['-k']);
    assert.equal(page.status, 200, name);
    assert.match(page.body, /Contoso home/, `${name} should reach the catch-all site, got: ${page.body}`);
  }
});

test('an unknown Host on an endpoint with only host-named bindings gets a short 400 page', () => {
  const ok = get('hosted.test', P_HOSTS, '/', ['-k']);
  assert.equal(ok.status, 200, ok.stderr);
  assert.match(ok.body, /Hosted home/);
  const r = get('other.test', P_HOSTS, '/', ['-k']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.status, 400);
  assert.match(r.headers['content-type'] ?? '', /text\/html/);
  assert.match(r.body, /400/);
  assert.doesNotMatch(r.body, /Hosted home|Contoso home/, 'never another site');
  assert.ok(r.body.length < 2000, 'a short page');
  // The Host header decides, not the SNI name: SNI hosted.test with Host other.test is still 400.
  const mixed = curl(['-k', '--resolve', `hosted.test:${P_HOSTS}:127.0.0.1`, '-H', 'Host: other.test', '--http1.1', `https://hosted.test:${P_HOSTS}/`]);
  assert.equal(mixed.status, 400);
});

test('HTTP/2 through ALPN, and HTTP/1.1', () => {
  const h2 = get('www.contoso.test', P_SINGLE, '/', ['--http2']);
  assert.equal(h2.code, 0, h2.stderr);
  assert.equal(h2.httpVersion, '2');
  assert.match(h2.body, /Contoso home/);
  const h1 = get('www.contoso.test', P_SINGLE, '/', ['--http1.1']);
  assert.equal(h1.httpVersion, '1.1');
  assert.match(h1.body, /Contoso home/);
  // HTTP/2 routes by :authority just as HTTP/1.1 routes by Host.
  const shop = get('shop.test', P_MANY, '/', ['--http2']);
  assert.equal(shop.httpVersion, '2');
  assert.match(shop.body, /Shop home/);
});

test('TLS 1.2 and 1.3 are served; TLS 1.1 is refused by the server', () => {
  const v13 = sClient(P_SINGLE, 'www.contoso.test', ['-tls1_3']);
  assert.equal(v13.code, 0, v13.err);
  assert.equal(v13.protocol, 'TLSv1.3');
  const v12 = sClient(P_SINGLE, 'www.contoso.test', ['-tls1_2']);
  assert.equal(v12.code, 0, v12.err);
  assert.equal(v12.protocol, 'TLSv1.2');
  // SECLEVEL=0 lets this OpenSSL offer TLS 1.1 at all, so the refusal is the server's.
  const v11 = sClient(P_SINGLE, 'www.contoso.test', ['-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0']);
  assert.notEqual(v11.code, 0, `TLS 1.1 handshake succeeded:\n${v11.out}`);
  assert.equal(v11.thumbprint, null, 'no certificate over TLS 1.1');
  assert.doesNotMatch(v11.err, /no protocols available/, `the client could not offer TLS 1.1, so this proves nothing:\n${v11.err}`);
  assert.match(v11.err, /alert protocol version|unsupported protocol|wrong version/i, v11.err);
});

test('static files: conditional requests, ranges, HEAD and content types', async () => {
  const first = get('www.contoso.test', P_SINGLE, '/page.html');
  assert.equal(first.status, 200);
  const etag = first.headers['etag'];
  const lastModified = first.headers['last-modified'];
  assert.ok(etag, 'an ETag');
  assert.ok(lastModified, 'a Last-Modified');
  const revalidated = get('www.contoso.test', P_SINGLE, '/page.html', ['-H', `If-None-Match: ${etag}`]);
  assert.equal(revalidated.status, 304);
  assert.equal(revalidated.body, '');
  assert.equal(get('www.contoso.test', P_SINGLE, '/page.html', ['-H', 'If-None-Match: "something-else"']).status, 200);
  assert.equal(get('www.contoso.test', P_SINGLE, '/page.html', ['-H', `If-Modified-Since: ${lastModified}`]).status, 304);
  assert.equal(get('www.contoso.test', P_SINGLE, '/page.html', ['-H', 'If-Modified-Since: Thu, 01 Jan 1998 00:00:00 GMT']).status, 200);

  const range = get('www.contoso.test', P_SINGLE, '/range.txt', ['-H', 'Range: bytes=10-15']);
  assert.equal(range.status, 206);
  assert.equal(range.body, 'abcdef');
  assert.equal(range.headers['content-range'], `bytes 10-15/${RANGE_TEXT.length}`);
  assert.equal(get('www.contoso.test', P_SINGLE, '/range.txt', ['-H', 'Range: bytes=100-200']).status, 416);

  // HEAD over a raw TLS socket (HTTP/1.1): the headers of the GET, and not one byte of body.
  const raw = await rawHttp1(P_SINGLE, 'www.contoso.test', 'HEAD /index.html HTTP/1.1\r\nHost: www.contoso.test\r\nConnection: close\r\n\r\n');
  const split = raw.indexOf('\r\n\r\n');
  assert.ok(split > 0, `no header block in: ${raw}`);
  assert.match(raw.slice(0, split), /^HTTP\/1\.1 200/);
  assert.match(raw.slice(0, split), /content-length: [1-9]/i);
  assert.equal(raw.slice(split + 4), '', 'HEAD answered with a body');

  const types: Array<[string, RegExp]> = [
    ['/style.css', /^text\/css/],
    ['/app.js', /^(application|text)\/javascript/],
    ['/page.html', /^text\/html/],
    ['/logo.png', /^image\/png$/],
    ['/', /^text\/html/],
  ];
  for (const [path, type] of types) {
    const r = get('www.contoso.test', P_SINGLE, path);
    assert.equal(r.status, 200, path);
    assert.match(r.headers['content-type'] ?? '', type, `content-type of ${path}`);
  }
});

test('static files: dotfiles, path traversal and folders without a trailing slash', () => {
  const dot = get('www.contoso.test', P_SINGLE, '/.env');
  assert.equal(dot.status, 404);
  assert.doesNotMatch(dot.body, new RegExp(SECRET));
  assert.equal(get('www.contoso.test', P_SINGLE, '/%2eenv').status, 404);

  const attempts = ['/../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E/secret.txt', '/docs/../../secret.txt', '/docs/%2e%2e/%2e%2e/secret.txt', '/..%2fsecret.txt', '/docs/..%2f..%2fsecret.txt', '/%2e%2e%2fsecret.txt'];
  for (const path of attempts) {
    for (const http of ['--http1.1', '--http2']) {
      const r = get('www.contoso.test', P_SINGLE, path, ['--path-as-is', http]);
      assert.ok([400, 403, 404].includes(r.status), `${path} (${http}) answered ${r.status}: ${r.body.slice(0, 200)}`);
      assert.doesNotMatch(r.body, new RegExp(SECRET), `${path} (${http}) served the file outside the root`);
    }
  }

  const folder = get('www.contoso.test', P_SINGLE, '/docs');
  assert.equal(folder.status, 301);
  assert.equal(folder.headers['location'], '/docs/');
  const inside = get('www.contoso.test', P_SINGLE, '/docs/');
  assert.equal(inside.status, 200);
  assert.match(inside.body, /Docs/);
  assert.equal(get('www.contoso.test', P_SINGLE, '/no-such-file.html').status, 404);
});

test('https redirect and HSTS per site', () => {
  const http = curl(['--resolve', `secure.test:${P_HTTP}:127.0.0.1`, `http://secure.test:${P_HTTP}/path/page.html?q=1`]);
  assert.equal(http.code, 0, http.stderr);
  assert.equal(http.status, 301);
  assert.equal(http.headers['location'], `https://secure.test:${P_SECURE}/path/page.html?q=1`);
  const https = get('secure.test', P_SECURE);
  assert.equal(https.code, 0, https.stderr);
  assert.equal(https.status, 200);
  assert.match(https.body, /Secure home/);
  assert.match(https.headers['strict-transport-security'] ?? '', /max-age=\d+/);
  // Following the redirect ends on the page.
  const followed = curl(['-L', '--cacert', caPem, '--resolve', `secure.test:${P_HTTP}:127.0.0.1`, '--resolve', `secure.test:${P_SECURE}:127.0.0.1`, `http://secure.test:${P_HTTP}/`]);
  assert.equal(followed.status, 200, followed.stderr);
  assert.match(followed.body, /Secure home/);
  // A site without those options: no HSTS header.
  const plain = get('www.contoso.test', P_SINGLE);
  assert.equal(plain.headers['strict-transport-security'], undefined);
});

/** One HTTP/1.1 exchange over TLS (ALPN http/1.1); returns everything the server sent. */
function rawHttp1(port: number, servername: string, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('timeout')));
  });
}
