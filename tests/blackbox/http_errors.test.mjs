// Exact HTTP errors where RESTinio alone would close without a word: each
// broken request gets its status and the error envelope, then the connection
// closes; the server keeps serving.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  createAgent,
  parseResponses,
  rawSend,
  sleep,
  startServer,
  writeServices,
} from './helpers.mjs';

const T = { timeout: 20000 };
const services = writeServices({
  test: { type: 'test', model: 'm' },
  slow: { type: 'test', model: 'm', first_token_ms: 3000, token_interval_ms: 0 },
});

let s;
before(async () => {
  s = await startServer({
    baseArgs: [`--services=${services}`, '--storage=memory'],
    args: ['--read-timeout-s=1', '--max-body-bytes=65536'],
  });
});
after(async () => {
  const e = await s?.stop();
  assert.equal(e?.code, 0, s?.stderrText().slice(-2000));
});
const alive = async () => assert.equal((await s.req('GET', '/ping', { timeoutMs: 5000 })).status, 200);

/** Sends raw parts; expects exactly one response with `status`, a JSON error with `code`, then the close. */
async function expectRefusal(parts, status, code, opts = {}) {
  const r = await rawSend(s.port, parts, { timeoutMs: 4000, ...opts });
  const rs = parseResponses(r.data);
  assert.equal(rs.length, 1, `one response, got: ${JSON.stringify(r.data.toString('latin1').slice(0, 300))}`);
  assert.equal(rs[0].status, status, rs[0].body.toString());
  assert.equal(rs[0].headers.connection, 'close');
  assert.match(rs[0].headers['content-type'], /application\/json/);
  const body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(rs[0].body));
  assert.equal(body.error.code, code);
  assert.equal(body.detail, body.error.message);
  assert.ok(r.closed, 'the connection closes after the error');
  return { body, headers: rs[0].headers };
}

