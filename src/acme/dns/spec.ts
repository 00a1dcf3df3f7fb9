/**
 * The DNS-01 provider spec the CLI takes (and an ACME account or certificate can store):
 *   rfc2136:server=HOST[:PORT],key-file=FILE[,zone=ZONE][,key-name=NAME][,algorithm=hmac-sha256][,ttl=S][,timeout=S]
 *   hook:/path/to/command[,nameserver=HOST[:PORT]]…   (the servers to check the record on; default: the zone's NS)
 * The spec names the TSIG key file, never the secret; the file is read when the provider is made, in
 * BIND's `key "name" { algorithm …; secret "…"; };` form, Knot's `key: - id: …` form, or as a plain
 * base64 secret (then key-name is needed).
 */
import { readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { fail } from '../../model/gatehouse-error.js';
import { opt } from '../../model/wording.js';
import { HookProvider } from './hook.js';
import type { Dns01Provider } from './provider.js';
import { Rfc2136Provider } from './rfc2136.js';
import { TSIG_ALGORITHMS, type Nameserver, type TsigAlgorithm, type TsigKey } from './wire.js';

export type DnsProviderSpec =
  | { kind: 'rfc2136'; server: Nameserver; zone?: string; keyName?: string; keyFile: string; algorithm?: TsigAlgorithm; ttl?: number; timeoutMs?: number }
  | { kind: 'hook'; command: string; nameservers?: Nameserver[] };

const RFC2136_SETTINGS = ['server', 'zone', 'key-name', 'key-file', 'algorithm', 'ttl', 'timeout'] as const;
const EXAMPLE = 'rfc2136:server=192.0.2.53:53,zone=example.com,key-name=acme,key-file=/etc/gatehouse/acme.key or hook:/usr/local/bin/dns-hook[,nameserver=192.0.2.53]';

function bad(spec: string, why: string): Error {
  return fail('GH_DNS_PROVIDER_INVALID', `The DNS provider "${spec}" given with ${opt('dns')} is not valid: ${why}. Write it as ${EXAMPLE}.`);
}

const DNS_NAME = /^(?=.{1,253}\.?$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)(\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)*\.?$/i;

function parseServer(spec: string, text: string): Nameserver {
  let host = text;
  let port = '53';
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    port = bracketed[2] ?? '53';
  } else if (!net.isIPv6(text) && text.includes(':')) {
    host = text.slice(0, text.lastIndexOf(':'));
    port = text.slice(text.lastIndexOf(':') + 1);
  }
  if (!net.isIP(host) && !DNS_NAME.test(host)) throw bad(spec, `the server "${host}" is neither an IP address nor a host name`);
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) throw bad(spec, `the server's port "${port}" is not a number from 1 to 65535`);
  return { host, port: Number(port) };
}

function seconds(spec: string, name: string, text: string, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) throw bad(spec, `${name} "${text}" is not a whole number of seconds from 1 to ${max}`);
  return Number(text);
}

function algorithmOf(spec: string, text: string): TsigAlgorithm {
  const a = text.toLowerCase().replace(/\.$/, '');
  if (!(a in TSIG_ALGORITHMS)) throw bad(spec, `the TSIG algorithm "${text}" is not one of ${Object.keys(TSIG_ALGORITHMS).join(', ')}`);
  return a as TsigAlgorithm;
}

