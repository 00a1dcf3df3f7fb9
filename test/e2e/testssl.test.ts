// End-to-end: testssl.sh (Debian's `testssl.sh` package, the independent scanner) against every kind
// of listener `gatehouse serve` opens — an https web binding, the admin endpoint, an implicit-TLS
// SMTP listener (SMTPS, port 465 style) and a STARTTLS SMTP listener (issue #10, "Tests"). Every
// finding at LOW or above must be in ALLOW_LIST, which says for each entry why it is not an issue;
// and every entry of ALLOW_LIST must still fire, so the list stays true. The web certificate names an
// OCSP responder (`openssl ocsp`), so the web scan also sees the staple.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dataDir, eventually, freePorts, gh, ghJson, join, sClient, ServeProcess, tmpDir, writeText } from '../support/cli.js';
import { SmtpBackend } from '../support/mail-backend.js';
import { configureListener } from '../support/mail-serve.js';
import { makeOcspPki, startOcspResponder } from '../support/ocsp-pki.js';

/**
 * The four scans run at once: about 85 s on two idle cores, 125–270 s with other work beside them,
 * and over 480 s once with eight other processes building and testing on the same two cores: the
 * limits are generous so that only a scan that hangs fails (CI allows 90 minutes for everything).
 */
const LIMIT = { timeout: 1_200_000 };
/** A scan still running after this is ended (and fails the test with what it printed). */
const SCAN_LIMIT_MS = 1_080_000;

type Kind = 'web' | 'admin' | 'smtps' | 'smtp-starttls';

/** One entry of testssl.sh's flat JSON (`--jsonfile`). */
interface Finding {
  id: string;
  severity: string;
  finding: string;
}

/** What the test refuses unless allowed: LOW and above, and WARN (a check that could not run hides what it would have found). */
const FLAGGED = new Set(['LOW', 'MEDIUM', 'HIGH', 'CRITICAL', 'WARN', 'FATAL']);

interface Allowed {
  kinds: Kind[];
  id: string;
  severity: string;
  finding: RegExp;
  why: string;
  /** A race in testssl.sh's own check: it fires in some runs only, so it is not required to fire. */
  sometimes?: true;
}

const ALL: Kind[] = ['web', 'admin', 'smtps', 'smtp-starttls'];

/** The findings at LOW or above that are not an issue, each with the reason. */
const ALLOW_LIST: Allowed[] = [
  {
    kinds: ALL,
    id: 'cipher_order',
    severity: 'HIGH',
    finding: /^NOT a cipher order configured$/,
    why: "Mozilla's intermediate profile (src/model/tls-profile.ts) leaves the choice to the client because every suite offered is strong (TLS 1.2: ECDHE with AES-GCM or ChaCha20-Poly1305 only); testssl.sh 3.0 still expects a server order.",
  },
  {
    kinds: ['admin', 'smtps', 'smtp-starttls'],
    id: 'cert_revocation',
    severity: 'HIGH',
    finding: /^Neither CRL nor OCSP URI provided$/,
    why: "The certificate's issuer answers for revocation information, not the TLS configuration: Gatehouse's internal CA (mail) and the admin endpoint's self-signed certificate name no CRL or OCSP responder. The web certificate names one, and the web scan checks it and its staple.",
  },
  {
    kinds: ALL,
    id: 'DNS_CAArecord',
    severity: 'LOW',
    finding: /^--$/,
    why: 'The test names (contoso.test, 127.0.0.1) have no DNS and so no CAA record; CAA is DNS, not a setting of the server.',
  },
  {
    kinds: ['admin'],
    id: 'cert_chain_of_trust',
    severity: 'CRITICAL',
    finding: /^failed \(self signed\)\.$/,
    why: 'The admin endpoint makes its own self-signed certificate when none is given (serve --admin-cert REF takes one from a CA); the administrator checks its SHA-256 fingerprint, which serve prints.',
  },
  {
    kinds: ALL,
    id: 'sessionresumption_ticket',
    severity: 'WARN',
    finding: /^check failed because of connect problem$/,
    why: "A race in testssl.sh 3.0.8 with OpenSSL 3.0: its first `openssl s_client -sess_out` reads end-of-input and closes as soon as the TLS 1.3 handshake is done, often before the server's session ticket (sent after the client's Finished) arrives, so no session file is written and the second `s_client -sess_in` fails to start. Resumption itself is checked by test/e2e/resumption.test.ts with a client that waits for the ticket.",
    sometimes: true,
  },
];

