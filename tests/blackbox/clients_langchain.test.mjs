// LangChain's ChatOpenAI (bindTools) and a LangGraph ReAct agent in front of
// Troupe and the fake upstream; stateless (their default) and with a session
// id through modelKwargs. The stored history is checked after each.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HumanMessage, ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { createReactAgent } from '@langchain/langgraph/prebuilt';
import { ChatOpenAI } from '@langchain/openai';
import { z } from 'zod';
import { TOKEN, assertOneConversation, startStack } from './client_harness.mjs';
import { uid } from './helpers.mjs';

const T = { timeout: 30000 };
let stack;
before(async () => (stack = await startStack()));
after(async () => stack?.stop());

const getWeather = tool(async ({ city }) => `It is sunny in ${city}.`, {
  name: 'get_weather',
  description: 'Weather in a city',
  schema: z.object({ city: z.string() }),
});

const model = (agent, sessionId) =>
  new ChatOpenAI({
    model: agent,
    apiKey: TOKEN,
    configuration: { baseURL: stack.baseURL },
    maxRetries: 0,
    ...(sessionId ? { modelKwargs: { metadata: { session_id: sessionId } } } : {}),
  });

describe('LangChain and LangGraph', () => {
  for (const mode of ['stateless', 'session id']) {
    test(`ChatOpenAI.bindTools: a tool call, then the answer (${mode})`, T, async () => {
      const agent = await stack.agent();
      const mark = await stack.planned([
        { tool_calls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] },
        { content: 'Sunny, as the tool said.' },
      ]);
      const sid = mode === 'session id' ? uid('lc') : undefined;
      const llm = model(agent, sid).bindTools([getWeather]);
      const ask = new HumanMessage(`Weather in Paris? ${mark}`);
      const first = await llm.invoke([ask]);
      assert.equal(first.tool_calls.length, 1);
      assert.equal(first.tool_calls[0].name, 'get_weather');
      assert.deepEqual(first.tool_calls[0].args, { city: 'Paris' });
      const result = new ToolMessage({ tool_call_id: first.tool_calls[0].id, content: await getWeather.invoke(first.tool_calls[0].args) });
      // Stateless resends everything; with a session id only the new result goes.
      const second = await llm.invoke(sid ? [result] : [ask, first, result]);
      assert.equal(second.content, 'Sunny, as the tool said.');
      await assertOneConversation(stack, agent, ['user', 'assistant', 'tool', 'assistant']);
    });

    test(`a LangGraph createReactAgent calls the tool and finishes (${mode})`, T, async () => {
      const agent = await stack.agent();
      const mark = await stack.planned([
        { tool_calls: [{ name: 'get_weather', arguments: { city: 'Rome' } }] },
        { content: 'Rome is sunny.' },
      ]);
      const app = createReactAgent({ llm: model(agent, mode === 'session id' ? uid('lg') : undefined), tools: [getWeather] });
      const out = await app.invoke({ messages: [{ role: 'user', content: `Weather in Rome? ${mark}` }] });
      const last = out.messages.at(-1);
      assert.equal(last.content, 'Rome is sunny.');
      assert.ok(out.messages.some((m) => m.getType?.() === 'tool' && /sunny in Rome/.test(m.content)));
      const ms = await assertOneConversation(stack, agent, ['user', 'assistant', 'tool', 'assistant']);
      assert.equal(ms[2].content, 'It is sunny in Rome.');
    });
  }
});
