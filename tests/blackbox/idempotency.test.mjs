// Idempotent retries: a chat turn sent with an Idempotency-Key is stored with
// it, and a retry with the same key (a client that lost the answer) gets the
// stored answer instead of a second run. The proof of "not run again": the
// session's stored history does not grow, and the usage is the first run's
// (a second run would see a longer history, so more prompt tokens).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { MOCK_REPLY, assertError, chat, startServer, streamChat, streamText, uid, user } from './helpers.mjs';

const T = { timeout: 30000 };

async function history(s, sid) {
  const r = await s.req('GET', `/v1/sessions/${sid}`);
  assert.equal(r.status, 200, r.text);
  return r.json.messages;
}

describe('Idempotency-Key, memory storage', () => {
  let s;
  let client;
  before(async () => {
    s = await startServer();
    client = new OpenAI({ apiKey: 'none', baseURL: s.url('/v1'), maxRetries: 0 });
  });
  after(async () => assert.equal((await s?.stop())?.code, 0));

  const ask = (sid, content, key, extra = {}) =>
    client.chat.completions.create(
      { model: 'demo', messages: [user(content)], metadata: { session_id: sid }, ...extra },
      key ? { headers: { 'Idempotency-Key': key } } : {},
    );

  test('a retry with the key gets the stored answer; the session holds the turn once', T, async () => {
    const sid = uid('idem');
    await ask(sid, 'first');
    let a = await ask(sid, 'second', 'k-1').withResponse();
    let b = await ask(sid, 'second', 'k-1').withResponse();
    assert.equal(a.response.headers.get('idempotent-replayed'), null);
    assert.equal(b.response.headers.get('idempotent-replayed'), 'true');
    ({ data: a } = a);
    ({ data: b } = b);
    assert.equal(a.choices[0].message.content, MOCK_REPLY);
    assert.equal(b.choices[0].message.content, a.choices[0].message.content);
    assert.equal(b.choices[0].finish_reason, a.choices[0].finish_reason);
    assert.deepEqual(b.usage, a.usage);
    assert.equal(b.metadata.session_id, sid);
    const h = await history(s, sid);
    assert.deepEqual(h.map((m) => m.content), ['first', MOCK_REPLY, 'second', MOCK_REPLY]);
    // A new key is a new turn, which sees the longer history.
    const c = await ask(sid, 'second', 'k-2');
    assert.ok(c.usage.prompt_tokens > a.usage.prompt_tokens, JSON.stringify([a.usage, c.usage]));
    assert.equal((await history(s, sid)).length, 6);
  });

  test('a streamed retry gets the stored answer as a stream ending in [DONE]', T, async () => {
    const sid = uid('idem');
    const key = uid('k');
    const body = { model: 'demo', messages: [user('hi')], metadata: { session_id: sid } };
    const first = await streamChat(s, body, { headers: { 'Idempotency-Key': key } });
    assert.equal(first.status, 200);
    const again = await streamChat(s, body, { headers: { 'Idempotency-Key': key } });
    assert.equal(again.status, 200, again.raw);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.ok(again.done, again.raw);
    assert.equal(streamText(again.chunks), streamText(first.chunks));
    assert.equal(again.chunks.at(-1).choices[0].finish_reason, 'stop');
    assert.equal((await history(s, sid)).length, 2);
  });

  test('retries sent at once run the turn once', T, async () => {
    const sid = uid('idem');
    const replies = await Promise.all([...Array(5)].map(() => ask(sid, 'together', 'same')));
    for (const r of replies) assert.equal(r.choices[0].message.content, MOCK_REPLY);
    assert.equal((await history(s, sid)).length, 2);
  });

  test('the key with another request is refused with 422, nothing stored', T, async () => {
    const sid = uid('idem');
    await ask(sid, 'one', 'k');
    const r = await chat(s, { model: 'demo', messages: [user('two')], metadata: { session_id: sid } },
      { headers: { 'Idempotency-Key': 'k' } });
    assertError(r, 422, { code: 'idempotency_key_reused', param: 'Idempotency-Key' });
    assert.equal((await history(s, sid)).length, 2);
  });

  test('a key is one session\'s: the same key in another session runs there', T, async () => {
    const a = uid('idem');
    const b = uid('idem');
    await ask(a, 'x', 'shared');
    const r = await ask(b, 'x', 'shared');
    assert.equal(r.choices[0].message.content, MOCK_REPLY);
    assert.equal((await history(s, b)).length, 2);
    assert.equal((await history(s, a)).length, 2);
  });

  test('a malformed key is a 400 naming the header', T, async () => {
    for (const key of ['a b', 'k'.repeat(256)]) {
      const r = await chat(s, { model: 'demo', messages: [user('x')], metadata: { session_id: uid('idem') } },
        { headers: { 'Idempotency-Key': key } });
      assertError(r, 400, { code: 'invalid_idempotency_key', param: 'Idempotency-Key' });
    }
  });
});

describe('Idempotency-Key, SQLite storage', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-idem-'));
  const db = path.join(dir, 'troupe.db');
  const args = ['--services=conf/services.json', '--agents=conf/agents.json', `--storage=sqlite:${db}`, '--log-level=warn'];
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('the key outlives a restart: a retry after it is answered from the database', T, async () => {
    const sid = uid('idem');
    const body = { model: 'demo', messages: [user('durable')], metadata: { session_id: sid } };
    const headers = { 'Idempotency-Key': 'k-restart' };
    let s = await startServer({ baseArgs: args });
    const first = await chat(s, body, { headers });
    assert.equal(first.status, 200, first.text);
    assert.equal((await s.stop()).code, 0);
    s = await startServer({ baseArgs: args });
    try {
      const again = await chat(s, body, { headers });
      assert.equal(again.status, 200, again.text);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.equal(again.json.choices[0].message.content, first.json.choices[0].message.content);
      assert.deepEqual(again.json.usage, first.json.usage);
      assert.equal((await history(s, sid)).length, 2);
      // Deleting the session deletes its keys: the same request starts it anew.
      assert.equal((await s.req('DELETE', `/v1/sessions/${sid}`)).status, 204);
      const fresh = await chat(s, body, { headers });
      assert.equal(fresh.status, 200, fresh.text);
      assert.equal((await history(s, sid)).length, 2);
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
  });
});
