// End-to-end: the OpenAPI document (/api/v1/openapi.json) is the server's truth. Every operation is
// called with bad input (no body, malformed JSON, the wrong type, a missing required field, each field
// of the wrong type, a bad query, an unknown path parameter, no or a bad token) and, where it is safe,
// as it is; every path is called with every method it does not declare. Each answer's status must be
// one the document lists for that operation (or 405 with an Allow header naming the declared methods),
// and its media type the one the document declares for that status. Then every operation is called
// with valid input, in an order that makes what the next one needs (reads, and writes: the store is
// this test's own), and each success answer's body must validate against the schema the document
// declares for it (Ajv); each GET is called as HEAD too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { dataDir, freePorts, join, tmpDir } from '../support/cli.js';
import { Pebble } from '../support/pebble.js';
import { readFileSync } from 'node:fs';
import { AdminServer, addUser, assertProblem, createToken, PASSWORD, type ApiResponse, type CallOptions } from '../support/admin.js';

interface Schema { type?: string; properties?: Record<string, Schema>; required?: string[]; anyOf?: Schema[]; enum?: unknown[]; const?: unknown; items?: Schema }
interface Operation {
  description?: string;
  parameters?: Array<{ in: 'path' | 'query'; name: string; required?: boolean; schema?: Schema }>;
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
type Doc = { paths: Record<string, Record<string, Operation>> };

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'options', 'trace'];
let data: string;
let admin: AdminServer;
let token: string;
let doc: Doc;

before(async () => {
  data = dataDir();
  addUser(data, 'root', 'organization-management');
  token = createToken(data, 'root');
  admin = await AdminServer.start(data);
  const r = await admin.call('GET', '/api/v1/openapi.json');
  assert.equal(r.status, 200, r.text);
  doc = r.json as Doc;
});

after(async () => {
  await admin?.stop();
});

/** The response entry for a status: its own, its range (4XX), or `default`. */
function declared(op: Operation, status: number): { key: string; content?: Record<string, unknown> } | undefined {
  for (const key of [String(status), `${String(status)[0]}XX`, `${String(status)[0]}xx`, 'default']) {
    if (op.responses[key]) return { key, content: op.responses[key]!.content };
  }
  return undefined;
}

function mediaType(r: ApiResponse): string {
  return String(r.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** A value of the wrong type for a schema. */
function wrongValue(s: Schema): unknown {
  const types = s.anyOf ? s.anyOf.map((x) => x.type ?? typeof x.const) : [s.type ?? (s.enum ? typeof s.enum[0] : 'object')];
  if (types.includes('string')) return types.includes('number') || types.includes('integer') ? [] : 12345;
  if (types.includes('boolean') || types.includes('number') || types.includes('integer')) return 'not-a-number';
  return 'not-an-object';
}

/** Path parameters filled in with something that names nothing. */
function fill(path: string): string {
  return path.replace(/\{[^}]+\}/g, 'no-such-thing');
}

interface Probe { what: string; path: string; options: CallOptions }

function probes(path: string, method: string, op: Operation): Probe[] {
  const url = fill(path);
  const out: Probe[] = [
    { what: 'without credentials', path: url, options: {} },
    { what: 'with a token that is not valid', path: url, options: { headers: { authorization: 'Bearer not-a-token' } } },
  ];
  const body = op.requestBody?.content['application/json']?.schema;
  if (body) {
    out.push(
      { what: 'with no body', path: url, options: { token, headers: { 'content-type': 'application/json' } } },
      { what: 'with malformed JSON', path: url, options: { token, raw: '{"a":', headers: { 'content-type': 'application/json' } } },
      { what: 'with a body that is not JSON', path: url, options: { token, raw: 'hello', headers: { 'content-type': 'text/plain' } } },
      { what: 'with an array for a body', path: url, options: { token, body: [] } },
      { what: 'with an empty object (required fields missing)', path: url, options: { token, body: {} } },
      { what: 'with an unknown field', path: url, options: { token, body: { noSuchField: 1 } } },
    );
    for (const [name, s] of Object.entries(body.properties ?? {})) {
      out.push({ what: `with ${name} of the wrong type`, path: url, options: { token, body: { [name]: wrongValue(s) } } });
    }
  } else if (method === 'get') {
    // The call as it is: a GET changes nothing.
    out.push({ what: 'as it is', path: url, options: { token } });
  }
  for (const p of op.parameters ?? []) {
    if (p.in === 'query') out.push({ what: `with the query parameter ${p.name} wrong`, path: `${url}?${p.name}=%00%FF-not-valid`, options: { token } });
    if (p.in === 'path') out.push({ what: `with an over-long ${p.name}`, path: path.replace(`{${p.name}}`, 'x'.repeat(300)).replace(/\{[^}]+\}/g, 'no-such-thing'), options: { token } });
  }
  if (op.parameters?.some((p) => p.in === 'query')) out.push({ what: 'with an unknown query parameter', path: `${url}?noSuchParameter=1`, options: { token } });
  return out;
}

