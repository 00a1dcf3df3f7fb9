// OCSP stapling with a real responder (`openssl ocsp`) and a real client (`openssl s_client -status`):
// the staple is served, refreshed half-way to its nextUpdate, kept while the responder is down, says
// "revoked" for a revoked certificate, and is absent for a certificate that names no responder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { dataDir, eventually, freePorts, ghJson, join, startServe, tmpDir, writeText, type ServeProcess } from '../support/cli.js';
import { makeOcspPki, startOcspResponder } from '../support/ocsp-pki.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const [WEB, RESPONDER] = (await freePorts(2)) as [number, number];

function makePki(dir: string) {
  makeOcspPki(dir, RESPONDER, [
    { name: 'stapled.test', aia: true },
    { name: 'revoked.test', aia: true, revoked: true },
    { name: 'plain.test', aia: false },
  ]);
}

function startResponder(dir: string): ChildProcess {
  return startOcspResponder(dir, RESPONDER);
}

/** What `openssl s_client -status` says about the staple for `servername`. */
function status(servername: string): { stapled: boolean; certStatus?: string; thisUpdate?: string } {
  const r = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${WEB}`, '-servername', servername, '-status'], { input: '', encoding: 'utf8', timeout: 15_000 });
  const out = r.stdout;
  if (/OCSP response: no response sent/.test(out)) return { stapled: false };
  const certStatus = /Cert Status: (\w+)/.exec(out)?.[1];
  const thisUpdate = /This Update: (.+)/.exec(out)?.[1]?.trim();
  return { stapled: /OCSP Response Status: successful/.test(out), ...(certStatus ? { certStatus } : {}), ...(thisUpdate ? { thisUpdate } : {}) };
}

test('OCSP stapling: served, refreshed, kept while the responder is down, revoked shown, none without an OCSP URL', { timeout: 180_000 }, async () => {
  const pkiDir = tmpDir('gh-ocsp-');
  makePki(pkiDir);
  const data = dataDir();
  const root = tmpDir('gh-www-');
  writeText(join(root, 'index.html'), 'ocsp\n');
  ghJson(data, ['site', 'add', 'ocsp', '--root', root]);
  for (const name of ['stapled.test', 'revoked.test', 'plain.test']) {
    ghJson(data, ['cert', 'import', '--file', join(pkiDir, `${name}.pem`), '--key-file', join(pkiDir, `${name}.key`), '--friendly-name', name]);
    ghJson(data, ['cert', 'chain', name, '--file', join(pkiDir, 'ca.pem')]);
    ghJson(data, ['binding', 'add', 'ocsp', '--protocol', 'https', '--port', String(WEB), '--host', name, '--sni', '--cert', name]);
  }
  // A revoked certificate is a notification (and, where Gatehouse can, a renewal at once).
  const hook = await WebhookReceiver.start();
  ghJson(data, ['notify', 'add', 'ops', '--webhook', `http://127.0.0.1:${hook.port}/gatehouse`]);
  let responder: ChildProcess | undefined = startResponder(pkiDir);
  let server: ServeProcess | undefined;
  try {
    server = await startServe(data, [`https *:${WEB}`], ['--workers', '2', '--ocsp-check', '1']);
    const s = server;
    let first: ReturnType<typeof status> = { stapled: false };
    await eventually(`a staple for stapled.test\n${s.log()}`, () => (first = status('stapled.test')).stapled, 30_000, 500);
    assert.equal(first.certStatus, 'good');
    await eventually(`a "revoked" staple for revoked.test\n${s.log()}`, () => status('revoked.test').certStatus === 'revoked', 30_000, 500);
    assert.match(s.log(), /REVOKED "revoked.test"/);
    await eventually(`a certificate-revoked notification for revoked.test\n${s.log()}`, () => hook.received.some((r) => {
      const event = JSON.parse(r.body) as { kind: string; certificate?: { friendlyName: string }; detail: string };
      return event.kind === 'certificate-revoked' && event.certificate?.friendlyName === 'revoked.test' && /cannot ask by itself/.test(event.detail);
    }), 15_000, 200);
    assert.match(s.log(), /"revoked\.test" was revoked by its CA and cannot be renewed here by itself/);
    assert.deepEqual(status('plain.test'), { stapled: false }, 'a certificate naming no responder gets no staple');

    // -nmin 1: nextUpdate is a minute after thisUpdate, so the staple is fetched again half-way.
    await eventually(`the staple refreshed (This Update moves on)\n${s.log()}`, () => {
      const now = status('stapled.test');
      return now.stapled && now.thisUpdate !== first.thisUpdate;
    }, 60_000, 1000);

    // The responder goes away: the next fetch fails, the staple kept is still sent until its nextUpdate.
    responder.kill();
    responder = undefined;
    await eventually(`a failed fetch is logged\n${s.log()}`, () => /OCSP stapling: the responder http:\/\/127\.0\.0\.1:\d+ for "stapled.test" .* failed/.test(s.log()), 60_000, 1000);
    const kept = status('stapled.test');
    assert.equal(kept.stapled, true, 'the previous staple is kept while the responder is down');
    assert.equal(kept.certStatus, 'good');
  } finally {
    responder?.kill();
    await server?.stop();
    await hook.stop();
  }
});

test('a staple survives a restart: kept in the store, sent before any new fetch', { timeout: 120_000 }, async () => {
  const pkiDir = tmpDir('gh-ocsp-');
  makePki(pkiDir);
  const data = dataDir();
  const root = tmpDir('gh-www-');
  writeText(join(root, 'index.html'), 'ocsp\n');
  ghJson(data, ['site', 'add', 'ocsp', '--root', root]);
  ghJson(data, ['cert', 'import', '--file', join(pkiDir, 'stapled.test.pem'), '--key-file', join(pkiDir, 'stapled.test.key'), '--friendly-name', 'stapled']);
  ghJson(data, ['cert', 'chain', 'stapled', '--file', join(pkiDir, 'ca.pem')]);
  ghJson(data, ['binding', 'add', 'ocsp', '--protocol', 'https', '--port', String(WEB), '--cert', 'stapled']);
  const responder = startResponder(pkiDir);
  let server: ServeProcess | undefined;
  try {
    server = await startServe(data, [`https *:${WEB}`], ['--workers', '1']);
    await eventually('a staple', () => status('stapled.test').stapled, 30_000, 500);
    await server.stop();
    responder.kill();
    server = await startServe(data, [`https *:${WEB}`], ['--workers', '1']);
    const after = status('stapled.test');
    assert.equal(after.stapled, true, `the staple kept in the store is sent with the responder down\n${server.log()}`);
  } finally {
    responder.kill();
    await server?.stop();
  }
});
