// The process: command line, configuration files, auth via env, signals,
// draining, access log.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  DEFAULT_ARGS,
  MOCK_REPLY,
  accessLines,
  assertError,
  chat,
  contentOf,
  createAgent,
  deltaOf,
  freePort,
  parseSSE,
  request,
  runBinary,
  sleep,
  startServer,
  streamText,
  timedStream,
  writeAgents,
  writeServices,
  writeTemp,
} from './helpers.mjs';

const T = { timeout: 20000 };
const oneLine = (text) => {
  const lines = text.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got: ${JSON.stringify(text)}`);
  assert.ok(lines[0].length > 0);
  return lines[0];
};

/** True when a new TCP connection to the port is refused. */
function connectRefused(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    sock.on('connect', () => {
      sock.destroy();
      resolve(false);
    });
    sock.on('error', () => resolve(true));
  });
}

describe('command line', () => {
  test('--help prints usage and exits 0', T, async () => {
    const r = await runBinary(['--help']);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout + r.stderr;
    for (const flag of [
      '--listen', '--token', '--services', '--storage', '--agents', '--log-level', '--drain-s',
      '--turn-timeout-s', '--max-body-bytes', '--max-config-bytes', '--http-threads',
      '--actor-threads', '--config', '--version',
    ]) {
      assert.ok(out.includes(flag), `help mentions ${flag}`);
    }
  });

  test('--version prints "troupe 0.1.0" and exits 0', T, async () => {
    const r = await runBinary(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), 'troupe 0.1.0');
  });

  test('unknown flag → non-zero exit, one line on stderr', T, async () => {
    const r = await runBinary(['--no-such-flag']);
    assert.notEqual(r.code, 0);
    assert.equal(r.signal, null);
    assert.match(oneLine(r.stderr), /no-such-flag/);
  });

  test('invalid flag values → non-zero exit, one line', T, async () => {
    for (const args of [
      ['--listen=nonsense'],
      ['--listen=127.0.0.1:99999'],
      ['--log-level=loud'],
      ['--http-threads=-1'],
      ['--actor-threads=999'],
      ['--turn-timeout-s=0'],
      ['--max-body-bytes=abc'],
      ['--storage=postgres'],
    ]) {
      const r = await runBinary([...args, '--services=conf/services.json'], { timeoutMs: 5000 });
      assert.notEqual(r.code, 0, `${args}: ${r.stderr}`);
      assert.equal(r.signal, null, `${args} exits by itself`);
      oneLine(r.stderr);
    }
  });

  test('missing services file → non-zero, one line', T, async () => {
    const port = await freePort();
    const r = await runBinary([`--listen=127.0.0.1:${port}`, '--services=/nonexistent/services.json']);
    assert.notEqual(r.code, 0);
    assert.equal(r.signal, null);
    assert.match(oneLine(r.stderr), /services/);
  });

  test('unreadable agents file / config file → non-zero, one line', T, async () => {
    const port = await freePort();
    const a = await runBinary([
      `--listen=127.0.0.1:${port}`,
      '--services=conf/services.json',
      '--agents=/nonexistent/agents.json',
    ]);
    assert.notEqual(a.code, 0);
    assert.equal(a.signal, null);
    assert.match(oneLine(a.stderr), /agents/);
    const c = await runBinary(['--config=/nonexistent/troupe.conf']);
    assert.notEqual(c.code, 0);
    assert.equal(c.signal, null);
    oneLine(c.stderr);
  });

  test('invalid services file content → non-zero exit', T, async () => {
    const port = await freePort();
    for (const content of ['{not json', '[]', '{"llm":{"providers":{"x":{"model":"m"}}}}']) {
      const p = writeTemp('services.json', content);
      const r = await runBinary([`--listen=127.0.0.1:${port}`, `--services=${p}`], { timeoutMs: 5000 });
      assert.notEqual(r.code, 0, `${content}: ${r.stderr}`);
      assert.equal(r.signal, null, `${content}: exits by itself`);
    }
  });

  test('no token and a non-loopback --listen → refuses to start', T, async () => {
    const port = await freePort();
    const env = { TROUPE_TOKEN: '' };
    const r = await runBinary(['--services=conf/services.json', `--listen=0.0.0.0:${port}`], {
      env,
      timeoutMs: 5000,
    });
    assert.notEqual(r.code, 0);
    assert.equal(r.signal, null, 'exited by itself, did not serve');
    assert.match(oneLine(r.stderr), /token/i);
  });

  test('a token allows a non-loopback --listen', T, async () => {
    const s = await startServer({ host: '0.0.0.0', token: 'tok' });
    try {
      assertError(await s.req('GET', '/v1/health', { token: null }), 401);
      assert.equal((await s.req('GET', '/v1/health')).status, 200);
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
  });

  test('TROUPE_TOKEN env sets the token', T, async () => {
    const s = await startServer({ env: { TROUPE_TOKEN: 'env-secret' } });
    try {
      assertError(await s.req('GET', '/v1/agents', { token: null }), 401);
      assertError(await s.req('GET', '/v1/agents', { token: 'other' }), 401);
      assert.equal((await s.req('GET', '/v1/agents', { token: 'env-secret' })).status, 200);
      assert.equal(
        (await s.req('GET', '/v1/agents', { token: null, headers: { 'X-Runtime-Token': 'env-secret' } })).status,
        200,
      );
      assert.equal((await s.req('GET', '/ping', { token: null })).status, 200);
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
  });

  test('--config file supplies options', T, async () => {
    const conf = writeTemp(
      'troupe.conf',
      [
        'services = "conf/services.json"',
        'agents = "conf/agents.json"',
        'storage = "memory"',
        'log-level = "info"',
        'token = "conf-token"',
        'max-body-bytes = 4096',
        '',
      ].join('\n'),
    );
    const s = await startServer({ baseArgs: [`--config=${conf}`], token: 'conf-token' });
    try {
      assert.equal((await s.req('GET', '/v1/models/demo')).status, 200);
      assertError(await s.req('GET', '/v1/models/demo', { token: null }), 401);
      const big = await chat(s, { model: 'demo', messages: [{ role: 'user', content: 'a'.repeat(5000) }] });
      assertError(big, 413);
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
  });

  test('--config file token is used when no --token is given', T, async () => {
    const conf = writeTemp('troupe.conf', 'services = "conf/services.json"\nagents = "conf/agents.json"\ntoken = "only-in-file"\n');
    const s = await startServer({ baseArgs: [`--config=${conf}`] });
    try {
      assertError(await s.req('GET', '/v1/agents'), 401);
      assert.equal((await s.req('GET', '/v1/agents', { token: 'only-in-file' })).status, 200);
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
  });
});

describe('configuration files', () => {
  test('${VAR} and ${VAR:-default} in the services file; default_provider', T, async () => {
    const services = writeServices(
      {
        custom: { type: 'test', model: 'm', reply: '${BB_REPLY:-fallback reply}' },
        other: { type: 'test', model: 'm', reply: '${BB_OTHER}' },
      },
      'custom',
    );
    const agents = writeAgents([
      { id: 'a1', name: 'A1', template_id: 'chat', system_prompt: 'sys' },
      { id: 'a2', name: 'A2', template_id: 'chat', llm_config_id: 'other' },
    ]);
    const run = async (env) => {
      const s = await startServer({
        baseArgs: [`--services=${services}`, `--agents=${agents}`, '--storage=memory'],
        env,
      });
      try {
        const a1 = await chat(s, { model: 'a1', messages: [{ role: 'user', content: 'x' }] });
        const a2 = await chat(s, { model: 'a2', messages: [{ role: 'user', content: 'x' }] });
        assert.equal(a1.status, 200, a1.text);
        assert.equal(a1.json.metadata.provider, 'custom');
        return [contentOf(a1), contentOf(a2)];
      } finally {
        assert.equal((await s.stop()).code, 0);
      }
    };
    assert.deepEqual(await run({ BB_OTHER: 'other words' }), ['fallback reply', 'other words']);
    assert.deepEqual(await run({ BB_REPLY: 'from the env', BB_OTHER: 'x' }), ['from the env', 'x']);
  });

  test('agents file: seeded agents are listed and usable', T, async () => {
    const agents = writeAgents([
      { id: 'seed-one', name: 'Seed one', template_id: 'chat', template_config: { response_prefix: '1: ' } },
      { id: 'seed-two', name: 'Seed two', template_id: 'simple-test', status: 'inactive' },
    ]);
    const s = await startServer({
      baseArgs: ['--services=conf/services.json', `--agents=${agents}`, '--storage=memory'],
    });
    try {
      const list = await s.req('GET', '/v1/agents');
      assert.deepEqual(list.json.map((a) => a.id), ['seed-one', 'seed-two']);
      const c = await chat(s, { model: 'seed-one', messages: [{ role: 'user', content: 'x' }] });
      assert.equal(contentOf(c), `1: ${MOCK_REPLY}`);
      assertError(await chat(s, { model: 'seed-two', messages: [{ role: 'user', content: 'x' }] }), 409);
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
  });

  test('--max-config-bytes limits stored agents', T, async () => {
    const s = await startServer({ args: ['--max-config-bytes=1024'] });
    try {
      const r = await s.req('POST', '/v1/agents', {
        body: { name: 'big', template_id: 'chat', system_prompt: 'x'.repeat(2000) },
      });
      assertError(r, 400);
      const ok = await s.req('POST', '/v1/agents', {
        body: { name: 'small', template_id: 'chat', system_prompt: 'x'.repeat(100) },
      });
      assert.equal(ok.status, 201, ok.text);
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
  });

  test('thread options are accepted', T, async () => {
    const s = await startServer({ args: ['--http-threads=4', '--actor-threads=3'] });
    try {
      const rs = await Promise.all(
        Array.from({ length: 20 }, () => chat(s, { model: 'demo', messages: [{ role: 'user', content: 'x' }] })),
      );
      assert.ok(rs.every((r) => r.status === 200));
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
  });
});

describe('signals and draining', () => {
  test('SIGTERM during a slow in-flight turn: the turn completes, exit 0', { timeout: 30000 }, async () => {
    const s = await startServer({
      env: { TROUPE_TEST_FIRST_TOKEN_MS: '800', TROUPE_TEST_TOKEN_INTERVAL_MS: '50' },
      args: ['--drain-s=10'],
    });
    const id = await createAgent(s, { llm_config_id: 'test-slow' });
    const t0 = Date.now();
    const pending = chat(s, { model: id, messages: [{ role: 'user', content: 'slow one' }] });
    const pendingStream = s.req('POST', '/v1/chat/completions', {
      body: { model: id, messages: [{ role: 'user', content: 'slow two' }], stream: true },
    });
    await sleep(300);
    s.proc.kill('SIGTERM');
    await sleep(100);
    assert.ok(await connectRefused(s.port), 'no new connections while draining');

    const r = await pending;
    assert.equal(r.status, 200, r.text);
    assert.equal(contentOf(r), MOCK_REPLY);
    const st = await pendingStream;
    assert.equal(st.status, 200);
    const events = parseSSE(st.text);
    assert.equal(events[events.length - 1], '[DONE]');
    assert.equal(streamText(events.slice(0, -1).map((e) => JSON.parse(e))), MOCK_REPLY);
    assert.ok(Date.now() - t0 >= 800, 'the turn really was slow');

    // Exits by itself after the drain (no second signal: that one means "stop now").
    const e = await Promise.race([s.exited, sleep(5000).then(() => 'still running')]);
    await s.kill();
    assert.deepEqual(e, { code: 0, signal: null });
  });

  test('SIGINT with nothing in flight exits 0 promptly', T, async () => {
    const s = await startServer();
    const t0 = Date.now();
    const e = await s.stop({ signal: 'SIGINT' });
    assert.deepEqual(e, { code: 0, signal: null });
    assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
  });

  test('--drain-s bounds the wait for in-flight turns, then exit 0', T, async () => {
    const services = writeServices({
      slow: { type: 'test', model: 'm', first_token_ms: 5000, token_interval_ms: 10 },
    });
    const s = await startServer({
      baseArgs: [`--services=${services}`, '--storage=memory'],
      args: ['--drain-s=0.5'],
    });
    const id = await createAgent(s, { llm_config_id: 'slow' });
    // Several turns still running when the drain time is over.
    const pending = Array.from({ length: 4 }, (_, i) =>
      chat(s, { model: id, messages: [{ role: 'user', content: `x${i}` }] }, { timeoutMs: 8000 }).catch((e) => e),
    );
    await sleep(200);
    const t0 = Date.now();
    const e = await s.stop({ timeoutMs: 4000 });
    const took = Date.now() - t0;
    assert.deepEqual(e, { code: 0, signal: null }, `exit after ${took} ms (SIGKILL = hung)`);
    assert.ok(took >= 400 && took < 3000, `exit after ${took} ms with --drain-s=0.5`);
    await Promise.all(pending);
  });
});

describe('hang-ups and shutdown', () => {
  // A reply long enough that every turn is still running when its client leaves.
  const longReply = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
  const services = () =>
    writeServices({
      paced: { type: 'test', model: 'm', reply: longReply, first_token_ms: 50, token_interval_ms: 150 },
      silent: { type: 'test', model: 'm', first_token_ms: 60000 },
    });
  const inflight = async (s) => (await s.req('GET', '/v1/health')).json.metrics.inflight_requests;

  test('stream and non-stream hang-ups: in flight back to 0 within a second, SIGTERM exits 0 within the drain time', { timeout: 30000 }, async () => {
    const s = await startServer({ baseArgs: [`--services=${services()}`, '--storage=memory'], args: ['--drain-s=3'] });
    try {
      const paced = await createAgent(s, { llm_config_id: 'paced' });
      const silent = await createAgent(s, { llm_config_id: 'silent' });
      const hangUp = (model, ms) =>
        chat(s, { model, messages: [{ role: 'user', content: 'x' }] }, { timeoutMs: ms }).then(
          () => assert.fail('the request should have been aborted'),
          () => Date.now(),
        );
      const streamed = timedStream(s, { model: paced, messages: [{ role: 'user', content: 'x' }] }, {
        abortAfter: (ev) => deltaOf(ev) === 'w1 ',
      }).then((r) => {
        assert.ok(r.abortedAt, 'the stream client left mid-turn');
        return r.abortedAt;
      });
      const left = await Promise.all([streamed, hangUp(paced, 400), hangUp(silent, 400), hangUp(silent, 600)]);
      const lastLeft = Math.max(...left);
      let n = await inflight(s);
      while (n > 0 && Date.now() - lastLeft < 3000) {
        await sleep(50);
        n = await inflight(s);
      }
      const after = Date.now() - lastLeft;
      assert.equal(n, 0, 'every hung-up turn ended');
      assert.ok(after < 1000, `in flight back to 0 ${after} ms after the last hang-up`);
      // The agents still answer (a hang-up did not pass for a crashed agent).
      const again = await chat(s, { model: paced, messages: [{ role: 'user', content: 'y' }] });
      assert.equal(again.status, 200, again.text);
    } finally {
      const t0 = Date.now();
      const e = await s.stop({ timeoutMs: 8000 });
      const took = Date.now() - t0;
      assert.deepEqual(e, { code: 0, signal: null }, `exit after ${took} ms (SIGKILL = hung)`);
      assert.ok(took < 3000, `exit after ${took} ms with --drain-s=3`);
    }
  });

  test('SIGTERM right after a stream hang-up, with turns of the same agent still running: exit 0', { timeout: 30000 }, async () => {
    const s = await startServer({ baseArgs: [`--services=${services()}`, '--storage=memory'], args: ['--drain-s=1'] });
    const paced = await createAgent(s, { llm_config_id: 'paced' });
    const running = Array.from({ length: 3 }, (_, i) =>
      chat(s, { model: paced, messages: [{ role: 'user', content: `r${i}` }] }, { timeoutMs: 15000 }).catch((e) => e),
    );
    await timedStream(s, { model: paced, messages: [{ role: 'user', content: 'x' }] }, {
      abortAfter: (ev) => deltaOf(ev) === 'w0 ',
    });
    await sleep(300);  // the provider notices the hang-up
    const t0 = Date.now();
    const e = await s.stop({ timeoutMs: 8000 });
    const took = Date.now() - t0;
    assert.deepEqual(e, { code: 0, signal: null }, `exit after ${took} ms (SIGKILL = hung)`);
    assert.ok(took < 1000 + 2000, `exit after ${took} ms with --drain-s=1`);
    await Promise.all(running);
  });

  test('a second SIGTERM while draining exits at once, non-zero', { timeout: 30000 }, async () => {
    const s = await startServer({ baseArgs: [`--services=${services()}`, '--storage=memory'], args: ['--drain-s=20'] });
    const silent = await createAgent(s, { llm_config_id: 'silent' });
    const pending = chat(s, { model: silent, messages: [{ role: 'user', content: 'x' }] }, { timeoutMs: 15000 }).catch((e) => e);
    await sleep(200);
    s.proc.kill('SIGTERM');
    await sleep(300);
    const t0 = Date.now();
    s.proc.kill('SIGINT');
    const e = await Promise.race([s.exited, sleep(5000).then(() => 'still running')]);
    await s.kill();
    assert.notEqual(e, 'still running');
    assert.ok(Date.now() - t0 < 2000, `exited ${Date.now() - t0} ms after the second signal`);
    assert.equal(e.signal, null);
    assert.notEqual(e.code, 0);
    await pending;
  });
});

describe('access log', () => {
  test('one line per request with method, path, status, session', T, async () => {
    const s = await startServer();
    const c = await chat(s, { model: 'demo', messages: [{ role: 'user', content: 'log me' }] });
    const sid = c.json.metadata.session_id;
    await s.req('GET', '/v1/agents/no-such-agent');
    await s.req('GET', '/v1/models');
    await s.req('GET', '/v1/models');
    await s.req('POST', '/v1/chat/completions', {
      body: { model: 'demo', messages: [{ role: 'user', content: 'x' }], stream: true, metadata: { session_id: sid } },
    });
    const e = await s.stop();
    assert.equal(e.code, 0);
    const lines = accessLines(s.stderrText());
    const re = (method, path, status, session) =>
      new RegExp(
        `^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z? info ${method} ${path.replace(/[/.]/g, '\\$&')} ${status} \\d+(\\.\\d+)?ms session=${session} request_id=req-[0-9a-f]{24}$`,
      );
    const count = (rx) => lines.filter((l) => rx.test(l)).length;
    assert.equal(count(re('POST', '/v1/chat/completions', 200, sid)), 2, lines.join('\n'));
    assert.equal(count(re('GET', '/v1/agents/no-such-agent', 404, '-')), 1, lines.join('\n'));
    assert.equal(count(re('GET', '/v1/models', 200, '-')), 2, lines.join('\n'));
    assert.ok(count(re('GET', '/ping', 200, '-')) >= 1);
  });

  test('rejected requests are logged too (401, 400, 413)', T, async () => {
    const s = await startServer({ token: 'tok' });
    await s.req('GET', '/v1/health', { token: null });
    await s.req('POST', '/v1/chat/completions', { body: '{bad' });
    await s.req('POST', '/v1/chat/completions', { body: 'x'.repeat((1 << 20) + 10) });
    assert.equal((await s.stop()).code, 0);
    const lines = accessLines(s.stderrText());
    assert.ok(lines.some((l) => / GET \/v1\/health 401 .*session=- request_id=\S+$/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => / POST \/v1\/chat\/completions 400 /.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => / POST \/v1\/chat\/completions 413 /.test(l)), lines.join('\n'));
  });
});
