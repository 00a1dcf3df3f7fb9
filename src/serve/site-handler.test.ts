import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, Agent } from 'node:http';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { HostRouter } from '../config/host-router.js';
import type { Site } from '../model/site.js';
import { HotFiles } from './hot-files.js';
import { handleRequest, sameHostPath, type RequestView, type SiteServices } from './site-handler.js';

test('sameHostPath: a path on this host whatever the request target', () => {
  const cases: [string, string][] = [
    ['/docs', '/docs'],
    ['/a%20b/c?q=1&r=%2F', '/a%20b/c?q=1&r=%2F'],
    ['//evil.example/..%2fsub', '/evil.example/..%2fsub'],
    ['///evil.example', '/evil.example'],
    ['/\\evil.example', '/%5Cevil.example'],
    ['/\t/evil.example', '/%09/evil.example'],
    ['/caf\u00e9 x', '/caf%C3%A9%20x'],
    ['/100%', '/100%25'],
    ['http://evil.example//x?y', '/x?y'],
    ['*', '/'],
    ['evil.example', '/'],
    ['/\ud800', '/%EF%BF%BD'],
  ];
  for (const [target, want] of cases) assert.equal(sameHostPath(target), want, target);
});

/** A static site (and an http one that redirects to https) served in this process by the real handler. */
async function startSite(t: { after: (fn: () => void) => void }, hotFiles: HotFiles) {
  const root = mkdtempSync(join(tmpdir(), 'gh-site-'));
  writeFileSync(join(root, 'a.css'), 'body{}');
  mkdirSync(join(root, 'sub'));
  writeFileSync(join(root, 'sub', 'index.html'), 'sub');
  const site = (name: string, httpsRedirect: boolean): Site => ({ name, state: 'started', content: { kind: 'static', root }, httpsRedirect, hsts: false, logFormat: 'w3c', created: '' });
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const sites = [site('plain', false), site('secure', true)];
  const router = new HostRouter({
    revision: 1, sites, httpsDefault: null, chains: 0, preload: [], services: {}, mailListeners: [], acmeChallenges: [],
    bindings: [
      { site: 'plain', protocol: 'http', ip: '*', port, host: '', sni: false, certificate: null },
      { site: 'secure', protocol: 'http', ip: '*', port, host: 'secure.test', sni: false, certificate: null },
    ],
  });
  const view: RequestView = { router, sites: new Map(sites.map((s) => [s.name, s])), httpsPortOf: () => 8443 };
  const services: SiteServices = { proxy: { web: () => assert.fail('no proxy site') }, logs: { write: () => undefined }, hotFiles };
  server.on('request', (req, res) => handleRequest(view, services, 'http', port, req, res));
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  t.after(() => {
    agent.destroy();
    server.close();
  });
  /** One request with the target exactly as given (Node's client sends the path unchanged). */
  const get = (path: string, host = 'a.test') => new Promise<{ status: number; location: string | undefined; body: string }>((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', path, agent, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body }));
    });
    req.on('error', reject);
    req.end();
  });
  return { get };
}

test('10,000 distinct URLs for small files and missing ones leave the hot-file cache under its cap', async (t) => {
  const hot = new HotFiles({ maxEntries: 50 });
  const { get } = await startSite(t, hot);
  const spellings = (i: number) => [`/a.css?v=${i}`, `//a.css?${i}`, `/d${i}/../a.css`, `/sub/./x${i}/../index.html`, `/missing-${i}`];
  let served = 0;
  for (let i = 0; i < 2000; i++) {
    const answers = await Promise.all(spellings(i).map((p) => get(p)));
    for (const [j, a] of answers.entries()) {
      if (j === 4) assert.equal(a.status, 404);
      else {
        assert.equal(a.status, 200, spellings(i)[j]);
        served++;
      }
    }
  }
  assert.equal(served, 8000);
  // Let the last remember() calls finish (they read the file after the response).
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(hot.entries <= 50, `${hot.entries} entries for 10,000 URLs (cap 50)`);
  assert.ok(hot.entries >= 1, 'the canonical spelling is cached');
  assert.equal((await get('/a.css')).body, 'body{}');
});

test('the folder redirect and the https redirect never name another host', async (t) => {
  const { get } = await startSite(t, new HotFiles());
  const folder = await get('//evil.example/..%2fsub');
  assert.equal(folder.status, 301);
  assert.equal(folder.location, '/evil.example/..%2fsub/');
  assert.equal(new URL(folder.location!, 'https://a.test/').host, 'a.test');
  for (const target of ['//evil.example/..%2fsub', '/\\evil.example/../sub', '///evil.example/%2e%2e/sub']) {
    const r = await get(target);
    if (r.location !== undefined) assert.equal(new URL(r.location, 'https://a.test/').host, 'a.test', `${target} → ${r.location}`);
  }
  const secure = await get('//evil.example/x?y=1', 'secure.test');
  assert.equal(secure.status, 301);
  assert.equal(secure.location, 'https://secure.test:8443/evil.example/x?y=1');
  const secureAbsolute = await get('http://evil.example/x', 'secure.test');
  assert.equal(secureAbsolute.location, 'https://secure.test:8443/x');
});
