// The whole chat-completions contract through Troupe to an OpenAI-compatible
// upstream (the fake, which rejects what OpenAI rejects): what the upstream
// receives (tools, tool messages with ids, response_format, parts, logprobs,
// unknown fields, in order) and what comes back (tool calls, refusals,
// logprobs, usage details, several choices), stream and non-stream.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeUpstream } from './fake_upstream.mjs';
import {
  assertError,
  chat,
  createAgent,
  startServer,
  streamChat,
  uid,
  user,
  writeServices,
} from './helpers.mjs';

const T = { timeout: 20000 };

let fake;
let s;
let agent;
before(async () => {
  fake = await startFakeUpstream();
  const services = writeServices(
    {
      up: { type: 'openai', model: 'fake-model', base_url: fake.base, timeout_s: 5, retry_base_ms: 20, fallback: 'test' },
      test: { type: 'test', model: 'mock' },
    },
    'up',
  );
  s = await startServer({ baseArgs: [`--services=${services}`, '--storage=memory', '--log-level=warn'] });
  agent = await createAgent(s, { system_prompt: 'You call tools.', conversation_config: { historyLength: 50 } });
});
after(async () => {
  const e = await s?.stop();
  await fake?.stop();
  assert.equal(e?.code, 0);
});

async function planned(steps) {
  const mark = uid('mark');
  await fake.plan(mark, steps);
  return mark;
}

async function onlyRequest(mark) {
  const reqs = await fake.requests(mark);
  assert.equal(reqs.length, 1, `requests for ${mark}: ${JSON.stringify(reqs.map((r) => r.body))}`);
  return reqs[0];
}

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
    strict: true,
  },
};

const stored = async (sid) => {
  const r = await s.req('GET', `/v1/sessions/${sid}`);
  assert.equal(r.status, 200, r.text);
  return r.json;
};

