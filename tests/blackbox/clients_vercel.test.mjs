// The Vercel AI SDK (`ai` with @ai-sdk/openai's chat-completions model) in
// front of Troupe and the fake upstream: generateText and streamText with
// tools over several steps, generateObject; stateless (the SDK's default)
// and with a session id through provider options.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createOpenAI } from '@ai-sdk/openai';
import { generateObject, generateText, stepCountIs, streamText, tool } from 'ai';
import { z } from 'zod';
import { TOKEN, assertOneConversation, startStack } from './client_harness.mjs';
import { uid } from './helpers.mjs';

const T = { timeout: 30000 };
let stack;
let openai;
before(async () => {
  stack = await startStack();
  openai = createOpenAI({ baseURL: stack.baseURL, apiKey: TOKEN });
});
after(async () => stack?.stop());

const tools = {
  get_weather: tool({
    description: 'Weather in a city',
    inputSchema: z.object({ city: z.string() }),
    execute: async ({ city }) => ({ city, temp: city === 'Paris' ? 21 : 5 }),
  }),
};

async function toolSteps(city) {
  return stack.planned([
    { tool_calls: [{ name: 'get_weather', arguments: { city } }] },
    { content: `Done: ${city}.` },
  ]);
}

describe('Vercel AI SDK', () => {
  for (const mode of ['stateless', 'session id']) {
    const providerOptions = () => (mode === 'session id' ? { openai: { metadata: { session_id: uid('v') } } } : undefined);

    test(`generateText with a tool over two steps (${mode})`, T, async () => {
      const agent = await stack.agent();
      const mark = await toolSteps('Paris');
      const r = await generateText({
        model: openai.chat(agent),
        tools,
        stopWhen: stepCountIs(3),
        prompt: `Weather in Paris? ${mark}`,
        providerOptions: providerOptions(),
      });
      assert.equal(r.text, 'Done: Paris.');
      assert.equal(r.steps.length, 2);
      assert.deepEqual(r.steps[0].toolResults[0].output, { city: 'Paris', temp: 21 });
      const ms = await assertOneConversation(stack, agent, ['user', 'assistant', 'tool', 'assistant']);
      assert.deepEqual(JSON.parse(ms[2].content), { city: 'Paris', temp: 21 });
      // The upstream saw the call and its result in OpenAI's form (the fake checks it).
      for (const r of await stack.fake.requests(mark)) assert.equal(r.rejected, undefined);
    });

    test(`streamText with a tool over two steps (${mode})`, T, async () => {
      const agent = await stack.agent();
      const mark = await toolSteps('Oslo');
      const result = streamText({
        model: openai.chat(agent),
        tools,
        stopWhen: stepCountIs(3),
        prompt: `Weather in Oslo? ${mark}`,
        providerOptions: providerOptions(),
      });
      let text = '';
      for await (const t of result.textStream) text += t;
      assert.equal(text, 'Done: Oslo.');
      assert.equal((await result.steps).length, 2);
      await assertOneConversation(stack, agent, ['user', 'assistant', 'tool', 'assistant']);
    });
  }

  test('generateObject: structured output through response_format', T, async () => {
    const agent = await stack.agent();
    const mark = await stack.planned([{ content: JSON.stringify({ name: 'Ada', languages: ['en', 'fr'] }) }]);
    const r = await generateObject({
      model: openai.chat(agent),
      schema: z.object({ name: z.string(), languages: z.array(z.string()) }),
      prompt: `A person ${mark}`,
    });
    assert.deepEqual(r.object, { name: 'Ada', languages: ['en', 'fr'] });
    const [up] = await stack.fake.requests(mark);
    assert.equal(up.body.response_format.type, 'json_schema');
  });
});

describe("Vercel AI SDK's default provider: the Responses API", () => {
  for (const mode of ['stateless', 'previous response']) {
    test(`generateText with a tool over two steps (${mode})`, T, async () => {
      const agent = await stack.agent();
      const mark = await toolSteps('Paris');
      const r = await generateText({
        model: openai(agent),
        tools,
        stopWhen: stepCountIs(3),
        prompt: `Weather in Paris? ${mark}`,
        prepareStep:
          mode === 'previous response'
            ? ({ steps }) =>
                steps.length
                  ? { providerOptions: { openai: { previousResponseId: steps.at(-1).response.id } } }
                  : {}
            : undefined,
      });
      assert.equal(r.text, 'Done: Paris.');
      assert.equal(r.steps.length, 2);
      await assertOneConversation(stack, agent, ['user', 'assistant', 'tool', 'assistant']);
      for (const x of await stack.fake.requests(mark)) assert.equal(x.rejected, undefined);
    });
  }

  test('streamText with a tool over two steps', T, async () => {
    const agent = await stack.agent();
    const mark = await toolSteps('Oslo');
    const result = streamText({ model: openai(agent), tools, stopWhen: stepCountIs(3), prompt: `Weather in Oslo? ${mark}` });
    let text = '';
    for await (const t of result.textStream) text += t;
    assert.equal(text, 'Done: Oslo.');
    assert.equal((await result.steps).length, 2);
    await assertOneConversation(stack, agent, ['user', 'assistant', 'tool', 'assistant']);
  });
});
