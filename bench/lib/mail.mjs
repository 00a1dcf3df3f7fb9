// What the mail benchmarks share (mail-bench.mjs, table-bench.mjs): the SMTP sink that stands for the
// backend (a child process: this file with --backend-child), nginx's mail module and its
// configuration, and the STARTTLS client (sessions, relayed messages, throughput).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer as createNetServer, connect as netConnect } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { connect as tlsConnect, createSecureContext, TLSSocket } from 'node:tls';
import { randomBytes } from 'node:crypto';
import { aptInstall, childEnv } from './procs.mjs';

if (process.argv[2] === '--backend-child' && process.argv[1] === fileURLToPath(import.meta.url)) runBackend(JSON.parse(process.argv[3]));

// ---------------------------------------------------------------------------------------------
// The backend: an SMTP sink (child process), its STARTTLS port, and nginx's auth_http endpoint

function runBackend({ cert, key }) {
  const context = createSecureContext({ cert: readFileSync(cert), key: readFileSync(key) });
  const stats = { connections: 0, tlsConnections: 0, messages: 0, bytes: 0, auth: 0 };
  const END = Buffer.from('\r\n.\r\n');
  const EHLO = ['250-backend.bench.test', '250-PIPELINING', '250-SIZE 2147483647', '250-STARTTLS', '250-XCLIENT ADDR PORT NAME PROTO HELO LOGIN', '250-8BITMIME', '250 ENHANCEDSTATUSCODES'].join('\r\n') + '\r\n';

  function session(socket, tlsAllowed) {
    let out = socket;
    let line = '';
    let inData = false;
    let tail = Buffer.alloc(0);
    const write = (s) => out.write(s);
    const onData = (chunk) => {
      let pos = 0;
      while (pos < chunk.length) {
        if (inData) {
          // The end of the message may straddle two chunks: look at the junction, then in the chunk.
          const head = chunk.subarray(pos, pos + 4);
          const junction = tail.length > 0 ? Buffer.concat([tail, head]).indexOf(END) : -1;
          let consumed;
          if (junction >= 0) consumed = junction + END.length - tail.length;
          else {
            const i = chunk.indexOf(END, pos);
            if (i >= 0) consumed = i + END.length - pos;
          }
          if (consumed === undefined) {
            stats.bytes += chunk.length - pos;
            const rest = chunk.subarray(Math.max(pos, chunk.length - 4));
            tail = Buffer.concat([tail, rest]).subarray(-4);
            return;
          }
          stats.bytes += consumed;
          stats.messages++;
          pos += consumed;
          inData = false;
          tail = Buffer.alloc(0);
          write('250 2.0.0 Ok: queued\r\n');
          continue;
        }
        const lf = chunk.indexOf(10, pos);
        if (lf < 0) {
          line += chunk.toString('latin1', pos);
          return;
        }
        line += chunk.toString('latin1', pos, lf);
        pos = lf + 1;
        const text = line.replace(/\r$/, '');
        line = '';
        const verb = text.split(' ', 1)[0].toUpperCase();
        switch (verb) {
          case 'EHLO': write(EHLO); break;
          case 'HELO': write('250 backend.bench.test\r\n'); break;
          case 'XCLIENT': write('220 backend.bench.test ESMTP sink\r\n'); break;
          case 'MAIL': case 'RCPT': case 'RSET': case 'NOOP': write('250 2.0.0 Ok\r\n'); break;
          case 'DATA': inData = true; tail = Buffer.from('\r\n'); write('354 End data with <CR><LF>.<CR><LF>\r\n'); break;
          case 'QUIT': write('221 2.0.0 Bye\r\n'); out.end(); return;
          case 'STARTTLS':
            if (!tlsAllowed || out !== socket) {
              write('454 4.7.0 TLS not available\r\n');
              break;
            }
            write('220 2.0.0 Ready to start TLS\r\n');
            socket.removeListener('data', onData);
            stats.tlsConnections++;
            out = new TLSSocket(socket, { isServer: true, secureContext: context });
            out.on('data', onData);
            out.on('error', () => undefined);
            return;
          default: write('502 5.5.2 Error: command not recognized\r\n');
        }
      }
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
    socket.write('220 backend.bench.test ESMTP sink\r\n');
  }

  const plain = createNetServer((s) => {
    stats.connections++;
    session(s, false);
  });
  const starttls = createNetServer((s) => session(s, true));
  let smtpPort;
  const auth = createHttpServer((req, res) => {
    stats.auth++;
    res.writeHead(200, { 'Auth-Status': 'OK', 'Auth-Server': '127.0.0.1', 'Auth-Port': String(smtpPort) });
    res.end();
  });
  const listen = (server) => new Promise((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => resolve(server.address().port)));
  Promise.all([listen(plain), listen(starttls), listen(auth)]).then(([p, t, a]) => {
    smtpPort = p;
    process.send({ ready: true, smtpPort: p, starttlsPort: t, authPort: a });
  });
  process.on('message', (m) => {
    if (m === 'stats') process.send({ stats: { ...stats } });
    if (m === 'exit') process.exit(0);
  });
  process.on('disconnect', () => process.exit(0));
}


/**
 * Starts the backend (a child process, added to `live`); answers its ports (smtpPort, starttlsPort,
 * authPort), the process, and `stats()` (what it has received so far).
 */
export async function startBackend({ cert, key }, live) {
  const backend = spawn(process.execPath, [fileURLToPath(import.meta.url), '--backend-child', JSON.stringify({ cert, key })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: childEnv });
  live.add(backend);
  const ports = await new Promise((resolve, reject) => {
    backend.once('message', (m) => (m.ready ? resolve(m) : reject(new Error('backend did not start'))));
    backend.once('exit', (c) => reject(new Error(`backend exited ${c}`)));
  });
  const stats = () => new Promise((resolve) => {
    backend.once('message', (m) => resolve(m.stats));
    backend.send('stats');
  });
  return { backend, ports, stats };
}

// ---------------------------------------------------------------------------------------------
// nginx's mail proxy (Debian: nginx + libnginx-mod-mail)

/** Whether nginx has its mail module (installing libnginx-mod-mail as root when it is a dynamic module that is missing). */
export function nginxMail(log) {
  const NGINX = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
  const MAIL_MODULE = '/usr/lib/nginx/modules/ngx_mail_module.so';
  const flags = () => spawnSync(NGINX, ['-V'], { encoding: 'utf8' }).stderr ?? '';
  if (/with-mail=dynamic/.test(flags()) && !existsSync(MAIL_MODULE) && process.getuid?.() === 0) {
    try {
      aptInstall(['libnginx-mod-mail'], log);
    } catch (e) {
      log(e.message);
    }
  }
  const nginxStatic = /--with-mail(\s|$)/.test(flags());
  const have = /with-mail/.test(flags()) && (nginxStatic || existsSync(MAIL_MODULE));
  const version = have ? (/nginx\/([\d.]+)/.exec(spawnSync(NGINX, ['-v'], { encoding: 'utf8' }).stderr ?? '')?.[1] ?? '?') : null;
  return { NGINX, MAIL_MODULE, nginxStatic, have, version };
}

/** nginx's mail proxy (2 workers, STARTTLS, auth_http to the backend) on 127.0.0.1:port; answers the config file. */
export function nginxMailConfig(dir, { cert, key, authPort, port, mail }) {
  const { NGINX, MAIL_MODULE, nginxStatic } = mail;
  mkdirSync(join(dir, 'nginx'), { recursive: true });
  const nginxConf = join(dir, 'nginx', 'nginx.conf');
  writeFileSync(nginxConf, `# generated by bench/lib/mail.mjs
${nginxStatic ? '' : `load_module ${MAIL_MODULE};`}
user root;
worker_processes 2;
pid ${join(dir, 'nginx', 'nginx.pid')};
error_log ${join(dir, 'nginx', 'error.log')} warn;
daemon off;
events { worker_connections 4096; }
mail {
  server_name mail.bench.test;
  auth_http 127.0.0.1:${authPort}/auth;
  ssl_certificate ${cert};
  ssl_certificate_key ${key};
  ssl_protocols TLSv1.2 TLSv1.3;
  smtp_auth none;
  smtp_capabilities "SIZE 2147483647" "8BITMIME" "PIPELINING";
  xclient off;
  proxy_pass_error_message on;
${process.env.BENCH_NGINX_PROXY_BUFFER ? `  proxy_buffer ${process.env.BENCH_NGINX_PROXY_BUFFER};` : ''}
  server {
    listen 127.0.0.1:${port} backlog=4096;
    protocol smtp;
    starttls on;
  }
}
`);
  const t = spawnSync(NGINX, ['-t', '-c', nginxConf, '-e', join(dir, 'nginx', 'error.log')], { encoding: 'utf8' });
  if (t.status !== 0) throw new Error(`nginx -t: ${t.stderr}`);
  return nginxConf;
}

/** Gatehouse's store for the mail bench: the certificate, assigned to SMTP, and the listener — with the CLI, as an administrator would. */
export function gatehouseMailStore(ghBin, data, { cert, key, port, backendPort }) {
  const gh = (args) => {
    const r = spawnSync(ghBin, [...args, '--data', data], { encoding: 'utf8', env: childEnv });
    if (r.status !== 0) throw new Error(`gatehouse ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const thumbprint = JSON.parse(gh(['cert', 'import', '--file', cert, '--key-file', key, '--friendly-name', 'mail.bench.test', '--json'])).thumbprint;
  gh(['service', 'assign', thumbprint, '--services', 'smtp']);
  gh(['service', 'configure', 'smtp', '--listen', `127.0.0.1:${port}`, '--backend', `127.0.0.1:${backendPort}`, '--host', 'mail.bench.test', '--max-connections', '10000']);
}

/** Whether the server on 127.0.0.1:port answers with an SMTP greeting. */
export async function greets(port) {
  return new Promise((resolve) => {
    const s = netConnect(port, '127.0.0.1');
    const limit = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, 2000);
    s.once('data', (d) => {
      clearTimeout(limit);
      s.destroy();
      resolve(/^220 /.test(d.toString()));
    });
    s.once('error', () => {
      clearTimeout(limit);
      resolve(false);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The SMTP client

/**
 * The STARTTLS client: `sessions(port, total, concurrency, after)` (sessions per second and errors;
 * `relayed` as `after` makes every server reach the backend), `throughput(port, tls)` (MB/s of
 * `messages` messages of `messageKb` KiB over `streams` sessions side by side).
 */
export function mailClient({ messages: MESSAGES, messageKb: MESSAGE_KB, streams: STREAMS }) {
  /** Reads SMTP replies (complete when the last line has "NNN "). */
  class Replies {
    constructor() {
      this.buf = '';
      this.waiting = null;
    }
    push(d) {
      this.buf += d.toString('latin1');
      this.check();
    }
    check() {
      if (!this.waiting) return;
      const m = /^(\d{3}) .*\r?\n/m.exec(this.buf);
      if (!m) return;
      const end = m.index + m[0].length;
      const text = this.buf.slice(0, end);
      this.buf = this.buf.slice(end);
      const w = this.waiting;
      this.waiting = null;
      w.resolve({ code: Number(m[1]), text });
    }
    next() {
      return new Promise((resolve, reject) => {
        this.waiting = { resolve, reject };
        this.check();
      });
    }
    fail(e) {
      if (this.waiting) this.waiting.reject(e);
      this.waiting = null;
    }
  }

  /** One SMTP session through STARTTLS; `after` runs over TLS before QUIT. */
  async function starttlsSession(port, after) {
    const raw = netConnect(port, '127.0.0.1');
    const replies = new Replies();
    const onRaw = (d) => replies.push(d);
    raw.on('data', onRaw);
    let sock = raw;
    const timer = setTimeout(() => {
      replies.fail(new Error('session timed out'));
      raw.destroy();
    }, 30_000);
    raw.on('error', (e) => replies.fail(e));
    raw.on('close', () => replies.fail(new Error('closed')));
    const cmd = async (line, code) => {
      sock.write(line);
      const r = await replies.next();
      if (r.code !== code) throw new Error(`${line.trim().slice(0, 40)} → ${r.text.trim()}`);
      return r;
    };
    try {
      const greet = await replies.next();
      if (greet.code !== 220) throw new Error(`greeting ${greet.text}`);
      await cmd('EHLO bench.client\r\n', 250);
      await cmd('STARTTLS\r\n', 220);
      raw.removeListener('data', onRaw);
      sock = await new Promise((resolve, reject) => {
        const s = tlsConnect({ socket: raw, servername: 'mail.bench.test', rejectUnauthorized: false }, () => resolve(s));
        s.on('error', reject);
      });
      sock.on('data', (d) => replies.push(d));
      sock.on('error', (e) => replies.fail(e));
      if (after) await after(cmd, sock, replies);
      await cmd('QUIT\r\n', 221);
    } finally {
      clearTimeout(timer);
      sock.destroy();
      raw.destroy();
    }
  }

  const relayed = async (cmd) => {
    await cmd('EHLO bench.client\r\n', 250);
    await cmd('MAIL FROM:<bench@client.test>\r\n', 250);
    await cmd('RCPT TO:<sink@backend.test>\r\n', 250);
    await cmd('RSET\r\n', 250);
  };

  /** `total` sessions, `concurrency` at a time; answers sessions per second and the errors. */
  async function sessions(port, total, concurrency, after) {
    let next = 0;
    let ok = 0;
    const errors = [];
    const start = performance.now();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        try {
          await starttlsSession(port, after);
          ok++;
        } catch (e) {
          errors.push(e.message);
        }
      }
    }));
    const seconds = (performance.now() - start) / 1000;
    return { rate: ok / seconds, seconds, ok, errors };
  }

  // A message of MESSAGE_KB KiB: base64 text in 76-character lines (no line starts with a dot).
  const body = (() => {
    const target = MESSAGE_KB * 1024;
    const header = 'From: bench@client.test\r\nTo: sink@backend.test\r\nSubject: mail bench\r\n\r\n';
    const b64 = randomBytes(Math.ceil(target * 0.75)).toString('base64');
    const lines = [];
    let size = header.length;
    for (let i = 0; size < target; i += 76) {
      const l = b64.slice(i % (b64.length - 76), (i % (b64.length - 76)) + 76);
      lines.push(l);
      size += l.length + 2;
    }
    return Buffer.from(`${header}${lines.join('\r\n')}\r\n.\r\n`, 'latin1');
  })();

  /** MESSAGES messages over STREAMS sessions (STARTTLS, or plain text for the backend itself); answers MB/s. */
  async function throughput(port, tls) {
    let next = 0;
    let sent = 0;
    const start = performance.now();
    const send = async (cmd, sock) => {
      while (next < MESSAGES) {
        next++;
        await cmd('MAIL FROM:<bench@client.test>\r\n', 250);
        await cmd('RCPT TO:<sink@backend.test>\r\n', 250);
        await cmd('DATA\r\n', 354);
        sock.write(body.subarray(0, body.length - 5));
        await cmd('\r\n.\r\n', 250);
        sent += body.length - 3;
      }
    };
    await Promise.all(Array.from({ length: STREAMS }, async () => {
      if (tls) {
        await starttlsSession(port, async (cmd, sock) => {
          await cmd('EHLO bench.client\r\n', 250);
          await send(cmd, sock);
        });
      } else {
        await plainSession(port, send);
      }
    }));
    const seconds = (performance.now() - start) / 1000;
    return { mbps: sent / 1e6 / seconds, seconds, bytes: sent };
  }

  async function plainSession(port, work) {
    const sock = netConnect(port, '127.0.0.1');
    const replies = new Replies();
    sock.on('data', (d) => replies.push(d));
    sock.on('error', (e) => replies.fail(e));
    const cmd = async (line, code) => {
      sock.write(line);
      const r = await replies.next();
      if (r.code !== code) throw new Error(`${line.trim().slice(0, 40)} → ${r.text.trim()}`);
      return r;
    };
    try {
      if ((await replies.next()).code !== 220) throw new Error('no greeting');
      await cmd('EHLO bench.client\r\n', 250);
      await work(cmd, sock);
      await cmd('QUIT\r\n', 221);
    } finally {
      sock.destroy();
    }
  }

  return { sessions, throughput, relayed };
}
