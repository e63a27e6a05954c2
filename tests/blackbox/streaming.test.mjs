// POST /v1/chat/completions with stream:true: SSE framing and chunk contents.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MOCK_REPLY,
  SYSTEM_PROMPT,
  assertError,
  createAgent,
  parseSSE,
  sleep,
  startServer,
  streamChat,
  streamText,
  user,
  words,
} from './helpers.mjs';

const T = { timeout: 20000 };
const DELTAS = ['Test ', 'response ', 'from ', 'mock ', 'LLM'];

let s;
before(async () => {
  // test-slow: first token after 100 ms, then one every 40 ms.
  s = await startServer({
    env: { TROUPE_TEST_FIRST_TOKEN_MS: '100', TROUPE_TEST_TOKEN_INTERVAL_MS: '40' },
  });
});
after(async () => {
  const e = await s?.stop();
  assert.equal(e?.code, 0);
});

function assertCommon(chunks, model = 'demo') {
  assert.ok(chunks.length > 0);
  const { id, created } = chunks[0];
  assert.match(id, /^chatcmpl-/);
  assert.equal(typeof created, 'number');
  const sid = chunks[0].metadata?.session_id;
  assert.equal(typeof sid, 'string');
  for (const c of chunks) {
    assert.equal(c.id, id, 'same id in every chunk');
    assert.equal(c.created, created, 'same created in every chunk');
    assert.equal(c.object, 'chat.completion.chunk');
    assert.equal(c.model, model);
    assert.equal(c.metadata?.session_id, sid, 'metadata.session_id in every chunk');
  }
  return sid;
}

describe('stream framing', () => {
  test('event sequence without usage', T, async () => {
    const r = await streamChat(s, { model: 'demo', messages: [user('hi')] });
    assert.equal(r.status, 200, r.raw);
    assert.match(r.headers.get('content-type'), /^text\/event-stream/);
    assert.ok(r.done, 'last event is [DONE]');
    assert.equal(r.events.filter((e) => e === '[DONE]').length, 1);
    // Every event is a `data: ...` block terminated by a blank line.
    assert.match(r.raw, /^data: /);
    assert.ok(r.raw.endsWith('data: [DONE]\n\n'), JSON.stringify(r.raw.slice(-40)));
    assertCommon(r.chunks);

    const c = r.chunks;
    assert.equal(c.length, 1 + DELTAS.length + 1, JSON.stringify(c.map((x) => x.choices)));
    assert.deepEqual(c[0].choices, [
      { index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null },
    ]);
    DELTAS.forEach((d, i) => {
      assert.equal(c[1 + i].choices.length, 1);
      assert.equal(c[1 + i].choices[0].index, 0);
      assert.deepEqual(c[1 + i].choices[0].delta, { content: d });
      assert.equal(c[1 + i].choices[0].finish_reason, null);
    });
    const last = c[c.length - 1];
    assert.deepEqual(last.choices[0].delta, {});
    assert.equal(last.choices[0].finish_reason, 'stop');
    assert.equal(streamText(c), MOCK_REPLY);
    assert.ok(c.every((x) => x.usage === undefined || x.usage === null), 'no usage');
  });

  test('include_usage adds a final usage chunk with empty choices', T, async () => {
    const r = await streamChat(s, {
      model: 'demo',
      messages: [user('one two three')],
      stream_options: { include_usage: true },
    });
    assert.equal(r.status, 200, r.raw);
    assert.ok(r.done);
    assertCommon(r.chunks);
    const c = r.chunks;
    assert.equal(c.length, 1 + DELTAS.length + 2);
    const fin = c[c.length - 2];
    assert.equal(fin.choices[0].finish_reason, 'stop');
    const u = c[c.length - 1];
    assert.deepEqual(u.choices, []);
    const prompt = words(SYSTEM_PROMPT) + 3;
    assert.deepEqual(u.usage, { prompt_tokens: prompt, completion_tokens: 5, total_tokens: prompt + 5 });
    assert.equal(streamText(c), MOCK_REPLY);
  });

  test('include_usage false: no usage chunk', T, async () => {
    const r = await streamChat(s, {
      model: 'demo',
      messages: [user('hi')],
      stream_options: { include_usage: false },
    });
    assert.equal(r.status, 200);
    assert.equal(r.chunks.length, 1 + DELTAS.length + 1);
    assert.ok(r.chunks.every((x) => x.choices.length === 1));
  });

  test('max_tokens=2 streams two deltas and finish_reason length', T, async () => {
    const r = await streamChat(s, {
      model: 'demo',
      messages: [user('hi')],
      max_tokens: 2,
      stream_options: { include_usage: true },
    });
    assert.equal(r.status, 200, r.raw);
    assert.equal(streamText(r.chunks), 'Test response ');
    const fin = r.chunks.find((x) => x.choices[0]?.finish_reason);
    assert.equal(fin.choices[0].finish_reason, 'length');
    assert.equal(r.chunks[r.chunks.length - 1].usage.completion_tokens, 2);
  });

  test('response_prefix is its own first content delta', T, async () => {
    const id = await createAgent(s, { template_config: { response_prefix: '[agent] ' } });
    const r = await streamChat(s, { model: id, messages: [user('hi')] });
    assert.equal(r.status, 200, r.raw);
    assertCommon(r.chunks, id);
    const contents = r.chunks
      .slice(1)
      .map((x) => x.choices[0]?.delta?.content)
      .filter((x) => x !== undefined);
    assert.deepEqual(contents, ['[agent] ', ...DELTAS]);
    assert.equal(streamText(r.chunks), `[agent] ${MOCK_REPLY}`);
  });

  test('streamed turn is stored in the session', T, async () => {
    const r = await streamChat(s, { model: 'demo', messages: [user('stream me')] });
    const sid = r.chunks[0].metadata.session_id;
    const g = await s.req('GET', `/v1/sessions/${sid}`);
    assert.equal(g.status, 200, g.text);
    assert.deepEqual(
      g.json.messages.map((m) => [m.role, m.content]),
      [
        ['user', 'stream me'],
        ['assistant', MOCK_REPLY],
      ],
    );
    // A second streamed turn sees the history.
    const r2 = await streamChat(s, {
      model: 'demo',
      messages: [user('again')],
      metadata: { session_id: sid },
      stream_options: { include_usage: true },
    });
    assert.equal(r2.chunks[0].metadata.session_id, sid);
    const u = r2.chunks[r2.chunks.length - 1].usage;
    assert.equal(u.prompt_tokens, words(SYSTEM_PROMPT) + 2 + 5 + 1);
  });
});

