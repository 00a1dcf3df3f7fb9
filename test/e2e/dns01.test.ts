// DNS-01 providers against a real DNS server: Knot DNS started on a free loopback port with TSIG keys
// and an update ACL that allows only TXT records at _acme-challenge names. The RFC 2136 provider's
// updates are checked from outside with kdig; refusals (a wrong secret, a key not allowed for the
// zone or the name) give GH_ codes and leave the zone as it was. The hook provider runs a script.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import { join } from 'node:path';
import { GatehouseError } from '../../src/model/gatehouse-error.js';
import { authoritativeServers, dns01Name, dns01Value, waitForPropagation } from '../../src/acme/dns/provider.js';
import { Rfc2136Provider } from '../../src/acme/dns/rfc2136.js';
import { HookProvider } from '../../src/acme/dns/hook.js';
import { createDnsProvider, readTsigKeyFile } from '../../src/acme/dns/spec.js';
import { freePorts, tmpDir } from '../support/cli.js';
import { KnotServer, OTHER_ZONE, ZONE, type KnotKey } from '../support/knot.js';

const LIMIT = { timeout: 120_000 };
let knot: KnotServer;

before(async () => {
  knot = await new KnotServer().start();
});
after(async () => {
  await knot?.stop();
});

function provider(key: KnotKey, opts: { zone?: string | null; secret?: string } = {}): Rfc2136Provider {
  const zone = opts.zone === null ? undefined : (opts.zone ?? ZONE);
  return new Rfc2136Provider({
    server: { host: '127.0.0.1', port: knot.port },
    zone,
    key: { name: key.id, algorithm: key.algorithm, secret: Buffer.from(opts.secret ?? key.secret, 'base64') },
    timeoutMs: 3000,
  });
}

