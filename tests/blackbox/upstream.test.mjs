// The "openai" provider against a fake OpenAI-compatible upstream (its own
// process): what the upstream receives (history, parameters, auth), what
// comes back (content, usage, streaming as it happens), and what is stored.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeUpstream } from './fake_upstream.mjs';
import {
  chat,
  contentOf,
  createAgent,
  deltaOf,
  startServer,
  streamChat,
  streamText,
  timedStream,
  uid,
  user,
  writeServices,
} from './helpers.mjs';

const T = { timeout: 20000 };

let fake;
let s;
before(async () => {
  fake = await startFakeUpstream();
  const services = writeServices(
    {
      up: {
        type: 'openai',
        model: 'fake-model',
        base_url: `${fake.base}/`,
        api_key: '${FAKE_UPSTREAM_KEY}',
        temperature: 0.9,
        max_tokens: 99,
        timeout_s: 5,
      },
      keyless: { type: 'openai', model: 'local-model', base_url: fake.base },
      test: { type: 'test', model: 'mock' },
    },
    'up',
  );
  s = await startServer({
    baseArgs: [`--services=${services}`, '--storage=memory', '--log-level=warn'],
    env: { FAKE_UPSTREAM_KEY: 'sk-from-the-environment' },
  });
});
after(async () => {
  const e = await s?.stop();
  await fake?.stop();
  assert.equal(e?.code, 0);
});

/** The one request the fake got for `mark` (asserts there was exactly one). */
async function onlyRequest(mark) {
  const reqs = await fake.requests(mark);
  assert.equal(reqs.length, 1, `requests for ${mark}: ${JSON.stringify(reqs.map((r) => r.body))}`);
  return reqs[0];
}

/** Registers a plan under a fresh mark and returns the mark. */
async function planned(steps) {
  const mark = uid('mark');
  await fake.plan(mark, steps);
  return mark;
}

describe('what the upstream receives', () => {
  test('system prompt, instructions, stored history and the new message, in order', T, async () => {
    const id = await createAgent(s, {
      system_prompt: 'You are upstream-tested.',
      conversation_config: { continuous: true, historyLength: 10 },
    });
    const sid = uid('hist');
    const m1 = await planned([{ content: 'First answer.' }]);
    const a = await chat(s, { model: id, messages: [user(`one ${m1}`)], metadata: { session_id: sid } });
    assert.equal(a.status, 200, a.text);
    const m2 = await planned([{ content: 'Second answer.' }]);
    const b = await chat(s, {
      model: id,
      messages: [{ role: 'system', content: 'Answer in French.' }, user(`two ${m2}`)],
      metadata: { session_id: sid },
    });
    assert.equal(b.status, 200, b.text);
    const got = await onlyRequest(m2);
    assert.equal(got.method, 'POST');
    assert.equal(got.url, '/v1/chat/completions');
    assert.equal(got.body.model, 'fake-model');
    assert.deepEqual(got.body.messages, [
      { role: 'system', content: 'You are upstream-tested.' },
      { role: 'system', content: 'Answer in French.' },
      { role: 'user', content: `one ${m1}` },
      { role: 'assistant', content: 'First answer.' },
      { role: 'user', content: `two ${m2}` },
    ]);
    assert.equal(got.body.stream, undefined, 'a non-stream call does not ask to stream');
  });

  test('every sampling parameter of the request is forwarded', T, async () => {
    const id = await createAgent(s, {});
    const mark = await planned([{}]);
    const r = await chat(s, {
      model: id,
      messages: [user(mark)],
      temperature: 0.25,
      top_p: 0.5,
      max_tokens: 42,
      stop: ['END', 'STOP'],
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      seed: 1234,
      user: 'end-user-7',
    });
    assert.equal(r.status, 200, r.text);
    const { body } = await onlyRequest(mark);
    assert.equal(body.temperature, 0.25);
    assert.equal(body.top_p, 0.5);
    assert.equal(body.max_tokens, 42);
    assert.deepEqual(body.stop, ['END', 'STOP']);
    assert.equal(body.presence_penalty, 0.5);
    assert.equal(body.frequency_penalty, -0.5);
    assert.equal(body.seed, 1234);
    assert.equal(body.user, 'end-user-7');

    const mark2 = await planned([{}]);
    await chat(s, { model: id, messages: [user(mark2)], max_completion_tokens: 17, stop: 'ONE' });
    const second = (await onlyRequest(mark2)).body;
    assert.equal(second.max_completion_tokens, 17, 'forwarded under the name the client used');
    assert.equal(second.max_tokens, undefined);
    assert.equal(second.stop, 'ONE', 'forwarded verbatim, as the client wrote it');
  });

  test('defaults: the agent conversation_config, then the provider', T, async () => {
    const tuned = await createAgent(s, {
      conversation_config: { continuous: true, historyLength: 5, temperature: 0.4, max_tokens: 30 },
    });
    const plain = await createAgent(s, {});
    const m1 = await planned([{}]);
    const m2 = await planned([{}]);
    await chat(s, { model: tuned, messages: [user(m1)] });
    await chat(s, { model: plain, messages: [user(m2)] });
    const a = (await onlyRequest(m1)).body;
    const b = (await onlyRequest(m2)).body;
    assert.equal(a.temperature, 0.4);
    assert.equal(a.max_tokens, 30);
    assert.equal(b.temperature, 0.9, 'the provider default');
    assert.equal(b.max_tokens, 99);
    for (const x of [a, b]) for (const k of ['top_p', 'seed', 'stop', 'user']) assert.equal(x[k], undefined, k);
  });

  test('Authorization comes from ${VAR} in the services file; none without a key', T, async () => {
    const mark = await planned([{}]);
    await chat(s, { model: await createAgent(s, {}), messages: [user(mark)] });
    const { headers } = await onlyRequest(mark);
    assert.equal(headers.authorization, 'Bearer sk-from-the-environment');
    assert.match(headers['content-type'], /^application\/json/);

    const keyless = await createAgent(s, { llm_config_id: 'keyless' });
    const mark2 = await planned([{}]);
    const r = await chat(s, { model: keyless, messages: [user(mark2)] });
    assert.equal(r.status, 200, r.text);
    const second = await onlyRequest(mark2);
    assert.equal(second.headers.authorization, undefined);
    assert.equal(second.body.model, 'local-model');
  });

  test('connections to the upstream are kept alive and reused', T, async () => {
    const id = await createAgent(s, {});
    const marks = [];
    for (let i = 0; i < 6; i++) {
      const mark = await planned([{}]);
      marks.push(mark);
      assert.equal((await chat(s, { model: id, messages: [user(mark)] })).status, 200);
    }
    const ports = new Set();
    for (const m of marks) ports.add((await onlyRequest(m)).remote_port);
    assert.ok(ports.size <= 2, `6 sequential calls used ${ports.size} connections`);
  });
});

