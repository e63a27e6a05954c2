// The OpenAI Agents SDK with its default model provider (the Responses API)
// in front of Troupe and the fake chat-completions upstream: a run with a
// function tool, a second turn through previousResponseId, a streamed run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, run, setDefaultOpenAIClient, setOpenAIAPI, setTracingDisabled, tool } from '@openai/agents';
import OpenAI from 'openai';
import { z } from 'zod';
import { TOKEN, assertOneConversation, startStack } from '../client_harness.mjs';

const T = { timeout: 30000 };
let stack;
before(async () => {
  stack = await startStack();
  setTracingDisabled(true);  // traces would go to OpenAI
  setDefaultOpenAIClient(new OpenAI({ baseURL: stack.baseURL, apiKey: TOKEN, maxRetries: 0 }));
  setOpenAIAPI('responses');
});
after(async () => stack?.stop());

const getWeather = tool({
  name: 'get_weather',
  description: 'Weather in a city',
  parameters: z.object({ city: z.string() }),
  execute: async ({ city }) => `It is sunny in ${city}.`,
});

test('run() with a function tool, then a second turn through previousResponseId', T, async () => {
  const agentId = await stack.agent();
  const mark = await stack.planned([
    { tool_calls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] },
    { content: 'Sunny in Paris.' },
    { content: 'Still sunny tomorrow.' },
  ]);
  const agent = new Agent({ name: 'Helper', instructions: 'You help.', model: agentId, tools: [getWeather] });
  const first = await run(agent, `Weather in Paris? ${mark}`);
  assert.equal(first.finalOutput, 'Sunny in Paris.');
  assert.match(first.lastResponseId, /^resp_/);
  const second = await run(agent, 'And tomorrow?', { previousResponseId: first.lastResponseId });
  assert.equal(second.finalOutput, 'Still sunny tomorrow.');
  const seen = await stack.fake.requests(mark);
  assert.equal(seen.length, 3);
  for (const r of seen) assert.equal(r.rejected, undefined);
  // The last call saw the whole conversation, tool exchange included.
  assert.deepEqual(seen[2].body.messages.map((m) => m.role), ['system', 'system', 'user', 'assistant', 'tool', 'assistant', 'user']);
  await assertOneConversation(stack, agentId, ['user', 'assistant', 'tool', 'assistant', 'user', 'assistant']);
});

test('a streamed run with a tool', T, async () => {
  const agentId = await stack.agent();
  const mark = await stack.planned([
    { tool_calls: [{ name: 'get_weather', arguments: { city: 'Rome' } }] },
    { content: 'Rome is sunny.' },
  ]);
  const agent = new Agent({ name: 'Helper', instructions: 'You help.', model: agentId, tools: [getWeather] });
  const stream = await run(agent, `Weather in Rome? ${mark}`, { stream: true });
  let text = '';
  for await (const e of stream) {
    if (e.type === 'raw_model_stream_event' && e.data.type === 'output_text_delta') text += e.data.delta;
  }
  await stream.completed;
  assert.equal(stream.finalOutput, 'Rome is sunny.');
  assert.equal(text, 'Rome is sunny.');
  await assertOneConversation(stack, agentId, ['user', 'assistant', 'tool', 'assistant']);
});
