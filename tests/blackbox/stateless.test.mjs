// Stateless clients: no session id, the whole conversation resent each time
// (the default of every OpenAI client). A conversation is still one session:
// found again by its resent history, stored once, growing linearly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeUpstream } from './fake_upstream.mjs';
import { assistant, chat, createAgent, startServer, uid, user, writeServices } from './helpers.mjs';

const T = { timeout: 30000 };

let fake;
let s;
before(async () => {
  fake = await startFakeUpstream();
  const services = writeServices(
    {
      up: { type: 'openai', model: 'fake-model', base_url: fake.base, timeout_s: 5 },
      test: { type: 'test', model: 'mock' },
    },
    'up',
  );
  s = await startServer({ baseArgs: [`--services=${services}`, '--storage=memory', '--log-level=warn'] });
});
after(async () => {
  const e = await s?.stop();
  await fake?.stop();
  assert.equal(e?.code, 0);
});

async function sessionsOf(agent) {
  const r = await s.req('GET', `/v1/sessions?agent_id=${agent}&limit=1000`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}
async function messagesOf(sid) {
  const r = await s.req('GET', `/v1/sessions/${sid}`);
  assert.equal(r.status, 200, r.text);
  return r.json.messages;
}
const roleAndText = (ms) => ms.map((m) => [m.role, m.content]);

// Runs a stateless chat of `turns` user messages; returns the last reply and the messages sent.
async function statelessChat(agent, texts, extra = {}) {
  const messages = [{ role: 'system', content: 'be kind' }];
  let last;
  for (const t of texts) {
    messages.push(user(t));
    last = await chat(s, { model: agent, messages, ...extra });
    assert.equal(last.status, 200, last.text);
    messages.push(last.json.choices[0].message);
  }
  return { last, messages };
}

describe('one session per conversation', () => {
  test('a 3-turn stateless chat is one session of 6 messages, each once, in order', T, async () => {
    const agent = await createAgent(s, { llm_config_id: 'test' });
    const { last } = await statelessChat(agent, ['one', 'two', 'three']);
    const all = await sessionsOf(agent);
    assert.equal(all.length, 1, JSON.stringify(all));
    assert.equal(all[0].id, last.json.metadata.session_id, 'the reply names the session used');
    const ms = await messagesOf(all[0].id);
    assert.deepEqual(roleAndText(ms).map(([r]) => r), ['user', 'assistant', 'user', 'assistant', 'user', 'assistant']);
    assert.deepEqual(ms.filter((m) => m.role === 'user').map((m) => m.content), ['one', 'two', 'three']);
  });

  test('two conversations that start alike stay two sessions', T, async () => {
    const agent = await createAgent(s, { llm_config_id: 'test' });
    await statelessChat(agent, ['hello', 'first path']);
    await statelessChat(agent, ['hello', 'second path']);
    const all = await sessionsOf(agent);
    assert.equal(all.length, 2);
    const users = await Promise.all(all.map(async (x) => (await messagesOf(x.id)).filter((m) => m.role === 'user').map((m) => m.content)));
    assert.deepEqual(users.sort(), [['hello', 'first path'], ['hello', 'second path']]);
  });

  test('other users and agents never continue a conversation that is not theirs', T, async () => {
    const agent = await createAgent(s, { llm_config_id: 'test' });
    const first = await chat(s, { model: agent, messages: [user('hi')], metadata: { user_id: 'alice' } });
    const resent = [user('hi'), first.json.choices[0].message, user('more')];
    const bob = await chat(s, { model: agent, messages: resent, metadata: { user_id: 'bob' } });
    assert.notEqual(bob.json.metadata.session_id, first.json.metadata.session_id);
    const alice = await chat(s, { model: agent, messages: resent, metadata: { user_id: 'alice' } });
    assert.equal(alice.json.metadata.session_id, first.json.metadata.session_id);
  });

  test('concurrent resends of one conversation never store a message twice', T, async () => {
    const agent = await createAgent(s, { llm_config_id: 'test' });
    const first = await chat(s, { model: agent, messages: [user('start')] });
    const base = [user('start'), first.json.choices[0].message];
    const replies = await Promise.all(
      ['a', 'b', 'c', 'd'].map((t) => chat(s, { model: agent, messages: [...base, user(t)] })),
    );
    for (const r of replies) assert.equal(r.status, 200, r.text);
    for (const x of await sessionsOf(agent)) {
      const ms = await messagesOf(x.id);
      // Every stored conversation alternates user/assistant: nothing interleaved twice.
      ms.forEach((m, i) => assert.equal(m.role, i % 2 === 0 ? 'user' : 'assistant', JSON.stringify(ms)));
      assert.equal(ms.filter((m) => m.content === 'start').length, 1);
    }
    const total = (await Promise.all((await sessionsOf(agent)).map((x) => messagesOf(x.id)))).flat();
    assert.equal(total.filter((m) => ['a', 'b', 'c', 'd'].includes(m.content)).length, 4);
  });

  test('store: false keeps no session and does not disturb the stored one', T, async () => {
    const agent = await createAgent(s, { llm_config_id: 'test' });
    const { messages } = await statelessChat(agent, ['kept']);
    await chat(s, { model: agent, messages: [...messages, user('not kept')], store: false });
    const all = await sessionsOf(agent);
    assert.equal(all.length, 1);
    assert.equal(all[0].message_count, 2);
  });
});

describe('tool exchanges and the history window', () => {
  const tool = { type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } };

  test('a resent tool exchange is recognised and stored once', T, async () => {
    const agent = await createAgent(s, {});
    const mark = uid('mark');
    await fake.plan(mark, [{ tool_calls: [{ id: 'call_x', name: 'lookup', arguments: { q: 'a' } }] }, { content: 'found it' }, { content: 'bye' }]);
    const messages = [user(`find ${mark}`)];
    const r1 = await chat(s, { model: agent, messages, tools: [tool] });
    messages.push(r1.json.choices[0].message, { role: 'tool', tool_call_id: 'call_x', content: 'A!' });
    const r2 = await chat(s, { model: agent, messages, tools: [tool] });
    assert.equal(r2.status, 200, r2.text);
    messages.push(r2.json.choices[0].message, user('thanks'));
    const r3 = await chat(s, { model: agent, messages, tools: [tool] });
    assert.equal(r3.status, 200, r3.text);
    assert.equal(r3.json.metadata.session_id, r1.json.metadata.session_id);
    const all = await sessionsOf(agent);
    assert.equal(all.length, 1);
    const ms = await messagesOf(all[0].id);
    assert.deepEqual(ms.map((m) => m.role), ['user', 'assistant', 'tool', 'assistant', 'user', 'assistant']);
    assert.equal(ms[1].tool_calls[0].id, 'call_x');
    assert.equal(ms[2].tool_call_id, 'call_x');
  });

  test('a resend longer than historyLength reaches the upstream whole', T, async () => {
    const agent = await createAgent(s, { conversation_config: { continuous: true, historyLength: 2 } });
    const mark = uid('mark');
    await fake.plan(mark, [{ content: 'ok' }]);
    const messages = [];
    for (let i = 0; i < 5; i++) messages.push(user(`q${i} ${mark}`), assistant(`r${i}`));
    messages.push(user(`last ${mark}`));
    const r = await chat(s, { model: agent, messages });
    assert.equal(r.status, 200, r.text);
    const [up] = await fake.requests(mark);
    assert.equal(up.body.messages.length, messages.length);
  });

  test('with a session id, a trimmed window never starts inside a tool exchange', T, async () => {
    const agent = await createAgent(s, { system_prompt: 'sys', conversation_config: { continuous: true, historyLength: 3 } });
    const sid = uid('win');
    const mark = uid('mark');
    await fake.plan(mark, [
      { tool_calls: [{ id: 'c1', name: 'lookup', arguments: {} }, { id: 'c2', name: 'lookup', arguments: {} }] },
      { content: 'both done' },
      { content: 'next answer' },
    ]);
    const send = (messages) => chat(s, { model: agent, messages, tools: [tool], metadata: { session_id: sid } });
    assert.equal((await send([user(`go ${mark}`)])).status, 200);
    const r2 = await send([
      { role: 'tool', tool_call_id: 'c1', content: 'one' },
      { role: 'tool', tool_call_id: 'c2', content: 'two' },
    ]);
    assert.equal(r2.status, 200, r2.text);
    // Stored: user, assistant(calls), tool, tool, assistant. The newest 3 start at a tool result.
    const r3 = await send([user(`and now ${mark}`)]);
    assert.equal(r3.status, 200, r3.text);
    const [, , third] = await fake.requests(mark);
    assert.equal(third.rejected, undefined, JSON.stringify(third.body.messages));
    const roles = third.body.messages.map((m) => m.role);
    assert.deepEqual(roles, ['system', 'assistant', 'user'], 'the orphaned results were left out');
  });

  test('tool calls the client never answered are left out of the next window', T, async () => {
    const agent = await createAgent(s, {});
    const sid = uid('open');
    const mark = uid('mark');
    await fake.plan(mark, [{ tool_calls: [{ id: 'c9', name: 'lookup', arguments: {} }] }, { content: 'fine' }]);
    await chat(s, { model: agent, messages: [user(`call ${mark}`)], tools: [tool], metadata: { session_id: sid } });
    const r = await chat(s, { model: agent, messages: [user(`never mind ${mark}`)], metadata: { session_id: sid } });
    assert.equal(r.status, 200, r.text);
    const [, second] = await fake.requests(mark);
    assert.deepEqual(second.body.messages.map((m) => m.role), ['user', 'user']);
  });
});
