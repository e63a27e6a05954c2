// Many requests at once: one session under contention, and a mixed load.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MOCK_REPLY,
  SYSTEM_PROMPT,
  chat,
  contentOf,
  createAgent,
  startServer,
  streamChat,
  streamText,
  uid,
  user,
  words,
} from './helpers.mjs';

const T = { timeout: 60000 };
const SYS = words(SYSTEM_PROMPT);
const REPLY = words(MOCK_REPLY);

let s;
before(async () => {
  s = await startServer({
    env: { TROUPE_TEST_FIRST_TOKEN_MS: '15', TROUPE_TEST_TOKEN_INTERVAL_MS: '3' },
  });
});
after(async () => {
  const e = await s?.stop();
  assert.equal(e?.code, 0);
});

function assertAlternating(sess, n, prefix) {
  assert.equal(sess.message_count, 2 * n, `message_count ${sess.message_count}`);
  assert.equal(sess.messages.length, 2 * n);
  const seen = new Map();
  sess.messages.forEach((m, i) => {
    if (i % 2 === 0) {
      assert.equal(m.role, 'user', `message ${i} is user: ${JSON.stringify(m)}`);
      seen.set(m.content, (seen.get(m.content) ?? 0) + 1);
    } else {
      assert.equal(m.role, 'assistant', `message ${i} is assistant: ${JSON.stringify(m)}`);
      assert.equal(m.content, MOCK_REPLY);
    }
  });
  for (let i = 0; i < n; i++) {
    assert.equal(seen.get(`${prefix} ${i}`), 1, `'${prefix} ${i}' stored exactly once`);
  }
  assert.equal(seen.size, n);
}

describe('one session, many concurrent turns', () => {
  test('50 concurrent requests to ONE session', T, async () => {
    // historyLength 1000 so every turn sees the whole history (demo keeps 50 messages).
    const id = await createAgent(s, {
      system_prompt: SYSTEM_PROMPT,
      conversation_config: { historyLength: 1000 },
    });
    const sid = uid('contended');
    const rs = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        chat(s, {
          model: id,
          messages: [user(`msg ${i}`)],
          metadata: { session_id: sid },
        }, { timeoutMs: 50000 }),
      ),
    );
    for (const r of rs) {
      assert.equal(r.status, 200, r.text);
      assert.equal(contentOf(r), MOCK_REPLY);
      assert.equal(r.json.metadata.session_id, sid);
    }
    const g = await s.req('GET', `/v1/sessions/${sid}`);
    assert.equal(g.status, 200, g.text);
    assertAlternating(g.json, 50, 'msg');

    // Turns were applied one after another: the k-th turn saw k earlier pairs.
    const prompts = rs.map((r) => r.json.usage.prompt_tokens).sort((a, b) => a - b);
    assert.deepEqual(
      prompts,
      Array.from({ length: 50 }, (_, k) => SYS + k * (2 + REPLY) + 2),
    );
    // ...and the stored order matches the order in which they saw history.
    const order = g.json.messages.filter((m) => m.role === 'user').map((m) => m.content);
    const byPrompt = rs
      .map((r, i) => [r.json.usage.prompt_tokens, `msg ${i}`])
      .sort((a, b) => a[0] - b[0])
      .map((x) => x[1]);
    assert.deepEqual(order, byPrompt);
  });

  test('30 concurrent slow turns (stream and non-stream) to ONE session', T, async () => {
    const id = await createAgent(s, { llm_config_id: 'test-slow', system_prompt: SYSTEM_PROMPT });
    const sid = uid('contended-slow');
    const rs = await Promise.all(
      Array.from({ length: 30 }, (_, i) => {
        const body = { model: id, messages: [user(`slow ${i}`)], metadata: { session_id: sid } };
        return i % 2
          ? streamChat(s, body, { timeoutMs: 50000 }).then((r) => ({ ...r, text: streamText(r.chunks) }))
          : chat(s, body, { timeoutMs: 50000 }).then((r) => ({ ...r, text: contentOf(r) }));
      }),
    );
    for (const r of rs) {
      assert.equal(r.status, 200, r.raw ?? r.text);
      assert.equal(r.text, MOCK_REPLY);
    }
    const g = await s.req('GET', `/v1/sessions/${sid}`);
    assert.equal(g.status, 200);
    assertAlternating(g.json, 30, 'slow');
  });
});

