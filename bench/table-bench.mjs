#!/usr/bin/env node
// The one-run table of issue #12: every serving figure of Gatehouse beside nginx, a bare Node server
// and Caddy, from ONE run on this machine, alternating the servers round by round. Usage (as root:
// it installs missing Debian packages through lib/procs.mjs aptInstall):
//
//   npm run bench:table                                   # = npm run build && node bench/table-bench.mjs (≤ 35 min on 2 cores)
//   node bench/table-bench.mjs --out FILE --json FILE     # the Markdown table also to FILE (default: a temp file), raw runs as JSON
//   node bench/table-bench.mjs --json                     # JSON on stdout instead of the Markdown table
//   BENCH_RUNS=1 BENCH_SECONDS=3 BENCH_CERTS=100 BENCH_10K=300 node bench/table-bench.mjs   # smoke run, a few minutes
//
// Environment: BENCH_RUNS (3 rounds), BENCH_SECONDS (6 s measured per load), BENCH_WARM (2 s before),
// BENCH_CERTS (1000: the SNI configuration), BENCH_10K (10000: the memory configuration; 0 leaves it out),
// BENCH_SESSIONS (2000 mail sessions per run), BENCH_MESSAGES (100 × 1 MiB relayed per run),
// BENCH_SERVERS (gatehouse,gatehouse-w1,node,nginx,caddy: only these, in this order),
// BENCH_PORT (18643: the HTTPS port of every server, one at a time; the mail servers on + 1).
//
// Method (see bench/README.md, "The one-run table"):
// - the same files for every server: a CA, BENCH_10K ECDSA P-256 leaves site0.test … (the first
//   BENCH_CERTS of them are the SNI configuration) and an RSA-2048 leaf for site0.test, made with
//   openssl (lib/serving.mjs); Gatehouse imports them through the core (one site and SNI binding per
//   name), nginx and Caddy read them from disk (one server block / site per name, an access log per
//   site), the bare Node server (lib/bare-server.mjs) builds a context for each at start;
// - servers: Gatehouse `serve` (its default workers), `serve --workers 1`, bare node:http2
//   (allowHTTP1, one process), nginx (2 workers), Caddy (GOMAXPROCS = cores); each configuration's
//   servers in turn, a different one first each round;
// - loads (lib/serving.mjs): hsclient full TLS 1.3 handshakes (ECDSA, RSA, SNI over BENCH_CERTS names
//   fresh after start and warm), resumed TLS 1.3 handshakes (hsclient built with a patch that offers
//   each connection's previous ticket; h2load's own reconnects stall at the end of a run against
//   Node servers and speak TLS 1.2 only), h2load --h1 keep-alive and h2load -m 10 HTTP/2, 50
//   connections, one client thread; mail (lib/mail.mjs): STARTTLS sessions and 1 MiB messages relayed through
//   Gatehouse and nginx's mail proxy to one SMTP sink;
// - figures: work per server core-second (the server's whole process tree's utime+stime from
//   /proc over the measured window), its ratio to nginx, and the absolute rate; medians of the rounds;
//   RSS and PSS summed over the server's processes after the loads (1 and BENCH_CERTS certificates)
//   and after one SNI run over BENCH_10K names (one round).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { X509Certificate } from 'node:crypto';
import { aptInstall, childEnv, cpuSeconds, firstHandshake, have, killTree, median, memory, portTaken, sleep, stopServer, tree } from './lib/procs.mjs';
import { NGINX, buildHsclient, distStamp, h2Load, hsLoad, machine, makeCertificates, missingServingPackages, nginxConfig, seedGatehouse, writeIndex } from './lib/serving.mjs';
import { gatehouseMailStore, greets, mailClient, nginxMail, nginxMailConfig, startBackend } from './lib/mail.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const GH_BIN = join(repo, 'bin', 'gatehouse');
const BARE = join(repo, 'bench', 'lib', 'bare-server.mjs');
const KIT = process.env.BENCH_KIT ?? '/work/shared/bench-kit';
const args = process.argv.slice(2);
const argValue = (flag) => {
  const i = args.indexOf(flag);
  return i >= 0 && args[i + 1] && !args[i + 1].startsWith('--') ? args[i + 1] : undefined;
};
const JSON_FILE = argValue('--json');
const JSON_STDOUT = args.includes('--json') && JSON_FILE === undefined;
const OUT = argValue('--out') ?? join(tmpdir(), 'gatehouse-bench-table.md');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECS = Number(process.env.BENCH_SECONDS ?? 6);
const WARM = Number(process.env.BENCH_WARM ?? 2);
const NAMES = Number(process.env.BENCH_CERTS ?? 1000);
const TENK = Math.max(Number(process.env.BENCH_10K ?? 10000), 0);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 2000);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100);
const PORT = Number(process.env.BENCH_PORT ?? 18643);
const MAIL_PORT = PORT + 1;
const CONNS = 50;
const LOAD = { warm: WARM, secs: SECS, conns: CONNS };

