#!/usr/bin/env node
// Mail benchmark (issue #5): Gatehouse's SMTP listener (STARTTLS in front of a plain-text backend)
// against references in the same run, alternating run by run. Usage (as root it installs nginx's
// mail module from Debian when it is missing):
//
//   npm run build && node bench/mail-bench.mjs       # the tables, a few minutes on 2 cores
//
// Environment: BENCH_RUNS (5), BENCH_SESSIONS (2000), BENCH_CONCURRENCY (32), BENCH_MESSAGES (200),
// BENCH_MESSAGE_KB (1024), BENCH_STREAMS (4: SMTP sessions sending the messages side by side),
// BENCH_QUICK=1 (1 run, 300 sessions, 20 messages: to try the script, not for figures),
// BENCH_NO_WRITE=1 (print the tables only, leave BENCHMARKS.md alone),
// BENCH_SERVERS=gatehouse-w1,base-w1,nginx (only these contenders, in this order; implies BENCH_NO_WRITE),
// BENCH_BASE=/path/to/another/checkout (adds "base-w1": that checkout's bin/gatehouse serve --workers 1, built,
// on the same data directory — a change against main's code in the same run, alternating),
// BENCH_PROFILE=DIR (Gatehouse serve runs with node --cpu-prof --cpu-prof-dir=DIR: one .cpuprofile per
// process, written when it stops; with --workers 1 that is the one process that serves; see bench/README.md).
//
// What runs:
// - one backend process (lib/mail.mjs with --backend-child): a fast SMTP sink that counts what it
//   receives (EHLO with STARTTLS, PIPELINING, XCLIENT; MAIL, RCPT, DATA, RSET, QUIT), on a plain-text
//   port and on a second port where it does STARTTLS itself with node:tls (the "no proxy" reference),
//   plus the auth_http endpoint nginx's mail proxy asks where to relay (Auth-Status: OK, Auth-Server,
//   Auth-Port);
// - servers: Gatehouse `serve` (default workers) and `serve --workers 1`, with an SMTP listener
//   (STARTTLS) in front of the backend; nginx's mail proxy (Debian's nginx + libnginx-mod-mail,
//   worker_processes 2, `starttls on`, `smtp_auth none`, `xclient off`) in front of the same backend,
//   when the module is there; the backend's own STARTTLS port (node:tls, no proxy);
//   same ECDSA P-256 certificate and key files for all (made with openssl, imported into Gatehouse);
// - loads, by a client in this process (node:tls, full TLS 1.3 handshakes, never resumed):
//   "handshake": connect, greeting, EHLO, STARTTLS, handshake, QUIT — BENCH_SESSIONS sessions,
//   BENCH_CONCURRENCY at a time; "relayed": the same plus EHLO, MAIL FROM, RCPT TO, RSET after the
//   handshake (nginx only contacts the backend once it has a MAIL FROM, and so does Gatehouse's
//   listener with --host once it has learned the backend's capabilities: this load makes every
//   server reach the backend); "throughput": BENCH_MESSAGES
//   messages of BENCH_MESSAGE_KB KiB over BENCH_STREAMS STARTTLS sessions (MAIL, RCPT, DATA, one
//   after the other in each session), also sent in plain text straight to the backend;
// - every run: server CPU (utime+stime of the server's process tree from /proc) over the run, and
//   how many connections the backend got per session. Medians of BENCH_RUNS runs, min–max beside.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, totalmem, loadavg, availableParallelism } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer as createNetServer } from 'node:net';
import { createHash } from 'node:crypto';
import { gatehouseMailStore, greets, mailClient, nginxMail, nginxMailConfig, startBackend } from './lib/mail.mjs';

await main();

// ---------------------------------------------------------------------------------------------
// Orchestration

