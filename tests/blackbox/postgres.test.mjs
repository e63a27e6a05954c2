// --storage=postgres:URI against a real PostgreSQL server started here:
// restarts keep agents and conversations, --export-session reads it, and a
// PostgreSQL that goes away gives 503 + degraded health, then recovers by
// itself when it comes back (Troupe keeps running).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { chat, contentOf, runBinary, sleep, startServer, streamChat, MOCK_REPLY } from './helpers.mjs';
import { pgBinDir, startPostgres } from './postgres.mjs';

const T = { timeout: 120000 };
const skip = pgBinDir()
  ? false
  : 'SKIPPED: PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin); `make test` installs them';

let pg;
let dbCounter = 0;
before(async () => {
  if (!skip) pg = await startPostgres();
});
after(() => pg?.destroy());

const start = (spec) => startServer({
  baseArgs: ['--services=conf/services.json', '--agents=conf/agents.json', `--storage=${spec}`,
    '--log-level=warn'],
});
const turn = (s, sid, content, user = 'ann', model = 'demo') =>
  chat(s, { model, messages: [{ role: 'user', content }], metadata: { session_id: sid, user_id: user } });

describe('postgres storage', { skip }, () => {
  test('agents and conversations survive a restart', T, async () => {
    const spec = pg.createDb(`restart${++dbCounter}`);
    let s = await start(spec);
    const created = await s.req('POST', '/v1/agents', {
      body: { id: 'keeper', name: 'Keeper', template_id: 'chat', system_prompt: 'Remember.',
        template_config: { response_prefix: '> ' }, conversation_config: { historyLength: 10 } },
    });
    assert.equal(created.status, 201, created.text);
    for (let k = 0; k < 3; k++) assert.equal((await turn(s, 'kept', `turn ${k}`, 'ann', 'keeper')).status, 200);
    const streamed = await streamChat(s, { model: 'keeper', stream: true,
      messages: [{ role: 'user', content: 'streamed' }], metadata: { session_id: 'kept', user_id: 'ann' } });
    assert.equal(streamed.status, 200);
    const agentBefore = (await s.req('GET', '/v1/agents/keeper')).json;
    const sessionBefore = (await s.req('GET', '/v1/sessions/kept')).json;
    assert.equal(sessionBefore.messages.length, 8);
    const health = (await s.req('GET', '/v1/health')).json;
    assert.equal(health.status, 'healthy');
    assert.equal((await s.stop()).code, 0);

    s = await start(spec);
    try {
      assert.deepEqual((await s.req('GET', '/v1/agents/keeper')).json, agentBefore);
      assert.deepEqual((await s.req('GET', '/v1/sessions/kept')).json, sessionBefore);
      const next = await turn(s, 'kept', 'turn 4', 'ann', 'keeper');
      assert.equal(next.status, 200, next.text);
      assert.equal(contentOf(next), `> ${MOCK_REPLY}`);
      assert.equal((await s.req('GET', '/v1/sessions/kept')).json.messages.length, 10);
      assert.equal((await turn(s, 'kept', 'not yours', 'bob', 'keeper')).status, 404);
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
  });

  test('--export-session reads PostgreSQL, also while the server runs', T, async () => {
    const spec = pg.createDb(`export${++dbCounter}`);
    const s = await start(spec);
    try {
      assert.equal((await turn(s, 'exp', 'export me')).status, 200);
      const ok = await runBinary([`--storage=${spec}`, '--export-session=exp'], { cwd: os.tmpdir() });
      assert.equal(ok.code, 0, ok.stderr);
      const dumped = JSON.parse(ok.stdout);
      assert.equal(dumped.id, 'exp');
      assert.deepEqual(dumped.messages.map((m) => m.content), ['export me', MOCK_REPLY]);
      const missing = await runBinary([`--storage=${spec}`, '--export-session=nope']);
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /nope/);
    } finally {
      await s.stop();
    }
    // A database without the schema is refused, and left as it was.
    const empty = pg.createDb(`empty${++dbCounter}`);
    const no = await runBinary([`--storage=${empty}`, '--export-session=exp']);
    assert.notEqual(no.code, 0);
    assert.match(no.stderr, /no troupe schema/);
  });

  test('PostgreSQL going away: 503 and degraded, then back by itself', T, async () => {
    const spec = pg.createDb(`outage${++dbCounter}`);
    const s = await start(spec);
    try {
      assert.equal((await turn(s, 'o1', 'before')).status, 200);
      pg.stop('fast');
      const lost = await turn(s, 'o1', 'while away');
      assert.equal(lost.status, 503, lost.text);
      assert.equal((await turn(s, 'o2', 'new session while away')).status, 503);
      assert.equal((await s.req('GET', '/v1/agents')).status, 503);
      const hr = await s.req('GET', '/v1/health');
      const h = hr.json;
      assert.equal(h?.status, 'degraded', `${hr.status} ${hr.text}`);
      assert.equal(h.checks.storage.status, 'error');
      assert.ok(h.checks.storage.last_error, JSON.stringify(h));

      pg.start();
      // Healthy again by itself (the usage repository's probe), before any turn.
      let status;
      for (const until = Date.now() + 15000; Date.now() < until; await sleep(200)) {
        status = (await s.req('GET', '/v1/health')).json?.status;
        if (status === 'healthy') break;
      }
      assert.equal(status, 'healthy');
      let back;
      const deadline = Date.now() + 15000;
      do {
        await sleep(200);
        back = await turn(s, 'o1', 'after');
      } while (back.status !== 200 && Date.now() < deadline);
      assert.equal(back.status, 200, back.text);
      assert.equal((await s.req('GET', '/v1/health')).json.status, 'healthy');
      // Only whole turns: nothing of the refused ones, all of the others.
      const stored = (await s.req('GET', '/v1/sessions/o1')).json;
      assert.deepEqual(stored.messages.map((m) => m.content), ['before', MOCK_REPLY, 'after', MOCK_REPLY]);
      assert.equal((await s.req('GET', '/v1/sessions/o2')).status, 404);
      assert.equal(s.proc.exitCode, null, 'troupe kept running');
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
  });
});
