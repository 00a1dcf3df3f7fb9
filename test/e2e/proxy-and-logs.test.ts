import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { WebSocket, WebSocketServer } from 'ws';
import { curlAsync, dataDir, eventually, freePorts, ghJson, join, selfSignedCert, ServeProcess, startServe, tmpDir, writeText } from '../support/cli.js';

/** An upstream that answers with what it received, and echoes WebSocket messages. */
async function startUpstream(port: number): Promise<Server> {
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
    });
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`echo:${m.toString()}`)));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return server;
}

test('a proxy site: bodies both ways, X-Forwarded-*, HTTP/2, a WebSocket echo, 502 when the upstream is down', async () => {
  const [https, up] = await freePorts(2);
  const data = dataDir();
  const thumb = selfSignedCert(data, 'app.test', 'app');
  ghJson(data, ['site', 'add', 'App', '--proxy', `http://127.0.0.1:${up}`]);
  ghJson(data, ['binding', 'add', 'App', '--protocol', 'https', '--port', String(https), '--cert', thumb]);
  let upstream = await startUpstream(up!);
  const serve = await startServe(data, [`https *:${https}`]);
  try {
    const base = ['-k', '--resolve', `app.test:${https}:127.0.0.1`];
    const r = await curlAsync([...base, '--http1.1', '-d', 'hello=1', `https://app.test:${https}/api/x?y=2`]);
    assert.equal(r.status, 200, r.stderr);
    const seen = JSON.parse(r.body);
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/api/x?y=2');
    assert.equal(seen.body, 'hello=1');
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers['x-forwarded-proto'], 'https');
    assert.equal(seen.headers['x-forwarded-host'], `app.test:${https}`);
    assert.equal(seen.headers.host, `app.test:${https}`);

    const h2 = await curlAsync([...base, '--http2', `https://app.test:${https}/h2`]);
    assert.equal(h2.httpVersion, '2');
    assert.equal(JSON.parse(h2.body).url, '/h2');

    const ws = new WebSocket(`wss://127.0.0.1:${https}/socket`, [], { rejectUnauthorized: false, headers: { host: `app.test:${https}` } });
    const reply = await new Promise<string>((resolve, reject) => {
      ws.on('open', () => ws.send('ping'));
      ws.on('message', (m) => resolve(m.toString()));
      ws.on('error', reject);
      setTimeout(() => reject(new Error('no WebSocket reply within 10 s')), 10_000).unref();
    });
    ws.close();
    assert.equal(reply, 'echo:ping');

    await new Promise<void>((resolve) => {
      upstream.closeAllConnections();
      upstream.close(() => resolve());
    });
    const down = await curlAsync([...base, `https://app.test:${https}/`]);
    assert.equal(down.status, 502);
    assert.match(down.body, /502 Bad Gateway/);
    upstream = await startUpstream(up!);
    await eventually('the upstream answers again', async () => (await curlAsync([...base, `https://app.test:${https}/`])).status === 200);
  } finally {
    await serve.stop();
    upstream.closeAllConnections();
    upstream.close();
  }
});

