// End-to-end: TLS session resumption on every listener `gatehouse serve` opens (issue #10, finding 9):
// a web binding served by two workers (`--workers 2`), an implicit-TLS SMTP listener and the admin
// endpoint. Debian's `openssl s_client` (the independent peer) keeps the session it was given
// (`-sess_out`) and offers it again (`-sess_in`): the server must resume it ("Reused") with TLS 1.3
// and with TLS 1.2, whichever worker the kernel hands the connection to — the workers share their
// ticket keys (derived from the master key), so a ticket from one is good at the other.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dataDir, freePorts, ghJson, join, selfSignedCert, ServeProcess, tmpDir, writeText } from '../support/cli.js';
import { SmtpBackend } from '../support/mail-backend.js';
import { assignedCert, configureListener } from '../support/mail-serve.js';

const LIMIT = { timeout: 180_000 };
/** Resumptions per listener and version: with two workers, 10 all on one worker happens 1 time in 512. */
const TRIES = 10;

let serve: ServeProcess;
let backend: SmtpBackend;
let web: number;
let mail: number;
let admin: number;

before(async () => {
  backend = await SmtpBackend.start();
  const data = dataDir();
  [web, mail, admin] = (await freePorts(3)) as [number, number, number];
  const root = tmpDir('gh-www-');
  writeText(join(root, 'index.html'), '<h1>hi</h1>');
  const thumb = selfSignedCert(data, 'r.test', 'web');
  ghJson(data, ['site', 'add', 'Resume', '--root', root]);
  ghJson(data, ['binding', 'add', 'Resume', '--protocol', 'https', '--port', String(web), '--host', 'r.test', '--sni', '--cert', thumb]);
  assignedCert(data, 'mail.contoso.com', 'mail', ['smtp']);
  configureListener(data, 'smtp', mail, backend.address, { mode: 'tls' });
  // Two workers: the web listener is served by both (the default on a 2-core machine is one process).
  serve = new ServeProcess(data, ['--workers', '2', '--admin', `127.0.0.1:${admin}`]);
  await serve.waitFor(/admin: console and API on https:\/\//, 'the admin endpoint');
  await serve.waitFor(new RegExp(`listening on https \\*:${web}\\b[\\s\\S]*listening on https \\*:${web}\\b`), 'the web listener in both workers');
  await serve.waitFor(new RegExp(`listening on smtp 127\\.0\\.0\\.1:${mail}\\b`), 'the mail listener');
});

after(async () => {
  await serve?.stop();
  await backend?.stop();
});

/**
 * One `openssl s_client` connection (asynchronous: the SMTP backend runs in this process). It sends
 * `input` and waits for the server to close, so that the TLS 1.3 tickets sent after the handshake
 * arrive and are written to `sessOut`. Answers whether the session was resumed, and the output.
 */
function sClient(port: number, servername: string, version: '-tls1_3' | '-tls1_2', input: string, session: { in?: string; out?: string }): Promise<{ reused: boolean; out: string }> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', servername, version, '-ign_eof'];
  if (session.in) args.push('-sess_in', session.in);
  if (session.out) args.push('-sess_out', session.out);
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill(), 15_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      if (!/^(New|Reused), TLSv/m.test(out)) return reject(new Error(`no handshake with 127.0.0.1:${port}:\n${out}`));
      resolve({ reused: /^Reused, TLSv/m.test(out), out });
    });
    // After the handshake (a short pause), so that the request does not go out before the tickets come.
    setTimeout(() => child.stdin.end(input), 300);
  });
}

const HTTP = (host: string) => `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;

const LISTENERS = () => [
  { what: 'web (2 workers)', port: web, servername: 'r.test', input: HTTP('r.test') },
  { what: 'admin', port: admin, servername: 'localhost', input: HTTP('localhost') },
  { what: 'mail (implicit TLS SMTP)', port: mail, servername: 'mail.contoso.com', input: 'QUIT\r\n' },
];

for (const version of ['-tls1_3', '-tls1_2'] as const) {
  test(`openssl s_client resumes its session (${version.slice(1)}) on the web listener across both workers, on the admin endpoint and on the mail listener`, LIMIT, async () => {
    const failures: string[] = [];
    for (const { what, port, servername, input } of LISTENERS()) {
      const file = join(tmpDir('gh-sess-'), 'session.pem');
      const first = await sClient(port, servername, version, input, { out: file });
      assert.equal(first.reused, false, `${what}: the first connection is a full handshake`);
      let reused = 0;
      let last = '';
      for (let i = 0; i < TRIES; i++) {
        const again = await sClient(port, servername, version, input, { in: file });
        if (again.reused) reused++;
        else last = again.out;
      }
      if (reused !== TRIES) failures.push(`${what}: ${reused} of ${TRIES} resumed; the last full handshake:\n${last.split('\n').filter((l) => /New,|Reused,|Protocol|Session-ID|TLS session ticket|Verify return/.test(l)).join('\n')}`);
    }
    assert.deepEqual(failures, []);
  });
}
