/**
 * DNS on the wire for the DNS-01 providers: one exchange with a server (UDP, and TCP when the UDP
 * answer is truncated), TSIG signing and verification (RFC 8945), and reading answers. Messages are
 * encoded and decoded with `dns-packet`; what it lacks — the NONE class of RFC 2136 deletes and the
 * TSIG record — is added here over its encoding. Every failure to get or read an answer is a
 * GatehouseError (GH_DNS_SERVER_UNREACHABLE): random bytes from a server never crash the caller.
 */
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import packets from 'dns-packet';
import { fail } from '../../model/gatehouse-error.js';

/** dns-packet's codecs, including the name and record codecs its type definitions leave out. */
interface Codec<T> {
  encode(value: T, buf?: Buffer, offset?: number): Buffer;
  decode: ((buf: Buffer, offset?: number) => T) & { bytes: number };
  encodingLength(value: T): number;
}
const dnsPacket = packets as unknown as Omit<typeof packets, 'encode'> & {
  encode(packet: packets.Packet): Buffer;
  name: Codec<string>;
  answer: Codec<packets.Answer>;
};
type RecordType = packets.RecordType;

/** A DNS server to talk to: an address (or host name) and a port. */
export interface Nameserver {
  host: string;
  port: number;
}

export function describeServer(s: Nameserver): string {
  return net.isIPv6(s.host) ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`;
}

/** The TSIG algorithms Gatehouse signs with (RFC 8945 §6), by their DNS names. */
export const TSIG_ALGORITHMS = {
  'hmac-sha256': 'sha256',
  'hmac-sha384': 'sha384',
  'hmac-sha512': 'sha512',
  'hmac-sha224': 'sha224',
  'hmac-sha1': 'sha1',
} as const;
export type TsigAlgorithm = keyof typeof TSIG_ALGORITHMS;

/** A TSIG key: its name (as the server knows it), algorithm and shared secret. */
export interface TsigKey {
  name: string;
  algorithm: TsigAlgorithm;
  secret: Buffer;
}

/** The RCODE names of RFC 1035/2136 and the TSIG errors of RFC 8945 §5.3. */
const RCODES: Record<number, string> = {
  0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED', 6: 'YXDOMAIN', 7: 'YXRRSET',
  8: 'NXRRSET', 9: 'NOTAUTH', 10: 'NOTZONE', 16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME', 22: 'BADTRUNC',
};
export function rcodeName(code: number): string {
  return RCODES[code] ?? `RCODE ${code}`;
}

const TYPE_TSIG = 250;
const CLASS_ANY = 255;
const CLASS_NONE = 254;
const FUDGE_SECONDS = 300;
const OPCODE_UPDATE = 5;

/** A resource record to encode: `class: 'NONE'` (RFC 2136 §2.5.4, delete this RR) is supported on top of dns-packet. */
export interface WireRecord {
  name: string;
  type: RecordType;
  class?: 'IN' | 'ANY' | 'NONE';
  ttl?: number;
  data: unknown;
}

/**
 * An RFC 2136 UPDATE message: the zone (as the zone section's SOA question) and the update section's
 * records. dns-packet has no NONE class, so those records are encoded as IN and their class field set after.
 */
export function encodeUpdate(id: number, zone: string, updates: WireRecord[]): Buffer {
  // dns-packet takes the opcode as part of the flags (bits 11-14) on encoding.
  const head = dnsPacket.encode({ type: 'query', id, flags: OPCODE_UPDATE << 11, questions: [{ type: 'SOA', name: zone, class: 'IN' }] });
  const records = updates.map((r) => {
    const buf = dnsPacket.answer.encode({ ...r, class: r.class === 'NONE' ? 'IN' : r.class } as packets.Answer);
    if (r.class === 'NONE') buf.writeUInt16BE(CLASS_NONE, dnsPacket.name.encodingLength(r.name) + 2);
    return buf;
  });
  const message = Buffer.concat([head, ...records]);
  message.writeUInt16BE(updates.length, 8); // NSCOUNT: the update section (RFC 2136 §2.2)
  return message;
}

/** A query without recursion (the authoritative server's own data), with a random id. */
export function encodeQuery(name: string, type: RecordType): { id: number; message: Buffer } {
  const id = randomInt(0, 0x10000);
  return { id, message: dnsPacket.encode({ type: 'query', id, flags: 0, questions: [{ type, name, class: 'IN' }] }) };
}

export function newId(): number {
  return randomInt(0, 0x10000);
}

function canonicalName(name: string): Buffer {
  return dnsPacket.name.encode(name.toLowerCase());
}

function uint48(seconds: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUInt16BE(Math.floor(seconds / 2 ** 32), 0);
  b.writeUInt32BE(seconds % 2 ** 32, 2);
  return b;
}

/** The TSIG variables of RFC 8945 §4.3.3 that follow the message in the MAC's input. */
function tsigVariables(key: TsigKey, timeSigned: number, fudge: number, error: number, other: Buffer): Buffer {
  const fixed = Buffer.alloc(6);
  fixed.writeUInt16BE(CLASS_ANY, 0); // then TTL 0
  const tail = Buffer.alloc(6);
  tail.writeUInt16BE(fudge, 0);
  tail.writeUInt16BE(error, 2);
  tail.writeUInt16BE(other.length, 4);
  return Buffer.concat([canonicalName(key.name), fixed, canonicalName(key.algorithm), uint48(timeSigned), tail, other]);
}

function hmac(key: TsigKey, ...parts: Buffer[]): Buffer {
  const h = createHmac(TSIG_ALGORITHMS[key.algorithm], key.secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * Signs a request with TSIG (RFC 8945 §4.3.1): the MAC over the message and the TSIG variables, and the
 * TSIG record appended to the additional section. Returns the signed message and the MAC, which the
 * answer's MAC covers.
 */
export function signTsig(message: Buffer, key: TsigKey, now = Math.floor(Date.now() / 1000)): { signed: Buffer; mac: Buffer } {
  const mac = hmac(key, message, tsigVariables(key, now, FUDGE_SECONDS, 0, Buffer.alloc(0)));
  const fields = Buffer.alloc(2);
  fields.writeUInt16BE(mac.length, 0);
  const trailer = Buffer.alloc(6);
  trailer.writeUInt16BE(message.readUInt16BE(0), 0); // original id
  // error 0, other len 0
  const fudge = Buffer.alloc(2);
  fudge.writeUInt16BE(FUDGE_SECONDS, 0);
  const rdata = Buffer.concat([canonicalName(key.algorithm), uint48(now), fudge, fields, mac, trailer]);
  const record = dnsPacket.answer.encode({ name: key.name.toLowerCase(), type: 'TSIG' as RecordType, class: 'ANY', ttl: 0, data: rdata } as packets.Answer);
  const signed = Buffer.concat([message, record]);
  signed.writeUInt16BE(message.readUInt16BE(10) + 1, 10); // ARCOUNT
  return { signed, mac };
}

/** What a server answered, read from the wire. */
export interface ReadAnswer {
  id: number;
  opcode: number;
  rcode: number;
  truncated: boolean;
  /** TXT strings per owner name in the answer section (lower-case names without the final dot). */
  txt: Array<{ name: string; strings: string[] }>;
  /** Owner names of SOA records in the answer and authority sections (what zone answered). */
  soa: string[];
  /** The TSIG record, when the answer has one, with the offset where it starts. */
  tsig?: { offset: number; algorithm: string; timeSigned: number; fudge: number; mac: Buffer; originalId: number; error: number; other: Buffer; keyName: string };
}

function unusable(server: Nameserver, what: string): Error {
  return fail('GH_DNS_SERVER_UNREACHABLE', `The DNS server ${describeServer(server)} sent an answer that cannot be read (${what}). Check that it is a DNS server and that the address and port are right.`);
}

/**
 * Reads an answer. dns-packet decodes the sections; the TSIG record's place and fields are read here
 * (its offset is needed for verification). Anything malformed is a GH_DNS_SERVER_UNREACHABLE error.
 */
export function readAnswer(buf: Buffer, server: Nameserver): ReadAnswer {
  if (buf.length < 12) throw unusable(server, `${buf.length} bytes, shorter than a DNS header`);
  let decoded: packets.Packet;
  try {
    decoded = dnsPacket.decode(buf);
  } catch (e) {
    throw unusable(server, (e as Error).message);
  }
  const flags = buf.readUInt16BE(2);
  if (!(flags & 0x8000)) throw unusable(server, 'not a response');
  const answer: ReadAnswer = { id: buf.readUInt16BE(0), opcode: (flags >> 11) & 0x0f, rcode: flags & 0x0f, truncated: (flags & 0x0200) !== 0, txt: [], soa: [] };
  const strings = (data: unknown): string[] => (Array.isArray(data) ? data : [data]).map((d) => (Buffer.isBuffer(d) ? d.toString('utf8') : String(d)));
  for (const a of decoded.answers ?? []) {
    if (a.type === 'TXT') answer.txt.push({ name: a.name.toLowerCase(), strings: strings(a.data) });
    if (a.type === 'SOA') answer.soa.push(a.name.toLowerCase());
  }
  for (const a of decoded.authorities ?? []) if (a.type === 'SOA') answer.soa.push(a.name.toLowerCase());
  const additionals = decoded.additionals ?? [];
  const last = additionals[additionals.length - 1];
  if (last && (last as { type: string }).type === 'TSIG') {
    try {
      answer.tsig = readTsig(buf);
    } catch (e) {
      throw unusable(server, `its TSIG record: ${(e as Error).message}`);
    }
  }
  return answer;
}

/** Walks the message to the last record of the additional section (the TSIG record) and reads its fields. */
function readTsig(buf: Buffer): NonNullable<ReadAnswer['tsig']> {
  const counts = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)];
  let offset = 12;
  const skipName = () => {
    dnsPacket.name.decode(buf, offset);
    offset += dnsPacket.name.decode.bytes;
  };
  for (let i = 0; i < counts[0]!; i++) {
    skipName();
    offset += 4;
  }
  const records = counts[1]! + counts[2]! + counts[3]!;
  let start = -1;
  let rdataStart = -1;
  let rdataLength = 0;
  let keyName = '';
  for (let i = 0; i < records; i++) {
    start = offset;
    keyName = dnsPacket.name.decode(buf, offset);
    offset += dnsPacket.name.decode.bytes;
    if (offset + 10 > buf.length) throw new Error('record header past the end');
    rdataLength = buf.readUInt16BE(offset + 8);
    rdataStart = offset + 10;
    offset = rdataStart + rdataLength;
    if (offset > buf.length) throw new Error('record data past the end');
  }
  if (start < 0 || buf.readUInt16BE(rdataStart - 10) !== TYPE_TSIG) throw new Error('not the last record');
  let p = rdataStart;
  const end = rdataStart + rdataLength;
  const algorithm = dnsPacket.name.decode(buf, p);
  p += dnsPacket.name.decode.bytes;
  const need = (n: number) => {
    if (p + n > end) throw new Error('fields past the end of the record');
  };
  need(10);
  const timeSigned = buf.readUInt16BE(p) * 2 ** 32 + buf.readUInt32BE(p + 2);
  const fudge = buf.readUInt16BE(p + 6);
  const macSize = buf.readUInt16BE(p + 8);
  p += 10;
  need(macSize + 6);
  const mac = buf.subarray(p, p + macSize);
  p += macSize;
  const originalId = buf.readUInt16BE(p);
  const error = buf.readUInt16BE(p + 2);
  const otherLength = buf.readUInt16BE(p + 4);
  p += 6;
  need(otherLength);
  const other = buf.subarray(p, p + otherLength);
  return { offset: start, algorithm: algorithm.toLowerCase(), timeSigned, fudge, mac, originalId, error, other, keyName: keyName.toLowerCase() };
}

/**
 * Verifies the TSIG of an answer to a signed request (RFC 8945 §4.3.1, §5.3): the MAC covers the
 * request's MAC, the answer without its TSIG record (ARCOUNT one less, the original id) and the TSIG
 * variables. Returns why it does not verify, or undefined when it does.
 */
export function verifyTsig(buf: Buffer, answer: ReadAnswer, key: TsigKey, requestMac: Buffer, now = Math.floor(Date.now() / 1000)): string | undefined {
  const t = answer.tsig;
  if (!t) return 'the answer is not signed';
  if (t.keyName.replace(/\.$/, '') !== key.name.toLowerCase().replace(/\.$/, '') || t.algorithm.replace(/\.$/, '') !== key.algorithm) {
    return `the answer is signed with another key (${t.keyName} ${t.algorithm})`;
  }
  const unsigned = Buffer.from(buf.subarray(0, t.offset));
  unsigned.writeUInt16BE(t.originalId, 0);
  unsigned.writeUInt16BE(unsigned.readUInt16BE(10) - 1, 10);
  const size = Buffer.alloc(2);
  size.writeUInt16BE(requestMac.length, 0);
  const expected = hmac(key, size, requestMac, unsigned, tsigVariables(key, t.timeSigned, t.fudge, t.error, t.other));
  if (t.mac.length !== expected.length || !timingSafeEqual(t.mac, expected)) return 'the answer\'s TSIG signature does not verify with the key';
  if (Math.abs(now - t.timeSigned) > t.fudge) return 'the answer\'s TSIG time is outside its fudge';
  return undefined;
}

/** One exchange with a server: UDP first, again over TCP when the answer is truncated (or `tcp` is asked for). */
export async function exchange(server: Nameserver, message: Buffer, opts: { timeoutMs: number; tcp?: boolean }): Promise<Buffer> {
  if (!opts.tcp) {
    const udp = await exchangeUdp(server, message, opts.timeoutMs);
    if (udp.length < 4 || !(udp.readUInt16BE(2) & 0x0200)) return udp;
  }
  return exchangeTcp(server, message, opts.timeoutMs);
}

function noAnswer(server: Nameserver, what: string, timeoutMs: number): Error {
  return fail('GH_DNS_SERVER_UNREACHABLE', `The DNS server ${describeServer(server)} did not answer${what ? ` (${what})` : ` within ${timeoutMs / 1000} s`}. Check the server's address and port, and that it is running and reachable from this machine.`);
}

