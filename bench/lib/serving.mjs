// What the HTTPS serving benchmarks share (serve-bench.mjs, table-bench.mjs): the certificate files
// made with openssl, Gatehouse stores seeded through the compiled core, nginx's configuration for the
// same files, the hsclient and h2load loads with the server's CPU over the measured window, and the
// machine's facts for a report's header.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, loadavg, availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createPrivateKey, generateKeyPairSync, randomBytes, webcrypto } from 'node:crypto';
import { childEnv, cpuSeconds, have } from './procs.mjs';

export const NGINX = () => (have('nginx') ? 'nginx' : '/usr/sbin/nginx');

/** The 1 KiB page every server serves from `root`. */
export function writeIndex(root) {
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'index.html'), `<!DOCTYPE html><html><head><title>bench</title></head><body><p>${'x'.repeat(1024 - 82)}</p></body></html>\n`);
  if (readFileSync(join(root, 'index.html')).length !== 1024) throw new Error('index.html is not 1 KiB');
}

/**
 * Compiles the bench-kit's hsclient into `dir`. With `resume`, a variant that resumes: each
 * connection keeps the last resumable session (TLS 1.3 ticket) it got and offers it on its next
 * connection (the kit's source patched at build time, each patch checked to apply; hsclient's own
 * `resumed=` count then says how many handshakes the server resumed).
 */
export function buildHsclient(dir, kit, { resume = false } = {}) {
  const out = join(dir, resume ? 'hsclient-resume' : 'hsclient');
  let src = join(kit, 'hsclient.c');
  if (resume) {
    let text = readFileSync(src, 'utf8');
    const patches = [
      ['  int counted_hs;\n', '  int counted_hs;\n  SSL_SESSION *sess;\n'],
      ['  if (c->ssl) { SSL_free(c->ssl); c->ssl = NULL; }\n  close(c->fd);',
        '  if (c->ssl) {\n    SSL_SESSION *s = ok ? SSL_get1_session(c->ssl) : NULL;\n    if (s && SSL_SESSION_is_resumable(s)) { if (c->sess) SSL_SESSION_free(c->sess); c->sess = s; } else if (s) SSL_SESSION_free(s);\n    SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN); /* else SSL_free marks the session not resumable */\n    SSL_free(c->ssl); c->ssl = NULL;\n  }\n  close(c->fd);'],
      ['      if (!nosni) SSL_set_tlsext_host_name(c->ssl, c->sni);\n', '      if (!nosni) SSL_set_tlsext_host_name(c->ssl, c->sni);\n      if (c->sess) SSL_set_session(c->ssl, c->sess);\n'],
    ];
    for (const [from, to] of patches) {
      if (!text.includes(from)) throw new Error(`${src} changed: the resumption patch does not apply (${from.trim().slice(0, 40)}…)`);
      text = text.replace(from, to);
    }
    src = join(dir, 'hsclient-resume.c');
    writeFileSync(src, text);
  }
  execFileSync('gcc', ['-O2', '-o', out, src, '-lssl', '-lcrypto', '-lpthread'], { stdio: 'inherit' });
  return out;
}

export async function pool(n, items, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  }));
}

