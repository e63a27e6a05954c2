// The Responses and Conversations APIs over Troupe's sessions, with the
// official openai client (v6) in front and the fake chat-completions
// upstream behind: plain and streamed, tool round trips, chains, forks,
// store:false, retrieval, input items, conversations; the stream's event
// order; malformed input.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai-v6';
import { TOKEN, startStack } from './client_harness.mjs';
import { parseSSE } from './helpers.mjs';

const T = { timeout: 30000 };
let stack;
let client;
before(async () => {
  stack = await startStack();
  client = new OpenAI({ baseURL: stack.baseURL, apiKey: TOKEN, maxRetries: 0, timeout: 20000 });
});
after(async () => stack?.stop());

const upstreamMessages = async (mark) => (await stack.fake.requests(mark)).map((r) => r.body.messages);
const weather = {
  type: 'function',
  name: 'get_weather',
  description: 'Weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  strict: true,
};

describe('POST /v1/responses', () => {
  test('plain: output_text, ids, usage, the session holds the turn', T, async () => {
    const agent = await stack.agent();
    const mark = await stack.planned([{ content: 'Hi there.' }]);
    const r = await client.responses.create({ model: agent, input: `Hello ${mark}`, instructions: 'Be brief.' });
    assert.match(r.id, /^resp_/);
    assert.equal(r.object, 'response');
    assert.equal(r.status, 'completed');
    assert.equal(r.model, agent);
    assert.equal(r.output_text, 'Hi there.');
    assert.match(r.output[0].id, /^msg_/);
    assert.equal(r.instructions, 'Be brief.');
    assert.ok(r.usage.input_tokens > 0 && r.usage.total_tokens === r.usage.input_tokens + r.usage.output_tokens);
    const [sent] = await upstreamMessages(mark);
    assert.deepEqual(sent.map((m) => m.role), ['system', 'system', 'user'], 'agent prompt, instructions, input');
    const [conv] = await stack.conversations(agent);
    assert.deepEqual(conv.messages.map((m) => [m.role, m.content]), [['user', `Hello ${mark}`], ['assistant', 'Hi there.']]);
  });

  test('streamed: the events in order, sequence numbers increasing, text assembled', T, async () => {
    const agent = await stack.agent();
    const mark = await stack.planned([{ content: 'one two three' }]);
    const stream = await client.responses.create({ model: agent, input: mark, stream: true });
    const events = [];
    for await (const e of stream) events.push(e);
    const types = events.map((e) => e.type);
    assert.deepEqual(types.slice(0, 4), ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    assert.deepEqual(types.slice(-4), ['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
    assert.ok(types.filter((t) => t === 'response.output_text.delta').length >= 3);
    events.forEach((e, i) => assert.equal(e.sequence_number, i));
    const done = events.at(-1).response;
    assert.equal(done.output_text ?? done.output[0].content[0].text, 'one two three');
    const text = events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('');
    assert.equal(text, 'one two three');
  });

  test('a function tool round trip with function_call_output; streamed arguments', T, async () => {
    const agent = await stack.agent();
    const mark = await stack.planned([
      { tool_calls: [{ id: 'call_r1', name: 'get_weather', arguments: { city: 'Paris' } }] },
      { content: 'Sunny in Paris.' },
    ]);
    const stream = await client.responses.create({ model: agent, input: `Weather? ${mark}`, tools: [weather], stream: true });
    const events = [];
    for await (const e of stream) events.push(e);
    const types = events.map((e) => e.type);
    assert.ok(types.includes('response.function_call_arguments.delta'));
    assert.ok(types.indexOf('response.function_call_arguments.done') < types.indexOf('response.completed'));
    const first = events.at(-1).response;
    const call = first.output.find((o) => o.type === 'function_call');
    assert.equal(call.call_id, 'call_r1');
    assert.equal(call.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris' });
    const second = await client.responses.create({
      model: agent,
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '24C' }],
      tools: [weather],
    });
    assert.equal(second.output_text, 'Sunny in Paris.');
    const [, up] = await stack.fake.requests(mark);
    assert.equal(up.rejected, undefined);
    assert.deepEqual(up.body.messages.slice(1).map((m) => m.role), ['user', 'assistant', 'tool']);
    assert.deepEqual(up.body.tools[0], { type: 'function', function: { name: 'get_weather', description: 'Weather in a city', parameters: weather.parameters, strict: true } });
  });

  test('previous_response_id: a chain of three sees the whole history; a fork from the first branches', T, async () => {
    const agent = await stack.agent();
    const mark = await stack.planned([{ content: 'A1' }, { content: 'A2' }, { content: 'A3' }, { content: 'B2' }]);
    const r1 = await client.responses.create({ model: agent, input: `q1 ${mark}` });
    const r2 = await client.responses.create({ model: agent, input: 'q2', previous_response_id: r1.id });
    const r3 = await client.responses.create({ model: agent, input: 'q3', previous_response_id: r2.id });
    assert.equal(r3.previous_response_id, r2.id);
    const sent = await upstreamMessages(mark);
    assert.deepEqual(sent[2].map((m) => m.content).slice(1), [`q1 ${mark}`, 'A1', 'q2', 'A2', 'q3']);
    // Branching off the first response: a new session with only its history.
    const fork = await client.responses.create({ model: agent, input: 'q2b', previous_response_id: r1.id });
    assert.equal(fork.output_text, 'B2');
    assert.deepEqual((await upstreamMessages(mark))[3].map((m) => m.content).slice(1), [`q1 ${mark}`, 'A1', 'q2b']);
    const convs = await stack.conversations(agent);
    assert.equal(convs.length, 2);
    const lengths = convs.map((c) => c.message_count).sort();
    assert.deepEqual(lengths, [4, 6], 'the original untouched, the branch of its own');
  });

  test('store: false: answered, nothing kept, not retrievable, not chainable', T, async () => {
    const agent = await stack.agent();
    const mark = await stack.planned([{ content: 'ephemeral' }]);
    const r = await client.responses.create({ model: agent, input: mark, store: false });
    assert.equal(r.output_text, 'ephemeral');
    assert.equal(r.store, false);
    await assert.rejects(client.responses.retrieve(r.id), (e) => e.status === 404);
    await assert.rejects(client.responses.create({ model: agent, input: 'x', previous_response_id: r.id }), (e) => e.status === 404);
    assert.equal((await stack.conversations(agent)).length, 0);
  });

  test('retrieve, input items (paginated), delete', T, async () => {
    const agent = await stack.agent();
    const mark = await stack.planned([{ content: 'ok' }]);
    const r = await client.responses.create({
      model: agent,
      input: [
        { role: 'user', content: `first ${mark}` },
        { role: 'assistant', content: 'noted' },
        { role: 'user', content: [{ type: 'input_text', text: 'second' }, { type: 'input_image', image_url: 'https://example.com/a.png', detail: 'low' }] },
      ],
    });
    const got = await client.responses.retrieve(r.id);
    assert.deepEqual(got, r);
    const page1 = await client.responses.inputItems.list(r.id, { limit: 2, order: 'asc' });
    assert.equal(page1.data.length, 2);
    assert.equal(page1.has_more, true);
    const all = [];
    for await (const item of client.responses.inputItems.list(r.id, { limit: 1, order: 'asc' })) all.push(item);
    assert.deepEqual(all.map((i) => i.role), ['user', 'assistant', 'user']);
    assert.deepEqual(all[2].content[1], { type: 'input_image', image_url: 'https://example.com/a.png', detail: 'low' });
    const del = await client.responses.delete(r.id);
    assert.ok(del === undefined || del?.deleted === true);
    await assert.rejects(client.responses.retrieve(r.id), (e) => e.status === 404);
  });

  test('malformed input of each kind is 400 naming the field (404 for unknown ids)', T, async () => {
    const agent = await stack.agent();
    const cases = [
      [{ input: 5 }, 400, 'input'],
      [{}, 400, 'input'],
      [{ input: [] }, 400, 'input'],
      [{ input: [{ type: 'function_call', name: 'f', arguments: '{}' }] }, 400, 'input[0].call_id'],
      [{ input: [{ type: 'function_call_output', call_id: 'c' }] }, 400, 'input[0].output'],
      [{ input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }] }, 400, 'input[0].content[0].image_url'],
      [{ input: [{ type: 'web_search_call' }] }, 400, 'input[0].type'],
      [{ input: [{ role: 'robot', content: 'x' }] }, 400, 'input[0].role'],
      [{ input: [{ type: 'item_reference', id: 'msg_nowhere' }] }, 400, 'input[0].id'],
      [{ input: 'x', tools: [{ type: 'function', name: 'bad name', parameters: {} }] }, 400, 'tools[0].name'],
      [{ input: 'x', tools: [{ type: 'web_search' }] }, 400, 'tools[0].type'],
      [{ input: 'x', text: { format: { type: 'json_schema', schema: {} } } }, 400, 'text.format.name'],
      [{ input: 'x', store: 'yes' }, 400, 'store'],
      [{ input: 'x', previous_response_id: 'resp_a', conversation: 'conv_b' }, 400, 'conversation'],
      [{ input: 'x', max_output_tokens: 0 }, 400, 'max_output_tokens'],
      [{ input: 'x', previous_response_id: 'resp_nope' }, 404, 'previous_response_id'],
      [{ input: 'x', conversation: 'conv_nope' }, 404, 'conversation'],
    ];
    for (const [body, status, param] of cases) {
      const r = await stack.s.req('POST', '/v1/responses', { body: { model: agent, ...body } });
      assert.equal(r.status, status, `${JSON.stringify(body)} → ${r.status} ${r.text}`);
      assert.equal(r.json.error.param, param, JSON.stringify(body));
    }
  });
});

