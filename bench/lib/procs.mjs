// Helpers shared by the serving benchmarks (serve-bench.mjs, attack-bench.mjs): process trees read
// from /proc (CPU, memory, descriptors), starting and stopping servers, small statistics.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { connect as tcpConnect } from 'node:net';

const CLK_TCK = 100;

export const median = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Child processes: no NODE_EXTRA_CA_CERTS (node would parse that bundle at every start) and no GATEHOUSE_*. */
export const childEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_EXTRA_CA_CERTS' && !k.startsWith('GATEHOUSE_')));

export function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export function procTable() {
  const rows = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
      // rest[0] = state (field 3); ppid field 4; utime 14; stime 15
      rows.push({ pid: Number(d), ppid: Number(rest[1]), utime: Number(rest[11]), stime: Number(rest[12]) });
    } catch {
      /* gone */
    }
  }
  return rows;
}

/** The process and all its descendants (from /proc, parent links). */
export function tree(rootPid) {
  const rows = procTable();
  const kids = new Map();
  for (const r of rows) {
    if (!kids.has(r.ppid)) kids.set(r.ppid, []);
    kids.get(r.ppid).push(r);
  }
  const out = [];
  const root = rows.find((r) => r.pid === rootPid);
  if (!root) return out;
  const stack = [root];
  while (stack.length) {
    const r = stack.pop();
    out.push(r);
    for (const k of kids.get(r.pid) ?? []) stack.push(k);
  }
  return out;
}

/** CPU seconds used so far by the process tree (live processes). */
export function cpuSeconds(rootPid) {
  return tree(rootPid).reduce((a, r) => a + r.utime + r.stime, 0) / CLK_TCK;
}

/** RSS and PSS in MiB and open descriptors, summed over the process tree, and the number of processes. */
export function memory(rootPid) {
  let rss = 0;
  let pss = 0;
  let fds = 0;
  const procs = tree(rootPid);
  for (const { pid } of procs) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) rss += Number(m[1]);
      const p = /Pss:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      if (p) pss += Number(p[1]);
      fds += readdirSync(`/proc/${pid}/fd`).length;
    } catch {
      /* gone */
    }
  }
  return { rssMiB: rss / 1024, pssMiB: pss / 1024, fds, processes: procs.length };
}

export function killTree(pid, signal) {
  for (const r of tree(pid).reverse()) {
    try {
      process.kill(r.pid, signal);
    } catch {
      /* gone */
    }
  }
}

export function alive(pid) {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Resolves with the ms from `since` to the first completed handshake (bounded). */
export async function firstHandshake(port, since, limitMs = 60_000) {
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = tlsConnect({ host: '127.0.0.1', port, servername: 'site0.test', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
        s.destroy();
        resolve(true);
      });
      s.setTimeout(2000, () => {
        s.destroy();
        resolve(false);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return performance.now() - since;
    if (performance.now() - since > limitMs) throw new Error(`no handshake on port ${port} within ${limitMs} ms`);
    await sleep(10);
  }
}

/** Whether something already accepts connections on 127.0.0.1:port (another helper's server, say). */
export function portTaken(port) {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * SIGTERM to the server's main process (`s.proc`), then waits until every process of its tree is
 * gone (nginx workers and cluster workers can outlive their parent for a moment and keep the port).
 * A clean stop is noted, not waited for: after 4 s whatever is left of the tree is killed.
 * Returns { server: s.kind, clean }, or undefined when there was nothing to stop.
 */
export async function stopServer(s) {
  if (!s) return undefined;
  const pids = tree(s.proc.pid).map((r) => r.pid);
  if (pids.length === 0) return undefined;
  try {
    s.proc.kill('SIGTERM');
  } catch {
    /* gone */
  }
  const deadline = Date.now() + 4000;
  let killed = false;
  for (;;) {
    const left = pids.filter((p) => p === s.proc.pid ? s.proc.exitCode === null && s.proc.signalCode === null : alive(p));
    if (left.length === 0) break;
    if (Date.now() > deadline) {
      if (killed && Date.now() > deadline + 5000) throw new Error(`${s.kind}: processes ${left.join(' ')} survive SIGKILL`);
      if (!killed) for (const p of left) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      killed = true;
    }
    await sleep(50);
  }
  await sleep(300);
  return { server: s.kind, clean: !killed };
}

/**
 * Installs the Debian packages a bench needs (`want`, already found missing) with apt-get as root,
 * with an `apt-get update` and a second try when the first install fails; a non-root caller is
 * told what to install.
 */
export function aptInstall(want, log) {
  if (want.length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`missing ${want.join(', ')}: install them (apt-get install -y ${want.join(' ')})`);
  log(`apt-get install -y ${want.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', ...want], { stdio: 'ignore', env });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'ignore', env });
    r = spawnSync('apt-get', ['install', '-y', ...want], { stdio: 'ignore', env });
    if (r.status !== 0) throw new Error(`apt-get install ${want.join(' ')} failed`);
  }
}
