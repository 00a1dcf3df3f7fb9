import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ERRORS, fail } from '../model/gatehouse-error.js';
import { opt } from '../model/wording.js';
import { faceOf, problem, problemFor, type Problem } from './problem.js';

// The mapping is checked against the framework's real errors: a small Fastify app configured as the
// admin server is (closed schemas, no coercion, all errors), with problemFor as its error handler.
let app: FastifyInstance;
const internals: unknown[] = [];

before(async () => {
  app = Fastify({ bodyLimit: 1024, logger: false, ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: true } } });
  app.setErrorHandler((error, _request, reply) => {
    const { problem: p, internal } = problemFor(error);
    if (internal) internals.push(error);
    void reply.code(p.status).header('content-type', 'application/problem+json').send(p);
  });
  const body = Type.Object({
    name: Type.String({ minLength: 1, maxLength: 10 }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    protocol: Type.Optional(Type.Union([Type.Literal('http'), Type.Literal('https')])),
    san: Type.Optional(Type.Array(Type.String())),
  }, { additionalProperties: false });
  app.post('/things', { schema: { body } }, async () => ({ ok: true }));
  app.get('/things', { schema: { querystring: Type.Object({ store: Type.Optional(Type.Union([Type.Literal('webhosting'), Type.Literal('personal')])) }, { additionalProperties: false }) } }, async () => ({ ok: true }));
  app.get('/gatehouse-error', async () => {
    throw fail('GH_SITE_NOT_FOUND', 'There is no site "x".');
  });
  app.get('/bug', async () => {
    throw new Error('secret internal detail at /srv/gatehouse/dist/src/x.js:12');
  });
  app.get('/type-error', async () => {
    (undefined as unknown as { x: number }).x = 1;
  });
  await app.ready();
});

after(async () => {
  await app.close();
});

async function post(payload: string, contentType?: string): Promise<{ status: number; p: Problem }> {
  const r = await app.inject({ method: 'POST', url: '/things', payload, headers: contentType === undefined ? {} : { 'content-type': contentType } });
  return { status: r.statusCode, p: r.json() as Problem };
}

function checkShape(status: number, p: Problem): void {
  assert.equal(p.status, status);
  assert.equal(p.title, ERRORS[p.code].summary);
  assert.equal(p.type, `https://gatehouse.invalid/docs/errors#${p.code.toLowerCase()}`);
  assert.match(p.detail, /[.!?]$/, `detail is a sentence: ${p.detail}`);
}

test('problem() builds an RFC 9457 document from the error catalogue', () => {
  const p = problem('GH_FORBIDDEN', 'No.');
  assert.deepEqual(p, { type: 'https://gatehouse.invalid/docs/errors#gh_forbidden', title: ERRORS.GH_FORBIDDEN.summary, status: 403, detail: 'No.', code: 'GH_FORBIDDEN' });
  const q = problem('GH_REQUEST_BODY_INVALID', 'Bad.', [{ path: 'body.port', message: 'must be integer' }]);
  assert.deepEqual(q.errors, [{ path: 'body.port', message: 'must be integer' }]);
  assert.equal(q.status, 400);
});

test('a GatehouseError keeps its code, its status and its message', async () => {
  const r = await app.inject({ method: 'GET', url: '/gatehouse-error' });
  assert.equal(r.statusCode, 404);
  const p = r.json() as Problem;
  checkShape(404, p);
  assert.equal(p.code, 'GH_SITE_NOT_FOUND');
  assert.equal(p.detail, 'There is no site "x".');
  assert.equal(problemFor(fail('GH_LAST_ADMINISTRATOR', 'Keep one.')).internal, false);
});

