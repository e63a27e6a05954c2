// Upstream failures: how each maps onto the error envelope, how often the
// fake saw the call (retries), fallback to another provider, and that a
// failed turn never changes the session history.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeUpstream } from './fake_upstream.mjs';
import {
  MOCK_REPLY,
  assertError,
  chat,
  contentOf,
  createAgent,
  freePort,
  sleep,
  startServer,
  streamChat,
  streamText,
  uid,
  user,
  writeServices,
} from './helpers.mjs';

const T = { timeout: 20000 };

let fake;
let s;
let closedPort;
const agents = {};
before(async () => {
  fake = await startFakeUpstream();
  closedPort = await freePort();
  const up = (extra = {}) => ({
    type: 'openai',
    model: 'primary-model',
    base_url: fake.base,
    timeout_s: 3,
    retry_base_ms: 20,
    ...extra,
  });
  const services = writeServices(
    {
      up: up(),
      no_retry: up({ retries: 0 }),
      four_retries: up({ retries: 4 }),
      quick: up({ timeout_s: 1 }),
      refused: up({ base_url: `http://127.0.0.1:${closedPort}/v1`, retry_base_ms: 300 }),
      refused_no_retry: up({ base_url: `http://127.0.0.1:${closedPort}/v1`, retries: 0 }),
      primary: up({ fallback: 'secondary' }),
      secondary: up({ model: 'secondary-model' }),
      to_test: up({ fallback: 'test' }),
      test: { type: 'test', model: 'mock' },
    },
    'up',
  );
  s = await startServer({ baseArgs: [`--services=${services}`, '--storage=memory', '--log-level=warn'] });
  for (const p of ['up', 'no_retry', 'four_retries', 'quick', 'refused', 'refused_no_retry', 'primary', 'to_test'])
    agents[p] = await createAgent(s, { llm_config_id: p });
});
after(async () => {
  const e = await s?.stop();
  await fake?.stop();
  assert.equal(e?.code, 0);
});

async function planned(steps) {
  const mark = uid('mark');
  await fake.plan(mark, steps);
  return mark;
}

const ask = (provider, content, extra = {}) =>
  chat(s, { model: agents[provider], messages: [user(content)], ...extra });

describe('upstream 4xx: the client\'s fault comes back as it is, never retried', () => {
  for (const status of [400, 404, 413, 422]) {
    test(`${status}: the same status, OpenAI's type, the upstream's message; once, no fallback`, T, async () => {
      const mark = await planned([{ status, error: `upstream says ${status} nope` }]);
      const e = assertError(await ask('primary', mark), status, { type: 'invalid_request_error' });
      assert.equal(e.message, `upstream says ${status} nope`);
      const seen = await fake.requests(mark);
      assert.equal(seen.length, 1, 'one call: not retried');
      assert.equal(seen[0].body.model, 'primary-model', 'the fallback saw nothing');
    });
  }

  test('the upstream\'s param and code come along', T, async () => {
    const mark = await planned([
      {
        status: 400,
        body: JSON.stringify({
          error: { message: "Invalid 'messages[1].tool_call_id'", type: 'invalid_request_error', param: 'messages[1].tool_call_id', code: 'invalid_value' },
        }),
      },
    ]);
    const e = assertError(await ask('up', mark), 400, { param: 'messages[1].tool_call_id', code: 'invalid_value' });
    assert.match(e.message, /tool_call_id/);
  });

  for (const status of [401, 403]) {
    test(`${status}: Troupe's own key is wrong: 502 naming the configuration, not retried`, T, async () => {
      const mark = await planned([{ status, error: `upstream says ${status} nope` }]);
      const e = assertError(await ask('up', mark), 502, { code: 'upstream_error' });
      assert.ok(e.message.includes(`upstream says ${status} nope`), e.message);
      assert.match(e.message, /api_key in the services file/);
      assert.equal((await fake.requests(mark)).length, 1);
    });
  }

  test('401 on a stream is a plain 502, not an event stream', T, async () => {
    const mark = await planned([{ status: 401, error: 'Incorrect API key provided' }]);
    const r = await streamChat(s, { model: agents.up, messages: [user(mark)] });
    const e = assertError(r, 502, { code: 'upstream_error' });
    assert.ok(e.message.includes('Incorrect API key provided'));
    assert.equal((await fake.requests(mark)).length, 1);
  });

  test('a 400 on a stream is a plain 400', T, async () => {
    const mark = await planned([{ status: 400, error: 'bad tools' }]);
    const r = await streamChat(s, { model: agents.up, messages: [user(mark)] });
    assertError(r, 400, { type: 'invalid_request_error' });
    assert.equal((await fake.requests(mark)).length, 1);
  });
});

