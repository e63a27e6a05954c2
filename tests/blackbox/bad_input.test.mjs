// Hostile and broken input: after each case the server still answers /ping.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
  MOCK_REPLY,
  assertError,
  chat,
  contentOf,
  rawSend,
  startServer,
  uid,
} from './helpers.mjs';

const T = { timeout: 20000 };
const CHAT_PREFIX = '{"model":"demo","messages":[{"role":"user","content":"';
const CHAT_SUFFIX = '"}]}';

let s;
before(async () => {
  s = await startServer();
});
after(async () => {
  const e = await s?.stop();
  assert.equal(e?.code, 0, s?.stderrText().slice(-2000));
});

async function assertAlive(server = s) {
  const r = await server.req('GET', '/ping', { timeoutMs: 5000 });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { status: 'ok', message: 'pong' });
}

const post = (p, body, opts = {}) => s.req('POST', p, { body, ...opts });

describe('malformed JSON', () => {
  afterEach(() => assertAlive());

  for (const [label, body] of [
    ['truncated', '{"model": "demo", "messages": ['],
    ['trailing garbage', '{"model":"demo","messages":[{"role":"user","content":"x"}]} trailing'],
    ['single quotes', "{'model': 'demo'}"],
    ['trailing comma', '{"model":"demo","messages":[{"role":"user","content":"x"},]}'],
    ['NaN', '{"model":"demo","messages":[{"role":"user","content":"x"}],"temperature":NaN}'],
    ['bare word', 'hello'],
    ['empty body', ''],
    ['only whitespace', '   \n  '],
    ['unterminated string', '{"model":"demo'],
    ['control char in string', '{"model":"de\u0001mo","messages":[]}'],
    ['number too big', '{"model":"demo","messages":[{"role":"user","content":"x"}],"temperature":1e400}'],
  ]) {
    test(`${label} → 400`, T, async () => {
      assertError(await post('/v1/chat/completions', body), 400);
    });
  }

  test('malformed JSON on agent endpoints → 400', T, async () => {
    assertError(await post('/v1/agents', '{"name":'), 400);
    assertError(await s.req('PUT', '/v1/agents/demo', { body: '{"name":' }), 400);
    assertError(await s.req('PATCH', '/v1/agents/demo/status', { body: '{status}' }), 400);
  });
});

describe('deeply nested JSON', () => {
  afterEach(() => assertAlive());

  test('100000 unclosed [ → 400/422', T, async () => {
    const r = await post('/v1/chat/completions', '['.repeat(100000));
    assert.ok([400, 422].includes(r.status), `${r.status}: ${r.text.slice(0, 200)}`);
    assertError(r, r.status);
  });

  test('100000 closed [] → 400/422', T, async () => {
    const r = await post('/v1/chat/completions', '['.repeat(100000) + ']'.repeat(100000));
    assert.ok([400, 422].includes(r.status), `${r.status}`);
    assertError(r, r.status);
  });

  test('100000 nested objects → 400/422', T, async () => {
    const r = await post('/v1/agents', '{"a":'.repeat(100000) + '1' + '}'.repeat(100000));
    assert.ok([400, 422].includes(r.status), `${r.status}`);
  });

  test('deep value inside a chat field: no crash', T, async () => {
    const deep = '['.repeat(100000) + ']'.repeat(100000);
    for (const body of [
      `{"model":"demo","messages":[{"role":"user","content":${deep}}]}`,
      `{"model":"demo","messages":[{"role":"user","content":"x"}],"metadata":{"x":${deep}}}`,
      `{"model":"demo","messages":[{"role":"user","content":"x"}],"tools":${deep}}`,
    ]) {
      const r = await post('/v1/chat/completions', body);
      assert.ok(r.status < 500, `${r.status}: ${r.text.slice(0, 200)}`);
      await assertAlive();
    }
  });
});