const t0 = Date.now();
const log = (s) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${s}\n`);
const live = new Set();
const killAll = () => {
  for (const p of live) killTree(p.pid, 'SIGKILL');
};
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => {
  killAll();
  process.exit(130);
});

// ---------------------------------------------------------------------------------------------
// Servers

const LABEL = {
  gatehouse: 'Gatehouse (default)',
  'gatehouse-w1': 'Gatehouse `--workers 1`',
  node: 'bare Node `http2` (allowHTTP1, 1 process)',
  nginx: 'nginx (2 workers)',
  caddy: 'Caddy',
};

function ensurePackages(wantCaddy) {
  const want = missingServingPackages();
  if (wantCaddy && !have('caddy')) want.push('caddy');
  try {
    aptInstall(want, log);
  } catch (e) {
    if (want.some((p) => p !== 'caddy')) throw e;
    log(`${e.message}: Caddy is left out`);
  }
}

/** Caddy: the same files and root, one site (and access log) per name; no admin endpoint, no redirects, no HTTP/3. */
function caddyConfig(dir, certs, root) {
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const sites = certs.map((c, i) => `https://${c.name}:${PORT}${i === 0 ? `, https://127.0.0.1:${PORT}` : ''} {
  tls ${c.pem} ${c.key}
  root * ${root}
  file_server
  log {
    output file ${join(dir, 'logs', `S${i}.log`)}
  }
}`).join('\n');
  const file = join(dir, 'Caddyfile');
  writeFileSync(file, `# generated by bench/table-bench.mjs
{
  admin off
  auto_https disable_redirects
  skip_install_trust
  default_sni ${certs[0].name}
  storage file_system ${join(dir, 'data')}
  servers {
    protocols h1 h2
  }
}
${sites}
`);
  return file;
}

/** Everything one configuration needs for every server (`seeded`: the Gatehouse store is already there). */
async function configuration(tmp, name, certs, root, seeded) {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  seeded ??= await seedGatehouse(repo, join(dir, 'gh'), certs, root, PORT, 'table-bench');
  const bare = join(dir, 'bare.json');
  writeFileSync(bare, JSON.stringify({ port: PORT, root, certs }));
  const cfg = { name, certs: certs.length, dataDir: join(dir, 'gh'), nginxConf: nginxConfig(join(dir, 'nginx'), certs, root, PORT, 'bench/table-bench.mjs'), bare, caddyfile: caddyConfig(join(dir, 'caddy'), certs, root) };
  log(`${name}: ${certs.length} certificate(s); Gatehouse store seeded in ${(seeded.totalMs / 1000).toFixed(1)} s; nginx, Caddy and bare Node configs written`);
  return cfg;
}

async function startServer(kind, cfg) {
  let cmd;
  let argv;
  let env = childEnv;
  if (kind === 'gatehouse' || kind === 'gatehouse-w1') {
    cmd = GH_BIN; // a sh wrapper that execs Node 24: the PID stays the server's
    argv = ['serve', '--data', cfg.dataDir, '--admin', 'off', ...(kind === 'gatehouse-w1' ? ['--workers', '1'] : [])];
  } else if (kind === 'node') {
    cmd = process.execPath;
    argv = [BARE, cfg.bare];
  } else if (kind === 'nginx') {
    cmd = NGINX();
    argv = ['-c', cfg.nginxConf, '-e', join(dirname(cfg.nginxConf), 'error.log')];
  } else {
    cmd = 'caddy';
    argv = ['run', '--config', cfg.caddyfile, '--adapter', 'caddyfile'];
    const home = join(dirname(cfg.caddyfile), 'home');
    env = { ...childEnv, HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_CONFIG_HOME: join(home, 'config') };
  }
  const since = performance.now();
  const proc = spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  let out = '';
  proc.stdout.on('data', (d) => (out = (out + d).slice(-20_000)));
  proc.stderr.on('data', (d) => (out = (out + d).slice(-20_000)));
  proc.on('exit', () => live.delete(proc));
  const exited = new Promise((_, reject) => proc.on('exit', (code, sig) => reject(new Error(`${kind} exited early (${sig ?? code}): ${out.slice(-2000)}`))));
  const firstMs = await Promise.race([firstHandshake(PORT, since, 180_000), exited]);
  await settle(proc.pid);
  return { kind, proc, port: PORT, firstMs, output: () => out };
}

/** Waits until the server's process tree has had the same size for 1 s (workers started; at most 15 s), then 1 s more. */
async function settle(pid) {
  const until = Date.now() + 15_000;
  let size = tree(pid).length;
  let stableSince = Date.now();
  while (Date.now() < until && Date.now() - stableSince < 1000) {
    await sleep(100);
    const now = tree(pid).length;
    if (now !== size) {
      size = now;
      stableSince = Date.now();
    }
  }
  await sleep(1000);
}

/**
 * The large memory configuration: `n` certificates seeded by seed-store.mjs (its fast path: one
 * shared leaf key, rows inserted in batches; importing 10,000 files one by one takes 10+ minutes
 * here), a site and SNI binding each by seed-sites.mjs (one change), and the same certificates and
 * key written out as files for nginx, Caddy and bare Node.
 */
async function largeConfiguration(tmp, name, n, root) {
  const dir = join(tmp, name);
  const dataDir = join(dir, 'gh');
  mkdirSync(join(dir, 'certs'), { recursive: true });
  const started = Date.now();
  const script = (file, argv) => new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(repo, 'bench', file), ...argv], { env: { ...childEnv, SEED_WILDCARDS: '0' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${file}: exit ${code}: ${err}`))));
  });
  await script('seed-store.mjs', [dataDir, String(n)]);
  await script('seed-sites.mjs', [dataDir, String(PORT), root]);
  const { openStore } = await import(pathToFileURL(join(repo, 'dist', 'src', 'lifecycle', 'open-store.js')).href);
  const store = openStore({ dataDir, actor: { name: 'table-bench', origin: 'system' } });
  const certs = [];
  try {
    const rows = store.certificates.list().filter((r) => /^site\d+\.test$/.test(r.sans[0] ?? ''));
    rows.sort((a, b) => Number(a.sans[0].slice(4, -5)) - Number(b.sans[0].slice(4, -5)));
    const key = join(dir, 'certs', 'shared.key');
    writeFileSync(key, store.keys.load(rows[0].keyId).export({ type: 'pkcs8', format: 'pem' }));
    for (const r of rows) {
      const pem = join(dir, 'certs', `${r.sans[0]}.pem`);
      writeFileSync(pem, new X509Certificate(store.certificates.der(r.thumbprint).der).toString());
      certs.push({ name: r.sans[0], pem, key });
    }
  } finally {
    store.close();
  }
  return configuration(tmp, name, certs, root, { totalMs: Date.now() - started });
}

