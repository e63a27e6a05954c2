// Agents CRUD, templates, schema, models, health: shapes and validation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MOCK_REPLY,
  SYSTEM_PROMPT,
  assertError,
  chat,
  contentOf,
  createAgent,
  sleep,
  startServer,
  uid,
} from './helpers.mjs';

const T = { timeout: 20000 };
const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

let s;
before(async () => {
  s = await startServer();
});
after(async () => {
  const e = await s?.stop();
  assert.equal(e?.code, 0);
});

const post = (body) => s.req('POST', '/v1/agents', { body });

function assertAgentShape(a) {
  for (const k of [
    'id',
    'name',
    'description',
    'template_id',
    'template_version',
    'status',
    'configuration',
    'owner_id',
    'created_at',
    'updated_at',
    'metadata',
  ]) {
    assert.ok(k in a, `agent has ${k}: ${JSON.stringify(a)}`);
  }
  const c = a.configuration;
  for (const k of [
    'system_prompt',
    'llm_config_id',
    'conversation_config',
    'toolsets',
    'template_config',
  ]) {
    assert.ok(k in c, `configuration has ${k}`);
  }
  for (const k of ['continuous', 'historyLength', 'temperature', 'max_tokens']) {
    assert.ok(k in c.conversation_config, `conversation_config has ${k}`);
  }
  assert.ok(Array.isArray(c.toolsets));
  assert.equal(typeof c.template_config, 'object');
  assert.match(a.created_at, ISO_Z);
  assert.match(a.updated_at, ISO_Z);
  assert.equal(typeof a.metadata, 'object');
}

describe('service endpoints', () => {
  test('GET /ping and GET /', T, async () => {
    const p = await s.req('GET', '/ping');
    assert.equal(p.status, 200);
    assert.deepEqual(p.json, { status: 'ok', message: 'pong' });
    assert.match(p.headers.get('content-type'), /application\/json/);
    const r = await s.req('GET', '/');
    assert.deepEqual(r.json, { service: 'troupe', version: '0.1.0', api: '/v1' });
  });

  test('GET /v1/health', T, async () => {
    const r = await s.req('GET', '/v1/health');
    assert.equal(r.status, 200);
    const h = r.json;
    assert.equal(h.status, 'healthy');
    assert.equal(h.version, '0.1.0');
    assert.equal(typeof h.uptime_seconds, 'number');
    assert.ok(h.uptime_seconds >= 0);
    assert.equal(typeof h.checks, 'object');
    for (const k of ['agents', 'live_sessions', 'live_agent_actors', 'total_completions']) {
      assert.equal(typeof h.metrics[k], 'number', `metrics.${k}`);
    }
    assert.ok(h.metrics.agents >= 1);
  });

  test('health total_completions counts chat turns', T, async () => {
    const before = (await s.req('GET', '/v1/health')).json.metrics.total_completions;
    const c = await chat(s, { model: 'demo', messages: [{ role: 'user', content: 'count me' }] });
    assert.equal(c.status, 200);
    const h = (await s.req('GET', '/v1/health')).json;
    const after = h.metrics.total_completions;
    assert.ok(after >= before + 1, `${before} -> ${after}`);
    // The provider that served it shows when it last answered.
    assert.match(h.checks.providers.test.last_success_at, /^\d{4}-\d\d-\d\dT.*Z$/);
  });

  test('GET /v1/templates', T, async () => {
    const r = await s.req('GET', '/v1/templates');
    assert.equal(r.status, 200);
    const list = r.json.templates;
    assert.ok(Array.isArray(list));
    const chatT = list.find((t) => t.id === 'chat');
    assert.ok(chatT, 'chat template listed');
    for (const k of ['framework', 'name', 'description', 'version']) assert.ok(k in chatT, k);
    assert.deepEqual(
      chatT.config.find((c) => c.key === 'response_prefix'),
      {
        key: 'response_prefix',
        type: 'string',
        description: chatT.config.find((c) => c.key === 'response_prefix').description,
        default: '',
        optional: true,
        validation: { minLength: 0, maxLength: 50 },
      },
    );
  });

  test('GET /v1/templates/chat, alias simple-test, unknown', T, async () => {
    const a = await s.req('GET', '/v1/templates/chat');
    assert.equal(a.status, 200);
    assert.equal(a.json.id, 'chat');
    const b = await s.req('GET', '/v1/templates/simple-test');
    assert.equal(b.status, 200);
    assert.deepEqual(b.json, a.json);
    assertError(await s.req('GET', '/v1/templates/nope'), 404);
  });

  test('GET /v1/schema', T, async () => {
    const r = await s.req('GET', '/v1/schema');
    assert.equal(r.status, 200);
    const j = r.json;
    for (const k of ['version', 'lastUpdated', 'supportedAgentTemplates', 'capabilities', 'limits']) {
      assert.ok(k in j, k);
    }
    const t = j.supportedAgentTemplates.find((x) => x.template_id === 'chat');
    assert.ok(t);
    for (const k of ['template_name', 'version', 'configSchema']) assert.ok(k in t, k);
    assert.equal(typeof j.capabilities, 'object');
    assert.equal(typeof j.limits, 'object');
  });

  test('trailing slash works', T, async () => {
    for (const p of ['/v1/health/', '/v1/agents/', '/v1/models/', '/v1/templates/', '/v1/agents/demo/']) {
      const r = await s.req('GET', p);
      assert.equal(r.status, 200, `${p}: ${r.text}`);
    }
  });
});

