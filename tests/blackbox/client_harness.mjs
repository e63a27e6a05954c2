// Shared by the real-client suites: Troupe (with a token) in front of the fake
// OpenAI-compatible upstream, one agent per test, plans keyed by a mark in
// the first user message, and the stored conversations of an agent.
import assert from 'node:assert/strict';
import { startFakeUpstream } from './fake_upstream.mjs';
import { createAgent, startServer, uid, writeServices } from './helpers.mjs';

export const TOKEN = 'sk-troupe-clients';

export async function startStack() {
  const fake = await startFakeUpstream();
  const services = writeServices(
    {
      up: { type: 'openai', model: 'fake-model', base_url: fake.base, timeout_s: 10, retry_base_ms: 20, fallback: 'test' },
      test: { type: 'test', model: 'mock' },
    },
    'up',
  );
  const s = await startServer({
    baseArgs: [`--services=${services}`, '--storage=memory', '--log-level=warn'],
    token: TOKEN,
  });
  return {
    fake,
    s,
    baseURL: `${s.base}/v1`,
    /** A fresh agent on the fake upstream. */
    agent: (fields = {}) => createAgent(s, { system_prompt: 'You use tools.', ...fields }),
    /** Registers steps under a fresh mark; returns the mark. */
    async planned(steps) {
      const mark = uid('mark');
      await fake.plan(mark, steps);
      return mark;
    },
    /** Every stored session of the agent, with its messages. */
    async conversations(agent) {
      const list = await s.req('GET', `/v1/sessions?agent_id=${agent}&limit=1000`);
      assert.equal(list.status, 200, list.text);
      const out = [];
      for (const x of list.json) out.push((await s.req('GET', `/v1/sessions/${x.id}`)).json);
      return out;
    },
    async stop() {
      const e = await s.stop();
      await fake.stop();
      assert.equal(e.code, 0);
    },
  };
}

/** Asserts one stored conversation whose roles are `roles`, and returns its messages. */
export async function assertOneConversation(stack, agent, roles) {
  const all = await stack.conversations(agent);
  assert.equal(all.length, 1, `sessions: ${JSON.stringify(all.map((x) => x.messages.map((m) => m.role)))}`);
  const ms = all[0].messages;
  assert.deepEqual(ms.map((m) => m.role), roles, JSON.stringify(ms));
  // Every tool result answers a call stored before it, once.
  const calls = new Set();
  const answered = new Set();
  for (const m of ms) {
    for (const c of m.tool_calls ?? []) calls.add(c.id);
    if (m.role === 'tool') {
      assert.ok(calls.has(m.tool_call_id), `result for an unknown call ${m.tool_call_id}`);
      assert.ok(!answered.has(m.tool_call_id), `result stored twice: ${m.tool_call_id}`);
      answered.add(m.tool_call_id);
    }
  }
  return ms;
}