test('access logs: one line per request, W3C extended as IIS writes it or combined, none when off; complete after SIGTERM', async () => {
  const [https] = await freePorts(1);
  const data = dataDir();
  const root = tmpDir('gh-www-');
  mkdirSync(root, { recursive: true });
  writeText(join(root, 'index.html'), '<h1>hi</h1>');
  const thumb = selfSignedCert(data, 'w.test', 'w');
  ghJson(data, ['site', 'add', 'W3C', '--root', root]);
  ghJson(data, ['site', 'add', 'Combined', '--root', root, '--log-format', 'combined']);
  ghJson(data, ['binding', 'add', 'W3C', '--protocol', 'https', '--port', String(https), '--host', 'w.test', '--sni', '--cert', thumb]);
  ghJson(data, ['binding', 'add', 'Combined', '--protocol', 'https', '--port', String(https), '--host', 'c.test', '--sni', '--cert', thumb]);
  ghJson(data, ['site', 'add', 'Quiet', '--root', root, '--log', 'combined']);
  assert.equal(ghJson<{ logFormat: string }>(data, ['site', 'set', 'Quiet', '--log', 'off']).logFormat, 'off');
  ghJson(data, ['binding', 'add', 'Quiet', '--protocol', 'https', '--port', String(https), '--host', 'q.test', '--sni', '--cert', thumb]);
  const logs = tmpDir('gh-logs-');
  const live = await startServeWithLogs(data, logs, https!);
  try {
    for (const host of ['w.test', 'c.test']) {
      const r = await curlAsync(['-k', '--http1.1', '-A', 'Test Agent/1.0', '-e', 'https://ref.test/', '--resolve', `${host}:${https}:127.0.0.1`, `https://${host}:${https}/index.html?q=1`]);
      assert.equal(r.status, 200);
    }
    assert.equal((await curlAsync(['-k', '--http1.1', '--resolve', `q.test:${https}:127.0.0.1`, `https://q.test:${https}/index.html`])).status, 200);
    // 30 more on one connection, then SIGTERM at once: the lines still in the log's buffer are written at shutdown.
    const more = Array.from({ length: 30 }, (_, i) => [`https://w.test:${https}/index.html?n=${i}`, '-o', '/dev/null']).flat();
    const codes = await new Promise<string>((resolve, reject) => execFile('curl', ['-sSk', '--http1.1', '-w', '%{http_code}\\n', '--resolve', `w.test:${https}:127.0.0.1`, ...more],
      (err, stdout) => (err ? reject(err) : resolve(stdout))));
    assert.deepEqual(codes.trim().split('\n'), Array(30).fill('200'));
  } finally {
    await live.stop();
  }
  const files = readdirSync(logs).sort();
  assert.deepEqual(files, ['Combined.log', 'W3C.log'], 'a site whose log is off has no file');
  const w3c = readFileSync(join(logs, 'W3C.log'), 'utf8');
  assert.match(w3c, /^#Software: Gatehouse$/m);
  assert.match(w3c, /^#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs-version cs\(User-Agent\) cs\(Referer\) sc-status sc-bytes time-taken x-tls-group$/m);
  const w3cLines = w3c.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  assert.equal(w3cLines.length, 31, w3c);
  // Each worker writes its own batches: lines of one connection (one worker) keep their order, workers' batches interleave.
  const first = w3cLines.filter((l) => / q=1 /.test(l));
  assert.deepEqual(w3cLines.filter((l) => / n=\d+ /.test(l)).map((l) => l.split(' ')[5]), Array.from({ length: 30 }, (_, i) => `n=${i}`));
  assert.equal(first.length, 1);
  assert.match(first[0]!, new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d 127\\.0\\.0\\.1 GET /index\\.html q=1 ${https} - 127\\.0\\.0\\.1 HTTP/1\\.1 Test\\+Agent/1\\.0 https://ref\\.test/ 200 11 \\d+ X25519$`));
  const combined = readFileSync(join(logs, 'Combined.log'), 'utf8').trim().split('\n');
  assert.equal(combined.length, 1);
  assert.match(combined[0]!, /^127\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/index\.html\?q=1 HTTP\/1\.1" 200 11 "https:\/\/ref\.test\/" "Test Agent\/1\.0" X25519$/);
});

async function startServeWithLogs(data: string, logs: string, port: number): Promise<ServeProcess> {
  const s = new ServeProcess(data, ['--log-dir', logs]);
  await s.waitFor(new RegExp(`listening on https \\*:${port}`), 'the listener');
  await eventually('every worker listens', () => {
    const workers = /serving with (\d+) worker process/.exec(s.out);
    const n = workers ? Number(workers[1]) : 1;
    return (s.out.match(new RegExp(`listening on https \\*:${port}`, 'g')) ?? []).length >= n;
  });
  return s;
}
