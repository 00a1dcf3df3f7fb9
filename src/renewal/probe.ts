import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { hostname, networkInterfaces } from 'node:os';
import { CertificateSelector } from '../config/certificate-selector.js';
import { namesCover } from '../config/host-match.js';
import type { ServingConfig } from '../config/serving-config.js';
import type { MailService, MailTlsMode } from '../model/service.js';

/** One handshake a renewal makes to prove what an endpoint serves. */
export interface ProbeTarget {
  /** https, or the mail service whose listener it is. */
  service: 'https' | MailService;
  /** The address connected to (`*` becomes 127.0.0.1 and, where the machine has it, ::1). */
  address: string;
  port: number;
  /** The SNI name sent, or null for a handshake without SNI. */
  servername: string | null;
  /** Implicit TLS, or STARTTLS (SMTP), STARTTLS (IMAP), STLS (POP) first. */
  mode: MailTlsMode;
  /** `https 127.0.0.1:8443 SNI www.contoso.com`, `smtp 127.0.0.1:587 STARTTLS without SNI`. */
  endpoint: string;
}

export interface ProbeResult extends ProbeTarget {
  ok: boolean;
  /** The thumbprint of the leaf the endpoint served, or null without a handshake. */
  served: string | null;
  /** What went wrong (or `served the new certificate`). */
  detail: string;
}

export interface ProbeExpectation {
  thumbprint: string;
  /** Trust anchors (PEM) the served chain must verify against. */
  anchors: string[];
  /** A friendly name for a thumbprint, for the report. */
  nameOf?: (thumbprint: string) => string | undefined;
  timeoutMs?: number;
}

/**
 * The handshakes that prove every use of `thumbprint` in `config` is served: each https endpoint
 * (address and port of a started site's https binding) asked with each bound host name as SNI and
 * without SNI, kept where CertificateSelector — the code `serve` runs — picks `thumbprint`; and each
 * mail listener of a service assigned `thumbprint`, without SNI and with its host name as SNI when
 * `previousNames` covers it (a client asking for that name must get the new certificate, not the old).
 */
export function probeTargets(config: ServingConfig, thumbprint: string, previousNames: readonly string[] = [], farm?: readonly FarmProcess[]): ProbeTarget[] {
  const connectAddresses = (ip: string) => (ip === '*' && farm !== undefined && farm.length > 0 ? farmAddresses(farm) : localAddresses(ip));
  const out = new Map<string, ProbeTarget>();
  const add = (t: Omit<ProbeTarget, 'endpoint'>) => {
    const where = `${t.address.includes(':') ? `[${t.address}]` : t.address}:${t.port}`;
    const endpoint = `${t.service} ${where}${t.mode === 'starttls' ? ' STARTTLS' : ''} ${t.servername === null ? 'without SNI' : `SNI ${t.servername}`}`;
    out.set(endpoint, { ...t, endpoint });
  };
  const selector = new CertificateSelector(config);
  const started = new Set(config.sites.filter((s) => s.state === 'started').map((s) => s.name));
  const https = config.bindings.filter((b) => b.protocol === 'https' && started.has(b.site));
  const endpoints = new Map(https.map((b) => [`${b.ip}|${b.port}`, { ip: b.ip, port: b.port }]));
  for (const { ip, port } of endpoints.values()) {
    const names = [...new Set(https.filter((b) => b.port === port && b.host !== '' && (b.ip === ip || b.ip === '*' || ip === '*')).map((b) => b.host))];
    for (const address of connectAddresses(ip)) {
      for (const servername of [...names, null]) {
        if (selector.select({ localAddress: address, port, servername: servername ?? undefined }).thumbprint === thumbprint) {
          add({ service: 'https', address, port, servername, mode: 'tls' });
        }
      }
    }
  }
  for (const l of config.mailListeners) {
    if (config.services[l.service] !== thumbprint) continue;
    const names = l.hostName !== '' && namesCover(previousNames, l.hostName) ? [l.hostName, null] : [null];
    for (const address of connectAddresses(l.ip)) for (const servername of names) add({ service: l.service, address, port: l.port, servername, mode: l.mode });
  }
  return [...out.values()];
}

/** A live serving process of the farm, as it reports itself (ServingProcesses): where a probe reaches it. */
export interface FarmProcess {
  host: string;
  /** What it listens on: `https *:443`, `https *:443 on 127.0.0.2 only` (serve --listen-ip). */
  listeners: readonly string[];
}

/**
 * Where every node of a farm answers an All Unassigned (`*`) endpoint: each live serving process's
 * `--listen-ip` address when it has one, else loopback for the processes on this host, else its host
 * name — so a renewal is proven on every node, not only on the one renewing.
 */
export function farmAddresses(farm: readonly FarmProcess[]): string[] {
  const here = hostname();
  const out = new Set<string>();
  for (const p of farm) {
    const only = p.listeners.map((l) => / on (\S+) only$/.exec(l)?.[1]).find((x) => x !== undefined);
    const at = only ?? (p.host === here ? undefined : p.host);
    for (const a of at === undefined ? localAddresses('*') : [at.replace(/^\[|\]$/g, '')]) out.add(a);
  }
  return [...out];
}

/** `*` listens on every address: probe over IPv4 loopback and, where the machine has it, IPv6 loopback. */
function localAddresses(ip: string): string[] {
  if (ip !== '*') return [ip];
  const v6 = Object.values(networkInterfaces()).some((list) => list?.some((a) => a.address === '::1'));
  return v6 ? ['127.0.0.1', '::1'] : ['127.0.0.1'];
}

/** Makes every probe (a few at a time) and answers each one's result. */
export async function probeAll(targets: readonly ProbeTarget[], expected: ProbeExpectation): Promise<ProbeResult[]> {
  const results: ProbeResult[] = new Array(targets.length);
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const i = next++;
      results[i] = await probe(targets[i]!, expected);
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, targets.length) }, worker));
  return results;
}

