// Preloaded into a `serve` under measurement (node --expose-gc --import ./bench/lib/context-probe.mjs …)
// by bench/names-memory.mjs: counts the TLS contexts made (tls.createSecureContext), how many of
// them are still alive (a FinalizationRegistry) and how many still hold their OpenSSL context
// (SSL_CTX; `getCertificate()` is null once it is closed). On SIGUSR2 it runs a full garbage
// collection and writes these counts and process.memoryUsage() as JSON to $GH_PROBE_OUT.
import tls from 'node:tls';
import { syncBuiltinESMExports } from 'node:module';
import { writeFileSync } from 'node:fs';

const live = new Set();
let made = 0;
const callers = new Map();
let finalized = 0;
const registry = new FinalizationRegistry((ref) => {
  live.delete(ref);
  finalized++;
});
const original = tls.createSecureContext;
tls.createSecureContext = function (...args) {
  const context = original.apply(this, args);
  made++;
  // Where contexts are made from (a few frames), to tell the cache's builds from anything else.
  const where = new Error().stack.split('\n').slice(2, 6).map((l) => l.trim().replace(/^at /, '').replace(/\(.*\/(dist|node_modules)\//, '(')).join(' < ');
  callers.set(where, (callers.get(where) ?? 0) + 1);
  const ref = new WeakRef(context.context);
  live.add(ref);
  registry.register(context.context, ref);
  return context;
};
syncBuiltinESMExports();

process.on('SIGUSR2', () => {
  const before = process.memoryUsage();
  globalThis.gc?.();
  setTimeout(() => {
    globalThis.gc?.();
    let alive = 0;
    let open = 0;
    for (const ref of live) {
      const c = ref.deref();
      if (!c) continue;
      alive++;
      if (c.getCertificate() !== null) open++;
    }
    writeFileSync(process.env.GH_PROBE_OUT, JSON.stringify({ made, callers: Object.fromEntries(callers), finalized, alive, open, before, after: process.memoryUsage() }));
  }, 200);
});
