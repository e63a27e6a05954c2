// Durable storage: restarts, kill -9 in the middle of a load, sleeping
// (passivated) sessions, and storage that cannot be used.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  startServer, runBinary, chat, streamChat, contentOf, sleep, MOCK_REPLY,
} from './helpers.mjs';

const T = { timeout: 120000 };
const dbRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-db-'));
after(() => fs.rmSync(dbRoot, { recursive: true, force: true }));
let dbCounter = 0;
const newDb = () => path.join(dbRoot, `t${++dbCounter}`, 'troupe.db');

const sqliteArgs = (db) => [
  '--services=conf/services.json',
  '--agents=conf/agents.json',
  `--storage=sqlite:${db}`,
  '--log-level=warn',
];
const start = (db, args = []) => startServer({ baseArgs: sqliteArgs(db), args });

/** Runs `fn` over `items` with at most `n` at a time. */
async function pool(items, n, fn) {
  let next = 0;
  const workers = Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  });
  await Promise.all(workers);
}

describe('restart', () => {
  test('agents, sessions and whole histories come back after a restart', T, async () => {
    const db = newDb();
    let s = await start(db);
    const created = await s.req('POST', '/v1/agents', {
      body: {
        id: 'keeper', name: 'Keeper', template_id: 'chat', system_prompt: 'Remember.',
        template_config: { response_prefix: '> ' }, toolsets: ['basics'],
        conversation_config: { historyLength: 10, temperature: 0.2 },
      },
    });
    assert.equal(created.status, 201, created.text);
    for (let k = 0; k < 3; k++) {
      const r = await chat(s, {
        model: 'keeper', messages: [{ role: 'user', content: `turn ${k}` }],
        metadata: { session_id: 'kept', user_id: 'ann' },
      });
      assert.equal(r.status, 200, r.text);
    }
    const updated = await s.req('PUT', '/v1/agents/keeper', { body: { description: 'changed' } });
    assert.equal(updated.status, 200, updated.text);
    const agentBefore = (await s.req('GET', '/v1/agents/keeper')).json;
    const sessionBefore = (await s.req('GET', '/v1/sessions/kept')).json;
    assert.equal((await s.stop()).code, 0);

    s = await start(db);
    try {
      assert.deepEqual((await s.req('GET', '/v1/agents/keeper')).json, agentBefore);
      assert.deepEqual((await s.req('GET', '/v1/sessions/kept')).json, sessionBefore);
      assert.equal(sessionBefore.messages.length, 6);
      // The conversation continues where it was, owner and all.
      const next = await chat(s, {
        model: 'keeper', messages: [{ role: 'user', content: 'turn 3' }],
        metadata: { session_id: 'kept', user_id: 'ann' },
      });
      assert.equal(next.status, 200, next.text);
      assert.equal(contentOf(next), `> ${MOCK_REPLY}`);
      // system (1) + 6 stored messages (2 + 6 + 2 + 6 + 2 + 6) + new (2)
      assert.equal(next.json.usage.prompt_tokens, 1 + 24 + 2);
      const intruder = await chat(s, {
        model: 'keeper', messages: [{ role: 'user', content: 'x' }],
        metadata: { session_id: 'kept', user_id: 'bob' },
      });
      assert.equal(intruder.status, 404);
      const list = await s.req('GET', '/v1/sessions?agent_id=keeper');
      assert.equal(list.json.length, 1);
      assert.equal(list.json[0].message_count, 8);
    } finally {
      await s.stop();
    }
  });

  test('--export-session prints a stored session, and fails for an unknown one', T, async () => {
    const db = newDb();
    const s = await start(db);
    await chat(s, { model: 'demo', messages: [{ role: 'user', content: 'export me' }], metadata: { session_id: 'exp' } });
    await s.stop();
    const ok = await runBinary([`--storage=sqlite:${db}`, '--export-session=exp']);
    assert.equal(ok.code, 0, ok.stderr);
    const dumped = JSON.parse(ok.stdout);
    assert.equal(dumped.id, 'exp');
    assert.deepEqual(dumped.messages.map((m) => m.content), ['export me', MOCK_REPLY]);
    const missing = await runBinary([`--storage=sqlite:${db}`, '--export-session=nope']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /nope/);
  });

  test('--export-session needs only the database, and never creates one', T, async () => {
    const db = newDb();
    const s = await start(db);
    await chat(s, { model: 'demo', messages: [{ role: 'user', content: 'anywhere' }], metadata: { session_id: 'exp2' } });
    try {
      // From another directory (no conf/ there) while the server still runs.
      const ok = await runBinary([`--storage=sqlite:${db}`, '--export-session=exp2'], { cwd: os.tmpdir() });
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(JSON.parse(ok.stdout).message_count, 2);
    } finally {
      await s.stop();
    }
    const absent = path.join(path.dirname(db), 'typo', 'absent.db');
    const no = await runBinary([`--storage=sqlite:${absent}`, '--export-session=exp2']);
    assert.notEqual(no.code, 0);
    assert.match(no.stderr, /no database at/);
    assert.equal(fs.existsSync(path.dirname(absent)), false, 'export created a directory');
    const mem = await runBinary(['--storage=memory', '--export-session=exp2']);
    assert.notEqual(mem.code, 0);
    assert.match(mem.stderr, /sqlite/);
  });
});

