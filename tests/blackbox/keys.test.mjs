// User API keys: managed with the admin token, stored hashed, durable; a key
// acts as its user (sessions, models), limited agents, revocation, expiry.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  MOCK_REPLY,
  assertError,
  assistant,
  chat,
  contentOf,
  createAgent,
  sleep,
  startServer,
  uid,
  user,
} from './helpers.mjs';

const T = { timeout: 30000 };
const ADMIN = 'admin-token';

/** POST /v1/keys with the admin token; returns the created key (with its secret). */
export async function createKey(s, fields) {
  const r = await s.req('POST', '/v1/keys', { body: fields, token: ADMIN });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

let s;
before(async () => {
  s = await startServer({ token: ADMIN });
});
after(async () => assert.equal((await s.stop()).code, 0));

describe('managing keys (admin token)', () => {
  test('create shows the secret once; reads show a prefix, never the secret', T, async () => {
    const k = await createKey(s, { user_id: 'alice', name: 'laptop', rpm: 10, token_budget: 1000 });
    assert.match(k.key, /^tr-[A-Za-z0-9_-]{43}$/);
    assert.match(k.id, /^key-/);
    assert.equal(k.prefix, k.key.slice(0, 11));
    assert.equal(k.budget_period, 'month');
    assert.equal(k.user_id, 'alice');
    const one = await s.req('GET', `/v1/keys/${k.id}`);
    assert.equal(one.status, 200);
    assert.equal(one.json.key, undefined);
    assert.equal(one.json.prefix, k.prefix);
    assert.ok(!one.text.includes(k.key), 'the secret is never read back');
    const list = await s.req('GET', '/v1/keys?user_id=alice');
    assert.ok(list.json.data.some((x) => x.id === k.id));
    assert.ok(!list.text.includes(k.key));
    assert.ok(list.json.data.every((x) => x.user_id === 'alice'));
  });

  test('patch changes limits (null clears them); delete revokes at once', T, async () => {
    const k = await createKey(s, { user_id: 'carol', rpm: 10 });
    const p = await s.req('PATCH', `/v1/keys/${k.id}`, { body: { rpm: null, max_parallel: 3, name: 'ci' } });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.json.rpm, null);
    assert.equal(p.json.max_parallel, 3);
    assert.equal(p.json.name, 'ci');
    assert.equal((await chat(s, { model: 'demo', messages: [user('hi')] }, { token: k.key })).status, 200);
    assert.equal((await s.req('DELETE', `/v1/keys/${k.id}`)).status, 204);
    assertError(await chat(s, { model: 'demo', messages: [user('hi')] }, { token: k.key }), 401, {
      type: 'authentication_error',
    });
    assertError(await s.req('GET', `/v1/keys/${k.id}`), 404, { code: 'key_not_found' });
    assertError(await s.req('DELETE', `/v1/keys/${k.id}`), 404);
    assertError(await s.req('PATCH', `/v1/keys/${k.id}`, { body: { rpm: 1 } }), 404);
  });

  test('bad bodies get the envelope: 400 values, 422 shapes', T, async () => {
    assertError(await s.req('POST', '/v1/keys', { body: { name: 'no user' } }), 400, { param: 'user_id' });
    assertError(await s.req('POST', '/v1/keys', { body: { user_id: 'u', rpm: 0 } }), 400, { param: 'rpm' });
    assertError(await s.req('POST', '/v1/keys', { body: { user_id: 'u', rpm: '5' } }), 422, { param: 'rpm' });
    assertError(await s.req('POST', '/v1/keys', { body: { user_id: 'u', budget_period: 'week' } }), 400);
    assertError(await s.req('POST', '/v1/keys', { body: { user_id: 'u', expires_at: 1000 } }), 400, {
      param: 'expires_at',
    });
    assertError(await s.req('POST', '/v1/keys', { body: { user_id: 'u', nope: 1 } }), 422);
    assertError(await s.req('POST', '/v1/keys', { body: '[1]' }), 422);
    const k = await createKey(s, { user_id: 'dave' });
    assertError(await s.req('PATCH', `/v1/keys/${k.id}`, { body: { user_id: 'eve' } }), 400, { param: 'user_id' });
  });

  test('key routes need the admin token: 401 without, 403 with a user key', T, async () => {
    assertError(await s.req('GET', '/v1/keys', { token: null }), 401);
    const k = await createKey(s, { user_id: 'frank' });
    for (const [method, p, body] of [
      ['GET', '/v1/keys'],
      ['POST', '/v1/keys', { user_id: 'frank' }],
      ['GET', `/v1/keys/${k.id}`],
      ['PATCH', `/v1/keys/${k.id}`, { rpm: 1000 }],
      ['DELETE', `/v1/keys/${k.id}`],
    ])
      assertError(await s.req(method, p, { body, token: k.key }), 403, { type: 'permission_error' });
    assert.equal((await s.req('GET', `/v1/keys/${k.id}`)).status, 200, 'still there');
  });
});