describe('exact HTTP errors', () => {
  afterEach(alive);

  test('431: too many header fields, one too large, all of them too large', T, async () => {
    const many = Array.from({ length: 120 }, (_, i) => `X-F${i}: v\r\n`).join('');
    await expectRefusal([`GET /ping HTTP/1.1\r\nHost: x\r\n${many}\r\n`], 431, 'too_many_header_fields');
    await expectRefusal([`GET /ping HTTP/1.1\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`], 431, 'header_field_too_large');
    const big = Array.from({ length: 9 }, (_, i) => `X-F${i}: ${'b'.repeat(8000)}\r\n`).join('');
    await expectRefusal([`GET /ping HTTP/1.1\r\n${big}\r\n`], 431, 'header_section_too_large');
    // Sent slowly, in pieces, it is the same.
    await expectRefusal(['GET /ping HTTP/1.1\r\n', `X-Big: ${'a'.repeat(10000)}`, 'a'.repeat(10000), '\r\n\r\n'], 431,
      'header_field_too_large');
  });

  test('414: an over-long URL', T, async () => {
    await expectRefusal([`GET /v1/agents/${'a'.repeat(70000)} HTTP/1.1\r\nHost: x\r\n\r\n`], 414, 'uri_too_long');
    await expectRefusal([`GET /${'a'.repeat(9000)}`], 414, 'uri_too_long');  // decided before the line ends
  });

  test('400: malformed request lines', T, async () => {
    for (const bad of ['NOT A REQUEST\r\n\r\n', 'G@T / HTTP/1.1\r\nHost: x\r\n\r\n', 'GET / HTTP/x.1\r\n\r\n',
      'GET  HTTP/1.1\r\n\r\n', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03']) {
      const { body } = await expectRefusal([bad], 400, 'malformed_request');
      assert.match(body.error.message, /^malformed HTTP request: /);
    }
  });

  test('400: Content-Length together with Transfer-Encoding; repeated Content-Length', T, async () => {
    await expectRefusal(['POST /v1/agents HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
      400, 'content_length_with_transfer_encoding');
    await expectRefusal(['POST /v1/agents HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}'], 400,
      'repeated_content_length');
  });

  test('413 at once: a body announced over the limit, or sent over it in chunks', T, async () => {
    // Only the head is sent: the answer must not wait for the body.
    const { body } = await expectRefusal(['POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      'Content-Length: 15000000\r\n\r\n'], 413, 'payload_too_large');
    assert.match(body.error.message, /15000000 bytes exceeds the limit of 65536/);
    const chunk = `10000\r\n${'a'.repeat(0x10000)}\r\n`;
    await expectRefusal(['POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n', chunk, '1\r\na\r\n'],
      413, 'payload_too_large');
  });

  test('408: a request not complete within the read timeout', T, async () => {
    const t0 = Date.now();
    await expectRefusal(['POST /v1/agents HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"na'], 408, 'request_timeout');
    const took = Date.now() - t0;
    assert.ok(took >= 900 && took < 3000, `408 after ${took} ms with --read-timeout-s=1`);
    await expectRefusal(['GET /ping HTTP/1.1\r\nHo'], 408, 'request_timeout');
  });

  test('408 for a request pipelined behind a long turn: its timer starts with its first byte', T, async () => {
    const slow = await createAgent(s, { llm_config_id: 'slow' });
    const payload = JSON.stringify({ model: slow, messages: [{ role: 'user', content: 'x' }] });
    const turn = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${payload.length}\r\n\r\n${payload}`;
    const sock = net.connect({ port: s.port, host: '127.0.0.1' });
    let data = Buffer.alloc(0);
    sock.on('data', (d) => (data = Buffer.concat([data, d])));
    const closed = new Promise((r) => sock.on('close', r));
    await new Promise((r) => sock.on('connect', r));
    sock.write(turn + 'GET /ping HTTP/1.1\r\nHo');  // the second request starts at once
    await sleep(2000);
    // Complete only now: past its 1 s, though well before the 3 s turn ends.
    sock.write('st: x\r\n\r\n');
    await Promise.race([closed, sleep(8000)]);
    sock.destroy();
    const rs = parseResponses(data);
    assert.deepEqual(rs.map((r) => r.status), [200, 408], data.toString('latin1').slice(0, 500));
    assert.equal(JSON.parse(rs[1].body).error.code, 'request_timeout');
  });

  test('400: a transfer coding other than chunked', T, async () => {
    await expectRefusal(['POST /v1/agents HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n'], 400,
      'unsupported_transfer_encoding');
  });

  test('a refusal behind a good pipelined request: both answered, in order', T, async () => {
    const r = await rawSend(s.port, ['GET /ping HTTP/1.1\r\nHost: x\r\n\r\nNOT A REQUEST\r\n\r\n'], { timeoutMs: 4000 });
    const rs = parseResponses(r.data);
    assert.deepEqual(rs.map((x) => x.status), [200, 400]);
    assert.ok(r.closed);
  });

  test('well-formed requests on the same connection still work, pipelined or in pieces', T, async () => {
    const r = await rawSend(s.port, ['GET /ping HTTP/1.1\r\nHost: x\r\n\r\nGET /pi', 'ng HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'], { timeoutMs: 4000 });
    assert.deepEqual(parseResponses(r.data).map((x) => x.status), [200, 200, 200]);
  });
});

describe('bodies in flight', () => {
  test('past --max-inflight-body-bytes new requests get 503 with Retry-After; service resumes', T, async () => {
    const own = await startServer({ args: ['--max-body-bytes=1048576', '--max-inflight-body-bytes=2500000'] });
    try {
      const head = (n) => `POST /v1/agents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${n}\r\n\r\n`;
      // Two bodies of 1 MB on their way (announced, only started).
      const holders = [0, 1].map(() => {
        const c = net.connect({ port: own.port, host: '127.0.0.1' });
        c.on('error', () => {});
        c.on('connect', () => c.write(head(1000000) + '{"na'));
        return c;
      });
      await sleep(300);
      const r = await rawSend(own.port, [head(1000000)], { timeoutMs: 3000 });
      const rs = parseResponses(r.data);
      assert.equal(rs.length, 1);
      assert.equal(rs[0].status, 503);
      assert.equal(rs[0].headers['retry-after'], '1');
      assert.equal(JSON.parse(rs[0].body).error.code, 'bodies_in_flight');
      assert.ok(r.closed);
      // A small body still fits; once the big ones are gone, big ones fit again.
      const small = await own.req('POST', '/v1/agents', { body: { name: 'small-one', template_id: 'chat' } });
      assert.equal(small.status, 201, small.text);
      holders.forEach((c) => c.destroy());
      await sleep(300);
      const again = await rawSend(own.port, [head(1000000)], { timeoutMs: 1000 });
      assert.notEqual(parseResponses(again.data)[0]?.status, 503);
    } finally {
      assert.equal((await own.stop()).code, 0);
    }
  });
});
