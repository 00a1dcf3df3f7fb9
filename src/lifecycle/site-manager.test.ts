import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { START, fixture, refused, refusedUnchanged, selfSigned, storeState } from './managers.test-support.js';

const PROXY = 'http://127.0.0.1:8080';

/** A folder of static files the test removes afterwards. */
function webRoot(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'gh-sites-'));
  mkdirSync(join(dir, 'www'));
  writeFileSync(join(dir, 'www', 'index.html'), 'hello');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('add: a proxy site is started, with the defaults, in one audited change', async (t) => {
  const { g } = fixture(t);
  const revision = g.serving.revision();
  const s = g.sites.add({ name: ' Contoso ', proxy: 'http://127.0.0.1:8080/' });
  assert.deepEqual(s, { name: 'Contoso', state: 'started', content: { kind: 'proxy', upstream: 'http://127.0.0.1:8080' }, httpsRedirect: false, hsts: false, logFormat: 'w3c', created: START, bindings: [] });
  assert.equal(g.sites.add({ name: 'B', proxy: 'https://app.internal:8443/base' }).content.kind, 'proxy');
  assert.deepEqual(g.sites.show('B').content, { kind: 'proxy', upstream: 'https://app.internal:8443/base' });
  assert.equal(g.serving.revision(), revision + 2);
  assert.deepEqual([g.audit().at(-1)!.action, g.audit().at(-1)!.target], ['site.add', 'B']);
  assert.deepEqual(g.sites.list().map((x) => x.name), ['B', 'Contoso']);
});

test('add: a static root is resolved against the working directory', async (t) => {
  const dir = webRoot(t);
  const { g } = fixture(t, { cwd: dir });
  assert.deepEqual(g.sites.add({ name: 'www', root: 'www' }).content, { kind: 'static', root: join(dir, 'www') });
  assert.deepEqual(g.sites.add({ name: 'abs', root: join(dir, 'www'), logFormat: 'Combined', hsts: true }).logFormat, 'combined');
});

test('add refuses bad names, content and options, and duplicates — and writes nothing', async (t) => {
  const dir = webRoot(t);
  const { g } = fixture(t, { cwd: dir });
  g.sites.add({ name: 'A', proxy: PROXY });
  await refusedUnchanged(g, 'GH_SITE_EXISTS', () => g.sites.add({ name: 'A', proxy: PROXY }));
  await refusedUnchanged(g, 'GH_SITE_NAME_INVALID', () => g.sites.add({ name: '-A', proxy: PROXY }));
  await refusedUnchanged(g, 'GH_SITE_NAME_INVALID', () => g.sites.add({ name: 'a/b', proxy: PROXY }));
  await refusedUnchanged(g, 'GH_SITE_NAME_INVALID', () => g.sites.add({ name: 'x'.repeat(65), proxy: PROXY }));
  await refusedUnchanged(g, 'GH_USAGE', () => g.sites.add({ name: 'B' }));
  await refusedUnchanged(g, 'GH_USAGE', () => g.sites.add({ name: 'B', root: 'www', proxy: PROXY }));
  await refusedUnchanged(g, 'GH_USAGE', () => g.sites.add({ name: 'B', proxy: PROXY, logFormat: 'iis' }));
  await refusedUnchanged(g, 'GH_SITE_CONTENT_INVALID', () => g.sites.add({ name: 'B', root: 'missing' }));
  await refusedUnchanged(g, 'GH_SITE_CONTENT_INVALID', () => g.sites.add({ name: 'B', root: join(dir, 'www', 'index.html') }));
  await refusedUnchanged(g, 'GH_SITE_CONTENT_INVALID', () => g.sites.add({ name: 'B', proxy: 'not a url' }));
  await refusedUnchanged(g, 'GH_SITE_CONTENT_INVALID', () => g.sites.add({ name: 'B', proxy: 'ftp://127.0.0.1/' }));
});

test('set changes only what is given; a change to nothing writes nothing', async (t) => {
  const { g } = fixture(t);
  g.sites.add({ name: 'A', proxy: PROXY });
  const revision = g.serving.revision();
  const s = g.sites.set({ name: 'A', hsts: true });
  assert.deepEqual([s.hsts, s.httpsRedirect, s.content], [true, false, { kind: 'proxy', upstream: PROXY }]);
  assert.equal(g.serving.revision(), revision + 1);
  assert.equal(g.audit().at(-1)!.action, 'site.set');
  const before = storeState(g);
  g.sites.set({ name: 'A', hsts: true, proxy: `${PROXY}/` });
  assert.deepEqual(storeState(g), before);
  await refusedUnchanged(g, 'GH_SITE_NOT_FOUND', () => g.sites.set({ name: 'B', hsts: true }));
  await refusedUnchanged(g, 'GH_SITE_CONTENT_INVALID', () => g.sites.set({ name: 'A', proxy: 'gopher://x/' }));
});