describe('what the upstream receives', () => {
  test('tools, tool_choice, response_format, logprobs and unknown fields arrive unchanged, in order', T, async () => {
    const mark = await planned([{}]);
    const body = {
      model: agent,
      messages: [user(mark)],
      tools: [weatherTool],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'w', schema: { type: 'object' }, strict: true } },
      logprobs: true,
      top_logprobs: 2,
      reasoning_effort: 'low',
      verbosity: 'low',
      service_tier: 'auto',
      prediction: { type: 'content', content: 'guess' },
      modalities: ['text'],
      logit_bias: { 50256: -100 },
      store: true,
      prompt_cache_key: 'k1',
      safety_identifier: 'sid-hash',
      web_search_options: {},
      top_k: 40,
      min_p: 0.05,
      chat_template_kwargs: { enable_thinking: false },
      user: 'end-user',
      metadata: { session_id: uid('s'), user_id: 'alice', trace: 'abc' },
    };
    const r = await chat(s, body);
    assert.equal(r.status, 200, r.text);
    const got = (await onlyRequest(mark)).body;
    const { model, messages, metadata, ...rest } = body;
    for (const [k, v] of Object.entries(rest)) assert.deepEqual(got[k], v, `field ${k}`);
    assert.deepEqual(got.metadata, { trace: 'abc' }, "Troupe's own metadata keys stay with Troupe");
    const keys = Object.keys(got).filter((k) => k !== 'model' && k !== 'messages' && k !== 'metadata');
    assert.deepEqual(keys, Object.keys(rest), 'in the order received');
  });

  test('content parts, names and images are relayed as they are', T, async () => {
    const mark = await planned([{}]);
    const parts = [
      { type: 'text', text: `look ${mark}` },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'high' } },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==' } },
      { type: 'input_audio', input_audio: { data: 'UklGRiQAAABXQVZF', format: 'wav' } },
      { type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0x' } },
    ];
    const r = await chat(s, { model: agent, messages: [{ role: 'user', name: 'ann', content: parts }] });
    assert.equal(r.status, 200, r.text);
    const got = (await onlyRequest(mark)).body.messages;
    assert.deepEqual(got.at(-1), { role: 'user', content: parts, name: 'ann' });
    assert.equal(r.json.choices[0].message.content, `Echo: look ${mark}`);
  });

  test('a tool round trip with a session id: the upstream sees the call and its result with ids', T, async () => {
    const sid = uid('tools');
    const mark = await planned([
      { tool_calls: [{ id: 'call_w1', name: 'get_weather', arguments: { city: 'Paris' } }] },
      { content: 'Sunny in Paris.' },
    ]);
    const first = await chat(s, { model: agent, messages: [user(`weather? ${mark}`)], tools: [weatherTool], metadata: { session_id: sid } });
    assert.equal(first.status, 200, first.text);
    const call = first.json.choices[0].message.tool_calls[0];
    assert.equal(call.id, 'call_w1');
    // The client answers with only the tool result: Troupe adds the stored call in front.
    const second = await chat(s, {
      model: agent,
      messages: [{ role: 'tool', tool_call_id: call.id, content: '{"temp":21}' }],
      tools: [weatherTool],
      metadata: { session_id: sid },
    });
    assert.equal(second.status, 200, second.text);
    assert.equal(second.json.choices[0].message.content, 'Sunny in Paris.');
    const [, up] = await fake.requests(mark);
    assert.equal(up.rejected, undefined);
    assert.deepEqual(up.body.messages.slice(1), [
      { role: 'user', content: `weather? ${mark}` },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_w1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', content: '{"temp":21}', tool_call_id: 'call_w1' },
    ]);
    const sess = await stored(sid);
    assert.deepEqual(
      sess.messages.map((m) => [m.role, m.content, m.tool_calls?.[0]?.id ?? m.tool_call_id ?? null]),
      [
        ['user', `weather? ${mark}`, null],
        ['assistant', null, 'call_w1'],
        ['tool', '{"temp":21}', 'call_w1'],
        ['assistant', 'Sunny in Paris.', null],
      ],
    );
  });

  test('legacy functions: sent as tools, answered as function_call, the result tied to it', T, async () => {
    const sid = uid('legacy');
    const mark = await planned([
      { tool_calls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] },
      { content: 'Cold in Oslo.' },
    ]);
    const functions = [{ name: 'get_weather', parameters: weatherTool.function.parameters }];
    const first = await chat(s, { model: agent, messages: [user(`oslo ${mark}`)], functions, function_call: 'auto', metadata: { session_id: sid } });
    assert.equal(first.status, 200, first.text);
    const c = first.json.choices[0];
    assert.equal(c.finish_reason, 'function_call');
    assert.deepEqual(c.message.function_call, { name: 'get_weather', arguments: '{"city":"Oslo"}' });
    assert.equal(c.message.tool_calls, undefined);
    const second = await chat(s, {
      model: agent,
      messages: [{ role: 'function', name: 'get_weather', content: '-3C' }],
      functions,
      metadata: { session_id: sid },
    });
    assert.equal(second.status, 200, second.text);
    const [up1, up2] = await fake.requests(mark);
    assert.deepEqual(up1.body.tools, [{ type: 'function', function: functions[0] }]);
    assert.equal(up1.body.tool_choice, 'auto');
    assert.equal(up1.body.functions, undefined);
    const sent = up2.body.messages;
    assert.equal(sent.at(-1).role, 'tool');
    assert.equal(sent.at(-1).tool_call_id, sent.at(-2).tool_calls[0].id);
  });

  test('a tool message without tool_call_id is 400, and never reaches the upstream', T, async () => {
    const mark = uid('mark');
    const r = await chat(s, { model: agent, messages: [user(mark), { role: 'tool', content: 'x' }] });
    assertError(r, 400, { param: 'messages[1].tool_call_id' });
    assert.equal((await fake.requests(mark)).length, 0);
  });

  test('a tool name OpenAI would refuse is 400 naming the field', T, async () => {
    const bad = { type: 'function', function: { name: 'no spaces allowed', parameters: {} } };
    assertError(await chat(s, { model: agent, messages: [user('x')], tools: [bad] }), 400, { param: 'tools[0].function.name' });
  });

  test("an invalid conversation is the upstream's 400, once, never the fallback's 200", T, async () => {
    const mark = uid('mark');
    await fake.plan(mark, [{}]);
    const r = await chat(s, { model: agent, messages: [user(mark), { role: 'tool', tool_call_id: 'call_nowhere', content: 'x' }] });
    const e = assertError(r, 400, { type: 'invalid_request_error' });
    assert.match(e.message, /tool/);
    const seen = await fake.requests(mark);
    assert.equal(seen.length, 1);
    assert.ok(seen[0].rejected);
  });
});

