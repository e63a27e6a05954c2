// Sessions: server-side history seen by the model (via usage.prompt_tokens),
// what is stored, ownership, and the /v1/sessions endpoints.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MOCK_REPLY,
  SYSTEM_PROMPT,
  assertError,
  assistant,
  chat,
  createAgent,
  sleep,
  startServer,
  uid,
  user,
  words,
} from './helpers.mjs';

const T = { timeout: 20000 };
const SYS = words(SYSTEM_PROMPT);
const REPLY = words(MOCK_REPLY);
const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

let s;
before(async () => {
  // The "openai" provider of conf/services.json points at a closed local port.
  s = await startServer({ env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' } });
});
after(async () => {
  const e = await s?.stop();
  assert.equal(e?.code, 0);
});

async function turn(model, messages, metadata) {
  const r = await chat(s, { model, messages, ...(metadata ? { metadata } : {}) });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

async function stored(sid) {
  const g = await s.req('GET', `/v1/sessions/${sid}`);
  assert.equal(g.status, 200, g.text);
  return g.json;
}
const pairs = (sess) => sess.messages.map((m) => [m.role, m.content]);

describe('history', () => {
  test('a new session id is generated and returned', T, async () => {
    const a = await turn('demo', [user('hi')]);
    const sid = a.metadata.session_id;
    assert.match(sid, /^[A-Za-z0-9._:-]{1,128}$/);
    const sess = await stored(sid);
    assert.equal(sess.id, sid);
    assert.equal(sess.agent_id, 'demo');
  });

  test('prompt_tokens grow with the stored history', T, async () => {
    const a = await turn('demo', [user('alpha beta')]);
    const sid = a.metadata.session_id;
    assert.equal(a.usage.prompt_tokens, SYS + 2);
    const b = await turn('demo', [user('gamma')], { session_id: sid });
    assert.equal(b.metadata.session_id, sid);
    assert.equal(b.usage.prompt_tokens, SYS + 2 + REPLY + 1);
    const c = await turn('demo', [user('delta epsilon zeta')], { session_id: sid });
    assert.equal(c.usage.prompt_tokens, SYS + 2 + REPLY + 1 + REPLY + 3);
    const sess = await stored(sid);
    assert.equal(sess.message_count, 6);
    assert.deepEqual(pairs(sess), [
      ['user', 'alpha beta'],
      ['assistant', MOCK_REPLY],
      ['user', 'gamma'],
      ['assistant', MOCK_REPLY],
      ['user', 'delta epsilon zeta'],
      ['assistant', MOCK_REPLY],
    ]);
  });

  test('a client-chosen session id starts a session', T, async () => {
    const sid = uid('client.sess');
    const a = await turn('demo', [user('one')], { session_id: sid });
    assert.equal(a.metadata.session_id, sid);
    assert.equal(a.usage.prompt_tokens, SYS + 1);
    const b = await turn('demo', [user('two')], { session_id: sid });
    assert.equal(b.usage.prompt_tokens, SYS + 1 + REPLY + 1);
  });

  test('task_id is read as session_id', T, async () => {
    const a = await turn('demo', [user('one')]);
    const sid = a.metadata.session_id;
    const b = await turn('demo', [user('two')], { task_id: sid });
    assert.equal(b.metadata.session_id, sid);
    assert.equal(b.usage.prompt_tokens, SYS + 1 + REPLY + 1);
  });

  test('invalid session id → 400', T, async () => {
    for (const sid of ['has space', 'x'.repeat(129), 'a/b']) {
      assertError(
        await chat(s, { model: 'demo', messages: [user('x')], metadata: { session_id: sid } }),
        400,
      );
    }
  });

  test('historyLength: only the newest N messages are seen', T, async () => {
    const id = await createAgent(s, {
      system_prompt: 'sys',
      conversation_config: { historyLength: 2 },
    });
    const a = await turn(id, [user('one')]);
    const sid = a.metadata.session_id;
    const b = await turn(id, [user('two two')], { session_id: sid });
    assert.equal(b.usage.prompt_tokens, 1 + 1 + REPLY + 2);
    const c = await turn(id, [user('three three three')], { session_id: sid });
    // Newest 2 stored: user 'two two' + the reply.
    assert.equal(c.usage.prompt_tokens, 1 + 2 + REPLY + 3);
    const d = await turn(id, [user('four')], { session_id: sid });
    assert.equal(d.usage.prompt_tokens, 1 + 3 + REPLY + 1);
  });

  test('historyLength 1 sees only the last reply', T, async () => {
    const id = await createAgent(s, { system_prompt: '', conversation_config: { historyLength: 1 } });
    const a = await turn(id, [user('one two')]);
    const b = await turn(id, [user('x')], { session_id: a.metadata.session_id });
    assert.equal(b.usage.prompt_tokens, REPLY + 1);
  });

  test('continuous=false: no history is seen', T, async () => {
    const id = await createAgent(s, {
      system_prompt: 'sys',
      conversation_config: { continuous: false },
    });
    const a = await turn(id, [user('one two')]);
    const sid = a.metadata.session_id;
    const b = await turn(id, [user('three')], { session_id: sid });
    assert.equal(b.usage.prompt_tokens, 1 + 1);
    const c = await turn(id, [user('four five')], { session_id: sid });
    assert.equal(c.usage.prompt_tokens, 1 + 2);
  });

  test('resending the whole conversation appends only the new tail', T, async () => {
    const a = await turn('demo', [user('first question')]);
    const sid = a.metadata.session_id;
    const b = await turn(
      'demo',
      [user('first question'), assistant(MOCK_REPLY), user('second')],
      { session_id: sid },
    );
    assert.equal(b.usage.prompt_tokens, SYS + 2 + REPLY + 1);
    const c = await turn(
      'demo',
      [
        user('first question'),
        assistant(MOCK_REPLY),
        user('second'),
        assistant(MOCK_REPLY),
        user('third one'),
      ],
      { session_id: sid },
    );
    assert.equal(c.usage.prompt_tokens, SYS + 2 + REPLY + 1 + REPLY + 2);
    const sess = await stored(sid);
    assert.deepEqual(pairs(sess), [
      ['user', 'first question'],
      ['assistant', MOCK_REPLY],
      ['user', 'second'],
      ['assistant', MOCK_REPLY],
      ['user', 'third one'],
      ['assistant', MOCK_REPLY],
    ]);
  });

  test('resending exactly the stored conversation stores only the new reply', T, async () => {
    const a = await turn('demo', [user('only question')]);
    const sid = a.metadata.session_id;
    const b = await turn('demo', [user('only question'), assistant(MOCK_REPLY)], { session_id: sid });
    // The model sees the history once, not twice.
    assert.equal(b.usage.prompt_tokens, SYS + 2 + REPLY);
    assert.deepEqual(pairs(await stored(sid)), [
      ['user', 'only question'],
      ['assistant', MOCK_REPLY],
      ['assistant', MOCK_REPLY],
    ]);
  });

  test('continuous=false: a resent conversation is seen whole and stored once', T, async () => {
    const id = await createAgent(s, { system_prompt: 'sys', conversation_config: { continuous: false } });
    const a = await turn(id, [user('one two')]);
    const sid = a.metadata.session_id;
    const b = await turn(id, [user('one two'), assistant(MOCK_REPLY), user('three')], { session_id: sid });
    assert.equal(b.usage.prompt_tokens, 1 + 2 + REPLY + 1);
    assert.deepEqual(pairs(await stored(sid)), [
      ['user', 'one two'],
      ['assistant', MOCK_REPLY],
      ['user', 'three'],
      ['assistant', MOCK_REPLY],
    ]);
  });

  test('a resend with per-turn system instructions still matches the history', T, async () => {
    const a = await turn('demo', [user('q1')]);
    const sid = a.metadata.session_id;
    const b = await turn(
      'demo',
      [{ role: 'system', content: 'be short' }, user('q1'), assistant(MOCK_REPLY), user('q2')],
      { session_id: sid },
    );
    assert.equal(b.usage.prompt_tokens, SYS + 2 + 1 + REPLY + 1);
    assert.deepEqual(pairs(await stored(sid)), [
      ['user', 'q1'],
      ['assistant', MOCK_REPLY],
      ['user', 'q2'],
      ['assistant', MOCK_REPLY],
    ]);
  });

  test('leading system messages are per-turn: seen, not stored', T, async () => {
    const a = await turn('demo', [{ role: 'system', content: 'answer in french' }, user('hi')]);
    assert.equal(a.usage.prompt_tokens, SYS + 3 + 1);
    const sid = a.metadata.session_id;
    assert.deepEqual(pairs(await stored(sid)), [
      ['user', 'hi'],
      ['assistant', MOCK_REPLY],
    ]);
    const b = await turn('demo', [user('again')], { session_id: sid });
    assert.equal(b.usage.prompt_tokens, SYS + 1 + REPLY + 1);
  });

  test('asking the same question again is a new turn', T, async () => {
    const a = await turn('demo', [user('same question')]);
    const sid = a.metadata.session_id;
    const b = await turn('demo', [user('same question')], { session_id: sid });
    assert.equal(b.usage.prompt_tokens, SYS + 2 + REPLY + 2);
    assert.deepEqual(pairs(await stored(sid)), [
      ['user', 'same question'],
      ['assistant', MOCK_REPLY],
      ['user', 'same question'],
      ['assistant', MOCK_REPLY],
    ]);
  });

  test('several new messages in one turn are all stored', T, async () => {
    const a = await turn('demo', [user('a'), assistant('b'), user('c')]);
    assert.deepEqual(pairs(await stored(a.metadata.session_id)), [
      ['user', 'a'],
      ['assistant', 'b'],
      ['user', 'c'],
      ['assistant', MOCK_REPLY],
    ]);
  });

  test('array content is stored as its parts', T, async () => {
    const parts = [
      { type: 'text', text: 'part one' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } },
    ];
    const a = await turn('demo', [{ role: 'user', content: parts }]);
    const sess = await stored(a.metadata.session_id);
    assert.equal(sess.messages[0].role, 'user');
    assert.deepEqual(sess.messages[0].content, parts);
  });

  test('response_prefix is part of the stored reply', T, async () => {
    const id = await createAgent(s, { template_config: { response_prefix: 'P: ' } });
    const a = await turn(id, [user('x')]);
    assert.deepEqual(pairs(await stored(a.metadata.session_id)), [
      ['user', 'x'],
      ['assistant', `P: ${MOCK_REPLY}`],
    ]);
  });

  test('a failed turn stores nothing (502: upstream unreachable)', T, async () => {
    const id = await createAgent(s, { llm_config_id: 'openai' });
    const sid = uid('failed');
    assertError(
      await chat(s, { model: id, messages: [user('x')], metadata: { session_id: sid } }),
      502,
    );
    const g = await s.req('GET', `/v1/sessions/${sid}`);
    if (g.status === 200) assert.equal(g.json.message_count, 0);
    else assertError(g, 404);
  });
});

describe('ownership', () => {
  test('another user_id → 404; owner keeps access', T, async () => {
    const a = await turn('demo', [user('mine')], { user_id: 'owner' });
    const sid = a.metadata.session_id;
    assertError(
      await chat(s, { model: 'demo', messages: [user('x')], metadata: { session_id: sid, user_id: 'thief' } }),
      404,
      { code: 'session_not_found' },
    );
    const b = await turn('demo', [user('still mine')], { session_id: sid, user_id: 'owner' });
    assert.equal(b.usage.prompt_tokens, SYS + 1 + REPLY + 2);
    const sess = await stored(sid);
    assert.equal(sess.user_id, 'owner');
    assert.equal(sess.message_count, 4, '404 turn not stored');
  });

  test("another user's session answers exactly like an unknown one: chat, read, delete", T, async () => {
    const other = await createAgent(s);
    const sid = (await turn(other, [user('secret')], { user_id: 'owner' })).metadata.session_id;
    const unknown = uid('never-used');
    // Chat: the user check comes first, so the agent it belongs to never shows
    // (a wrong agent alone would be a 400 naming it).
    for (const model of ['demo', other]) {
      const r = await chat(s, { model, messages: [user('x')], metadata: { session_id: sid, user_id: 'thief' } });
      const e = assertError(r, 404, { code: 'session_not_found' });
      assert.ok(!r.text.includes(other), `no agent id in: ${r.text}`);
      assert.equal(e.message, `session '${sid}' not found`);
    }
    // Read and delete, scoped with ?user_id=: the same answer as for an id nobody used.
    const same = async (method) => {
      const theirs = await s.req(method, `/v1/sessions/${sid}?user_id=thief`);
      const none = await s.req(method, `/v1/sessions/${unknown}?user_id=thief`);
      assertError(theirs, 404);
      assertError(none, 404);
      assert.equal(theirs.text.replaceAll(sid, 'ID'), none.text.replaceAll(unknown, 'ID'));
    };
    await same('GET');
    await same('DELETE');
    // Still there for its owner, who can read and delete it.
    const mine = await s.req('GET', `/v1/sessions/${sid}?user_id=owner`);
    assert.equal(mine.status, 200, mine.text);
    assert.equal(mine.json.message_count, 2);
    assert.equal((await s.req('DELETE', `/v1/sessions/${sid}?user_id=owner`)).status, 204);
    assertError(await s.req('GET', `/v1/sessions/${sid}`), 404);
  });

  test('a session used with another agent → 400', T, async () => {
    const other = await createAgent(s);
    const a = await turn('demo', [user('x')]);
    const sid = a.metadata.session_id;
    assertError(
      await chat(s, { model: other, messages: [user('y')], metadata: { session_id: sid } }),
      400,
    );
    assert.equal((await stored(sid)).message_count, 2);
  });
});

describe('/v1/sessions endpoints', () => {
  test('GET /v1/sessions/{id}: shape and timestamps', T, async () => {
    const a = await turn('demo', [user('x')], { user_id: 'shape-user' });
    const sess = await stored(a.metadata.session_id);
    for (const k of ['id', 'agent_id', 'user_id', 'created_at', 'last_activity', 'message_count', 'messages']) {
      assert.ok(k in sess, k);
    }
    assert.equal(sess.user_id, 'shape-user');
    assert.match(sess.created_at, ISO_Z);
    assert.match(sess.last_activity, ISO_Z);
    assert.equal(sess.message_count, sess.messages.length);
    for (const m of sess.messages) {
      assert.deepEqual(Object.keys(m).sort(), ['content', 'created_at', 'role']);
      assert.match(m.created_at, ISO_Z);
    }
  });

  test('last_activity moves on each turn', T, async () => {
    const a = await turn('demo', [user('x')]);
    const sid = a.metadata.session_id;
    const s1 = await stored(sid);
    await sleep(15);
    await turn('demo', [user('y')], { session_id: sid });
    const s2 = await stored(sid);
    assert.equal(s2.created_at, s1.created_at);
    assert.ok(s2.last_activity > s1.last_activity, `${s1.last_activity} -> ${s2.last_activity}`);
  });

  test('list with filters, limit, offset', T, async () => {
    const agent = await createAgent(s);
    const u = uid('lister');
    const sids = [];
    for (let i = 0; i < 3; i++) sids.push((await turn(agent, [user(`m${i}`)], { user_id: u })).metadata.session_id);
    const other = (await turn(agent, [user('other')], { user_id: `${u}-2` })).metadata.session_id;

    const byAgent = await s.req('GET', `/v1/sessions?agent_id=${agent}`);
    assert.equal(byAgent.status, 200);
    assert.ok(Array.isArray(byAgent.json));
    assert.deepEqual(new Set(byAgent.json.map((x) => x.id)), new Set([...sids, other]));
    for (const x of byAgent.json) {
      assert.deepEqual(
        Object.keys(x).sort(),
        ['agent_id', 'created_at', 'id', 'last_activity', 'message_count', 'user_id'],
      );
      assert.equal(x.agent_id, agent);
      assert.equal(x.message_count, 2);
    }
    const byUser = await s.req('GET', `/v1/sessions?agent_id=${agent}&user_id=${u}`);
    assert.deepEqual(new Set(byUser.json.map((x) => x.id)), new Set(sids));
    assert.ok(byUser.json.every((x) => x.user_id === u));

    const all = byUser.json.map((x) => x.id);
    const page = await s.req('GET', `/v1/sessions?agent_id=${agent}&user_id=${u}&limit=1&offset=1`);
    assert.equal(page.status, 200);
    assert.deepEqual(page.json.map((x) => x.id), all.slice(1, 2));
    const none = await s.req('GET', '/v1/sessions?agent_id=no-such-agent');
    assert.equal(none.status, 200);
    assert.deepEqual(none.json, []);
  });

  test('bad list query → 400', T, async () => {
    for (const q of ['limit=0', 'limit=-2', 'limit=x', 'offset=-1', 'offset=1.5']) {
      assertError(await s.req('GET', `/v1/sessions?${q}`), 400);
    }
  });

  test('DELETE → 204 then 404', T, async () => {
    const a = await turn('demo', [user('x')]);
    const sid = a.metadata.session_id;
    const d = await s.req('DELETE', `/v1/sessions/${sid}`);
    assert.equal(d.status, 204);
    assert.equal(d.text, '');
    assertError(await s.req('GET', `/v1/sessions/${sid}`), 404);
    assertError(await s.req('DELETE', `/v1/sessions/${sid}`), 404);
    const list = await s.req('GET', '/v1/sessions?agent_id=demo');
    assert.ok(!list.json.some((x) => x.id === sid));
  });

  test('a deleted session id starts from scratch', T, async () => {
    const a = await turn('demo', [user('x')]);
    const sid = a.metadata.session_id;
    assert.equal((await s.req('DELETE', `/v1/sessions/${sid}`)).status, 204);
    const b = await turn('demo', [user('fresh')], { session_id: sid });
    assert.equal(b.usage.prompt_tokens, SYS + 1);
  });

  test('unknown session → 404', T, async () => {
    assertError(await s.req('GET', '/v1/sessions/nope'), 404);
    assertError(await s.req('DELETE', '/v1/sessions/nope'), 404);
  });
});

// Deleting what a running turn works on: the turn must still be answered
// (at the latest by the --turn-timeout-s 504), nothing may be left behind.
describe('deletion during an in-flight turn', () => {
  let d;
  before(async () => {
    d = await startServer({
      args: ['--turn-timeout-s=1', '--drain-s=2'],
      env: { TROUPE_TEST_FIRST_TOKEN_MS: '500', TROUPE_TEST_TOKEN_INTERVAL_MS: '10' },
    });
  });
  after(async () => {
    await d?.stop();
  });

  async function inflightTurn(model, sid, del, { stream = false } = {}) {
    const t0 = Date.now();
    const pending = d
      .req('POST', '/v1/chat/completions', {
        body: { model, messages: [user('in flight')], metadata: { session_id: sid }, stream },
        timeoutMs: 4000,
      })
      .then((r) => r, (e) => e);
    await sleep(150);
    const del_ = await d.req('DELETE', del);
    assert.equal(del_.status, 204);
    const r = await pending;
    const took = Date.now() - t0;
    assert.ok(!(r instanceof Error), `no response after ${took} ms: ${r?.cause?.code ?? r?.name ?? r}`);
    assert.ok(took < 3000, `answered after ${took} ms (turn timeout is 1 s)`);
    if (r.status !== 200) assertError(r, r.status);
    return r;
  }

  async function noLeftovers() {
    const h = await d.req('GET', '/v1/health');
    assert.equal(h.json.metrics.inflight_requests ?? 0, 0, JSON.stringify(h.json.metrics));
  }

  test('DELETE the agent: the turn is answered, its session stays deleted', T, async () => {
    const id = await createAgent(d, { llm_config_id: 'test-slow' });
    const sid = uid('del-agent');
    await inflightTurn(id, sid, `/v1/agents/${id}`);
    await sleep(600); // the provider would be done by now
    assertError(await d.req('GET', `/v1/sessions/${sid}`), 404);
    await noLeftovers();
  });

  test('DELETE the agent during a stream: the stream ends', T, async () => {
    const id = await createAgent(d, { llm_config_id: 'test-slow' });
    await inflightTurn(id, uid('del-agent-stream'), `/v1/agents/${id}`, { stream: true });
    await noLeftovers();
  });

  test('DELETE the session: the turn is answered', T, async () => {
    const id = await createAgent(d, { llm_config_id: 'test-slow' });
    const sid = uid('del-session');
    const first = await d.req('POST', '/v1/chat/completions', {
      body: { model: id, messages: [user('first')], metadata: { session_id: sid } },
    });
    assert.equal(first.status, 200, first.text);
    await inflightTurn(id, sid, `/v1/sessions/${sid}`);
    await noLeftovers();
  });

  test('shutdown is not held up afterwards', T, async () => {
    const t0 = Date.now();
    const e = await d.stop();
    assert.deepEqual(e, { code: 0, signal: null });
    assert.ok(Date.now() - t0 < 1500, `exit took ${Date.now() - t0} ms with nothing in flight`);
  });
});