describe('what the audit found', () => {
  test('no tools: an empty tools array and tool settings do not go upstream', T, async () => {
    const agent = await stack.agent();
    const mark = await stack.planned([{ content: 'fine' }]);
    const r = await stack.s.req('POST', '/v1/responses', {
      body: { model: agent, input: mark, tools: [], tool_choice: 'auto', parallel_tool_calls: true, include: [] },
    });
    assert.equal(r.status, 200, r.text);
    const [up] = await stack.fake.requests(mark);
    assert.equal(up.rejected, undefined);
    for (const k of ['tools', 'tool_choice', 'parallel_tool_calls']) assert.equal(up.body[k], undefined, k);
    assert.deepEqual(r.json.tools, []);
  });

  test("another user's items cannot be referenced", T, async () => {
    const agent = await stack.agent();
    const mark = await stack.planned([{ content: 'secret answer' }, { content: 'x' }]);
    const a = await stack.s.req('POST', '/v1/responses', { body: { model: agent, input: mark, metadata: { user_id: 'alice' } } });
    const item = a.json.output[0].id;
    const b = await stack.s.req('POST', '/v1/responses', {
      body: { model: agent, input: [{ type: 'item_reference', id: item }, { role: 'user', content: 'more' }], metadata: { user_id: 'bob' } },
    });
    assert.equal(b.status, 400, b.text);
    assert.equal(b.json.error.param, 'input[0].id');
  });

  test('a chain after an item was removed continues from where the response ended', T, async () => {
    const agent = await stack.agent();
    const mark = await stack.planned([{ content: 'R1' }, { content: 'R2' }, { content: 'R3' }]);
    const conv = await client.conversations.create({ items: [{ role: 'user', content: `seed ${mark}` }] });
    const r1 = await client.responses.create({ model: agent, input: 'q1', conversation: conv.id });
    await client.conversations.items.delete((await client.conversations.items.list(conv.id, { order: 'asc' })).data[0].id, { conversation_id: conv.id });
    const r2 = await client.responses.create({ model: agent, input: `q2 ${mark}`, previous_response_id: r1.id });
    assert.equal(r2.output_text, 'R2');
    const [, second] = await stack.fake.requests(mark);
    assert.deepEqual(second.body.messages.slice(1).map((m) => m.content), ['q1', 'R1', `q2 ${mark}`]);
    // Chaining from r1 again (no longer the latest) forks at r1's reply.
    await client.responses.create({ model: agent, input: `q2b ${mark}`, previous_response_id: r1.id });
    const [, , third] = await stack.fake.requests(mark);
    assert.deepEqual(third.body.messages.slice(1).map((m) => m.content), ['q1', 'R1', `q2b ${mark}`]);
  });

  test('store:false chained to an earlier response stores nothing, not even a fork', T, async () => {
    const agent = await stack.agent();
    const mark = await stack.planned([{ content: 'A1' }, { content: 'A2' }, { content: 'B' }]);
    const r1 = await client.responses.create({ model: agent, input: `q1 ${mark}` });
    await client.responses.create({ model: agent, input: 'q2', previous_response_id: r1.id });
    const before = (await stack.conversations(agent)).map((c) => c.message_count);
    const r = await client.responses.create({ model: agent, input: 'q3', previous_response_id: r1.id, store: false });
    assert.equal(r.output_text, 'B');
    assert.deepEqual((await stack.conversations(agent)).map((c) => c.message_count), before);
    const [, , third] = await stack.fake.requests(mark);
    assert.deepEqual(third.body.messages.slice(1).map((m) => m.content), [`q1 ${mark}`, 'A1', 'q3']);
  });

  test('a chain may change the model, as Agents SDK handoffs do', T, async () => {
    const a1 = await stack.agent();
    const a2 = await stack.agent();
    const mark = await stack.planned([{ content: 'one' }, { content: 'two' }]);
    const r1 = await client.responses.create({ model: a1, input: mark });
    const r2 = await client.responses.create({ model: a2, input: 'next', previous_response_id: r1.id });
    assert.equal(r2.output_text, 'two');
    assert.equal(r2.model, a2);
  });
});