function run(cmd, argv, opts = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${argv.join(' ')}: exit ${code}: ${err}`))));
  });
}

/**
 * A CA (ECDSA P-256), `count` ECDSA P-256 leaves site0.test … (each its own key) and, with `rsa`,
 * one RSA-2048 leaf for site0.test, made with openssl in `dir/certs` — or, with `fast`, the ECDSA
 * leaves made in this process (node:crypto keys, @peculiar/x509 signing with the CA's key: the same
 * profile, about 100 times faster than two openssl processes per leaf).
 */
export async function makeCertificates(dir, count, { rsa = true, fast = false } = {}) {
  mkdirSync(join(dir, 'certs'), { recursive: true });
  const ca = { pem: join(dir, 'certs', 'ca.pem'), key: join(dir, 'certs', 'ca.key') };
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', ca.key, '-out', ca.pem,
    '-subj', '/CN=Gatehouse Serve Bench CA', '-days', '3650', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], { stdio: 'ignore' });
  const leaf = async (name, keyArgs, base) => {
    const ext = `${base}.ext`;
    writeFileSync(ext, `subjectAltName=DNS:${name}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature${keyArgs[1] === 'rsa:2048' ? ',keyEncipherment' : ''}\nextendedKeyUsage=serverAuth\n`);
    await run('openssl', ['req', '-new', '-newkey', ...keyArgs, '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${name}`]);
    await run('openssl', ['x509', '-req', '-in', `${base}.csr`, '-CA', ca.pem, '-CAkey', ca.key, '-set_serial', `0x${randomBytes(12).toString('hex')}`,
      '-days', '365', '-extfile', ext, '-out', `${base}.pem`]);
    rmSync(`${base}.csr`);
    rmSync(ext);
    return { name, pem: `${base}.pem`, key: `${base}.key` };
  };
  const ecdsa = fast ? await fastLeaves(dir, ca, count) : [];
  if (!fast) {
    await pool(Math.max(2, availableParallelism()), Array.from({ length: count }, (_, i) => i), async (i) => {
      ecdsa[i] = await leaf(`site${i}.test`, ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], join(dir, 'certs', `site${i}`));
    });
  }
  return { ca, ecdsa, rsa: rsa ? await leaf('site0.test', ['rsa:2048'], join(dir, 'certs', 'site0-rsa')) : undefined };
}

/** ECDSA P-256 leaves site0.test … signed by the openssl CA `ca`, as makeCertificates's openssl path makes them. */
async function fastLeaves(dir, ca, count) {
  // Gatehouse's own loader (it sets up the reflect-metadata polyfill @peculiar/x509 needs).
  const x509Module = await import(new URL('../../dist/src/pki/x509.js', import.meta.url).href);
  const x509 = typeof x509Module.loadX509 === 'function' ? x509Module.loadX509() : x509Module;
  const crypto = webcrypto;
  x509.cryptoProvider.set(crypto);
  const alg = { name: 'ECDSA', namedCurve: 'P-256' };
  const caCert = new x509.X509Certificate(readFileSync(ca.pem, 'utf8'));
  const caKey = await crypto.subtle.importKey('pkcs8', createPrivateKey(readFileSync(ca.key)).export({ format: 'der', type: 'pkcs8' }), alg, false, ['sign']);
  const aki = await x509.AuthorityKeyIdentifierExtension.create(caCert, false, crypto);
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 365 * 86_400_000);
  const out = [];
  for (let i = 0; i < count; i++) {
    const name = `site${i}.test`;
    const base = join(dir, 'certs', `site${i}`);
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const publicKey = await crypto.subtle.importKey('spki', pair.publicKey.export({ format: 'der', type: 'spki' }), alg, true, ['verify']);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomBytes(12).toString('hex').replace(/^[89a-f]/, '1'), subject: `CN=${name}`, issuer: caCert.subject, notBefore, notAfter,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' }, publicKey, signingKey: caKey,
      extensions: [
        new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: name }]),
        new x509.BasicConstraintsExtension(false),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        await x509.SubjectKeyIdentifierExtension.create(publicKey, false, crypto),
        aki,
      ],
    }, crypto);
    writeFileSync(`${base}.pem`, cert.toString('pem') + '\n');
    writeFileSync(`${base}.key`, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    out.push({ name, pem: `${base}.pem`, key: `${base}.key` });
  }
  return out;
}

/**
 * A Gatehouse data directory for `certs` through the compiled core of `repo`, in one process: the
 * files imported (`certificates.import`), site S0 with the IP:port binding `*:port` and certificate
 * certs[0], sites S1 … with SNI bindings for their names.
 */