test('a GatehouseError is worded for the API (fields), or for the console when it asks; the title too', () => {
  const e = fail('GH_BINDING_AFFECTS_OTHERS', `Another site would change. To apply it anyway, use ${opt('force')}.`);
  const api = problemFor(e).problem;
  assert.equal(api.detail, 'Another site would change. To apply it anyway, use "force": true.');
  assert.match(api.title, /use "force": true to apply it anyway/);
  const forConsole = problemFor(e, faceOf({ 'x-gatehouse-wording': 'console' })).problem;
  assert.equal(forConsole.detail, 'Another site would change. To apply it anyway, use "Apply anyway".');
  assert.match(forConsole.title, /use "Apply anyway" to apply it anyway/);
  for (const p of [api, forConsole]) assert.doesNotMatch(`${p.title} ${p.detail}`, /--force|\{opt:/);
  assert.equal(faceOf({}), 'api');
  assert.equal(faceOf({ 'x-gatehouse-wording': 'cli' }), 'api', 'the API speaks for the API or the console only');
});

test('any other error is GH_INTERNAL (500), flagged internal, and its message is not shown', async () => {
  internals.length = 0;
  for (const url of ['/bug', '/type-error']) {
    const r = await app.inject({ method: 'GET', url });
    assert.equal(r.statusCode, 500, url);
    const p = r.json() as Problem;
    checkShape(500, p);
    assert.equal(p.code, 'GH_INTERNAL');
    assert.ok(!r.body.includes('secret internal detail') && !r.body.includes('/srv/') && !r.body.includes('undefined'), r.body);
  }
  assert.equal(internals.length, 2, 'both were reported as internal (to be logged)');
  assert.equal(problemFor('a string thrown').problem.code, 'GH_INTERNAL');
  assert.equal(problemFor({ statusCode: 503, message: 'x' }).internal, true);
});

test('malformed JSON is GH_REQUEST_BODY_INVALID: "The request body is not valid JSON."', async () => {
  for (const payload of ['{"name": "x",', '{name: "x"}', "{'name': 'x'}", 'nul', '{"name":"x"}}']) {
    const { status, p } = await post(payload, 'application/json');
    assert.equal(status, 400, payload);
    checkShape(400, p);
    assert.equal(p.code, 'GH_REQUEST_BODY_INVALID', payload);
    assert.equal(p.detail, 'The request body is not valid JSON.', payload);
  }
});

test('an empty JSON body is GH_REQUEST_BODY_INVALID', async () => {
  const { status, p } = await post('', 'application/json');
  assert.equal(status, 400);
  checkShape(400, p);
  assert.equal(p.code, 'GH_REQUEST_BODY_INVALID');
  assert.match(p.detail, /JSON/);
});

test('a body over the limit is GH_REQUEST_TOO_LARGE (413)', async () => {
  const { status, p } = await post(JSON.stringify({ name: 'x'.repeat(5000) }), 'application/json');
  assert.equal(status, 413);
  checkShape(413, p);
  assert.equal(p.code, 'GH_REQUEST_TOO_LARGE');
});

test('a body that is not JSON is GH_MEDIA_TYPE_UNSUPPORTED (415)', async () => {
  for (const type of ['application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'image/png']) {
    const { status, p } = await post('name=x', type);
    assert.equal(status, 415, type);
    checkShape(415, p);
    assert.equal(p.code, 'GH_MEDIA_TYPE_UNSUPPORTED', type);
  }
});

test('schema failures are GH_REQUEST_BODY_INVALID with every issue listed by path', async () => {
  const { status, p } = await post(JSON.stringify({ port: '443', protocol: 'ftp', san: 'a.contoso.com', colour: 'blue' }), 'application/json');
  assert.equal(status, 400);
  checkShape(400, p);
  assert.equal(p.code, 'GH_REQUEST_BODY_INVALID');
  const byPath = new Map((p.errors ?? []).map((e) => [e.path, e.message]));
  assert.equal(byPath.get('body'), byPath.get('body'));
  const messages = (p.errors ?? []).map((e) => `${e.path} ${e.message}`);
  assert.ok(messages.some((m) => m === 'body needs the field "name"'), messages.join('; '));
  assert.ok(messages.some((m) => m === 'body has an unknown field "colour"'), messages.join('; '));
  assert.ok(messages.some((m) => m.startsWith('body.port ') && /integer/.test(m)), messages.join('; '));
  assert.ok(messages.some((m) => m.startsWith('body.san ') && /array/.test(m)), messages.join('; '));
  assert.ok(messages.some((m) => m.startsWith('body.protocol ')), messages.join('; '));
  for (const m of messages) assert.ok(p.detail.includes(m), `the detail repeats "${m}": ${p.detail}`);
});

test('query failures name the query string', async () => {
  const r = await app.inject({ method: 'GET', url: '/things?store=vault&x=1' });
  assert.equal(r.statusCode, 400);
  const p = r.json() as Problem;
  checkShape(400, p);
  assert.equal(p.code, 'GH_REQUEST_BODY_INVALID');
  assert.ok((p.errors ?? []).length >= 2, JSON.stringify(p));
  for (const e of p.errors ?? []) assert.match(e.path, /^querystring/, JSON.stringify(p));
});

test('other client errors of the framework stay 4xx problems with a Gatehouse code', () => {
  const { problem: p, internal } = problemFor({ code: 'FST_ERR_SOMETHING', statusCode: 405, message: 'Method not allowed.' });
  assert.equal(internal, false);
  assert.equal(p.code, 'GH_REQUEST_BODY_INVALID');
  assert.equal(p.status, 400);
  assert.match(p.detail, /Method not allowed/);
});