describe('kill -9 during a load', () => {
  // Each worker runs turns one after another on its own session; after the
  // kill, every acknowledged turn must be stored in full and in order, and a
  // turn that was in flight is either absent or complete.
  async function round(killAfterMs) {
    const db = newDb();
    const s = await start(db);
    const workers = 16;
    const acked = new Array(workers).fill(0);
    let stop = false;
    const runs = Array.from({ length: workers }, async (_, w) => {
      for (let k = 0; !stop; k++) {
        const body = {
          model: 'demo',
          messages: [{ role: 'user', content: `w${w} t${k}` }],
          metadata: { session_id: `crash-w${w}` },
        };
        try {
          if (w % 4 === 0) {
            const r = await streamChat(s, body, { timeoutMs: 5000 });
            if (r.status !== 200 || !r.done || r.chunks.some((c) => c.choices?.[0]?.finish_reason === 'error')) return;
          } else {
            const r = await chat(s, body, { timeoutMs: 5000 });
            if (r.status !== 200) return;
          }
          acked[w] = k + 1;
        } catch {
          return;  // the server is gone
        }
      }
    });
    await sleep(killAfterMs);
    stop = true;
    await s.kill();
    await Promise.all(runs);
    assert.ok(acked.reduce((a, b) => a + b) > 0, 'some turns were acknowledged before the kill');

    const again = await start(db);
    try {
      for (let w = 0; w < workers; w++) {
        const r = await again.req('GET', `/v1/sessions/crash-w${w}`);
        const messages = r.status === 404 ? [] : r.json.messages;
        assert.ok(r.status === 200 || (r.status === 404 && acked[w] === 0), r.text);
        assert.equal(messages.length % 2, 0, `w${w}: a half-written turn: ${JSON.stringify(messages)}`);
        const turns = messages.length / 2;
        assert.ok(turns >= acked[w], `w${w}: ${acked[w]} acknowledged, ${turns} stored`);
        assert.ok(turns <= acked[w] + 1, `w${w}: ${turns} stored, only ${acked[w]} (+1 in flight) sent`);
        for (let k = 0; k < turns; k++) {
          assert.deepEqual(
            [messages[2 * k].role, messages[2 * k].content, messages[2 * k + 1].role, messages[2 * k + 1].content],
            ['user', `w${w} t${k}`, 'assistant', MOCK_REPLY],
            `w${w} turn ${k}`,
          );
        }
      }
    } finally {
      await again.stop();
    }
    return acked.reduce((a, b) => a + b);
  }

  for (const killAfterMs of [150, 500, 1000, 1800]) {
    test(`killed after ${killAfterMs} ms: acknowledged turns are all there, none half`, T, async () => {
      await round(killAfterMs + Math.floor(Math.random() * 100));
    });
  }
});

describe('sleeping sessions', () => {
  test('20000 sessions under a cap of 500 live actors all continue with their history', T, async () => {
    const db = newDb();
    const cap = 500;
    const s = await start(db, [`--max-live-sessions=${cap}`]);
    try {
      const ids = Array.from({ length: 20000 }, (_, i) => `p${i}`);
      let maxLive = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const h = await s.req('GET', '/v1/health');
          maxLive = Math.max(maxLive, h.json.metrics.live_sessions);
          await sleep(100);
        }
      })();
      await pool(ids, 64, async (id) => {
        const r = await chat(s, { model: 'demo', messages: [{ role: 'user', content: `hello ${id}` }], metadata: { session_id: id } });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.usage.prompt_tokens, 5 + 2);
      });
      const h = (await s.req('GET', '/v1/health')).json;
      assert.ok(h.metrics.live_sessions <= cap, `live ${h.metrics.live_sessions} > cap ${cap}`);
      assert.equal(h.metrics.stored_sessions, 20000);
      assert.ok(h.metrics.passivated_sessions >= 20000 - cap);
      // Every session wakes with its first turn: system 5 + (2 + 5) + 2 words.
      await pool(ids, 64, async (id) => {
        const r = await chat(s, { model: 'demo', messages: [{ role: 'user', content: `again ${id}` }], metadata: { session_id: id } });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.usage.prompt_tokens, 5 + 7 + 2, `${id} lost its history`);
      });
      sampling = false;
      await sampler;
      assert.ok(maxLive <= cap, `live sessions reached ${maxLive} > ${cap}`);
      const one = (await s.req('GET', '/v1/sessions/p12345')).json;
      assert.deepEqual(one.messages.map((m) => m.content), ['hello p12345', MOCK_REPLY, 'again p12345', MOCK_REPLY]);
    } finally {
      await s.stop();
    }
  });

  test('an idle session sleeps after --session-idle-s and wakes transparently', T, async () => {
    const s = await start(newDb(), ['--session-idle-s=0.3']);
    try {
      const body = (c) => ({ model: 'demo', messages: [{ role: 'user', content: c }], metadata: { session_id: 'nap', user_id: 'u' } });
      assert.equal((await chat(s, body('one'))).status, 200);
      assert.equal((await s.req('GET', '/v1/health')).json.metrics.live_sessions, 1);
      let live = 1;
      for (let i = 0; i < 40 && live > 0; i++) {
        await sleep(100);
        live = (await s.req('GET', '/v1/health')).json.metrics.live_sessions;
      }
      assert.equal(live, 0, 'the idle session did not sleep');
      const r = await chat(s, body('two'));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.usage.prompt_tokens, 5 + 1 + 5 + 1);
    } finally {
      await s.stop();
    }
  });
});

describe('unusable storage', () => {
  test('a file that is not a database ends start-up with a clear error', T, async () => {
    const db = newDb();
    fs.mkdirSync(path.dirname(db), { recursive: true });
    fs.writeFileSync(db, 'this is not a database'.repeat(1000));
    const r = await runBinary([...sqliteArgs(db), '--listen=127.0.0.1:1']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /troupe\.db/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });

  test('a place that cannot be written ends start-up with a clear error', T, async () => {
    const r = await runBinary([...sqliteArgs('/proc/troupe/nowhere.db'), '--listen=127.0.0.1:1']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /nowhere\.db/);
  });
});