describe('what comes back', () => {
  test('non-stream: content, finish_reason and usage pass through; id, model, metadata are ours', T, async () => {
    const id = await createAgent(s, {});
    const mark = await planned([
      { content: 'Exactly this.', finish_reason: 'length', usage: { prompt_tokens: 111, completion_tokens: 22 } },
    ]);
    const r = await chat(s, { model: id, messages: [user(mark)], metadata: { session_id: uid('np') } });
    assert.equal(r.status, 200, r.text);
    assert.equal(contentOf(r), 'Exactly this.');
    assert.equal(r.json.choices[0].finish_reason, 'length');
    assert.deepEqual(r.json.usage, { prompt_tokens: 111, completion_tokens: 22, total_tokens: 133 });
    assert.match(r.json.id, /^chatcmpl-/);
    assert.ok(!r.json.id.includes('fake'), 'not the upstream id');
    assert.equal(r.json.model, id, 'the agent id, not the upstream model');
    assert.equal(r.json.metadata.provider, 'up');
    assert.equal(r.json.metadata.agent_id, id);
  });

  test('stream: deltas arrive as the upstream sends them, usage when asked', T, async () => {
    const id = await createAgent(s, {});
    const sid = uid('st');
    const mark = await planned([
      {
        tokens: ['Slow ', 'and ', 'steady.'],
        token_interval_ms: 400,
        usage: { prompt_tokens: 7, completion_tokens: 3 },
      },
    ]);
    const r = await timedStream(s, {
      model: id,
      messages: [user(mark)],
      stream_options: { include_usage: true },
      metadata: { session_id: sid },
    });
    assert.equal(r.status, 200, r.text);
    const content = r.events.filter((e) => deltaOf(e));
    assert.deepEqual(content.map(deltaOf), ['Slow ', 'and ', 'steady.']);
    const upstream = await onlyRequest(mark);
    assert.equal(upstream.body.stream, true);
    assert.deepEqual(upstream.body.stream_options, { include_usage: true });
    // The first token reached the client before the upstream had finished,
    // and the client saw the upstream's pacing.
    assert.ok(content[0].at < upstream.ended_at - 500, `first at ${content[0].at}, upstream ended ${upstream.ended_at}`);
    assert.ok(content[2].at - content[0].at >= 600, 'the pacing is kept');
    const chunks = r.events.filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data));
    const usage = chunks.at(-1);
    assert.deepEqual(usage.choices, []);
    assert.deepEqual(usage.usage, { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
    assert.equal(chunks.at(-2).choices[0].finish_reason, 'stop');
    assert.equal(chunks.at(-2).metadata.provider, 'up');
    assert.equal(r.events.at(-1).data, '[DONE]');
    // Stored: the concatenation of the deltas.
    const stored = await s.req('GET', `/v1/sessions/${sid}`);
    assert.equal(stored.status, 200, stored.text);
    const msgs = stored.json.messages.map((m) => [m.role, m.content]);
    assert.deepEqual(msgs, [
      ['user', mark],
      ['assistant', 'Slow and steady.'],
    ]);
  });

  test('stream without include_usage: usage asked upstream all the same, no usage chunk to the client', T, async () => {
    const id = await createAgent(s, {});
    const mark = await planned([{ content: 'a b c' }]);
    const r = await streamChat(s, { model: id, messages: [user(mark)] });
    assert.equal(r.status, 200, r.raw);
    assert.equal(streamText(r.chunks), 'a b c');
    assert.ok(r.chunks.every((c) => c.usage === undefined || c.usage === null));
    assert.deepEqual((await onlyRequest(mark)).body.stream_options, { include_usage: true });
  });

  test('stream answered with a whole JSON body still streams it', T, async () => {
    const id = await createAgent(s, {});
    const mark = await planned([{ content: 'all at once', json_for_stream: true }]);
    const r = await streamChat(s, { model: id, messages: [user(mark)] });
    assert.equal(r.status, 200, r.raw);
    assert.equal(streamText(r.chunks), 'all at once');
    assert.ok(r.done);
  });

  test('health reports the provider and its last success', T, async () => {
    const h = await s.req('GET', '/v1/health');
    assert.equal(h.status, 200);
    const p = h.json.checks.providers.up;
    assert.equal(p.type, 'openai');
    assert.equal(p.status, 'ok');
    assert.equal(p.last_error, null);
    assert.match(p.last_success_at, /^\d{4}-\d\d-\d\dT/);
    assert.equal(h.json.checks.providers.test.status, 'ok');
  });
});