describe('Conversations', () => {
  test('create with items, respond in it, list items, add, get and delete an item', T, async () => {
    const agent = await stack.agent();
    const mark = await stack.planned([{ content: 'Welcome back.' }]);
    const conv = await client.conversations.create({
      items: [{ type: 'message', role: 'user', content: `I am Ada ${mark}` }, { type: 'message', role: 'assistant', content: 'Hello Ada.' }],
      metadata: { topic: 'intro' },
    });
    assert.match(conv.id, /^conv_/);
    assert.deepEqual((await client.conversations.retrieve(conv.id)).metadata, { topic: 'intro' });
    const r = await client.responses.create({ model: agent, input: 'Who am I?', conversation: conv.id });
    assert.equal(r.output_text, 'Welcome back.');
    assert.deepEqual(r.conversation, { id: conv.id });
    const [sent] = await upstreamMessages(mark);
    assert.deepEqual(sent.slice(1).map((m) => m.content), [`I am Ada ${mark}`, 'Hello Ada.', 'Who am I?']);
    const items = [];
    for await (const item of client.conversations.items.list(conv.id, { order: 'asc' })) items.push(item);
    assert.deepEqual(items.map((i) => i.role), ['user', 'assistant', 'user', 'assistant']);
    assert.equal(items[3].id, r.output[0].id, 'an output item keeps its id in the conversation');
    const added = await client.conversations.items.create(conv.id, { items: [{ type: 'message', role: 'user', content: 'PS' }] });
    assert.equal(added.data.length, 1);
    const one = await client.conversations.items.retrieve(added.data[0].id, { conversation_id: conv.id });
    assert.equal(one.content[0].text, 'PS');
    await client.conversations.items.delete(added.data[0].id, { conversation_id: conv.id });
    await assert.rejects(client.conversations.items.retrieve(added.data[0].id, { conversation_id: conv.id }), (e) => e.status === 404);
    // The same conversation through /v1/sessions.
    const sess = await stack.s.req('GET', `/v1/sessions/${conv.id}`);
    assert.equal(sess.json.message_count, 4);
    assert.equal(sess.json.agent_id, agent);
    await client.conversations.update(conv.id, { metadata: { topic: 'changed' } });
    assert.deepEqual((await client.conversations.retrieve(conv.id)).metadata, { topic: 'changed' });
    const gone = await client.conversations.delete(conv.id);
    assert.equal(gone.deleted, true);
    await assert.rejects(client.conversations.retrieve(conv.id), (e) => e.status === 404);
  });

  test('raw stream framing: event lines name each data type, no [DONE]', T, async () => {
    const agent = await stack.agent();
    const mark = await stack.planned([{ content: 'x y' }]);
    const r = await stack.s.req('POST', '/v1/responses', { body: { model: agent, input: mark, stream: true } });
    assert.match(r.headers.get('content-type'), /text\/event-stream/);
    const blocks = r.text.trim().split('\n\n');
    for (const b of blocks) {
      const [ev, data] = b.split('\n');
      assert.equal(JSON.parse(data.slice(6)).type, ev.slice(7));
    }
    assert.ok(!parseSSE(r.text).includes('[DONE]'));
  });
});

