import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, constants } from 'node:http2';
import { curlAsync, dataDir, eventually, freePorts, ghJson, join, selfSignedCert, ServeProcess, tmpDir, writeText, type CurlResult } from '../support/cli.js';

/**
 * Every static edge case, a proxied request and the access log over HTTP/2, with curl --http2 as
 * the client (issue #12, item 2). HTTP/2 is served through Node's core stream API for hot files and
 * through its compatibility layer for the rest; this test guards that change and passes on the code
 * before it and after it: each hot-file case is asked twice — the first answer comes from disk
 * (`send`), the second from memory — and both must be the same answer (status, header fields, body)
 * and leave the same log line. Then a client that resets its streams mid-response and one that sends
 * GOAWAY while a well-behaved client keeps being served, and the descriptors they used come back.
 */

const BIG = 'b'.repeat(4 * 1024 * 1024);

async function startUpstream(port: number): Promise<Server> {
  const server = createServer((req: IncomingMessage, res) => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('x-upstream', 'yes');
    res.end(JSON.stringify({ method: req.method, url: req.url, proto: req.headers['x-forwarded-proto'] }));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return server;
}

/** The header fields an answer is compared by (the date changes, and curl writes HTTP/2's status line itself). */
function fields(r: CurlResult): Record<string, string> {
  const out = { ...r.headers };
  delete out.date;
  return out;
}

function withoutDate(text: string): string {
  return text.replace(/^date: .*\r?\n/gim, '');
}

function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

test('HTTP/2: 200, HEAD, 304 by ETag and by date, 206, 416, 404, 405, folders, HSTS, the 400 of an unknown host, a proxy site and the logs; a misbehaving client does not disturb the others', { timeout: 120_000 }, async () => {
  const [https, up, metrics] = await freePorts(3);
  const data = dataDir();
  const root = tmpDir('gh-h2core-');
  mkdirSync(join(root, 'docs'), { recursive: true });
  writeText(join(root, 'index.html'), '<!DOCTYPE html><title>core</title><h1>core</h1>\n');
  writeText(join(root, 'style.css'), 'body { color: teal }\n');
  writeText(join(root, 'range.txt'), '0123456789abcdefghij');
  writeText(join(root, 'docs', 'index.html'), '<h1>Docs</h1>\n');
  writeFileSync(join(root, 'big.txt'), BIG);
  const thumb = selfSignedCert(data, 's.test', 'h2core', ['--san', 'c.test', '--san', 'p.test', '--san', 'q.test']);
  ghJson(data, ['site', 'add', 'Static', '--root', root, '--hsts', 'on']);
  ghJson(data, ['site', 'add', 'Combined', '--root', root, '--log-format', 'combined']);
  ghJson(data, ['site', 'add', 'Quiet', '--root', root, '--log', 'combined']);
  ghJson(data, ['site', 'set', 'Quiet', '--log', 'off']);
  ghJson(data, ['site', 'add', 'App', '--proxy', `http://127.0.0.1:${up}`]);
  for (const [site, host] of [['Static', 's.test'], ['Combined', 'c.test'], ['Quiet', 'q.test'], ['App', 'p.test']] as const) {
    ghJson(data, ['binding', 'add', site, '--protocol', 'https', '--port', String(https), '--host', host, '--sni', '--cert', thumb]);
  }
  const upstream = await startUpstream(up!);
  const logs = tmpDir('gh-h2core-logs-');
  // One serving process: a file's second request finds it in that process's memory.
  const serve = new ServeProcess(data, ['--workers', '1', '--log-dir', logs, '--metrics', `127.0.0.1:${metrics}`]);
  let length = 0;
  try {
    await serve.waitFor(new RegExp(`listening on https \\*:${https}(\\s|$)`, 'm'), `"listening on https *:${https}"`);
    const pid = serve.child.pid!;
    const get = (host: string, path: string, extra: string[] = []) =>
      curlAsync(['-k', '--http2', '-A', 'Core Agent/2.0', '-e', 'https://ref.test/', '--resolve', `${host}:${https}:127.0.0.1`, ...extra, `https://${host}:${https}${path}`]);
    /** Asks twice (disk, then memory) and returns the answer once both are the same. */
    const twice = async (host: string, path: string, extra: string[] = []): Promise<CurlResult> => {
      const first = await get(host, path, extra);
      const second = await get(host, path, extra);
      assert.equal(first.httpVersion, '2', first.stderr);
      assert.equal(second.status, first.status, `${path}: the second answer's status`);
      assert.deepEqual(fields(second), fields(first), `${path}: the second answer's header fields`);
      // (curl -I writes the header block where the body goes: its date may differ too.)
      assert.equal(withoutDate(second.body), withoutDate(first.body), `${path}: the second answer's body`);
      return second;
    };

    const ok = await twice('s.test', '/index.html?n=1');
    assert.equal(ok.status, 200);
    assert.equal(ok.body, '<!DOCTYPE html><title>core</title><h1>core</h1>\n');
    assert.equal(ok.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(ok.headers['content-length'], String(ok.body.length));
    assert.equal(ok.headers['accept-ranges'], 'bytes');
    assert.equal(ok.headers['cache-control'], 'public, max-age=0');
    assert.equal(ok.headers['strict-transport-security'], 'max-age=31536000');
    assert.match(ok.headers.etag ?? '', /^W\/"/);
    assert.match(ok.headers['last-modified'] ?? '', /GMT$/);
    assert.match(ok.headers.date ?? '', /GMT$/);
    length = ok.body.length;

    const css = await twice('s.test', '/style.css');
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    assert.equal(css.body, 'body { color: teal }\n');

    const head = await twice('s.test', '/index.html', ['-I']);
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], ok.headers['content-length']);
    assert.equal(head.headers.etag, ok.headers.etag);

    const byTag = await twice('s.test', '/index.html', ['-H', `If-None-Match: ${ok.headers.etag}`]);
    assert.equal(byTag.status, 304);
    assert.equal(byTag.body, '');
    assert.equal(byTag.headers.etag, ok.headers.etag);
    assert.equal(byTag.headers['content-type'], undefined);
    assert.equal(byTag.headers['strict-transport-security'], 'max-age=31536000');
    const otherTag = await get('s.test', '/index.html', ['-H', 'If-None-Match: "other"']);
    assert.equal(otherTag.status, 200);

    const byDate = await twice('s.test', '/index.html', ['-H', `If-Modified-Since: ${ok.headers['last-modified']}`]);
    assert.equal(byDate.status, 304);
    assert.equal(byDate.body, '');
    const older = await get('s.test', '/index.html', ['-H', 'If-Modified-Since: Thu, 01 Jan 1998 00:00:00 GMT']);
    assert.equal(older.status, 200);

    const range = await twice('s.test', '/range.txt', ['-H', 'Range: bytes=2-5']);
    assert.equal(range.status, 206);
    assert.equal(range.body, '2345');
    assert.equal(range.headers['content-range'], 'bytes 2-5/20');
    const unsatisfiable = await twice('s.test', '/range.txt', ['-H', 'Range: bytes=50-60']);
    assert.equal(unsatisfiable.status, 416);
    assert.equal(unsatisfiable.headers['content-range'], 'bytes */20');

    const missing = await twice('s.test', '/missing.txt');
    assert.equal(missing.status, 404);
    assert.match(missing.body, /404 Not Found/);
    assert.equal(missing.headers['cache-control'], 'no-store');

    const post = await twice('s.test', '/index.html', ['-d', 'x=1']);
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');

    const folder = await twice('s.test', '/docs/');
    assert.equal(folder.status, 200);
    assert.equal(folder.body, '<h1>Docs</h1>\n');
    const noSlash = await twice('s.test', '/docs');
    assert.equal(noSlash.status, 301);
    assert.equal(noSlash.headers.location, '/docs/');

    const unknown = await twice('s.test', '/index.html', ['-H', `Host: nobody.test:${https}`]);
    assert.equal(unknown.status, 400);
    assert.match(unknown.body, /No site is bound to this host name/);
    assert.equal(unknown.headers['strict-transport-security'], undefined);
    // The same short page as every other error page (the 404's, from the site handler).
    for (const page of [unknown, missing]) {
      assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(page.headers['cache-control'], 'no-store');
      assert.equal(page.headers['content-length'], String(Buffer.byteLength(page.body)));
    }

    const combined = await twice('c.test', '/index.html?n=2');
    assert.equal(combined.status, 200);
    assert.equal(combined.headers['strict-transport-security'], undefined, 'HSTS is the Static site\'s only');
    assert.equal((await twice('q.test', '/index.html')).status, 200);

    // Several hosts on one connection (a browser reuses it for every name its certificate covers): each stream is routed by its own :authority.
    const shared = connect(`https://127.0.0.1:${https}`, { servername: 's.test', rejectUnauthorized: false });
    shared.on('error', () => undefined);
    const ask = (authority: string) => new Promise<{ status: number; hsts: unknown; body: string }>((resolve, reject) => {
      const s = shared.request({ ':path': '/index.html', ':authority': authority });
      let body = '';
      let status = 0;
      let hsts: unknown;
      s.on('response', (h) => {
        status = Number(h[':status']);
        hsts = h['strict-transport-security'];
      });
      s.setEncoding('utf8');
      s.on('data', (d: string) => (body += d));
      s.on('end', () => resolve({ status, hsts, body }));
      s.on('error', reject);
    });
    try {
      for (const [authority, status, hsts] of [['s.test', 200, 'max-age=31536000'], ['c.test', 200, undefined], ['nobody.test', 400, undefined], ['s.test', 200, 'max-age=31536000'], ['p.test', 200, undefined]] as const) {
        const r = await ask(`${authority}:${https}`);
        assert.equal(r.status, status, `${authority} on a shared connection`);
        assert.equal(r.hsts, hsts, `${authority}'s HSTS on a shared connection`);
        if (authority === 'p.test') assert.equal(JSON.parse(r.body).url, '/index.html');
      }
    } finally {
      shared.close();
    }

    const proxied = await get('p.test', '/api/x?y=2');
    assert.equal(proxied.status, 200, proxied.stderr);
    assert.equal(proxied.httpVersion, '2');
    assert.equal(proxied.headers['x-upstream'], 'yes');
    assert.deepEqual(JSON.parse(proxied.body), { method: 'GET', url: '/api/x?y=2', proto: 'https' });
    assert.equal((await get('p.test', '/api/x', ['-I'])).status, 200);

    // One count per answered request, by site and status (a site whose log is off counts too; no site: none).
    const scraped = (await curlAsync([`http://127.0.0.1:${metrics}/metrics`])).body;
    const counts: Record<string, Record<string, number>> = {};
    for (const [, labels, n] of scraped.matchAll(/^gatehouse_http_requests_total\{([^}]*)\} (\d+)$/gm)) {
      const site = /site="([^"]*)"/.exec(labels!)![1]!;
      const code = /code="([^"]*)"/.exec(labels!)![1]!;
      (counts[site] ??= {})[code] = Number(n);
    }
    assert.deepEqual(counts, {
      Static: { 200: 12, 206: 2, 301: 2, 304: 4, 404: 2, 405: 2, 416: 2 },
      Combined: { 200: 3 },
      Quiet: { 200: 2 },
      App: { 200: 3 },
    }, scraped);

    // A misbehaving client: streams of a large file reset mid-response, then a GOAWAY with streams
    // open; a well-behaved client is served all the while; the descriptors come back.
    const before = openFds(pid);
    const bad = connect(`https://127.0.0.1:${https}`, { servername: 's.test', rejectUnauthorized: false });
    bad.on('error', () => undefined);
    await once(bad, 'connect');
    for (let round = 0; round < 5; round++) {
      const streams = Array.from({ length: 10 }, () => {
        const s = bad.request({ ':path': round % 2 === 0 ? '/big.txt' : '/index.html', ':authority': `s.test:${https}` });
        s.on('error', () => undefined);
        return s;
      });
      // Reset each once its answer has started.
      await Promise.all(streams.map((s) => new Promise<void>((resolve) => {
        s.once('data', () => {
          s.close(constants.NGHTTP2_CANCEL);
          resolve();
        });
        s.once('close', () => resolve());
      })));
      const during = await get('s.test', '/index.html');
      assert.equal(during.status, 200, during.stderr);
    }
    for (let i = 0; i < 10; i++) bad.request({ ':path': '/big.txt', ':authority': `s.test:${https}` }).on('error', () => undefined);
    bad.goaway(constants.NGHTTP2_CANCEL);
    bad.destroy();
    assert.equal((await get('s.test', '/index.html')).status, 200);
    await eventually(`the serve process's descriptors back near ${before}`, () => openFds(pid) <= before + 5, 15_000, 250).catch((e) => {
      throw new Error(`${(e as Error).message}; it holds ${openFds(pid)}`);
    });
  } finally {
    await serve.stop();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  }

  // One line per request, the same for the answer from disk and the one from memory.
  assert.deepEqual(readdirSync(logs).sort(), ['App.log', 'Combined.log', 'Static.log'], 'a site whose log is off has no file');
  const w3c = readFileSync(join(logs, 'Static.log'), 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  const n1 = w3c.filter((l) => / GET \/index\.html n=1 /.test(l));
  assert.equal(n1.length, 2, w3c.join('\n'));
  for (const line of n1) {
    assert.match(line, new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d 127\\.0\\.0\\.1 GET /index\\.html n=1 ${https} - 127\\.0\\.0\\.1 HTTP/2\\.0 Core\\+Agent/2\\.0 https://ref\\.test/ 200 ${length} \\d+ \\S+$`));
  }
  const statusesOf = (pattern: RegExp) => w3c.filter((l) => pattern.test(l)).map((l) => l.split(' ')[12]);
  assert.deepEqual(statusesOf(/ HEAD \/index\.html /), ['200', '200']);
  assert.deepEqual(statusesOf(/ POST \/index\.html /), ['405', '405']);
  assert.deepEqual(statusesOf(/ GET \/range\.txt /), ['206', '206', '416', '416']);
  assert.deepEqual(statusesOf(/ GET \/missing\.txt /), ['404', '404']);
  assert.ok(statusesOf(/ GET \/index\.html - /).filter((s) => s === '304').length >= 4, 'the 304s are logged');
  const combinedLines = readFileSync(join(logs, 'Combined.log'), 'utf8').trim().split('\n').filter((l) => / "GET \/index\.html\?n=2 /.test(l));
  assert.equal(combinedLines.length, 2);
  for (const line of combinedLines) {
    assert.match(line, new RegExp(`^127\\.0\\.0\\.1 - - \\[\\d\\d/\\w{3}/\\d{4}:\\d\\d:\\d\\d:\\d\\d \\+0000\\] "GET /index\\.html\\?n=2 HTTP/2\\.0" 200 ${length} "https://ref\\.test/" "Core Agent/2\\.0" \\S+$`));
  }
  const app = readFileSync(join(logs, 'App.log'), 'utf8');
  assert.match(app, / GET \/api\/x y=2 .* HTTP\/2\.0 .* 200 /);
});