describe('5xx, 429 and refused connections are retried', () => {
  test('5xx every time: 502 after 1 + 2 retries', T, async () => {
    const mark = await planned([{ status: 500, error: 'internal kaboom' }]);
    const e = assertError(await ask('up', mark), 502, { code: 'upstream_error' });
    assert.ok(e.message.includes('internal kaboom'), e.message);
    assert.equal((await fake.requests(mark)).length, 3);
  });

  test('a 503 then success: 200 after one retry', T, async () => {
    const mark = await planned([{ status: 503 }, { content: 'recovered' }]);
    const r = await ask('up', mark);
    assert.equal(r.status, 200, r.text);
    assert.equal(contentOf(r), 'recovered');
    assert.equal((await fake.requests(mark)).length, 2);
  });

  test('the retry count is per provider', T, async () => {
    const none = await planned([{ status: 502 }]);
    assertError(await ask('no_retry', none), 502);
    assert.equal((await fake.requests(none)).length, 1);
    const four = await planned([{ status: 500 }]);
    assertError(await ask('four_retries', four), 502);
    assert.equal((await fake.requests(four)).length, 5);
  });

  test('429 with Retry-After: the retry waits that long', T, async () => {
    const mark = await planned([{ status: 429, error: 'slow down', headers: { 'Retry-After': '1' } }, { content: 'ok now' }]);
    const r = await ask('up', mark);
    assert.equal(r.status, 200, r.text);
    const reqs = await fake.requests(mark);
    assert.equal(reqs.length, 2);
    const gap = reqs[1].received_at - reqs[0].received_at;
    assert.ok(gap >= 950, `retried after ${gap} ms`);
  });

  test('429 every time: 429 with Retry-After once the retries are spent', T, async () => {
    const mark = await planned([{ status: 429, error: 'busy' }]);
    const r = await ask('up', mark);
    assertError(r, 429, { type: 'rate_limit_error' });
    assert.ok(Number(r.headers.get('retry-after')) >= 1, `Retry-After: ${r.headers.get('retry-after')}`);
    assert.equal((await fake.requests(mark)).length, 3);
  });

  test('a Retry-After beyond the timeout is not waited for: 429 with Retry-After', T, async () => {
    const mark = await planned([{ status: 429, error: 'come back in an hour', headers: { 'Retry-After': '3600' } }]);
    const t0 = Date.now();
    const r = await ask('up', mark);
    const e = assertError(r, 429, { type: 'rate_limit_error' });
    assert.equal(r.headers.get('retry-after'), '3600');
    assert.ok(e.message.includes('come back in an hour'));
    assert.ok(Date.now() - t0 < 2000);
    assert.equal((await fake.requests(mark)).length, 1);
  });

  test('connection refused: 502 after the backoffs', T, async () => {
    let t0 = Date.now();
    assertError(await ask('refused_no_retry', 'x'), 502, { code: 'upstream_error' });
    const single = Date.now() - t0;
    t0 = Date.now();
    const e = assertError(await ask('refused', 'x'), 502, { code: 'upstream_error' });
    const retried = Date.now() - t0;
    assert.match(e.message, /unreachable/);
    // Two backoffs of base 300 ms with equal jitter: at least 150 + 300 ms.
    assert.ok(retried >= 450, `took ${retried} ms`);
    assert.ok(single < 400, `without retries it took ${single} ms`);
  });
});