// Each case on its own server, so that a crash shows up as this test's failure only.
describe('deeply nested value in an agent template_config', () => {
  for (const [label, method, path, body] of [
    ['POST /v1/agents', 'POST', '/v1/agents',
      (d) => `{"name":"deep","template_id":"chat","template_config":{"response_prefix":${d}}}`],
    ['PUT /v1/agents/demo', 'PUT', '/v1/agents/demo',
      (d) => `{"template_config":{"response_prefix":${d}}}`],
  ]) {
    test(`${label}: 100000-deep template_config value → 400/422, no crash`, T, async () => {
      const own = await startServer();
      try {
        const deep = '['.repeat(100000) + ']'.repeat(100000);
        let r;
        try {
          r = await own.req(method, path, { body: body(deep) });
        } catch (e) {
          await new Promise((res) => setTimeout(res, 200));
          assert.fail(`request failed (${e.cause?.code ?? e.message}); server exit: ` +
            JSON.stringify(await Promise.race([own.exited, Promise.resolve('still running')])));
        }
        assert.ok([400, 422].includes(r.status), `${r.status}: ${r.text.slice(0, 200)}`);
        assertError(r, r.status);
        await assertAlive(own);
      } finally {
        await own.stop({ timeoutMs: 5000 });
      }
    });
  }
});