/** Parses a provider spec (no file is read here). Errors: GH_DNS_PROVIDER_INVALID. */
export function parseDnsProviderSpec(spec: string): DnsProviderSpec {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const rest = colon < 0 ? '' : spec.slice(colon + 1);
  if (kind === 'hook') {
    const [command = '', ...checks] = rest.split(',nameserver=');
    if (!command.trim()) throw bad(spec, 'the hook has no command');
    if (checks.length === 0) return { kind: 'hook', command };
    return { kind: 'hook', command, nameservers: checks.map((c) => parseServer(spec, c.trim())) };
  }
  if (kind !== 'rfc2136') throw bad(spec, `"${kind}" is not a kind of DNS provider (rfc2136 or hook)`);
  const settings = new Map<string, string>();
  for (const part of rest.split(',').filter((p) => p.trim() !== '')) {
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim();
    if (!(RFC2136_SETTINGS as readonly string[]).includes(name)) throw bad(spec, `"${name}" is not a setting of rfc2136 (${RFC2136_SETTINGS.join(', ')})`);
    if (eq < 0 || part.slice(eq + 1).trim() === '') throw bad(spec, `${name} has no value`);
    if (settings.has(name)) throw bad(spec, `${name} is given twice`);
    settings.set(name, part.slice(eq + 1).trim());
  }
  const server = settings.get('server');
  if (server === undefined) throw bad(spec, 'the server is missing (server=HOST[:PORT], the zone\'s primary)');
  const keyFile = settings.get('key-file');
  if (keyFile === undefined) throw bad(spec, 'the TSIG key file is missing (key-file=FILE)');
  const result: DnsProviderSpec = { kind: 'rfc2136', server: parseServer(spec, server), keyFile };
  const zone = settings.get('zone');
  if (zone !== undefined) {
    if (!DNS_NAME.test(zone)) throw bad(spec, `the zone "${zone}" is not a DNS name`);
    result.zone = zone.toLowerCase().replace(/\.$/, '');
  }
  const keyName = settings.get('key-name');
  if (keyName !== undefined) {
    if (!DNS_NAME.test(keyName)) throw bad(spec, `the key name "${keyName}" is not a DNS name`);
    result.keyName = keyName;
  }
  const algorithm = settings.get('algorithm');
  if (algorithm !== undefined) result.algorithm = algorithmOf(spec, algorithm);
  const ttl = settings.get('ttl');
  if (ttl !== undefined) result.ttl = seconds(spec, 'the ttl', ttl, 86400);
  const timeout = settings.get('timeout');
  if (timeout !== undefined) result.timeoutMs = seconds(spec, 'the timeout', timeout, 600) * 1000;
  return result;
}

interface FoundKey {
  name?: string;
  algorithm?: string;
  secret?: string;
}

/** Keys in BIND's syntax: `key "name" { algorithm hmac-sha256; secret "…"; };` (comments allowed). */
function bindKeys(text: string): FoundKey[] {
  const clean = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(\/\/|#).*$/gm, '');
  return [...clean.matchAll(/key\s+"?([^"\s{]+)"?\s*\{([^}]*)\}/g)].map((m) => ({
    name: m[1]!,
    algorithm: /algorithm\s+"?([a-z0-9.-]+)"?\s*;/i.exec(m[2]!)?.[1],
    secret: /secret\s+"([^"]*)"\s*;/i.exec(m[2]!)?.[1],
  }));
}

/** Keys in Knot's YAML: `key:` then `- id: name`, `algorithm: …`, `secret: …` items. */
function knotKeys(text: string): FoundKey[] {
  const keys: FoundKey[] = [];
  let inKeys = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '');
    if (/^\S/.test(line)) inKeys = /^key:\s*$/.test(line);
    if (!inKeys) continue;
    const m = /^\s*(-\s+)?(id|algorithm|secret):\s*"?([^"\s]+)"?\s*$/.exec(line);
    if (!m) continue;
    if (m[1] || keys.length === 0) keys.push({});
    const k = keys[keys.length - 1]!;
    if (m[2] === 'id') k.name = m[3]!;
    else if (m[2] === 'algorithm') k.algorithm = m[3]!;
    else k.secret = m[3]!;
  }
  return keys;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Reads a TSIG key file (BIND, Knot, or a plain base64 secret) and picks the key: the one named
 * `keyName`, or the only one. `algorithm` (from the spec) must agree with the file's.
 */
