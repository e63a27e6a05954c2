// X-Request-Id (round trip, in the access log and in log lines about the
// request), JSON log lines, CORS preflights, and who may read /metrics.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { startFakeUpstream } from './fake_upstream.mjs';
import { accessLines, assertError, chat, createAgent, startServer, uid, user, writeServices } from './helpers.mjs';

const T = { timeout: 30000 };
const ORIGIN = 'http://app.example';

describe('X-Request-Id', () => {
  let s;
  before(async () => {
    s = await startServer({ token: 'tok' });
  });
  after(async () => assert.equal((await s.stop()).code, 0));

  test("the client's id comes back and names the request in the access log", T, async () => {
    const id = uid('trace');
    const r = await chat(s, { model: 'demo', messages: [user('hi')] }, { headers: { 'X-Request-Id': id } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-request-id'), id);
    const e = await s.req('GET', '/v1/agents/nope', { headers: { 'X-Request-Id': `${id}-404` } });
    assert.equal(e.headers.get('x-request-id'), `${id}-404`);
    const unauthorized = await s.req('GET', '/v1/health', { token: null, headers: { 'X-Request-Id': `${id}-401` } });
    assert.equal(unauthorized.status, 401);
    assert.equal(unauthorized.headers.get('x-request-id'), `${id}-401`);
    const stream = await s.req('POST', '/v1/chat/completions', {
      body: { model: 'demo', stream: true, messages: [user('s')] },
      headers: { 'X-Request-Id': `${id}-sse` },
    });
    assert.equal(stream.headers.get('x-request-id'), `${id}-sse`);
    const deadline = Date.now() + 5000;
    let lines = [];
    while (Date.now() < deadline) {  // the log is written asynchronously
      lines = accessLines(s.stderrText());
      if (lines.some((l) => l.includes(`request_id=${id}-sse`))) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(lines.some((l) => / POST \/v1\/chat\/completions 200 .* request_id=/.test(l) && l.endsWith(`request_id=${id}`)), lines.join('\n'));
    for (const suffix of ['-404', '-401', '-sse'])
      assert.ok(lines.some((l) => l.endsWith(`request_id=${id}${suffix}`)), `${suffix}:\n${lines.join('\n')}`);
  });

  test('without one (or with a malformed one) the server makes one per request', T, async () => {
    const a = await s.req('GET', '/ping');
    const b = await s.req('GET', '/ping');
    assert.match(a.headers.get('x-request-id'), /^req-[0-9a-f]{24}$/);
    assert.notEqual(a.headers.get('x-request-id'), b.headers.get('x-request-id'));
    const bad = await s.req('GET', '/ping', { headers: { 'X-Request-Id': 'has spaces and "quotes"' } });
    assert.match(bad.headers.get('x-request-id'), /^req-[0-9a-f]{24}$/);
  });
});

describe('log lines about a request carry its id; --log-format=json', () => {
  let fake;
  before(async () => {
    fake = await startFakeUpstream();
  });
  after(async () => fake.stop());

  test('every line is one JSON object; a provider retry names the request', T, async () => {
    const services = writeServices({ up: { type: 'openai', model: 'm', base_url: fake.base, retry_base_ms: 10 } });
    const s = await startServer({
      baseArgs: [`--services=${services}`, '--storage=memory', '--log-level=info', '--log-format=json'],
    });
    const agent = await createAgent(s, { llm_config_id: 'up' });
    const mark = uid('retry');
    await fake.plan(mark, [{ status: 500, error: 'boom' }, { content: 'fine' }]);
    const id = uid('req');
    const r = await chat(s, { model: agent, messages: [user(mark)] }, { headers: { 'X-Request-Id': id } });
    assert.equal(r.status, 200, r.text);
    assert.equal((await s.stop()).code, 0);
    const lines = s.stderrText().split('\n').filter((l) => l !== '');
    assert.ok(lines.length > 3);
    const objects = lines.map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        assert.fail(`not JSON: ${l}`);
      }
    });
    for (const o of objects) {
      assert.match(o.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      assert.equal(typeof o.level, 'string');
      assert.equal(typeof o.message, 'string');
    }
    const mine = objects.filter((o) => o.request_id === id);
    const access = mine.find((o) => o.message.startsWith('POST /v1/chat/completions 200 '));
    assert.ok(access, JSON.stringify(mine));
    assert.match(access.session, /^sess-/);
    const retry = mine.find((o) => o.level === 'warning' && /attempt 1 failed/.test(o.message));
    assert.ok(retry, `no retry line names the request:\n${lines.join('\n')}`);
  });
});

describe('CORS', () => {
  let s;
  before(async () => {
    s = await startServer({ token: 'tok', args: [`--cors-origins=${ORIGIN},http://other.example`] });
  });
  after(async () => assert.equal((await s.stop()).code, 0));

  const preflight = (origin, path = '/v1/chat/completions', method = 'POST') =>
    fetch(s.url(path), {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': method,
        'Access-Control-Request-Headers': 'authorization,content-type,x-stainless-os',
      },
    });

  test('a preflight from an allowed origin: 204 with methods and headers, no token needed', T, async () => {
    const r = await preflight(ORIGIN);
    assert.equal(r.status, 204);
    assert.equal(r.headers.get('access-control-allow-origin'), ORIGIN);
    assert.match(r.headers.get('access-control-allow-methods'), /POST/);
    assert.equal(r.headers.get('access-control-allow-headers'), 'authorization,content-type,x-stainless-os');
    assert.ok(Number(r.headers.get('access-control-max-age')) > 0);
    assert.match(r.headers.get('vary'), /Origin/);
    const agents = await preflight(ORIGIN, '/v1/agents/demo', 'DELETE');
    assert.equal(agents.status, 204);
    assert.match(agents.headers.get('access-control-allow-methods'), /GET.*PUT.*DELETE|DELETE/);
  });

  test('a preflight from another origin is 403 without CORS headers', T, async () => {
    const r = await preflight('http://evil.example');
    assert.equal(r.status, 403);
    assert.equal(r.headers.get('access-control-allow-origin'), null);
  });

  test('actual responses name the origin and expose the rate-limit headers', T, async () => {
    const r = await chat(s, { model: 'demo', messages: [user('hi')] }, { headers: { Origin: ORIGIN } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('access-control-allow-origin'), ORIGIN);
    assert.match(r.headers.get('access-control-expose-headers'), /x-ratelimit-remaining-requests/);
    assert.match(r.headers.get('access-control-expose-headers'), /X-Request-Id/);
    const denied = await s.req('GET', '/v1/health', { token: null, headers: { Origin: ORIGIN } });
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get('access-control-allow-origin'), ORIGIN, 'errors are readable too');
    const other = await chat(s, { model: 'demo', messages: [user('hi')] }, { headers: { Origin: 'http://evil.example' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });

  test('without --cors-origins there is no CORS', T, async () => {
    const plain = await startServer();
    try {
      const r = await fetch(plain.url('/v1/chat/completions'), {
        method: 'OPTIONS',
        headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST' },
      });
      assert.equal(r.status, 405);
      assert.equal(r.headers.get('access-control-allow-origin'), null);
    } finally {
      await plain.stop();
    }
  });
});

describe('who may read /metrics', () => {
  test('loopback clients without a metrics token; with one, only its holder', T, async () => {
    const open = await startServer({ token: 'tok' });
    try {
      const r = await open.req('GET', '/metrics', { token: null });
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
      assert.match(r.text, /^# HELP /m);
    } finally {
      await open.stop();
    }
    // From another address than loopback: refused without a metrics token.
    const lan = Object.values(os.networkInterfaces()).flat().find((i) => i.family === 'IPv4' && !i.internal);
    if (lan) {
      const wide = await startServer({ token: 'tok', host: '0.0.0.0' });
      try {
        const r = await fetch(`http://${lan.address}:${wide.port}/metrics`);
        assert.equal(r.status, 403);
        assert.match((await r.json()).error.message, /loopback/);
      } finally {
        await wide.stop();
      }
    }
    const guarded = await startServer({ token: 'tok', args: ['--metrics-token=scrape-me'] });
    try {
      assertError(await guarded.req('GET', '/metrics', { token: null }), 401);
      assertError(await guarded.req('GET', '/metrics', { token: 'wrong' }), 401);
      assert.equal((await guarded.req('GET', '/metrics', { token: 'scrape-me' })).status, 200);
    } finally {
      await guarded.stop();
    }
  });
});