describe('timeouts and malformed replies', () => {
  test('no answer within timeout_s: 504 within timeout + 1 s, upstream call closed', T, async () => {
    const mark = await planned([{ hang: true }]);
    const t0 = Date.now();
    assertError(await ask('quick', mark), 504, { code: 'timeout' });
    const took = Date.now() - t0;
    assert.ok(took >= 950 && took < 2000, `504 after ${took} ms (timeout_s 1)`);
    // The 504 and the closing of the upstream connection race each other.
    let reqs = await fake.requests(mark);
    for (let i = 0; i < 50 && !reqs[0]?.closed_at; i++) {
      await sleep(20);
      reqs = await fake.requests(mark);
    }
    assert.equal(reqs.length, 1, 'a timeout is not retried');
    assert.ok(reqs[0].closed_early, 'the upstream saw the connection closed');
  });

  test('a stream whose first token never comes: plain 504', T, async () => {
    const mark = await planned([{ first_token_ms: 5000 }]);
    const t0 = Date.now();
    const r = await streamChat(s, { model: agents.quick, messages: [user(mark)] });
    assertError(r, 504);
    assert.ok(Date.now() - t0 < 2000);
  });

  test('a slow answer inside the timeout is fine', T, async () => {
    const mark = await planned([{ delay_ms: 400, content: 'late but fine' }]);
    const r = await ask('quick', mark);
    assert.equal(r.status, 200, r.text);
    assert.equal(contentOf(r), 'late but fine');
  });

  test('malformed JSON body: 502, not retried', T, async () => {
    const mark = await planned([{ malformed: 'json' }]);
    const e = assertError(await ask('up', mark), 502, { code: 'upstream_error' });
    assert.match(e.message, /malformed/);
    assert.equal((await fake.requests(mark)).length, 1);
    const mark2 = await planned([{ body: '{"choices":"nope"}' }]);
    assertError(await ask('up', mark2), 502);
  });

  test('malformed SSE after the first token: error chunk, then [DONE]', T, async () => {
    const mark = await planned([{ tokens: ['good ', 'never'], malformed: 'sse' }]);
    const r = await streamChat(s, { model: agents.up, messages: [user(mark)] });
    assert.equal(r.status, 200, r.raw);
    assert.equal(streamText(r.chunks), 'good ');
    const last = r.chunks.at(-1);
    assert.equal(last.choices[0].finish_reason, 'error');
    assert.equal(last.error.code, 'upstream_error');
    assert.match(last.error.message, /malformed/);
    assert.ok(r.done);
  });

  test('a stream that is not SSE nor JSON: plain 502', T, async () => {
    const mark = await planned([{ body: 'data: this is not json\n\n' }]);
    assertError(await streamChat(s, { model: agents.up, messages: [user(mark)] }), 502);
  });
});