describe('POST /v1/agents', () => {
  test('201 with the full response shape; id generated when absent', T, async () => {
    const name = uid('Full');
    const r = await post({
      name,
      template_id: 'chat',
      template_config: { response_prefix: '[p] ' },
      system_prompt: 'sp',
      description: 'd',
      avatar_url: 'http://example.com/a.png',
      type: 'assistant',
      conversation_config: { continuous: false, historyLength: 3, temperature: 1.5, max_tokens: 10 },
      toolsets: ['basics', 'files'],
      llm_config_id: 'test',
      agent_line_id: 'line',
      version_type: 'draft',
      version_number: '1',
      owner_id: 'owner-1',
      status: 'created',
      template_version_id: '1.0.0',
    });
    assert.equal(r.status, 201, r.text);
    const j = r.json;
    assert.equal(j.success, true);
    assert.equal(typeof j.agent_id, 'string');
    assert.ok(j.agent_id.length > 0);
    assert.equal(typeof j.message, 'string');
    assert.deepEqual(j.validation_results, { valid: true, warnings: [] });
    const a = j.agent;
    assertAgentShape(a);
    assert.equal(a.id, j.agent_id);
    assert.equal(a.name, name);
    assert.equal(a.description, 'd');
    assert.equal(a.template_id, 'chat');
    assert.equal(a.status, 'created');
    assert.equal(a.owner_id, 'owner-1');
    assert.equal(a.configuration.system_prompt, 'sp');
    assert.equal(a.configuration.llm_config_id, 'test');
    assert.deepEqual(a.configuration.conversation_config, {
      continuous: false,
      historyLength: 3,
      temperature: 1.5,
      max_tokens: 10,
    });
    assert.deepEqual(a.configuration.toolsets, ['basics', 'files']);
    assert.deepEqual(a.configuration.template_config, { response_prefix: '[p] ' });
    assert.equal(a.created_at, a.updated_at);

    const g = await s.req('GET', `/v1/agents/${j.agent_id}`);
    assert.equal(g.status, 200);
    assert.deepEqual(g.json, a);
  });

  test('minimal agent: default status active; explicit id kept', T, async () => {
    const id = uid('my.agent:1');
    const r = await post({ id, name: uid('Min'), template_id: 'chat' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.agent_id, id);
    assert.equal(r.json.agent.status, 'active');
    const g = await s.req('GET', `/v1/agents/${encodeURIComponent(id)}`);
    assert.equal(g.status, 200, g.text);
    assert.equal(g.json.id, id);
  });

  test('generated ids are unique', T, async () => {
    const a = await createAgent(s);
    const b = await createAgent(s);
    assert.notEqual(a, b);
  });

  test('simple-test template alias is accepted', T, async () => {
    const r = await post({ name: uid('Alias'), template_id: 'simple-test' });
    assert.equal(r.status, 201, r.text);
    const c = await chat(s, { model: r.json.agent_id, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(c.status, 200, c.text);
    assert.equal(contentOf(c), MOCK_REPLY);
  });

  test('id validation → 400', T, async () => {
    for (const id of ['', 'has space', 'slash/inside', 'x'.repeat(129), 'ünïcode', 'semi;colon']) {
      assertError(await post({ id, name: uid('Id'), template_id: 'chat' }), 400);
    }
    const ok = await post({ id: `A${'x'.repeat(127)}`, name: uid('Id128'), template_id: 'chat' });
    assert.equal(ok.status, 201, ok.text);
  });

  test('name validation', T, async () => {
    assertError(await post({ name: '', template_id: 'chat' }), 400);
    assertError(await post({ name: '   ', template_id: 'chat' }), 400);
    assertError(await post({ name: 'n'.repeat(101), template_id: 'chat' }), 400);
    const ok = await post({ name: `${uid('n')}`.padEnd(100, 'n'), template_id: 'chat' });
    assert.equal(ok.status, 201, ok.text);
    assertError(await post({ name: 42, template_id: 'chat' }), 422);
    assertError(await post({ template_id: 'chat' }), 422);
  });

  test('template_id required and known', T, async () => {
    assertError(await post({ name: uid('T') }), 422);
    assertError(await post({ name: uid('T'), template_id: 'unknown' }), 400);
  });

  test('template_config validation names template_config.<key>', T, async () => {
    const bad = [
      { response_prefix: 12 },
      { response_prefix: 'x'.repeat(51) },
      { no_such_key: 'x' },
    ];
    const params = [
      'template_config.response_prefix',
      'template_config.response_prefix',
      'template_config.no_such_key',
    ];
    for (let i = 0; i < bad.length; i++) {
      const e = assertError(
        await post({ name: uid('TC'), template_id: 'chat', template_config: bad[i] }),
        400,
      );
      assert.equal(e.param, params[i], JSON.stringify(e));
    }
    const ok = await post({
      name: uid('TC'),
      template_id: 'chat',
      template_config: { response_prefix: 'x'.repeat(50) },
    });
    assert.equal(ok.status, 201, ok.text);
  });

  test('conversation_config: out of range → 400, wrong type / unknown key → 422', T, async () => {
    for (const cc of [
      { historyLength: 0 },
      { historyLength: 1001 },
      { temperature: -0.1 },
      { temperature: 2.5 },
      { max_tokens: 0 },
      { max_tokens: -5 },
    ]) {
      assertError(
        await post({ name: uid('CC'), template_id: 'chat', conversation_config: cc }),
        400,
      );
    }
    for (const cc of [
      { continuous: 'yes' },
      { historyLength: '5' },
      { temperature: 'hot' },
      { max_tokens: true },
      { colour: 'blue' },
    ]) {
      assertError(
        await post({ name: uid('CC'), template_id: 'chat', conversation_config: cc }),
        422,
      );
    }
    assertError(
      await post({ name: uid('CC'), template_id: 'chat', conversation_config: [] }),
      422,
    );
    for (const cc of [
      { historyLength: 1 },
      { historyLength: 1000 },
      { temperature: 0 },
      { temperature: 2 },
      { max_tokens: 1 },
    ]) {
      const r = await post({ name: uid('CC'), template_id: 'chat', conversation_config: cc });
      assert.equal(r.status, 201, `${JSON.stringify(cc)}: ${r.text}`);
    }
  });

  test('toolsets must be an array of strings naming toolsets of the services file', T, async () => {
    assertError(await post({ name: uid('TS'), template_id: 'chat', toolsets: 'x' }), 422);
    assertError(await post({ name: uid('TS'), template_id: 'chat', toolsets: [1] }), 422);
    assertError(await post({ name: uid('TS'), template_id: 'chat', toolsets: ['basics', 'nope'] }), 400, {
      param: 'toolsets[1]',
      code: 'unknown_toolset',
    });
  });

  test('llm_config_id must name a provider', T, async () => {
    assertError(await post({ name: uid('L'), template_id: 'chat', llm_config_id: 'nope' }), 400);
    for (const p of ['test', 'test-slow', 'openai']) {
      const r = await post({ name: uid('L'), template_id: 'chat', llm_config_id: p });
      assert.equal(r.status, 201, r.text);
    }
  });

  test('status must be a known value', T, async () => {
    assertError(await post({ name: uid('S'), template_id: 'chat', status: 'bogus' }), 400);
    for (const st of ['created', 'active', 'inactive', 'error']) {
      const r = await post({ name: uid('S'), template_id: 'chat', status: st });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.agent.status, st);
    }
  });

  test('unknown top-level key / non-object body → 422', T, async () => {
    assertError(await post({ name: uid('U'), template_id: 'chat', colour: 'red' }), 422);
    assertError(await post([{ name: uid('U'), template_id: 'chat' }]), 422);
    assertError(await post('"just a string"'), 422);
    assertError(await post('42'), 422);
  });

  test('duplicate id → 409', T, async () => {
    assertError(await post({ id: 'demo', name: uid('D'), template_id: 'chat' }), 409);
  });

  test('name unique → 409 (also against the seeded agent)', T, async () => {
    assertError(await post({ name: 'Demo agent', template_id: 'chat' }), 409);
  });

  test('agent over --max-config-bytes → 400', T, async () => {
    const r = await post({ name: uid('Big'), template_id: 'chat', system_prompt: 'x'.repeat(70000) });
    assertError(r, 400);
    const ok = await post({ name: uid('Big'), template_id: 'chat', system_prompt: 'x'.repeat(30000) });
    assert.equal(ok.status, 201, ok.text);
  });
});

describe('GET /v1/agents', () => {
  test('seeded demo agent', T, async () => {
    const r = await s.req('GET', '/v1/agents/demo');
    assert.equal(r.status, 200);
    assertAgentShape(r.json);
    assert.equal(r.json.id, 'demo');
    assert.equal(r.json.template_id, 'chat');
    assert.equal(r.json.status, 'active');
    assert.equal(r.json.configuration.system_prompt, SYSTEM_PROMPT);
    assert.equal(r.json.configuration.llm_config_id, 'test');
  });

  test('list: array in creation order, with limit/offset', T, async () => {
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(await createAgent(s, { name: uid(`Order${i}`) }));
    const all = await s.req('GET', '/v1/agents');
    assert.equal(all.status, 200);
    assert.ok(Array.isArray(all.json));
    all.json.forEach(assertAgentShape);
    const listed = all.json.map((a) => a.id);
    assert.equal(listed[0], 'demo', 'seeded agent first');
    const pos = ids.map((id) => listed.indexOf(id));
    assert.ok(pos.every((p) => p >= 0), 'all created agents listed');
    assert.deepEqual([...pos].sort((a, b) => a - b), pos, 'creation order');

    const page = await s.req('GET', '/v1/agents?limit=2&offset=1');
    assert.equal(page.status, 200);
    assert.deepEqual(page.json.map((a) => a.id), listed.slice(1, 3));
    const tail = await s.req(`GET`, `/v1/agents?offset=${listed.length}`);
    assert.deepEqual(tail.json, []);
    const one = await s.req('GET', '/v1/agents?limit=1');
    assert.deepEqual(one.json.map((a) => a.id), ['demo']);
  });

  test('list filters: template_id and active_only', T, async () => {
    const inactive = await createAgent(s, { status: 'inactive' });
    const active = await createAgent(s, { status: 'active' });
    const act = await s.req('GET', '/v1/agents?active_only=true');
    assert.equal(act.status, 200);
    const actIds = act.json.map((a) => a.id);
    assert.ok(actIds.includes(active));
    assert.ok(!actIds.includes(inactive));
    assert.ok(act.json.every((a) => a.status === 'active'));
    const all = await s.req('GET', '/v1/agents?active_only=false');
    assert.ok(all.json.map((a) => a.id).includes(inactive));

    const byT = await s.req('GET', '/v1/agents?template_id=chat');
    assert.equal(byT.status, 200);
    assert.ok(byT.json.length >= 1);
    assert.ok(byT.json.every((a) => a.template_id === 'chat'));
    const none = await s.req('GET', '/v1/agents?template_id=no-such-template');
    assert.equal(none.status, 200);
    assert.deepEqual(none.json, []);
  });

  test('bad query values → 400', T, async () => {
    for (const q of ['limit=0', 'limit=-1', 'limit=abc', 'limit=1.5', 'offset=-1', 'offset=x']) {
      assertError(await s.req('GET', `/v1/agents?${q}`), 400);
    }
  });

  test('unknown id → 404 for GET/PUT/PATCH/DELETE', T, async () => {
    assertError(await s.req('GET', '/v1/agents/nope'), 404);
    assertError(await s.req('PUT', '/v1/agents/nope', { body: { description: 'x' } }), 404);
    assertError(
      await s.req('PATCH', '/v1/agents/nope/status', { body: { status: 'active' } }),
      404,
    );
    assertError(await s.req('DELETE', '/v1/agents/nope'), 404);
  });
});

describe('PUT / PATCH / DELETE', () => {
  test('PUT partial update bumps updated_at and keeps the rest', T, async () => {
    const name = uid('Put');
    const id = await createAgent(s, { name, system_prompt: 'old prompt', description: 'old' });
    const before = (await s.req('GET', `/v1/agents/${id}`)).json;
    await sleep(15);
    const r = await s.req('PUT', `/v1/agents/${id}`, { body: { description: 'new' } });
    assert.equal(r.status, 200, r.text);
    assertAgentShape(r.json);
    assert.equal(r.json.description, 'new');
    assert.equal(r.json.name, name);
    assert.equal(r.json.configuration.system_prompt, 'old prompt');
    assert.equal(r.json.created_at, before.created_at);
    assert.ok(r.json.updated_at > before.updated_at, `${before.updated_at} -> ${r.json.updated_at}`);
    const g = await s.req('GET', `/v1/agents/${id}`);
    assert.deepEqual(g.json, r.json);
  });

  test('PUT validates like POST', T, async () => {
    const id = await createAgent(s);
    assertError(await s.req('PUT', `/v1/agents/${id}`, { body: { colour: 'x' } }), 422);
    assertError(
      await s.req('PUT', `/v1/agents/${id}`, { body: { conversation_config: { historyLength: 0 } } }),
      400,
    );
    assertError(await s.req('PUT', `/v1/agents/${id}`, { body: { llm_config_id: 'nope' } }), 400);
    const e = assertError(
      await s.req('PUT', `/v1/agents/${id}`, {
        body: { template_config: { response_prefix: 'x'.repeat(51) } },
      }),
      400,
    );
    assert.equal(e.param, 'template_config.response_prefix');
    assertError(await s.req('PUT', `/v1/agents/${id}`, { body: { name: '' } }), 400);
    assertError(await s.req('PUT', `/v1/agents/${id}`, { body: { name: 'Demo agent' } }), 409);
    assertError(
      await s.req('PUT', `/v1/agents/${id}`, { body: { system_prompt: 'x'.repeat(70000) } }),
      400,
    );
  });

  test('PUT changes the next chat turn (response_prefix, system prompt)', T, async () => {
    const id = await createAgent(s, { system_prompt: 'one two' });
    const a = await chat(s, { model: id, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(contentOf(a), MOCK_REPLY);
    assert.equal(a.json.usage.prompt_tokens, 3);
    const r = await s.req('PUT', `/v1/agents/${id}`, {
      body: { template_config: { response_prefix: '[bot] ' }, system_prompt: 'one two three four' },
    });
    assert.equal(r.status, 200, r.text);
    const b = await chat(s, { model: id, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(contentOf(b), `[bot] ${MOCK_REPLY}`);
    assert.equal(b.json.usage.prompt_tokens, 5);
  });

  test('PATCH status', T, async () => {
    const id = await createAgent(s);
    const r = await s.req('PATCH', `/v1/agents/${id}/status`, { body: { status: 'inactive' } });
    assert.equal(r.status, 200, r.text);
    assertAgentShape(r.json);
    assert.equal(r.json.status, 'inactive');
    assert.equal((await s.req('GET', `/v1/agents/${id}`)).json.status, 'inactive');
    assertError(await chat(s, { model: id, messages: [{ role: 'user', content: 'x' }] }), 409);
    const back = await s.req('PATCH', `/v1/agents/${id}/status`, { body: { status: 'active' } });
    assert.equal(back.status, 200);
    const c = await chat(s, { model: id, messages: [{ role: 'user', content: 'x' }] });
    assert.equal(c.status, 200, c.text);
    assertError(
      await s.req('PATCH', `/v1/agents/${id}/status`, { body: { status: 'bogus' } }),
      400,
    );
    assertError(await s.req('PATCH', `/v1/agents/${id}/status`, { body: {} }), 422);
  });

  test('DELETE → 204, agent and its sessions gone', T, async () => {
    const id = await createAgent(s);
    const c = await chat(s, { model: id, messages: [{ role: 'user', content: 'x' }] });
    assert.equal(c.status, 200);
    const sid = c.json.metadata.session_id;
    assert.equal((await s.req('GET', `/v1/sessions/${sid}`)).status, 200);
    const d = await s.req('DELETE', `/v1/agents/${id}`);
    assert.equal(d.status, 204);
    assert.equal(d.text, '');
    assertError(await s.req('GET', `/v1/agents/${id}`), 404);
    assertError(await s.req('GET', `/v1/sessions/${sid}`), 404);
    assertError(await s.req('GET', `/v1/models/${id}`), 404);
    assertError(await chat(s, { model: id, messages: [{ role: 'user', content: 'x' }] }), 404, {
      code: 'model_not_found',
    });
    assertError(await s.req('DELETE', `/v1/agents/${id}`), 404);
    const list = await s.req('GET', '/v1/sessions');
    assert.ok(!list.json.some((x) => x.id === sid));
  });

  test('a deleted name can be reused', T, async () => {
    const name = uid('Reuse');
    const id = await createAgent(s, { name });
    assert.equal((await s.req('DELETE', `/v1/agents/${id}`)).status, 204);
    const again = await post({ name, template_id: 'chat' });
    assert.equal(again.status, 201, again.text);
  });
});

describe('models', () => {
  test('GET /v1/models lists agents', T, async () => {
    const id = await createAgent(s);
    const r = await s.req('GET', '/v1/models');
    assert.equal(r.status, 200);
    assert.equal(r.json.object, 'list');
    const ids = r.json.data.map((m) => m.id);
    assert.ok(ids.includes('demo'));
    assert.ok(ids.includes(id));
    for (const m of r.json.data) {
      assert.equal(m.object, 'model');
      assert.equal(typeof m.created, 'number');
      assert.equal(typeof m.owned_by, 'string');
    }
  });

  test('GET /v1/models/{id}', T, async () => {
    const r = await s.req('GET', '/v1/models/demo');
    assert.equal(r.status, 200);
    assert.equal(r.json.id, 'demo');
    assert.equal(r.json.object, 'model');
    assert.equal(typeof r.json.created, 'number');
    assert.equal(typeof r.json.owned_by, 'string');
    assertError(await s.req('GET', '/v1/models/nope'), 404);
  });
});
