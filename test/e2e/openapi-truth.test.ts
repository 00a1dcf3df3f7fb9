// End-to-end: the OpenAPI document (/api/v1/openapi.json) is the server's truth. Every operation is
// called with bad input (no body, malformed JSON, the wrong type, a missing required field, each field
// of the wrong type, a bad query, an unknown path parameter, no or a bad token) and, where it is safe,
// as it is; every path is called with every method it does not declare. Each answer's status must be
// one the document lists for that operation (or 405 with an Allow header naming the declared methods),
// and its media type the one the document declares for that status.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dataDir } from '../support/cli.js';
import { AdminServer, addUser, assertProblem, createToken, type ApiResponse, type CallOptions } from '../support/admin.js';

interface Schema { type?: string; properties?: Record<string, Schema>; required?: string[]; anyOf?: Schema[]; enum?: unknown[]; const?: unknown; items?: Schema }
interface Operation {
  parameters?: Array<{ in: 'path' | 'query'; name: string; required?: boolean; schema?: Schema }>;
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, unknown> }>;
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
    const allow = [...declaredMethods, ...(declaredMethods.includes('get') ? ['head'] : [])].map((m) => m.toUpperCase()).sort();
    for (const method of METHODS.filter((m) => !declaredMethods.includes(m))) {
      for (const options of [{ token }, {}] as CallOptions[]) {
        // A JSON body where the method usually has one (Node's client sends no length for a DELETE body).
        const r = await admin.call(method.toUpperCase(), fill(path), ['post', 'put', 'patch'].includes(method) ? { ...options, body: {} } : options);
        const where = `${method.toUpperCase()} ${fill(path)}${options.token ? '' : ' (no credentials)'}`;
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
