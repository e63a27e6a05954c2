// The official openai client, v4 and v6, in front of Troupe and the fake
// upstream: tool round trips (non-stream, stream, the SDK's own tool runner),
// structured outputs with zod, and an upstream 400 that comes back once.
// With a session id and stateless; the stored history is checked each time.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI4 from 'openai';
import { zodResponseFormat as zodFormat4 } from 'openai/helpers/zod';
import OpenAI6 from 'openai-v6';
import { zodResponseFormat as zodFormat6 } from 'openai-v6/helpers/zod';
import { z } from 'zod';
import { TOKEN, assertOneConversation, startStack } from './client_harness.mjs';
import { uid } from './helpers.mjs';

const T = { timeout: 30000 };
let stack;
before(async () => (stack = await startStack()));
after(async () => stack?.stop());

const weather = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

const versions = [
  { name: 'v4', OpenAI: OpenAI4, zodResponseFormat: zodFormat4, chat: (c) => c.beta.chat.completions },
  { name: 'v6', OpenAI: OpenAI6, zodResponseFormat: zodFormat6, chat: (c) => c.chat.completions },
];

for (const v of versions) {
  describe(`openai ${v.name}`, () => {
    const client = () => new v.OpenAI({ baseURL: stack.baseURL, apiKey: TOKEN, maxRetries: 2, timeout: 20000 });

    test('tool round trip, non-stream, with a session id: only new messages are sent', T, async () => {
      const agent = await stack.agent();
      const mark = await stack.planned([
        { tool_calls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] },
        { content: 'It is sunny in Paris.' },
      ]);
      const c = client();
      const metadata = { session_id: uid('oa') };
      const first = await c.chat.completions.create({ model: agent, messages: [{ role: 'user', content: `Weather? ${mark}` }], tools: [weather], metadata });
      assert.equal(first.choices[0].finish_reason, 'tool_calls');
      const call = first.choices[0].message.tool_calls[0];
      assert.equal(call.function.name, 'get_weather');
      assert.equal(JSON.parse(call.function.arguments).city, 'Paris');
      const second = await c.chat.completions.create({
        model: agent,
        messages: [{ role: 'tool', tool_call_id: call.id, content: 'sunny' }],
        tools: [weather],
        metadata,
      });
      assert.equal(second.choices[0].message.content, 'It is sunny in Paris.');
      await assertOneConversation(stack, agent, ['user', 'assistant', 'tool', 'assistant']);
    });

    test("stateless: the SDK's tool runner resends everything; one session, each message once", T, async () => {
      const agent = await stack.agent();
      const mark = await stack.planned([
        { tool_calls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }, { name: 'get_weather', arguments: { city: 'Rome' } }] },
        { content: 'Oslo is cold, Rome is warm.' },
      ]);
      const runner = v.chat(client()).runTools({
        model: agent,
        messages: [{ role: 'user', content: `Compare ${mark}` }],
        tools: [{ ...weather, function: { ...weather.function, function: async ({ city }) => (city === 'Oslo' ? '-2C' : '24C'), parse: JSON.parse } }],
      });
      assert.equal(await runner.finalContent(), 'Oslo is cold, Rome is warm.');
      const ms = await assertOneConversation(stack, agent, ['user', 'assistant', 'tool', 'tool', 'assistant']);
      assert.deepEqual(ms.filter((m) => m.role === 'tool').map((m) => m.content), ['-2C', '24C']);
    });

    test('stream: tool calls assembled by the SDK, then the answer streamed; stateless', T, async () => {
      const agent = await stack.agent();
      const mark = await stack.planned([
        { tool_calls: [{ name: 'get_weather', arguments: { city: 'Lima', days: 3 } }] },
        { content: 'Three warm days in Lima.' },
      ]);
      const c = client();
      const messages = [{ role: 'user', content: `Forecast ${mark}` }];
      const s1 = v.chat(c).stream({ model: agent, messages, tools: [weather], stream_options: { include_usage: true } });
      const done1 = await s1.finalChatCompletion();
      const call = done1.choices[0].message.tool_calls[0];
      assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Lima', days: 3 });
      assert.ok(done1.usage?.total_tokens > 0);
      messages.push(done1.choices[0].message, { role: 'tool', tool_call_id: call.id, content: 'warm' });
      const s2 = await c.chat.completions.create({ model: agent, messages, tools: [weather], stream: true });
      let text = '';
      for await (const chunk of s2) text += chunk.choices[0]?.delta?.content ?? '';
      assert.equal(text, 'Three warm days in Lima.');
      await assertOneConversation(stack, agent, ['user', 'assistant', 'tool', 'assistant']);
    });

    test('structured output: parse with a zod schema', T, async () => {
      const agent = await stack.agent();
      const Movie = z.object({ title: z.string(), year: z.number(), genres: z.array(z.string()) });
      const mark = await stack.planned([{ content: JSON.stringify({ title: 'Alien', year: 1979, genres: ['sci-fi'] }) }]);
      const r = await v.chat(client()).parse({
        model: agent,
        messages: [{ role: 'user', content: `A movie ${mark}` }],
        response_format: v.zodResponseFormat(Movie, 'movie'),
      });
      assert.deepEqual(r.choices[0].message.parsed, { title: 'Alien', year: 1979, genres: ['sci-fi'] });
      const [up] = await stack.fake.requests(mark);
      assert.equal(up.body.response_format.type, 'json_schema');
      assert.equal(up.body.response_format.json_schema.name, 'movie');
    });

    test("an upstream 400 is the client's 400, sent once, never to the fallback", T, async () => {
      const agent = await stack.agent();
      const mark = await stack.planned([{ status: 400, error: 'Invalid schema for function get_weather' }]);
      await assert.rejects(
        client().chat.completions.create({ model: agent, messages: [{ role: 'user', content: mark }], tools: [weather] }),
        (e) => e.status === 400 && /Invalid schema/.test(e.message),
      );
      assert.equal((await stack.fake.requests(mark)).length, 1);
      assert.equal((await stack.conversations(agent)).length, 0);
    });
  });
}