describe('durability and cancellation', () => {
  test('responses, chains and conversations survive kill -9 (SQLite)', T, async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const { startServer } = await import('./helpers.mjs');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-resp-'));
    const args = ['--services=conf/services.json', '--agents=conf/agents.json', `--storage=sqlite:${dir}/t.db`, '--log-level=warn'];
    try {
      let s = await startServer({ baseArgs: args });
      const post = (body) => s.req('POST', '/v1/responses', { body: { model: 'demo', ...body } });
      const r1 = (await post({ input: 'remember 42' })).json;
      const conv = (await s.req('POST', '/v1/conversations', { body: { items: [{ role: 'user', content: 'hi' }] } })).json;
      await s.kill();
      s = await startServer({ baseArgs: args });
      const got = await s.req('GET', `/v1/responses/${r1.id}`);
      assert.equal(got.status, 200);
      assert.deepEqual(got.json, r1);
      const r2 = await post({ input: 'and?', previous_response_id: r1.id });
      assert.equal(r2.status, 200, r2.text);
      const sess = await s.req('GET', `/v1/sessions?agent_id=demo`);
      assert.equal(sess.json.length, 1, 'the chain continued the stored session');
      assert.equal(sess.json[0].message_count, 4);
      assert.equal((await s.req('GET', `/v1/conversations/${conv.id}/items`)).json.data.length, 1);
      await s.stop();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a streaming client that hangs up cancels the upstream call; nothing is stored', T, async () => {
    const agent = await stack.agent();
    const mark = await stack.planned([{ content: 'a b c d e f g h i j', token_interval_ms: 200 }]);
    const ctl = new AbortController();
    const r = await fetch(`${stack.baseURL}/responses`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ model: agent, input: mark, stream: true }),
      signal: ctl.signal,
    });
    const reader = r.body.getReader();
    let text = '';
    while (!text.includes('response.output_text.delta')) text += new TextDecoder().decode((await reader.read()).value);
    ctl.abort();
    let up;
    for (let i = 0; i < 40; i++) {
      [up] = await stack.fake.requests(mark);
      if (up?.closed_early) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(up.closed_early, 'the upstream call was closed before it finished');
    assert.equal((await stack.conversations(agent)).length, 0);
  });
});
