// Per-key limits: rpm, tpm, max_parallel, token budgets. Over a limit: 429
// in OpenAI's envelope with Retry-After and x-ratelimit-* headers, before
// anything reaches the upstream; stock clients back off by themselves.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startFakeUpstream } from './fake_upstream.mjs';
import {
  assertError,
  chat,
  createAgent,
  startServer,
  timedStream,
  uid,
  user,
  writeServices,
} from './helpers.mjs';

const T = { timeout: 60000 };
const ADMIN = 'admin-token';

let s;
let fake;
let relay; // an agent on an openai provider pointing at the fake upstream
let slow; // an agent whose test provider streams a word a second
before(async () => {
  fake = await startFakeUpstream();
  const services = writeServices(
    {
      test: { type: 'test', model: 'mock' },
      slow: { type: 'test', model: 'mock-slow', first_token_ms: 0, token_interval_ms: 1000 },
      up: { type: 'openai', model: 'up-model', base_url: fake.base, timeout_s: 10 },
    },
    'test',
  );
  s = await startServer({
    baseArgs: [`--services=${services}`, '--storage=memory', '--log-level=warn'],
    token: ADMIN,
  });
  await createAgent(s, { id: 'demo', llm_config_id: 'test', system_prompt: 'You are a helpful assistant.' });
  relay = await createAgent(s, { llm_config_id: 'up' });
  slow = await createAgent(s, { llm_config_id: 'slow' });
});
after(async () => {
  const e = await s?.stop();
  await fake?.stop();
  assert.equal(e?.code, 0);
});

