// A bounded fuzz run against the real binary: mutated HTTP requests and JSON
// bodies, many connections at once. Whatever arrives, the server answers
// with no 5xx but 503/504, never hangs a connection, never crashes, and the
// sessions stored before are unchanged afterwards.
//
// Seedable: TROUPE_FUZZ_SEED=<n> replays a run (the seed is printed);
// TROUPE_FUZZ_SECONDS sets its length (default 30).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { chat, parseResponses, sleep, startServer, writeAgents, writeServices } from './helpers.mjs';

const SEED = Number(process.env.TROUPE_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const SECONDS = Number(process.env.TROUPE_FUZZ_SECONDS ?? 30);
const PARALLEL = 16;
const HANG_MS = 8000;  // a connection must be answered or closed by then (read timeout is 1 s)

/** mulberry32: a small seedable PRNG. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generator(rand) {
  const int = (n) => Math.floor(rand() * n);
  const pick = (xs) => xs[int(xs.length)];
  const chance = (p) => rand() < p;
  const bytes = (n) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const text = () =>
    pick([
      () => 'hello',
      () => '',
      () => 'x'.repeat(int(5000)),
      () => 'héllo 🌍 世界 \u0000 "q" \\ \n',
      () => String.fromCharCode(...Array.from({ length: int(40) }, () => int(0x3000))),
      () => '\ud800',
    ])();
  const scalar = () =>
    pick([null, true, false, 0, -1, 1e308, -1e308, 2 ** 53, 0.5, 42, 'str', '', '0', [], {}, text()]);
  const value = (depth = 0) =>
    depth > 3 || chance(0.5)
      ? scalar()
      : chance(0.5)
        ? Array.from({ length: int(4) }, () => value(depth + 1))
        : Object.fromEntries(Array.from({ length: int(4) }, () => [pick(['a', 'role', 'content', text()]), value(depth + 1)]));
  const models = ['demo', 'fuzz', 'nope', '', 'a'.repeat(300), 'demo\u0000'];
  const chatBody = (ctx) => {
    const body = {
      model: pick(models),
      messages: Array.from({ length: 1 + int(3) }, () => ({ role: pick(['user', 'system', 'assistant', 'tool', 'bot']), content: text() })),
    };
    if (chance(0.3)) body.stream = pick([true, false, 'yes']);
    if (chance(0.3)) body.stream_options = { include_usage: pick([true, 1]) };
    if (chance(0.5)) {
      // Stored sessions may only ever be named with a user who does not own them.
      const sid = chance(0.4) ? pick(ctx.stored) : pick(['s1', 'fuzz-sess', 'bad id', 'x'.repeat(200)]);
      body.metadata = { session_id: sid, user_id: pick(['mallory', 'eve', '', null]) };
    }
    for (const k of ['temperature', 'top_p', 'max_tokens', 'max_completion_tokens', 'stop', 'seed', 'user', 'n', 'tools'])
      if (chance(0.15)) body[k] = scalar();
    // JSON-level mutations.
    for (let i = int(3); i > 0; i--) {
      const keys = Object.keys(body);
      const k = pick(keys);
      pick([() => delete body[k], () => (body[k] = value()), () => (body[text().slice(0, 20) || 'extra'] = value())])();
    }
    return body;
  };
  const jsonText = (obj) => {
    let s = Buffer.from(JSON.stringify(obj));
    if (chance(0.1)) s = s.subarray(0, int(s.length));                       // truncated
    if (chance(0.1)) s = Buffer.concat([s.subarray(0, int(s.length)), bytes(1 + int(4)), s.subarray(int(s.length))]);
    if (chance(0.05)) s = Buffer.from('['.repeat(20000) + ']'.repeat(20000));
    return s;
  };
  const target = (ctx) =>
    pick([
      () => ['POST', '/v1/chat/completions', jsonText(chatBody(ctx))],
      () => ['POST', '/v1/agents', jsonText({ name: text(), template_id: pick(['chat', 'x', 1]), llm_config_id: pick(['test', 'nope', undefined]), system_prompt: value() })],
      () => ['PUT', `/v1/agents/${pick(['fuzz', 'nope', '%FF'])}`, jsonText({ system_prompt: value(), template_config: value() })],
      () => ['PATCH', '/v1/agents/fuzz/status', jsonText({ status: pick(['active', 'inactive', 'x', 1]) })],
      () => ['GET', `/v1/sessions/${pick(ctx.stored)}?user_id=${pick(['mallory', '', '%FF'])}`, null],
      // Never mutated below: without its ?user_id= it would be an authorized delete.
      () => ['DELETE', `/v1/sessions/${pick(ctx.stored)}?user_id=mallory`, null, 'as is'],
      () => ['GET', pick(['/v1/sessions?limit=-1', '/v1/sessions?offset=x', '/v1/models', '/v1/health', '/v1/templates/%00', '/v1/agents?limit=99999999999999999999', '/ping', '/']), null],
      () => [pick(['GET', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'FOO']), '/' + text().replace(/[\s]/g, ''), chance(0.5) ? bytes(int(200)) : null],
    ])();
  const envelope = ([method, path, body], closeIt) => {
    const h = [`${method} ${path} HTTP/1.1`, 'Host: fuzz'];
    if (body) h.push(`Content-Type: ${pick(['application/json', 'text/plain', 'application/x+json', 'application/json; charset=\xff'])}`);
    if (body) h.push(`Content-Length: ${body.length}`);
    if (closeIt) h.push('Connection: close');
    return Buffer.concat([Buffer.from(h.join('\r\n') + '\r\n\r\n', 'latin1'), body ?? Buffer.alloc(0)]);
  };
  // HTTP-level mutations of a well-formed request.
  const mutate = (req) => {
    let b = req;
    for (let i = 1 + int(3); i > 0; i--) {
      b = pick([
        () => { const c = Buffer.from(b); c[int(c.length)] = int(256); return c; },                 // flip a byte
        () => Buffer.concat([b.subarray(0, int(b.length)), bytes(1 + int(8)), b.subarray(int(b.length))]),
        () => { const a = int(b.length); return Buffer.concat([b.subarray(0, a), b.subarray(a + int(20))]); },
        () => b.subarray(0, int(b.length)),                                                          // truncate
        () => Buffer.concat([b, b]),                                                                 // pipeline twice
        () => Buffer.from(b.toString('latin1').replace('\r\n', `\r\nX-Pad: ${'p'.repeat(int(30000))}\r\n`), 'latin1'),
        () => Buffer.from(b.toString('latin1').replace(/Content-Length: \d+/, `Content-Length: ${pick([-1, 0, 99999999999, 'x', '5, 5'])}`), 'latin1'),
        () => Buffer.from(b.toString('latin1').replace('\r\n', '\r\nTransfer-Encoding: chunked\r\n'), 'latin1'),
      ])();
    }
    return b;
  };
  return (ctx) => {
    const req = target(ctx);
    const raw = envelope(req, chance(0.7));
    const bytesOut = chance(0.5) && req[3] !== 'as is' ? mutate(raw) : raw;
    // Sent whole or in a few pieces with short pauses.
    const cuts = chance(0.3) ? Array.from({ length: 1 + int(4) }, () => int(bytesOut.length)).sort((a, b) => a - b) : [];
    const pieces = [];
    let from = 0;
    for (const c of [...cuts, bytesOut.length]) {
      pieces.push(bytesOut.subarray(from, c));
      from = c;
    }
    return { pieces, label: `${req[0]} ${String(req[1]).slice(0, 60)}` };
  };
}

/**
 * One case on its own connection: the responses, and whether the server
 * dealt with it in time (closed it, or answered and then kept it idle).
 */
function runCase(port, { pieces }) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    let data = Buffer.alloc(0);
    let settled = false;
    let quiet = null;
    const finish = (ended) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(quiet);
      sock.destroy();
      resolve({ ended, responses: parseResponses(data), raw: data });
    };
    const timer = setTimeout(() => finish(false), HANG_MS);
    sock.on('data', (d) => {
      data = Buffer.concat([data, d]);
      // Answered and then idle for a while: a kept-alive connection, done.
      clearTimeout(quiet);
      quiet = setTimeout(() => finish(parseResponses(data).length > 0), 300);
    });
    sock.on('close', () => finish(true));
    sock.on('error', () => finish(true));
    sock.on('connect', async () => {
      for (const p of pieces) {
        if (sock.destroyed) return;
        sock.write(p);
        if (pieces.length > 1) await sleep(5);
      }
    });
  });
}