describe('the history after failures', () => {
  test('dropped mid-stream: error chunk, nothing stored, the next turn sees only good turns', T, async () => {
    const id = agents.up;
    const sid = uid('fail-hist');
    const ok1 = await planned([{ content: 'first reply' }]);
    assert.equal((await chat(s, { model: id, messages: [user(ok1)], metadata: { session_id: sid } })).status, 200);

    const drop = await planned([{ tokens: ['half ', 'a ', 'reply'], drop_after: 2 }]);
    const r = await streamChat(s, { model: id, messages: [user(drop)], metadata: { session_id: sid } });
    assert.equal(r.status, 200);
    assert.equal(streamText(r.chunks), 'half a ');
    assert.equal(r.chunks.at(-1).choices[0].finish_reason, 'error');
    assert.ok(r.done);
    assert.equal((await fake.requests(drop)).length, 1, 'not retried after the first token');

    const bad = await planned([{ status: 500 }]);
    assertError(await chat(s, { model: id, messages: [user(bad)], metadata: { session_id: sid } }), 502);

    const ok2 = await planned([{ content: 'second reply' }]);
    assert.equal((await chat(s, { model: id, messages: [user(ok2)], metadata: { session_id: sid } })).status, 200);
    const seen = (await fake.requests(ok2))[0].body.messages.map((m) => m.content);
    assert.deepEqual(seen, [ok1, 'first reply', ok2]);
    const stored = await s.req('GET', `/v1/sessions/${sid}`);
    assert.deepEqual(stored.json.messages.map((m) => m.content), [ok1, 'first reply', ok2, 'second reply']);
  });

  test('dropped before the first token: plain 502', T, async () => {
    const mark = await planned([{ drop_after: 0 }]);
    const r = await streamChat(s, { model: agents.up, messages: [user(mark)] });
    assertError(r, 502, { code: 'upstream_error' });
  });
});

describe('fallback', () => {
  test('a provider that fails before the first token hands the turn to its fallback', T, async () => {
    // primary: 1 call + 2 retries fail; secondary gets the 4th step.
    const mark = await planned([{ status: 500 }, { status: 500 }, { status: 503 }, { content: 'from the fallback' }]);
    const r = await ask('primary', mark);
    assert.equal(r.status, 200, r.text);
    assert.equal(contentOf(r), 'from the fallback');
    assert.equal(r.json.metadata.provider, 'secondary');
    const models = (await fake.requests(mark)).map((q) => q.body.model);
    assert.deepEqual(models, ['primary-model', 'primary-model', 'primary-model', 'secondary-model']);
  });

  test('a 401 is not retried but falls back (to the test provider), streamed too', T, async () => {
    const mark = await planned([{ status: 401 }]);
    const r = await ask('to_test', mark);
    assert.equal(r.status, 200, r.text);
    assert.equal(contentOf(r), MOCK_REPLY);
    assert.equal(r.json.metadata.provider, 'test');
    assert.equal((await fake.requests(mark)).length, 1);

    const st = await streamChat(s, { model: agents.to_test, messages: [user(mark)] });
    assert.equal(st.status, 200, st.raw);
    assert.equal(streamText(st.chunks), MOCK_REPLY);
    assert.equal(st.chunks.at(-1).metadata.provider, 'test');
  });

  test('no fallback once a token went out', T, async () => {
    const mark = await planned([{ tokens: ['partial ', 'answer'], drop_after: 1 }]);
    const r = await streamChat(s, { model: agents.primary, messages: [user(mark)] });
    assert.equal(streamText(r.chunks), 'partial ');
    assert.equal(r.chunks.at(-1).choices[0].finish_reason, 'error');
    assert.equal((await fake.requests(mark)).length, 1);
  });

  test('both failing: the fallback error comes back', T, async () => {
    const mark = await planned([{ status: 500, error: 'everything is down' }]);
    const e = assertError(await ask('primary', mark), 502);
    assert.ok(e.message.includes('everything is down'));
    assert.ok(e.message.includes("'secondary'"), e.message);
    assert.equal((await fake.requests(mark)).length, 6);
  });
});

test('health reports the last error of each provider and when it happened', T, async () => {
  const mark = await planned([{ status: 418, error: 'teapot trouble' }]);
  await ask('no_retry', mark);
  const before = Date.now();
  const h = await s.req('GET', '/v1/health');
  const p = h.json.checks.providers.no_retry;
  assert.equal(p.status, 'error');
  assert.ok(p.last_error.includes('teapot trouble'), p.last_error);
  const at = Date.parse(p.last_error_at);
  assert.ok(at <= before && at > before - 5000, p.last_error_at);
  assert.match(h.json.checks.providers.refused.last_error, /unreachable/);
});