describe('what comes back', () => {
  test('non-stream tool calls: content null, OpenAI\'s shape, usage details, fingerprint', T, async () => {
    const mark = await planned([{ tool_calls: [{ id: 'call_a', name: 'get_weather', arguments: { city: 'Rome' } }, { id: 'call_b', name: 'get_weather', arguments: { city: 'Bern' } }] }]);
    const r = await chat(s, { model: agent, messages: [user(mark)], tools: [weatherTool] });
    assert.equal(r.status, 200, r.text);
    const c = r.json.choices[0];
    assert.equal(c.finish_reason, 'tool_calls');
    assert.equal(c.message.content, null);
    assert.equal(c.message.refusal, null);
    assert.deepEqual(c.message.tool_calls, [
      { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
      { id: 'call_b', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Bern"}' } },
    ]);
    assert.equal(r.json.system_fingerprint, 'fp_fake');
    assert.equal(r.json.usage.prompt_tokens_details.cached_tokens, 0);
    assert.equal(r.json.usage.completion_tokens_details.reasoning_tokens, 0);
    assert.equal(r.json.model, agent);
    assert.match(r.json.id, /^chatcmpl-/);
  });

  test('streamed tool calls: fragments as OpenAI sends them, relayed as they come', T, async () => {
    const args = { city: 'Lisbon', unit: 'celsius', detail: 'a long enough argument string' };
    const mark = await planned([{ tool_calls: [{ id: 'call_s', name: 'get_weather', arguments: args }] }]);
    const r = await streamChat(s, { model: agent, messages: [user(mark)], tools: [weatherTool], stream_options: { include_usage: true } });
    assert.equal(r.status, 200, r.raw);
    assert.ok(r.done);
    const deltas = r.chunks.filter((c) => c.choices.length).map((c) => c.choices[0].delta);
    assert.equal(deltas[0].role, 'assistant');
    const frags = deltas.filter((d) => d.tool_calls).map((d) => d.tool_calls[0]);
    assert.ok(frags.length >= 3, `fragments: ${JSON.stringify(frags)}`);
    assert.deepEqual(frags[0], { index: 0, id: 'call_s', type: 'function', function: { name: 'get_weather', arguments: '' } });
    for (const f of frags.slice(1)) {
      assert.equal(f.index, 0);
      assert.equal(f.id, undefined, 'only the first fragment names the call');
    }
    assert.equal(frags.map((f) => f.function.arguments).join(''), JSON.stringify(args));
    const finish = r.chunks.find((c) => c.choices[0]?.finish_reason);
    assert.equal(finish.choices[0].finish_reason, 'tool_calls');
    const usage = r.chunks.at(-1);
    assert.deepEqual(usage.choices, []);
    assert.equal(usage.usage.completion_tokens_details.reasoning_tokens, 0);
  });

  test('refusals, stream and non-stream', T, async () => {
    const mark = await planned([{ refusal: 'I cannot help with that.' }]);
    const r = await chat(s, { model: agent, messages: [user(mark)] });
    assert.equal(r.json.choices[0].message.refusal, 'I cannot help with that.');
    assert.equal(r.json.choices[0].message.content, null);
    const st = await streamChat(s, { model: agent, messages: [user(mark)] });
    const refusal = st.chunks.map((c) => c.choices[0]?.delta?.refusal ?? '').join('');
    assert.equal(refusal, 'I cannot help with that.');
  });

  test('logprobs, stream and non-stream', T, async () => {
    const mark = await planned([{ content: 'one two' }]);
    const r = await chat(s, { model: agent, messages: [user(mark)], logprobs: true, top_logprobs: 1 });
    assert.deepEqual(r.json.choices[0].logprobs.content.map((t) => t.token), ['one ', 'two']);
    const st = await streamChat(s, { model: agent, messages: [user(mark)], logprobs: true });
    const tokens = st.chunks.flatMap((c) => c.choices[0]?.logprobs?.content ?? []).map((t) => t.token);
    assert.deepEqual(tokens, ['one ', 'two']);
  });

  test('n choices: all returned, choice 0 stored', T, async () => {
    const sid = uid('n');
    const mark = await planned([{ content: 'same answer' }]);
    const r = await chat(s, { model: agent, messages: [user(mark)], n: 3, metadata: { session_id: sid } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.choices.map((c) => c.index), [0, 1, 2]);
    assert.equal((await onlyRequest(mark)).body.n, 3);
    const sess = await stored(sid);
    assert.equal(sess.message_count, 2);
    const st = await streamChat(s, { model: agent, messages: [user(mark)], n: 2 });
    const indexes = new Set(st.chunks.flatMap((c) => c.choices.map((x) => x.index)));
    assert.deepEqual([...indexes].sort(), [0, 1]);
  });

  test('store: false answers and keeps nothing', T, async () => {
    const mark = await planned([{}]);
    const before = (await s.req('GET', '/v1/sessions?limit=1000')).json.length;
    const r = await chat(s, { model: agent, messages: [user(mark)], store: false });
    assert.equal(r.status, 200, r.text);
    assertError(await s.req('GET', `/v1/sessions/${r.json.metadata.session_id}`), 404);
    assert.equal((await s.req('GET', '/v1/sessions?limit=1000')).json.length, before);
    assert.equal((await onlyRequest(mark)).body.store, false, 'forwarded too');
  });
});