test('every operation declares its success answer, and every error answer as application/problem+json', () => {
  const problems: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!Object.keys(op.responses).some((k) => /^2/.test(k))) problems.push(`${method.toUpperCase()} ${path}: no 2xx answer listed`);
      for (const [key, r] of Object.entries(op.responses)) {
        if (/^[45]/.test(key) && Object.keys(r.content ?? {}).join() !== 'application/problem+json') problems.push(`${method.toUpperCase()} ${path} ${key}: ${Object.keys(r.content ?? {}).join(', ')}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('every operation, called with bad input, answers a status its document lists, in the media type listed for it', { timeout: 600_000 }, async () => {
  const problems: string[] = [];
  let calls = 0;
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      for (const p of probes(path, method, op)) {
        const r = await admin.call(method.toUpperCase(), p.path, p.options);
        calls++;
        const where = `${method.toUpperCase()} ${p.path.slice(0, 120)} ${p.what}: ${r.status} ${mediaType(r)}`;
        const d = declared(op, r.status);
        if (!d) problems.push(`${where}: status not listed (${Object.keys(op.responses).join(', ')})`);
        else if (r.status !== 204 && !Object.keys(d.content ?? {}).includes(mediaType(r))) problems.push(`${where}: the document says ${Object.keys(d.content ?? {}).join(', ')} for ${d.key}`);
        if (r.status >= 500) problems.push(`${where}: a server error for a client's mistake`);
      }
    }
  }
  assert.ok(calls > 200, `only ${calls} calls`);
  assert.deepEqual(problems, []);
});

