// GET /openapi.json: valid OpenAPI 3.1 (checked by @apidevtools/swagger-parser),
// naming every route the router knows and no other, and true to the server:
// real answers of every kind validate against the schemas it documents.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv2020 from 'ajv/dist/2020.js';
import { DEFAULT_ARGS, chat, parseSSE, runBinary, startServer, uid, user } from './helpers.mjs';

const T = { timeout: 30000 };
const ADMIN = 'tok';

let s;
let doc;
let ajv;
before(async () => {
  s = await startServer({ token: ADMIN });
  const r = await s.req('GET', '/openapi.json', { token: null });
  assert.equal(r.status, 200);
  doc = r.json;
  ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema(structuredClone(doc), 'openapi');
});
after(async () => assert.equal((await s.stop()).code, 0));

/** Asserts that `value` is an instance of components.schemas[name]. */
function conforms(name, value) {
  const validate = ajv.getSchema(`openapi#/components/schemas/${name}`);
  assert.ok(validate, `no schema ${name}`);
  assert.ok(validate(value), `${name}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value).slice(0, 600)}`);
}

test('a valid OpenAPI 3.1 document', T, async () => {
  assert.equal(doc.openapi, '3.1.0');
  await SwaggerParser.validate(structuredClone(doc));
});

test('every route the router knows is documented, and nothing else', T, async () => {
  const out = await runBinary([...DEFAULT_ARGS, '--print-routes']);
  assert.equal(out.code, 0, out.stderr);
  const routes = out.stdout.trim().split('\n').map((l) => {
    const [method, pattern] = l.split(' ');
    return `${method.toLowerCase()} ${pattern.replace(/:([A-Za-z_]+)/g, '{$1}')}`;
  });
  assert.ok(routes.length > 20, out.stdout);
  const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
    Object.keys(ops).filter((m) => m !== 'parameters').map((m) => `${m} ${p}`),
  );
  assert.deepEqual([...documented].sort(), [...routes].sort());
  for (const [p, ops] of Object.entries(doc.paths))
    for (const [m, o] of Object.entries(ops)) {
      assert.ok(Object.keys(o.responses).some((c) => /^2\d\d$/.test(c)), `${m} ${p} has no success answer`);
      for (const [code, r] of Object.entries(o.responses))
        if (/^[45]/.test(code)) assert.match(r.$ref ?? '', /^#\/components\/responses\//, `${m} ${p} ${code}`);
    }
});

test('real answers match the documented schemas', T, async () => {
  const get = async (p, name, opts = {}) => {
    const r = await s.req('GET', p, opts);
    assert.equal(r.status, 200, `${p}: ${r.text}`);
    conforms(name, r.json);
    return r.json;
  };
  await get('/', 'Root');
  await get('/ping', 'Ping');
  await get('/v1/health', 'Health');
  await get('/v1/templates', 'TemplateList');
  await get('/v1/templates/chat', 'Template');
  await get('/v1/schema', 'ConfigSchema');
  await get('/v1/models', 'ModelList');
  await get('/v1/models/demo', 'Model');
  await get('/v1/agents/demo', 'Agent');
  const created = await s.req('POST', '/v1/agents', { body: { name: uid('a'), template_id: 'chat', llm_config_id: 'test' } });
  assert.equal(created.status, 201);
  conforms('AgentCreated', created.json);
  await get('/v1/agents', 'AgentList');

  const key = await s.req('POST', '/v1/keys', { body: { user_id: 'doc', rpm: 100, agents: ['demo'] } });
  assert.equal(key.status, 201);
  conforms('KeyCreated', key.json);
  await get(`/v1/keys/${key.json.id}`, 'Key');
  await get('/v1/keys', 'KeyList');

  const sid = uid('doc');
  const turn = await chat(s, { model: 'demo', messages: [user('hi')], metadata: { session_id: sid } }, { token: key.json.key });
  assert.equal(turn.status, 200);
  conforms('ChatCompletion', turn.json);
  const stream = await s.req('POST', '/v1/chat/completions', {
    body: { model: 'demo', stream: true, stream_options: { include_usage: true }, messages: [user('s')] },
  });
  const events = parseSSE(stream.text);
  assert.equal(events.at(-1), '[DONE]');
  for (const e of events.slice(0, -1)) conforms('ChatCompletionChunk', JSON.parse(e));
  await get('/v1/sessions', 'SessionList');
  await get(`/v1/sessions/${sid}`, 'SessionDetail');
  await get('/v1/usage?group_by=day', 'Usage');

  const resp = await s.req('POST', '/v1/responses', { body: { model: 'demo', input: 'hi' } });
  assert.equal(resp.status, 200, resp.text);
  conforms('Response', resp.json);
  await get(`/v1/responses/${resp.json.id}`, 'Response');
  await get(`/v1/responses/${resp.json.id}/input_items`, 'ItemList');
  const conv = await s.req('POST', '/v1/conversations', { body: { items: [{ role: 'user', content: 'x' }], metadata: { a: 'b' } } });
  assert.equal(conv.status, 200, conv.text);
  conforms('Conversation', conv.json);
  const items = await get(`/v1/conversations/${conv.json.id}/items`, 'ItemList');
  await get(`/v1/conversations/${conv.json.id}/items/${items.data[0].id}`, 'ResponseItem');
  conforms('ConversationDeleted', (await s.req('DELETE', `/v1/conversations/${conv.json.id}`)).json);
  conforms('ResponseDeleted', (await s.req('DELETE', `/v1/responses/${resp.json.id}`)).json);
  await get('/v1/usage?group_by=key', 'Usage');

  for (const r of [
    await s.req('GET', '/v1/health', { token: null }),
    await s.req('GET', '/v1/keys', { token: key.json.key }),
    await s.req('GET', '/v1/agents/none'),
    await s.req('POST', '/v1/keys', { body: { rpm: 1 } }),
    await s.req('POST', '/v1/keys', { body: { user_id: 'x', what: 1 } }),
  ])
    conforms('Error', r.json);
  const metrics = await s.req('GET', '/metrics');
  assert.equal(metrics.status, 200);
  assert.ok(doc.paths['/metrics'].get.responses['200'].content['text/plain']);
});
