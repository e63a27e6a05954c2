// The error table: one case per status, each checking the error envelope
// {"error":{"message","type","param","code"},"detail":<message>}.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertError,
  chat,
  createAgent,
  request,
  sleep,
  startServer,
  uid,
  writeServices,
} from './helpers.mjs';

const TOKEN = 'errors-token';
const T = { timeout: 20000 };

describe('error table (token configured)', () => {
  let s;
  before(async () => {
    s = await startServer({ token: TOKEN });
  });
  after(async () => {
    const e = await s?.stop();
    assert.equal(e?.code, 0);
  });

  test('400: invalid value (temperature out of range)', T, async () => {
    const r = await chat(s, {
      model: 'demo',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 5,
    });
    assertError(r, 400);
  });

  test('400: an integer too large for its field is an invalid value, not a wrong type', T, async () => {
    for (const big of ['18446744073709551615', '99999999999999999999']) {
      const r = await s.req('POST', '/v1/chat/completions', {
        body: `{"model":"demo","messages":[{"role":"user","content":"hi"}],"max_tokens":${big}}`,
      });
      const e = assertError(r, 400);
      assert.equal(e.param, 'max_tokens');
      assert.match(e.message, /out of range/);
    }
    const q = assertError(await s.req('GET', '/v1/agents?limit=99999999999999999999'), 400);
    assert.match(q.message, /out of range/);
  });

  test('400: malformed JSON', T, async () => {
    const r = await s.req('POST', '/v1/chat/completions', { body: '{"model": "demo", ' });
    assertError(r, 400);
  });

  test('400: unknown template_id on agent create', T, async () => {
    const r = await s.req('POST', '/v1/agents', {
      body: { name: uid('n'), template_id: 'no-such-template' },
    });
    assertError(r, 400);
  });

  test('401: missing token on /v1 paths, including unknown ones', T, async () => {
    for (const p of ['/v1/health', '/v1/agents', '/v1/models', '/v1/no-such-path', '/v1']) {
      const r = await s.req('GET', p, { token: null });
      assertError(r, 401);
    }
    const r = await s.req('POST', '/v1/chat/completions', {
      token: null,
      body: { model: 'demo', messages: [{ role: 'user', content: 'hi' }] },
    });
    assertError(r, 401);
  });

  test('401: wrong token (Bearer and X-Runtime-Token)', T, async () => {
    assertError(await s.req('GET', '/v1/health', { token: 'wrong' }), 401);
    assertError(
      await s.req('GET', '/v1/health', { token: null, headers: { 'X-Runtime-Token': 'nope' } }),
      401,
    );
    assertError(
      await s.req('GET', '/v1/health', { token: null, headers: { Authorization: TOKEN } }),
      401,
    );
    assertError(
      await s.req('GET', '/v1/health', {
        token: null,
        headers: { Authorization: `Basic ${TOKEN}` },
      }),
      401,
    );
    assertError(
      await s.req('GET', '/v1/health', {
        token: null,
        headers: { Authorization: `Bearer ${TOKEN}x` },
      }),
      401,
    );
  });

  test('401: non-canonical /v1 paths (double slashes) also need the token', T, async () => {
    // The router treats "//v1/agents" like "/v1/agents"; auth must too.
    for (const p of ['//v1/agents', '//v1/health', '///v1//models', '//v1/agents/demo', '/v1//agents']) {
      const r = await s.req('GET', p, { token: null });
      assertError(r, 401);
    }
    const r = await s.req('POST', '//v1/chat/completions', {
      token: null,
      body: { model: 'demo', messages: [{ role: 'user', content: 'hi' }] },
    });
    assertError(r, 401);
    const id = await createAgent(s);
    assertError(await s.req('DELETE', `//v1/agents/${id}`, { token: null }), 401);
    assert.equal((await s.req('GET', `/v1/agents/${id}`)).status, 200, 'agent not deleted');
  });

  test('right token works both ways; / and /ping are open', T, async () => {
    assert.equal((await s.req('GET', '/v1/health')).status, 200);
    const x = await s.req('GET', '/v1/health', {
      token: null,
      headers: { 'X-Runtime-Token': TOKEN },
    });
    assert.equal(x.status, 200);
    // The auth scheme is case-insensitive (RFC 9110 §11.1).
    const lower = await s.req('GET', '/v1/health', {
      token: null,
      headers: { Authorization: `bearer ${TOKEN}` },
    });
    assert.equal(lower.status, 200);
    const ping = await s.req('GET', '/ping', { token: null });
    assert.equal(ping.status, 200);
    assert.deepEqual(ping.json, { status: 'ok', message: 'pong' });
    const root = await s.req('GET', '/', { token: null });
    assert.equal(root.status, 200);
    assert.deepEqual(root.json, { service: 'troupe', version: '0.1.0', api: '/v1' });
  });

  test('404: session used by another user_id (as if unknown)', T, async () => {
    const first = await chat(s, {
      model: 'demo',
      messages: [{ role: 'user', content: 'hello' }],
      metadata: { user_id: 'alice' },
    });
    assert.equal(first.status, 200, first.text);
    const sid = first.json.metadata.session_id;
    assert.equal(first.json.metadata.user_id, 'alice');
    const r = await chat(s, {
      model: 'demo',
      messages: [{ role: 'user', content: 'hello again' }],
      metadata: { session_id: sid, user_id: 'mallory' },
    });
    assertError(r, 404, { code: 'session_not_found' });
    // The owner can still use it.
    const ok = await chat(s, {
      model: 'demo',
      messages: [{ role: 'user', content: 'hello again' }],
      metadata: { session_id: sid, user_id: 'alice' },
    });
    assert.equal(ok.status, 200, ok.text);
  });

  test('404: unknown agent id, model, session', T, async () => {
    assertError(await s.req('GET', '/v1/agents/no-such-agent'), 404);
    assertError(await s.req('GET', '/v1/models/no-such-agent'), 404);
    assertError(await s.req('GET', '/v1/sessions/no-such-session'), 404);
    assertError(await s.req('GET', '/v1/templates/no-such-template'), 404);
    const r = await chat(s, { model: 'no-such-agent', messages: [{ role: 'user', content: 'x' }] });
    assertError(r, 404, { code: 'model_not_found' });
  });

  test('404: unknown path', T, async () => {
    assertError(await s.req('GET', '/v1/no-such-path'), 404);
    assertError(await s.req('GET', '/v1/agents/demo/extra/segments'), 404);
    assertError(await s.req('GET', '/no-such-path'), 404);
  });

  test('405: wrong method carries an Allow header', T, async () => {
    let r = await s.req('DELETE', '/v1/models');
    assertError(r, 405);
    assert.equal(r.headers.get('allow'), 'GET');

    r = await s.req('PUT', '/v1/chat/completions', { body: {} });
    assertError(r, 405);
    assert.equal(r.headers.get('allow'), 'POST');

    r = await s.req('DELETE', '/v1/agents');
    assertError(r, 405);
    const allow = r.headers.get('allow').split(/,\s*/).sort();
    assert.deepEqual(allow, ['GET', 'POST']);

    r = await s.req('POST', '/v1/agents/demo', { body: {} });
    assertError(r, 405);
    const allow2 = r.headers.get('allow').split(/,\s*/).sort();
    assert.deepEqual(allow2, ['DELETE', 'GET', 'PUT']);
  });

  test('409: duplicate id and duplicate name', T, async () => {
    const id = uid('dup');
    const name = uid('Dup name');
    const a = await s.req('POST', '/v1/agents', { body: { id, name, template_id: 'chat' } });
    assert.equal(a.status, 201, a.text);
    assertError(
      await s.req('POST', '/v1/agents', { body: { id, name: uid('other'), template_id: 'chat' } }),
      409,
    );
    assertError(
      await s.req('POST', '/v1/agents', { body: { name, template_id: 'chat' } }),
      409,
    );
  });

  test('409: chat with an inactive agent', T, async () => {
    const id = await createAgent(s, { status: 'inactive' });
    const r = await chat(s, { model: id, messages: [{ role: 'user', content: 'hi' }] });
    assertError(r, 409);
  });

  test('413: body over the default 1 MiB limit', T, async () => {
    const big = JSON.stringify({
      model: 'demo',
      messages: [{ role: 'user', content: 'a'.repeat((1 << 20) + 1000) }],
    });
    const r = await s.req('POST', '/v1/chat/completions', { body: big });
    assertError(r, 413);
  });

  test('415: non-JSON Content-Type on a body request', T, async () => {
    const body = JSON.stringify({ name: uid('n'), template_id: 'chat' });
    assertError(
      await s.req('POST', '/v1/agents', { body, headers: { 'Content-Type': 'text/plain' } }),
      415,
    );
    assertError(
      await s.req('POST', '/v1/chat/completions', {
        body: JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'x' }] }),
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      }),
      415,
    );
  });

  test('JSON content types with parameters are accepted', T, async () => {
    const r = await s.req('POST', '/v1/chat/completions', {
      body: JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'x' }] }),
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
    });
    assert.equal(r.status, 200, r.text);
  });

  test('422: body of the wrong shape', T, async () => {
    const e = assertError(await chat(s, { model: 'demo' }), 422);
    assert.equal(e.param, 'messages');
    assertError(await chat(s, { model: 'demo', messages: 'hello' }), 422);
    assertError(await chat(s, [{ model: 'demo' }]), 422);
    const stop = assertError(
      await chat(s, { model: 'demo', messages: [{ role: 'user', content: 'x' }], stop: 5 }),
      422,
    );
    assert.equal(stop.param, 'stop');
    assert.match(stop.message, /a string or an array of strings/);
    // A wrong type in a field Troupe reads is still 422 (unknown fields go upstream).
    assertError(
      await chat(s, { model: 'demo', messages: [{ role: 'user', content: 'x' }], tools: {} }),
      422,
    );
    assertError(await s.req('POST', '/v1/agents', { body: { template_id: 'chat' } }), 422);
  });

  test('501: agent on a provider type the server does not implement', T, async () => {
    const services = writeServices(
      { test: { type: 'test', model: 'mock' }, future: { type: 'future-llm', model: 'x' } },
      'test',
    );
    const f = await startServer({ baseArgs: [`--services=${services}`, '--storage=memory'] });
    try {
      const id = await createAgent(f, { llm_config_id: 'future' });
      const r = await chat(f, { model: id, messages: [{ role: 'user', content: 'hi' }] });
      assertError(r, 501);
      const st = await f.req('POST', '/v1/chat/completions', {
        body: { model: id, messages: [{ role: 'user', content: 'hi' }], stream: true },
      });
      assertError(st, 501);
    } finally {
      await f.stop();
    }
  });
});