/**
 * One real handshake: TCP connect, the protocol's STARTTLS dialog where the listener wants one, TLS
 * with the SNI name (or none). Passes when the served leaf is the expected certificate, covers the
 * SNI name asked, and its chain verifies against the trust anchors. Bounded by `timeoutMs`.
 */
export async function probe(target: ProbeTarget, expected: ProbeExpectation): Promise<ProbeResult> {
  const timeoutMs = expected.timeoutMs ?? 10_000;
  const result = (ok: boolean, served: string | null, detail: string): ProbeResult => ({ ...target, ok, served, detail });
  let raw: Socket | undefined;
  let secure: TLSSocket | undefined;
  let clock: NodeJS.Timeout | undefined;
  const timer = new Promise<never>((_, reject) => {
    clock = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  timer.catch(() => undefined);
  try {
    raw = await Promise.race([tcp(target.address, target.port), timer]);
    if (target.service !== 'https' && target.mode === 'starttls') await Promise.race([starttls(raw, target.service), timer]);
    secure = await Promise.race([handshake(raw, target.servername, expected.anchors), timer]);
    const peer = secure.getPeerCertificate();
    if (!peer?.raw) return result(false, null, 'the server sent no certificate');
    const served = peer.fingerprint.replace(/:/g, '').toUpperCase();
    if (served !== expected.thumbprint) {
      const name = expected.nameOf?.(served);
      return result(false, served, `served ${served}${name ? ` ("${name}")` : ''}, not the new certificate`);
    }
    if (target.servername !== null && !namesCover(sansOf(peer.subjectaltname), target.servername)) {
      return result(false, served, `served the new certificate, which does not cover ${target.servername} (it names ${sansOf(peer.subjectaltname).join(', ') || 'no host'})`);
    }
    if (!secure.authorized) return result(false, served, `served the new certificate, whose chain does not verify against this server's trust anchors (${String(secure.authorizationError)})`);
    return result(true, served, 'served the new certificate');
  } catch (e) {
    return result(false, null, `${raw ? 'no TLS handshake' : 'could not connect'}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  } finally {
    clearTimeout(clock);
    secure?.destroy();
    raw?.destroy();
  }
}

function tcp(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host, port });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

function handshake(socket: Socket, servername: string | null, anchors: string[]): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({
      socket, ca: anchors, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'],
      ...(servername === null ? {} : { servername }),
      // The name is checked against the certificate's names above; here only the chain counts.
      checkServerIdentity: () => undefined,
    });
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
  });
}

/** The pre-TLS dialog up to the server's go-ahead: SMTP EHLO + STARTTLS, IMAP STARTTLS, POP STLS. */
async function starttls(socket: Socket, service: MailService): Promise<void> {
  const lines = lineReader(socket);
  const expect = async (ok: (line: string) => boolean, done: (line: string) => boolean, what: string) => {
    for (;;) {
      const line = await lines();
      if (!done(line)) continue;
      if (!ok(line)) throw new Error(`${what}: ${JSON.stringify(line.slice(0, 200))}`);
      return;
    }
  };
  const smtpLast = (l: string) => /^\d{3}( |$)/.test(l);
  if (service === 'smtp') {
    await expect((l) => l.startsWith('220'), smtpLast, 'the SMTP greeting');
    socket.write('EHLO gatehouse-renewal-probe\r\n');
    await expect((l) => l.startsWith('250'), smtpLast, 'the answer to EHLO');
    socket.write('STARTTLS\r\n');
    await expect((l) => l.startsWith('220'), smtpLast, 'the answer to STARTTLS');
  } else if (service === 'imap') {
    await expect((l) => /^\* (OK|PREAUTH)/i.test(l), () => true, 'the IMAP greeting');
    socket.write('p1 STARTTLS\r\n');
    await expect((l) => /^p1 OK/i.test(l), (l) => l.startsWith('p1 '), 'the answer to STARTTLS');
  } else {
    await expect((l) => l.startsWith('+OK'), () => true, 'the POP greeting');
    socket.write('STLS\r\n');
    await expect((l) => l.startsWith('+OK'), () => true, 'the answer to STLS');
  }
  socket.removeAllListeners('data');
  socket.pause();
}

/** Lines (CRLF stripped) as the server sends them; the reader must consume up to the TLS go-ahead and no further. */
function lineReader(socket: Socket): () => Promise<string> {
  let buf = '';
  let waiting: { resolve: (l: string) => void; reject: (e: Error) => void } | undefined;
  let ended: Error | undefined;
  const pump = () => {
    const i = buf.indexOf('\n');
    if (i < 0 || !waiting) return;
    const line = buf.slice(0, i).replace(/\r$/, '');
    buf = buf.slice(i + 1);
    const w = waiting;
    waiting = undefined;
    w.resolve(line);
  };
  socket.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    if (buf.length > 64 * 1024) ended = new Error('the server sent over 64 KiB before TLS');
    pump();
  });
  const close = () => {
    ended ??= new Error('the server closed the connection before TLS');
    waiting?.reject(ended);
    waiting = undefined;
  };
  socket.once('end', close);
  socket.once('close', close);
  return () => new Promise((resolve, reject) => {
    if (ended && buf.indexOf('\n') < 0) return reject(ended);
    waiting = { resolve, reject };
    pump();
  });
}

function sansOf(subjectaltname: string | undefined): string[] {
  return (subjectaltname ?? '').split(/,\s*/).flatMap((p) => {
    const m = /^(DNS|IP Address):(.+)$/.exec(p.trim());
    return m ? [m[2]!.toLowerCase()] : [];
  });
}
