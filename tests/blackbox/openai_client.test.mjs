// The official openai npm client (v4) against the server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { MOCK_REPLY, SYSTEM_PROMPT, startServer, words } from './helpers.mjs';

const TOKEN = 'sk-troupe-test';
const T = { timeout: 20000 };

let s;
let client;
before(async () => {
  s = await startServer({ token: TOKEN });
  client = new OpenAI({ baseURL: `${s.base}/v1`, apiKey: TOKEN, maxRetries: 0, timeout: 15000 });
});
after(async () => {
  const e = await s?.stop();
  assert.equal(e?.code, 0);
});

describe('openai client v4', () => {
  test('non-stream create', T, async () => {
    const r = await client.chat.completions.create({
      model: 'demo',
      messages: [{ role: 'user', content: 'Hello from the SDK' }],
    });
    assert.equal(r.object, 'chat.completion');
    assert.equal(r.model, 'demo');
    assert.equal(r.choices[0].message.role, 'assistant');
    assert.equal(r.choices[0].message.content, MOCK_REPLY);
    assert.equal(r.choices[0].finish_reason, 'stop');
    const prompt = words(SYSTEM_PROMPT) + 4;
    assert.deepEqual(r.usage, { prompt_tokens: prompt, completion_tokens: 5, total_tokens: prompt + 5 });
  });

  test('withResponse exposes the HTTP response', T, async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'demo', messages: [{ role: 'user', content: 'x' }] })
      .withResponse();
    assert.equal(response.status, 200);
    assert.equal(data.choices[0].message.content, MOCK_REPLY);
  });

  test('stream with include_usage', T, async () => {
    const stream = await client.chat.completions.create({
      model: 'demo',
      messages: [{ role: 'user', content: 'stream please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.ok(chunks.length >= 7, `${chunks.length} chunks`);
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    assert.equal(text, MOCK_REPLY);
    const ids = new Set(chunks.map((c) => c.id));
    assert.equal(ids.size, 1);
    assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk'));
    const last = chunks[chunks.length - 1];
    assert.deepEqual(last.choices, []);
    const prompt = words(SYSTEM_PROMPT) + 2;
    assert.deepEqual(last.usage, { prompt_tokens: prompt, completion_tokens: 5, total_tokens: prompt + 5 });
    assert.ok(chunks.some((c) => c.choices[0]?.finish_reason === 'stop'));
  });

  test('sessions via metadata.session_id', T, async () => {
    const first = await client.chat.completions.create({
      model: 'demo',
      messages: [{ role: 'user', content: 'my name is Ada' }],
      metadata: { user_id: 'sdk-user' },
    });
    const sid = first.metadata.session_id;
    assert.equal(typeof sid, 'string');
    const second = await client.chat.completions.create({
      model: 'demo',
      messages: [{ role: 'user', content: 'what is my name' }],
      metadata: { session_id: sid, user_id: 'sdk-user' },
    });
    assert.equal(second.metadata.session_id, sid);
    assert.ok(
      second.usage.prompt_tokens > first.usage.prompt_tokens,
      `${first.usage.prompt_tokens} -> ${second.usage.prompt_tokens}`,
    );
    assert.equal(
      second.usage.prompt_tokens,
      words(SYSTEM_PROMPT) + 4 + words(MOCK_REPLY) + 4,
    );
  });

  test('models.list() contains demo; models.retrieve()', T, async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.ok(ids.includes('demo'), ids.join(','));
    const m = await client.models.retrieve('demo');
    assert.equal(m.id, 'demo');
    assert.equal(m.object, 'model');
  });

  test('404 surfaces as OpenAI.NotFoundError', T, async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'no-such-agent', messages: [{ role: 'user', content: 'x' }] }),
      (e) => {
        assert.ok(e instanceof OpenAI.NotFoundError, `${e?.constructor?.name}: ${e}`);
        assert.equal(e.status, 404);
        assert.equal(e.code, 'model_not_found');
        return true;
      },
    );
    await assert.rejects(client.models.retrieve('no-such-agent'), OpenAI.NotFoundError);
  });

  test('404 with stream:true also rejects with NotFoundError', T, async () => {
    await assert.rejects(
      client.chat.completions.create({
        model: 'no-such-agent',
        messages: [{ role: 'user', content: 'x' }],
        stream: true,
      }),
      OpenAI.NotFoundError,
    );
  });

  test('other statuses map to the client error classes', T, async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'demo', messages: [] }),
      OpenAI.BadRequestError,
    );
    await assert.rejects(
      client.chat.completions.create({
        model: 'demo',
        messages: [{ role: 'user', content: 'x' }],
        temperature: 3,
      }),
      (e) => e instanceof OpenAI.BadRequestError && e.status === 400,
    );
    const bad = new OpenAI({ baseURL: `${s.base}/v1`, apiKey: 'wrong', maxRetries: 0 });
    await assert.rejects(bad.models.list(), OpenAI.AuthenticationError);
  });

  test("the README's tool round trip against demo-tools: one session of four messages", T, async () => {
    const tools = [{ type: 'function', function: { name: 'get_weather',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
    const messages = [{ role: 'user', content: `Weather in Paris? ${Date.now()}` }];
    const first = await client.chat.completions.create({ model: 'demo-tools', messages, tools });
    const call = first.choices[0].message.tool_calls[0];
    assert.equal(call.function.name, 'get_weather');
    messages.push(first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: 'sunny, 24C' });
    const second = await client.chat.completions.create({ model: 'demo-tools', messages, tools });
    assert.equal(second.choices[0].message.content, 'Tool results: sunny, 24C');
    assert.equal(second.metadata.session_id, first.metadata.session_id);
    const r = await fetch(`${s.base}/v1/sessions/${first.metadata.session_id}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.deepEqual((await r.json()).messages.map((m) => m.role), ['user', 'assistant', 'tool', 'assistant']);
  });
});
