import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Binding } from '../model/binding.js';
import { ServingMetrics } from './serving-metrics.js';

const binding = (): Binding => ({ site: 'Web', protocol: 'https', ip: '*', port: 443, host: 'www.contoso.com', sni: true, certificate: 'AB' });

test('ServingMetrics: counts kept as plain numbers reach the registry whenever it is read, one series per label set', async () => {
  const m = new ServingMetrics();
  for (let i = 0; i < 5; i++) m.request('Web', 200);
  m.request('Web', 404);
  // Two revisions: different Binding objects, the same binding.
  m.handshake(binding());
  m.handshake(binding());
  m.handshake(undefined);
  let text = await m.registry.metrics();
  assert.match(text, /^gatehouse_http_requests_total\{site="Web",code="200"\} 5$/m);
  assert.match(text, /^gatehouse_http_requests_total\{site="Web",code="404"\} 1$/m);
  assert.match(text, /^gatehouse_tls_handshakes_total\{site="Web",binding="\*:443:www\.contoso\.com"\} 2$/m);
  assert.match(text, /^gatehouse_tls_handshakes_total\{site="",binding="default"\} 1$/m);
  m.request('Web', 200);
  text = await m.registry.metrics();
  assert.match(text, /^gatehouse_http_requests_total\{site="Web",code="200"\} 6$/m, 'each read adds only what came since the last');
  const json = await m.registry.getMetricsAsJSON();
  const requests = json.find((x) => x.name === 'gatehouse_http_requests_total') as unknown as { values: { value: number }[] };
  assert.deepEqual(requests.values.map((v) => v.value).sort(), [1, 6]);
});
