// POST /v1/chat/completions, non-stream: reply shape, usage, parameter validation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MOCK_REPLY,
  SYSTEM_PROMPT,
  assertError,
  chat,
  contentOf,
  createAgent,
  startServer,
  user,
  words,
} from './helpers.mjs';

const T = { timeout: 20000 };

let s;
before(async () => {
  s = await startServer();
});
after(async () => {
  const e = await s?.stop();
  assert.equal(e?.code, 0);
});

describe('non-stream reply', () => {
  test('full reply shape', T, async () => {
    const t0 = Math.floor(Date.now() / 1000);
    const r = await chat(s, { model: 'demo', messages: [user('hello there')] });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type'), /application\/json/);
    const j = r.json;
    assert.match(j.id, /^chatcmpl-/);
    assert.equal(j.object, 'chat.completion');
    assert.equal(typeof j.created, 'number');
    assert.ok(Math.abs(j.created - t0) < 5, `created ${j.created} is a unix time in seconds`);
    assert.equal(j.model, 'demo');
    assert.equal(j.choices.length, 1);
    assert.deepEqual(j.choices[0], {
      index: 0,
      message: { role: 'assistant', content: MOCK_REPLY, refusal: null },
      logprobs: null,
      finish_reason: 'stop',
    });
    const prompt = words(SYSTEM_PROMPT) + 2;
    assert.deepEqual(j.usage, {
      prompt_tokens: prompt,
      completion_tokens: 5,
      total_tokens: prompt + 5,
    });
    const m = j.metadata;
    assert.equal(typeof m.session_id, 'string');
    assert.ok(m.session_id.length > 0);
    assert.equal(m.user_id, null);
    assert.equal(m.agent_id, 'demo');
    assert.equal(typeof m.message_id, 'string');
    assert.equal(m.provider, 'test');
  });

  test('trailing slash works for POST too', T, async () => {
    const r = await s.req('POST', '/v1/chat/completions/', {
      body: { model: 'demo', messages: [user('hi')] },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(contentOf(r), MOCK_REPLY);
    const a = await s.req('POST', '/v1/agents/', { body: { name: 'slash agent', template_id: 'chat' } });
    assert.equal(a.status, 201, a.text);
  });

  test('ids differ between calls; user_id echoed', T, async () => {
    const a = await chat(s, { model: 'demo', messages: [user('a')], metadata: { user_id: 'u1' } });
    const b = await chat(s, { model: 'demo', messages: [user('b')], metadata: { user_id: 'u1' } });
    assert.notEqual(a.json.id, b.json.id);
    assert.notEqual(a.json.metadata.session_id, b.json.metadata.session_id);
    assert.notEqual(a.json.metadata.message_id, b.json.metadata.message_id);
    assert.equal(a.json.metadata.user_id, 'u1');
  });

  test('prompt_tokens counts system prompt and every message', T, async () => {
    const msgs = [
      { role: 'system', content: 'be brief please' },
      user('one two three'),
      { role: 'assistant', content: 'four five' },
      user('six'),
    ];
    const r = await chat(s, { model: 'demo', messages: msgs });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.usage.prompt_tokens, words(SYSTEM_PROMPT) + 3 + 3 + 2 + 1);
    assert.equal(r.json.usage.total_tokens, r.json.usage.prompt_tokens + 5);
  });

  test('content as an array of text parts', T, async () => {
    const r = await chat(s, {
      model: 'demo',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'alpha beta' },
            { type: 'text', text: 'gamma' },
          ],
        },
      ],
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(contentOf(r), MOCK_REPLY);
    assert.equal(r.json.usage.prompt_tokens, words(SYSTEM_PROMPT) + 3);
  });

  test('tool role is accepted', T, async () => {
    const r = await chat(s, {
      model: 'demo',
      messages: [user('x'), { role: 'assistant', content: 'y' }, { role: 'tool', content: 'z', tool_call_id: 'c1' }],
    });
    assert.equal(r.status, 200, r.text);
  });

  test('max_tokens=2 truncates with finish_reason length', T, async () => {
    for (const key of ['max_tokens', 'max_completion_tokens']) {
      const r = await chat(s, { model: 'demo', messages: [user('hi')], [key]: 2 });
      assert.equal(r.status, 200, r.text);
      assert.equal(contentOf(r), 'Test response ', key);
      assert.equal(r.json.choices[0].finish_reason, 'length', key);
      assert.equal(r.json.usage.completion_tokens, 2, key);
    }
    const one = await chat(s, { model: 'demo', messages: [user('hi')], max_tokens: 1 });
    assert.equal(contentOf(one), 'Test ');
    assert.equal(one.json.choices[0].finish_reason, 'length');
    // Exactly the reply's length: the reply is complete, so "stop".
    const five = await chat(s, { model: 'demo', messages: [user('hi')], max_tokens: 5 });
    assert.equal(contentOf(five), MOCK_REPLY);
    assert.equal(five.json.choices[0].finish_reason, 'stop');
    const big = await chat(s, { model: 'demo', messages: [user('hi')], max_tokens: 100 });
    assert.equal(contentOf(big), MOCK_REPLY);
    assert.equal(big.json.choices[0].finish_reason, 'stop');
  });

  test('agent conversation_config.max_tokens applies', T, async () => {
    const id = await createAgent(s, { conversation_config: { max_tokens: 2 } });
    const r = await chat(s, { model: id, messages: [user('hi')] });
    assert.equal(r.status, 200, r.text);
    assert.equal(contentOf(r), 'Test response ');
    assert.equal(r.json.choices[0].finish_reason, 'length');
  });

  test('response_prefix is prepended', T, async () => {
    const id = await createAgent(s, { template_config: { response_prefix: '>> ' } });
    const r = await chat(s, { model: id, messages: [user('hi')] });
    assert.equal(r.status, 200, r.text);
    assert.equal(contentOf(r), `>> ${MOCK_REPLY}`);
    assert.equal(r.json.model, id);
    assert.equal(r.json.metadata.agent_id, id);
  });

  test('optional OpenAI fields are accepted', T, async () => {
    const r = await chat(s, {
      model: 'demo',
      messages: [user('hi')],
      temperature: 0,
      top_p: 1,
      n: 1,
      presence_penalty: -2,
      frequency_penalty: 2,
      max_tokens: 50,
      stream: false,
      user: 'end-user-1',
      seed: 42,
      logprobs: false,
      response_format: { type: 'text' },
      stop: ['\n'],
      tools: [
        {
          type: 'function',
          function: { name: 'f', description: 'd', parameters: { type: 'object', properties: {} } },
        },
      ],
      tool_choice: 'auto',
      logit_bias: {},
      parallel_tool_calls: false,
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(contentOf(r), MOCK_REPLY);
  });

  test('boundary values are accepted', T, async () => {
    for (const extra of [
      { temperature: 2 },
      { temperature: 0 },
      { top_p: 0 },
      { presence_penalty: 2 },
      { frequency_penalty: -2 },
      { max_tokens: 1 },
    ]) {
      const r = await chat(s, { model: 'demo', messages: [user('hi')], ...extra });
      assert.equal(r.status, 200, `${JSON.stringify(extra)}: ${r.text}`);
    }
  });
});

describe('request validation', () => {
  test('out-of-range values → 400', T, async () => {
    for (const extra of [
      { temperature: 2.01 },
      { temperature: -0.5 },
      { top_p: 1.5 },
      { top_p: -0.1 },
      { max_tokens: 0 },
      { max_tokens: -1 },
      { max_completion_tokens: 0 },
      { presence_penalty: 2.5 },
      { frequency_penalty: -3 },
      { n: 129 },
      { n: 0 },
    ]) {
      assertError(await chat(s, { model: 'demo', messages: [user('hi')], ...extra }), 400);
    }
  });

  test('messages: missing → 422, empty → 400, bad role → 400', T, async () => {
    assertError(await chat(s, { model: 'demo' }), 422, { param: 'messages' });
    assertError(await chat(s, { model: 'demo', messages: [] }), 400);
    for (const role of ['robot', 'developerx', '']) {
      assertError(await chat(s, { model: 'demo', messages: [{ role, content: 'x' }] }), 400);
    }
  });

  test('wrong JSON types → 422', T, async () => {
    for (const body of [
      { model: 'demo', messages: {} },
      { model: 'demo', messages: [42] },
      { model: 'demo', messages: [{ role: 'user', content: 42 }] },
      { model: 'demo', messages: [user('x')], temperature: 'hot' },
      { model: 'demo', messages: [user('x')], stream: 'yes' },
      { model: 'demo', messages: [user('x')], max_tokens: 'many' },
      { model: 'demo', messages: [user('x')], metadata: 'x' },
      { model: 42, messages: [user('x')] },
      { messages: [user('x')] },
    ]) {
      assertError(await chat(s, body), 422);
    }
  });

  test('an unknown key is not refused: it is for the upstream to judge', T, async () => {
    const r = await chat(s, { model: 'demo', messages: [user('x')], foo: 'bar', top_k: 3 });
    assert.equal(r.status, 200, r.text);
  });

  test('top-level not an object → 422', T, async () => {
    assertError(await chat(s, [{ model: 'demo' }]), 422);
    assertError(await chat(s, 'null'), 422);
    assertError(await chat(s, '"x"'), 422);
  });

  test('unknown model → 404 model_not_found', T, async () => {
    assertError(await chat(s, { model: 'ghost', messages: [user('x')] }), 404, {
      code: 'model_not_found',
    });
  });

  test('errors do not create sessions or count completions', T, async () => {
    const h0 = (await s.req('GET', '/v1/health')).json.metrics;
    const n0 = (await s.req('GET', '/v1/sessions')).json.length;
    await chat(s, { model: 'demo', messages: [user('x')], temperature: 9 });
    await chat(s, { model: 'ghost', messages: [user('x')] });
    const h1 = (await s.req('GET', '/v1/health')).json.metrics;
    const n1 = (await s.req('GET', '/v1/sessions')).json.length;
    assert.equal(h1.total_completions, h0.total_completions);
    assert.equal(n1, n0);
  });
});