// ---------------------------------------------------------------------------------------------
// The run

const HTTP_STEPS = (hsclient, hsclientResume) => [
  { config: 'ecdsa1', loads: [['ecdsa', (s) => hsLoad(hsclient, s, ['-s', 'site0.test'], LOAD)], ['resumed', (s) => hsLoad(hsclientResume, s, ['-s', 'site0.test'], LOAD)], ['h1', (s) => h2Load(s, 'h1', LOAD)], ['h2', (s) => h2Load(s, 'h2', LOAD)]], mem: 'mem1' },
  { config: 'rsa1', loads: [['rsa', (s) => hsLoad(hsclient, s, ['-s', 'site0.test'], LOAD)]] },
  // The first SNI run on a fresh server includes whatever it builds on first use; the second is the steady state.
  { config: 'sni', loads: [['sni', (s) => hsLoad(hsclient, s, ['-r', String(NAMES)], LOAD)], ['sniwarm', (s) => hsLoad(hsclient, s, ['-r', String(NAMES)], LOAD)]], mem: 'memN' },
];

function summary(r) {
  const bad = [r.errors && `errors ${r.errors}`, r.mismatch && `MISMATCH ${r.mismatch}`, r.failed && `failed ${r.failed}`, r.non2xx && `non-2xx ${r.non2xx}`].filter(Boolean);
  return `${Math.round(r.rate)}/s, ${r.cpuPerSec.toFixed(2)} cores → ${Math.round(r.perCore)}/core-s${bad.length ? `, ${bad.join(', ')}` : ''}`;
}

