// Three nodes behind HAProxy with the configuration docs/CLUSTER.md documents
// (conf/haproxy.cfg, run as is: its placeholders are environment variables):
// turns of one session through the balancer run on one owner and are stored
// complete and in order; a stream comes through event by event, not buffered;
// after `kill -9` of a node the balancer keeps serving every session (with
// client retries on 502/503 and connection errors) within --cluster-failure-s
// + 2 s, and no acknowledged turn is lost or stored twice. LB_LOG=FILE keeps
// HAProxy's log.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import {
  REPO_ROOT, MOCK_REPLY, accessLines, contentOf, freePort, request, sleep, timedStream, uid,
} from './helpers.mjs';
import { pgBinDir, startPostgres } from './postgres.mjs';
import { startCluster } from './cluster.mjs';

const T = { timeout: 120000 };
const FAILURE_S = 2;  // --cluster-failure-s of the nodes (cluster.mjs's default)

function haproxyBin() {
  try {
    return execFileSync('sh', ['-c', 'command -v haproxy'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString().trim() || null;
  } catch {
    return null;
  }
}

const skip = !pgBinDir()
  ? 'SKIPPED: PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin); `make test` installs them'
  : !haproxyBin()
    ? 'SKIPPED: haproxy not found (Debian package haproxy); `make test` installs it'
    : false;

/** HAProxy with conf/haproxy.cfg in front of `nodes`, on a free port. */
async function startHaproxy(nodes) {
  const port = await freePort();
  const env = { ...process.env, TROUPE_LB_BIND: `127.0.0.1:${port}` };
  nodes.forEach((n, i) => (env[`TROUPE_NODE${i + 1}`] = `127.0.0.1:${n.port}`));
  const proc = spawn(haproxyBin(), ['-f', path.join(REPO_ROOT, 'conf/haproxy.cfg'), '-db'], {
    env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  const exited = once(proc, 'exit');
  const base = `http://127.0.0.1:${port}`;
  const lb = {
    port, base, proc, token: undefined, log: () => log,
    url: (p) => base + p,
    req: (method, p, opts = {}) => request(method, base + p, opts),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        await exited;
      }
    },
  };
  const deadline = Date.now() + 10000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`haproxy exited (${proc.exitCode}):\n${log}`);
    const r = await lb.req('GET', '/ping', { timeoutMs: 1000 }).catch(() => null);
    if (r?.status === 200) return lb;
    if (Date.now() > deadline) throw new Error(`haproxy did not serve /ping:\n${log}`);
    await sleep(50);
  }
}

const turnBody = (sid, content, model = 'demo') =>
  ({ model, messages: [{ role: 'user', content }], metadata: { session_id: sid, user_id: 'lb' } });

/** Turns that arrived at `node` (its access log), by path and session. */
const arrivals = (node, sid) =>
  accessLines(node.stderrText()).filter((l) => l.includes(' POST /v1/chat/completions ') && l.includes(`session=${sid}`)).length;

let pg;
let nodes = [];
let lb;
before(async () => {
  if (skip) return;
  pg = await startPostgres();
  nodes = await startCluster(pg.createDb('lb'), 3, { failureS: FAILURE_S });
  lb = await startHaproxy(nodes);
});
after(async () => {
  await lb?.stop();
  if (process.env.LB_LOG) fs.writeFileSync(process.env.LB_LOG, lb?.log() ?? '');
  for (const n of nodes) await n.kill();
  pg?.destroy();
});