export async function seedGatehouse(repo, dataDir, certs, root, port, actor = 'serve-bench') {
  const { openGatehouse } = await import(pathToFileURL(join(repo, 'dist', 'src', 'lifecycle', 'gatehouse.js')).href);
  const g = openGatehouse({ dataDir, actor: { name: actor, origin: 'system' } });
  const started = Date.now();
  try {
    const thumbs = [];
    for (const c of certs) {
      const cert = await g.certificates.import({ file: readFileSync(c.pem), fileName: c.pem, keyFile: readFileSync(c.key), exportable: false, friendlyName: c.name });
      thumbs.push(cert.thumbprint);
    }
    const importMs = Date.now() - started;
    for (let i = 0; i < certs.length; i++) {
      g.sites.add({ name: `S${i}`, root });
      if (i === 0) g.bindings.add({ site: 'S0', protocol: 'https', port, cert: thumbs[0] });
      else g.bindings.add({ site: `S${i}`, protocol: 'https', port, host: certs[i].name, sni: true, cert: thumbs[i] });
    }
    return { importMs, totalMs: Date.now() - started };
  } finally {
    g.close();
  }
}

/**
 * nginx (2 workers, its own config in `dir`): the same files, the same root, one server block and
 * access log per site — or, with `sharedLog`, one access log for all (100,000 files open would pass
 * the descriptor limit); `test: false` leaves `nginx -t` to the caller (it costs as much as a start).
 */
export function nginxConfig(dir, certs, root, port, generatedBy = 'bench/serve-bench.mjs', { sharedLog = false, test = true } = {}) {
  mkdirSync(join(dir, 'logs'), { recursive: true });
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const servers = certs.map((c, i) => `  server {
    listen ${port} ssl http2${i === 0 ? ' default_server' : ''};
    server_name ${c.name};
    ssl_certificate ${c.pem};
    ssl_certificate_key ${c.key};
    root ${root};
${sharedLog ? '' : `    access_log ${join(dir, 'logs', `S${i}.log`)} combined;\n`}  }`).join('\n');
  const conf = `# generated by ${generatedBy}
user root;
worker_processes 2;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
daemon off;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  sendfile on;
  keepalive_requests 1000000;
  server_names_hash_max_size ${Math.max(16384, certs.length * 4)};
  server_names_hash_bucket_size 64;
  ssl_protocols TLSv1.2 TLSv1.3;
${sharedLog ? `  access_log ${join(dir, 'logs', 'access.log')} combined;\n` : ''}  client_body_temp_path ${join(dir, 'tmp', 'body')};
  proxy_temp_path ${join(dir, 'tmp', 'proxy')};
  fastcgi_temp_path ${join(dir, 'tmp', 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'tmp', 'uwsgi')};
  scgi_temp_path ${join(dir, 'tmp', 'scgi')};
${servers}
}
`;
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, conf);
  if (test) nginxTest(file);
  return file;
}