test('every path answers a method it does not declare with 405, an Allow header of the declared methods, and a problem document', { timeout: 600_000 }, async () => {
  const problems: string[] = [];
  // A concrete path may also be an instance of a templated one (/certificates/import of /certificates/{ref}):
  // the URL then takes the methods of both.
  const templates = Object.entries(doc.paths).map(([path, ops]) => ({ pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`), methods: Object.keys(ops) }));
  for (const path of Object.keys(doc.paths)) {
    const declaredMethods = [...new Set(templates.filter((t) => t.pattern.test(fill(path))).flatMap((t) => t.methods))];
    const allow = declaredMethods.map((m) => m.toUpperCase()).sort();
    for (const method of METHODS.filter((m) => !declaredMethods.includes(m))) {
      // A body where the method usually has one (Node's client sends no length for a DELETE body): JSON,
      // malformed JSON and a media type no route takes — the method is wrong before the body matters.
      const bodies: Array<[string, CallOptions]> = ['post', 'put', 'patch'].includes(method)
        ? [['', { body: {} }], [' with malformed JSON', { raw: '{', headers: { 'content-type': 'application/json' } }], [' with a text body', { raw: 'hello', headers: { 'content-type': 'text/plain' } }]]
        : [['', {}]];
      const calls = ([['', { token }], [' (no credentials)', {}]] as Array<[string, CallOptions]>).flatMap(([who, options]) => bodies.map(([what, body]) => [`${who}${what}`, { ...options, ...body }] as const));
      for (const [what, options] of calls) {
        const r = await admin.call(method.toUpperCase(), fill(path), options);
        const where = `${method.toUpperCase()} ${fill(path)}${what}`;
        try {
          assertProblem(r, 405, 'GH_METHOD_NOT_ALLOWED', where);
          const got = String(r.headers.allow ?? '').split(',').map((m) => m.trim()).filter(Boolean).sort();
          assert.deepEqual(got, allow, `${where}: Allow`);
          assert.match(r.json.detail, new RegExp(allow.filter((m) => m !== 'HEAD').join('|')), where);
        } catch (e) {
          problems.push((e as Error).message.split('\n')[0]!);
        }
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('every GET operation is declared as HEAD too, with the same answers (Fastify answers HEAD wherever GET is)', () => {
  const problems: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    if (!ops.get) continue;
    const head = ops.head;
    if (!head) problems.push(`HEAD ${path}: not declared`);
    else if (JSON.stringify(Object.keys(head.responses).sort()) !== JSON.stringify(Object.keys(ops.get.responses).sort())) problems.push(`HEAD ${path}: answers ${Object.keys(head.responses).join(', ')}, GET ${Object.keys(ops.get.responses).join(', ')}`);
    else if (!/HEAD/.test(head.description ?? '')) problems.push(`HEAD ${path}: its description does not say what HEAD answers`);
  }
  for (const [path, ops] of Object.entries(doc.paths)) if (ops.head && !ops.get) problems.push(`HEAD ${path}: declared without GET`);
  assert.deepEqual(problems, []);
});

/** A JSON success answer's schema that says nothing: `{}`, an object without properties, an array of such. */
function emptySchema(s: any): boolean {
  if (s === undefined || s === null || Object.keys(s).filter((k) => k !== 'description').length === 0) return true;
  if (s.allOf) return (s.allOf as unknown[]).every(emptySchema);
  if (s.anyOf) return (s.anyOf as unknown[]).some(emptySchema);
  if (s.type === 'array') return emptySchema(s.items);
  if (s.type === 'object') return Object.keys(s.properties ?? {}).length === 0;
  return false;
}

test('every JSON success answer has a declared shape (no empty schema)', () => {
  const problems: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      for (const [status, r] of Object.entries(op.responses)) {
        if (!/^2/.test(status)) continue;
        const json = r.content?.['application/json'];
        if (json && emptySchema(json.schema)) problems.push(`${method.toUpperCase()} ${path} ${status}: ${JSON.stringify(json.schema)}`);
        if (!json && Object.keys(r.content ?? {}).length === 0 && status !== '204') problems.push(`${method.toUpperCase()} ${path} ${status}: no content declared`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('every operation, called with valid input, answers a success its document declares, with a body that validates against the declared schema', { timeout: 600_000 }, async (t) => {
  // ajv-formats is CommonJS: its default export is the plugin under Node's ESM loader.
  const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;
  // The document is OpenAPI 3.0 (nullable, binary files): Ajv reads its schemas without strict mode's complaints about unknown keywords.
  const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
  // A server of its own: the walks above leave things behind (an empty POST /ca makes the CA).
  const walkData = dataDir();
  addUser(walkData, 'root', 'organization-management');
  const walkToken = createToken(walkData, 'root');
  const server = await AdminServer.start(walkData);
  t.after(() => server.stop());
  const problems: string[] = [];
  const covered = new Set<string>();
  const [webPort, smtpPort, backendPort] = await freePorts(3);
  const root = join(tmpDir('gh-openapi-site-'), 'www');
  mkdirSync(root);

  /** One call that must succeed: its status declared as a success, its body valid against the declared schema. */
  async function ok(method: string, template: string, path: string, options: CallOptions = {}): Promise<ApiResponse> {
    const r = await server.call(method, `/api/v1${path}`, { token: walkToken, ...options });
    const op = doc.paths[`/api/v1${template}`]?.[method.toLowerCase()];
    const where = `${method} ${path}: ${r.status} ${mediaType(r)}`;
    covered.add(`${method} ${template}`);
    if (!op) {
      problems.push(`${where}: not in the document`);
      return r;
    }
    const declaredAnswer = op.responses[String(r.status)];
    if (r.status < 200 || r.status > 299 || !declaredAnswer) {
      problems.push(`${where}: not a declared success (${Object.keys(op.responses).join(', ')}) ${r.text.slice(0, 300)}`);
      return r;
    }
    const content = declaredAnswer.content?.[mediaType(r)];
    if (!content) problems.push(`${where}: the document says ${Object.keys(declaredAnswer.content ?? {}).join(', ')}`);
    else if (mediaType(r) === 'application/json') {
      const validate = ajv.compile(content.schema as object);
      if (!validate(r.json)) problems.push(`${where}: the body does not match the declared schema: ${ajv.errorsText(validate.errors)} in ${r.text.slice(0, 300)}`);
    } else if (r.body.length === 0) problems.push(`${where}: an empty file`);
    if (method === 'GET') {
      // HEAD: the same status and headers, no body.
      const h = await server.call('HEAD', `/api/v1${path}`, { token: walkToken, ...options });
      covered.add(`HEAD ${template}`);
      if (h.status !== r.status || mediaType(h) !== mediaType(r) || h.body.length !== 0) problems.push(`HEAD ${path}: ${h.status} ${mediaType(h)} with ${h.body.length} bytes of body, GET ${r.status} ${mediaType(r)}`);
    }
    return r;
  }

  // The session: log in, who am I, log out.
  const login = await ok('POST', '/session', '/session', { token: undefined, body: { user: 'root', password: PASSWORD } });
  const cookie = ([] as string[]).concat(login.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!).find((c) => c.startsWith('gh_session=')) ?? '';
  await ok('GET', '/session', '/session');
  await ok('DELETE', '/session', '/session', { token: undefined, session: { cookie, csrfToken: login.json?.csrfToken, user: 'root', role: 'organization-management' } });
  await ok('GET', '/roles', '/roles');
  // Users and tokens.
  await ok('POST', '/users', '/users', { body: { name: 'bob', role: 'view-only', password: PASSWORD } });
  await ok('GET', '/users', '/users');
  await ok('PATCH', '/users/{name}', '/users/bob', { body: { role: 'server-management' } });
  const tok = await ok('POST', '/tokens', '/tokens', { body: { user: 'bob', description: 'walk' } });
  await ok('GET', '/tokens', '/tokens?user=bob');
  await ok('DELETE', '/tokens/{id}', `/tokens/${tok.json?.id}`);
  await ok('DELETE', '/users/{name}', '/users/bob');
  // The internal CA, requests, and certificates.
  await ok('POST', '/ca', '/ca', { body: { cn: 'Walk CA', key: 'ecdsa-p256' } });
  await ok('GET', '/ca', '/ca');
  await ok('GET', '/ca/certificate', '/ca/certificate');
  const req = await ok('POST', '/requests', '/requests', { body: { cn: 'a.walk.test', san: ['a.walk.test'], key: 'ecdsa-p256', exportable: true } });
  await ok('GET', '/requests', '/requests');
  await ok('GET', '/requests/{id}', `/requests/${req.json?.id}`);
  const csr = await ok('GET', '/requests/{id}/csr', `/requests/${req.json?.id}/csr`);
  const signed = await ok('POST', '/ca/sign', '/ca/sign', { body: { csr: csr.body.toString('base64'), days: 30 } });
  const completed = await ok('POST', '/requests/complete', '/requests/complete', { body: { file: signed.body.toString('base64'), fileName: 'a.cer', friendlyName: 'Walk A' } });
  const a = String(completed.json?.thumbprint);
  const req2 = await ok('POST', '/requests', '/requests', { body: { cn: 'b.walk.test', key: 'ecdsa-p256' } });
  const submitted = await ok('POST', '/requests/{id}/submit', `/requests/${req2.json?.id}/submit`, { body: { ca: 'internal', friendlyName: 'Walk B' } });
  const b = String(submitted.json?.thumbprint);
  const req3 = await ok('POST', '/requests', '/requests', { body: { cn: 'c.walk.test', key: 'ecdsa-p256' } });
  await ok('DELETE', '/requests/{id}', `/requests/${req3.json?.id}`);
  const caPem = (await server.call('GET', '/api/v1/ca/certificate', { token: walkToken })).body;
  await ok('POST', '/certificates/{ref}/chain', `/certificates/${b}/chain`, { body: { file: caPem.toString('base64'), fileName: 'ca.pem' } });
  const self = await ok('POST', '/certificates/self-signed', '/certificates/self-signed', { body: { cn: 's.walk.test', key: 'ecdsa-p256', exportable: true, friendlyName: 'Walk S' } });
  const s = String(self.json?.thumbprint);
  await ok('GET', '/certificates', '/certificates');
  await ok('GET', '/certificates', '/certificates?store=root&expiring=30');
  await ok('GET', '/certificates/{ref}', `/certificates/${s}`);
  await ok('GET', '/certificates/{ref}/details', `/certificates/${b}/details`);
  await ok('GET', '/certificates/{ref}/pem', `/certificates/${b}/pem`);
  await ok('PATCH', '/certificates/{ref}', `/certificates/${s}`, { body: { friendlyName: 'Walk S renamed' } });
  const pfx = await ok('POST', '/certificates/{ref}/export', `/certificates/${s}/export`, { body: { password: 'walk-password' } });
  await ok('DELETE', '/certificates/{ref}', `/certificates/${s}`);
  await ok('POST', '/certificates/import', '/certificates/import', { body: { file: pfx.body.toString('base64'), fileName: 's.pfx', password: 'walk-password', friendlyName: 'Walk S again' } });
  // Sites and bindings (the serving plane takes them up: free ports).
  await ok('POST', '/sites', '/sites', { body: { name: 'walk', root } });
  await ok('GET', '/sites', '/sites');
  await ok('GET', '/sites/{name}', '/sites/walk');
  await ok('PATCH', '/sites/{name}', '/sites/walk', { body: { hsts: true } });
  await ok('POST', '/sites/{name}/bindings', '/sites/walk/bindings', { body: { protocol: 'https', ip: '127.0.0.1', port: webPort, host: 'a.walk.test', sni: true, cert: a } });
  await ok('PATCH', '/sites/{name}/bindings', '/sites/walk/bindings', { body: { protocol: 'https', ip: '127.0.0.1', port: webPort, host: 'a.walk.test', sni: true, cert: b } });
  await ok('GET', '/bindings', '/bindings');
  await ok('GET', '/sites/{name}/bindings', '/sites/walk/bindings');
  await ok('GET', '/bindings/explain', `/bindings/explain?port=${webPort}&ip=127.0.0.1&sni=a.walk.test`);
  await ok('GET', '/bindings/explain', '/bindings/explain?port=1');
  await ok('POST', '/sites/{name}/stop', '/sites/walk/stop');
  await ok('POST', '/sites/{name}/start', '/sites/walk/start');
  await ok('DELETE', '/sites/{name}/bindings', `/sites/walk/bindings?protocol=https&ip=127.0.0.1&port=${webPort}&host=a.walk.test`);
  await ok('POST', '/sites/{name}/bindings', '/sites/walk/bindings', { body: { protocol: 'http', ip: '127.0.0.1', port: webPort } });
  // ACME: an account with pebble, and an issuance through HTTP-01 on that http binding (pebble checks webPort).
  const pebble = await Pebble.start({ httpPort: webPort!, tlsPort: webPort! });
  t.after(() => pebble.stop());
  await ok('POST', '/acme/accounts', '/acme/accounts', { body: { name: 'walk', directory: pebble.directory, email: 'walk@example.com', agreeTos: true, directoryCa: readFileSync(pebble.caFile, 'utf8') } });
  await ok('GET', '/acme/accounts', '/acme/accounts');
  await ok('POST', '/acme/directory', '/acme/directory', { body: { directory: pebble.directory, directoryCa: readFileSync(pebble.caFile, 'utf8') } });
  await ok('GET', '/acme/challenges', '/acme/challenges');
  await ok('GET', '/acme/accounts/{name}', '/acme/accounts/walk');
  const req4 = await ok('POST', '/requests', '/requests', { body: { cn: 'acme.walk.example.com', key: 'ecdsa-p256' } });
  await ok('POST', '/requests/{id}/acme', `/requests/${req4.json?.id}/acme`, { body: { account: 'walk', challenge: 'http-01', friendlyName: 'Walk ACME' } });
  await ok('DELETE', '/acme/accounts/{name}', '/acme/accounts/walk');
  // Services and the mail listeners.
  await ok('POST', '/services/assign', '/services/assign', { body: { certificate: a, services: ['smtp', 'imap'] } });
  await ok('POST', '/services/{service}/listeners', '/services/smtp/listeners', { body: { listen: `127.0.0.1:${smtpPort}`, backend: `127.0.0.1:${backendPort}`, host: 'a.walk.test' } });
  await ok('GET', '/services', '/services');
  await ok('GET', '/server', '/server');
  await ok('GET', '/server/processes', '/server/processes');
  await ok('GET', '/farm', '/farm');
  await ok('GET', '/renewals', '/renewals');
  await ok('GET', '/certificates/{ref}/renewals', `/certificates/${b}/renewals`);
  await ok('POST', '/certificates/{ref}/renew', `/certificates/${b}/renew`, { body: { dryRun: true } });
  await ok('POST', '/certificates/{ref}/renew', `/certificates/${b}/renew`, { body: {} });
  await ok('DELETE', '/services/{service}/listeners', `/services/smtp/listeners?listen=127.0.0.1:${smtpPort}`);
  await ok('POST', '/services/unassign', '/services/unassign', { body: { services: ['smtp', 'imap', 'pop'] } });
  await ok('DELETE', '/sites/{name}', '/sites/walk');
  await ok('GET', '/audit', '/audit?last=50');
  // Notification targets: a webhook receiver in this process takes the test notification.
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  t.after(() => receiver.close());
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  await ok('POST', '/notifications', '/notifications', { body: { name: 'walk-hook', webhook: { url: hookUrl, secret: 'walk-secret' } } });
  await ok('POST', '/notifications', '/notifications', { body: { name: 'walk-mail', email: { to: ['ops@walk.test'], host: '127.0.0.1', port: 25, tls: 'none' } } });
  await ok('GET', '/notifications', '/notifications');
  await ok('POST', '/notifications/{name}/test', '/notifications/walk-hook/test');
  await ok('DELETE', '/notifications/{name}', '/notifications/walk-mail');

  const missing = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.slice('/api/v1'.length)}`)).filter((o) => !covered.has(o));
  assert.deepEqual(missing, [], 'operations the walk did not call');
  assert.deepEqual(problems, []);
});