describe('invalid UTF-8', () => {
  afterEach(() => assertAlive());

  for (const [label, bytes] of [
    ['0xff 0xfe', [0xff, 0xfe]],
    ['lone continuation byte', [0x80]],
    ['overlong slash', [0xc0, 0xaf]],
    ['UTF-16 surrogate as UTF-8', [0xed, 0xa0, 0x80]],
    ['truncated 3-byte sequence', [0xe2, 0x82]],
    ['5-byte sequence', [0xf8, 0x88, 0x80, 0x80, 0x80]],
    ['beyond U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ]) {
    test(`${label} in a message → 400`, T, async () => {
      const body = Buffer.concat([Buffer.from(CHAT_PREFIX + 'a'), Buffer.from(bytes), Buffer.from('b' + CHAT_SUFFIX)]);
      assertError(await post('/v1/chat/completions', body), 400);
    });
  }

  test('invalid UTF-8 in an agent name, a key, metadata → 400', T, async () => {
    const bad = Buffer.from([0xff]);
    assertError(
      await post('/v1/agents', Buffer.concat([Buffer.from('{"name":"x'), bad, Buffer.from('","template_id":"chat"}')])),
      400,
    );
    assertError(
      await post(
        '/v1/chat/completions',
        Buffer.concat([
          Buffer.from('{"model":"demo","messages":[{"role":"user","content":"x"}],"metadata":{"k'),
          bad,
          Buffer.from('":"v"}}'),
        ]),
      ),
      400,
    );
    assertError(
      await post(
        '/v1/chat/completions',
        Buffer.concat([
          Buffer.from('{"model":"demo","messages":[{"role":"user","content":"x"}],"metadata":{"user_id":"u'),
          bad,
          Buffer.from('"}}'),
        ]),
      ),
      400,
    );
  });

  test('lone surrogate escape \\ud800 → 400', T, async () => {
    assertError(await post('/v1/chat/completions', `${CHAT_PREFIX}a\\ud800b${CHAT_SUFFIX}`), 400);
  });

  test('valid multi-byte text round-trips through a session', T, async () => {
    const text = 'héllo wörld 🌍 世界 \u0000 tab\there "quoted" \\ back';
    const r = await chat(s, { model: 'demo', messages: [{ role: 'user', content: text }] });
    assert.equal(r.status, 200, r.text);
    assert.equal(contentOf(r), MOCK_REPLY);
    const g = await s.req('GET', `/v1/sessions/${r.json.metadata.session_id}`);
    assert.equal(g.json.messages[0].content, text);
  });

  test('unicode agent names round-trip', T, async () => {
    const name = `Agent ✨ ${uid('ü')}`;
    const c = await post('/v1/agents', { name, template_id: 'chat' });
    assert.equal(c.status, 201, c.text);
    const g = await s.req('GET', `/v1/agents/${c.json.agent_id}`);
    assert.equal(g.json.name, name);
  });
});

describe('error bodies are valid UTF-8 JSON', () => {
  afterEach(() => assertAlive());

  /** Sends raw bytes; returns [status, body decoded strictly as UTF-8 and parsed as JSON]. */
  async function rawError(bytes) {
    const r = await rawSend(s.port, [bytes], { timeoutMs: 3000 });
    const cut = r.data.indexOf('\r\n\r\n');
    assert.ok(cut > 0, `no response: ${JSON.stringify(r.data.toString('latin1').slice(0, 200))}`);
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(r.data.subarray(0, cut).toString('latin1'))?.[1]);
    const text = new TextDecoder('utf-8', { fatal: true }).decode(r.data.subarray(cut + 4));
    return [status, JSON.parse(text)];
  }
  const bytes = (...parts) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

  test('invalid bytes in the path, raw or percent-encoded', T, async () => {
    for (const [path, raw] of [
      [bytes('/v1/no-such/', [0xff, 0xfe, 0xc0, 0xaf], '/x'), true],
      [bytes('/v1/sessions/', [0xed, 0xa0, 0x80]), true],
      [bytes('/v1/agents/', [0xe2, 0x82]), true],
      [bytes('/v1/sessions/%FF%FE%C0%AF'), false],
      [bytes('/v1/templates/%E2%82'), false],
      [bytes('/v1/models/%F4%90%80%80'), false],
    ]) {
      const [status, body] = await rawError(bytes('GET ', path, ' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
      assert.equal(status, 404, body.error?.message);
      if (raw) assert.match(body.error.message, /\uFFFD/);
      assert.equal(body.detail, body.error.message);
    }
    // 405 quotes the path too.
    const [status, body] = await rawError(bytes('PATCH /v1/sessions/', [0xff], ' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    assert.ok([404, 405].includes(status), `${status}`);
    assert.equal(typeof body.error.message, 'string');
  });

  test('invalid bytes in the content type', T, async () => {
    const payload = '{"model":"demo","messages":[{"role":"user","content":"x"}]}';
    const [status, body] = await rawError(bytes(
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: text/',
      [0xff, 0xfe, 0x80],
      `\r\nContent-Length: ${payload.length}\r\n\r\n${payload}`,
    ));
    assert.equal(status, 415);
    assert.match(body.error.message, /text\/\uFFFD/);
  });

  test('long echoed values are capped', T, async () => {
    const r = await s.req('GET', `/v1/sessions/${'s'.repeat(5000)}`);
    assertError(r, 404);
    assert.ok(r.json.error.message.length < 400, `${r.json.error.message.length} characters`);
    const m = await s.req('GET', `/v1/models/${'\u00e9'.repeat(1000)}`);
    assertError(m, 404);
    assert.ok(Buffer.byteLength(m.json.error.message) < 400);
  });
});

describe('oversized requests', () => {
  afterEach(() => assertAlive());

  test('3 MiB body → 413', T, async () => {
    const body = JSON.stringify({
      model: 'demo',
      messages: [{ role: 'user', content: 'a'.repeat(3 << 20) }],
    });
    assertError(await post('/v1/chat/completions', body), 413);
    assertError(await post('/v1/agents', body), 413);
  });

  test('exactly at and just over a custom --max-body-bytes', T, async () => {
    const own = await startServer({ args: ['--max-body-bytes=2048'] });
    try {
      const mk = (n) => {
        const base = JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: '' }] });
        return JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'a'.repeat(n - base.length) }] });
      };
      const at = mk(2048);
      assert.equal(Buffer.byteLength(at), 2048);
      const ok = await own.req('POST', '/v1/chat/completions', { body: at });
      assert.equal(ok.status, 200, ok.text);
      assertError(await own.req('POST', '/v1/chat/completions', { body: mk(2049) }), 413);
      await assertAlive(own);
    } finally {
      assert.equal((await own.stop()).code, 0);
    }
  });

  test('very long URL → 4xx or closed, server alive', T, async () => {
    try {
      const r = await s.req('GET', `/v1/agents/${'a'.repeat(70000)}`);
      assert.ok(r.status >= 400 && r.status < 500, `${r.status}`);
    } catch {
      /* connection closed: fine */
    }
  });

  test('huge header → closed or 4xx, server alive', T, async () => {
    const r = await rawSend(s.port, [`GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(200000)}\r\n\r\n`]);
    const head = r.data.toString('latin1');
    assert.ok(r.closed || /^HTTP\/1\.1 4\d\d/.test(head), head.slice(0, 100));
  });
});

