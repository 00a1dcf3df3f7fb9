import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { curlAsync, dataDir, freePorts, ghJson, join, selfSignedCert, startServe, tmpDir, writeText } from '../support/cli.js';

/** The host a Location sends a browser to, resolved against the URL it answered. */
const target = (location: string, base: string) => new URL(location, base).host;

test('no Location leaves the host: the folder redirect and the http → https redirect, over HTTP/1.1 and HTTP/2', async () => {
  const [https, http] = (await freePorts(2)) as [number, number];
  const data = dataDir();
  const root = tmpDir('gh-www-');
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeText(join(root, 'sub', 'index.html'), 'sub');
  const thumb = selfSignedCert(data, 'a.test', 'a');
  ghJson(data, ['site', 'add', 'A', '--root', root, '--https-redirect', 'on']);
  ghJson(data, ['binding', 'add', 'A', '--protocol', 'https', '--port', String(https), '--cert', thumb]);
  ghJson(data, ['binding', 'add', 'A', '--protocol', 'http', '--port', String(http)]);
  const serve = await startServe(data, [`https *:${https}`, `http *:${http}`]);
  try {
    const base = `https://a.test:${https}`;
    const resolve = ['--resolve', `a.test:${https}:127.0.0.1`, '--resolve', `a.test:${http}:127.0.0.1`];
    for (const version of ['--http1.1', '--http2']) {
      for (const path of ['//evil.example/..%2fsub', '//evil.example/%2e%2e/sub', '/\\evil.example/../sub', '///evil.example/..%2fsub']) {
        const r = await curlAsync(['-k', '--path-as-is', version, ...resolve, `${base}${path}`]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.httpVersion, version === '--http2' ? '2' : '1.1');
        const location = r.headers.location;
        if (location === undefined) continue;
        assert.ok(location.startsWith('/') && !/^\/[/\\]/.test(location), `${version} ${path}: ${r.status} location ${location}`);
        assert.equal(target(location, `${base}${path}`), `a.test:${https}`, `${version} ${path}: location ${location}`);
      }
      // The request, exactly: the folder is found, the redirect stays here and leads to it.
      const r = await curlAsync(['-k', '--path-as-is', version, ...resolve, `${base}//evil.example/..%2fsub`]);
      assert.equal(r.status, 301);
      assert.equal(r.headers.location, '/evil.example/..%2fsub/');
      const followed = await curlAsync(['-k', '--path-as-is', version, ...resolve, `${base}/evil.example/..%2fsub/`]);
      assert.equal(followed.status, 200);
      assert.equal(followed.body, 'sub');
    }
    // http → https: the path cannot change the host; a Host that is not a host name is refused.
    const plain = `http://a.test:${http}`;
    const redirect = await curlAsync(['--path-as-is', ...resolve, `${plain}//evil.example/x?y=1`]);
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.location, `https://a.test:${https}/evil.example/x?y=1`);
    const userinfo = await curlAsync(['--path-as-is', '-H', 'Host: a.test@evil.example', `http://127.0.0.1:${http}/x`]);
    assert.equal(userinfo.status, 400);
    assert.equal(userinfo.headers.location, undefined);
  } finally {
    await serve.stop();
  }
});