describe('stream errors are JSON, not streams', () => {
  test('unknown model with stream:true → JSON 404', T, async () => {
    const r = await s.req('POST', '/v1/chat/completions', {
      body: { model: 'ghost', messages: [user('x')], stream: true },
    });
    assertError(r, 404, { code: 'model_not_found' });
    assert.doesNotMatch(r.headers.get('content-type'), /event-stream/);
  });

  test('invalid values with stream:true → JSON 400 / 422', T, async () => {
    assertError(
      await s.req('POST', '/v1/chat/completions', {
        body: { model: 'demo', messages: [user('x')], stream: true, temperature: 7 },
      }),
      400,
    );
    assertError(
      await s.req('POST', '/v1/chat/completions', {
        body: { model: 'demo', stream: true },
      }),
      422,
    );
  });
});

describe('real streaming', () => {
  test('slow provider: chunks arrive over time, not all at once', T, async () => {
    const id = await createAgent(s, { llm_config_id: 'test-slow' });
    const t0 = Date.now();
    const res = await fetch(s.url('/v1/chat/completions'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: id, messages: [user('hi')], stream: true }),
      signal: AbortSignal.timeout(15000),
    });
    assert.equal(res.status, 200);
    const arrivals = [];
    let text = '';
    const dec = new TextDecoder();
    for await (const part of res.body) {
      text += dec.decode(part, { stream: true });
      const n = parseSSE(text).length;
      while (arrivals.length < n) arrivals.push(Date.now() - t0);
    }
    const events = parseSSE(text);
    assert.equal(events[events.length - 1], '[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    assert.equal(streamText(chunks), MOCK_REPLY);
    // Five deltas 40 ms apart: the first and the last content delta are
    // at least ~4 intervals apart when the server flushes each one.
    const firstDelta = arrivals[1];
    const lastDelta = arrivals[DELTAS.length];
    assert.ok(lastDelta - firstDelta >= 120, `deltas at ${arrivals.join(', ')} ms`);
    assert.ok(firstDelta >= 80, `first token after ~100 ms, got ${firstDelta}`);
  });

  test('client going away mid-stream does not hurt the server', T, async () => {
    const id = await createAgent(s, { llm_config_id: 'test-slow' });
    const ac = new AbortController();
    const res = await fetch(s.url('/v1/chat/completions'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: id, messages: [user('bye')], stream: true }),
      signal: ac.signal,
    });
    assert.equal(res.status, 200);
    const reader = res.body.getReader();
    await reader.read(); // the role chunk
    ac.abort();
    await sleep(400); // let the provider finish its turn
    const p = await s.req('GET', '/ping');
    assert.equal(p.status, 200);
    const again = await streamChat(s, { model: id, messages: [user('hi')] });
    assert.equal(again.status, 200);
    assert.equal(streamText(again.chunks), MOCK_REPLY);
    const h = await s.req('GET', '/v1/health');
    assert.equal(h.json.status, 'healthy');
  });
});
