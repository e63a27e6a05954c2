// The `test` provider's scripted mode (configured in the services file):
// tool calls when a request offers tools, a text quoting the results once
// they come back, and JSON for response_format; testable without an upstream.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chat, createAgent, startServer, streamChat, uid, user, writeServices } from './helpers.mjs';

const T = { timeout: 20000 };
let s;
let agent;
const tools = [
  { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
];

before(async () => {
  const services = writeServices({
    scripted: {
      type: 'test',
      model: 'mock',
      tool_calls: [{ name: 'get_weather', arguments: { city: 'Paris', note: 'a fairly long argument' } }],
      tool_result_reply: 'The tool said: {results}',
    },
  });
  s = await startServer({ baseArgs: [`--services=${services}`, '--storage=memory', '--log-level=warn'] });
  agent = await createAgent(s, {});
});
after(async () => assert.equal((await s?.stop())?.code, 0));

test('offered tools: the scripted call, then a text quoting the result; all stored', T, async () => {
  const sid = uid('s');
  const r1 = await chat(s, { model: agent, messages: [user('weather?')], tools, metadata: { session_id: sid } });
  assert.equal(r1.status, 200, r1.text);
  const c = r1.json.choices[0];
  assert.equal(c.finish_reason, 'tool_calls');
  assert.equal(c.message.content, null);
  const call = c.message.tool_calls[0];
  assert.equal(call.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris', note: 'a fairly long argument' });
  const r2 = await chat(s, {
    model: agent,
    messages: [{ role: 'tool', tool_call_id: call.id, content: 'sunny, 24C' }],
    tools,
    metadata: { session_id: sid },
  });
  assert.equal(r2.json.choices[0].message.content, 'The tool said: sunny, 24C');
  const sess = (await s.req('GET', `/v1/sessions/${sid}`)).json;
  assert.deepEqual(sess.messages.map((m) => m.role), ['user', 'assistant', 'tool', 'assistant']);
});

test('streamed: the call in fragments, arguments split over several chunks', T, async () => {
  const r = await streamChat(s, { model: agent, messages: [user('weather?')], tools });
  assert.ok(r.done);
  const frags = r.chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
  assert.ok(frags.length >= 3, JSON.stringify(frags));
  assert.equal(frags[0].function.name, 'get_weather');
  assert.ok(frags[0].id);
  const args = frags.map((f) => f.function.arguments).join('');
  assert.deepEqual(JSON.parse(args), { city: 'Paris', note: 'a fairly long argument' });
  assert.equal(r.chunks.find((c) => c.choices[0]?.finish_reason).choices[0].finish_reason, 'tool_calls');
});

test('response_format: JSON text, a schema followed', T, async () => {
  const obj = await chat(s, { model: agent, messages: [user('x')], response_format: { type: 'json_object' } });
  assert.equal(typeof JSON.parse(obj.json.choices[0].message.content), 'object');
  const schema = {
    type: 'object',
    properties: { title: { type: 'string' }, year: { type: 'integer' }, genres: { type: 'array', items: { enum: ['a', 'b'] } } },
    required: ['title', 'year', 'genres'],
    additionalProperties: false,
  };
  const r = await streamChat(s, {
    model: agent,
    messages: [user('x')],
    response_format: { type: 'json_schema', json_schema: { name: 'movie', strict: true, schema } },
  });
  const text = r.chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
  const movie = JSON.parse(text);
  assert.equal(typeof movie.title, 'string');
  assert.ok(Number.isInteger(movie.year));
  assert.deepEqual(movie.genres, ['a']);
});