/** `nginx -t` on a configuration nginxConfig wrote: throws with nginx's words when it fails. */
export function nginxTest(file) {
  const r = spawnSync(NGINX(), ['-t', '-c', file, '-e', join(dirname(file), 'error.log')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nginx -t failed: ${r.stderr}`);
}

/**
 * Runs a load generator; the server's CPU (its whole process tree) is read `warm` s after the start
 * and `warm + secs` s after it, so it covers the measured window only.
 */
export function runClient(cmd, argv, serverPid, { warm, secs, timeoutMs }) {
  return new Promise((resolve) => {
    const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    let cpuStart;
    let cpuEnd;
    setTimeout(() => (cpuStart = cpuSeconds(serverPid)), warm * 1000);
    setTimeout(() => (cpuEnd = cpuSeconds(serverPid)), (warm + secs) * 1000);
    const killer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', () => {
      clearTimeout(killer);
      if (cpuEnd === undefined) cpuEnd = cpuSeconds(serverPid);
      resolve({ out, cpu: cpuEnd - (cpuStart ?? cpuEnd) });
    });
  });
}

/** hsclient (bench-kit): TLS 1.3 handshakes, one GET / each (full ones, or resumed ones with the `resume` build). `o` = { warm, secs, conns }. */
export async function hsLoad(hsclient, server, extra, o) {
  const { out, cpu } = await runClient(hsclient, ['-a', '127.0.0.1', '-p', String(server.port), '-c', String(o.conns), '-t', '1', '-d', String(o.secs), '-w', String(o.warm), '-V', ...extra],
    server.proc.pid, { ...o, timeoutMs: (o.warm + o.secs + 20) * 1000 });
  const kv = Object.fromEntries([...out.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
  const rate = Number(kv.hs_per_s);
  return { rate, cpu, cpuPerSec: cpu / o.secs, perCore: cpu > 0 ? (rate * o.secs) / cpu : NaN, errors: Number(kv.errors), mismatch: Number(kv.mismatch), resumed: Number(kv.resumed), handshakes: Number(kv.handshakes), info: `${kv.proto ?? '?'} ${kv.cipher ?? '?'} ${kv.group ?? '?'} ${kv.certkey ?? '?'}`, raw: out.trim() };
}

/** h2load on /index.html: `mode` 'h1' (keep-alive HTTP/1.1) or 'h2' (HTTP/2, 10 streams per connection). `o` = { warm, secs, conns }. */
export async function h2Load(server, mode, o) {
  const url = `https://127.0.0.1:${server.port}/index.html`;
  const how = mode === 'h1' ? ['--h1'] : ['-m', '10'];
  const argv = [...how, '-c', String(o.conns), '-t', '1', '-D', String(o.secs), `--warm-up-time=${o.warm}`, url];
  const { out, cpu } = await runClient('h2load', argv, server.proc.pid, { ...o, timeoutMs: (o.warm + o.secs + 30) * 1000 });
  const rate = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out)?.[1]);
  const req = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out);
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
  const proto = /Application protocol: (\S+)/.exec(out)?.[1];
  const tls = /TLS Protocol: (\S+)/.exec(out)?.[1];
  return { rate, cpu, cpuPerSec: cpu / o.secs, perCore: cpu > 0 ? (rate * o.secs) / cpu : NaN, failed: req ? Number(req[5]) + Number(req[6]) + Number(req[7]) : NaN, non2xx: codes ? Number(codes[2]) + Number(codes[3]) + Number(codes[4]) : NaN, proto, tls, raw: out.trim().split('\n').filter((l) => /finished|requests:|status codes|Application|TLS Protocol/.test(l)).join(' | ') };
}

/** Newest modification time of the compiled serving plane: a rebuild during the run mixes two versions. */
export function distStamp(repo) {
  let newest = 0;
  for (const dir of ['serve', 'cli', 'config', 'lifecycle', 'store', 'mail']) {
    const d = join(repo, 'dist', 'src', dir);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)) if (f.endsWith('.js')) newest = Math.max(newest, statSync(join(d, f)).mtimeMs);
  }
  return newest;
}

/** The Debian packages the serving benchmarks need that this machine lacks (nginx, h2load, and what hsclient is built with). */
export function missingServingPackages() {
  const want = [];
  if (!have('nginx') && !existsSync('/usr/sbin/nginx')) want.push('nginx');
  if (!have('h2load')) want.push('nghttp2-client');
  if (!have('gcc')) want.push('gcc');
  if (!existsSync('/usr/include/openssl/ssl.h')) want.push('libssl-dev');
  if (!have('openssl')) want.push('openssl');
  return want;
}

export function machine(repo) {
  const sh = (c) => {
    try {
      return execFileSync('sh', ['-c', c], { encoding: 'utf8' }).trim();
    } catch {
      return '?';
    }
  };
  let commit = sh(`git -C ${repo} rev-parse --short HEAD`);
  const dirty = sh(`git -C ${repo} status --porcelain -- src | wc -l`);
  if (dirty !== '0') commit += ` + ${dirty} uncommitted change(s) in src/ (built into dist/ at ${sh(`date -u -r ${join(repo, 'dist', 'src', 'cli', 'entry.js')} +%FT%TZ`)})`;
  return {
    date: new Date().toISOString().slice(0, 10), time: new Date().toISOString().slice(11, 16),
    cpu: cpus()[0]?.model ?? '?', nproc: availableParallelism(), memGiB: (totalmem() / 2 ** 30).toFixed(0), kernel: sh('uname -r'),
    node: process.version, nodeOpenssl: process.versions.openssl, openssl: sh('openssl version'), nginx: sh(`${NGINX()} -v 2>&1`).replace('nginx version: ', ''),
    h2load: sh('h2load --version').split('\n')[0], gcc: sh('gcc -dumpfullversion'), commit, load: loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}
