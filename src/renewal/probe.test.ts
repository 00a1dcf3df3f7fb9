import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServingConfig } from '../config/serving-config.js';
import type { Binding } from '../model/binding.js';
import type { MailListener } from '../model/service.js';
import { hostname } from 'node:os';
import { farmAddresses, probeTargets } from './probe.js';

const N = 'N'.repeat(40);
const O = 'O'.repeat(40);
const X = 'X'.repeat(40);

function config(bindings: Partial<Binding>[], extra: Partial<ServingConfig> = {}): ServingConfig {
  return {
    revision: 1, chains: 0, preload: [], httpsDefault: null, services: {}, mailListeners: [], acmeChallenges: [],
    sites: [{ name: 'A', state: 'started', content: { kind: 'static', root: '/' }, httpsRedirect: false, hsts: false, logFormat: 'w3c', created: '' },
      { name: 'S', state: 'stopped', content: { kind: 'static', root: '/' }, httpsRedirect: false, hsts: false, logFormat: 'w3c', created: '' }],
    bindings: bindings.map((b) => ({ site: 'A', protocol: 'https', ip: '127.0.0.1', port: 443, host: '', sni: false, certificate: N, ...b })),
    ...extra,
  };
}

const listener = (l: Partial<MailListener>): MailListener => ({
  service: 'smtp', ip: '127.0.0.1', port: 587, mode: 'starttls', requireTls: false, backendHost: '127.0.0.1', backendPort: 25, clientAddress: 'off',
  hostName: '', maxConnections: 100, idleTimeoutSeconds: 300, created: '', ...l,
});

test('probeTargets: each SNI name the certificate answers, the IP:port endpoint without SNI; not names another certificate has, not stopped sites', () => {
  const targets = probeTargets(config([
    { host: 'a.contoso.com', sni: true },
    { host: 'b.contoso.com', sni: true },
    { host: 'c.contoso.com', sni: true, certificate: X },
    { port: 8443 },
    { port: 9443, site: 'S' },
  ]), N);
  assert.deepEqual(targets.map((t) => t.endpoint).sort(), [
    'https 127.0.0.1:443 SNI a.contoso.com',
    'https 127.0.0.1:443 SNI b.contoso.com',
    'https 127.0.0.1:8443 without SNI',
  ]);
});

test('probeTargets: the https default is probed without SNI where no binding answers; a name with its own certificate is not probed', () => {
  const targets = probeTargets(config([{ host: 'other.contoso.com', sni: true, certificate: X }], { httpsDefault: N }), N);
  assert.deepEqual(targets.map((t) => t.endpoint), ['https 127.0.0.1:443 without SNI']);
});

test('probeTargets: mail listeners of the services assigned the certificate, STARTTLS or implicit TLS, with the host name as SNI when the old certificate covered it', () => {
  const mail = config([], {
    services: { smtp: N, imap: N, pop: X },
    mailListeners: [listener({ hostName: 'mail.contoso.com' }), listener({ service: 'imap', port: 993, mode: 'tls', hostName: 'imap.contoso.com' }), listener({ service: 'pop', port: 110 })],
  });
  assert.deepEqual(probeTargets(mail, N, ['mail.contoso.com']).map((t) => t.endpoint), [
    'smtp 127.0.0.1:587 STARTTLS SNI mail.contoso.com',
    'smtp 127.0.0.1:587 STARTTLS without SNI',
    'imap 127.0.0.1:993 without SNI',
  ]);
  assert.deepEqual(probeTargets(mail, O), []);
});

test('probeTargets in a farm: an All Unassigned endpoint is probed on every live serving process — its --listen-ip address, loopback on this host, else its host name; a specific address stays as it is', () => {
  const farm = [
    { host: hostname(), listeners: ['https *:443 on 127.0.0.2 only', 'smtp *:587'] },
    { host: hostname(), listeners: ['https *:443 on 127.0.0.3 only'] },
    { host: hostname(), listeners: ['https *:443 on 127.0.0.3 only'] },
    { host: 'web9.contoso.com', listeners: ['https *:443'] },
  ];
  assert.deepEqual(farmAddresses(farm), ['127.0.0.2', '127.0.0.3', 'web9.contoso.com']);
  const targets = probeTargets(config([{ ip: '*', host: 'a.contoso.com', sni: true }, { ip: '127.0.0.1', port: 8443 }]), N, [], farm);
  assert.deepEqual(targets.map((t) => t.endpoint).sort(), [
    'https 127.0.0.1:8443 without SNI',
    'https 127.0.0.2:443 SNI a.contoso.com',
    'https 127.0.0.3:443 SNI a.contoso.com',
    'https web9.contoso.com:443 SNI a.contoso.com',
  ]);
  // A process on this host without --listen-ip: loopback, as with no farm at all.
  assert.ok(farmAddresses([{ host: hostname(), listeners: ['https *:443'] }]).includes('127.0.0.1'));
});