let serve: ServeProcess;
let backend: SmtpBackend;
let responder: ChildProcess | undefined;
/** The CAs testssl.sh is to trust, comma-separated (--add-ca). */
let caFiles: string;
let ports: Record<Kind, number>;
const scans = new Map<Kind, { findings: Finding[]; seconds: number; code: number | null; output: string }>();

before(async () => {
  backend = await SmtpBackend.start();
  const data = dataDir();
  const [web, admin, smtps, starttls, responderPort] = (await freePorts(5)) as [number, number, number, number, number];
  ports = { web, admin, smtps, 'smtp-starttls': starttls };
  // Every CA is given to testssl.sh (--add-ca), so that the chain of trust is checked rather than
  // reported "self signed". Mail: ECDSA P-256 from the internal CA. Web: RSA-2048 from a CA that
  // names an OCSP responder (`openssl ocsp`), so that the scan sees the staple the web listeners send.
  ghJson(data, ['ca', 'init', '--cn', 'Contoso Test CA', '--key', 'ecdsa-p256']);
  const caDir = tmpDir('gh-testssl-ca-');
  const internalCa = join(caDir, 'internal-ca.pem');
  assert.equal(gh(data, ['ca', 'export', '--out', internalCa]).code, 0);
  const pki = tmpDir('gh-testssl-ocsp-');
  makeOcspPki(pki, responderPort, [{ name: 'www.contoso.test', aia: true, key: 'rsa', days: 90 }]);
  responder = startOcspResponder(pki, responderPort);
  caFiles = `${internalCa},${join(pki, 'ca.pem')}`;
  const root = tmpDir('gh-www-');
  writeText(join(root, 'index.html'), '<!doctype html><title>www</title><h1>hi</h1>');
  const webCert = ghJson<{ thumbprint: string }>(data, ['cert', 'import', '--file', join(pki, 'www.contoso.test.pem'), '--key-file', join(pki, 'www.contoso.test.key'), '--friendly-name', 'web']).thumbprint;
  ghJson(data, ['cert', 'chain', 'web', '--file', join(pki, 'ca.pem')]);
  // HSTS on, as for any site served over https only (a per-site choice, off by default). No SNI
  // required: testssl.sh makes some of its checks (secure renegotiation) without SNI.
  ghJson(data, ['site', 'add', 'Www', '--root', root, '--hsts', 'on']);
  ghJson(data, ['binding', 'add', 'Www', '--protocol', 'https', '--port', String(web), '--host', 'www.contoso.test', '--cert', webCert]);
  const req = ghJson<{ id: number }>(data, ['request', 'new', '--cn', 'mail.contoso.test', '--key', 'ecdsa-p256']);
  const mailCert = ghJson<{ thumbprint: string }>(data, ['request', 'submit', String(req.id), '--ca', 'internal', '--friendly-name', 'mail']).thumbprint;
  ghJson(data, ['service', 'assign', mailCert, '--services', 'smtp', '--overwrite']);
  configureListener(data, 'smtp', smtps, backend.address, { mode: 'tls' });
  configureListener(data, 'smtp', starttls, backend.address, { mode: 'starttls' });
  // The admin endpoint with the certificate it makes itself (self-signed, localhost and 127.0.0.1).
  serve = new ServeProcess(data, ['--workers', '1', '--admin', `127.0.0.1:${admin}`]);
  await serve.waitFor(/admin: console and API on https:\/\//, 'the admin endpoint');
  await serve.waitFor(new RegExp(`listening on https \\*:${web}\\b`), 'the web listener');
  await serve.waitFor(new RegExp(`listening on smtp 127\\.0\\.0\\.1:${smtps}\\b`), 'the SMTPS listener');
  await serve.waitFor(new RegExp(`listening on smtp 127\\.0\\.0\\.1:${starttls}\\b`), 'the STARTTLS listener');
  await eventually(`an OCSP staple on the web listener\n${serve.log()}`, () => /OCSP Response Status: successful/.test(sClient(web, 'www.contoso.test', ['-status']).out), 30_000, 500);
  // The four scans at once (each alone is mostly waiting on its own handshakes).
  await Promise.all([
    testssl('web', ['--ip', '127.0.0.1', `https://www.contoso.test:${ports.web}`]),
    testssl('admin', [`https://127.0.0.1:${ports.admin}`]),
    testssl('smtps', ['--ip', '127.0.0.1', `mail.contoso.test:${ports.smtps}`]),
    testssl('smtp-starttls', ['-t', 'smtp', '--ip', '127.0.0.1', `mail.contoso.test:${ports['smtp-starttls']}`]),
  ]);
}, LIMIT);

after(async () => {
  responder?.kill();
  await serve?.stop();
  await backend?.stop();
});

/** `testssl` (asynchronous: the SMTP backend runs in this process) with a flat JSON file; answers its findings. */
function testssl(kind: Kind, target: string[]): Promise<void> {
  const json = join(tmpDir('gh-testssl-'), `${kind}.json`);
  const args = ['--quiet', '--color', '0', '--warnings', 'off', '--openssl-timeout', '10', '--connect-timeout', '10', '--add-ca', caFiles, '--jsonfile', json, ...target];
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('testssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill(), SCAN_LIMIT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      let findings: Finding[] = [];
      try {
        findings = JSON.parse(readFileSync(json, 'utf8')) as Finding[];
      } catch (e) {
        return reject(new Error(`testssl.sh (${kind}) wrote no JSON (${(e as Error).message}), exit ${code}:\n${output}`));
      }
      scans.set(kind, { findings, seconds: (Date.now() - started) / 1000, code, output });
      resolve();
    });
  });
}