describe('three nodes behind HAProxy (conf/haproxy.cfg)', { skip }, () => {
  const storedTwiceAfterKill = [];
  test('turns of one session through the balancer: one owner, complete history in order', T, async () => {
    const sid = uid('lb-one');
    const owners = new Set();
    const N = 12;
    for (let k = 0; k < N; k++) {
      const r = await lb.req('POST', '/v1/chat/completions', { body: turnBody(sid, `turn ${k}`) });
      assert.equal(r.status, 200, r.text);
      assert.equal(contentOf(r), MOCK_REPLY);
      const node = r.headers.get('x-troupe-node');
      assert.ok(node, 'X-Troupe-Node is set');
      assert.equal(r.json.metadata.node_id, node, 'metadata.node_id names the same node');
      owners.add(node);
    }
    assert.equal(owners.size, 1, `one owner ran every turn: ${[...owners]}`);
    // The balancer spread the turns: some reached a node that forwarded them.
    const reached = nodes.filter((n) => arrivals(n, sid) > 0).map((n) => n.id);
    assert.ok(reached.length >= 2, `turns arrived at ${reached} only`);

    const s = await lb.req('GET', `/v1/sessions/${sid}`);
    assert.equal(s.status, 200, s.text);
    assert.equal(s.json.messages.length, 2 * N);
    s.json.messages.forEach((m, i) => {
      if (i % 2 === 0) assert.deepEqual([m.role, m.content], ['user', `turn ${i / 2}`]);
      else assert.deepEqual([m.role, m.content], ['assistant', MOCK_REPLY]);
    });
  });

  test('a streamed turn comes through the balancer event by event, then [DONE]', T, async () => {
    // test-slow: first token after 200 ms, then one word every 50 ms.
    const created = await lb.req('POST', '/v1/agents', {
      body: { template_id: 'chat', name: uid('lb-slow'), llm_config_id: 'test-slow' },
    });
    assert.equal(created.status, 201, created.text);
    const model = created.json.agent_id;
    for (const n of nodes) {  // agents reach every node within a second
      const deadline = Date.now() + 5000;
      while ((await n.req('GET', `/v1/agents/${model}`)).status !== 200) {
        assert.ok(Date.now() < deadline, `agent ${model} not on ${n.id}`);
        await sleep(100);
      }
    }
    const sid = uid('lb-stream');
    // Three streams of one session: the balancer sends them to different
    // nodes, so at least two cross nodes to the owner.
    for (let k = 0; k < 3; k++) {
      const out = await timedStream(lb, turnBody(sid, `stream ${k}`, model));
      assert.equal(out.status, 200, out.text);
      assert.equal(out.events.at(-1).data, '[DONE]', out.text);
      const text = out.events.filter((e) => e.data !== '[DONE]')
        .map((e) => JSON.parse(e.data).choices?.[0]?.delta?.content ?? '').join('');
      assert.equal(text, MOCK_REPLY);
      // The words arrived 50 ms apart: unbuffered, the first content and
      // the last are ~200 ms apart; buffered, they would arrive together.
      const content = out.events.filter((e) => e.data !== '[DONE]' && JSON.parse(e.data).choices?.[0]?.delta?.content);
      assert.ok(content.length >= 5, `${content.length} content events`);
      const spread = content.at(-1).at - content[0].at;
      assert.ok(spread >= 120, `content events arrived within ${spread} ms: buffered`);
      const distinct = new Set(out.events.map((e) => e.at)).size;
      assert.ok(distinct >= 4, `events came in ${distinct} reads`);
    }
    const reached = nodes.filter((n) => arrivals(n, sid) > 0).map((n) => n.id);
    assert.ok(reached.length >= 2, `streams arrived at ${reached} only`);
    const s = await lb.req('GET', `/v1/sessions/${sid}`);
    assert.deepEqual(s.json.messages.map((m) => m.content),
      ['stream 0', MOCK_REPLY, 'stream 1', MOCK_REPLY, 'stream 2', MOCK_REPLY]);
  });

  test('kill -9 of a node under load: the balancer keeps serving every session', T, async () => {
    // Sessions until every node owns at least two.
    const owner = new Map();
    const acked = new Map();  // session → contents acknowledged, in order
    for (let i = 0; i < 90; i++) {
      const sid = uid(`lb-kill${i}`);
      const r = await lb.req('POST', '/v1/chat/completions', { body: turnBody(sid, `${sid} first`) });
      assert.equal(r.status, 200, r.text);
      owner.set(sid, r.headers.get('x-troupe-node'));
      acked.set(sid, [`${sid} first`]);
      const counts = nodes.map((n) => [...owner.values()].filter((o) => o === n.id).length);
      if (owner.size >= 12 && counts.every((c) => c >= 2)) break;
    }
    const victim = nodes[1];
    const victimSessions = [...owner].filter(([, o]) => o === victim.id).map(([s]) => s);
    assert.ok(victimSessions.length >= 2, 'the victim owns sessions');

    // Every session: turns one after another, each retried until it is
    // acknowledged (502: its node died under it; 503: forwarded to a dead
    // node or fenced; 504/connection errors likewise).
    let killedAt = 0;
    let stop = false;
    const failures = {};
    let replayed = 0;  // tries answered from storage (stored by the victim before it died)
    const servedAgain = new Map();  // session → ms after the kill of its first acknowledged turn started after it
    let failed = null;
    const loop = async (sid) => {
      try {
        await turns(sid);
      } catch (e) {
        failed ??= e;
        stop = true;
      }
    };
    const turns = async (sid) => {
      for (let k = 0; !stop; k++) {
        for (let a = 0; ; a++) {
          // Every try the same request with the same key: a try its owner
          // stored before it died is answered from storage, not stored again.
          const content = `${sid} turn ${k}`;
          const began = Date.now();
          let status;
          let r;
          try {
            r = await lb.req('POST', '/v1/chat/completions', {
              body: turnBody(sid, content), timeoutMs: 15000, headers: { 'Idempotency-Key': encodeURIComponent(content) },
            });
            status = r.status;
          } catch (e) {
            status = e.cause?.code ?? e.name ?? 'error';
          }
          if (status === 200) {
            if (r.headers.get('idempotent-replayed') === 'true') replayed += 1;
            acked.get(sid).push(content);
            if (killedAt && began >= killedAt && !servedAgain.has(sid)) servedAgain.set(sid, Date.now() - killedAt);
            if (killedAt && began >= killedAt) assert.notEqual(r.headers.get('x-troupe-node'), victim.id);
            break;
          }
          assert.ok([502, 503, 504].includes(status) || typeof status === 'string', `turn answered ${status}: ${r?.text}`);
          if (status === 503 && r.headers.get('retry-after') !== null)
            assert.equal(r.headers.get('retry-after'), '1');
          failures[status] = (failures[status] ?? 0) + 1;
          await sleep(100);
        }
      }
    };
    const loops = [...owner.keys()].map((sid) => loop(sid));
    await sleep(1000);
    const gone = victim.kill();  // SIGKILL sent now
    killedAt = Date.now();
    await gone;
    const limit = (FAILURE_S + 2) * 1000;
    for (let t = 0; t < limit + 500 && !stop; t += 100) await sleep(100);
    stop = true;
    await Promise.all(loops);
    if (failed) throw failed;

    for (const sid of owner.keys()) {
      assert.ok(servedAgain.has(sid), `session ${sid} (owner ${owner.get(sid)}) not served after the kill`);
      assert.ok(servedAgain.get(sid) <= limit, `session ${sid} served again ${servedAgain.get(sid)} ms after the kill`);
    }
    // Nothing acknowledged is lost or stored twice, histories alternate.
    const survivor = nodes[0];
    for (const [sid, contents] of acked) {
      const s = await survivor.req('GET', `/v1/sessions/${sid}?limit=1000`);
      assert.equal(s.status, 200, s.text);
      const users = [];
      s.json.messages.forEach((m, i) => {
        assert.equal(m.role, i % 2 === 0 ? 'user' : 'assistant', `${sid} message ${i}`);
        if (i % 2 === 0) users.push(m.content);
      });
      const twice = users.filter((u, i) => users.indexOf(u) !== i);
      if (twice.length) storedTwiceAfterKill.push(`${sid}: ${twice.join(', ')}`);
      // Every turn was retried until acknowledged: exactly those, in order, each once.
      assert.deepEqual(users, contents, `${sid}: acknowledged turns missing, doubled or out of order`);
    }
    // The victim's sessions live on the survivors now.
    for (const sid of victimSessions) {
      const r = await lb.req('POST', '/v1/chat/completions', { body: turnBody(sid, `${sid} after`) });
      assert.equal(r.status, 200, r.text);
      assert.notEqual(r.headers.get('x-troupe-node'), victim.id);
    }
    console.log(`kill -9 ${victim.id}: ${owner.size} sessions (${victimSessions.length} its own), ` +
      `retried answers ${JSON.stringify(failures)}, ${replayed} answered from storage, served again after ` +
      `${Math.max(...servedAgain.values())} ms at most`);
  });
  // A turn committed by a node killed before its reply left is answered 503;
  // the retry carries the same Idempotency-Key and is answered from storage.
  test('kill -9: no turn stored twice (retries carry an Idempotency-Key)', () => {
    assert.deepEqual(storedTwiceAfterKill, []);
  });
});