describe('504: turn timeout', () => {
  let s;
  before(async () => {
    const services = writeServices(
      {
        test: { type: 'test', model: 'mock', reply: 'Test response from mock LLM' },
        slow3: { type: 'test', model: 'slow', first_token_ms: 3000, token_interval_ms: 10 },
      },
      'test',
    );
    s = await startServer({
      baseArgs: [`--services=${services}`, '--storage=memory', '--log-level=info'],
      args: ['--turn-timeout-s=1'],
    });
  });
  after(async () => {
    await s?.stop();
  });

  test('a turn slower than --turn-timeout-s answers 504; history unchanged', { timeout: 30000 }, async () => {
    const id = await createAgent(s, { llm_config_id: 'test' });
    const first = await chat(s, {
      model: id,
      messages: [{ role: 'user', content: 'remember me' }],
    });
    assert.equal(first.status, 200, first.text);
    const sid = first.json.metadata.session_id;

    const up = await s.req('PUT', `/v1/agents/${id}`, { body: { llm_config_id: 'slow3' } });
    assert.equal(up.status, 200, up.text);

    const t0 = Date.now();
    const r = await chat(s, {
      model: id,
      messages: [{ role: 'user', content: 'this will time out' }],
      metadata: { session_id: sid },
    });
    const took = Date.now() - t0;
    assertError(r, 504);
    assert.ok(took < 2900, `504 came after ${took} ms, before the provider's 3 s`);

    const check = async () => {
      const g = await s.req('GET', `/v1/sessions/${sid}`);
      assert.equal(g.status, 200, g.text);
      assert.equal(g.json.message_count, 2);
      assert.deepEqual(
        g.json.messages.map((m) => [m.role, m.content]),
        [
          ['user', 'remember me'],
          ['assistant', 'Test response from mock LLM'],
        ],
      );
    };
    await check();
    // Also after the slow provider would have finished: the late reply is not stored.
    await sleep(Math.max(0, 3300 - (Date.now() - t0)));
    await check();
    assert.equal((await s.req('GET', '/ping')).status, 200);
  });

  test('stream:true also gets a JSON 504; the session keeps working', { timeout: 30000 }, async () => {
    const id = await createAgent(s, { llm_config_id: 'slow3' });
    const sid = uid('after-504');
    const t0 = Date.now();
    const r = await s.req('POST', '/v1/chat/completions', {
      body: { model: id, messages: [{ role: 'user', content: 'slow' }], stream: true, metadata: { session_id: sid } },
    });
    assertError(r, 504);
    assert.ok(Date.now() - t0 < 2900);
    const up = await s.req('PUT', `/v1/agents/${id}`, { body: { llm_config_id: 'test' } });
    assert.equal(up.status, 200);
    const next = await chat(s, {
      model: id,
      messages: [{ role: 'user', content: 'fast now' }],
      metadata: { session_id: sid },
    });
    assert.equal(next.status, 200, next.text);
    assert.equal(next.json.usage.prompt_tokens, 2, 'the timed-out turn is not in the history');
    const g = await s.req('GET', `/v1/sessions/${sid}`);
    assert.deepEqual(
      g.json.messages.map((m) => m.role),
      ['user', 'assistant'],
    );
  });
});