test('stop and start: each change once, a repeat writes nothing', async (t) => {
  const { g } = fixture(t);
  g.sites.add({ name: 'A', proxy: PROXY });
  assert.equal(g.sites.setState('A', 'stopped').state, 'stopped');
  assert.equal(g.audit().at(-1)!.action, 'site.stop');
  const before = storeState(g);
  g.sites.setState('A', 'stopped');
  assert.deepEqual(storeState(g), before);
  assert.equal(g.sites.setState('A', 'started').state, 'started');
  assert.equal(g.audit().at(-1)!.action, 'site.start');
  await refusedUnchanged(g, 'GH_SITE_NOT_FOUND', () => g.sites.setState('B', 'stopped'));
});

test('remove takes the site and its bindings; other sites keep theirs', async (t) => {
  const { g } = fixture(t);
  const c = await selfSigned(g, 'www.contoso.com');
  g.sites.add({ name: 'A', proxy: PROXY });
  g.sites.add({ name: 'B', proxy: PROXY });
  g.bindings.add({ site: 'A', protocol: 'http', port: 80 });
  g.bindings.add({ site: 'A', protocol: 'https', port: 443, cert: c.thumbprint });
  g.bindings.add({ site: 'B', protocol: 'http', port: 8080 });
  assert.deepEqual(g.sites.remove('A'), { name: 'A', removed: true, bindings: 2, affected: [] });
  assert.deepEqual(g.sites.list().map((s) => s.name), ['B']);
  assert.deepEqual(g.bindings.list().map((b) => b.site), ['B']);
  assert.equal(g.audit().at(-1)!.action, 'site.remove');
  await refusedUnchanged(g, 'GH_SITE_NOT_FOUND', () => g.sites.remove('A'));
  await refused('GH_SITE_NOT_FOUND', () => g.sites.show('A'));
});

test('remove, stop and start are planned against what the site can meet: a site reached through a binding far from it is named, refused, and the store is unchanged', async (t) => {
  const { g } = fixture(t);
  const app = await selfSigned(g, 'app.test');
  const filler = await selfSigned(g, 'filler.test', { sans: Array.from({ length: 30 }, (_, i) => `f${i}.test`) });
  // Shop answers app.test on 10.0.0.1 only; Zeta (listed last, after 30 other sites on the port) on every other address.
  g.sites.add({ name: 'Shop', proxy: PROXY });
  g.bindings.add({ site: 'Shop', protocol: 'https', port: 443, ip: '10.0.0.1', host: 'app.test', sni: true, cert: app.thumbprint });
  for (let i = 0; i < 30; i++) {
    g.sites.add({ name: `Site${String(i).padStart(2, '0')}`, proxy: PROXY });
    g.bindings.add({ site: `Site${String(i).padStart(2, '0')}`, protocol: 'https', port: 443, host: `f${i}.test`, sni: true, cert: filler.thumbprint });
  }
  g.sites.add({ name: 'Zeta', proxy: PROXY });
  g.bindings.add({ site: 'Zeta', protocol: 'https', port: 443, host: 'app.test', sni: true, cert: filler.thumbprint, force: true });
  const reachesZeta = (e: unknown) => e instanceof Error && /"Zeta"/.test(e.message) && /10\.0\.0\.1:443 for app\.test/.test(e.message) && !/Site\d\d/.test(e.message);
  for (const change of [() => g.sites.remove('Shop'), () => g.sites.setState('Shop', 'stopped')]) {
    const before = storeState(g);
    assert.throws(change, reachesZeta);
    assert.deepEqual(storeState(g), before);
  }
  const stopped = g.sites.setState('Shop', 'stopped', true);
  assert.deepEqual(stopped.affected.map((a) => [a.site, a.address, a.hosts, a.beforeSite, a.afterSite]), [['Zeta', '10.0.0.1', ['app.test'], 'Shop', 'Zeta']]);
  const before = storeState(g);
  assert.throws(() => g.sites.setState('Shop', 'started'), reachesZeta);
  assert.deepEqual(storeState(g), before);
  // A site whose names are its own reaches no one, however many sites share the port.
  assert.deepEqual(g.sites.remove('Site17').affected, []);
  assert.deepEqual(g.sites.remove('Shop', true).affected.length, 0);
});