export function readTsigKeyFile(path: string, keyName?: string, algorithm?: TsigAlgorithm): TsigKey {
  const badKey = (why: string) => fail('GH_DNS_PROVIDER_INVALID', `The TSIG key file ${path} ${why}. Give a file in BIND's form (key "NAME" { algorithm hmac-sha256; secret "BASE64"; };), Knot's form (key: - id: NAME, algorithm, secret), or holding only the base64 secret together with key-name in ${opt('dns')}.`);
  let text: string;
  try {
    if (statSync(path).size > 64 * 1024) throw badKey('is larger than 64 KiB, far beyond a key file');
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as { code?: string }).code === undefined) throw e;
    throw badKey(`cannot be read (${(e as { code: string }).code})`);
  }
  let keys = bindKeys(text);
  if (keys.length === 0) keys = knotKeys(text);
  if (keys.length === 0) {
    const plain = text.trim();
    if (!plain) throw badKey('is empty');
    if (!BASE64.test(plain)) throw badKey('holds no key');
    if (keyName === undefined) throw badKey('holds only a secret, and the key has no name');
    keys = [{ name: keyName, algorithm: algorithm ?? 'hmac-sha256', secret: plain }];
  }
  const wanted = keyName?.toLowerCase().replace(/\.$/, '');
  const matching = wanted === undefined ? keys : keys.filter((k) => k.name?.toLowerCase().replace(/\.$/, '') === wanted);
  if (matching.length === 0) throw badKey(`has no key named ${keyName} (it has ${keys.map((k) => k.name).join(', ')})`);
  if (matching.length > 1) throw badKey(`has ${matching.length} keys (${matching.map((k) => k.name).join(', ')}); name one with key-name`);
  const k = matching[0]!;
  if (!k.name || !DNS_NAME.test(k.name)) throw badKey('has a key without a valid name');
  if (!k.secret || !BASE64.test(k.secret)) throw badKey(`has no valid base64 secret for key ${k.name}`);
  const fileAlgorithm = (k.algorithm ?? algorithm ?? 'hmac-sha256').toLowerCase().replace(/\.$/, '');
  if (!(fileAlgorithm in TSIG_ALGORITHMS)) throw badKey(`names the algorithm ${k.algorithm}, not one of ${Object.keys(TSIG_ALGORITHMS).join(', ')}`);
  if (algorithm !== undefined && fileAlgorithm !== algorithm) throw badKey(`says key ${k.name} is ${fileAlgorithm}, not ${algorithm}`);
  const secret = Buffer.from(k.secret, 'base64');
  if (secret.length === 0) throw badKey(`has an empty secret for key ${k.name}`);
  return { name: k.name.replace(/\.$/, ''), algorithm: fileAlgorithm as TsigAlgorithm, secret };
}

/** Makes the provider a spec describes (reading the TSIG key file now). */
export function createDnsProvider(spec: DnsProviderSpec | string): Dns01Provider {
  const s = typeof spec === 'string' ? parseDnsProviderSpec(spec) : spec;
  if (s.kind === 'hook') return new HookProvider({ command: s.command, authoritative: s.nameservers });
  const key = readTsigKeyFile(s.keyFile, s.keyName, s.algorithm);
  return new Rfc2136Provider({ server: s.server, zone: s.zone, key, ttl: s.ttl, timeoutMs: s.timeoutMs });
}

/** A spec as text again (the form `parseDnsProviderSpec` reads). */
export function formatDnsProviderSpec(s: DnsProviderSpec): string {
  const server = (n: Nameserver) => `${net.isIPv6(n.host) ? `[${n.host}]` : n.host}:${n.port}`;
  if (s.kind === 'hook') return [`hook:${s.command}`, ...(s.nameservers ?? []).map((n) => `nameserver=${server(n)}`)].join(',');
  return [
    `rfc2136:server=${server(s.server)}`,
    ...(s.zone === undefined ? [] : [`zone=${s.zone}`]),
    ...(s.keyName === undefined ? [] : [`key-name=${s.keyName}`]),
    `key-file=${s.keyFile}`,
    ...(s.algorithm === undefined ? [] : [`algorithm=${s.algorithm}`]),
    ...(s.ttl === undefined ? [] : [`ttl=${s.ttl}`]),
    ...(s.timeoutMs === undefined ? [] : [`timeout=${s.timeoutMs / 1000}`]),
  ].join(',');
}

/**
 * Parses a spec given on a command line and makes its file paths absolute (the key file, a hook
 * command given as a path), so that it means the same when it is kept on an account and used later.
 */
export function absoluteDnsProviderSpec(spec: string, cwd: string): DnsProviderSpec {
  const s = parseDnsProviderSpec(spec);
  if (s.kind === 'hook') return s.command.includes('/') ? { ...s, command: resolvePath(cwd, s.command) } : s;
  return { ...s, keyFile: resolvePath(cwd, s.keyFile) };
}