function exchangeUdp(server: Nameserver, message: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(net.isIPv6(server.host) ? 'udp6' : 'udp4');
    const id = message.readUInt16BE(0);
    let finished = false;
    const done = (err: Error | undefined, value?: Buffer) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(() => done(noAnswer(server, '', timeoutMs)), timeoutMs);
    socket.on('error', (e) => done(noAnswer(server, e.message, timeoutMs)));
    socket.on('message', (msg) => {
      // Answers with another id are someone else's (or forged): keep waiting for ours.
      if (msg.length >= 2 && msg.readUInt16BE(0) === id) done(undefined, msg);
    });
    socket.send(message, server.port, server.host);
  });
}

function exchangeTcp(server: Nameserver, message: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: server.host, port: server.port });
    let received = Buffer.alloc(0);
    let finished = false;
    const done = (err: Error | undefined, value?: Buffer) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(() => done(noAnswer(server, '', timeoutMs)), timeoutMs);
    socket.on('error', (e) => done(noAnswer(server, e.message, timeoutMs)));
    socket.on('connect', () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(message.length, 0);
      socket.write(Buffer.concat([length, message]));
    });
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) done(undefined, received.subarray(2, 2 + received.readUInt16BE(0)));
    });
    socket.on('end', () => done(noAnswer(server, 'it closed the TCP connection before a whole answer', timeoutMs)));
  });
}