async function mailRound(round, ctx, results, order) {
  const { client, backend, mailData, nginxMailConf } = ctx;
  for (const kind of order.filter((k) => k === 'gatehouse' || k === 'gatehouse-w1' || (k === 'nginx' && nginxMailConf))) {
    let server;
    try {
      const proc = kind === 'nginx'
        ? spawn(NGINX(), ['-c', nginxMailConf, '-e', join(dirname(nginxMailConf), 'error.log')], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn(GH_BIN, ['serve', '--data', mailData, '--admin', 'off', ...(kind === 'gatehouse-w1' ? ['--workers', '1'] : [])], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      live.add(proc);
      proc.on('exit', () => live.delete(proc));
      let out = '';
      proc.stdout.on('data', (d) => (out = (out + d).slice(-5000)));
      proc.stderr.on('data', (d) => (out = (out + d).slice(-5000)));
      server = { kind, proc };
      const since = Date.now();
      while (!(await greets(MAIL_PORT))) {
        if (proc.exitCode !== null || Date.now() - since > 60_000) throw new Error(`${kind} did not greet on ${MAIL_PORT}: ${out}`);
        await sleep(50);
      }
      await settle(proc.pid);
      await client.sessions(MAIL_PORT, Math.min(200, SESSIONS), 32); // warm-up
      const c0 = cpuSeconds(proc.pid);
      const s = await client.sessions(MAIL_PORT, SESSIONS, 32);
      const cpuS = cpuSeconds(proc.pid) - c0;
      results.runs.push({ config: 'mail', load: 'mail', server: kind, round, rate: s.rate, cpu: cpuS, perCore: cpuS > 0 ? s.ok / cpuS : NaN, errors: s.errors.length, load1: loadavg()[0] });
      const c1 = cpuSeconds(proc.pid);
      const tp = await client.throughput(MAIL_PORT, true);
      const cpuT = cpuSeconds(proc.pid) - c1;
      results.runs.push({ config: 'mail', load: 'mailmb', server: kind, round, rate: tp.mbps, cpu: cpuT, perCore: cpuT > 0 ? tp.bytes / 1e6 / cpuT : NaN, errors: 0, load1: loadavg()[0] });
      log(`mail ${kind} round ${round}: ${Math.round(s.rate)} sessions/s (${s.ok}/${SESSIONS} ok), ${Math.round(s.ok / cpuS)}/core-s; relayed ${tp.mbps.toFixed(1)} MB/s, ${(tp.bytes / 1e6 / cpuT).toFixed(0)} MB/core-s`);
    } catch (e) {
      results.failures.push(`mail ${kind} round ${round}: ${oneLine(e)}`);
      log(`mail ${kind} round ${round} failed: ${e.message.slice(0, 300)}`);
    } finally {
      await stopServer(server);
    }
  }
  void backend;
}

async function main() {
  if (!existsSync(join(repo, 'dist', 'src', 'cli', 'entry.js'))) throw new Error('dist/ is missing: run "npm run build" first');
  const wanted = process.env.BENCH_SERVERS?.split(',') ?? ['gatehouse', 'gatehouse-w1', 'node', 'nginx', 'caddy'];
  for (const w of wanted) if (!LABEL[w]) throw new Error(`BENCH_SERVERS: no server ${w} (${Object.keys(LABEL).join(', ')})`);
  ensurePackages(wanted.includes('caddy'));
  const servers = wanted.filter((s) => s !== 'caddy' || have('caddy'));
  for (const port of [PORT, MAIL_PORT]) {
    if (await portTaken(port)) throw new Error(`127.0.0.1:${port} is already in use by another process: stop it, or choose other ports with BENCH_PORT=N (N and N + 1)`);
  }
  const tmp = mkdtempSync(join(tmpdir(), 'gh-table-bench-'));
  const results = {
    machine: { ...machine(repo), caddy: have('caddy') ? (await output('caddy', ['version'])).split(' ')[0] : null },
    settings: { RUNS, SECS, WARM, NAMES, TENK, SESSIONS, MESSAGES, CONNS, servers },
    runs: [], memory: [], failures: [],
  };
  const stamp = distStamp(repo);
  try {
    const hsclient = buildHsclient(tmp, KIT);
    const hsclientResume = buildHsclient(tmp, KIT, { resume: true });
    const root = join(tmp, 'www');
    writeIndex(root);
    let t = Date.now();
    const certs = await makeCertificates(tmp, NAMES, { fast: true });
    log(`certificates: CA, ${NAMES} ECDSA P-256 leaves and one RSA-2048 leaf in ${((Date.now() - t) / 1000).toFixed(0)} s`);
    const configs = {
      ecdsa1: await configuration(tmp, 'ecdsa1', [certs.ecdsa[0]], root),
      rsa1: await configuration(tmp, 'rsa1', [certs.rsa], root),
      sni: await configuration(tmp, 'sni', certs.ecdsa.slice(0, NAMES), root),
    };

    // Mail: one SMTP sink, Gatehouse's SMTP listener (its own store) and nginx's mail proxy in front of it.
    const mail = nginxMail(log);
    const mailCert = certs.ecdsa[0];
    const { backend, ports } = await startBackend({ cert: mailCert.pem, key: mailCert.key }, live);
    const mailData = join(tmp, 'mail', 'gh');
    mkdirSync(mailData, { recursive: true });
    gatehouseMailStore(GH_BIN, mailData, { cert: mailCert.pem, key: mailCert.key, port: MAIL_PORT, backendPort: ports.smtpPort });
    const nginxMailConf = mail.have ? nginxMailConfig(join(tmp, 'mail'), { cert: mailCert.pem, key: mailCert.key, authPort: ports.authPort, port: MAIL_PORT, mail }) : null;
    results.machine.nginxMail = mail.have ? mail.version : null;
    const mailCtx = { client: mailClient({ messages: MESSAGES, messageKb: 1024, streams: 4 }), backend, mailData, nginxMailConf };

    const steps = HTTP_STEPS(hsclient, hsclientResume);
    for (let round = 1; round <= RUNS; round++) {
      // A different server first each round.
      const order = servers.map((_, i) => servers[(i + round - 1) % servers.length]);
      for (const step of steps) {
        for (const kind of order) {
          let server;
          try {
            server = await startServer(kind, configs[step.config]);
            for (const [load, fn] of step.loads) {
              const r = await fn(server);
              results.runs.push({ config: step.config, load, server: kind, round, load1: loadavg()[0], ...r });
              log(`${step.config} ${load.padEnd(7)} ${kind.padEnd(12)} round ${round}: ${summary(r)}`);
            }
            if (step.mem) {
              const m = memory(server.proc.pid);
              results.memory.push({ config: step.mem, server: kind, round, ...m, firstMs: server.firstMs });
              log(`${step.config} ${kind} round ${round}: RSS ${m.rssMiB.toFixed(1)} MiB, PSS ${m.pssMiB.toFixed(1)} MiB, ${m.processes} process(es)`);
            }
          } catch (e) {
            results.failures.push(`${step.config} ${kind} round ${round}: ${oneLine(e)}`);
            log(`${step.config} ${kind} round ${round} failed: ${e.message.slice(0, 300)}`);
          } finally {
            await stopServer(server);
          }
        }
      }
      await mailRound(round, mailCtx, results, order);
    }

    // Memory with BENCH_10K certificates: one round (after an SNI run over every name).
    if (TENK > 0) {
      t = Date.now();
      const tenk = await largeConfiguration(tmp, 'tenk', TENK, root);
      log(`tenk: set up in ${((Date.now() - t) / 1000).toFixed(0)} s`);
      // Caddy 2.6 did not serve within 3 minutes with 10,000 sites on this machine: left out here (its cells say "—").
      for (const kind of servers.filter((k) => k !== 'caddy')) {
        let server;
        try {
          server = await startServer(kind, tenk);
          const r = await hsLoad(hsclient, server, ['-r', String(TENK)], LOAD);
          results.runs.push({ config: 'tenk', load: 'sni10k', server: kind, round: 1, load1: loadavg()[0], ...r });
          const m = memory(server.proc.pid);
          results.memory.push({ config: 'memK', server: kind, round: 1, ...m, firstMs: server.firstMs });
          log(`tenk ${kind}: start → first handshake ${Math.round(server.firstMs)} ms; SNI ${summary(r)}; RSS ${m.rssMiB.toFixed(0)} MiB, PSS ${m.pssMiB.toFixed(0)} MiB`);
        } catch (e) {
          results.failures.push(`tenk ${kind}: ${oneLine(e)}`);
          log(`tenk ${kind} failed: ${e.message.slice(0, 300)}`);
        } finally {
          await stopServer(server);
        }
      }
    }
    results.machine.loadEnd = loadavg().map((x) => x.toFixed(2)).join(' ');
    results.machine.distChanged = distStamp(repo) !== stamp;
    results.machine.elapsedS = Math.round((Date.now() - t0) / 1000);
    const md = report(results);
    writeFileSync(OUT, md);
    log(`the table is in ${OUT}`);
    if (JSON_FILE) writeFileSync(JSON_FILE, JSON.stringify(results, null, 2));
    process.stdout.write(JSON_STDOUT ? `${JSON.stringify(results, null, 2)}\n` : md);
  } finally {
    killAll();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** An error as one short line for the report (a server's output can follow its message). */
const oneLine = (e) => e.message.replace(/\s+/g, ' ').slice(0, 300);

function output(cmd, argv) {
  return new Promise((resolve) => {
    const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', () => resolve(out.trim()));
    p.on('error', () => resolve('?'));
  });
}

// ---------------------------------------------------------------------------------------------
// Report

const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '–');

const COLUMNS = [
  ['ecdsa', 'ECDSA full handshakes', 'hs'],
  ['rsa', 'RSA-2048 full handshakes', 'hs'],
  ['sni', 'SNI over N names, fresh', 'hs'],
  ['sniwarm', 'SNI over N names, warm', 'hs'],
  ['resumed', 'resumed handshakes', 'hs'],
  ['h1', 'HTTP/1.1 keep-alive', 'req'],
  ['h2', 'HTTP/2', 'req'],
  ['mail', 'mail STARTTLS sessions', 'sessions'],
  ['mailmb', 'mail relayed MB', 'MB'],
];

/** Every figure the report and the targets use: medians per server and column. */
function figures(res) {
  const f = {};
  for (const s of res.settings.servers) {
    f[s] = {};
    for (const [load] of COLUMNS) {
      const rs = res.runs.filter((r) => r.server === s && r.load === load);
      f[s][load] = rs.length ? { perCore: median(rs.map((r) => r.perCore)), rate: median(rs.map((r) => r.rate)), n: rs.length } : undefined;
    }
    for (const mem of ['mem1', 'memN', 'memK']) {
      const ms = res.memory.filter((m) => m.server === s && m.config === mem);
      f[s][mem] = ms.length ? { rss: median(ms.map((m) => m.rssMiB)), pss: median(ms.map((m) => m.pssMiB)), processes: ms[0].processes } : undefined;
    }
  }
  return f;
}

/** The targets of issue #12 for Gatehouse's default configuration: [column, text, met (true/false/undefined)]. */
function targets(f) {
  const g = f.gatehouse ?? {};
  const ratio = (load, other) => g[load]?.perCore / f[other]?.[load]?.perCore;
  const at = (x, min) => (Number.isFinite(x) ? x >= min : undefined);
  const out = [];
  for (const [load, title] of COLUMNS) {
    if (f.node?.[load]) out.push([load, `${title} ≥ bare Node per core-s (${fmt(ratio(load, 'node'), 2)}×)`, at(ratio(load, 'node'), 1)]);
  }
  out.push(['ecdsa', `ECDSA ≥ 0.9× nginx (${fmt(ratio('ecdsa', 'nginx'), 2)}×)`, at(ratio('ecdsa', 'nginx'), 0.9)]);
  out.push(['h1', `HTTP/1.1 ≥ 0.7× nginx (${fmt(ratio('h1', 'nginx'), 2)}×)`, at(ratio('h1', 'nginx'), 0.7)]);
  out.push(['h2', `HTTP/2 ≥ 0.5× nginx (${fmt(ratio('h2', 'nginx'), 2)}×)`, at(ratio('h2', 'nginx'), 0.5)]);
  if (f.caddy?.h2) out.push(['h2', `HTTP/2 > Caddy (${fmt(ratio('h2', 'caddy'), 2)}×)`, Number.isFinite(ratio('h2', 'caddy')) ? ratio('h2', 'caddy') > 1 : undefined]);
  out.push(['resumed', `resumed ≥ 0.8× nginx (${fmt(ratio('resumed', 'nginx'), 2)}×)`, at(ratio('resumed', 'nginx'), 0.8)]);
  out.push(['mail', `mail sessions ≥ 0.9× nginx (${fmt(ratio('mail', 'nginx'), 2)}×)`, at(ratio('mail', 'nginx'), 0.9)]);
  const pss = g.memN?.pss / f.nginx?.memN?.pss;
  out.push(['memN', `memory (PSS) with N certificates ≤ nginx (${fmt(pss, 2)}×)`, Number.isFinite(pss) ? pss <= 1 : undefined]);
  return out;
}

function report(res) {
  const { machine: m, settings: st } = res;
  const f = figures(res);
  const names = (t) => t.replace('N names', `${fmt(st.NAMES)} names`).replace('N certificates', `${fmt(st.NAMES)} certificates`);
  const tg = targets(f);
  const mark = (col) => {
    const ts = tg.filter(([c]) => c === col && c !== undefined);
    if (ts.length === 0) return '';
    if (ts.some(([, , ok]) => ok === false)) return ' ✘';
    return ts.every(([, , ok]) => ok === true) ? ' ✔' : ' ?';
  };
  const nginx = f.nginx ?? {};
  const cell = (s, load, unit) => {
    const x = f[s]?.[load];
    if (!x) return '—';
    const r = s !== 'nginx' && nginx[load] ? ` (${fmt(x.perCore / nginx[load].perCore, 2)}×)` : '';
    return `**${fmt(x.perCore)}**${r}<br>${fmt(x.rate, unit === 'MB' ? 1 : 0)}${unit === 'MB' ? ' MB' : ''}/s`;
  };
  const memCell = (s, mem) => {
    const x = f[s]?.[mem];
    if (!x) return '—';
    const r = s !== 'nginx' && nginx[mem] ? ` (${fmt(x.pss / nginx[mem].pss, 2)}×)` : '';
    return `${fmt(x.rss)} / **${fmt(x.pss)}**${r}`;
  };
  let md = `### Machine and run\n\n`;
  md += `- ${m.date} ${m.time} UTC; Gatehouse at ${m.commit}; Node ${m.node} (OpenSSL ${m.nodeOpenssl}); ${m.cpu}, nproc ${m.nproc}, ${m.memGiB} GiB, Linux ${m.kernel}\n`;
  md += `- 1-minute load average at the start ${m.load.split(' ')[0]}, at the end ${m.loadEnd?.split(' ')[0]} (1/5/15 min: ${m.load} → ${m.loadEnd}); client and servers share the cores\n`;
  md += `- nginx ${m.nginx}${m.nginxMail ? ' (mail: libnginx-mod-mail)' : ''}; Caddy ${m.caddy ?? 'not installed'}; ${m.h2load}; hsclient (bench-kit) built with gcc ${m.gcc}; ${m.openssl}\n`;
  md += `- \`bench/table-bench.mjs\`: ${st.RUNS} round(s), servers alternating (a different one first each round), ${st.SECS} s measured after ${st.WARM} s warm-up per load, ${st.CONNS} connections, one client thread; medians; ${fmt(st.SESSIONS)} mail sessions and ${st.MESSAGES} × 1 MiB messages per run; whole run ${Math.round(m.elapsedS / 60)} min\n`;
  if (m.distChanged) md += `\n**WARNING: dist/ was rebuilt during this run: the Gatehouse figures mix two versions of the code. Run again.**\n`;
  md += `\nEach cell: **work per server core-second** (server CPU = utime+stime of all its processes over the measured window), its ratio to nginx in brackets, and the absolute rate below. Memory: RSS / **PSS** in MiB summed over all the server's processes after the loads, ratio of PSS to nginx's.\n\n`;
  const heads = [...COLUMNS.map(([load, title]) => `${names(title)}${mark(load)}`), `memory, 1 certificate`, `memory, ${fmt(st.NAMES)} certificates${mark('memN')}`, ...(st.TENK > 0 ? [`memory, ${fmt(st.TENK)} certificates`] : [])];
  md += `| server | ${heads.join(' | ')} |\n|---|${heads.map(() => '---:').join('|')}|\n`;
  for (const s of st.servers) {
    md += `| ${LABEL[s]} | ${COLUMNS.map(([load, , unit]) => cell(s, load, unit)).join(' | ')} | ${memCell(s, 'mem1')} | ${memCell(s, 'memN')} |${st.TENK > 0 ? ` ${memCell(s, 'memK')} |` : ''}\n`;
  }
  md += `\nTargets (Gatehouse default; ✔ met, ✘ missed, per server core-second): ${tg.map(([, text, ok]) => `${ok === true ? '✔' : ok === false ? '✘' : '?'} ${names(text)}`).join('; ')}.\n`;
  const procs = st.servers.map((s) => `${LABEL[s]} ${f[s]?.mem1?.processes ?? '?'}`).join(', ');
  md += `\nProcesses: ${procs}. `;
  const tenk = res.runs.filter((r) => r.load === 'sni10k');
  if (tenk.length) md += `SNI over ${fmt(st.TENK)} names (one run, before the ${fmt(st.TENK)}-certificate memory): ${tenk.map((r) => `${LABEL[r.server]} ${fmt(r.perCore)}/core-s, ${fmt(r.rate)}/s`).join('; ')}. `;
  const starts = res.memory.filter((x) => x.config === 'memK');
  if (starts.length) md += `Spawn → first handshake with ${fmt(st.TENK)} certificates: ${starts.map((x) => `${LABEL[x.server]} ${fmt(x.firstMs / 1000, 1)} s`).join('; ')}. `;
  if (st.TENK > 0 && st.servers.includes('caddy')) md += `Caddy is not run with ${fmt(st.TENK)} certificates (2.6 had not served its first handshake after 3 minutes with 10,000 sites here). `;
  if (st.TENK > 0) md += `The ${fmt(st.TENK)} certificates come from bench/seed-store.mjs (one ECDSA P-256 leaf key shared by all of them; every server still loads it with each certificate), one round only. `;
  const bad = res.runs.filter((r) => r.errors > 0 || r.mismatch > 0 || r.failed > 0 || r.non2xx > 0);
  md += `\n\nChecks: ${res.runs.length} runs; ${bad.length === 0 ? 'no errors, failed requests, non-2xx answers or SNI mismatches' : bad.map((r) => `${r.server} ${r.load} round ${r.round}: errors=${r.errors ?? 0} mismatch=${r.mismatch ?? 0} failed=${r.failed ?? 0} non2xx=${r.non2xx ?? 0}`).join('; ')}`;
  const lost = res.runs.filter((r) => !Number.isFinite(r.rate));
  if (lost.length) md += `; **no result** (the client did not finish in time; left out of the medians): ${lost.map((r) => `${r.server} ${r.load} round ${r.round}`).join(', ')}`;
  md += res.failures.length ? `; **failures**: ${res.failures.join('; ')}.\n` : '.\n';
  const tls = [...new Set(res.runs.filter((r) => r.tls).map((r) => `${r.load} ${r.tls}/${r.proto}`))];
  const share = st.servers.map((s) => {
    const rs = res.runs.filter((r) => r.server === s && r.load === 'resumed' && r.handshakes > 0);
    return `${LABEL[s]} ${rs.length ? fmt((100 * rs.reduce((a, r) => a + r.resumed, 0)) / rs.reduce((a, r) => a + r.handshakes, 0)) : '–'} %`;
  }).join(', ');
  md += `Handshakes: hsclient (bench-kit), TLS 1.3, one \`GET /\` per connection; full ones never offer a session; for "resumed" each connection offers the ticket of its previous one (hsclient built with lib/serving.mjs's resumption patch) — share of them the server actually resumed: ${share}. h2load negotiated: ${tls.join(', ')} (h2load offers no SNI to an IP address: every server answers with its default certificate).\n`;
  return md;
}

try {
  await main();
} catch (e) {
  killAll();
  process.stderr.write(`table-bench: ${e.stack ?? e}\n`);
  process.exitCode = 1;
}