describe('mixed load', () => {
  test('300 concurrent mixed requests all succeed', T, async () => {
    // Six existing sessions, one turn each.
    const existing = [];
    for (let i = 0; i < 6; i++) {
      const r = await chat(s, { model: 'demo', messages: [user(`seed ${i}`)] });
      assert.equal(r.status, 200);
      existing.push(r.json.metadata.session_id);
    }
    const h0 = (await s.req('GET', '/v1/health')).json.metrics.total_completions;

    const jobs = [];
    const opts = { timeoutMs: 50000 };
    for (let i = 0; i < 300; i++) {
      switch (i % 6) {
        case 0: // non-stream, new session
          jobs.push(async () => {
            const r = await chat(s, { model: 'demo', messages: [user(`new ${i}`)] }, opts);
            assert.equal(r.status, 200, r.text);
            assert.equal(contentOf(r), MOCK_REPLY);
            assert.equal(r.json.usage.prompt_tokens, SYS + 2);
            return 'chat';
          });
          break;
        case 1: // stream, new session
          jobs.push(async () => {
            const r = await streamChat(s, {
              model: 'demo',
              messages: [user(`stream ${i}`)],
              stream_options: { include_usage: true },
            }, opts);
            assert.equal(r.status, 200, r.raw);
            assert.ok(r.done);
            assert.equal(streamText(r.chunks), MOCK_REPLY);
            assert.equal(r.chunks[r.chunks.length - 1].usage.prompt_tokens, SYS + 2);
            return 'chat';
          });
          break;
        case 2: // existing session, non-stream or stream
          jobs.push(async () => {
            const sid = existing[Math.floor(i / 6) % existing.length];
            const body = { model: 'demo', messages: [user(`more ${i}`)], metadata: { session_id: sid } };
            if (i % 4 === 0) {
              const r = await streamChat(s, body, opts);
              assert.equal(r.status, 200, r.raw);
              assert.equal(streamText(r.chunks), MOCK_REPLY);
              assert.equal(r.chunks[0].metadata.session_id, sid);
            } else {
              const r = await chat(s, body, opts);
              assert.equal(r.status, 200, r.text);
              assert.equal(r.json.metadata.session_id, sid);
              assert.ok(r.json.usage.prompt_tokens > SYS + 2);
            }
            return 'chat';
          });
          break;
        case 3:
          jobs.push(async () => {
            const r = await s.req('GET', '/v1/agents', opts);
            assert.equal(r.status, 200, r.text);
            assert.ok(r.json.some((a) => a.id === 'demo'));
            return 'get';
          });
          break;
        case 4:
          jobs.push(async () => {
            const r = await s.req('GET', '/v1/health', opts);
            assert.equal(r.status, 200, r.text);
            assert.equal(r.json.status, 'healthy');
            return 'get';
          });
          break;
        case 5:
          jobs.push(async () => {
            const r = await s.req('GET', i % 2 ? '/v1/models' : '/v1/models/demo', opts);
            assert.equal(r.status, 200, r.text);
            return 'get';
          });
          break;
      }
    }
    const results = await Promise.allSettled(jobs.map((j) => j()));
    const failed = results.filter((r) => r.status === 'rejected');
    assert.equal(failed.length, 0, failed.slice(0, 5).map((f) => String(f.reason)).join('\n'));
    const chats = results.filter((r) => r.value === 'chat').length;
    assert.equal(chats, 150);

    const h = await s.req('GET', '/v1/health');
    assert.equal(h.status, 200);
    assert.equal(h.json.status, 'healthy');
    assert.ok(h.json.metrics.total_completions >= h0 + 150, JSON.stringify(h.json.metrics));

    // Every existing session got its turns, alternating.
    for (const sid of existing) {
      const g = await s.req('GET', `/v1/sessions/${sid}`);
      assert.equal(g.status, 200);
      const expected = 2 + 2 * results.filter((_, i) => i % 6 === 2 && existing[Math.floor(i / 6) % existing.length] === sid).length;
      assert.equal(g.json.message_count, expected, sid);
      g.json.messages.forEach((m, k) => assert.equal(m.role, k % 2 ? 'assistant' : 'user'));
    }
    assert.equal((await s.req('GET', '/ping')).status, 200);
  });
});

describe('races', () => {
  test('30 concurrent creates with one name / one id: exactly one 201', T, async () => {
    const name = uid('Same name');
    const byName = await Promise.all(
      Array.from({ length: 30 }, () => s.req('POST', '/v1/agents', { body: { name, template_id: 'chat' } })),
    );
    const id = uid('same-id');
    const byId = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        s.req('POST', '/v1/agents', { body: { id, name: uid(`n${i}`), template_id: 'chat' } }),
      ),
    );
    for (const rs of [byName, byId]) {
      assert.equal(rs.filter((r) => r.status === 201).length, 1);
      assert.equal(rs.filter((r) => r.status === 409).length, 29);
    }
    const list = (await s.req('GET', '/v1/agents')).json;
    assert.equal(list.filter((a) => a.name === name).length, 1);
    assert.equal(list.filter((a) => a.id === id).length, 1);
  });

  test('10 concurrent renames to one name: exactly one wins', T, async () => {
    const ids = [];
    for (let i = 0; i < 10; i++) ids.push(await createAgent(s));
    const target = uid('Target');
    const rs = await Promise.all(
      ids.map((id) => s.req('PUT', `/v1/agents/${id}`, { body: { name: target } })),
    );
    assert.equal(rs.filter((r) => r.status === 200).length, 1);
    assert.equal(rs.filter((r) => r.status === 409).length, 9);
    const list = (await s.req('GET', '/v1/agents')).json;
    assert.equal(list.filter((a) => a.name === target).length, 1);
  });

  test('10 users racing for one new session: one owner, the rest 404', T, async () => {
    const sid = uid('owner-race');
    const rs = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        chat(s, { model: 'demo', messages: [user(`u${i}`)], metadata: { session_id: sid, user_id: `user-${i}` } }),
      ),
    );
    const ok = rs.filter((r) => r.status === 200);
    assert.equal(ok.length, 1);
    rs.filter((r) => r.status !== 200).forEach((r) => assert.equal(r.status, 404, r.text));
    const g = (await s.req('GET', `/v1/sessions/${sid}`)).json;
    assert.equal(g.user_id, ok[0].json.metadata.user_id);
    assert.equal(g.message_count, 2);
  });

  test('two agents racing for one new session: one agent owns it, the other gets 400', T, async () => {
    const other = await createAgent(s);
    const sid = uid('agent-race');
    const rs = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        chat(s, { model: i % 2 ? other : 'demo', messages: [user(`m${i}`)], metadata: { session_id: sid } }),
      ),
    );
    const g = (await s.req('GET', `/v1/sessions/${sid}`)).json;
    rs.forEach((r, i) => {
      const mine = (i % 2 ? other : 'demo') === g.agent_id;
      assert.equal(r.status, mine ? 200 : 400, r.text);
    });
    assert.equal(g.message_count, 10);
  });
});