test(`fuzz: mutated requests and bodies for ${SECONDS}s (seed ${SEED})`, { timeout: (SECONDS + 60) * 1000 }, async () => {
  console.log(`fuzz seed ${SEED} (replay with TROUPE_FUZZ_SEED=${SEED})`);
  const services = writeServices({ test: { type: 'test', model: 'm' } });
  const agents = writeAgents([
    { id: 'demo', name: 'Demo', template_id: 'chat', llm_config_id: 'test' },
    { id: 'fuzz', name: 'Fuzz', template_id: 'chat', llm_config_id: 'test' },
    { id: 'keeper', name: 'Keeper', template_id: 'chat', llm_config_id: 'test' },
  ]);
  const s = await startServer({
    baseArgs: [`--services=${services}`, `--agents=${agents}`, '--storage=memory', '--log-level=warn'],
    args: ['--read-timeout-s=1', '--max-body-bytes=262144'],
  });
  const rand = prng(SEED);
  const next = generator(rand);
  // Sessions stored before the run, by an owner the fuzzer never names.
  const owner = `owner-${SEED}`;
  const stored = [];
  for (let i = 0; i < 3; i++) {
    const r = await chat(s, { model: 'keeper', messages: [{ role: 'user', content: `keep ${i}` }], metadata: { session_id: `kept-${SEED}-${i}`, user_id: owner } });
    assert.equal(r.status, 200, r.text);
    stored.push(r.json.metadata.session_id);
  }
  const snapshot = async () => Promise.all(stored.map(async (id) => (await s.req('GET', `/v1/sessions/${id}`)).json));
  const before = await snapshot();

  const failures = [];
  const counts = {};
  let cases = 0;
  let generated = 0;
  const deadline = Date.now() + SECONDS * 1000;
  const worker = async () => {
    while (Date.now() < deadline && failures.length < 5) {
      const c = next({ stored });
      c.label = `case ${generated++} ${c.label}`;
      const r = await runCase(s.port, c);
      cases++;
      for (const x of r.responses) counts[x.status] = (counts[x.status] ?? 0) + 1;
      const bad = r.responses.filter((x) => x.status >= 500 && x.status !== 503 && x.status !== 504);
      if (bad.length) failures.push(`${c.label}: ${bad.map((x) => `${x.status} ${x.body.toString().slice(0, 200)}`).join('; ')}`);
      if (!r.ended) failures.push(`${c.label}: neither answered nor closed within ${HANG_MS} ms; got ${JSON.stringify(r.raw.toString('latin1').slice(0, 200))}`);
      if (cases % 200 === 0) {
        const ping = await s.req('GET', '/ping', { timeoutMs: 3000 }).catch((e) => ({ status: e.message }));
        if (ping.status !== 200) failures.push(`after ${cases} cases /ping answered ${ping.status}`);
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  console.log(`fuzz: ${cases} cases, statuses ${JSON.stringify(counts)}`);
  try {
    assert.deepEqual(failures, [], `seed ${SEED}`);
    assert.ok(cases > 200, `only ${cases} cases ran`);
    assert.equal((await s.req('GET', '/ping')).status, 200);
    assert.deepEqual(await snapshot(), before, 'the stored sessions are unchanged');
    // No actor died and no handler threw along the way.
    assert.doesNotMatch(s.stderrText(), /handler failed|\) failed: |\bcritical\b/);
  } finally {
    const e = await s.stop({ timeoutMs: 15000 });
    assert.deepEqual(e, { code: 0, signal: null }, `exit; seed ${SEED}; stderr: ${s.stderrText().slice(-1500)}`);
  }
});