async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<GatehouseError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof GatehouseError, `a GatehouseError, not ${(e as Error)?.stack ?? e}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

test('present puts the TXT value in the zone (kdig sees it), cleanup removes that value only', LIMIT, async () => {
  const fqdn = dns01Name('www.example.test');
  assert.equal(fqdn, '_acme-challenge.www.example.test.');
  const first = dns01Value('token-1.thumbprint');
  const second = dns01Value('token-2.thumbprint');
  const p = provider(knot.acme);
  assert.deepEqual(await knot.txt(fqdn), []);
  await p.present(fqdn, first);
  assert.deepEqual(await knot.txt(fqdn), [first]);
  await waitForPropagation(fqdn, first, { nameservers: p.authoritative, timeoutMs: 10_000, intervalMs: 100 });
  // A wildcard and its base name share the challenge name: both values are served at once.
  await p.present(fqdn, second);
  assert.deepEqual(await knot.txt(fqdn), [first, second].sort());
  await p.cleanup(fqdn, first);
  assert.deepEqual(await knot.txt(fqdn), [second]);
  await p.cleanup(fqdn, second);
  assert.deepEqual(await knot.txt(fqdn), []);
  // Other records of the zone are untouched.
  assert.deepEqual(await knot.txt('www.example.test'), ['v=site']);
});

test('hmac-sha512 keys sign as well; the zone is found from the server when not given', LIMIT, async () => {
  const fqdn = dns01Name('example.test');
  const value = dns01Value('tok.sha512');
  const p = provider(knot.acme512, { zone: null });
  await p.present(fqdn, value);
  assert.deepEqual(await knot.txt(fqdn), [value]);
  await p.cleanup(fqdn, value);
  assert.deepEqual(await knot.txt(fqdn), []);
});

test('a wrong TSIG secret is refused (BADSIG) with GH_DNS_UPDATE_REFUSED and the zone unchanged', LIMIT, async () => {
  const fqdn = dns01Name('www.example.test');
  const serial = await knot.serial();
  const e = await rejectsWith(
    provider(knot.acme, { secret: Buffer.alloc(32, 7).toString('base64') }).present(fqdn, dns01Value('x')),
    'GH_DNS_UPDATE_REFUSED',
    /refused the addition of the TXT record _acme-challenge\.www\.example\.test in zone example\.test: NOTAUTH\/BADSIG \(the TSIG signature does not verify: the secret of key acme is not the server's/,
  );
  assert.doesNotMatch(e.message, new RegExp(knot.acme.secret.replace(/[+/=]/g, '.')), 'no secret in the message');
  assert.deepEqual(await knot.txt(fqdn), []);
  assert.equal(await knot.serial(), serial);
});

test('a key not allowed for the zone, or for the name, is refused and nothing changes', LIMIT, async () => {
  const serial = await knot.serial();
  const otherSerial = await knot.serial(OTHER_ZONE);
  // The server knows key "other", but only for other.test.
  await rejectsWith(provider(knot.other).present(dns01Name('www.example.test'), dns01Value('y')), 'GH_DNS_UPDATE_REFUSED', /NOTAUTH\/BADKEY \(the server does not accept the key other \(hmac-sha256\)/);
  // Key "acme" may change _acme-challenge names only, not www itself.
  await rejectsWith(provider(knot.acme).present('www.example.test.', dns01Value('z')), 'GH_DNS_UPDATE_REFUSED', /the TXT record www\.example\.test in zone example\.test: NOTAUTH\/BADKEY/);
  // A name outside the configured zone is refused before anything is sent.
  await rejectsWith(provider(knot.acme).present(dns01Name('www.other.test'), dns01Value('w')), 'GH_DNS_PROVIDER_INVALID', /not in the zone example\.test/);
  // A key the server does not know at all.
  await rejectsWith(provider({ id: 'nobody', algorithm: 'hmac-sha256', secret: knot.acme.secret }).present(dns01Name('www.example.test'), 'v'), 'GH_DNS_UPDATE_REFUSED', /BADKEY/);
  assert.equal(await knot.serial(), serial);
  assert.equal(await knot.serial(OTHER_ZONE), otherSerial);
  assert.deepEqual(await knot.txt('www.example.test'), ['v=site']);
  assert.deepEqual(await knot.txt(dns01Name('www.example.test')), []);
});

test('a TXT answer too long for UDP is read over TCP (truncation fallback)', LIMIT, async () => {
  const fqdn = dns01Name('api.example.test');
  const p = provider(knot.acme);
  const values = Array.from({ length: 14 }, (_, i) => dns01Value(`token-${i}`));
  for (const v of values) await p.present(fqdn, v);
  assert.equal((await knot.txt(fqdn)).length, 14);
  // Over UDP without EDNS (as the provider asks) the answer is cut: a UDP-only client would not see every value.
  const udp = await knot.dig('TXT', fqdn, { plainUdp: true });
  assert.ok(udp.length < 14, `the UDP answer is truncated (${udp.length} of 14 values)`);
  await waitForPropagation(fqdn, values[13]!, { nameservers: p.authoritative, timeoutMs: 5_000, intervalMs: 100 });
  for (const v of values) await p.cleanup(fqdn, v);
  assert.deepEqual(await knot.txt(fqdn), []);
});

test('the authoritative servers of a challenge name are found through NS records (for hook providers)', LIMIT, async () => {
  const resolvers = [`127.0.0.1:${knot.port}`];
  // _acme-challenge.www and www have no NS records of their own: the zone's are example.test's (ns1 → 127.0.0.1).
  assert.deepEqual(await authoritativeServers(dns01Name('www.example.test'), { resolvers, port: knot.port }), [{ host: '127.0.0.1', port: knot.port }]);
  await rejectsWith(authoritativeServers('_acme-challenge.www.example.test.', { resolvers: [`127.0.0.1:${(await freePorts(1))[0]}`], timeoutMs: 300 }), 'GH_DNS_SERVER_UNREACHABLE', /could not be looked up/);
});

test('waitForPropagation is bounded: a value never published times out naming what each server said', LIMIT, async () => {
  const [closed] = (await freePorts(1)) as [number];
  await rejectsWith(
    waitForPropagation(dns01Name('www.example.test'), 'never', {
      nameservers: [{ host: '127.0.0.1', port: knot.port }, { host: '127.0.0.1', port: closed }],
      timeoutMs: 1500,
      intervalMs: 200,
      queryTimeoutMs: 300,
    }),
    'GH_DNS_PROPAGATION_TIMEOUT',
    new RegExp(`127\\.0\\.0\\.1:${knot.port}: answered NXDOMAIN; 127\\.0\\.0\\.1:${closed}: The DNS server 127\\.0\\.0\\.1:${closed} did not answer`),
  );
});

test('a server that does not answer, or answers garbage, is GH_DNS_SERVER_UNREACHABLE within the timeout', LIMIT, async (t) => {
  const [closed] = (await freePorts(1)) as [number];
  const key = { name: 'acme', algorithm: 'hmac-sha256' as const, secret: Buffer.from(knot.acme.secret, 'base64') };
  await rejectsWith(new Rfc2136Provider({ server: { host: '127.0.0.1', port: closed }, zone: ZONE, key, timeoutMs: 500 }).present(dns01Name('www.example.test'), 'v'), 'GH_DNS_SERVER_UNREACHABLE', /did not answer/);
  // A UDP server that answers every message with random bytes (keeping the id, so they are read).
  const socket = dgram.createSocket('udp4');
  t.after(() => socket.close());
  let sent = 0;
  socket.on('message', (msg, rinfo) => {
    const junk = Buffer.from(Array.from({ length: 12 + (sent++ % 60) }, () => Math.floor(Math.random() * 256)));
    msg.copy(junk, 0, 0, 2);
    junk[2] = (junk[2]! | 0x80) & ~0x02; // a response, not truncated
    socket.send(junk, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const port = socket.address().port;
  for (let i = 0; i < 20; i++) {
    try {
      await new Rfc2136Provider({ server: { host: '127.0.0.1', port }, zone: ZONE, key, timeoutMs: 500 }).present(dns01Name('www.example.test'), 'v');
      assert.fail('random bytes are not an accepted update');
    } catch (e) {
      assert.ok(e instanceof GatehouseError, `a clean error, not ${(e as Error).stack}`);
      assert.match(e.code, /^GH_DNS_(SERVER_UNREACHABLE|UPDATE_REFUSED)$/);
    }
  }
});

test('an accepted update whose signed answer was altered on the way is not trusted', LIMIT, async (t) => {
  // A UDP relay to knot that flips one byte of the answer's TSIG MAC.
  const relay = dgram.createSocket('udp4');
  t.after(() => relay.close());
  relay.on('message', (msg, client) => {
    const upstream = dgram.createSocket('udp4');
    upstream.on('message', (answer) => {
      answer[answer.length - 7]! ^= 0xff;
      relay.send(answer, client.port, client.address);
      upstream.close();
    });
    upstream.send(msg, knot.port, '127.0.0.1');
  });
  await new Promise<void>((r) => relay.bind(0, '127.0.0.1', () => r()));
  const key = { name: 'acme', algorithm: 'hmac-sha256' as const, secret: Buffer.from(knot.acme.secret, 'base64') };
  const fqdn = dns01Name('www.example.test');
  const value = dns01Value('relayed');
  await rejectsWith(new Rfc2136Provider({ server: { host: '127.0.0.1', port: relay.address().port }, zone: ZONE, key, timeoutMs: 2000 }).present(fqdn, value), 'GH_DNS_SERVER_UNREACHABLE', /signature does not verify/);
  await provider(knot.acme).cleanup(fqdn, value);
  assert.deepEqual(await knot.txt(fqdn), []);
});

test('providers from specs: BIND and Knot key files, a plain secret; bad specs and key files are GH_DNS_PROVIDER_INVALID', LIMIT, async () => {
  const fqdn = dns01Name('www.example.test');
  const server = `127.0.0.1:${knot.port}`;
  const plain = join(tmpDir('gh-tsig-'), 'secret');
  writeFileSync(plain, `${knot.acme512.secret}\n`);
  const specs = [
    `rfc2136:server=${server},zone=${ZONE},key-file=${knot.bindKeyFile(knot.acme)}`,
    `rfc2136:server=${server},zone=${ZONE},key-name=acme512,key-file=${knot.configFile},algorithm=hmac-sha512`,
    `rfc2136:server=${server},key-name=acme512,key-file=${plain},algorithm=hmac-sha512,ttl=30,timeout=5`,
  ];
  for (const spec of specs) {
    const value = dns01Value(spec);
    const p = createDnsProvider(spec);
    await p.present(fqdn, value);
    assert.deepEqual(await knot.txt(fqdn), [value], spec);
    await p.cleanup(fqdn, value);
    assert.deepEqual(await knot.txt(fqdn), [], spec);
  }
  // Knot's configuration holds three keys: one must be named.
  assert.throws(() => readTsigKeyFile(knot.configFile), (e: GatehouseError) => e.code === 'GH_DNS_PROVIDER_INVALID' && /has 3 keys \(acme, acme512, other\); name one with key-name/.test(e.message));
  const bad: Array<[string, RegExp]> = [
    ['dnsimple:token=x', /"dnsimple" is not a kind of DNS provider/],
    [`rfc2136:zone=${ZONE},key-file=${plain}`, /the server is missing/],
    [`rfc2136:server=${server}`, /the TSIG key file is missing/],
    [`rfc2136:server=127.0.0.1:99999,key-file=${plain}`, /port "99999" is not a number from 1 to 65535/],
    [`rfc2136:server=${server},key-file=${plain},algorithm=hmac-md5`, /algorithm "hmac-md5" is not one of hmac-sha256/],
    [`rfc2136:server=${server},key-file=${plain},secret=abc`, /"secret" is not a setting of rfc2136/],
    [`rfc2136:server=${server},key-file=${plain},ttl=0`, /the ttl "0" is not a whole number of seconds/],
    [`rfc2136:server=${server},key-file=${plain}`, /holds only a secret, and the key has no name/],
    [`rfc2136:server=${server},key-file=/nonexistent/tsig.key`, /cannot be read \(ENOENT\)/],
    [`rfc2136:server=${server},key-name=acme,key-file=${knot.bindKeyFile(knot.acme)},algorithm=hmac-sha512`, /says key acme is hmac-sha256, not hmac-sha512/],
    [`rfc2136:server=${server},key-name=nobody,key-file=${knot.bindKeyFile(knot.acme)}`, /has no key named nobody \(it has acme\)/],
    [`rfc2136:server=${server},key-file=${knot.bindKeyFile(knot.acme, 'not base64!')}`, /has no valid base64 secret for key acme/],
    ['hook:', /the hook has no command/],
  ];
  for (const [spec, why] of bad) {
    assert.throws(() => createDnsProvider(spec), (e: GatehouseError) => {
      assert.ok(e instanceof GatehouseError, `${spec}: ${(e as Error).stack}`);
      assert.equal(e.code, 'GH_DNS_PROVIDER_INVALID', spec);
      assert.match(e.message, why, spec);
      assert.match(e.message, /--dns/, 'the CLI wording names the flag');
      return true;
    }, spec);
  }
});

test('the hook provider runs COMMAND present|cleanup FQDN VALUE; failures carry the exit and stderr', LIMIT, async () => {
  const dir = tmpDir('gh-hook-');
  const log = join(dir, 'calls.log');
  const script = join(dir, 'dns-hook');
  // Arguments with shell metacharacters arrive as they are: no shell is involved.
  writeFileSync(script, `#!/bin/sh\nprintf '%s|%s|%s\\n' "$1" "$2" "$3" >> '${log}'\n[ "$3" = "fail" ] && { echo "first line" >&2; echo "the zone is locked" >&2; exit 3; }\n[ "$3" = "slow" ] && exec sleep 30\nexit 0\n`);
  chmodSync(script, 0o755);
  const hook = createDnsProvider(`hook:${script}`);
  const value = dns01Value('hook');
  await hook.present('_acme-challenge.www.example.test.', value);
  await hook.cleanup('_acme-challenge.www.example.test.', value);
  await hook.present('_acme-challenge.x.example.test.', '$(touch pwned);`id`');
  assert.equal(readFileSync(log, 'utf8'), [
    `present|_acme-challenge.www.example.test.|${value}`,
    `cleanup|_acme-challenge.www.example.test.|${value}`,
    'present|_acme-challenge.x.example.test.|$(touch pwned);`id`',
    '',
  ].join('\n'));
  await rejectsWith(hook.present('_acme-challenge.www.example.test.', 'fail'), 'GH_DNS_HOOK_FAILED', /\(present _acme-challenge\.www\.example\.test\.\) exited with status 3; it wrote: first line \| the zone is locked\./);
  await rejectsWith(new HookProvider({ command: script, timeoutMs: 500 }).cleanup('_acme-challenge.www.example.test.', 'slow'), 'GH_DNS_HOOK_FAILED', /did not finish within 0\.5 s and was stopped/);
  await rejectsWith(new HookProvider({ command: join(dir, 'missing') }).present('a.', 'b'), 'GH_DNS_HOOK_FAILED', /could not be run: no such file/);
  const notExecutable = join(dir, 'plain');
  writeFileSync(notExecutable, '#!/bin/sh\nexit 0\n');
  await rejectsWith(new HookProvider({ command: notExecutable }).present('a.', 'b'), 'GH_DNS_HOOK_FAILED', /permission denied/);
});