const KINDS: Kind[] = ['web', 'admin', 'smtps', 'smtp-starttls'];

test('each scan ran to the end: protocols, certificate, ciphers, vulnerabilities, (web) OCSP staple and (web, admin) HTTP headers', LIMIT, (t) => {
  for (const kind of KINDS) {
    const s = scans.get(kind)!;
    t.diagnostic(`${kind}: ${s.seconds.toFixed(1)} s, ${s.findings.length} findings`);
    const f = (id: string) => s.findings.find((x) => x.id === id)?.finding;
    const context = `${kind} (testssl.sh exit ${s.code}):\n${s.output}`;
    // testssl.sh's own errors are exit codes 240 and above; below, it counts what it found.
    assert.ok(s.code !== null && s.code < 240, context);
    assert.match(f('TLS1_3') ?? '', /^offered/, context);
    assert.match(f('TLS1_2') ?? '', /^offered/, context);
    for (const old of ['SSLv2', 'SSLv3', 'TLS1', 'TLS1_1']) assert.equal(f(old), 'not offered', `${kind} ${old}`);
    assert.equal(f('cert_commonName'), kind === 'web' ? 'www.contoso.test' : kind === 'admin' ? 'localhost' : 'mail.contoso.test', context);
    assert.ok(s.findings.some((x) => x.id.startsWith('cipher_x13')), `${kind}: no TLS 1.3 cipher listed\n${context}`);
    assert.ok(f('secure_client_renego') !== undefined && f('heartbleed') !== undefined && f('ROBOT') !== undefined, `${kind}: vulnerability checks missing\n${context}`);
    if (kind === 'web') assert.match(f('OCSP_stapling') ?? '', /^offered/, `${kind}: OCSP stapling\n${context}`);
    if (kind === 'web' || kind === 'admin') assert.match(f('HSTS_time') ?? '', /^\d+ days/, `${kind}: HSTS\n${context}`);
  }
});

test('no finding at LOW or above (nor a check that could not run) outside the allow-list, and every allow-list entry still fires', LIMIT, (t) => {
  const unexpected: string[] = [];
  for (const kind of KINDS) {
    for (const x of scans.get(kind)!.findings) {
      if (!FLAGGED.has(x.severity)) continue;
      const entry = ALLOW_LIST.find((a) => a.kinds.includes(kind) && a.id === x.id && a.severity === x.severity && a.finding.test(x.finding));
      if (!entry) unexpected.push(`${kind} ${x.id} ${x.severity}: ${x.finding}`);
    }
  }
  for (const line of unexpected) t.diagnostic(`not allowed: ${line}`);
  assert.deepEqual(unexpected, [], 'findings at LOW or above outside ALLOW_LIST: fix them, or add them with a reason');
  // Each entry must fire on every kind it names: an entry that no longer fires (or not everywhere) is removed or narrowed.
  const stale: string[] = [];
  for (const a of ALLOW_LIST) {
    for (const kind of a.kinds) {
      if (scans.get(kind)!.findings.some((x) => x.id === a.id && x.severity === a.severity && a.finding.test(x.finding))) continue;
      if (a.sometimes) t.diagnostic(`did not fire this time (allowed to): ${kind} ${a.id} ${a.severity}`);
      else stale.push(`${kind} ${a.id} ${a.severity}`);
    }
  }
  assert.deepEqual(stale, [], 'ALLOW_LIST entries that no longer fire: take them out of the list');
});