describe('a user key acts as its user', () => {
  let alice;
  let bob;
  before(async () => {
    alice = await createKey(s, { user_id: 'alice-' + uid() });
    bob = await createKey(s, { user_id: 'bob-' + uid() });
  });

  test('its sessions belong to its user; metadata.user_id may be omitted or match', T, async () => {
    const r = await chat(s, { model: 'demo', messages: [user('hello')] }, { token: alice.key });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.metadata.user_id, alice.user_id);
    const same = await chat(
      s,
      { model: 'demo', messages: [user('again')], metadata: { session_id: r.json.metadata.session_id, user_id: alice.user_id } },
      { token: alice.key },
    );
    assert.equal(same.status, 200, same.text);
    const stored = await s.req('GET', `/v1/sessions/${r.json.metadata.session_id}`);
    assert.equal(stored.json.user_id, alice.user_id);
  });

  test('another user_id in metadata is 403', T, async () => {
    const r = await chat(s, { model: 'demo', messages: [user('x')], metadata: { user_id: alice.user_id } }, { token: bob.key });
    assertError(r, 403, { param: 'metadata.user_id', type: 'permission_error' });
  });

  test("another user's session cannot be read, listed, continued or deleted", T, async () => {
    const sid = uid('private');
    const first = await chat(s, { model: 'demo', messages: [user('my secret')], metadata: { session_id: sid } }, { token: alice.key });
    assert.equal(first.status, 200, first.text);
    // Read: exactly like an unknown session.
    const read = assertError(await s.req('GET', `/v1/sessions/${sid}`, { token: bob.key }), 404, { code: 'session_not_found' });
    const unknown = assertError(await s.req('GET', `/v1/sessions/${uid('none')}`, { token: bob.key }), 404);
    assert.equal(read.type, unknown.type);
    // List: only bob's own, even when asking for alice's.
    for (const q of ['', `?user_id=${encodeURIComponent(alice.user_id)}`]) {
      const list = await s.req('GET', `/v1/sessions${q}`, { token: bob.key });
      assert.equal(list.status, 200);
      assert.ok(list.json.every((x) => x.user_id === bob.user_id), list.text);
      assert.ok(!list.text.includes(sid));
    }
    const mine = await s.req('GET', '/v1/sessions', { token: alice.key });
    assert.ok(mine.json.some((x) => x.id === sid));
    // Continue: refused; the history is untouched.
    const cont = await chat(s, { model: 'demo', messages: [user('bob was here')], metadata: { session_id: sid } }, { token: bob.key });
    assert.ok([403, 404].includes(cont.status), cont.text);
    assertError(cont, cont.status);
    assert.ok(!cont.text.includes('my secret'));
    // A stateless client resending alice's conversation gets a session of its own.
    const resent = await chat(s, { model: 'demo', messages: [user('my secret'), assistant(MOCK_REPLY), user('more')] }, { token: bob.key });
    assert.equal(resent.status, 200, resent.text);
    assert.notEqual(resent.json.metadata.session_id, sid);
    // Delete: as absent, and the session stays.
    assertError(await s.req('DELETE', `/v1/sessions/${sid}`, { token: bob.key }), 404);
    const after = await s.req('GET', `/v1/sessions/${sid}`, { token: alice.key });
    assert.equal(after.status, 200);
    assert.equal(after.json.messages.length, 2, 'nothing of bob reached it');
    assert.equal((await s.req('DELETE', `/v1/sessions/${sid}`, { token: alice.key })).status, 204);
  });

  test('agent, key and template writes are the admin\'s', T, async () => {
    const body = { name: uid('agent'), template_id: 'chat' };
    assertError(await s.req('POST', '/v1/agents', { body, token: alice.key }), 403);
    assertError(await s.req('PUT', '/v1/agents/demo', { body: { system_prompt: 'x' }, token: alice.key }), 403);
    assertError(await s.req('PATCH', '/v1/agents/demo/status', { body: { status: 'inactive' }, token: alice.key }), 403);
    assertError(await s.req('DELETE', '/v1/agents/demo', { token: alice.key }), 403);
    assert.equal((await s.req('GET', '/v1/agents/demo', { token: alice.key })).status, 200);
    assert.equal((await s.req('GET', '/v1/templates', { token: alice.key })).status, 200);
    assert.equal((await s.req('GET', '/v1/agents/demo')).json.status, 'active', 'nothing changed');
  });

  test('the admin token still acts for any user_id', T, async () => {
    const r = await chat(s, { model: 'demo', messages: [user('x')], metadata: { user_id: 'anyone' } });
    assert.equal(r.status, 200);
    assert.equal(r.json.metadata.user_id, 'anyone');
  });
});