async function main() {
  const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
  const GH_BIN = join(repo, 'bin', 'gatehouse');
  const QUICK = process.env.BENCH_QUICK === '1';
  const RUNS = Number(process.env.BENCH_RUNS ?? (QUICK ? 1 : 5));
  const SESSIONS = Number(process.env.BENCH_SESSIONS ?? (QUICK ? 300 : 2000));
  const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
  const MESSAGES = Number(process.env.BENCH_MESSAGES ?? (QUICK ? 20 : 200));
  const MESSAGE_KB = Number(process.env.BENCH_MESSAGE_KB ?? 1024);
  const STREAMS = Number(process.env.BENCH_STREAMS ?? 4);
  const SERVERS = process.env.BENCH_SERVERS ? process.env.BENCH_SERVERS.split(',') : undefined;
  const BASE = process.env.BENCH_BASE;
  const PROFILE = process.env.BENCH_PROFILE;
  const WRITE = process.env.BENCH_NO_WRITE !== '1' && SERVERS === undefined && BASE === undefined && PROFILE === undefined;
  const CLK_TCK = 100;
  const t0 = Date.now();
  const log = (s) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${s}\n`);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const median = (xs) => {
    const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
    if (v.length === 0) return NaN;
    return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  };
  const sh = (cmd) => {
    const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
    return (r.stdout ?? '').trim();
  };
  // Child processes: no NODE_EXTRA_CA_CERTS (node would parse that bundle at every start) and no GATEHOUSE_*.
  const childEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_EXTRA_CA_CERTS' && !k.startsWith('GATEHOUSE_')));
  const loadStart = loadavg().map((x) => x.toFixed(2)).join(' ');
  const commit = sh(`git -C ${repo} rev-parse --short HEAD`);
  // What the servers run: uncommitted changes outside the console, and a rebuild of dist/ during the run, are reported.
  const dirty = sh(`git -C ${repo} status --porcelain -- src ':(exclude)src/console'`).split('\n').filter(Boolean).map((l) => l.trim().replace(/^\S+\s+/, ''));
  const distFiles = () => {
    const d = join(repo, 'dist', 'src');
    const files = [join(d, 'cli', 'entry.js'), join(d, 'serve', 'serve.js'), ...(existsSync(join(d, 'mail')) ? readdirSync(join(d, 'mail')).filter((f) => f.endsWith('.js')).map((f) => join(d, 'mail', f)) : [])];
    // Contents, not times: a rebuild that changes nothing the servers run (the console, say) is no concern.
    const h = createHash('sha256');
    for (const f of files) h.update(`${f}\0`).update(existsSync(f) ? readFileSync(f) : Buffer.alloc(0));
    return h.digest('hex');
  };
  const distAtStart = distFiles();

  // /proc: CPU of a process tree.
  const procTable = () => {
    const rows = [];
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const s = readFileSync(`/proc/${d}/stat`, 'utf8');
        const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
        rows.push({ pid: Number(d), ppid: Number(rest[1]), cpu: Number(rest[11]) + Number(rest[12]) });
      } catch {
        /* gone */
      }
    }
    return rows;
  };
  const treeCpu = (rootPid) => {
    const rows = procTable();
    const kids = new Map();
    for (const r of rows) kids.set(r.ppid, [...(kids.get(r.ppid) ?? []), r]);
    let sum = 0;
    const stack = rows.filter((r) => r.pid === rootPid);
    while (stack.length) {
      const r = stack.pop();
      sum += r.cpu;
      stack.push(...(kids.get(r.pid) ?? []));
    }
    return sum / CLK_TCK;
  };
  const treePids = (rootPid) => {
    const rows = procTable();
    const out = [];
    const stack = rows.filter((r) => r.pid === rootPid);
    while (stack.length) {
      const r = stack.pop();
      out.push(r.pid);
      stack.push(...rows.filter((k) => k.ppid === r.pid));
    }
    return out;
  };

  // Tools: nginx's mail module (Debian: libnginx-mod-mail), openssl.
  const mail = nginxMail(log);
  const { NGINX, have: haveNginxMail, version: nginxVersion } = mail;

  const dir = mkdtempSync(join(tmpdir(), 'gh-mail-bench-'));
  const live = new Set();
  const cleanup = () => {
    for (const p of live) {
      for (const pid of treePids(p.pid).reverse()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });

  try {
    // Certificate (openssl), shared by every server.
    const cert = join(dir, 'mail.pem');
    const key = join(dir, 'mail.key');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert,
      '-subj', '/CN=mail.bench.test', '-days', '30', '-addext', 'subjectAltName=DNS:mail.bench.test'], { stdio: 'ignore' });

    // Backend.
    const { backend, ports, stats: backendStats } = await startBackend({ cert, key }, live);

    // Free ports for Gatehouse and nginx.
    const freePort = () => new Promise((resolve) => {
      const s = createNetServer();
      s.listen(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    const PORT_GH = await freePort();
    const PORT_NGINX = await freePort();

    const data = join(dir, 'gatehouse-data');
    gatehouseMailStore(GH_BIN, data, { cert, key, port: PORT_GH, backendPort: ports.smtpPort });

    // nginx's mail proxy.
    const nginxConf = haveNginxMail ? nginxMailConfig(dir, { cert, key, authPort: ports.authPort, port: PORT_NGINX, mail }) : null;

    const { sessions, throughput, relayed } = mailClient({ messages: MESSAGES, messageKb: MESSAGE_KB, streams: STREAMS });

    // ---- servers ------------------------------------------------------------------------------

    async function start(kind) {
      let proc;
      let port;
      if (kind.startsWith('gatehouse')) {
        const bin = kind === 'gatehouse-base-w1' ? join(BASE, 'bin', 'gatehouse') : GH_BIN;
        const env = PROFILE ? { ...childEnv, NODE_OPTIONS: `${childEnv.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${PROFILE}`.trim() } : childEnv;
        proc = spawn(bin, ['serve', '--data', data, '--admin', 'off', ...(kind.endsWith('-w1') ? ['--workers', '1'] : [])], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        port = PORT_GH;
      } else {
        proc = spawn(NGINX, ['-c', nginxConf, '-e', join(dir, 'nginx', 'error.log')], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
        port = PORT_NGINX;
      }
      live.add(proc);
      let out = '';
      proc.stdout.on('data', (d) => (out += d));
      proc.stderr.on('data', (d) => (out += d));
      const since = Date.now();
      while (!(await greets(port))) {
        if (proc.exitCode !== null || Date.now() - since > 60_000) throw new Error(`${kind} did not greet on ${port}:\n${out}`);
        await sleep(50);
      }
      // Let every worker open its listener before the first measured connection.
      await sleep(1000);
      return { proc, port, log: () => out };
    }

    async function stop(server) {
      const { proc } = server;
      const exited = new Promise((resolve) => (proc.exitCode !== null ? resolve() : proc.once('exit', resolve)));
      proc.kill(proc.spawnfile === NGINX ? 'SIGQUIT' : 'SIGTERM');
      const killer = setTimeout(() => {
        for (const pid of treePids(proc.pid).reverse()) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      }, 10_000);
      await exited;
      clearTimeout(killer);
      live.delete(proc);
      await sleep(300);
    }

    // ---- runs ---------------------------------------------------------------------------------

    const everyContender = [
      { id: 'gatehouse', label: 'Gatehouse serve (default workers)', kind: 'gatehouse' },
      { id: 'gatehouse-w1', label: 'Gatehouse serve --workers 1', kind: 'gatehouse-w1' },
      ...(BASE ? [{ id: 'base-w1', label: `${BASE} serve --workers 1`, kind: 'gatehouse-base-w1' }] : []),
      ...(haveNginxMail ? [{ id: 'nginx', label: `nginx ${nginxVersion} mail proxy (2 workers)`, kind: 'nginx' }] : []),
      { id: 'node', label: 'backend\'s own STARTTLS (node:tls, no proxy)', kind: 'node' },
    ];
    const contenders = SERVERS ? SERVERS.map((id) => everyContender.find((c) => c.id === id) ?? (() => { throw new Error(`BENCH_SERVERS: no contender ${id}`); })()) : everyContender;
    const results = Object.fromEntries(contenders.map((c) => [c.id, { handshake: [], relayed: [], throughput: [], cpuHandshake: [], cpuRelayed: [], cpuThroughput: [], backendPerSession: [], backendPerRelayed: [], errors: [] }]));
    const plainThroughput = [];
    const workers = [];

    for (let round = 1; round <= RUNS; round++) {
      for (const c of contenders) {
        const server = c.kind === 'node' ? { proc: backend, port: ports.starttlsPort, log: () => '' } : await start(c.kind);
        const r = results[c.id];
        try {
          if (c.kind === 'gatehouse') {
            const m = /serving with (\d+) worker/.exec(server.log());
            if (m) workers.push(Number(m[1]));
          }
          await sessions(server.port, Math.min(200, SESSIONS), CONCURRENCY); // warm-up
          for (const [name, after] of [['handshake', null], ['relayed', relayed]]) {
            const s0 = await backendStats();
            const cpu0 = treeCpu(server.proc.pid);
            const res = await sessions(server.port, SESSIONS, CONCURRENCY, after);
            const cpu = treeCpu(server.proc.pid) - cpu0;
            const s1 = await backendStats();
            r[name].push(res.rate);
            r[name === 'handshake' ? 'cpuHandshake' : 'cpuRelayed'].push(res.ok > 0 ? (cpu / res.ok) * 1000 : NaN);
            // The node:tls reference is the backend itself: it has no backend connections to count.
            const backendConns = s1.connections - s0.connections;
            r[name === 'handshake' ? 'backendPerSession' : 'backendPerRelayed'].push(res.ok > 0 && c.kind !== 'node' ? backendConns / res.ok : NaN);
            r.errors.push(...res.errors.slice(0, 3));
            log(`round ${round} ${c.id} ${name}: ${res.rate.toFixed(0)} sessions/s (${res.ok}/${SESSIONS} ok, ${res.errors.length} errors${res.errors.length ? `: ${res.errors[0]}` : ''}), server CPU ${cpu.toFixed(2)} s`);
          }
          const cpu0 = treeCpu(server.proc.pid);
          const tp = await throughput(server.port, true);
          const cpu = treeCpu(server.proc.pid) - cpu0;
          r.throughput.push(tp.mbps);
          r.cpuThroughput.push((cpu / (tp.bytes / 1e8)));
          log(`round ${round} ${c.id} throughput: ${tp.mbps.toFixed(1)} MB/s, server CPU ${cpu.toFixed(2)} s`);
        } catch (e) {
          r.errors.push(`${e.message}\n${server.log().slice(-2000)}`);
          log(`round ${round} ${c.id} failed: ${e.message}`);
        } finally {
          if (c.kind !== 'node') await stop(server);
        }
      }
      const tp = await throughput(ports.smtpPort, false);
      plainThroughput.push(tp.mbps);
      log(`round ${round} plain text to the backend: ${tp.mbps.toFixed(1)} MB/s`);
    }

    // ---- report -------------------------------------------------------------------------------

    const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : '–');
    const cell = (xs, d = 0) => (xs.length === 0 ? '–' : `${fmt(median(xs), d)} (${fmt(Math.min(...xs), d)}–${fmt(Math.max(...xs), d)})`);
    const ref = haveNginxMail ? 'nginx' : 'node';
    const ratio = (id, key) => {
      const a = median(results[id][key]);
      const b = median(results[ref]?.[key] ?? []);
      return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '–';
    };
    const cpuInfo = cpus()[0]?.model ?? '?';
    const date = new Date().toISOString().slice(0, 10);
    const seconds = ((Date.now() - t0) / 1000).toFixed(0);
    const errorsTotal = contenders.reduce((a, c) => a + results[c.id].errors.length, 0);
    const lines = [];
    lines.push('## Mail (SMTP)');
    lines.push('');
    lines.push('Gatehouse\'s SMTP listener (STARTTLS, relaying to a plain-text backend) against nginx\'s mail proxy and a');
    lines.push('STARTTLS server with no proxy at all, measured by `node bench/mail-bench.mjs` (the method is in its header comment');
    lines.push('and summed up below); this section is written by the script.');
    lines.push('');
    lines.push('### Machine and run');
    lines.push('');
    lines.push(`- Date: ${date}; CPU: ${cpuInfo}, \`nproc\` = ${availableParallelism()}; ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Linux ${sh('uname -r')}`);
    const rebuilt = distFiles() !== distAtStart;
    if (rebuilt) lines.push('- **dist/ changed during this run (the serving or mail code was rebuilt differently): the Gatehouse figures may mix two versions; run again.**');
    lines.push(`- Gatehouse at commit ${commit}${dirty.length ? ` (uncommitted changes in ${dirty.join(', ')})` : ''}, built into dist/ before the run; Node ${process.version}; ${sh('openssl version')}; ${nginxVersion ? `nginx ${nginxVersion} with the mail module (Debian libnginx-mod-mail)` : 'nginx\'s mail module not available'}`);
    lines.push(`- Load average (1, 5, 15 min) at start ${loadStart}, at the end ${loadavg().map((x) => x.toFixed(2)).join(' ')}; client, servers and backend share the machine's cores`);
    lines.push(`- ${RUNS} rounds; in each round every server in turn is started, warmed up (200 sessions), measured and stopped; medians of the ${RUNS} runs, min–max in brackets. Gatehouse default workers: ${workers.length ? [...new Set(workers)].join(', ') : 'one process (no worker count logged)'}.`);
    lines.push(`- Sessions: ${fmt(SESSIONS)} per run, ${CONCURRENCY} at a time, from one Node client process (node:tls, TLS 1.3, full handshakes, no resumption), ECDSA P-256 certificate. Throughput: ${MESSAGES} messages of ${fmt(MESSAGE_KB)} KiB over ${STREAMS} STARTTLS sessions side by side.`);
    lines.push(`- Errors: ${errorsTotal === 0 ? 'none' : `${errorsTotal} (first: ${contenders.flatMap((c) => results[c.id].errors)[0]?.split('\n')[0]})`}. Whole run: ${seconds} s.`);
    lines.push('');
    lines.push('### STARTTLS sessions per second');
    lines.push('');
    lines.push('"handshake": connect, greeting, EHLO, STARTTLS, TLS handshake, QUIT. "relayed": the same plus EHLO, MAIL FROM, RCPT TO, RSET over TLS, so that every server has to reach the backend.');
    lines.push('');
    lines.push('Sessions per second are bounded by the one client process as much as by the server (they share the cores); server CPU per session, and sessions per server core-second (1,000 / that), compare the servers\' own work.');
    lines.push('');
    lines.push('| server | handshake sessions/s | server CPU ms per session | sessions per server core-second | backend connections per session | relayed sessions/s | server CPU ms per session | sessions per server core-second | backend connections per session |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const c of contenders) {
      const r = results[c.id];
      const perCore = (xs) => fmt(1000 / median(xs));
      lines.push(`| ${c.label} | ${cell(r.handshake)} | ${fmt(median(r.cpuHandshake), 2)} | ${perCore(r.cpuHandshake)} | ${fmt(median(r.backendPerSession), 2)} | ${cell(r.relayed)} | ${fmt(median(r.cpuRelayed), 2)} | ${perCore(r.cpuRelayed)} | ${fmt(median(r.backendPerRelayed), 2)} |`);
    }
    lines.push('');
    lines.push(`### Relayed throughput: ${MESSAGES} × ${fmt(MESSAGE_KB)} KiB by SMTP DATA`);
    lines.push('');
    lines.push('| path | MB/s | server CPU s per 100 MB |');
    lines.push('|---|---:|---:|');
    for (const c of contenders) lines.push(`| ${c.label}, STARTTLS | ${cell(results[c.id].throughput, 1)} | ${fmt(median(results[c.id].cpuThroughput), 2)} |`);
    lines.push(`| plain text straight to the backend (no TLS, no proxy) | ${cell(plainThroughput, 1)} | – |`);
    lines.push('');
    lines.push(`### Ratios (Gatehouse median / ${ref === 'nginx' ? 'nginx mail proxy' : 'the backend\'s own node:tls STARTTLS'} median)`);
    lines.push('');
    lines.push('| Gatehouse | handshake sessions/s | relayed sessions/s | throughput MB/s | CPU per handshake session | CPU per relayed session | CPU per 100 MB |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|');
    for (const id of ['gatehouse', 'gatehouse-w1', 'base-w1'].filter((i) => contenders.some((c) => c.id === i))) {
      lines.push(`| ${contenders.find((c) => c.id === id).label} | ${ratio(id, 'handshake')} | ${ratio(id, 'relayed')} | ${ratio(id, 'throughput')} | ${ratio(id, 'cpuHandshake')} | ${ratio(id, 'cpuRelayed')} | ${ratio(id, 'cpuThroughput')} |`);
    }
    const direct = median(plainThroughput);
    lines.push('');
    lines.push(`Throughput against plain text straight to the backend: ${contenders.map((c) => `${c.label} ${Number.isFinite(direct) && direct > 0 ? `${(median(results[c.id].throughput) / direct).toFixed(2)}×` : '–'}`).join('; ')}.`);
    const cpuOf = (id, key) => fmt(median(results[id]?.[key] ?? []), 2);
    lines.push('');
    lines.push('### Notes');
    lines.push('');
    lines.push(`- Gatehouse's listener has --host, so after its first session (and a probe of the backend's EHLO, every 5 minutes) it answers EHLO after TLS from the backend's capabilities as learned and reaches the backend at MAIL FROM, as nginx does from its smtp_capabilities: in the "handshake" load neither opens a backend connection per session; the "relayed" load makes both do it. (Before issue #12's "backend when needed", Gatehouse connected as each session started.)`);
    lines.push(`- Server CPU per session: Gatehouse --workers 1 ${cpuOf('gatehouse-w1', 'cpuHandshake')} ms (handshake) and ${cpuOf('gatehouse-w1', 'cpuRelayed')} ms (relayed); the backend's own node:tls STARTTLS, which has no second connection, no filters and no log line, ${cpuOf('node', 'cpuHandshake')} and ${cpuOf('node', 'cpuRelayed')} ms${haveNginxMail ? `; nginx ${cpuOf('nginx', 'cpuHandshake')} and ${cpuOf('nginx', 'cpuRelayed')} ms` : ''}. The difference between Gatehouse and the node:tls reference is the proxy's own work (the backend connection and its greeting, the relay filters, the session's log line), since both do the same TLS in the same runtime.`);
    lines.push(`- Throughput is bound by the round trips per message (MAIL, RCPT, DATA and the final dot each wait for an answer through the proxy) as much as by bandwidth: compare the server CPU per 100 MB as well as the rate.`);
    lines.push('');
    const section = lines.join('\n');
    process.stdout.write(`${section}\n`);
    for (const c of contenders) {
      if (results[c.id].errors.length) process.stderr.write(`\nerrors of ${c.id}:\n${results[c.id].errors.slice(0, 5).join('\n---\n')}\n`);
    }

    if (WRITE) {
      const file = join(repo, 'BENCHMARKS.md');
      const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
      const startAt = text.search(/^## Mail \(SMTP\)$/m);
      let next;
      if (startAt >= 0) {
        const after = text.slice(startAt + 1).search(/^## /m);
        next = after >= 0 ? startAt + 1 + after : text.length;
      }
      const updated = startAt >= 0 ? `${text.slice(0, startAt)}${section}\n${text.slice(next).replace(/^\n+/, '\n')}` : `${text.replace(/\n*$/, '\n\n')}${section}`;
      writeFileSync(file, updated.replace(/\n*$/, '\n'));
      log(`wrote the "## Mail (SMTP)" section of ${file}`);
    }
    backend.send('exit');
  } finally {
    cleanup();
  }
}
