// A client that hangs up cancels the upstream call (the fake sees its
// connection closed within about a second) and its turn is not stored.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeUpstream } from './fake_upstream.mjs';
import { createAgent, deltaOf, sleep, startServer, timedStream, uid, user, writeServices } from './helpers.mjs';

const T = { timeout: 20000 };
// "Within one second" plus the scheduling slack of a loaded 2-core CI box.
const CANCEL_MS = 1300;

let fake;
let s;
let agent;
before(async () => {
  fake = await startFakeUpstream();
  const services = writeServices({
    up: { type: 'openai', model: 'm', base_url: fake.base, timeout_s: 30 },
  });
  s = await startServer({ baseArgs: [`--services=${services}`, '--storage=memory', '--log-level=warn'] });
  agent = await createAgent(s, {});
});
after(async () => {
  const e = await s?.stop();
  await fake?.stop();
  assert.equal(e?.code, 0);
});

/** Waits until the fake saw the request for `mark` closed; returns it. */
async function closedRequest(mark, limitMs = 5000) {
  const until = Date.now() + limitMs;
  for (;;) {
    const [r] = await fake.requests(mark);
    if (r?.closed_at) return r;
    if (Date.now() > until) assert.fail(`the upstream call for ${mark} was never closed: ${JSON.stringify(r)}`);
    await sleep(25);
  }
}

/**
 * Sends a chat request, waits until the upstream has its call (plus
 * `waitMs`), then hangs up; asserts the upstream call was closed within
 * CANCEL_MS of that and that nothing was stored.
 */
async function hangUpAndCheck(body, mark, { waitMs = 0 } = {}) {
  const ctl = new AbortController();
  const pending = fetch(s.url('/v1/chat/completions'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal: ctl.signal,
  }).catch(() => null);
  while ((await fake.requests(mark)).length === 0) await sleep(20);
  await sleep(waitMs);
  const leftAt = Date.now();
  ctl.abort();
  await pending;
  const up = await closedRequest(mark);
  assert.ok(up.closed_early);
  assert.ok(up.closed_at - leftAt < CANCEL_MS, `closed ${up.closed_at - leftAt} ms after the client left`);
  await assertNotStored(body.metadata.session_id);
}

async function assertNotStored(sid) {
  const g = await s.req('GET', `/v1/sessions/${sid}`);
  if (g.status === 200) assert.equal(g.json.message_count, 0, g.text);
  else assert.equal(g.status, 404, g.text);
}

test('a stream client leaving mid-answer cancels the upstream stream', T, async () => {
  const mark = uid('mark');
  const sid = uid('gone');
  await fake.plan(mark, [{ tokens: Array.from({ length: 40 }, (_, i) => `t${i} `), token_interval_ms: 100 }]);
  const r = await timedStream(
    s,
    { model: agent, messages: [user(mark)], metadata: { session_id: sid } },
    { abortAfter: (ev) => deltaOf(ev) === 't1 ' },
  );
  assert.ok(r.abortedAt, 'the client hung up');
  const up = await closedRequest(mark);
  assert.ok(up.closed_early, 'closed before the upstream finished');
  const lag = up.closed_at - r.abortedAt;
  assert.ok(lag < CANCEL_MS, `upstream closed ${lag} ms after the client left`);
  await sleep(100);
  await assertNotStored(sid);
});

test('a stream client leaving before the first token cancels too', T, async () => {
  const mark = uid('mark');
  const sid = uid('gone-early');
  await fake.plan(mark, [{ first_token_ms: 10000 }]);
  await hangUpAndCheck({ model: agent, stream: true, messages: [user(mark)], metadata: { session_id: sid } }, mark);
});

test('a non-stream client dropping its connection cancels the upstream call', T, async () => {
  const mark = uid('mark');
  const sid = uid('gone-np');
  await fake.plan(mark, [{ first_token_ms: 10000, content: 'too late' }]);
  await hangUpAndCheck({ model: agent, messages: [user(mark)], metadata: { session_id: sid } }, mark, {
    waitMs: 200,
  });
  // The session still works afterwards.
  const again = uid('mark');
  const ok = await fetch(s.url('/v1/chat/completions'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: agent, messages: [user(again)], metadata: { session_id: sid } }),
  });
  assert.equal(ok.status, 200);
  assert.equal((await ok.json()).choices[0].message.content, `Echo: ${again}`);
});

test('a client that stays gets its full answer (no false cancellation)', T, async () => {
  const mark = uid('mark');
  await fake.plan(mark, [{ first_token_ms: 1500, content: 'worth the wait' }]);
  const r = await fetch(s.url('/v1/chat/completions'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: agent, messages: [user(mark)] }),
  });
  assert.equal(r.status, 200);
  assert.equal((await r.json()).choices[0].message.content, 'worth the wait');
  const [up] = await fake.requests(mark);
  assert.equal(up.closed_early, false);
});