describe('agent-limited keys', () => {
  test('other agents are absent: chat, models, agents', T, async () => {
    const other = await createAgent(s, { llm_config_id: 'test' });
    const k = await createKey(s, { user_id: uid('u'), agents: ['demo'] });
    const opts = { token: k.key };
    assert.equal((await chat(s, { model: 'demo', messages: [user('hi')] }, opts)).status, 200);
    assertError(await chat(s, { model: other, messages: [user('hi')] }, opts), 404, { code: 'model_not_found', param: 'model' });
    const models = await s.req('GET', '/v1/models', opts);
    assert.deepEqual(models.json.data.map((m) => m.id), ['demo']);
    const all = await s.req('GET', '/v1/models');
    assert.ok(all.json.data.some((m) => m.id === other), 'the admin sees every agent');
    assertError(await s.req('GET', `/v1/models/${other}`, opts), 404);
    assertError(await s.req('GET', `/v1/agents/${other}`, opts), 404);
    const agents = await s.req('GET', '/v1/agents', opts);
    assert.deepEqual(agents.json.map((a) => a.id), ['demo']);
  });
});

describe('revoked and expired keys', () => {
  test('an unknown or revoked tr- key is 401 even when no token is configured', T, async () => {
    const open = await startServer();  // no --token: loopback, everyone is admin
    try {
      const k = (await open.req('POST', '/v1/keys', { body: { user_id: 'zed' } })).json;
      const r = await chat(open, { model: 'demo', messages: [user('x')], metadata: { user_id: 'other' } }, { token: k.key });
      assertError(r, 403, { param: 'metadata.user_id' });
      assertError(await chat(open, { model: 'demo', messages: [user('x')] }, { token: 'tr-not-a-key' }), 401);
      assert.equal((await open.req('DELETE', `/v1/keys/${k.id}`)).status, 204);
      assertError(await chat(open, { model: 'demo', messages: [user('x')] }, { token: k.key }), 401);
      assert.equal((await chat(open, { model: 'demo', messages: [user('x')] }, { token: 'anything' })).status, 200);
    } finally {
      await open.stop();
    }
  });

  test('an expired key is 401', T, async () => {
    const k = await createKey(s, { user_id: uid('u'), expires_at: new Date(Date.now() + 3000).toISOString() });
    assert.ok(k.expires_at);
    await sleep(Math.max(0, Date.parse(k.expires_at) - Date.now()) + 200);  // only a lower bound
    const e = assertError(await chat(s, { model: 'demo', messages: [user('late')] }, { token: k.key }), 401);
    assert.match(e.message, /expired/);
  });
});

describe('durable and never in clear', () => {
  test('keys survive a restart; the database holds hashes, not secrets', T, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-keys-'));
    const storage = `--storage=sqlite:${path.join(dir, 'k.db')}`;
    const args = ['--services=conf/services.json', '--agents=conf/agents.json', storage, '--log-level=warn'];
    try {
      let d = await startServer({ baseArgs: args, token: ADMIN });
      const kept = await createKey(d, { user_id: 'durable', rpm: 100 });
      const gone = await createKey(d, { user_id: 'durable' });
      assert.equal((await chat(d, { model: 'demo', messages: [user('hi')] }, { token: kept.key })).status, 200);
      assert.equal((await d.req('DELETE', `/v1/keys/${gone.id}`)).status, 204);
      assert.equal((await d.stop()).code, 0);
      for (const f of fs.readdirSync(dir)) {
        const bytes = fs.readFileSync(path.join(dir, f));
        for (const k of [kept, gone]) {
          assert.ok(!bytes.includes(k.key), `${f} holds a secret in clear`);
          assert.ok(!bytes.includes(k.key.slice(3)), `${f} holds a secret's random part`);
        }
      }
      d = await startServer({ baseArgs: args, token: ADMIN });
      const r = await chat(d, { model: 'demo', messages: [user('again')] }, { token: kept.key });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.metadata.user_id, 'durable');
      assert.equal(r.headers.get('x-ratelimit-limit-requests'), '100');
      assertError(await chat(d, { model: 'demo', messages: [user('x')] }, { token: gone.key }), 401);
      const list = await d.req('GET', '/v1/keys?user_id=durable');
      assert.deepEqual(list.json.data.map((x) => x.id), [kept.id]);
      assert.equal((await d.stop()).code, 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