describe('garbage on the wire', () => {
  afterEach(() => assertAlive());

  function closedOr400(r) {
    const head = r.data.toString('latin1');
    assert.ok(
      r.closed || head.startsWith('HTTP/1.1 400') || head.startsWith('HTTP/1.0 400'),
      `got: ${JSON.stringify(head.slice(0, 120))}`,
    );
    if (head.startsWith('HTTP/')) assert.match(head, /^HTTP\/1\.[01] 4\d\d/);
  }

  test('random bytes', T, async () => {
    for (let i = 0; i < 5; i++) closedOr400(await rawSend(s.port, crypto.randomBytes(4096)));
  });

  test('request line then junk headers', T, async () => {
    closedOr400(await rawSend(s.port, ['GET / HTTP/1.1\r\n', 'junk junk junk\r\n\x00\x01\x02\r\n\r\n']));
    closedOr400(await rawSend(s.port, ['GET / HTTP/1.1\r\n', crypto.randomBytes(2048), '\r\n\r\n']));
  });

  test('bad request line, bad method, TLS on a plain port', T, async () => {
    closedOr400(await rawSend(s.port, 'NOT A REQUEST\r\n\r\n'));
    closedOr400(await rawSend(s.port, 'G@T / HTTP/1.1\r\nHost: x\r\n\r\n'));
    closedOr400(await rawSend(s.port, '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03')); // TLS hello
  });

  test('bad chunked encoding and short bodies', T, async () => {
    closedOr400(await rawSend(s.port,
      'POST /v1/agents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Transfer-Encoding: chunked\r\n\r\nZZZ\r\nabc\r\n0\r\n\r\n'));
    // Promises 1000 bytes, sends 5, then half-closes.
    const r = await rawSend(s.port,
      'POST /v1/agents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":',
      { endAfter: true });
    assert.ok(r.closed);
    closedOr400(await rawSend(s.port,
      'POST /v1/agents HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n'));
    closedOr400(await rawSend(s.port,
      'POST /v1/agents HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n'));
  });

  test('connections opened and dropped mid-request', T, async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        rawSend(s.port, `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"mo`.slice(0, 10 + i * 3), {
          timeoutMs: 200,
        }),
      ),
    );
  });

  test('a well-formed raw request still works after all that', T, async () => {
    const r = await rawSend(s.port, 'GET /ping HTTP/1.0\r\n\r\n');
    const text = r.data.toString();
    assert.match(text, /^HTTP\/1\.[01] 200/);
    assert.ok(text.endsWith('{"status":"ok","message":"pong"}'));
  });

  test('odd percent-encoding in ids → 404, not a crash', T, async () => {
    for (const p of ['/v1/agents/%ZZ', '/v1/agents/%00', '/v1/agents/%', '/v1/sessions/%E2%82', '/v1/models/..%2F..%2Fetc']) {
      const r = await s.req('GET', p);
      assert.ok([400, 404].includes(r.status), `${p}: ${r.status}`);
      assertError(r, r.status);
    }
  });
});
