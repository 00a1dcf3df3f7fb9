// Knot DNS (Debian's knotd) as the real DNS server of the DNS-01 tests: started as a normal process on
// a free 127.0.0.1 port with a temporary configuration and zones, TSIG keys with update ACLs, and
// kdig (knot-dnsutils) to look at the zone from outside.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, freePorts, tmpDir } from './cli.js';

export interface KnotKey {
  id: string;
  algorithm: 'hmac-sha256' | 'hmac-sha512';
  secret: string;
}

/** The zones and keys every test server has. */
export const ZONE = 'example.test';
export const OTHER_ZONE = 'other.test';

function zoneFile(zone: string): string {
  return [
    `$ORIGIN ${zone}.`,
    '$TTL 300',
    '@ SOA ns1 hostmaster 1 3600 600 86400 60',
    '@ NS ns1',
    'ns1 A 127.0.0.1',
    'www A 127.0.0.1',
    'www TXT "v=site"',
    '',
  ].join('\n');
}

export class KnotServer {
  /** Allowed to update TXT records of _acme-challenge names in example.test (hmac-sha256). */
  readonly acme: KnotKey = { id: 'acme', algorithm: 'hmac-sha256', secret: randomBytes(32).toString('base64') };
  /** The same rights with hmac-sha512. */
  readonly acme512: KnotKey = { id: 'acme512', algorithm: 'hmac-sha512', secret: randomBytes(64).toString('base64') };
  /** A key the server knows, allowed to update other.test only. */
  readonly other: KnotKey = { id: 'other', algorithm: 'hmac-sha256', secret: randomBytes(32).toString('base64') };
  readonly dir = tmpDir('gh-knot-');
  port = 0;
  #process: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  log = '';

  get keys(): KnotKey[] {
    return [this.acme, this.acme512, this.other];
  }

  async start(): Promise<this> {
    [this.port] = (await freePorts(1)) as [number];
    mkdirSync(join(this.dir, 'db'));
    for (const zone of [ZONE, OTHER_ZONE]) writeFileSync(join(this.dir, `${zone}.zone`), zoneFile(zone));
    const owners = '[_acme-challenge, _acme-challenge.www, _acme-challenge.api]';
    writeFileSync(join(this.dir, 'knot.conf'), [
      'server:',
      `  listen: 127.0.0.1@${this.port}`,
      `  rundir: ${this.dir}`,
      'log:',
      '  - target: stderr',
      '    any: info',
      'database:',
      `  storage: ${join(this.dir, 'db')}`,
      'key:',
      ...this.keys.flatMap((k) => [`  - id: ${k.id}`, `    algorithm: ${k.algorithm}`, `    secret: ${k.secret}`]),
      'acl:',
      '  - id: acme_update',
      '    key: [acme, acme512]',
      '    action: update',
      '    update-type: TXT',
      '    update-owner: name',
      '    update-owner-match: equal',
      `    update-owner-name: ${owners}`,
      '  - id: other_update',
      '    key: other',
      '    action: update',
      'zone:',
      `  - domain: ${ZONE}`,
      `    file: ${join(this.dir, `${ZONE}.zone`)}`,
      '    acl: acme_update',
      `  - domain: ${OTHER_ZONE}`,
      `    file: ${join(this.dir, `${OTHER_ZONE}.zone`)}`,
      '    acl: other_update',
      '',
    ].join('\n'));
    // Debian puts knotd in /usr/sbin, which a normal user's PATH may lack.
    const knotd = existsSync('/usr/sbin/knotd') ? '/usr/sbin/knotd' : 'knotd';
    const p = spawn(knotd, ['-c', join(this.dir, 'knot.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#process = p;
    p.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.#exited = new Promise((resolve) => p.once('exit', () => resolve()));
    await eventually(`knotd answers on port ${this.port}\n${this.log}`, async () => (await this.dig('SOA', ZONE)).length === 1, 15_000, 100);
    return this;
  }

  async stop(): Promise<void> {
    if (this.#process && this.#process.exitCode === null) this.#process.kill('SIGTERM');
    await this.#exited;
  }

  /**
   * `kdig @127.0.0.1 -p PORT TYPE NAME +short` (TCP when asked; `plainUdp`: no EDNS and no retry over
   * TCP, so a long answer stays truncated): the answer's records, one string each.
   */
  dig(type: string, name: string, opts: { tcp?: boolean; plainUdp?: boolean } = {}): Promise<string[]> {
    const args = [`@127.0.0.1`, '-p', String(this.port), type, name, '+short', '+timeout=2', '+retry=0', ...(opts.tcp ? ['+tcp'] : []), ...(opts.plainUdp ? ['+noedns', '+ignore'] : [])];
    return new Promise((resolve, reject) => {
      execFile('kdig', args, { timeout: 10_000 }, (err, stdout, stderr) => {
        if (err) return reject(new Error(`kdig ${args.join(' ')}: ${stderr || err.message}`));
        resolve(stdout.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith(';')));
      });
    });
  }

  /** The TXT values at a name (kdig over TCP, so a long answer is whole), without quotes. */
  async txt(name: string): Promise<string[]> {
    return (await this.dig('TXT', name, { tcp: true })).map((l) => l.replace(/^"|"$/g, '')).sort();
  }

  /** The zone's SOA serial: it moves with every applied update. */
  async serial(zone = ZONE): Promise<number> {
    const soa = await this.dig('SOA', zone);
    return Number(soa[0]!.split(/\s+/)[2]);
  }

  /** A key file in BIND's form for one key (optionally with the wrong secret). */
  bindKeyFile(k: KnotKey, secret = k.secret): string {
    const path = join(tmpDir('gh-tsig-'), `${k.id}.key`);
    writeFileSync(path, `// made for the test\nkey "${k.id}" {\n\talgorithm ${k.algorithm};\n\tsecret "${secret}";\n};\n`, { mode: 0o600 });
    return path;
  }

  /** The server's own configuration file holds Knot's key: form for every key. */
  get configFile(): string {
    return join(this.dir, 'knot.conf');
  }

  zoneText(zone = ZONE): string {
    return readFileSync(join(this.dir, `${zone}.zone`), 'utf8');
  }
}