async function key(fields) {
  const r = await s.req('POST', '/v1/keys', { body: { user_id: uid('u'), ...fields } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

const ask = (k, content = 'hello', model = 'demo') =>
  chat(s, { model, messages: [user(content)] }, { token: k.key });

function retryAfter(r) {
  const v = r.headers.get('retry-after');
  assert.match(v ?? '', /^\d+$/, 'Retry-After in whole seconds');
  return Number(v);
}

describe('requests per minute', () => {
  test('a burst over rpm: 429 with Retry-After and x-ratelimit-* headers; nothing reaches the upstream', T, async () => {
    const k = await key({ rpm: 5 });  // a burst of 5, then one every 12 s
    const mark = uid('burst');
    await fake.plan(mark, [{ content: 'relayed' }]);
    const began = Date.now();
    const all = await Promise.all(Array.from({ length: 12 }, () => ask(k, mark, relay)));
    const elapsedS = (Date.now() - began) / 1000;
    const ok = all.filter((r) => r.status === 200);
    const refused = all.filter((r) => r.status === 429);
    assert.equal(ok.length + refused.length, all.length, all.map((r) => r.status).join(','));
    assert.ok(ok.length >= 5 && ok.length <= 5 + Math.ceil(elapsedS / 12), `${ok.length} admitted`);
    assert.ok(refused.length >= 1);
    for (const r of refused) {
      const e = assertError(r, 429, { type: 'rate_limit_error', code: 'rate_limit_exceeded' });
      assert.match(e.message, /requests per minute/);
      const wait = retryAfter(r);
      assert.ok(wait >= 1 && wait <= 12, `Retry-After ${wait}`);
      assert.equal(r.headers.get('x-ratelimit-limit-requests'), '5');
      assert.equal(r.headers.get('x-ratelimit-remaining-requests'), '0');
      assert.match(r.headers.get('x-ratelimit-reset-requests'), /^\d+(\.\d+)?(ms|s)$|^\d+m\d+s$/);
    }
    for (const r of ok) {
      assert.equal(r.headers.get('x-ratelimit-limit-requests'), '5');
      assert.match(r.headers.get('x-ratelimit-remaining-requests'), /^[0-4]$/);
    }
    // A rejected request cost the upstream nothing.
    assert.equal((await fake.requests(mark)).length, ok.length);
  });

  test('the official openai client (default retries) gets through after waiting', T, async () => {
    const k = await key({ rpm: 12 });  // one request every 5 s once the burst is spent
    const statuses = [];
    const client = new OpenAI({
      baseURL: s.url('/v1'),
      apiKey: k.key,
      fetch: async (url, init) => {
        const r = await fetch(url, init);
        statuses.push(r.status);
        return r;
      },
    });
    // Spend the burst until the server refuses: the bucket is empty right now.
    for (let i = 0; i < 40; i++) if ((await ask(k)).status === 429) break;
    const began = Date.now();
    const r = await client.chat.completions.create({ model: 'demo', messages: [user('patient')] });
    assert.equal(r.choices[0].message.role, 'assistant');
    assert.equal(statuses[0], 429, `attempts: ${statuses}`);
    assert.equal(statuses.at(-1), 200);
    assert.ok(Date.now() - began >= 1000, 'it waited as told');
  });

  test('limits do not leak between keys', T, async () => {
    const a = await key({ rpm: 2 });
    const b = await key({ rpm: 2, user_id: a.user_id });
    await Promise.all([ask(a), ask(a), ask(a)]);
    assertError(await ask(a), 429);
    assert.equal((await ask(b)).status, 200);
    assert.equal((await ask(b)).status, 200);
    assert.equal((await chat(s, { model: 'demo', messages: [user('admin')] })).status, 200, 'nor to the admin');
    assert.equal((await ask(await key({}))).status, 200, 'nor to a key without limits');
  });
});

describe('tokens, turns in flight, budgets', () => {
  test('tpm: a turn spends its usage; in debt the next is 429', T, async () => {
    const k = await key({ tpm: 10 });
    const first = await ask(k, 'one two three four five six');  // > 10 tokens with the reply
    assert.equal(first.status, 200, first.text);
    assert.equal(first.headers.get('x-ratelimit-limit-tokens'), '10');
    const r = await ask(k);
    const e = assertError(r, 429, { type: 'rate_limit_error' });
    assert.match(e.message, /tokens per minute/);
    assert.ok(retryAfter(r) >= 1);
    assert.equal(r.headers.get('x-ratelimit-remaining-tokens'), '0');
  });

  test('max_parallel: a second turn while one runs is 429; after it ends, fine', T, async () => {
    const k = await key({ max_parallel: 1 });
    let second;
    const first = await timedStream(
      { ...s, token: k.key },
      { model: slow, messages: [user('long one')] },
      {
        abortAfter: () => {
          if (!second) second = ask(k, 'meanwhile', slow);  // while the first streams
          return false;
        },
      },
    );
    assert.equal(first.status, 200);
    assert.equal(first.events.at(-1).data, '[DONE]');
    const e = assertError(await second, 429, { type: 'rate_limit_error', code: 'max_parallel_exceeded' });
    assert.match(e.message, /in flight/);
    assert.equal((await ask(k, 'after')).status, 200);
  });

  test('a spent token budget is 429 insufficient_quota until the period ends', T, async () => {
    const k = await key({ token_budget: 20, budget_period: 'day' });
    assert.equal((await ask(k, 'one two three')).status, 200);  // ~13 tokens: under budget
    assert.equal((await ask(k, 'one two three')).status, 200);  // crosses it
    const r = await ask(k);
    assertError(r, 429, { type: 'insufficient_quota', code: 'insufficient_quota' });
    const wait = retryAfter(r);
    assert.ok(wait >= 1 && wait <= 86400, `Retry-After ${wait}`);
    const patched = await s.req('PATCH', `/v1/keys/${k.id}`, { body: { token_budget: 100000 } });
    assert.equal(patched.status, 200);
    assert.equal((await ask(k)).status, 200, 'a raised budget applies at once');
  });
});

describe('usage', () => {
  test('per key, agent and day; a user key sees its own user only', T, async () => {
    const k1 = await key({});
    const k2 = await key({ user_id: k1.user_id });
    const other = await key({});
    for (const k of [k1, k1, k2, other]) assert.equal((await ask(k)).status, 200);
    const mine = (q) => s.req('GET', `/v1/usage?${q}`, { token: k1.key });
    const byKey = await mine('group_by=key');
    assert.equal(byKey.status, 200, byKey.text);
    assert.equal(byKey.json.filters.user_id, k1.user_id);
    assert.deepEqual(
      Object.fromEntries(byKey.json.data.map((d) => [d.key_id, d.requests])),
      { [k1.id]: 2, [k2.id]: 1 },
    );
    assert.equal(byKey.json.totals.requests, 3);
    assert.ok(byKey.json.totals.total_tokens > 0);
    assertError(await mine(`user_id=${other.user_id}`), 403);
    const admin = await s.req('GET', `/v1/usage?key_id=${other.id}&group_by=agent`);
    assert.deepEqual(admin.json.data.map((d) => [d.agent_id, d.requests]), [['demo', 1]]);
    const today = new Date().toISOString().slice(0, 10);
    const byDay = await s.req('GET', `/v1/usage?user_id=${k1.user_id}&from=${today}&to=${today}&group_by=day`);
    assert.deepEqual(byDay.json.data.map((d) => [d.day, d.requests]), [[today, 3]]);
    const before = await s.req('GET', `/v1/usage?user_id=${k1.user_id}&to=2000-01-01`);
    assert.equal(before.json.totals.requests, 0);
    assertError(await s.req('GET', '/v1/usage?from=yesterday'), 400, { param: 'from' });
    assertError(await s.req('GET', '/v1/usage?group_by=week'), 400, { param: 'group_by' });
  });
});
